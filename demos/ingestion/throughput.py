"""How fast the pipeline ingests with N worker processes: real OS processes, real dev server.

Each measurement gets its own task queue (so no other worker takes part) and a fresh SQLite store
per round (so no run benefits from an earlier one), waits until every worker process polls, then
times whole IngestCorpusWorkflow runs, from start to result.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from temporalio.client import Client

from demos.common.connect import client_address
from demos.common.server import DemoError
from demos.ingestion import embedder, summarizer
from demos.ingestion.chunking import chunk_markdown
from demos.ingestion.corpus import REPO_ROOT, Corpus
from demos.ingestion.models import CorpusJob, Queues, StoreConfig
from demos.ingestion.worker import READY
from demos.ingestion.workflows import IngestCorpusWorkflow

STARTUP_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 15


async def measure_throughput(
    client: Client, *, task_queue: str, corpus: Corpus, workers: int, rounds: int = 3
) -> dict[str, Any]:
    """Ingest the corpus `rounds` times with `workers` processes; report the median round.

    The median, because on a shared machine a single run can be off by a factor of two.
    """
    if workers < 1 or rounds < 1:
        raise ValueError("workers and rounds must be at least 1")
    queue = f"{task_queue}-{workers}p-{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory(prefix="ingestion-throughput-") as data_dir:
        log_path = Path(data_dir) / "workers.log"
        processes: list[asyncio.subprocess.Process] = []
        with log_path.open("wb") as log:
            try:
                for _ in range(workers):
                    processes.append(await _start_worker(client, queue, log))
                await asyncio.wait_for(
                    asyncio.gather(*(_until_ready(p, log_path) for p in processes)), STARTUP_TIMEOUT_SECONDS
                )
                timings = [
                    await _timed_ingestion(client, corpus, queue, Path(data_dir) / f"round-{n}", workers)
                    for n in range(rounds)
                ]
            except asyncio.TimeoutError:
                raise DemoError(f"ingestion workers did not start in {STARTUP_TIMEOUT_SECONDS}s:\n{_tail(log_path)}")
            finally:
                await _stop(processes)
    seconds, documents, chunks, workflow_id = sorted(timings)[len(timings) // 2]
    return {
        "worker_processes": workers,
        "documents": documents,
        "chunks": chunks,
        "seconds": round(seconds, 3),
        "documents_per_second": round(documents / seconds, 1),
        "chunks_per_second": round(chunks / seconds, 1),
        "round_seconds": [round(t[0], 3) for t in timings],
        "workflow_id": workflow_id,  # the median round's
    }


async def _timed_ingestion(
    client: Client, corpus: Corpus, queue: str, data_dir: Path, workers: int
) -> tuple[float, int, int, str]:
    job = CorpusJob(
        corpus_dir=str(corpus.directory),
        pattern=corpus.pattern,
        store=StoreConfig.in_directory(str(data_dir)),  # a fresh SQLite store for every round and every N
        queues=Queues.for_base(queue),
    )
    workflow_id = f"ingestion-throughput-{workers}p-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    report = await client.execute_workflow(IngestCorpusWorkflow.run, job, id=workflow_id, task_queue=queue)
    return time.perf_counter() - started, report.documents, report.chunks, workflow_id


async def _start_worker(client: Client, queue: str, log: Any) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "demos.ingestion.worker",
        "--address", client_address(client),
        "--namespace", client.namespace,
        "--task-queue", queue,
        "--role", "all",
        cwd=REPO_ROOT,  # so `-m demos...` imports this checkout
        stdout=asyncio.subprocess.PIPE,
        stderr=log,
    )  # fmt: skip


async def _until_ready(process: asyncio.subprocess.Process, log_path: Path) -> None:
    assert process.stdout is not None
    while True:
        line = await process.stdout.readline()
        if not line:  # the process ended without becoming ready
            await process.wait()
            raise DemoError(f"an ingestion worker exited with code {process.returncode}:\n{_tail(log_path)}")
        if line.decode().startswith(READY):
            return


async def _stop(processes: list[asyncio.subprocess.Process]) -> None:
    """SIGTERM lets a worker finish its shutdown; one that hangs is killed."""
    for process in processes:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT_SECONDS)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()


def _tail(log_path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no worker log)"


def ml_cpu_seconds(corpus: Corpus, max_words: int = CorpusJob.max_words_per_chunk) -> dict[str, Any]:
    """The ML work of one ingestion (embed every chunk, summarise every file) timed in this process,
    without Temporal: how much of a measured run is computation and how much is orchestration."""
    texts = [path.read_text(errors="replace") for path in corpus.files()]
    started = time.perf_counter()
    chunks = 0
    for text in texts:
        for chunk in chunk_markdown(text, max_words):
            embedder.embed(chunk)
            chunks += 1
        summarizer.summarize(text)
    return {"chunks": chunks, "seconds": round(time.perf_counter() - started, 4)}
