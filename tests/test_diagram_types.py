"""Every Mermaid diagram type, rendered through the pipeline and measured in real Chromium.

tests/data/diagram-types.md holds one diagram of each type the pinned Mermaid registers (a test
checks the list against Mermaid itself, so a Mermaid upgrade that adds a type fails here until it
has a diagram). They become one deck's slides, go through the diagram stage, and every SVG image is
laid on the slide background in Chromium and measured the way /work/shared/tools/diagram-contrast
does it: for each visible text, WCAG contrast between its colour and what is painted right behind
its centre. Categorical colours (pie, git, radar, xychart, timeline, sankey, venn, journey, mindmap)
are read back from the SVG and must be distinct from each other and from the background.

Also the long-lived renderer itself: reuse, a broken diagram failing alone, no process left behind.
"""

from __future__ import annotations

import base64
import html
import itertools
import os
import re
import time
from pathlib import Path

import pytest

from deckbuild import diagrams, palette, render
from deckbuild.browser import HEADLESS_ARGS, find_browser
from deckbuild.config import REPO_ROOT, Config
from deckbuild.errors import ExitCode, ToolFailed
from tests.test_render import make_project

TYPES_MD = Path(__file__).parent / "data" / "diagram-types.md"
BACKGROUND = "#001f3f"
MIN_TEXT_CONTRAST = 4.5  # WCAG AA for text
MIN_GRAPHIC_CONTRAST = 3.0  # WCAG 1.4.11, a coloured mark against the slide
MIN_DELTA_E = 15.0  # CIE76 between two categorical colours: clearly different hues/lightness

# Mermaid ids drawn by the same renderer as one in the fixture (aliases and variants).
SAME_RENDERER = {"classDiagram": "class", "stateDiagram": "state", "flowchart-elk": "flowchart", "flowchart-v2": "flowchart",
                 "railroad": "railroadEbnf", "railroadAbnf": "railroadEbnf", "railroadPeg": "railroadEbnf"}

# Where each categorical diagram keeps its series colours: (CSS selector, property, how many series).
CATEGORICAL = {
    "pie": ("path.pieCircle", "fill", 8),
    "gitGraph": ("rect.branchLabelBkg", "fill", 8),
    "radar": ("[class^=radarCurve-]", "stroke", 4),
    "xychart": (".bar-plot-0 rect, [class^=line-plot-] path", "fill|stroke", 3),
    "timeline": (".timeline-node .node-bkg", "fill", 7),
    "sankey": (".node rect", "fill", 6),
    "venn": (".venn-circle path", "stroke", 2),
    "journey": ("rect.journey-section", "fill", 2),
    "mindmap": (".mindmap-node > .node-bkg, .mindmap-node > circle", "fill", 5),
}

# The measuring method of ../shared/tools/diagram-contrast, copied.
MEASURE_JS = r"""(bg) => {
  const parse = (c) => { const m = c && c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(',').map(x => parseFloat(x)); return {r:p[0], g:p[1], b:p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = (c) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const blend = (top, under) => ({r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a), b: top.b * top.a + under.b * (1 - top.a), a: 1});
  const pageBg = parse(bg);
  const svg = document.querySelector('svg');
  const texts = []; let min = 99;
  const walker = document.createTreeWalker(svg, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const t = walker.currentNode; const txt = t.textContent.trim(); if (!txt) continue;
    const el = t.parentElement; const cs = getComputedStyle(el);
    if (el.closest('style, title, desc')) continue;
    if (cs.display === 'none' || cs.visibility === 'hidden' || parseFloat(cs.opacity) === 0) continue;
    const range = document.createRange(); range.selectNodeContents(t); const r = range.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    const isSvgText = el instanceof SVGElement;
    let fg = parse(isSvgText ? cs.fill : cs.color) || parse(cs.color); if (!fg) continue;
    const stack = document.elementsFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    let under = pageBg; const layers = [];
    for (const e of stack) {
      if (e === el || el.contains(e) || e.contains(el) && (e.tagName === 'text' || e.tagName === 'tspan')) continue;
      if (e.tagName === 'text' || e.tagName === 'tspan' || e.tagName === 'HTML' || e.tagName === 'BODY') continue;
      const s = getComputedStyle(e);
      const c = parse(e instanceof SVGElement ? s.fill : s.backgroundColor);
      const op = parseFloat(s.opacity) * (e instanceof SVGElement ? parseFloat(s.fillOpacity || 1) : 1);
      if (c && c.a * op > 0.05 && !(e instanceof SVGSVGElement)) { layers.push({...c, a: c.a * op}); if (c.a * op > 0.95) break; }
    }
    for (let i = layers.length - 1; i >= 0; i--) under = blend(layers[i], under);
    fg = blend(fg, under);
    const c = ratio(fg, under);
    min = Math.min(min, c);
    texts.push({text: txt.slice(0, 40), contrast: Math.round(c * 100) / 100});
  }
  return {min: min === 99 ? null : Math.round(min * 100) / 100, texts};
}"""

