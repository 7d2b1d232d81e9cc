#!/usr/bin/env python3
"""Build the Temporal talk. `python build.py --help` lists the commands; the pipeline is in deckbuild/."""

from deckbuild.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
