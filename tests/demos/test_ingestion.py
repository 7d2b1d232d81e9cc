"""The ingestion demo: its own corpus (not the slides), its text processing, the model-call shape of
its ML activities, its stores (SQLite and a real PostgreSQL), and its workflows on the real dev
server with docs and ML workers on separate task queues, measured with several ML processes."""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from demos.common.source import demo_input_files, demo_inputs_hash
from demos.ingestion import activities, embedder, scenario, summarizer
from demos.ingestion.activities import ChunkInput, EmbedInput, ListCorpusInput, ModelCalls, StoreFileInput, SummarizeInput
from demos.ingestion.chunking import chunk_markdown
from demos.ingestion.corpus import CORPUS_DIR, REPO_ROOT, Corpus, default_corpus
from demos.ingestion.model_calls import DEFAULT_SHAPE, NO_LATENCY, ModelCallShape
from demos.ingestion.models import Chunk, ChunkVector, DocumentMetadata, StoreConfig
from demos.ingestion.starter import ingest, search
from demos.ingestion.stores import Edge, open_store
from demos.ingestion.throughput import measure_scaling, ml_work, speedups
from demos.ingestion.worker import running_workers

QUERY = "How does Temporal survive a crash?"

DURABILITY = """---
marp: true
---

<!-- _class: lead -->
# Durable execution

When a worker crashes, Temporal replays the workflow history on another worker.
The workflow survives the crash and continues from its last recorded event.

---

## Retries

Failed activities are retried with exponential backoff until they succeed.
{% call m.notes() %}Retries are configured per activity.{% endcall %}
"""
BREAD = """# Baking bread

Knead the dough for ten minutes. Let the dough rise in a warm kitchen for an hour.
Bake the bread at 220 degrees until the crust is brown and the loaf sounds hollow.
"""
TOMATOES = """# Growing tomatoes

Water tomato plants in the morning, at the roots. Tomatoes need full sun and rich soil.
Pinch out side shoots so the plant puts its energy into the fruit.
"""


def write_corpus(root: Path) -> Corpus:
    (root / "notes").mkdir(parents=True)
    (root / "durability.md").write_text(DURABILITY)
    (root / "bread.md").write_text(BREAD)
    (root / "notes" / "tomatoes.md").write_text(TOMATOES)
    (root / "ignored.txt").write_text("not Markdown: the pattern leaves it out")
    return Corpus(root, "**/*.md")


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    return write_corpus(tmp_path / "corpus")


# --- the demo's own corpus -------------------------------------------------------------------------


def test_the_default_corpus_ships_with_the_demo_and_is_its_declared_input():
    files = default_corpus().files()
    assert 12 <= len(files) <= 20 and all(p.parent == CORPUS_DIR for p in files)
    assert demo_input_files("ingestion") == files  # inputs.txt declares exactly what the demo reads
    assert not any("slides" in p.relative_to(REPO_ROOT).parts for p in demo_input_files("ingestion"))
    # Short documents: one or two chunks each, so every document makes one embedding call and one summary.
    assert all(1 <= len(chunk_markdown(p.read_text())) <= 2 for p in files)


def test_a_slide_edit_leaves_the_capture_key_alone_and_a_corpus_edit_does_not(tmp_path: Path):
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "demos", root / "demos", ignore=shutil.ignore_patterns("__pycache__", "captures"))
    shutil.copytree(REPO_ROOT / "slides", root / "slides")
    before = demo_inputs_hash("ingestion", demos_dir=root / "demos")

    slide = next((root / "slides").rglob("*.md"))
    slide.write_text(slide.read_text() + "\nA typo fixed.\n")
    (root / "slides" / "talk" / "99-new.md").write_text("## A new slide\n")
    assert demo_inputs_hash("ingestion", demos_dir=root / "demos") == before

    document = next((root / "demos" / "ingestion" / "corpus").glob("*.md"))
    document.write_text(document.read_text() + "\nOne more sentence.\n")
    assert demo_inputs_hash("ingestion", demos_dir=root / "demos") != before