COLOURS_JS = r"""([selector, props]) => [...document.querySelectorAll(selector)].map(e => {
  const s = getComputedStyle(e);
  for (const p of props.split('|')) { const v = s.getPropertyValue(p); if (v && v !== 'none' && !v.includes('url(')) return v; }
  return null;
}).filter(Boolean)"""


def fixture_diagrams() -> list[tuple[str, str]]:
    """(Mermaid id, source) of every diagram in the fixture, in order."""
    return re.findall(r"^## (\S+)\n\n```mermaid\n(.*?)```", TYPES_MD.read_text(), re.M | re.S)


def mermaid_diagram_ids() -> set[str]:
    """Every diagram id the installed Mermaid registers (its detectors), plus the external zenuml."""
    core = (REPO_ROOT / "node_modules/mermaid/dist/mermaid.core.mjs").read_text()
    return set(re.findall(r'^var id\d* = "([\w-]+)";', core, re.M)) | {"zenuml"}


def test_the_fixture_has_every_diagram_type_of_the_pinned_mermaid():
    covered = {name for name, _ in fixture_diagrams()}
    missing = {i for i in mermaid_diagram_ids() if SAME_RENDERER.get(i, i) not in covered}
    assert len(covered) >= 30 and not missing, f"no diagram in {TYPES_MD.name} for: {sorted(missing)}"


def _rgb(colour: str) -> tuple[float, float, float]:
    if colour.startswith("#"):
        return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
    parts = [float(x) for x in re.findall(r"[\d.]+", colour)[:3]]
    return parts[0], parts[1], parts[2]


def _linear(c: float) -> float:
    c /= 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def contrast(a: str, b: str) -> float:
    la, lb = (0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(bl) for r, g, bl in (_rgb(a), _rgb(b)))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def delta_e(a: str, b: str) -> float:
    """CIE76 colour difference (Lab, D65)."""

    def lab(colour: str) -> tuple[float, float, float]:
        r, g, b = (_linear(c) for c in _rgb(colour))
        x, y, z = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
        f = lambda t: t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116  # noqa: E731
        return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))

    return sum((p - q) ** 2 for p, q in zip(lab(a), lab(b))) ** 0.5


def test_the_theme_categorical_palette_is_distinct_and_readable():
    p = palette.read_palette((REPO_ROOT / "theme/midnight-blue.css").read_text())
    chart = palette.chart_colours(p)
    assert "chart-1" in p and len(chart) >= 8  # read from the theme, not the built-in fallback
    for a, b in itertools.combinations(chart, 2):
        assert delta_e(a, b) >= 20, f"{a} and {b} are too alike"
    for colour in chart:
        assert contrast(colour, p["background"]) >= MIN_GRAPHIC_CONTRAST
        assert contrast(colour, p["background"]) >= MIN_TEXT_CONTRAST  # the dark labels drawn on them


