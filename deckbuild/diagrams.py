"""Stage 2: every ```mermaid block becomes an SVG image embedded in the slide.

Diagrams are cached on disk by a hash of (diagram source, Mermaid config, mermaid-cli and mermaid
versions). Uncached ones are rendered by a MermaidRenderer: mermaid-cli's own page and Mermaid bundle
loaded once in one Chromium page (deckbuild/node/mermaid-render.mjs), fed diagrams over a pipe. A
build starts one for its uncached diagrams; a watcher keeps one alive and passes it in.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import hashlib
import html
import json
import os
import queue
import re
import signal
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from deckbuild import fonts, literal, palette
from deckbuild.browser import HEADLESS_ARGS, find_browser
from deckbuild.config import Config
from deckbuild.errors import BuildError, ExitCode, ToolFailed, source_error
from deckbuild.fsutil import atomic_write_text, sha256_json
from deckbuild import render
from deckbuild.render import RenderedDeck, RenderedFile
from deckbuild.tools import MERMAID_CLI, node_tool, package_version



@dataclass(frozen=True)
class Diagram:
    slide: RenderedFile  # the slide file it is written in
    start: int  # index of the opening fence line in the rendered file
    end: int  # index of the closing fence line
    source: str  # the Mermaid text
    source_line: int  # 1-based line of the opening fence in the slide's template file

    def where(self) -> tuple[Path, int]:
        return self.slide.path, self.source_line


def _mermaid_fences(text: str) -> list[literal.Fence]:
    return [f for f in literal.fences(text) if f.info.split(maxsplit=1)[:1] == ["mermaid"]]


def find_diagrams(rendered: RenderedDeck, cfg: Config) -> list[Diagram]:
    """Every ```mermaid block of the rendered deck (CommonMark's fences: in lists and quotes too).
    Where it is in the file: the n-th mermaid fence written there, or (for a block a macro generated)
    the file's first line."""
    diagrams: list[Diagram] = []
    for slide in rendered.files:
        written = _mermaid_fences(slide.source)
        for n, fence in enumerate(_mermaid_fences(slide.text)):
            src_line = slide.first_line + (written[n].start if n < len(written) else 0)
            if not fence.closed:
                raise source_error(slide.path, src_line, "this ```mermaid block is never closed (expected a closing fence)", cfg.root)
            if not fence.content.strip():
                raise source_error(slide.path, src_line, "this ```mermaid block is empty", cfg.root)
            diagrams.append(Diagram(slide=slide, start=fence.start, end=fence.end, source=fence.content.strip("\n") + "\n", source_line=src_line))
    return diagrams


def mermaid_config(theme_css: str) -> dict:
    return palette.mermaid_config(palette.read_palette(theme_css))


def diagram_key(diagram_source: str, config: dict, versions: dict[str, str]) -> str:
    return sha256_json({"source": diagram_source, "config": config, "versions": versions, "format": 4})


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


def _finish_svg(cfg: Config, result: dict) -> str:
    """The renderer's SVG, sized for <img>, carrying its own fonts and its text alternative.

    Fonts: an <img> cannot use the page's @font-face, so the faces its texts use go inside it, cut
    to the characters drawn (a few KB). Alt: kept on the root as data-alt, so a cached SVG still
    knows what it shows (embed() turns it into the <img>'s alt)."""
    svg = _size_svg(result["svg"])
    head, rest = svg.split(">", 1)
    alt = html.escape(" ".join(str(result.get("alt") or "").split()), quote=True)
    style = f"<style>{fonts.svg_css(cfg, result.get('fonts') or [])}</style>"
    return f'{head} data-alt="{alt}">{style}{rest}'


def svg_alt(svg: str) -> str:
    """The text alternative the renderer wrote into an SVG (see _finish_svg), unescaped."""
    found = re.search(r'<svg\b[^>]*\sdata-alt="([^"]*)"', svg)
    return html.unescape(found.group(1)) if found else ""


