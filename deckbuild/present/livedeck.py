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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from deckbuild import demos, diagrams, html_post, render
from deckbuild.config import Config
from deckbuild.errors import BuildError
from deckbuild.export import MARP_OPTIONS, themed_css
from deckbuild.fsutil import atomic_write_text, sha256_json
from deckbuild.present.marp_warm import WarmMarp
from deckbuild.tools import MARP, package_version

DATA_URI_RE = re.compile(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')
SVG_URL = "/__present/svg/{}.svg"
SCOPED = "data-marpit-scope-"
# Marp directives that carry over to the slides after the one that sets them (a spot directive, _class,
# does not): with one in the deck, a slide rendered alone could differ, so the whole deck is rendered.
CARRYING_DIRECTIVE_RE = re.compile(r"<!--\s*(paginate|header|footer|class|color|backgroundColor|backgroundImage|backgroundPosition|"
                                   r"backgroundRepeat|backgroundSize|transition|style)\s*:", re.I)


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
        # The incremental path: the last rendered deck, its slide texts (diagrams embedded), and the
        # Jinja environment with the key of what it was made from.
        self._rendered: render.RenderedDeck | None = None
        self._texts: list[str] | None = None
        self._env: tuple[Any, dict] | None = None
        self._env_key = ""
        self._next: tuple[render.RenderedDeck, list[str]] | None = None
        self._theme_path: Path | None = None  # the themed CSS (fonts embedded) the slides were last rendered with
        self._reload_at = 0  # the newest version a page can only reach by reloading (the CSS changed, slides added)
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

    def snapshot(self, *, notes: bool = True) -> dict:
        """Every slide of the newest version, for a page that is behind (opened while saves kept
        coming, or back from a dropped connection): it patches them all instead of reloading."""
        with self._lock:
            return {"version": self._version, "count": len(self._slides), "slides": dict(enumerate(self._slides)),
                    "notes": dict(enumerate(self._notes)) if notes else {}, "reload_at": self._reload_at}

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
                self._commit(theme_path)
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
            self._slides = [html_post.label_slides(html, len(rendered["slides"])) for html in rendered["slides"]]
            self._css = rendered["css"]
            self._notes = [_notes_html(comments) for comments in rendered["notes"]]
            self._needs_baseline = False

    def _page_key(self, markdown: str, theme_path: Path) -> str:
        return sha256_json({"markdown": markdown, "theme": theme_path.read_text(), "marp": package_version(self.cfg, MARP),
                            "options": MARP_OPTIONS["html"]})[:32]

    def rebuild(self, changed: set[Path] | frozenset[Path] = frozenset()) -> HotUpdate | None:
        """Render the deck and the changed slides; on a mistake keep the last good deck and record
        `file:line: message` (state.error). With `changed` (the saved files): when only slide files
        changed, only their slides are rendered again (Jinja, diagrams, marp-core), in their places."""
        with self._lock:
            stages: dict[str, float] = {}
            started = time.perf_counter()
            self._next = None
            try:
                quick = self._quick_markdown(set(changed), stages)
                if quick is not None and quick[2] is not None:
                    return self._quick_update(*quick, stages=stages, started=started)
                markdown, theme_path = quick[:2] if quick is not None else self._markdown(stages)
                mark = time.perf_counter()
                md_path = self._work / "hot.md"
                md_path.write_text(markdown)
                rendered = self._marp.slides(md_path, self._work / "slides.json", theme_path)
                stages["marp-core"] = time.perf_counter() - mark
                self._commit(theme_path)
            except BuildError as err:
                self.state.error = err.message
                return None
            notes = [_notes_html(comments) for comments in rendered["notes"]]
            total = len(rendered["slides"])
            rendered["slides"] = [html_post.label_slides(html, total) for html in rendered["slides"]]
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
            if update.reload:
                self._reload_at = update.version
            self._slides, self._notes, self._css = rendered["slides"], notes, rendered["css"]
            self._pending_page = (update.version, markdown, theme_path)
            self.state.error = None
            return update

    def _quick_markdown(self, changed: set[Path], stages: dict[str, float]) -> tuple[str, Path, list[int] | None] | None:
        """Only slide files were saved: render just their slides again (the Jinja environment, the
        other slides and their diagrams are kept). None when this does not apply (the theme, the
        macros, deck.toml or a capture changed, or a file gained or lost a slide); the changed
        indexes None when marp-core must render the whole deck (a <style> or a directive that
        carries over to later slides)."""
        previous = self._rendered
        if not changed or previous is None or self._texts is None or not self._slides:
            return None
        if not changed <= set(previous.deck.slide_paths) or self._context_key() != self._env_key:
            return None
        mark = time.perf_counter()
        env, values = self._env
        slides = list(previous.slides)
        for path in sorted(changed):
            fresh = render.render_file(self.cfg, env, values, path)
            at = [i for i, slide in enumerate(slides) if slide.path == path]
            if len(fresh) != len(at):
                return None  # slides added or removed: the whole deck (and the pages reload)
            for i, slide in zip(at, fresh):
                slides[i] = slide
        indexes = [i for i, (old, new) in enumerate(zip(previous.slides, slides)) if old.text != new.text]
        stages["render"] = time.perf_counter() - mark
        mark = time.perf_counter()
        rendered = replace(previous, slides=tuple(slides))
        texts = list(self._texts)
        redrawn = diagrams.render_and_embed(self.cfg, replace(rendered, slides=tuple(slides[i] for i in indexes)), renderer=self._renderer)
        for i, text in zip(indexes, redrawn):
            texts[i] = self._svgs_by_url(text)
        stages["diagrams"] = time.perf_counter() - mark
        self._next = (rendered, texts)  # kept once marp-core has rendered them (see _commit)
        markdown = render.assemble(rendered.front_matter, texts)
        theme_path = themed_css(self.cfg, previous.deck, markdown)
        carries_over = any("<style" in texts[i] for i in indexes) or CARRYING_DIRECTIVE_RE.search(markdown) or theme_path != self._theme_path
        return markdown, theme_path, None if carries_over else indexes

    def _commit(self, theme_path: Path | None = None) -> None:
        if self._next is not None:
            self._rendered, self._texts = self._next
            self._next = None
        if theme_path is not None:
            self._theme_path = theme_path

    def _quick_update(self, markdown: str, theme_path: Path, indexes: list[int], *, stages: dict[str, float], started: float) -> HotUpdate:
        """marp-core renders only the changed slides, each in its place among empty ones: its number,
        pagination and own directives come out as in the whole deck (tests/test_present_units checks)."""
        mark = time.perf_counter()
        rendered_deck, texts = self._next
        if indexes:
            wanted = set(indexes)
            sparse = render.assemble(rendered_deck.front_matter, [text if i in wanted else "" for i, text in enumerate(texts)])
            md_path = self._work / "hot-partial.md"
            md_path.write_text(sparse)
            rendered = self._marp.partial(md_path, self._work / "partial.json", theme_path, indexes)
            self._commit()
            for i in indexes:
                self._slides[i] = html_post.label_slides(rendered["slides"][str(i)], len(self._slides))
                self._notes[i] = _notes_html(rendered["notes"][str(i)])
        stages["marp-core"] = time.perf_counter() - mark
        slides = {i: self._slides[i] for i in indexes}
        update = HotUpdate(version=self._version + 1, base=self._version, count=len(self._slides), slides=slides,
                           notes={i: self._notes[i] for i in indexes}, reload=any(SCOPED in html for html in slides.values()),
                           seconds=time.perf_counter() - started, stages=stages)
        self._version = update.version
        if update.reload:
            self._reload_at = update.version
        self._pending_page = (update.version, markdown, theme_path)
        self.state.error = None
        return update

    def _context_key(self) -> str:
        """What the slide templates render from besides their own text: the captures (by content),
        the shared macros and deck.toml. The same key: the Jinja environment is kept."""
        context = self._context()
        digests = {name: cached[0] for name, cached in self._parsed.items()}
        macros = self.cfg.slides_dir / render.MACROS_TEMPLATE
        manifest = self.cfg.slides_dir / self.deck_name / "deck.toml"
        return sha256_json({"captures": digests, "demos": sorted(context.get("demos", {})),
                            "macros": macros.read_text() if macros.is_file() else "", "deck": manifest.read_text() if manifest.is_file() else ""})

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
            built = BuiltDeck(version, html_post.post_process(out_path.read_text()))  # regions, announcer, Replay: as exported
            self.state.built = built
            for old in self._work.glob("page-*.html"):  # the cache keeps the newest page only
                old.unlink(missing_ok=True)
            atomic_write_text(self._work / f"page-{self._page_key(markdown, theme_path)}.html", built.html)
            return built

    def _markdown(self, stages: dict[str, float]) -> tuple[str, Path]:
        mark = time.perf_counter()
        deck = render.load_deck(self.cfg, self.deck_name)
        context = {**self._context(), "presenting": True}
        key = self._context_key()
        env, values = render.templates(self.cfg, deck, context)
        rendered = render.RenderedDeck(deck=deck, slides=tuple(s for path in deck.slide_paths for s in render.render_file(self.cfg, env, values, path)),
                                       front_matter=render.front_matter(deck))
        stages["render"] = time.perf_counter() - mark
        mark = time.perf_counter()
        slide_texts = diagrams.render_and_embed(self.cfg, rendered, renderer=self._renderer)  # None: a renderer for this build only
        slide_texts = [self._svgs_by_url(text) for text in slide_texts]
        stages["diagrams"] = time.perf_counter() - mark
        self._next, self._env, self._env_key = (rendered, slide_texts), (env, values), key
        markdown = render.assemble(rendered.front_matter, slide_texts)
        return markdown, themed_css(self.cfg, deck, markdown)  # the deck's shipped fonts, as the export has them

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
