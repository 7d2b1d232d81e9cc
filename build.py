#!/usr/bin/env python3
"""Build the Temporal talk. `python build.py --help` lists the commands; the pipeline is in deckbuild/."""

import os
import sys

from deckbuild.cli import main

if __name__ == "__main__":
    code = main()
    if "temporalio" in sys.modules:
        # The demos ran in this process: the Temporal SDK's runtime can abort the interpreter at
        # exit (sdk-python#300, "PyGILState_Release"), turning a good build into exit 134. Leave
        # without interpreter teardown once everything is flushed.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise SystemExit(code)
