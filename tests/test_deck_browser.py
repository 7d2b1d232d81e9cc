"""The built talk opened in real Chromium with Playwright, as the audience's browser would show it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import copy_project, run_build
from tests.deckcheck import active_section, goto_slide, launch_options, overflowing_elements, slide_count

pytestmark = pytest.mark.browser

SLIDE_TITLES = [
    "Temporal — Reliable Orchestration for Modern Systems",
    "The Core Problem It Solves",
    "What Temporal Is",
    "Key Building Blocks",
    "How I Use It",
    "Demo: the ingestion pipeline on specialised workers",
    "Demo: the CEO’s inbox, with humans in the loop",
    "Benefits I See",
    "Demo: retries and backoff, with no lost state",
    "Demo: kill the worker, and the workflow finishes anyway",
    "Performance in My System",
    "Architecture Sketch",
    "Practical Advice",
    "Demo: upgrading code under a running workflow",
    "Closing",
]
ARCHITECTURE = SLIDE_TITLES.index("Architecture Sketch") + 1
PERFORMANCE = SLIDE_TITLES.index("Performance in My System") + 1  # the measured scaling chart
DEMO_SLIDES = [n for n, title in enumerate(SLIDE_TITLES, 1) if title.startswith("Demo:")]


@pytest.fixture(scope="module")
def browser() -> Browser:
    with sync_playwright() as p:
        chromium = p.chromium.launch(**launch_options())
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, talk_html: Path) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(talk_html.as_uri())
    yield page
    context.close()


def test_every_slide_is_there_in_order(page: Page):
    assert slide_count(page) == len(SLIDE_TITLES)
    headings = page.locator("section").evaluate_all("ss => ss.map(s => s.querySelector('h1, h2').textContent.trim())")
    assert headings == SLIDE_TITLES


def test_no_slide_content_overflows_its_slide(page: Page):
    problems = {}
    for number in range(1, len(SLIDE_TITLES) + 1):
        goto_slide(page, number)
        if overflowing := overflowing_elements(page):
            problems[number] = overflowing
    assert problems == {}


def test_overflow_check_catches_an_overfull_slide(browser: Browser, tmp_path: Path):
    """The check above must be able to fail: build a deck with a slide too long to fit."""
    root = copy_project(tmp_path / "project")
    slide = root / "slides/talk/11-performance.md"
    slide.write_text(slide.read_text().replace("- Handles long", "\n".join(f"- filler line {i}" for i in range(30)) + "\n- Handles long"))
    result = run_build("html", "--deck", "talk", root=root)
    assert result.returncode == 0, result.output
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto((root / "build/talk.html").as_uri())
    goto_slide(page, SLIDE_TITLES.index("Performance in My System") + 1)
    assert any("filler line 29" in problem for problem in overflowing_elements(page))
    page.close()


def test_each_diagram_is_an_svg_image_that_loads_inside_its_slide(page: Page):
    for number in [ARCHITECTURE, PERFORMANCE, *DEMO_SLIDES]:
        goto_slide(page, number)
        images = active_section(page).locator('.diagram img[src^="data:image/svg+xml;base64,"]')
        assert images.count() == 1, number
        natural = images.first.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
        assert natural[0] and natural[1] > 300 and natural[2] > 100, (number, natural)  # decoded, a real picture
    assert page.locator('.diagram img').count() == 2 + len(DEMO_SLIDES)
    # No diagram is left as a code block, and the deck loads nothing from the network.
    assert page.locator("code.language-mermaid, pre.mermaid").count() == 0
    assert page.locator("script[src], link[rel=stylesheet][href^=http]").count() == 0


def test_theme_colours(page: Page):
    goto_slide(page, 2)
    section = active_section(page)
    style = section.evaluate("s => { const c = getComputedStyle(s); return [c.backgroundColor, c.color, c.fontFamily] }")
    assert style[0] == "rgb(0, 31, 63)"  # #001f3f midnight blue
    assert style[1] == "rgb(192, 192, 192)"  # #C0C0C0 silver
    assert style[2].startswith("-apple-system, BlinkMacSystemFont")
    assert section.locator("strong").first.evaluate("e => getComputedStyle(e).color") == "rgb(255, 111, 97)"  # coral
    goto_slide(page, 1)
    h1 = active_section(page).locator("h1").evaluate("e => { const c = getComputedStyle(e); return [c.color, c.textShadow] }")
    assert h1[0] == "rgb(204, 204, 204)"
    assert "rgba(0, 0, 0, 0.35)" in h1[1] and "2px" in h1[1]
    # The talk has no links yet; the theme's link colour is checked on one added to a slide.
    link = active_section(page).evaluate("s => { const a = document.createElement('a'); a.href = '#'; a.textContent = 'x'; s.appendChild(a); return getComputedStyle(a).color }")
    assert link == "rgb(57, 255, 20)"  # #39FF14 neon green
    pagination = active_section(page).evaluate("s => getComputedStyle(s, '::after').content")
    assert pagination in ('""', "none", "normal"), pagination  # the title slide shows no page number
    goto_slide(page, 3)
    assert active_section(page).evaluate("s => getComputedStyle(s, '::after').content") == '"3"'


def test_arrow_keys_navigate(page: Page):
    assert page.locator("svg.bespoke-marp-active section h1").inner_text().startswith("Temporal")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("location.hash === '#2'")
    assert active_section(page).locator("h2").inner_text() == "The Core Problem It Solves"
    page.keyboard.press("ArrowRight")
    page.wait_for_function("location.hash === '#3'")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("location.hash === '#2'")
    assert active_section(page).locator("h2").inner_text() == "The Core Problem It Solves"


def test_presenter_view_shows_the_speaker_notes(page: Page):
    goto_slide(page, 5)
    with page.context.expect_page() as opened:
        page.keyboard.press("p")
    presenter = opened.value
    presenter.wait_for_load_state()
    note = presenter.locator(".bespoke-marp-note.active")
    note.wait_for(state="visible")
    assert "document ingestion" in note.inner_text()
    # Every slide has notes.
    notes = presenter.locator(".bespoke-marp-note").evaluate_all("ns => ns.map(n => n.textContent.trim().length)")
    assert len(notes) == len(SLIDE_TITLES) and min(notes) > 80, notes
