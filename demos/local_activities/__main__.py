"""python -m demos.local_activities: run the demo end to end (embedded dev server unless TEMPORAL_ADDRESS is set)."""

from demos.common.cli import run_demo_main

if __name__ == "__main__":
    raise SystemExit(run_demo_main("local_activities"))