@pytest.fixture(scope="module")
def rendered_svgs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each fixture diagram as the pipeline embeds it (an <img> data URI), decoded, by Mermaid id."""
    items = fixture_diagrams()
    base = tmp_path_factory.mktemp("types")
    slides = {f"{n:02d}-{name}.md": f"## {name}\n\n```mermaid\n{source}```\n" for n, (name, source) in enumerate(items, 1)}
    cfg = make_project(base, slides)
    cfg = Config(root=cfg.root, build_dir=cfg.build_dir, node_modules=REPO_ROOT / "node_modules")
    deck = render.load_deck(cfg, "d")
    texts = diagrams.render_and_embed(cfg, render.render_deck(cfg, deck))
    svgs = {}
    for (name, _), text in zip(items, texts):
        [data] = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', text)
        svgs[name] = base64.b64decode(data).decode()
    return svgs


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_browser(), args=list(HEADLESS_ARGS))
        yield browser.new_page(viewport={"width": 1800, "height": 1400})
        browser.close()


def _show(page, svg: str) -> None:
    """The SVG at its own size on the slide colour, the viewport grown to hold all of it (a text
    outside the viewport has nothing under it for elementsFromPoint, and would measure 1:1)."""
    match = re.search(r'<svg[^>]* width="([\d.]+)" height="([\d.]+)"', svg)
    width, height = (float(match.group(1)), float(match.group(2))) if match else (0, 0)
    page.set_viewport_size({"width": max(1800, int(width) + 20), "height": max(1400, int(height) + 20)})
    page.set_content(f'<html><body style="margin:0;background:{BACKGROUND}">{svg}</body></html>')


@pytest.mark.browser
@pytest.mark.parametrize("name", [name for name, _ in fixture_diagrams()])
def test_every_text_reads_against_what_is_behind_it(rendered_svgs: dict[str, str], page, name: str):
    _show(page, rendered_svgs[name])
    result = page.evaluate(MEASURE_JS, "rgb(0, 31, 63)")
    assert result["texts"], f"{name}: no visible text measured"
    low = [t for t in result["texts"] if t["contrast"] < MIN_TEXT_CONTRAST]
    assert not low, f"{name}: texts under {MIN_TEXT_CONTRAST}:1: {low[:8]}"


@pytest.mark.browser
@pytest.mark.parametrize("name", sorted(CATEGORICAL))
def test_categorical_colours_are_distinct_and_stand_out(rendered_svgs: dict[str, str], page, name: str):
    selector, props, series = CATEGORICAL[name]
    _show(page, rendered_svgs[name])
    colours = page.evaluate(COLOURS_JS, [selector, props])
    distinct = sorted(set(colours))
    assert len(distinct) >= series, f"{name}: {series} series but only {len(distinct)} colours: {distinct}"
    for colour in distinct:
        assert contrast(colour, BACKGROUND) >= MIN_GRAPHIC_CONTRAST, f"{name}: {colour} hardly shows on the slide"
    for a, b in itertools.combinations(distinct, 2):
        assert delta_e(a, b) >= MIN_DELTA_E, f"{name}: {a} and {b} are too alike"


@pytest.mark.browser
def test_a_diagram_with_its_own_light_fills_gets_dark_text(rendered_svgs: dict[str, str], page):
    _show(page, rendered_svgs["flowchart"])  # `class E light` (#fff), `style D fill:#ffeb3b`, `style B fill:#5a5a5a`
    result = page.evaluate(MEASURE_JS, "rgb(0, 31, 63)")
    by_text = {t["text"]: t["contrast"] for t in result["texts"]}
    assert by_text["Embed"] >= MIN_TEXT_CONTRAST and by_text["Reject"] >= MIN_TEXT_CONTRAST
    assert by_text["Valid?"] >= MIN_TEXT_CONTRAST  # mid-grey: neither theme text colour reaches 4.5, white does
    assert by_text["Upload"] >= MIN_TEXT_CONTRAST  # the untouched light-on-navy labels stay as they were


# --- text alternatives ---------------------------------------------------------------------------

# What a reader who cannot see the picture is told, for the types whose structure Mermaid's parse
# gives (steps in order, links, elements and relations); every other type names its labels.
ALT_SAYS = {
    "flowchart": ["Flowchart: Upload to Valid?", "Valid? to Store (yes)", "Valid? to Reject (no)", "Store to Embed"],
    "sequence": ["Sequence diagram between Workflow, User and Activity", "User to Workflow: start", "note: retries with backoff",
                 "if success, Activity to Workflow: result", "else failure, Activity to Workflow: error", "loop every minute, Workflow to Workflow: timer"],
    "c4": ['C4 diagram "Ingestion system"', "Object store (external system): S3", "Auditor (external person)", "Worker (container): Runs activities",
           "Analyst to Ingestion: Uploads [HTTPS]", "Ingestion to CRM: Looks up [REST]", "Boundaries: Company and Workers"],
    "journey": ['User journey "Onboarding"', "Create account", "Ask for help", "Support"],
    "pie": ['Pie chart "Time spent"', "Waiting", "Retrying"],
    "xychart": ['Chart "Throughput" with bars of Docs per minute by category: w1: 20, w2: 45', "; and a line of Docs per minute by category: w1: 15"],
    "flowchart-accessible": ["The retry loop. An activity that fails waits out its backoff and runs again, until it succeeds."],
}


def _visible_labels(svg: str) -> list[str]:
    body = re.sub(r"<(style|title|desc)\b.*?</\1>", "", svg, flags=re.S)
    texts = (" ".join(html.unescape(t).split()) for t in re.findall(r">([^<>]+)<", body))
    return [t for t in texts if len(t) >= 3 and not t.isdigit()]


@pytest.mark.parametrize("name", [name for name, _ in fixture_diagrams()])
def test_every_diagram_says_what_it_shows(rendered_svgs: dict[str, str], name: str):
    svg = rendered_svgs[name]
    alt = diagrams.svg_alt(svg)
    assert alt and not re.search(r"\bMermaid \S+ diagram\b", alt) and alt.strip(". ") not in ("Diagram", "Flowchart"), f"{name}: {alt!r}"
    for words in ALT_SAYS.get(name, []):
        assert words in alt, f"{name}: {words!r} not in {alt!r}"
    labels = _visible_labels(svg)
    assert sum(label in alt for label in labels) >= min(2, len(labels)), f"{name}: {alt!r} names none of {labels[:8]}"
    # The <img> the deck gets carries it (escaped), not Mermaid's type name.
    cfg_slide = render.RenderedFile(path=Path("x.md"), source="", text="```mermaid\nflowchart LR\n  A\n```\n")
    placed = diagrams.embed(cfg_slide, [(diagrams.Diagram(cfg_slide, 0, 3, "flowchart LR\n  A\n", 1), svg)])
    assert f'alt="{html.escape(alt, quote=True)}"' in placed


@pytest.mark.browser
def test_c4_is_drawn_in_the_theme_ours_and_theirs_apart(rendered_svgs: dict[str, str], page):
    """C4's own blues and greys (and its #444 relations on navy) give way to the deck's panels."""
    _show(page, rendered_svgs["c4"])
    p = palette.read_palette((REPO_ROOT / "theme/midnight-blue.css").read_text())
    shapes = page.evaluate("""() => [...document.querySelectorAll('rect, circle, ellipse, path')]
        .filter(e => !e.closest('marker') && !['none', ''].includes(getComputedStyle(e).fill) && getComputedStyle(e).stroke !== 'none')
        .map(e => [getComputedStyle(e).fill, getComputedStyle(e).stroke])""")
    relations = page.evaluate("""() => [...document.querySelectorAll("line[stroke], path[marker-end]")].map(e => getComputedStyle(e).stroke)""")
    rgb = lambda h: "rgb(%d, %d, %d)" % tuple(int(h[i:i + 2], 16) for i in (1, 3, 5))  # noqa: E731
    fills = {fill for fill, _ in shapes}
    assert rgb(p["surface"]) in fills and rgb(p["background"]) in fills, fills  # our elements, and external ones
    assert {stroke for _, stroke in shapes} >= {rgb(p["accent-green"]), rgb(p["text"])}
    assert relations and set(relations) == {rgb(p["text"])}, set(relations)
    for a, b in itertools.product([f for f, _ in shapes], [rgb(p["text"])]):
        assert contrast(a, b) >= MIN_TEXT_CONTRAST  # light text reads on every C4 panel


# --- the long-lived renderer ----------------------------------------------------------------------


def _session_processes(session_leaders: tuple[int, ...]) -> list[int]:
    """Live processes whose process group or session is one the renderer started (from /proc)."""
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        state, pgid, sid = fields[0], int(fields[2]), int(fields[3])
        if state != "Z" and (pgid in session_leaders or sid in session_leaders):
            alive.append(int(entry))
    return alive


@pytest.mark.browser
def test_the_long_lived_renderer_is_reused_fails_one_diagram_alone_and_leaves_nothing_behind():
    cfg = Config()
    config = diagrams.mermaid_config((REPO_ROOT / "theme/midnight-blue.css").read_text())
    with diagrams.MermaidRenderer(cfg, config) as renderer:
        node_pid, browser_pid = renderer.pids
        assert _session_processes(renderer.pids), "no renderer process found"
        first = renderer.render(["flowchart LR\n  A[first] --> B\n", "flowchart LR\n  A[bad (x)] --> B\n", "pie\n  \"x\": 1\n"])
        assert isinstance(first[0], str) and "first" in first[0] and re.search(r'<svg[^>]* width="[\d.]+" height="[\d.]+"', first[0])
        assert isinstance(first[1], diagrams.MermaidError) and "Parse error on line 2" in first[1].message
        assert "    at " not in first[1].message  # Mermaid's words, not a JavaScript stack
        assert isinstance(first[2], str) and "pieCircle" in first[2]
        started = time.perf_counter()
        [second] = renderer.render(["flowchart LR\n  A[second] --> B\n"])
        warm = time.perf_counter() - started
        assert isinstance(second, str) and "second" in second
        assert renderer.pids == (node_pid, browser_pid)  # the same process served both
        assert warm < 30  # generous: only catches a renderer that restarted or hung
    assert renderer.pids == ()
    deadline = time.monotonic() + 10
    while _session_processes((node_pid, browser_pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _session_processes((node_pid, browser_pid)), "renderer processes left behind"


@pytest.mark.browser
def test_a_renderer_whose_process_died_starts_again():
    cfg = Config()
    config = diagrams.mermaid_config((REPO_ROOT / "theme/midnight-blue.css").read_text())
    with diagrams.MermaidRenderer(cfg, config) as renderer:
        node_pid, browser_pid = renderer.pids
        os.killpg(node_pid, 9)
        os.killpg(browser_pid, 9)
        deadline = time.monotonic() + 10
        while renderer.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        [svg] = renderer.render(["flowchart LR\n  A[again] --> B\n"])
        assert isinstance(svg, str) and "again" in svg and renderer.pids[0] != node_pid


@pytest.mark.browser
def test_a_browser_that_does_not_start_is_one_clear_tool_error():
    cfg = Config(env=tuple(sorted({**os.environ, "CHROME_PATH": "/bin/false"}.items())))
    config = diagrams.mermaid_config((REPO_ROOT / "theme/midnight-blue.css").read_text())
    renderer = diagrams.MermaidRenderer(cfg, config)
    with pytest.raises(ToolFailed, match=r"^mermaid-cli \(diagram renderer\) failed: ") as failure:
        renderer.start()
    assert failure.value.exit_code == ExitCode.TOOL_FAILED
    assert renderer.pids == () and not renderer.alive()
