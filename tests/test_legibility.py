"""Text the back row can read: every deck, every slide, measured in real Chromium at 1280x720.

The floor (issue 7): no text under 18 px, diagram labels inside the SVGs included at the size the
slide shows them; paragraphs and list items >= 24 px. The method is the one of
../shared/tools/slide-legibility, re-implemented here (and stricter: header, footer and page
number count; the CSS inside an SVG's <style> does not).
"""

from __future__ import annotations

import base64
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest
from playwright.sync_api import Browser

from tests.conftest import REPO, copy_project, run_build
from tests.deckcheck import active_section, goto_slide, slide_count

pytestmark = pytest.mark.browser

MIN_TEXT_PX = 18
MIN_BODY_PX = 24
DECKS = sorted(p.parent.name for p in (REPO / "slides").glob("*/deck.toml"))

# For the active slide, in slide pixels (the slide is 1280 wide; at another window size the
# marpit <svg> scales it): every visible text node's font size, the font size of every paragraph
# and list item outside tables, diagrams and code, the page number, and each SVG image with the
# width it is shown at.
SLIDE_JS = """
(section) => {
  const marpit = section.closest('svg[data-marpit-svg]');
  const scale = marpit.getBoundingClientRect().width / marpit.viewBox.baseVal.width;
  const visible = el => el.checkVisibility({visibilityProperty: true});
  const px = el => parseFloat(getComputedStyle(el).fontSize) * scale;
  const texts = [];
  const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const el = walker.currentNode.parentElement;
    if (!text || !visible(el)) continue;
    texts.push({px: px(el), text: text.slice(0, 60)});
  }
  const after = getComputedStyle(section, '::after');
  if (!['none', 'normal', '""'].includes(after.content))
    texts.push({px: parseFloat(after.fontSize) * scale, text: 'page number ' + after.content});
  const body = Array.from(section.querySelectorAll('p, li'))
    .filter(el => visible(el) && el.textContent.trim() && !el.closest('table, pre, .diagram, header, footer'))
    .map(el => ({px: px(el), text: el.textContent.trim().slice(0, 60)}));
  const images = Array.from(section.querySelectorAll('img'))
    .filter(im => im.src.startsWith('data:image/svg+xml') && visible(im))
    .map(im => ({src: im.src, width: im.getBoundingClientRect().width / scale}));
  const heading = section.querySelector('h1, h2, h3');
  return {title: heading ? heading.textContent.trim() : '', texts, body, images};
}
"""

# An SVG laid out at the width the slide shows it: each label's font size times that width over
# the viewBox width (the scale an <img> applies). Text in <style>, <title>, <desc> is not shown.
SVG_JS = """
(width) => {
  const svg = document.querySelector('svg');
  svg.removeAttribute('width'); svg.removeAttribute('height');
  svg.style.width = width + 'px'; svg.style.height = 'auto'; svg.style.maxWidth = 'none';
  const box = svg.viewBox.baseVal;
  const k = svg.getBoundingClientRect().width / (box && box.width ? box.width : width);
  const out = [];
  const walker = document.createTreeWalker(svg, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const el = walker.currentNode.parentElement;
    if (!text || el.closest('style, title, desc, script')) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') continue;
    const label = el.closest('text') || el;  // Mermaid puts each word in its own <tspan>
    out.push({px: parseFloat(cs.fontSize) * k, text: label.textContent.trim().slice(0, 60)});
  }
  return out;
}
"""


@dataclass
class Slide:
    number: int
    title: str
    smallest_text: dict | None
    smallest_label: dict | None
    smallest_body: dict | None


def _svg_source(src: str) -> str:
    head, data = src.split(",", 1)
    return base64.b64decode(data).decode("utf-8", "replace") if head.endswith(";base64") else unquote(data)


def _smallest(items: list[dict]) -> dict | None:
    return min(items, key=lambda item: item["px"]) if items else None


