"""Leaving a process that loaded the Temporal SDK. Standard library only.

The SDK's Rust threads can outlive the event loop and touch the GIL while CPython finalizes,
aborting an otherwise successful run with "Fatal Python error: PyGILState_Release" and exit code
134 (temporalio/sdk-python#300; intermittent here, 2 runs in 5). Callers use this only once all
their work is done (servers and worker processes stopped, output written)."""

from __future__ import annotations

import os
import sys


def exit_without_teardown(code: int) -> None:
    """Flush and end the process with `code`, skipping interpreter teardown when the SDK is loaded;
    otherwise an ordinary exit."""
    if "temporalio" not in sys.modules:
        raise SystemExit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
