"""The deck as present mode serves it: built in memory, rebuilt on save, never half-written.

A rebuild runs the same stages as `build.py html` (render -> diagrams -> marp), with three changes
that make a save show in a fraction of a second: diagrams come from a warm renderer and are served
by URL instead of inlined (the Markdown marp-cli reads stays small), marp-cli itself stays warm, and
the pages patch the slides that changed instead of reloading. Demo captures are only read here:
a slide edit never runs a demo.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from deckbuild import demos, diagrams, render
from deckbuild.config import Config
from deckbuild.errors import BuildError
from deckbuild.export import MARP_OPTIONS
from deckbuild.fsutil import atomic_write_text, sha256_json
from deckbuild.present.marp_warm import WarmMarp
from deckbuild.tools import MARP, package_version

DATA_URI_RE = re.compile(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')
SVG_URL = "/__present/svg/{}.svg"
SCOPED = "data-marpit-scope-"


@dataclass
class BuiltDeck:
    """The full page a browser loads: marp-cli's bespoke HTML (diagrams by URL)."""

    version: int
    html: str


@dataclass
class HotUpdate:
    """What a save changed, for the open pages to patch in place: only the slides and notes that
    differ from the previous version (`base`). `reload` when that cannot be patched (slides added
    or removed, the theme's CSS changed)."""

    version: int
    base: int
    count: int
    slides: dict[int, str]
    notes: dict[int, str]
    reload: bool
    seconds: float
    stages: dict[str, float]

    def message(self) -> dict:
        return {"version": self.version, "base": self.base, "count": self.count, "slides": self.slides, "notes": self.notes,
                "reload": self.reload, "ms": round(self.seconds * 1000)}


@dataclass
class DeckState:
    """What the pages are shown: the last good build, and the error of the last attempt if it failed."""

    built: BuiltDeck | None = None
    error: str | None = None
    svgs: dict[str, bytes] = field(default_factory=dict)  # sha -> SVG, served under /__present/svg/


