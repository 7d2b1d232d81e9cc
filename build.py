#!/usr/bin/env python3
"""Build the Temporal talk. `python build.py --help` lists the commands; the pipeline is in deckbuild/."""

from deckbuild.cli import main
from demos.common.process_exit import exit_without_teardown

if __name__ == "__main__":
    # The demos may have run in this process: leave without the SDK's exit-time crash.
    exit_without_teardown(main())
