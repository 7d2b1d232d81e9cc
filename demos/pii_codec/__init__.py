"""Encrypt workflow data with a payload codec (AES-GCM), mask PII in logs, decode in the Web UI."""