# --- text processing ---------------------------------------------------------------------------


def test_chunks_follow_slides_and_the_word_budget():
    long_paragraph = " ".join(f"word{i}" for i in range(25))
    fenced = "```python\nx = 1\n\ny = 2\n```"
    markdown = f"---\nmarp: true\n---\n# One\n\nfirst slide\n\n---\n\n## Two\n\n{long_paragraph}\n\n{fenced}\n"

    chunks = chunk_markdown(markdown, max_words=10)

    assert chunks[0] == "# One\n\nfirst slide"  # front matter gone, slide separator ends the chunk
    assert "marp" not in " ".join(chunks)
    assert all(len(c.split()) <= 10 for c in chunks)
    assert " ".join(chunks[1:]).split()[2:27] == long_paragraph.split()  # nothing lost or reordered
    assert fenced in chunks  # a code block with a blank line inside stays whole


def test_template_tags_and_marp_directives_are_not_content():
    chunks = chunk_markdown(DURABILITY)
    assert len(chunks) == 2
    assert "_class" not in chunks[0] and "{%" not in chunks[1]
    assert "Retries are configured per activity." in chunks[1]


def test_store_file_and_chunk_document_are_idempotent(corpus: Corpus, tmp_path: Path):
    env = ActivityEnvironment()
    store = StoreConfig.in_directory(str(tmp_path / "data"))

    stored = [env.run(activities.store_file, StoreFileInput(str(corpus.directory), "durability.md", store)) for _ in range(2)]
    chunked = [env.run(activities.chunk_document, ChunkInput(stored[0], store, 120)) for _ in range(2)]

    assert stored[0] == stored[1]
    assert Path(stored[0].blob_path).read_text() == DURABILITY
    assert [p.name for p in Path(store.blob_dir).rglob("*") if p.is_file()] == [stored[0].content_sha256]
    assert chunked[0] == chunked[1] and chunked[0].title == "Durable execution"
    with open_store(store) as opened:
        assert opened.counts().chunks == 2


def test_list_corpus_applies_the_pattern_and_rejects_a_missing_folder(corpus: Corpus):
    env = ActivityEnvironment()
    found = env.run(activities.list_corpus, ListCorpusInput(str(corpus.directory), corpus.pattern))
    assert found == ["bread.md", "durability.md", "notes/tomatoes.md"]
    with pytest.raises(ApplicationError) as failure:
        env.run(activities.list_corpus, ListCorpusInput(str(corpus.directory / "missing"), "*.md"))
    assert failure.value.non_retryable


def test_embedder_is_deterministic_across_processes():
    text = "Temporal replays the workflow history after a crash."
    # Another interpreter with another str-hash salt must produce the very same vector.
    other = subprocess.run(
        [sys.executable, "-c", f"import json; from demos.ingestion.embedder import embed; print(json.dumps(embed({text!r})))"],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    )
    vector = embedder.embed(text)
    assert json.loads(other.stdout) == vector
    assert len(vector) == embedder.DIM
    assert sum(x * x for x in vector) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "query, expected",
    [
        (QUERY, "durability"),
        ("retry failed activities with backoff", "durability"),
        ("how long should bread dough rise?", "bread"),
        ("watering tomato plants", "tomatoes"),
    ],
)
def test_embedder_ranks_the_document_sharing_the_query_vocabulary_first(query: str, expected: str):
    vector = ActivityEnvironment().run(ModelCalls(NO_LATENCY).embed_query, query).vector
    documents = {"durability": DURABILITY, "bread": BREAD, "tomatoes": TOMATOES}
    scores = sorted(((embedder.cosine(vector, embedder.embed(text)), name) for name, text in documents.items()), reverse=True)
    assert scores[0][1] == expected
    assert scores[0][0] > 0.15 and scores[0][0] > 1.5 * scores[1][0]