def measure_deck(browser: Browser, html: Path) -> list[Slide]:
    """The smallest text, SVG label and paragraph of every slide of a built deck."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page, svg_page = context.new_page(), context.new_page()
    page.goto(html.as_uri())
    slides = []
    for number in range(1, slide_count(page) + 1):
        goto_slide(page, number)
        found = active_section(page).evaluate(SLIDE_JS)
        labels = []
        for image in found["images"]:
            svg_page.set_content(f'<html><body style="margin:0">{_svg_source(image["src"])}</body></html>')
            labels += svg_page.evaluate(SVG_JS, image["width"])
        slides.append(Slide(number, found["title"], _smallest(found["texts"]), _smallest(labels), _smallest(found["body"])))
    context.close()
    return slides


def problems(deck: str, slides: list[Slide]) -> list[str]:
    out = []
    for s in slides:
        where = f"deck {deck}, slide {s.number} ({s.title!r})"
        if s.smallest_text and s.smallest_text["px"] < MIN_TEXT_PX:
            out.append(f"{where}: text at {s.smallest_text['px']:.1f} px < {MIN_TEXT_PX}: {s.smallest_text['text']!r}")
        if s.smallest_label and s.smallest_label["px"] < MIN_TEXT_PX:
            out.append(f"{where}: diagram label at {s.smallest_label['px']:.1f} px < {MIN_TEXT_PX}: {s.smallest_label['text']!r}")
        if s.smallest_body and s.smallest_body["px"] < MIN_BODY_PX:
            out.append(f"{where}: body text at {s.smallest_body['px']:.1f} px < {MIN_BODY_PX}: {s.smallest_body['text']!r}")
    return out


@pytest.fixture(scope="module")
def built_decks(tmp_path_factory: pytest.TempPathFactory, built_project: Path, built_training: Path) -> Path:
    """Every deck under slides/, built to HTML in a copy of the project (with the committed captures).
    The copy starts from the session's built talk and training (their caches merged): those two come
    from the build cache, any other deck is built here from scratch."""
    root = tmp_path_factory.mktemp("legibility") / "project"
    shutil.copytree(built_project, root)
    shutil.copytree(built_training / "build", root / "build", dirs_exist_ok=True)
    result = run_build("html", root=root)
    assert result.returncode == 0, result.output
    return root / "build"


def test_every_deck_is_measured():
    assert "talk" in DECKS


@pytest.mark.parametrize("deck", DECKS)
def test_every_slide_is_readable_from_the_back_row(deck: str, browser: Browser, built_decks: Path):
    slides = measure_deck(browser, built_decks / f"{deck}.html")
    assert slides, f"deck {deck}: no slides found in {deck}.html"
    found = problems(deck, slides)
    assert not found, "\n".join(found)


def test_the_check_catches_small_text_small_paragraphs_and_small_diagram_labels(browser: Browser, tmp_path: Path):
    """The check above must be able to fail: a deck with one of each mistake."""
    root = copy_project(tmp_path / "project")
    for other in (root / "slides").glob("*/deck.toml"):
        shutil.rmtree(other.parent)
    deck = root / "slides/tiny"
    deck.mkdir()
    (deck / "deck.toml").write_text('title = "Tiny"\ntheme = "midnight-blue"\n')
    chain = " --> ".join(f'N{i}["a wide node number {i}"]' for i in range(9))
    (deck / "01-small.md").write_text(
        "## Small things\n\n"
        '<p style="font-size: 20px">a paragraph at twenty pixels</p>\n\n'
        '<div><span style="font-size: 12px">a footnote at twelve</span></div>\n\n'
        f"```mermaid\nflowchart LR\n    {chain}\n```\n"
    )
    (deck / "02-fine.md").write_text("## Fine\n\n- a list item at the theme's size\n")
    result = run_build("html", "--deck", "tiny", root=root)
    assert result.returncode == 0, result.output
    slides = measure_deck(browser, root / "build/tiny.html")
    found = problems("tiny", slides)
    assert len(found) == 3, found
    assert found[0].startswith("deck tiny, slide 1 ('Small things'): text at 12.0 px < 18: 'a footnote at twelve'")
    assert found[1].startswith("deck tiny, slide 1 ('Small things'): diagram label at") and "a wide node number" in found[1]
    assert found[2].startswith("deck tiny, slide 1 ('Small things'): body text at 20.0 px < 24: 'a paragraph at twenty pixels'")
    assert slides[1].smallest_body["px"] >= MIN_BODY_PX and slides[1].smallest_text["px"] >= MIN_TEXT_PX
