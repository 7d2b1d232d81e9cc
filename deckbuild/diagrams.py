"""Stage 2: every ```mermaid block becomes an SVG image embedded in the slide.

Diagrams are cached on disk by a hash of (diagram source, Mermaid config, mermaid-cli and mermaid
versions). All uncached diagrams of one build go to ONE mermaid-cli process (Markdown input mode),
so the browser starts once however many diagrams changed.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from deckbuild import palette
from deckbuild.browser import HEADLESS_ARGS, find_browser
from deckbuild.config import Config
from deckbuild.errors import ToolFailed, source_error
from deckbuild.fsutil import atomic_write_text, sha256_json
from deckbuild.render import RenderedDeck, RenderedSlide, closes_fence
from deckbuild.tools import MERMAID_CLI, node_tool, package_version, run_tool

MERMAID_OPEN_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*mermaid\s*$")


@dataclass(frozen=True)
class Diagram:
    slide: RenderedSlide
    start: int  # index of the opening fence line in the rendered slide
    end: int  # index of the closing fence line
    source: str  # the Mermaid text
    source_line: int  # 1-based line of the opening fence in the slide's template file

    def where(self) -> tuple[Path, int]:
        return self.slide.path, self.source_line


def _fence_lines_in_source(source: str) -> list[int]:
    return [n for n, line in enumerate(source.splitlines(), 1) if MERMAID_OPEN_RE.match(line)]


def find_diagrams(rendered: RenderedDeck, cfg: Config) -> list[Diagram]:
    diagrams: list[Diagram] = []
    for slide in rendered.slides:
        lines = slide.text.splitlines()
        source_fences = _fence_lines_in_source(slide.source)
        found_in_slide = 0
        i = 0
        while i < len(lines):
            opening = MERMAID_OPEN_RE.match(lines[i])
            if not opening:
                i += 1
                continue
            marker = opening.group(1)
            # Where the block starts in the template: the n-th fence there, or (for a block a macro
            # generated) the first line of the slide.
            # `slide.source` is this slide's part of its file, starting at line `slide.first_line`.
            src_line = slide.first_line - 1 + (source_fences[found_in_slide] if found_in_slide < len(source_fences) else 1)
            close = next((j for j in range(i + 1, len(lines)) if closes_fence(lines[j], marker)), None)
            if close is None:
                raise source_error(slide.path, src_line, f"this ```mermaid block is never closed (expected a closing {marker})", cfg.root)
            body = "\n".join(lines[i + 1 : close]).strip("\n")
            if not body.strip():
                raise source_error(slide.path, src_line, "this ```mermaid block is empty", cfg.root)
            diagrams.append(Diagram(slide=slide, start=i, end=close, source=body + "\n", source_line=src_line))
            found_in_slide += 1
            i = close + 1
    return diagrams


def mermaid_config(theme_css: str) -> dict:
    return palette.mermaid_config(palette.read_palette(theme_css))


def diagram_key(diagram_source: str, config: dict, versions: dict[str, str]) -> str:
    return sha256_json({"source": diagram_source, "config": config, "versions": versions, "format": 2})


def _size_svg(svg: str) -> str:
    """mmdc emits width="100%" + max-width; as an <img> an SVG needs real width/height to size itself."""
    match = re.search(r'viewBox="([\d.\-]+) ([\d.\-]+) ([\d.]+) ([\d.]+)"', svg)
    if not match:
        return svg
    width, height = match.group(3), match.group(4)
    head, rest = svg.split(">", 1)
    head = re.sub(r'\swidth="[^"]*"', "", head)
    head = re.sub(r'\sheight="[^"]*"', "", head)
    head = re.sub(r"max-width:\s*[\d.]+px;?\s*", "", head)
    return f'{head} width="{width}" height="{height}">{rest}'


def _mermaid_message(output: str) -> str:
    """Mermaid's own words from mmdc's output, without the JavaScript stack."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Error:")), None)
    if start is None:
        return output.strip()[-800:]
    kept = []
    for line in lines[start:]:
        if line.lstrip().startswith("at ") or re.search(r"\((https?|file):", line):
            break
        kept.append(line)
    return "\n".join(kept).removeprefix("Error: ").strip()


def render_svgs(cfg: Config, diagrams: list[Diagram], config: dict) -> list[str]:
    """One SVG per diagram (same order), rendering only the uncached ones, all in one mmdc run."""
    versions = {"mermaid-cli": package_version(cfg, MERMAID_CLI), "mermaid": package_version(cfg, "mermaid")}
    cache = cfg.cache_dir / "mermaid"
    keys = [diagram_key(d.source, config, versions) for d in diagrams]
    svgs: dict[str, str] = {}
    todo: dict[str, Diagram] = {}
    for key, diagram in zip(keys, diagrams):
        cached = cache / f"{key}.svg"
        if cached.is_file():
            svgs[key] = cached.read_text()
        else:
            todo.setdefault(key, diagram)  # the same diagram twice renders once
    if todo:
        rendered = _render_batch(cfg, list(todo.items()), config)
        for key, svg in rendered.items():
            atomic_write_text(cache / f"{key}.svg", svg)
        svgs.update(rendered)
    return [svgs[key] for key in keys]


