from demos.common.cli import run_demo_main

raise SystemExit(run_demo_main("versioning"))
