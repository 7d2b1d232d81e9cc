"""The decks as they travel (`make export`): PowerPoint with notes, the handout, PDFs with bookmarks,
tags and only the shipped fonts, and an HTML deck a screen reader and a keyboard can use (axe-core)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from pptx import Presentation
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from tests import axe
from tests.deckcheck import active_section, goto_slide, slide_count
from tests.test_deck_browser import ARCHITECTURE, SLIDE_TITLES

SHIPPED_FACES = re.compile(r"^(AtkinsonHyperlegibleNext-(Regular|Bold|Italic)|AtkinsonHyperlegibleMono\w*-Regular|DejaVuSans)$")


@pytest.fixture(scope="module", params=["talk", "training"])
def deck(request, built_project: Path, built_training: Path) -> tuple[str, Path]:
    """(deck name, its build folder), for each deck."""
    root = built_project if request.param == "talk" else built_training
    return request.param, root / "build"


def _notes(html_path: Path) -> list[str]:
    """Each slide's speaker notes as plain text, from the HTML deck (index = slide - 1)."""
    page = html_path.read_text()
    count = len(re.findall(r"<section id=\"\d+\"", page))
    notes = [""] * count
    for index, body in re.findall(r'<div class="bespoke-marp-note" data-index="(\d+)"[^>]*>(.*?)</div>', page, re.S):
        notes[int(index)] = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    return notes


def _words(text: str) -> str:
    return " ".join(text.split())


def _fonts(pdf: Path) -> set[str]:
    """Every face a PDF's fonts come from (what `pdffonts` lists), subset prefix removed: pages and their forms."""
    found: set[str] = set()

    def walk(resources, seen: set[int]) -> None:
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            # A Type 3 font (Chromium draws stroked text, e.g. a label's halo, as glyph outlines) has no
            # /BaseFont, and pdffonts shows "[none]": its descriptor names the face the glyphs come from.
            name = font["/BaseFont"] if "/BaseFont" in font else font["/FontDescriptor"].get_object()["/FontName"]
            found.add(re.sub(r"^[A-Z]{6}\+", "", str(name).lstrip("/")))
        for xobject in (resources.get("/XObject") or {}).values():
            ref = xobject.idnum if isinstance(xobject, IndirectObject) else id(xobject)
            if ref not in seen:
                seen.add(ref)
                walk(xobject.get_object().get("/Resources"), seen)

    for page in PdfReader(pdf).pages:
        walk(page.get("/Resources"), set())
    return found


def _outline_titles(reader: PdfReader) -> list[tuple[str, int]]:
    return [(str(item.title), reader.get_destination_page_number(item)) for item in reader.outline if not isinstance(item, list)]


# --- PowerPoint ----------------------------------------------------------------------------------


def test_pptx_has_a_slide_per_pdf_page_and_the_notes(built_project: Path):
    name, build = "talk", built_project / "build"
    pptx = Presentation(str(build / f"{name}.pptx"))
    pages = len(PdfReader(build / f"{name}.pdf").pages)
    assert len(pptx.slides) == pages
    assert pptx.slide_width * 9 == pptx.slide_height * 16  # 16:9, as the deck
    notes = _notes(build / f"{name}.html")
    for number, (slide, expected) in enumerate(zip(pptx.slides, notes), 1):
        assert slide.part.rels and any("image" in r.reltype for r in slide.part.rels.values()), f"slide {number}: no picture"
        text = _words(slide.notes_slide.notes_text_frame.text) if slide.has_notes_slide else ""
        assert text == expected, f"slide {number}: notes {text[:80]!r} != {expected[:80]!r}"
    assert sum(bool(n) for n in notes) >= pages - 1  # every slide of ours has notes


# --- the handout ---------------------------------------------------------------------------------


def test_handout_prints_every_slide_with_its_notes(built_project: Path):
    name, build = "talk", built_project / "build"
    reader = PdfReader(build / f"{name}-handout.pdf")
    notes = _notes(build / f"{name}.html")
    texts = [_words(page.extract_text()) for page in reader.pages]
    assert len(texts) >= len(notes)
    joined = " ".join(texts)
    page = 0
    for number, note in enumerate(notes, 1):
        label = f"Slide {number} of {len(notes)}"
        page = next((n for n in range(page, len(texts)) if label in texts[n]), None)
        assert page is not None, f"{label} not in the handout"
        if note:
            assert note[:150] in joined, f"slide {number}'s notes are not in the handout: {note[:80]!r}"
    assert len(_outline_titles(reader)) == len(notes)
    assert reader.pages[0].mediabox.width == pytest.approx(595, abs=2)  # A4 portrait
    assert reader.metadata.title.endswith("(handout)") and reader.metadata.author == "Kenneth Pernyer"
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in reader.trailer["/Root"]


# --- the PDFs ------------------------------------------------------------------------------------


