"""Runnable Temporal demos backing the talk. Each demo is a package (samples-python layout).

Demos know nothing of the deck: the build imports `demos.<name>.scenario` and records what it did.
"""