@dataclass(frozen=True)
class MermaidError:
    """Mermaid refused one diagram (a parse error, an unknown type): Mermaid's own message."""

    message: str


RENDER_SCRIPT = Path(__file__).resolve().parent / "node" / "mermaid-render.mjs"


class MermaidRenderer:
    """mermaid-cli's page in one Chromium, loaded once, rendering diagrams on request.

    `render(sources)` returns, per source, a sized SVG string or a MermaidError (that diagram only;
    the renderer keeps working). Use as a context manager, or call close(): it ends the Node process
    and its Chromium (each in its own process group, both killed by id if they linger), no orphans.
    A renderer whose process died is started again on the next render(). `config` is the Mermaid
    config used when render() is given none (render_and_embed always passes the deck's, so a live
    renderer follows theme edits without a restart).
    """

    def __init__(self, cfg: Config, config: dict | None = None, *, timeout: float = 120.0) -> None:
        self.cfg = cfg
        self.config = config
        self.timeout = timeout
        self._proc: subprocess.Popen[str] | None = None
        self._browser_pid: int | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._next_id = 0
        self._lock = threading.Lock()

    def __enter__(self) -> MermaidRenderer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pids(self) -> tuple[int, ...]:
        """The Node process and its Chromium (for tests and the process-tree clean-up)."""
        return tuple(p for p in (self._proc.pid if self._proc else None, self._browser_pid) if p)

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> MermaidRenderer:
        if self.alive():
            return self
        self.close()
        tool = node_tool(self.cfg, MERMAID_CLI)  # node on PATH and mermaid-cli installed, or a clear error
        browser = find_browser(self.cfg.browser, dict(self.cfg.env))
        options = {"nodeModules": str(self.cfg.node_modules), "browser": browser, "args": list(HEADLESS_ARGS),
                   "fontCss": str(fonts.renderer_css(self.cfg))}
        try:
            self._proc = subprocess.Popen(
                [tool.argv[0], str(RENDER_SCRIPT), json.dumps(options)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                env=dict(self.cfg.env, PUPPETEER_SKIP_DOWNLOAD="1"), cwd=self.cfg.root,
                start_new_session=True,  # its own process group: close() can end the whole tree
            )
        except OSError as err:
            raise BuildError(f"mermaid-cli: cannot run {tool.argv[0]}: {err.strerror}", ExitCode.MISSING_TOOL) from None
        self._lines = queue.Queue()
        self._stderr.clear()
        # Reader threads: replies go to a queue (so a reply can be awaited with a timeout); the log
        # keeps its last lines for error messages and never fills the pipe.
        threading.Thread(target=_pump, args=(self._proc.stdout, self._lines.put, None), daemon=True).start()
        threading.Thread(target=_pump, args=(self._proc.stderr, self._stderr.append, ""), daemon=True).start()
        ready = self._reply()
        if not ready.get("ready"):
            self.close()
            raise self._failed(ready.get("fatal", "it did not start"))
        self._browser_pid = ready.get("browserPid")
        return self

    def render(self, sources: Sequence[str], config: dict | None = None) -> list[str | MermaidError]:
        """Render each source with `config` (default: the renderer's); one result per source, in order."""
        if not sources:
            return []
        with self._lock:  # one request at a time on the pipe, whichever thread asks
            return self._render(list(sources), config)

    def _render(self, sources: list[str], config: dict | None) -> list[str | MermaidError]:
        self.start()
        config = (self.config or {}) if config is None else config
        self._next_id += 1
        request = {"id": self._next_id, "sources": sources, "config": config, "colours": palette.text_colours(config)}
        assert self._proc and self._proc.stdin
        try:
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
        except OSError:
            self.close()
            raise self._failed("it stopped before the request was sent") from None
        reply = self._reply(self.timeout + 10 * len(sources))
        if reply.get("id") != self._next_id or "results" not in reply:
            self.close()
            raise self._failed(reply.get("fatal", "it answered out of turn"))
        return [_finish_svg(self.cfg, r) if "svg" in r else MermaidError(r.get("error") or "Mermaid produced no SVG") for r in reply["results"]]

    def close(self) -> None:
        """End the Node process and its Chromium; idempotent."""
        proc, self._proc = self._proc, None
        browser_pid, self._browser_pid = self._browser_pid, None
        if proc is None:
            return
        if proc.stdin:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # the script closes Chromium and exits on end of input
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                _kill_group(proc.pid, signal.SIGKILL)
                proc.wait()
        # Puppeteer starts Chromium detached (its own process group): make sure that group is gone too.
        for pgid in (proc.pid, browser_pid):
            if pgid:
                _kill_group(pgid, signal.SIGKILL)

    def _reply(self, timeout: float | None = None) -> dict:
        try:
            line = self._lines.get(timeout=timeout or self.timeout)
        except queue.Empty:
            self.close()
            raise BuildError(f"mermaid-cli renderer did not answer within {timeout or self.timeout:.0f} s", ExitCode.TOOL_FAILED) from None
        if line is None:
            if self._proc:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(timeout=5)
            return {"fatal": "it exited"}
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            return {"fatal": f"unexpected output: {line[:200]}"}

    def _failed(self, why: str) -> ToolFailed:
        log = [line.rstrip() for line in self._stderr if line.strip()]
        return ToolFailed("mermaid-cli (diagram renderer) failed: " + "\n  ".join([why, *log[-12:]]), "\n".join([why, *log]))


def _pump(stream, put, at_end) -> None:
    for line in stream:
        put(line)
    put(at_end)


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


# Which Mermaid source (and config) made each SVG this process rendered or read from the cache: the
# phone's page draws the same diagram again for a narrow screen (deckbuild/phone_diagrams.py).
_SOURCES: collections.OrderedDict[str, tuple[str, dict]] = collections.OrderedDict()
_SOURCES_KEPT = 2048


def source_of(svg: bytes | str) -> tuple[str, dict] | None:
    """(Mermaid source, config) of an SVG that render_svgs returned in this process, else None."""
    data = svg.encode() if isinstance(svg, str) else svg
    return _SOURCES.get(hashlib.sha256(data).hexdigest())


def _remember_sources(svgs: list, diagrams: list, config: dict) -> None:
    for svg, diagram in zip(svgs, diagrams):
        if isinstance(svg, str):  # not a MermaidError
            _SOURCES[hashlib.sha256(svg.encode()).hexdigest()] = (diagram.source, config)
    while len(_SOURCES) > _SOURCES_KEPT:
        _SOURCES.popitem(last=False)


def render_svgs(cfg: Config, diagrams: list[Diagram], config: dict, renderer: MermaidRenderer | None = None) -> list[str | MermaidError]:
    """One SVG (or Mermaid's refusal) per diagram, same order, rendering only the uncached ones, all
    in one renderer (the live one given, else one started for this call only)."""
    versions = {
        "mermaid-cli": package_version(cfg, MERMAID_CLI),
        "mermaid": package_version(cfg, "mermaid"),
        # How we drive it (and repair its labels, describe it, embed its fonts) shapes the SVG too.
        "renderer": sha256_json([RENDER_SCRIPT.read_text(), palette.text_colours(config), Path(fonts.__file__).read_text()]),
        "fonts": fonts.fonts_key(cfg.node_modules),
    }
    cache = cfg.cache_dir / "mermaid"
    keys = [diagram_key(d.source, config, versions) for d in diagrams]
    svgs: dict[str, str | MermaidError] = {}
    todo: dict[str, Diagram] = {}
    for key, diagram in zip(keys, diagrams):
        cached = cache / f"{key}.svg"
        if cached.is_file():
            svgs[key] = cached.read_text()
        else:
            todo.setdefault(key, diagram)  # the same diagram twice renders once
    if todo:
        if renderer is None:
            with MermaidRenderer(cfg, config) as own:
                results = own.render([d.source for d in todo.values()], config)
        else:
            results = renderer.render([d.source for d in todo.values()], config)
        for key, result in zip(todo, results):
            if isinstance(result, MermaidError):
                svgs[key] = result  # never cached: the next build asks Mermaid again
            else:
                atomic_write_text(cache / f"{key}.svg", result)
                svgs[key] = result
    out = [svgs[key] for key in keys]
    _remember_sources(out, diagrams, config)
    return out


def embed(slide: RenderedFile, placed: list[tuple[Diagram, str | MermaidError]], *, styled: bool = True, root: Path | None = None) -> str:
    """The file's text with each mermaid block replaced by an <img> holding its SVG as a data URI
    (or, for a diagram Mermaid refused, built with --keep-going, a box saying why, at its line).

    An <img> (not inline <svg>) keeps each diagram's styles and ids isolated from the deck's. Its alt
    says what the diagram shows (the author's accTitle/accDescr, else generated by the renderer).
    `styled`: the deck's theme sizes `.diagram` (ours do); for any other theme the sizing is inline."""
    lines = slide.text.splitlines()
    box = "" if styled else ' style="display:flex;justify-content:center;align-items:center;margin:0.4em 0"'
    fit = "" if styled else ' style="max-width:100%;max-height:470px;height:auto"'
    for diagram, svg in sorted(placed, key=lambda pair: pair[0].start, reverse=True):
        if isinstance(svg, MermaidError):
            path, line = diagram.where()
            where = html.escape(f"{_relative(path, root)}:{line}")
            html_box = (f'<div class="deck-error" role="note" style="border:3px solid #c62828;padding:0.5em 0.8em;font-size:20px;'
                        f'white-space:pre-wrap;text-align:left"><strong>Mermaid cannot render this diagram</strong> ({where})\n'
                        f'{html.escape(svg.message)}</div>')
            lines[diagram.start : diagram.end + 1] = ["", html_box, ""]
            continue
        data = base64.b64encode(svg.encode()).decode()
        alt = html.escape(svg_alt(svg) or "Diagram", quote=True)
        lines[diagram.start : diagram.end + 1] = ["", f'<div class="diagram"{box}><img alt="{alt}"{fit} src="data:image/svg+xml;base64,{data}"></div>', ""]
    return "\n".join(lines) + "\n"


def _relative(path: Path, root: Path | None) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve())) if root else str(path)
    except ValueError:
        return str(path)