class LiveDeck:
    """Owner of one deck's in-memory build.

    A save is two steps: `rebuild()` renders the Markdown and, with marp-core alone, the slides that
    changed (what the open pages patch, in tens of milliseconds); `rebuild_page()` then has marp-cli
    write the full page that a newly opened (or reloaded) browser gets. Each is called by one loop
    at a time; the page may lag a save by a conversion, never show a half-written one."""

    def __init__(self, cfg: Config, deck_name: str, *, marp: WarmMarp | None = None, page_marp: WarmMarp | None = None, renderer: Any = None,
                 context: Callable[[], dict[str, Any]] | None = None):
        self.cfg = cfg
        self.deck_name = deck_name
        self._marp = marp
        self._page_marp = page_marp or marp
        self._renderer = renderer  # a warm Mermaid renderer, when the diagrams stage offers one
        self._context = context or self._captures
        self._parsed: dict[str, tuple[str, Any]] = {}  # capture file -> (sha256 of its bytes, parsed)
        self.state = DeckState()
        self._version = 0
        self._slides: list[str] = []
        self._notes: list[str] = []
        self._css: str | None = None
        self._pending_page: tuple[int, str, Path] | None = None  # the newest Markdown the page has not caught up with
        self._needs_baseline = False
        self._lock = threading.Lock()
        self._page_lock = threading.Lock()
        self._work = cfg.build_dir / ".present" / deck_name
        self._work.mkdir(parents=True, exist_ok=True)

    def _captures(self) -> dict[str, Any]:
        """The demos' captures, parsed again only when a file's content changed (they are only read here:
        present mode never runs a demo to render a slide)."""
        found = {}
        for name in demos.demo_names(self.cfg):
            path = demos.capture_path(self.cfg, name)
            if not path.is_file():
                continue
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            cached = self._parsed.get(name)
            if cached is None or cached[0] != digest:
                try:
                    cached = (digest, json.loads(data))
                except json.JSONDecodeError as err:
                    raise BuildError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None
                self._parsed[name] = cached
            found[name] = cached[1]
        return {"demos": found}

    def notes_of(self, index: int) -> str:
        """One slide's speaker notes (HTML), for a paired remote."""
        notes = self._notes
        return notes[index] if 0 <= index < len(notes) else ""

    def set_renderer(self, renderer: Any) -> None:
        with self._lock:
            self._renderer = renderer

    def set_marp(self, marp: WarmMarp, page_marp: WarmMarp) -> None:
        self._marp, self._page_marp = marp, page_marp

    def first_build(self) -> BuiltDeck | None:
        """Render the deck for the start. A second start of an unchanged deck finds its page in the
        cache (by a hash of the Markdown, the theme and marp-cli's version), so the first slide shows
        without waiting for marp; otherwise None, and `rebuild_page()` writes it (`state.error` says
        when the deck does not build). The slides the next save is compared with are rendered behind
        it (`baseline`)."""
        with self._lock:
            try:
                markdown, theme_path = self._markdown({})
            except BuildError as err:
                self.state.error = err.message
                return None
            self._version = 1
            self._pending_page = (1, markdown, theme_path)
            self._needs_baseline = True
            cached = self._work / f"page-{self._page_key(markdown, theme_path)}.html"
            if cached.is_file():
                self.state.built = BuiltDeck(1, cached.read_text())
            return self.state.built

    def baseline(self) -> None:
        """marp-core's slides of the served version: what the first save is compared with."""
        with self._lock:
            if not self._needs_baseline or self._pending_page is None:
                return
            version, markdown, theme_path = self._pending_page
            md_path = self._work / "hot.md"
            md_path.write_text(markdown)
            try:
                rendered = self._marp.slides(md_path, self._work / "slides.json", theme_path)
            except BuildError:
                return  # the first save then patches every slide: slower, still right
            self._slides, self._css = rendered["slides"], rendered["css"]
            self._notes = [_notes_html(comments) for comments in rendered["notes"]]
            self._needs_baseline = False

    def _page_key(self, markdown: str, theme_path: Path) -> str:
        return sha256_json({"markdown": markdown, "theme": theme_path.read_text(), "marp": package_version(self.cfg, MARP),
                            "options": MARP_OPTIONS["html"]})[:32]

    def rebuild(self) -> HotUpdate | None:
        """Render the deck and the changed slides; on a mistake keep the last good deck and record
        `file:line: message` (state.error)."""
        with self._lock:
            stages: dict[str, float] = {}
            started = time.perf_counter()
            try:
                markdown, theme_path = self._markdown(stages)
                mark = time.perf_counter()
                md_path = self._work / "hot.md"
                md_path.write_text(markdown)
                rendered = self._marp.slides(md_path, self._work / "slides.json", theme_path)
                stages["marp-core"] = time.perf_counter() - mark
            except BuildError as err:
                self.state.error = err.message
                return None
            notes = [_notes_html(comments) for comments in rendered["notes"]]
            slides = _changed(self._slides, rendered["slides"])
            update = HotUpdate(
                version=self._version + 1, base=self._version, count=len(rendered["slides"]),
                slides=slides, notes=_changed(self._notes, notes),
                # Not patchable: slides added or removed, the CSS changed, or a changed slide has a scoped
                # style (its scope name in the full page is marp-cli's own, not marp-core's).
                reload=len(rendered["slides"]) != len(self._slides) or rendered["css"] != self._css
                or any(SCOPED in html for html in slides.values()),
                seconds=time.perf_counter() - started, stages=stages,
            )
            self._version = update.version
            self._slides, self._notes, self._css = rendered["slides"], notes, rendered["css"]
            self._pending_page = (update.version, markdown, theme_path)
            self.state.error = None
            return update

    def rebuild_page(self) -> BuiltDeck | None:
        """marp-cli's full page for the newest rendered Markdown (skipped when already current)."""
        with self._page_lock:
            pending = self._pending_page
            if pending is None or (self.state.built and self.state.built.version >= pending[0]):
                return None
            version, markdown, theme_path = pending
            md_path = self._work / "page.md"
            out_path = self._work / "page.html"
            md_path.write_text(markdown)
            try:
                self._page_marp.convert(md_path, out_path, theme_path)
            except BuildError as err:
                self.state.error = err.message
                return None
            built = BuiltDeck(version, out_path.read_text())
            self.state.built = built
            for old in self._work.glob("page-*.html"):  # the cache keeps the newest page only
                old.unlink(missing_ok=True)
            atomic_write_text(self._work / f"page-{self._page_key(markdown, theme_path)}.html", built.html)
            return built

    def _markdown(self, stages: dict[str, float]) -> tuple[str, Path]:
        mark = time.perf_counter()
        deck = render.load_deck(self.cfg, self.deck_name)
        context = {**self._context(), "presenting": True}
        rendered = render.render_deck(self.cfg, deck, context)
        stages["render"] = time.perf_counter() - mark
        mark = time.perf_counter()
        slide_texts = diagrams.render_and_embed(self.cfg, rendered, renderer=self._renderer)  # None: a renderer for this build only
        slide_texts = [self._svgs_by_url(text) for text in slide_texts]
        stages["diagrams"] = time.perf_counter() - mark
        return render.assemble(rendered.front_matter, slide_texts), deck.theme_path

    def _svgs_by_url(self, text: str) -> str:
        """Inlined SVGs -> URLs this server answers: marp-cli parses kilobytes instead of hundreds."""

        def by_url(match: re.Match) -> str:
            data = match.group(1)
            key = hashlib.sha256(data.encode()).hexdigest()[:32]
            if key not in self.state.svgs:
                self.state.svgs[key] = base64.b64decode(data)
            return f'src="{SVG_URL.format(key)}"'

        return DATA_URI_RE.sub(by_url, text)


def _changed(before: list[str], after: list[str]) -> dict[int, str]:
    """The items of `after` that differ from `before` at the same index, by index."""
    return {i: item for i, item in enumerate(after) if i >= len(before) or before[i] != item}


def _notes_html(comments: list[str]) -> str:
    """A slide's speaker notes as marp-cli's bespoke template writes them: one paragraph per comment."""
    return "".join(f"<p>{html.escape(comment)}</p>" for comment in comments if comment.strip())
