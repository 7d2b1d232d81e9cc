"""Payments: an idempotent debit charged exactly once, a heartbeating settlement that resumes after
its worker is killed, and separate task queues for real-time and batch work."""