def test_pdf_bookmarks_are_the_slide_titles_and_it_stays_tagged(built_project: Path):
    reader = PdfReader(built_project / "build/talk.pdf")
    assert _outline_titles(reader) == [(title, n) for n, title in enumerate(SLIDE_TITLES)]
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    document = root["/StructTreeRoot"].get_object()["/K"].get_object()  # Chromium's tags, kept through our update
    assert document["/S"] == "/Document" and document["/Lang"] == "en" and len(document["/K"]) >= len(SLIDE_TITLES)
    assert root["/Lang"] == "en"
    assert reader.metadata.title == SLIDE_TITLES[0] and reader.metadata.author == "Kenneth Pernyer"


def test_training_pdf_bookmarks_title_author_language(training_pdf: Path):
    reader = PdfReader(training_pdf)
    titles = _outline_titles(reader)
    assert len(titles) == len(reader.pages) and titles[0] == ("Temporal Training Session 1", 0)
    assert not [t for t, _ in titles if t.startswith("Slide ")]  # every slide has a title
    assert reader.trailer["/Root"]["/Lang"] == "en" and "/StructTreeRoot" in reader.trailer["/Root"]
    assert reader.metadata.author == "Kenneth Pernyer"


def test_every_pdf_uses_only_the_shipped_fonts(deck):
    name, build = deck
    for pdf in (build / f"{name}.pdf", *([build / f"{name}-handout.pdf"] if name == "talk" else [])):
        fonts = _fonts(pdf)
        assert "AtkinsonHyperlegibleNext-Regular" in fonts, fonts
        assert all(SHIPPED_FACES.match(f) for f in fonts), f"{pdf.name}: {sorted(fonts)}"


# --- the HTML deck, without mouse or sight ----------------------------------------------------------


@pytest.fixture
def deck_page(browser, deck):
    name, build = deck
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto((build / f"{name}.html").as_uri())
    yield page
    context.close()


def test_axe_finds_nothing_serious_on_any_slide(deck_page, deck):
    name, build = deck
    count = slide_count(deck_page)
    found = axe.deck_violations(deck_page, (build / f"{name}.html").as_uri(), goto_slide, count)
    assert not found, f"{name}:\n{axe.describe(found)}"


@pytest.mark.browser
def test_axe_helper_reports_what_it_should(browser):
    """The helper is not blind: a page with the defects axe found on the old deck fails it."""
    page = browser.new_page()
    page.set_content('<html lang="C"><body><main><img src="data:,"><p lang="C">x</p></main></body></html>')
    ids = {v["id"] for v in axe.violations(page)}
    assert {"html-lang-valid", "valid-lang", "image-alt"} <= ids
    page.close()


def test_slides_are_named_regions_and_changes_are_announced(deck_page, deck):
    name, _ = deck
    page = deck_page
    assert page.evaluate("document.documentElement.lang") == "en"
    labels = page.locator("[role=main] section[aria-roledescription=slide]").evaluate_all("ss => ss.map(s => s.getAttribute('aria-label'))")
    assert len(labels) == slide_count(page)
    if name == "talk":
        assert labels == [f"Slide {n} of {len(SLIDE_TITLES)}: {t}" for n, t in enumerate(SLIDE_TITLES, 1)]
    live = page.locator("#deck-announcer[aria-live=polite]")
    assert live.count() == 1 and live.inner_text() == ""  # nothing said over the page's own title on load
    page.keyboard.press("ArrowRight")
    page.wait_for_function("location.hash === '#2'")
    page.wait_for_function("() => document.getElementById('deck-announcer').textContent.startsWith('Slide 2 of ')")
    assert live.text_content() == labels[1]
    page.keyboard.press("End")
    page.wait_for_function(f"location.hash === '#{len(labels)}'")
    page.wait_for_function("n => document.getElementById('deck-announcer').textContent === n", arg=labels[-1])
    # A screen reader's view of the active slide: a region named after the slide.
    snapshot = page.locator("[role=main]").aria_snapshot()
    assert f'region "{labels[-1]}"' in snapshot, snapshot[:400]


def test_diagram_alt_texts_say_what_they_show(built_project: Path):
    page = (built_project / "build/talk.html").read_text()
    alts = [html.unescape(a) for a in re.findall(r'<img alt="([^"]*)" src="data:image/svg', page)]
    assert len(alts) == 2 and not [a for a in alts if re.match(r"Mermaid \w+ diagram", a) or len(a) < 40], alts
    architecture = next(a for a in alts if "Temporal Server" in a)
    for label in ("User / API", "Activity: Ingest", "Temporal Web UI", "state & history"):
        assert label in architecture, architecture
    chart = next(a for a in alts if a.startswith("Chart"))
    assert re.fullmatch(r"Chart with bars of documents/s by ML worker processes: 1: [\d.]+, 2: [\d.]+, 4: [\d.]+\.", chart), chart


def test_the_architecture_slide_reads_its_diagram(deck_page, deck):
    """The alt is on the <img> the reader meets on the slide, in the accessibility tree."""
    if deck[0] != "talk":
        pytest.skip("the architecture sketch is a talk slide")
    goto_slide(deck_page, ARCHITECTURE)
    name = active_section(deck_page).get_by_role("img").first.get_attribute("alt")
    assert "Temporal Server" in name and name.startswith("Flowchart")
