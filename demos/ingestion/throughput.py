"""How fast the pipeline ingests with 1, 2, 4... ML worker processes: real OS processes, real dev server.

Every ML worker count gets its own deployment on its own task queue (so no other worker takes
part): one document worker process (`--role docs`: the workflows and the document activities)
and N ML worker processes (`--role ml`), every ML process with the same model-call shape
(simulated latency, slots per worker; see model_calls.py). All of them start before any timing,
and the rounds are interleaved (1, 2, 4, 1, 2, 4, ...), so a change in the machine's load during
the measurement touches every count alike instead of favouring one. Each round times a whole
IngestCorpusWorkflow, from start to result, into a fresh SQLite store (so no round benefits from
an earlier one).
"""

from __future__ import annotations

import asyncio
import math
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Sequence

from temporalio.client import Client

from demos.common.connect import client_address
from demos.common.server import DemoError
from demos.ingestion import embedder, summarizer
from demos.ingestion.chunking import chunk_markdown
from demos.ingestion.corpus import REPO_ROOT, Corpus
from demos.ingestion.model_calls import DEFAULT_SHAPE, ModelCallShape
from demos.ingestion.models import CorpusJob, Queues, StoreConfig
from demos.ingestion.worker import READY
from demos.ingestion.workflows import IngestCorpusWorkflow

STARTUP_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 15


async def measure_scaling(
    client: Client,
    *,
    task_queue: str,
    corpus: Corpus,
    ml_workers: Sequence[int] = (1, 2, 4),
    rounds: int = 3,
    shape: ModelCallShape = DEFAULT_SHAPE,
) -> list[dict[str, Any]]:
    """Ingest the corpus `rounds` times with each number of ML worker processes (plus one document
    worker process each); report the median round of each, in the order of `ml_workers`.

    The median, because on a shared machine a single run can be off by a factor of two.
    """
    if not ml_workers or min(ml_workers) < 1 or rounds < 1 or len(set(ml_workers)) != len(ml_workers):
        raise ValueError("ml_workers must be distinct counts >= 1, and rounds at least 1")
    run = uuid.uuid4().hex[:6]
    queues = {n: f"{task_queue}-{n}ml-{run}" for n in ml_workers}
    timings: dict[int, list[tuple[float, int, int, str]]] = {n: [] for n in ml_workers}
    with tempfile.TemporaryDirectory(prefix="ingestion-throughput-") as data_dir:
        log_path = Path(data_dir) / "workers.log"
        processes: list[asyncio.subprocess.Process] = []
        with log_path.open("wb") as log:
            try:
                for n, queue in queues.items():
                    processes.append(await _start_worker(client, queue, "docs", shape, log))
                    for _ in range(n):
                        processes.append(await _start_worker(client, queue, "ml", shape, log))
                await asyncio.wait_for(
                    asyncio.gather(*(_until_ready(p, log_path) for p in processes)), STARTUP_TIMEOUT_SECONDS
                )
                for r in range(rounds):
                    for n, queue in queues.items():
                        store_dir = Path(data_dir) / f"{n}ml-round-{r}"
                        timings[n].append(await _timed_ingestion(client, corpus, queue, store_dir, n))
            except asyncio.TimeoutError:
                raise DemoError(f"ingestion workers did not start in {STARTUP_TIMEOUT_SECONDS}s:\n{_tail(log_path)}")
            finally:
                await _stop(processes)
    return [_median_round(n, timings[n]) for n in ml_workers]


def _median_round(ml_workers: int, timings: list[tuple[float, int, int, str]]) -> dict[str, Any]:
    seconds, documents, chunks, workflow_id = sorted(timings)[len(timings) // 2]
    return {
        "ml_worker_processes": ml_workers,
        "documents": documents,
        "chunks": chunks,
        "seconds": round(seconds, 3),
        "documents_per_second": round(documents / seconds, 2),
        "chunks_per_second": round(chunks / seconds, 2),
        "round_seconds": [round(t[0], 3) for t in timings],
        "workflow_id": workflow_id,  # the median round's
    }


def speedups(runs: list[dict[str, Any]]) -> dict[str, float]:
    """documents/s of every run over the run with the fewest ML worker processes, keyed by count."""
    base = min(runs, key=lambda r: r["ml_worker_processes"])
    return {str(r["ml_worker_processes"]): round(r["documents_per_second"] / base["documents_per_second"], 2) for r in runs}


async def _timed_ingestion(
    client: Client, corpus: Corpus, queue: str, data_dir: Path, ml_workers: int
) -> tuple[float, int, int, str]:
    job = CorpusJob(
        corpus_dir=str(corpus.directory),
        pattern=corpus.pattern,
        store=StoreConfig.in_directory(str(data_dir)),  # a fresh SQLite store for every round and every N
        queues=Queues.for_base(queue),
    )
    workflow_id = f"ingestion-throughput-{ml_workers}ml-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    report = await client.execute_workflow(IngestCorpusWorkflow.run, job, id=workflow_id, task_queue=queue)
    return time.perf_counter() - started, report.documents, report.chunks, workflow_id


async def _start_worker(
    client: Client, queue: str, role: str, shape: ModelCallShape, log: Any
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "demos.ingestion.worker",
        "--address", client_address(client),
        "--namespace", client.namespace,
        "--task-queue", queue,
        "--role", role,
        "--ml-latency-ms", str(shape.latency_ms),
        "--ml-slots", str(shape.slots),
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


def ml_work(
    corpus: Corpus, max_words: int = CorpusJob.max_words_per_chunk, batch_size: int = CorpusJob.embed_batch_size
) -> dict[str, Any]:
    """The ML work of one ingestion: how many model calls it makes (one per embedding batch, one
    summary per document) and how long their local computation takes in this process, without
    Temporal and without the simulated latency."""
    texts = [path.read_text(errors="replace") for path in corpus.files()]
    started = time.perf_counter()
    chunks = calls = 0
    for text in texts:
        pieces = chunk_markdown(text, max_words)
        for piece in pieces:
            embedder.embed(piece)
        summarizer.summarize("\n\n".join(pieces))
        chunks += len(pieces)
        calls += math.ceil(len(pieces) / batch_size) + 1
    return {"chunks": chunks, "model_calls": calls, "compute_seconds": round(time.perf_counter() - started, 4)}
