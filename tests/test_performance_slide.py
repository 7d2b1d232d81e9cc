"""The Performance slide says what the captured measurement says, whichever way it came out."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.test_demo_stage import real_captures, render_talk


@pytest.mark.parametrize(("speedup", "said", "not_said"), [(1.4, "made ingestion 1.4× faster", "no real gain"), (1.0, "no real gain", "faster")])
def test_the_sentence_follows_the_measured_speedup(tmp_path: Path, speedup: float, said: str, not_said: str):
    captures = copy.deepcopy(real_captures())
    captures["ingestion"]["extra"]["throughput"]["speedup"] = speedup
    text = render_talk(tmp_path, captures)
    slide = text[text.index("## Performance in My System"): text.index("## Architecture Sketch")]
    assert said in slide and not_said not in slide.split("<!--")[0]
