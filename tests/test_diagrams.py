"""Stage 2 (```mermaid -> cached SVG images): finding blocks, the cache key, one renderer per build."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from deckbuild import diagrams, palette, pipeline, render
from deckbuild.config import REPO_ROOT, Config
from deckbuild.errors import BuildError
from tests.test_render import make_project

FLOW = "```mermaid\nflowchart LR\n  A[{label}] --> B\n```\n"


def test_blocks_are_found_with_their_template_line(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "## T\n\n{% if true %}\n" + FLOW.format(label="x") + "{% endif %}\n\ntext\n\n" + FLOW.format(label="y")})
    found = diagrams.find_diagrams(render.render_deck(cfg, render.load_deck(cfg, "d")), cfg)
    assert [(d.source_line, d.source) for d in found] == [(4, "flowchart LR\n  A[x] --> B\n"), (12, "flowchart LR\n  A[y] --> B\n")]


def test_unclosed_block_is_an_error_at_its_fence(tmp_path: Path):
    cfg = make_project(tmp_path, {"01-a.md": "## T\n\n```mermaid\nflowchart LR\n  A --> B\n"})
    with pytest.raises(BuildError, match=r"slides/d/01-a.md:3: this ```mermaid block is never closed"):
        diagrams.find_diagrams(render.render_deck(cfg, render.load_deck(cfg, "d")), cfg)


def test_the_mermaid_theme_comes_from_the_theme_palette():
    css = (REPO_ROOT / "theme/midnight-blue.css").read_text()
    config = diagrams.mermaid_config(css)
    assert config["themeVariables"]["background"] == "#001f3f"
    assert config["themeVariables"]["primaryBorderColor"] == "#39FF14"
    assert config["themeVariables"]["lineColor"] == "#C0C0C0"
    assert config["htmlLabels"] is False
    recoloured = diagrams.mermaid_config(css.replace("#39FF14; /* neon", "#00FF00; /* neon"))
    versions = {"mermaid-cli": "1", "mermaid": "1"}
    assert diagrams.diagram_key("graph LR\nA-->B\n", config, versions) != diagrams.diagram_key("graph LR\nA-->B\n", recoloured, versions)
    assert diagrams.diagram_key("graph LR\nA-->B\n", config, versions) != diagrams.diagram_key("graph LR\nA-->B\n", config, {**versions, "mermaid": "2"})
    with pytest.raises(BuildError, match="--accent-green"):
        palette.read_palette(css.replace("--accent-green:", "--accent-lime:"))


def test_svg_gets_its_intrinsic_size_for_img():
    svg = '<svg id="my-svg" width="100%" style="max-width: 720.5px; background-color: transparent;" viewBox="0 0 720.5 174"><g/></svg>'
    sized = diagrams._size_svg(svg)
    assert 'width="720.5" height="174"' in sized and "100%" not in sized and "max-width" not in sized


@pytest.mark.browser
def test_all_uncached_diagrams_render_in_one_renderer_then_come_from_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    body = "".join(FLOW.format(label=f"node{i}x") + "\n" for i in range(3))
    cfg = make_project(tmp_path, {"01-a.md": "## D\n\n" + body})
    cfg = Config(root=cfg.root, build_dir=cfg.build_dir, node_modules=REPO_ROOT / "node_modules")
    runs: list[list[str]] = []  # the sources of each render() call
    starts: list[int] = []
    real_render, real_start = diagrams.MermaidRenderer.render, diagrams.MermaidRenderer.start

    def counting_render(self, sources, config=None):
        runs.append(list(sources))
        return real_render(self, sources, config)

    def counting_start(self):
        if not self.alive():
            starts.append(1)
        return real_start(self)

    monkeypatch.setattr(diagrams.MermaidRenderer, "render", counting_render)
    monkeypatch.setattr(diagrams.MermaidRenderer, "start", counting_start)
    rendered = render.render_deck(cfg, render.load_deck(cfg, "d"))
    [text] = diagrams.render_and_embed(cfg, rendered)
    assert len(runs) == 1 and len(runs[0]) == 3 and len(starts) == 1  # one renderer, one request
    images = [part.split('"', 1)[0] for part in text.split('src="data:image/svg+xml;base64,')[1:]]
    assert len(images) == 3 and "```mermaid" not in text
    svgs = [base64.b64decode(data).decode() for data in images]
    assert all(f"node{i}x" in svg for i, svg in enumerate(svgs))  # each diagram got its own picture
    assert all(re.search(r'<svg[^>]* width="[\d.]+" height="[\d.]+"', svg) for svg in svgs)  # real size for <img>
    assert len(list((cfg.cache_dir / "mermaid").glob("*.svg"))) == 3
    # Unchanged: nothing is rendered, no renderer started. One diagram changed: just that one.
    diagrams.render_and_embed(cfg, rendered)
    assert len(runs) == 1 and len(starts) == 1
    (tmp_path / "slides/d/01-a.md").write_text("## D\n\n" + body.replace("node2x", "node2y"))
    diagrams.render_and_embed(cfg, render.render_deck(cfg, render.load_deck(cfg, "d")))
    assert len(runs) == 2 and runs[1] == [FLOW.format(label="node2y").split("\n", 1)[1].rsplit("```", 1)[0]]
    assert len(list((cfg.cache_dir / "mermaid").glob("*.svg"))) == 4


@pytest.mark.browser
def test_the_first_broken_diagram_is_the_one_reported(tmp_path: Path):
    good = FLOW.format(label="ok")
    broken = "```mermaid\nflowchart LR\n  A[bad (x)] --> B\n```\n"
    also_broken = "```mermaid\nflowchart LR\n  C[worse (y)] --> D\n```\n"
    text = "## D\n\n" + good + "\n" + broken + "\n" + good.replace("ok", "fine") + "\n" + also_broken
    cfg = make_project(tmp_path, {"01-a.md": text})
    cfg = Config(root=cfg.root, build_dir=cfg.build_dir, node_modules=REPO_ROOT / "node_modules")
    with pytest.raises(BuildError) as err:
        diagrams.render_and_embed(cfg, render.render_deck(cfg, render.load_deck(cfg, "d")))
    first_broken_line = text.splitlines().index("```mermaid", text.splitlines().index("  A[ok] --> B")) + 1
    assert err.value.message.startswith(f"slides/d/01-a.md:{first_broken_line}: Mermaid cannot render this diagram")
    assert "bad (x)" in err.value.message and "worse" not in err.value.message


@pytest.mark.browser
def test_a_live_renderer_passed_to_the_pipeline_renders_every_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cfg = make_project(tmp_path, {"01-a.md": "## D\n\n" + FLOW.format(label="v1")})
    cfg = Config(root=cfg.root, build_dir=cfg.build_dir, node_modules=REPO_ROOT / "node_modules")
    started: list[diagrams.MermaidRenderer] = []
    real_init = diagrams.MermaidRenderer.__init__

    def counting_init(self, *args, **kw):
        started.append(self)
        real_init(self, *args, **kw)

    monkeypatch.setattr(diagrams.MermaidRenderer, "__init__", counting_init)
    with diagrams.MermaidRenderer(cfg) as live:  # no config: the pipeline passes the deck's
        pids = live.pids
        for label in ("v2", "v3"):
            (tmp_path / "slides/d/01-a.md").write_text("## D\n\n" + FLOW.format(label=label))
            markdown = pipeline.prepare(cfg, "d", renderer=live).markdown
            [data] = [part.split('"', 1)[0] for part in markdown.split('src="data:image/svg+xml;base64,')[1:]]
            svg = base64.b64decode(data).decode()
            assert label in svg and "#39FF14" in svg.upper()  # the edit, themed from the deck's palette
        assert live.pids == pids and len(started) == 1  # the same renderer served both edits
