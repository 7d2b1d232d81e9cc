"""python -m demos.poll: run the demo end to end (embedded dev server unless TEMPORAL_ADDRESS is set)."""

from demos.common.cli import run_demo_main

if __name__ == "__main__":
    raise SystemExit(run_demo_main("poll"))
