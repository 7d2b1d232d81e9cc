"""Retries with exponential backoff, a non-retryable error, and no lost state."""