def _render_batch(cfg: Config, batch: list[tuple[str, Diagram]], config: dict, jobs: int | None = None) -> dict[str, str]:
    """Render diagrams in one mermaid-cli process (one browser), several pages in parallel.

    On a failure the diagrams that did not finish are rendered again one at a time, in order, so
    the first one without an SVG is the broken one: its slide and line go in the message."""
    tool = node_tool(cfg, MERMAID_CLI)
    browser = find_browser(cfg.browser, dict(cfg.env))
    jobs = jobs or max(1, min(len(batch), os.cpu_count() or 1))
    work = cfg.staging_dir / "mermaid"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "config.json").write_text(json.dumps(config, indent=2))
    (work / "puppeteer.json").write_text(json.dumps({"executablePath": browser, "args": list(HEADLESS_ARGS)}))
    blocks = [f"## {n}\n\n```mermaid\n{d.source}```\n" for n, (_, d) in enumerate(batch, 1)]
    (work / "diagrams.md").write_text("\n".join(blocks))
    argv = [
        *tool.argv,
        "--input", "diagrams.md",
        "--output", "out.md",
        "--outputFormat", "svg",
        "--backgroundColor", "transparent",
        "--configFile", "config.json",
        "--puppeteerConfigFile", "puppeteer.json",
        "--jobs", str(jobs),
    ]
    results: dict[str, str] = {}
    try:
        run_tool("mermaid-cli", argv, env=dict(cfg.env, PUPPETEER_SKIP_DOWNLOAD="1"), cwd=work)
    except ToolFailed as failure:
        if not _is_diagram_error(failure.output):
            raise  # the tool itself broke (browser would not start, ...): report it as is
        finished = _collect(work, batch)
        if jobs > 1:
            unfinished = [(key, d) for key, d in batch if key not in finished]
            return {**finished, **_render_batch(cfg, unfinished, config, jobs=1)}
        broken = next(d for key, d in batch if key not in finished)
        path, line = broken.where()
        message = _mermaid_message(failure.output).replace("\n", "\n  ")
        raise source_error(path, line, f"Mermaid cannot render this diagram:\n  {message}", cfg.root) from None
    results = _collect(work, batch)
    for key, diagram in batch:
        if key not in results:
            path, line = diagram.where()
            raise source_error(path, line, "mermaid-cli produced no SVG for this diagram", cfg.root)
    shutil.rmtree(work, ignore_errors=True)
    return results


def _collect(work: Path, batch: list[tuple[str, Diagram]]) -> dict[str, str]:
    """SVGs mermaid-cli wrote (out-N.svg for the N-th block), sized for use as <img>."""
    found = {}
    for n, (key, _) in enumerate(batch, 1):
        out = work / f"out-{n}.svg"
        if out.is_file():
            found[key] = _size_svg(out.read_text())
    return found


def _is_diagram_error(output: str) -> bool:
    return any(sign in output for sign in ("renderMermaid", "mermaid.esm", "Parse error", "No diagram type", "Lexical error"))


def embed(slide: RenderedSlide, placed: list[tuple[Diagram, str]]) -> str:
    """The slide's text with each mermaid block replaced by an <img> holding its SVG as a data URI.

    An <img> (not inline <svg>) keeps each diagram's styles and ids isolated from the deck's."""
    lines = slide.text.splitlines()
    for diagram, svg in sorted(placed, key=lambda pair: pair[0].start, reverse=True):
        kind = diagram.source.split(None, 1)[0]
        data = base64.b64encode(svg.encode()).decode()
        alt = html.escape(f"Mermaid {kind} diagram", quote=True)
        lines[diagram.start : diagram.end + 1] = ["", f'<div class="diagram"><img alt="{alt}" src="data:image/svg+xml;base64,{data}"></div>', ""]
    return "\n".join(lines) + "\n"


def render_and_embed(cfg: Config, rendered: RenderedDeck) -> list[str]:
    """Stage entry point: each slide's Markdown with its diagrams rendered and embedded."""
    diagrams = find_diagrams(rendered, cfg)
    config = mermaid_config(rendered.deck.theme_path.read_text())
    svgs = render_svgs(cfg, diagrams, config) if diagrams else []
    pairs = list(zip(diagrams, svgs))
    return [embed(slide, [(d, svg) for d, svg in pairs if d.slide is slide]) for slide in rendered.slides]