def test_embedder_similarity_sanity():
    durability = embedder.embed(DURABILITY)
    assert embedder.cosine(durability, durability) == pytest.approx(1.0)
    # Character trigrams connect inflections that share no whole word.
    assert embedder.cosine(embedder.embed("crashes"), embedder.embed("crash")) > 0.1
    assert embedder.cosine(embedder.embed("crashes"), embedder.embed("bread")) < 0.1
    assert embedder.embed("the and of") == [0.0] * embedder.DIM  # only stopwords: no direction


def test_summarizer_extracts_the_most_representative_sentences_in_order():
    markdown = (
        "# Workflows\n\n"
        "The weather was pleasant that day in the city.\n"
        "A workflow records every step, so the workflow resumes after a crash.\n"
        "Lunch was served at noon in the old hall.\n"
        "Each workflow step is an event in the workflow history.\n\n"
        "```python\nworkflow workflow workflow workflow = 1\n```\n"
    )
    summary = ActivityEnvironment().run(ModelCalls(NO_LATENCY).summarize_document, SummarizeInput(markdown))

    assert summary.summarizer == summarizer.NAME
    picked = summarizer.summarize(markdown, limit=2)
    assert picked == (
        "A workflow records every step, so the workflow resumes after a crash. "
        "Each workflow step is an event in the workflow history."
    )
    assert "workflow = 1" not in summary.text and "# Workflows" not in summary.text
    assert summary.text.count(".") == 3


# --- the model-call shape: simulated latency, slots per worker ---------------------------------------


def test_every_model_call_waits_the_simulated_latency_then_returns_the_real_result():
    calls = ModelCalls(ModelCallShape(latency_ms=150, slots=1))
    env = ActivityEnvironment()

    def timed(call, arg):
        started = time.perf_counter()
        result = env.run(call, arg)
        assert time.perf_counter() - started >= 0.15  # a sleep never ends early, however loaded the machine
        return result

    assert timed(calls.embed_query, QUERY).vector == embedder.embed(QUERY)
    batch = timed(calls.embed_chunks, EmbedInput([Chunk(chunk_id="c0", ordinal=0, text=BREAD)]))
    assert batch.vectors == [ChunkVector("c0", embedder.embed(BREAD))] and batch.embedder == embedder.NAME
    assert timed(calls.summarize_document, SummarizeInput(BREAD)).text == summarizer.summarize(BREAD)


def test_model_call_shape_is_validated_and_described():
    assert DEFAULT_SHAPE.describe() == f"simulated {DEFAULT_SHAPE.latency_ms} ms latency per model call, {DEFAULT_SHAPE.slots} slots per ML worker"
    with pytest.raises(ValueError):
        ModelCallShape(latency_ms=100, slots=0)
    with pytest.raises(ValueError):
        ModelCallShape(latency_ms=-1, slots=1)


def test_ml_work_counts_one_call_per_embedding_batch_and_one_summary_per_document(corpus: Corpus):
    work = ml_work(corpus, batch_size=1)
    chunks = sum(len(chunk_markdown(p.read_text())) for p in corpus.files())
    assert work["chunks"] == chunks and work["model_calls"] == chunks + 3
    assert ml_work(corpus)["model_calls"] == 3 + 3  # every document fits in one batch of 8


def test_speedups_are_relative_to_the_fewest_workers():
    runs = [{"ml_worker_processes": n, "documents_per_second": dps} for n, dps in [(1, 2.0), (2, 3.9), (4, 6.0)]]
    assert speedups(runs) == {"1": 1.0, "2": 1.95, "4": 3.0}


