"""The built decks (the talk, the training) opened in real Chromium with Playwright, as the audience's browser would show it."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import run_build
from tests.deckcheck import active_section, goto_slide, overflowing_elements, slide_count

pytestmark = pytest.mark.browser

SLIDE_TITLES = [
    "Temporal — Reliable Orchestration for Modern Systems",
    "The Core Problem It Solves",
    "What Temporal Is",
    "Key Building Blocks",
    "How I Use It",
    "Demo: the ingestion pipeline on specialised workers",
    "The ingestion run: an answer from the corpus",
    "Demo: the CEO’s inbox, with humans in the loop",
    "The inbox run: priorities and decisions",
    "Benefits I See",
    "Demo: retries and backoff, with no lost state",
    "The retries run: four attempts, no retry code",
    "Poll: the worker is killed in the middle of step 3. What happens?",
    "Demo: kill the worker, and the workflow finishes anyway",
    "The durability run: each step completed once",
    "Performance in My System",
    "Architecture Sketch",
    "Practical Advice",
    "Demo: upgrading code under a running workflow",
    "The versioning runs: pinned, auto-upgrade, replay",
    "Closing",
    "Questions from the room",
]
ARCHITECTURE = SLIDE_TITLES.index("Architecture Sketch") + 1
PERFORMANCE = SLIDE_TITLES.index("Performance in My System") + 1  # the measured scaling chart
DEMO_SLIDES = [n for n, title in enumerate(SLIDE_TITLES, 1) if title.startswith("Demo:")]


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


def test_overflow_check_catches_an_overfull_slide(browser: Browser, project_after_good_build: Path):
    """The check above must be able to fail: build a deck with a slide too long to fit."""
    root = project_after_good_build
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
    for number in [ARCHITECTURE, PERFORMANCE]:
        goto_slide(page, number)
        images = active_section(page).locator('.diagram img[src^="data:image/svg+xml;base64,"]')
        assert images.count() == 1, number
        natural = images.first.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
        assert natural[0] and natural[1] > 300 and natural[2] > 100, (number, natural)  # decoded, a real picture
    assert page.locator('.diagram img').count() == 2
    # No diagram is left as a code block, and the deck loads nothing from the network.
    assert page.locator("code.language-mermaid, pre.mermaid").count() == 0
    assert page.locator("script[src], link[rel=stylesheet][href^=http]").count() == 0


def test_each_demo_slide_draws_its_run_as_a_story_picture_inside_the_slide(page: Page):
    for number in DEMO_SLIDES:
        goto_slide(page, number)
        pictures = active_section(page).locator(".demo-diagram > svg.story")
        assert pictures.count() == 1, number
        box = pictures.first.evaluate("""svg => { const r = svg.getBoundingClientRect(), s = svg.closest('section').getBoundingClientRect();
            const k = s.width / 1280; return {inside: r.left >= s.left - 1 && r.right <= s.right + 1 && r.bottom <= s.bottom + 1,
            scale: r.width / svg.viewBox.baseVal.width / k, rows: svg.querySelectorAll('g.story-row').length} }""")
        assert box["inside"] and box["rows"] >= 3, (number, box)
        assert abs(box["scale"] - 1) < 0.02, (number, box)  # drawn at the slide's own scale: its sizes are the sizes shown
    assert page.locator("svg.story").count() == len(DEMO_SLIDES)


def test_replay_builds_the_captured_picture_up_and_ends_as_it_began(page: Page):
    """The exported HTML, no server: Replay (a real button, keyboard operable) shows the rows of the
    captured durability run in turn, at its pace compressed to at most ~10 s, and ends on the static picture."""
    number = SLIDE_TITLES.index("Demo: kill the worker, and the workflow finishes anyway") + 1
    goto_slide(page, number)
    section = active_section(page)
    replay = section.locator("button.story-replay")
    assert replay.count() == 1 and replay.inner_text() == "Replay"
    picture = section.locator("svg.story")
    shown = "svg => [...svg.querySelectorAll('[data-t]')].filter(g => g.style.visibility !== 'hidden').map(g => g.dataset.row || 'lane')"
    before = picture.evaluate(shown)
    replay.focus()
    page.keyboard.press("Enter")  # the key presses the button; it does not turn the slide
    page.wait_for_timeout(300)
    assert page.evaluate("location.hash") == f"#{number}"
    early = picture.evaluate(shown)
    assert 0 < len(early) < len(before), (early, before)
    assert replay.inner_text() == "Stop"
    page.wait_for_timeout(4000)
    middle = picture.evaluate(shown)
    assert len(early) < len(middle), (early, middle)
    page.wait_for_function("() => !document.querySelector('svg.bespoke-marp-active svg.story.story-replaying')", timeout=12000)
    assert picture.evaluate(shown) == before and replay.inner_text() == "Replay"


def test_theme_colours(page: Page):
    goto_slide(page, 2)
    section = active_section(page)
    style = section.evaluate("s => { const c = getComputedStyle(s); return [c.backgroundColor, c.color, c.fontFamily] }")
    assert style[0] == "rgb(0, 31, 63)"  # #001f3f midnight blue
    assert style[1] == "rgb(192, 192, 192)"  # #C0C0C0 silver
    assert style[2].startswith('"Atkinson Hyperlegible Next"')  # the shipped face, embedded: the same on every machine
    assert page.evaluate("""() => document.fonts.ready.then(() => [...document.fonts]
        .filter(f => f.family.replace(/"/g, '') === 'Atkinson Hyperlegible Next' && f.status === 'loaded').length)""") >= 2
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


def test_demo_slides_carry_the_demo_class_and_name_their_demo(page: Page):
    """Present mode finds demo slides by data-demo; the theme styles them by the demo class."""
    found = page.locator("section").evaluate_all(
        "ss => ss.map(s => [s.classList.contains('demo'), Array.from(s.querySelectorAll('[data-demo]')).map(e => [e.dataset.demo, e.dataset.demoPart, e.parentElement === s])])")
    demo_numbers = [n for n, (_, panels) in enumerate(found, 1) if panels]
    assert DEMO_SLIDES and set(DEMO_SLIDES) <= set(demo_numbers)
    for number in demo_numbers:
        is_demo_class, panels = found[number - 1]
        assert is_demo_class and len(panels) == 1, (number, found[number - 1])
        demo, part, outermost = panels[0]
        assert demo and part in ("diagram", "facts", "poll") and outermost, (number, panels)
        expected = "diagram" if number in DEMO_SLIDES else "poll" if SLIDE_TITLES[number - 1].startswith("Poll:") else "facts"
        assert part == expected, (number, part)


# --- the training deck (slides/training/) -----------------------------------------------------


TRAINING_DIR = Path(__file__).resolve().parent.parent / "slides" / "training"
TRAINING_TITLES = [
    "Temporal Training Session 1",
    "Today’s agenda",
    "How enterprise software evolved",
    "Monolithic systems",
    "Monoliths: strengths and weaknesses",
    "Monoliths in history",
    "Service-oriented architecture (SOA)",
    "Where SOA came from",
    "SOA: strengths and weaknesses",
    "SOA in practice",
    "Microservices",
    "Microservices: benefits",
    "Microservices: challenges",
    "Microservices in history",
    "The need for orchestration",
    "Why workflow orchestration?",
    "Enter Temporal",
    "Module 1",
    "What is Temporal?",
    "Temporal’s characteristics",
    "Temporal at a glance",
    "Core concepts: workflows",
    "Core concepts: activities",
    "Core concepts: workers and task queues",
    "The components together",
    "Temporal server architecture",
    "The services",
    "Event sourcing in Temporal",
    "Why event sourcing pays off",
    "Setting up your development environment",
    "Configuring for real work",
    "Your first workflow (theory)",
    "Temporal and other orchestration tools",
    "What sets Temporal apart",
    "Orchestration tools compared",
    "Module 2",
    "Workflow definition patterns",
    "Deterministic execution explained",
    "Activity design principles",
    "Activity options",
    "Local vs. remote activities",
    "Task queue management",
    "Data serialization in workflows",
    "Workflow state management",
    "Data security in workflows",
    "Module 2 summary",
    "Temporal in finance",
    "Use cases in finance",
    "Case study: ANZ home loans",
    "Benefits in finance",
    "Further reading",
    "Questions from the room",
]
TRAINING_DIAGRAMS = {
    "How enterprise software evolved": ("Monolith", "SOA", "Microservices", "Orchestration"),
    "Temporal server architecture": ("Frontend", "History", "Matching", "Persistence", "Worker service"),
    "Event sourcing in Temporal": ("Event history: append only", "Timer fired", "replay"),
}
TRAINING_TABLES = ["Monoliths: strengths and weaknesses", "SOA: strengths and weaknesses", "Temporal at a glance", "The components together",
                   "Orchestration tools compared", "Local vs. remote activities"]
# The demo slides another team writes land right after their topic's last slide.
TRAINING_DEMOS = {
    "145-demo-account-validation.md": "Your first workflow (theory)",
    "225-demo-local-activities.md": "Local vs. remote activities",
    "235-demo-payments.md": "Task queue management",
    "255-demo-pii-codec.md": "Data security in workflows",
    "275-demo-loan-approval.md": "Case study: ANZ home loans",
}


def slides_in(text: str) -> int:
    """How many slides marp makes of a file: one, plus one per thematic break at the top level."""
    from markdown_it import MarkdownIt

    return 1 + sum(1 for t in MarkdownIt("commonmark", {"html": True}).parse(text) if t.type == "hr" and t.level == 0)


def training_demo_slides() -> dict[str, int]:
    """Title a demo follows -> how many slides the demo files present add after it."""
    return {after: slides_in((TRAINING_DIR / name).read_text()) for name, after in TRAINING_DEMOS.items() if (TRAINING_DIR / name).is_file()}


def training_slide_number(title: str) -> int:
    """1-based slide number of one of our titles in the built deck, counting demo slides before it."""
    index = TRAINING_TITLES.index(title)
    demos = training_demo_slides()
    return index + 1 + sum(count for after, count in demos.items() if TRAINING_TITLES.index(after) < index)


# Smallest text a viewer sees on the active slide, in px at 1280x720: HTML text, and the text of
# each embedded SVG diagram (its font size x the image's rendered width / its viewBox width).
SMALLEST_TEXT_JS = """
(section) => {
  let body = 1e9, any = 1e9, inline = 1e9;
  const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement, style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    // Text in an inline SVG (a demo's story picture) at the size it is drawn: its font size x the
    // picture's scale (1 at the slide's own scale); a diagram label, held to the 18 px floor.
    const picture = el.closest('svg.story');
    const scale = picture ? picture.getBoundingClientRect().width / picture.viewBox.baseVal.width / (section.getBoundingClientRect().width / 1280) : 1;
    const size = parseFloat(style.fontSize) * scale;
    any = Math.min(any, size);
    if (picture) { inline = Math.min(inline, size); continue; }
    // Body text: not headings, a demo's footer (how to run it: 18 px floor, like table cells) or a control.
    if (!el.closest('h1, h2, h3, .demo-footer, button')) body = Math.min(body, size);
  }
  const diagrams = Array.from(section.querySelectorAll('img[src^="data:image/svg+xml"]')).map(img => ({src: img.src, width: img.getBoundingClientRect().width}));
  return {body, any, diagrams, inline};
}
"""
SVG_TEXT_JS = """
(width) => {
  const svg = document.querySelector('svg');
  svg.removeAttribute('width'); svg.removeAttribute('height');
  svg.style.width = width + 'px'; svg.style.height = 'auto'; svg.style.maxWidth = 'none';
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  let smallest = 1e9;
  const walker = document.createTreeWalker(svg, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const style = getComputedStyle(node.parentElement);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    smallest = Math.min(smallest, parseFloat(style.fontSize) * scale);
  }
  return smallest;
}
"""


@pytest.fixture
def training_page(browser: Browser, training_html: Path) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(training_html.as_uri())
    yield page
    context.close()


def test_training_every_slide_is_there_in_order(training_page: Page):
    demos = training_demo_slides()
    assert slide_count(training_page) == len(TRAINING_TITLES) + sum(demos.values())
    headings = training_page.locator("section").evaluate_all("ss => ss.map(s => s.querySelector('h1, h2').textContent.trim())")
    ours = list(headings)
    for after, count in demos.items():  # take the demo slides out where they must be
        at = ours.index(after) + 1
        del ours[at : at + count]
    assert ours == TRAINING_TITLES


def text_sizes(page: Page, browser: Browser) -> dict:
    """The active slide's smallest text in px at 1280x720: `any` (headings too), `body`, `svg`
    (the smallest diagram label as drawn, or None without diagrams)."""
    sizes = active_section(page).evaluate(SMALLEST_TEXT_JS)
    svg_sizes = []
    if sizes["diagrams"]:
        svg_page = browser.new_page(viewport={"width": 1400, "height": 900})
        for diagram in sizes.pop("diagrams"):
            svg = base64.b64decode(diagram["src"].split(",", 1)[1]).decode()
            svg_page.set_content(f'<html><body style="margin:0">{svg}</body></html>')
            svg_sizes.append(svg_page.evaluate(SVG_TEXT_JS, diagram["width"]))
        svg_page.close()
    if sizes["inline"] < 1e9:
        svg_sizes.append(sizes["inline"])
    return {"any": sizes["any"], "body": sizes["body"], "svg": min(svg_sizes) if svg_sizes else None}


def illegible(sizes: dict) -> bool:
    return sizes["any"] < 18 or sizes["body"] < 24 or (sizes["svg"] is not None and sizes["svg"] < 18)


def test_training_no_slide_overflows_and_all_text_is_legible(training_page: Page, browser: Browser):
    """Read from the back of the room: body text >= 24 px, nothing (diagram labels included) < 18 px."""
    overflow, small, measured = {}, {}, []
    for number in range(1, slide_count(training_page) + 1):
        goto_slide(training_page, number)
        if found := overflowing_elements(training_page):
            overflow[number] = found
        sizes = text_sizes(training_page, browser)
        measured.append(sizes)
        if illegible(sizes):
            small[number] = sizes
    assert overflow == {}
    assert small == {}, small
    assert min(s["svg"] for s in measured if s["svg"] is not None) >= 18  # the diagrams were measured


def test_legibility_check_catches_small_diagram_text(browser: Browser, built_training: Path, tmp_path: Path):
    """The check above must be able to fail: the event-sourcing diagram drawn at its natural size,
    stacked vertically, is squeezed into the slide's height and its labels shrink below 18 px."""
    root = shutil.copytree(built_training, tmp_path / "project")  # with its build caches: only the edit is new
    slide = root / "slides/training/125-event-sourcing.md"
    text = slide.read_text()
    assert "<style scoped>" in text and "direction LR" in text
    slide.write_text("\n".join(line for line in text.splitlines() if "<style scoped>" not in line).replace("direction LR", "direction TB") + "\n")
    result = run_build("html", "--deck", "training", root=root)
    assert result.returncode == 0, result.output
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto((root / "build/training.html").as_uri())
    goto_slide(page, training_slide_number("Event sourcing in Temporal"))
    sizes = text_sizes(page, browser)
    assert sizes["svg"] is not None and sizes["svg"] < 18 and illegible(sizes), sizes
    page.close()


def test_training_diagrams_are_svg_images(training_page: Page):
    for title in TRAINING_DIAGRAMS:
        goto_slide(training_page, training_slide_number(title))
        section = active_section(training_page)
        assert section.locator("h2").inner_text() == title
        images = section.locator('.diagram img[src^="data:image/svg+xml;base64,"]')
        assert images.count() == 1, title
        natural = images.first.evaluate("img => [img.complete, img.naturalWidth, img.getBoundingClientRect().width]")
        assert natural[0] and natural[1] > 300 and natural[2] > 800, (title, natural)  # loaded, and drawn large
    assert training_page.locator("code.language-mermaid, pre.mermaid").count() == 0


def test_training_tables_are_real_tables_in_the_theme_colours(training_page: Page):
    for title in TRAINING_TABLES:
        goto_slide(training_page, training_slide_number(title))
        table = active_section(training_page).locator("table")
        assert table.count() == 1, title
        assert table.locator("th").count() >= 2 and table.locator("tbody tr").count() >= 2, title
        colours = table.evaluate("""t => {
            const td = t.querySelector('tbody td'), th = t.querySelector('th');
            return [getComputedStyle(td).color, getComputedStyle(th).color, getComputedStyle(t.querySelector('tbody tr')).backgroundColor, getComputedStyle(td).backgroundColor];
        }""")
        assert colours[0] == "rgb(192, 192, 192)" and colours[1] == "rgb(204, 204, 204)", (title, colours)  # silver on
        assert colours[2] == "rgba(0, 0, 0, 0)" and colours[3] == "rgba(0, 0, 0, 0)", (title, colours)  # the midnight blue
    section = active_section(training_page)
    assert section.evaluate("s => getComputedStyle(s).backgroundColor") == "rgb(0, 31, 63)"


def test_training_links_point_at_real_pages(training_page: Page):
    hrefs = training_page.locator("section a[href]").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert hrefs, "the further-reading slide links the documentation"
    assert all(href.startswith("https://") for href in hrefs), hrefs


def test_training_presenter_notes_on_every_slide(training_page: Page):
    goto_slide(training_page, training_slide_number("Temporal server architecture"))
    with training_page.context.expect_page() as opened:
        training_page.keyboard.press("p")
    presenter = opened.value
    presenter.wait_for_load_state()
    note = presenter.locator(".bespoke-marp-note.active")
    note.wait_for(state="visible")
    assert "Frontend service" in note.inner_text()
    notes = presenter.locator(".bespoke-marp-note").evaluate_all("ns => ns.map(n => n.textContent.trim().length)")
    assert len(notes) == slide_count(training_page) and min(notes) > 80, notes
