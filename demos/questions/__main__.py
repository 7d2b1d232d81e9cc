"""python -m demos.questions: the starter end to end, with its worker in this process (embedded dev
server unless TEMPORAL_ADDRESS is set)."""

from demos.common.cli import run_standalone
from demos.common.connect import connected_client


async def _run() -> None:
    from demos.questions.starter import main
    from demos.questions.worker import TASK_QUEUE, running_worker

    async with connected_client(log=print) as client, running_worker(client, TASK_QUEUE):
        await main(client)


if __name__ == "__main__":
    raise SystemExit(run_standalone(_run))
