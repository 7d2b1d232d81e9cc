"""The PDF a reader downloads: one page per slide, every page's text readable, diagrams included."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from tests.test_deck_browser import ARCHITECTURE, SLIDE_TITLES


def test_every_page_has_its_slide_text(talk_pdf: Path):
    reader = PdfReader(talk_pdf)
    assert len(reader.pages) == len(SLIDE_TITLES)
    texts = [" ".join(page.extract_text().split()) for page in reader.pages]
    for number, (title, text) in enumerate(zip(SLIDE_TITLES, texts), 1):
        assert title in text, f"page {number}: {title!r} not in {text[:200]!r}"
    assert "Kenneth Pernyer" in texts[0]
    assert "Upload → chunk → embed → store in Weaviate/Neo4j → metadata in Postgres" in texts[4]
    assert "Organizational Twin / RAG + LLM workflows" in texts[-1]
    # Page numbers from the theme's pagination, on every page but the title.
    assert all(text.rstrip().endswith(str(n)) for n, text in enumerate(texts[1:], 2))


def test_the_architecture_diagram_is_in_the_pdf_as_text(talk_pdf: Path):
    """Mermaid labels are SVG text, so the diagram prints as vectors, not a blurry bitmap."""
    text = " ".join(PdfReader(talk_pdf).pages[ARCHITECTURE - 1].extract_text().split())
    for label in ("User / API", "Activity: Ingest", "Activity: ML/LLM", "Activity: Storage", "Temporal Server", "Temporal Web UI", "state & history", "visibility & audit"):
        assert label in text, f"{label!r} not in page {ARCHITECTURE}: {text!r}"


def test_pdf_metadata(talk_pdf: Path):
    meta = PdfReader(talk_pdf).metadata
    assert meta.title == SLIDE_TITLES[0]
    assert meta.author == "Kenneth Pernyer"