# --- stores: the same behaviour from SQLite and from a real PostgreSQL server ---------------------


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))  # Debian's layout, newest last
    initdb = found[-1] if found else shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_dsn() -> Iterator[str]:
    """A throwaway PostgreSQL server on 127.0.0.1, its data in a temporary folder."""
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
    run_as: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="ingestion-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()

    def pg(*args: str) -> None:
        subprocess.run(run_as + [*args], check=True, capture_output=True)

    try:
        pg(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"
        pg(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-o", options, "-w", "start")
        try:
            yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
        finally:
            pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(server_dsn: str) -> str:
    import psycopg

    name = f"ingest_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_dsn, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return server_dsn.replace("dbname=postgres", f"dbname={name}")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_config(request: pytest.FixtureRequest, tmp_path: Path) -> StoreConfig:
    dsn = fresh_database(request.getfixturevalue("postgres_dsn")) if request.param == "postgresql" else None
    return StoreConfig.in_directory(str(tmp_path / "data"), pg_dsn=dsn)


def _metadata(doc_id: str, source_path: str) -> DocumentMetadata:
    return DocumentMetadata(doc_id, source_path, source_path.upper(), "sha-" + doc_id, "/blob", 10, 1, "summary", embedder.NAME, summarizer.NAME)


def _put_document(store, doc_id: str, source_path: str, text: str, *, complete: bool = True) -> None:
    chunk = Chunk(chunk_id=f"{doc_id}-0", ordinal=0, text=text)
    store.upsert_chunks(doc_id, [chunk])
    store.upsert_vectors(embedder.NAME, [ChunkVector(chunk.chunk_id, embedder.embed(text))])
    store.upsert_edges([Edge(f"doc:{doc_id}", "has_chunk", f"chunk:{chunk.chunk_id}", doc_id)])
    if complete:  # metadata is written last: until then the document is not searchable
        store.upsert_document(_metadata(doc_id, source_path))


def test_store_writes_are_idempotent(store_config: StoreConfig):
    for _ in range(2):  # a retried activity writes everything again
        with open_store(store_config) as store:
            _put_document(store, "d1", "durability.md", DURABILITY)
            _put_document(store, "d2", "bread.md", BREAD)
    with open_store(store_config) as store:
        counts = store.counts()
        assert (counts.documents, counts.chunks, counts.vectors, counts.edges) == (2, 2, 2, 2)
        assert store.name == ("postgresql" if store_config.pg_dsn else "sqlite")


def test_store_ranks_by_cosine_over_completed_documents(store_config: StoreConfig):
    with open_store(store_config) as store:
        _put_document(store, "d1", "durability.md", DURABILITY)
        _put_document(store, "d2", "bread.md", BREAD)
        _put_document(store, "d3", "tomatoes.md", TOMATOES)
        _put_document(store, "d4", "half-done.md", QUERY, complete=False)  # would match best

        query = embedder.embed(QUERY)
        hits = store.nearest(embedder.NAME, query, k=2)

    assert [h.source_path for h in hits] == ["durability.md", hits[1].source_path]
    assert hits[1].source_path != "half-done.md" and len(hits) == 2
    assert hits[0].score == pytest.approx(embedder.cosine(query, embedder.embed(DURABILITY)))
    assert hits[0].score > hits[1].score and hits[0].title == "DURABILITY.MD" and hits[0].text == DURABILITY


def test_store_deletes_a_document_with_everything_it_produced(store_config: StoreConfig):
    with open_store(store_config) as store:
        _put_document(store, "d1", "durability.md", DURABILITY)
        _put_document(store, "d2", "bread.md", BREAD)
        store.delete_document("d1")
        counts = store.counts()
        assert (counts.documents, counts.chunks, counts.vectors, counts.edges) == (1, 1, 1, 1)
        assert store.document_ids_at("durability.md") == [] and store.document_ids_at("bread.md") == ["d2"]


# --- workflows on the dev server ----------------------------------------------------------------


async def _ingest_and_search(client: Client, task_queue: str, corpus: Corpus, store: StoreConfig, tag: str):
    report = await ingest(client, corpus=corpus, store=store, task_queue=task_queue, workflow_id=f"ingest-{tag}-{task_queue}")
    answer = await search(client, query=QUERY, store=store, task_queue=task_queue, workflow_id=f"search-{tag}-{task_queue}")
    return report, answer


async def test_ingestion_end_to_end_is_searchable_and_idempotent(client: Client, task_queue: str, corpus: Corpus, tmp_path: Path):
    store = StoreConfig.in_directory(str(tmp_path / "data"))
    expected_chunks = sum(len(chunk_markdown(p.read_text())) for p in corpus.files())
    async with running_workers(client, task_queue, "docs"), running_workers(client, task_queue, "ml"):
        first, answer = await _ingest_and_search(client, task_queue, corpus, store, "first")
        again, _ = await _ingest_and_search(client, task_queue, corpus, store, "again")

    assert (first.documents, first.chunks, first.store) == (3, expected_chunks, "sqlite")
    assert first.edges > first.chunks  # has_chunk edges plus term edges
    stored = first.stored
    assert (stored.documents, stored.chunks, stored.vectors, stored.edges) == (3, first.chunks, first.chunks, first.edges)
    assert again.stored == first.stored  # the second run added no rows
    assert len(list(Path(store.blob_dir).rglob("*/*"))) == 3  # one blob per file, no leftovers

    assert [h.source_path for h in answer.hits][0] == "durability.md"
    assert answer.hits[0].title == "Durable execution" and "survives the crash" in answer.hits[0].text
    assert len(answer.hits) == 3 and answer.hits[0].score > answer.hits[1].score
    durability = next(r for r in first.reports if r.source_path == "durability.md")
    assert "crash" in durability.summary


async def test_each_activity_runs_on_its_kind_of_worker(client: Client, task_queue: str, corpus: Corpus, tmp_path: Path):
    store = StoreConfig.in_directory(str(tmp_path / "data"))
    async with running_workers(client, task_queue, "docs"), running_workers(client, task_queue, "ml"):
        await ingest(client, corpus=corpus, store=store, task_queue=task_queue, workflow_id=f"ingest-{task_queue}")

    history = await client.get_workflow_handle(f"ingest-{task_queue}/durability.md").fetch_history()
    scheduled: dict[int, tuple[str, str]] = {}
    ran_on: dict[str, set[tuple[str, str]]] = {}
    for event in history.events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            attrs = event.activity_task_scheduled_event_attributes
            scheduled[event.event_id] = (attrs.activity_type.name, attrs.task_queue.name)
        elif event.HasField("activity_task_started_event_attributes"):
            attrs = event.activity_task_started_event_attributes
            name, queue = scheduled[attrs.scheduled_event_id]
            ran_on.setdefault(name, set()).add((queue, attrs.identity.rsplit("/", 1)[-1]))

    docs, ml = (f"{task_queue}-docs", "docs"), (f"{task_queue}-ml", "ml")
    assert ran_on == {
        "store_file": {docs},
        "chunk_document": {docs},
        "write_graph": {docs},
        "store_vectors": {docs},
        "write_metadata": {docs},
        "embed_chunks": {ml},
        "summarize_document": {ml},
    }


async def test_an_edited_file_replaces_its_earlier_version(client: Client, task_queue: str, corpus: Corpus, tmp_path: Path):
    store = StoreConfig.in_directory(str(tmp_path / "data"))
    async with running_workers(client, task_queue, "all"):
        first, _ = await _ingest_and_search(client, task_queue, corpus, store, "before")
        (corpus.directory / "durability.md").write_text("# Durable execution\n\nNothing about that here any more.\n")
        edited, answer = await _ingest_and_search(client, task_queue, corpus, store, "after")

    assert edited.stored.documents == 3
    assert edited.stored.chunks == first.stored.chunks - 1  # the two-slide file is now one chunk
    assert all("survives the crash" not in hit.text for hit in answer.hits)


async def test_ingestion_into_postgresql(client: Client, task_queue: str, corpus: Corpus, tmp_path: Path, postgres_dsn: str):
    store = StoreConfig.in_directory(str(tmp_path / "data"), pg_dsn=fresh_database(postgres_dsn))
    async with running_workers(client, task_queue, "all"):
        report, answer = await _ingest_and_search(client, task_queue, corpus, store, "pg")

    assert report.store == "postgresql" and report.stored.documents == 3
    assert report.stored.vectors == report.chunks
    assert answer.hits[0].source_path == "durability.md"
    assert not (tmp_path / "data" / "ingestion.sqlite3").exists()  # nothing went to SQLite


async def test_a_busy_ml_worker_leaves_the_next_call_to_another_ml_process(client: Client, task_queue: str, corpus: Corpus):
    """Slots per worker are a real cap: with one slot each and calls waiting 300 ms, two ML worker
    processes both run model calls of the same ingestion (horizontal scaling, not a timing claim)."""
    shape = ModelCallShape(latency_ms=300, slots=1)
    (measured,) = await measure_scaling(client, task_queue=task_queue, corpus=corpus, ml_workers=(2,), rounds=1, shape=shape)

    ran_by: dict[str, set[str]] = {}
    for path in ("bread.md", "durability.md", "notes/tomatoes.md"):
        history = await client.get_workflow_handle(f"{measured['workflow_id']}/{path}").fetch_history()
        scheduled = {}
        for event in history.events:
            if event.HasField("activity_task_scheduled_event_attributes"):
                scheduled[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
            elif event.HasField("activity_task_started_event_attributes"):
                attrs = event.activity_task_started_event_attributes
                ran_by.setdefault(scheduled[attrs.scheduled_event_id], set()).add(attrs.identity)
    ml_identities = ran_by["embed_chunks"] | ran_by["summarize_document"]
    assert len(ml_identities) == 2 and all(i.endswith("/ml") for i in ml_identities)
    assert len({i.split("@")[0] for i in ml_identities}) == 2  # two process ids
    assert measured["documents"] == 3 and measured["ml_worker_processes"] == 2


async def test_scenario_reports_search_counts_and_measured_scaling(client: Client, task_queue: str, corpus: Corpus):
    log: list[str] = []
    shape = ModelCallShape(latency_ms=50, slots=1)
    result = await scenario.run(
        client, task_queue=task_queue, log=log.append, corpus=corpus, ml_worker_counts=(1, 2), throughput_rounds=1, shape=shape
    )

    json.dumps(result.__dict__)  # everything on the slide must be JSON
    assert result.result["hits"][0]["source_path"] == "durability.md"
    assert result.extra["counts"]["documents"] == 3 and result.extra["query"] == QUERY
    assert result.extra["embedder"]["description"].endswith("not a neural model")
    throughput = result.extra["throughput"]
    runs = throughput["runs"]
    assert [r["ml_worker_processes"] for r in runs] == [1, 2]
    for measured in runs:
        assert measured["documents"] == 3 and measured["chunks"] == result.extra["counts"]["chunks"]
        assert measured["documents_per_second"] == pytest.approx(3 / measured["seconds"], abs=0.006)
        assert len(measured["round_seconds"]) == 1
    assert throughput["speedup"]["1"] == 1.0 and throughput["speedup"]["2"] == pytest.approx(
        runs[1]["documents_per_second"] / runs[0]["documents_per_second"], abs=0.01
    )
    setup = throughput["setup"]
    assert (setup["latency_ms"], setup["slots_per_worker"], setup["rounds"], setup["documents"]) == (50, 1, 1, 3)
    assert setup["cpu_count"] == os.cpu_count() and throughput["ml_work"]["model_calls"] == 6
    assert "50 ms" in throughput["method"] and any("ML worker process" in line for line in log)
    description = await client.get_workflow_handle(result.workflow_id).describe()
    assert description.run_id == result.run_id and result.other_runs[0][0].startswith("ingestion-search-")
    # Every worker process the measurement started is gone.
    leftover = subprocess.run(["pgrep", "-f", "--", f"demos.ingestion.worker .*{task_queue}"], capture_output=True)
    assert leftover.returncode == 1, leftover.stdout  # 1: no process matched
