"""The Performance slide shows what the captured scaling measurement says: the chart's bars, the
speedups and the setup beside them all come from demos/captures/ingestion.json."""

from __future__ import annotations

import copy
import re
from pathlib import Path

from tests.test_demo_stage import real_captures, render_talk


def performance_slide(text: str) -> str:
    return text[text.index("## Performance in My System") : text.index("## Architecture Sketch")]


def visible(slide: str) -> str:
    """The slide without its speaker notes (an HTML comment)."""
    return re.sub(r"<!--.*?-->", "", slide, flags=re.DOTALL)


def with_measurement(runs: list[tuple[int, float]], **setup: object) -> dict:
    captures = copy.deepcopy(real_captures())
    throughput = captures["ingestion"]["extra"]["throughput"]
    throughput["runs"] = [
        {**throughput["runs"][0], "ml_worker_processes": n, "documents_per_second": dps} for n, dps in runs
    ]
    base = runs[0][1]
    throughput["speedup"] = {str(n): round(dps / base, 2) for n, dps in runs}
    throughput["setup"].update(setup)
    return captures


def test_the_chart_and_the_setup_come_from_the_capture(tmp_path: Path):
    captures = with_measurement(
        [(1, 2.3), (2, 4.4), (4, 7.9)], latency_ms=321, slots_per_worker=3, documents=17, rounds=5, cpu_count=8
    )
    slide = visible(performance_slide(render_talk(tmp_path, captures)))

    assert "xychart-beta" in slide
    assert 'x-axis "ML worker processes" ["1", "2", "4"]' in slide
    assert "bar [2.3, 4.4, 7.9]" in slide
    assert 'y-axis "documents/s" 0 --> 10' in slide  # the tallest bar plus headroom, rounded up
    assert "2 ML workers → <b>1.9×</b>, 4 → <b>3.4×</b>" in slide
    # The setup stands beside the numbers, on the slide itself, not only in the notes.
    for fact in ("321 ms each", "3 slots per worker", "17 docs", "median of 5 runs", "8 cores", "simulated"):
        assert fact in slide, fact


def test_the_notes_give_every_measured_figure(tmp_path: Path):
    captures = with_measurement([(1, 2.0), (2, 3.0), (4, 3.5)])
    notes = performance_slide(render_talk(tmp_path, captures)).split("<!--", 1)[1]
    assert "1 ML worker: 2.00 documents/s (1.00x)" in notes
    assert "4 ML workers: 3.50 documents/s (1.75x)" in notes
    assert "fixed part of each run" in notes  # 4 workers gained far less than twice what 2 did: say why


def test_the_committed_measurement_backs_the_claim():
    """'Activities scale horizontally': two ML worker processes ingest >= 1.8x the documents/s of one."""
    throughput = real_captures()["ingestion"]["extra"]["throughput"]
    assert [r["ml_worker_processes"] for r in throughput["runs"]] == [1, 2, 4]
    assert throughput["speedup"]["2"] >= 1.8, throughput["runs"]
    setup = throughput["setup"]
    assert setup["rounds"] >= 3 and setup["latency_ms"] > 0 and setup["slots_per_worker"] >= 1
    assert all(len(r["round_seconds"]) == setup["rounds"] for r in throughput["runs"])
