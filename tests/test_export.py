"""Stage 3 (marp-cli): an unchanged deck is not exported again; a changed input or a tampered output is."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.conftest import run_build


def test_second_build_is_up_to_date_and_changes_rebuild(project_after_good_build: Path):
    root = project_after_good_build
    html = root / "build/talk.html"
    first = html.stat().st_mtime_ns
    result = run_build("all", "--deck", "talk", root=root)
    assert result.returncode == 0, result.output
    assert "talk.html (up to date)" in result.stdout and "talk.pdf (up to date)" in result.stdout
    assert html.stat().st_mtime_ns == first
    result = run_build("export", "--deck", "talk", root=root)
    assert result.returncode == 0 and result.stdout.count("(up to date)") == 4, result.output  # pptx and handout too

    # A theme change affects every output.
    theme = root / "theme/midnight-blue.css"
    theme.write_text(theme.read_text().replace("line-height: 1.35;", "line-height: 1.4;"))
    result = run_build("html", "--deck", "talk", root=root)
    assert "talk.html (built)" in result.stdout, result.output
    assert "line-height:1.4" in html.read_text().replace(": ", ":")

    # An output edited or replaced by hand is rebuilt, whatever its mtime says.
    html.write_text("tampered")
    result = run_build("html", "--deck", "talk", root=root)
    assert "talk.html (built)" in result.stdout and "tampered" not in html.read_text()


def test_markdown_for_marp_is_kept(project_after_good_build: Path):
    md = (project_after_good_build / "build/talk.md").read_text()
    assert md.startswith("---\nmarp: true\ntheme: midnight-blue\n") and "\nlang: en\n" in md
    alts = re.findall(r'<div class="diagram"><img alt="([^"]*)" src="data:image/svg\+xml;base64,', md)
    assert len(alts) == 2  # the architecture sketch, the performance chart (the demos' story pictures are inline SVG)
    assert not [a for a in alts if a.startswith("Mermaid")]
    assert any(a.startswith("Flowchart: User / API to Workflow") for a in alts), alts
    assert any(re.match(r"Chart with bars of documents/s by ML worker processes: 1: [\d.]+, 2: [\d.]+, 4: [\d.]+\.$", a) for a in alts), alts
    assert "```mermaid" not in md


def test_html_is_self_contained(project_after_good_build: Path, tmp_path: Path):
    """Copied anywhere on its own, the HTML still has everything (no CDN, no sibling files)."""
    alone = tmp_path / "elsewhere" / "talk.html"
    alone.parent.mkdir()
    shutil.copy(project_after_good_build / "build/talk.html", alone)
    text = alone.read_text()
    assert "cdn.jsdelivr" not in text and "mermaid.min.js" not in text and "<script src=" not in text
