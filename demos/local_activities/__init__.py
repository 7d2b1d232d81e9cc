"""The same step as a local activity and as a regular activity: latency and event history compared."""
