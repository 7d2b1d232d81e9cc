"""The PDFs a reader downloads (talk and training): one page per slide, every page's text readable, diagrams included."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader

from tests.test_deck_browser import ARCHITECTURE, SLIDE_TITLES, TRAINING_DIAGRAMS, TRAINING_DIR, TRAINING_TITLES, training_demo_slides, training_slide_number


def test_every_page_has_its_slide_text(talk_pdf: Path):
    reader = PdfReader(talk_pdf)
    assert len(reader.pages) == len(SLIDE_TITLES)
    texts = [" ".join(page.extract_text().split()) for page in reader.pages]
    for number, (title, text) in enumerate(zip(SLIDE_TITLES, texts), 1):
        assert title in text, f"page {number}: {title!r} not in {text[:200]!r}"
    assert "Kenneth Pernyer" in texts[0]
    assert "Upload → chunk → embed → store in Weaviate/Neo4j → metadata in Postgres" in texts[4]
    assert "Organizational Twin / RAG + LLM workflows" in texts[SLIDE_TITLES.index("Closing")]
    assert "tap Questions, and upvote what you want answered" in texts[-1]  # the live slide, as exported
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


# --- the training deck --------------------------------------------------------------------------



def training_texts(training_pdf: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(training_pdf).pages]


def test_training_every_page_has_its_slide_text(training_pdf: Path):
    texts = training_texts(training_pdf)
    assert len(texts) == len(TRAINING_TITLES) + sum(training_demo_slides().values())
    for title in TRAINING_TITLES:
        number = training_slide_number(title)
        assert title in texts[number - 1], f"page {number}: {title!r} not in {texts[number - 1][:200]!r}"
    assert "Historical context and fundamentals" in texts[0]
    assert all(text.rstrip().endswith(str(n)) for n, text in enumerate(texts[1:], 2))  # page numbers
    # The facts we state, checked against the source and the public case study.
    sdk = texts[training_slide_number("Setting up your development environment") - 1]
    assert "Go, Java, Python, TypeScript, .NET and PHP" in sdk
    anz = texts[training_slide_number("Case study: ANZ home loans") - 1]
    assert "10x faster" in anz and "six weeks" in anz


def test_training_pdf_has_none_of_the_source_defects(training_pdf: Path):
    everything = "\n".join(training_texts(training_pdf))
    assert not re.search(r"[\u0370-\u1fff\u2e80-\uffef]", everything.replace("’", "").replace("–", "").replace("—", ""))  # no stray non-Latin character
    assert "reliability by" not in everything  # the sentence the source cut off
    assert "\t" not in everything
    reliability = training_texts(training_pdf)[training_slide_number("Benefits in finance") - 1]
    assert "Reliability: processes finish despite crashes and outages, without manual repair" in reliability
    for page in PdfReader(training_pdf).pages:  # every link goes to a real page, none to `#`
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action and "/URI" in action:
                assert str(action["/URI"]).startswith("https://"), action["/URI"]


def test_training_tables_and_diagrams_are_text_in_the_pdf(training_pdf: Path):
    texts = training_texts(training_pdf)
    for title, labels in TRAINING_DIAGRAMS.items():
        text = texts[training_slide_number(title) - 1]
        for label in labels:
            assert label in text, f"{label!r} not in {title!r}: {text!r}"
    table = texts[training_slide_number("Orchestration tools compared") - 1]
    for cell in ("Tool", "Durability", "Step Functions", "AWS SDKs", "Limited", "Celery"):
        assert cell in table


def test_training_pdf_metadata(training_pdf: Path):
    assert PdfReader(training_pdf).metadata.title == "Temporal Training Session 1"


def test_training_sources_have_no_dead_links_or_tab_tables():
    for path in sorted(TRAINING_DIR.glob("*.md")):
        text = path.read_text()
        assert "](#" not in text, path.name
        assert "\t" not in text, path.name