def render_and_embed(cfg: Config, rendered: RenderedDeck, renderer: MermaidRenderer | None = None, palette_: dict | None = None, *,
                     styled: bool = True, keep_going: bool = False, warn=None) -> list[str]:
    """Stage entry point: each file's Markdown with its diagrams rendered and embedded, coloured from
    the deck's palette. A diagram Mermaid refuses is `file:line: message` (exit 2); with
    `keep_going`, its slide shows the message instead and `warn` is told.

    `renderer`: a live MermaidRenderer to reuse (a watcher keeps one); None starts one for this
    build only, and only when some diagram is not cached."""
    diagrams = find_diagrams(rendered, cfg)
    config = palette.mermaid_config(palette_ if palette_ is not None else render.default_palette(cfg, rendered.deck))
    svgs = render_svgs(cfg, diagrams, config, renderer) if diagrams else []
    for diagram, svg in zip(diagrams, svgs):
        if isinstance(svg, MermaidError):
            path, line = diagram.where()  # diagrams are in slide order: the first broken one is reported
            error = source_error(path, line, "Mermaid cannot render this diagram:\n  " + svg.message.replace("\n", "\n  "), cfg.root)
            if not keep_going:
                raise error
            if warn is not None:
                warn(error.message)
    pairs = list(zip(diagrams, svgs))
    return [embed(slide, [(d, svg) for d, svg in pairs if d.slide is slide], styled=styled, root=cfg.root) for slide in rendered.files]
