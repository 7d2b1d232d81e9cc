"""The phone's page, piece by piece, without a browser: the slides and the theme's rules taken from a
Marp page, the rules rewritten for both layouts, what a viewer is sent of a demo, the diagrams' narrow
layouts, and the audience URL the terminal prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deckbuild import diagrams, phone_diagrams
from deckbuild.config import Config
from deckbuild.present import audience
from deckbuild.present.session import PresentSession, Share
from tests.conftest import REPO, copy_project

PAGE = """<!DOCTYPE html><html lang="de"><head><title>A &amp; B</title><style>body{margin:0}</style>
<style>div#\\:\\$p > svg > foreignObject > section{width:1280px}div#\\:\\$p > svg > foreignObject > :where(section):not([\\20 root]){--x: 1}
div#\\:\\$p > svg > foreignObject > section h1{font-size:60px}@font-face{font-family:X;src:url(data:font/woff2;base64,AAAA)}</style></head>
<body><svg class="icon" viewBox="0 0 1 1"><path d="M0 0"/></svg><div id=":$p">
<svg data-marpit-svg="" viewBox="0 0 1280 720"><foreignObject width="1280" height="720"><section id="1"><h1>One</h1>
<svg class="story" viewBox="0 0 10 10"><g><svg><text>nested</text></svg></g></svg></section></foreignObject></svg><svg data-marpit-svg="" \
viewBox="0 0 1280 720"><foreignObject width="1280" height="720"><section id="2"><div class="demo-panel with-caption" data-demo="retries" \
data-demo-part="diagram">x</div><img src="/__present/svg/0123456789abcdef0123456789abcdef.svg"></section></foreignObject></svg>
</div><div class="bespoke-marp-note" data-index="0">speaker notes</div><script>const s = '<svg data-marpit-svg>';</script></body></html>"""


def test_the_slides_of_a_marp_page_are_its_marpit_svgs_whole():
    slides = audience.split_slides(PAGE)
    assert len(slides) == 2
    assert slides[0].startswith('<svg data-marpit-svg="" viewBox') and slides[0].endswith("</section></foreignObject></svg>")
    assert "nested" in slides[0] and "speaker notes" not in "".join(slides) and "icon" not in "".join(slides)


def test_the_theme_applies_to_the_projected_slide_and_to_the_reflowed_one():
    css = audience.theme_css(PAGE)
    assert "body{margin:0}" not in css and "div.marpit > svg > foreignObject > section{width:1280px}" in css
    both = audience.both_layouts(css)
    assert ":is(div.marpit > svg > foreignObject, .phone-flow) > section{width:1280px}" in both
    assert ":is(div.marpit > svg > foreignObject, .phone-flow) > :where(section):not([\\20 root]){--x: 1}" in both
    assert ":is(div.marpit > svg > foreignObject, .phone-flow) > section h1{font-size:60px}" in both
    assert "@font-face{font-family:X" in both  # the fonts, once


def test_a_viewer_gets_what_the_slide_shows_and_none_of_the_controls():
    state = {"name": "inbox", "live": True, "stale": None, "message": "SIGKILL worker pid 42", "controls": ["approve"], "killable": "worker",
             "workers": {"worker": [{"pid": 42}]}, "side_panel": True,
             "run": {"workflow_id": "w", "run_id": "r", "status": "running", "url": "http://127.0.0.1:8233/x", "error": "",
                     "picture": {"svg": "<svg/>", "timeline": "<div/>", "version": 3},
                     "snapshot": {"rows": [{"label": "Sign off", "actions": ["approve"], "args": {"id": 1}}], "lines": ["side-effect log: 1 of 5"],
                                  "note_for": ["refine"], "ballot": {"open": True}, "secret": 1}}}
    seen = audience.for_viewers(state)
    assert seen["message"] == "SIGKILL worker pid 42" and seen["viewer"] is True and seen["side_panel"] is True
    assert "workers" not in seen and "controls" not in seen and "killable" not in seen and "url" not in seen["run"]
    assert seen["run"]["picture"]["timeline"] == "<div/>"
    assert seen["run"]["snapshot"] == {"rows": [{"label": "Sign off"}], "lines": ["side-effect log: 1 of 5"], "ballot": {"open": True}}


def test_the_room_learns_why_temporal_is_down_but_not_where_it_is():
    class State:
        state, reason = "down", "127.0.0.1:7233: connection refused (dev-box.local:8233)"

    told = audience.temporal_for_viewers(State())
    assert told == {"state": "down", "reason": "the server: connection refused (the server)"}


@pytest.mark.parametrize(("source", "expected"), [
    ("flowchart LR\n  A --> B\n", "flowchart TB\n  A --> B\n"),
    ("graph RL\n  A --> B\n", "graph TB\n  A --> B\n"),
    ("flowchart TB\n  subgraph S\n    direction LR\n    A --> B\n  end\n", "flowchart TB\n  subgraph S\n    direction TB\n    A --> B\n  end\n"),
    ("stateDiagram-v2\n  direction LR\n  [*] --> A\n", "stateDiagram-v2\n  direction TB\n  [*] --> A\n"),
    ("sequenceDiagram\n  A->>B: hi\n", "sequenceDiagram\n  A->>B: hi\n"),
    ("xychart-beta\n  bar [1, 2]\n", "xychart-beta horizontal\n  bar [1, 2]\n"),
])
def test_a_diagram_is_laid_out_top_to_bottom_for_the_phone(source: str, expected: str):
    assert phone_diagrams.narrow_source(source) == expected


def test_an_authors_sizes_for_the_slide_give_way_to_the_phones():
    source = '%%{init: {"themeVariables": {"fontSize": "24px", "primaryColor": "#123"}, "xyChart": {"width": 540}}}%%\nxychart-beta\n  bar [1]\n'
    narrow = phone_diagrams.narrow_source(source)
    init = json.loads(narrow.split("%%{init: ", 1)[1].split("}%%", 1)[0])
    assert init["themeVariables"] == {"primaryColor": "#123"} and init["xyChart"]["width"] == phone_diagrams.XY_CHART["width"]
    assert "xychart-beta horizontal" in narrow
    c4 = phone_diagrams.narrow_source("C4Context\n  Person(a, \"A\")\n")
    assert 'UpdateLayoutConfig($c4ShapeInRow="1", $c4BoundaryInRow="1")' in c4


def test_a_phone_svgs_smallest_label_ignores_what_a_static_diagram_never_shows():
    svg = ('<svg viewBox="0 0 300 400"><style>#a{font-size:16px}#a div.mermaidTooltip{font-size:12px}#a .error-text{font-size:9px}'
           '@font-face{font-family:X}</style><text font-size="15">a</text><text style="font-size: 18px">b</text></svg>')
    assert phone_diagrams.info(svg) == {"w": 300.0, "h": 400.0, "label": 15.0}


def test_the_phone_layout_comes_from_the_diagrams_own_source_and_is_cached(tmp_path: Path):
    """A diagram the deck rendered is known by its SVG; its phone layout renders once per content."""
    cfg = Config(root=copy_project(tmp_path / "project"), build_dir=tmp_path / "build", node_modules=REPO / "node_modules")
    config = diagrams.mermaid_config((REPO / "theme/midnight-blue.css").read_text())

    class D:
        source = "flowchart LR\n  Alpha[Alpha service] --> Beta[Beta service] --> Gamma[Gamma service] --> Delta[Delta service]\n"

        def where(self):
            return Path("x.md"), 1

    slide_svg = diagrams.render_svgs(cfg, [D()], config)[0]
    assert diagrams.source_of(slide_svg) == (D.source, config)
    served = {"k" * 32: slide_svg.encode()}
    phones = phone_diagrams.PhoneDiagrams(cfg, lambda: served)
    sizes = phones.ensure(["k" * 32])
    wide = phone_diagrams.info(slide_svg)
    assert sizes["k" * 32]["h"] > sizes["k" * 32]["w"] and wide["w"] > wide["h"]  # top to bottom now
    assert sizes["k" * 32]["w"] < 0.5 * wide["w"]
    cached = sorted((cfg.cache_dir / "mermaid").glob("*.svg"))
    assert len(cached) == 2  # the slide's and the phone's, each by its content hash
    again = phone_diagrams.PhoneDiagrams(cfg, lambda: served)
    assert again.ensure(["k" * 32]) == sizes and sorted((cfg.cache_dir / "mermaid").glob("*.svg")) == cached
    unknown = phone_diagrams.PhoneDiagrams(cfg, lambda: {"u" * 32: b'<svg viewBox="0 0 50 40"></svg>'})
    assert unknown.ensure(["u" * 32]) == {"u" * 32: {"w": 50.0, "h": 40.0, "label": 16.0}}  # not ours: shown as it is


@pytest.mark.parametrize(("bind", "host"), [("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "LAN"), ("::", "LAN"), ("10.1.2.3", "10.1.2.3"),
                                            ("fd00::1", "[fd00::1]")])
def test_the_audience_url_is_one_the_audience_can_open(tmp_path: Path, bind: str, host: str):
    cfg = Config(root=copy_project(tmp_path / "project"), build_dir=tmp_path / "build")
    session = PresentSession(cfg, "talk", 8090, with_temporal=False, out=lambda line: None, share=Share(bind=bind))
    expected = session.lan if host == "LAN" else host
    assert session.audience_url == f"http://{expected}:8090/r/{session.room.room_id}"
    assert f"{expected}:8090" in session.hosts or host == "LAN"
