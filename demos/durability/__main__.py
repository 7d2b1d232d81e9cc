"""python -m demos.durability: kill a worker mid-workflow and watch a new one finish the job
(embedded dev server unless TEMPORAL_ADDRESS is set)."""

from demos.common.cli import run_demo_main

if __name__ == "__main__":
    raise SystemExit(run_demo_main("durability"))
