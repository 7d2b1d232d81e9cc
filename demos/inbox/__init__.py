"""CEO's prioritized inbox: a long-running workflow driven by signals, updates, queries and timers."""
