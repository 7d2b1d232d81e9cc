"""The deck as present mode serves it: built in memory, rebuilt on save, never half-written.

A rebuild runs the same stages as `build.py html` (directives -> render -> diagrams -> marp), with
changes that make a save show in a fraction of a second: each slide file is rendered again only
when it (or what templates read: captures, macros, deck.toml, the palette) changed; diagrams come
from a warm renderer and are served by URL instead of inlined (the Markdown marp reads stays small);
marp-core renders the whole deck warm (its CSS packed again only when what shapes it changed), and
the pages patch the slides whose HTML changed instead of reloading. Rendering the whole deck is what
keeps a slide that inherits directives (a `paginate`, a `header`, a `headingDivider`, a theme set on
another slide) exactly as the full render draws it: marp, and only marp, splits and numbers slides.
Demo captures are only read here: a slide edit never runs a demo.
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

from deckbuild import assets, demos, diagrams, directives, html_post, literal, palette, render
from deckbuild.config import Config
from deckbuild.errors import BuildError
from deckbuild.export import ENGINE, MARP_OPTIONS, theme_set
from deckbuild.fsutil import atomic_write_text, sha256_json, sha256_text
from deckbuild.pipeline import used_demos
from deckbuild.present.marp_warm import WarmMarp
from deckbuild.tools import MARP, package_version

DATA_URI_RE = re.compile(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')
SVG_URL = "/__present/svg/{}.svg"
ASSET_URL = "/__present/asset/{}{}"
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
    or removed, the CSS changed, a changed slide has a scoped style)."""

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
    assets: dict[str, Path] = field(default_factory=dict)  # sha + suffix -> a local image of the deck, served under /__present/asset/
    warnings: tuple[str, ...] = ()  # what marp passes over in silence (a missing theme...), file:line


@dataclass
class _Setting:
    """What every file of the deck renders in: the deck, marp's reading of its directives, the
    palette, the Jinja environment. Made again only when its key changes."""

    key: str
    deck: render.Deck
    read: directives.MarpRead
    themes: dict[str, Path]
    colours: dict[str, str]
    env: Any
    values: dict


class LiveDeck:
    """Owner of one deck's in-memory build.

    A save is two steps: `rebuild()` renders the Markdown and, with marp-core, the slides (what the
    open pages patch, in tens of milliseconds); `rebuild_page()` then has marp-cli write the full
    page that a newly opened (or reloaded) browser gets. Each is called by one loop at a time; the
    page may lag a save by a conversion, never show a half-written one."""

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
        self._demos: list[str] = []
        self._pending_page: tuple[int, str, list[Path]] | None = None  # the newest Markdown the page has not caught up with
        self._needs_baseline = False
        self._setting: _Setting | None = None
        self._front: literal.FrontMatter | None = None  # the first file's front matter, as written
        self._files: dict[tuple[str, str, str], str] = {}  # (setting key, file path, source hash) -> rendered text, diagrams by URL
        self._images: dict[Path, set[str]] = {}  # a slide file -> the local images it shows (their edits re-render it)
        self._reload_at = 0  # the newest version a page can only reach by reloading (the CSS changed, slides added)
        self._lock = threading.Lock()
        self._page_lock = threading.Lock()
        self._work = cfg.build_dir / ".present" / deck_name
        self._work.mkdir(parents=True, exist_ok=True)

    def _captures(self) -> dict[str, Any]:
        """The demos' captures, parsed again only when a file's content changed (they are only read here:
        present mode never runs a demo to render a slide)."""
        found = {}
        names = demos.demo_names(self.cfg)
        for name in names:
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
        return {"demos": demos.DemoCaptures(found, names)}

    # --- what the session asks -------------------------------------------------------------------------
    def snapshot(self, *, notes: bool = True) -> dict:
        """Every slide of the newest version, for a page that is behind (opened while saves kept
        coming, or back from a dropped connection): it patches them all instead of reloading."""
        with self._lock:
            return {"version": self._version, "count": len(self._slides), "slides": dict(enumerate(self._slides)),
                    "notes": dict(enumerate(self._notes)) if notes else {}, "reload_at": self._reload_at, "css": self._css}

    def notes_of(self, index: int) -> str:
        """One slide's speaker notes (HTML), for a paired remote."""
        notes = self._notes
        return notes[index] if 0 <= index < len(notes) else ""

    @property
    def demos(self) -> list[str]:
        """The demos the deck's slides show (their panels' data-demo), in order."""
        return list(self._demos)

    @property
    def palette(self) -> dict[str, str] | None:
        return dict(self._setting.colours) if self._setting else None

    def set_renderer(self, renderer: Any) -> None:
        with self._lock:
            self._renderer = renderer

    def set_marp(self, marp: WarmMarp, page_marp: WarmMarp) -> None:
        self._marp, self._page_marp = marp, page_marp

    # --- building ------------------------------------------------------------------------------------
    def first_build(self) -> BuiltDeck | None:
        """Render the deck for the start. A second start of an unchanged deck finds its page in the
        cache (by a hash of the Markdown, the themes and marp-cli's version), so the first slide shows
        without waiting for marp; otherwise None, and `rebuild_page()` writes it (`state.error` says
        when the deck does not build). The slides the next save is compared with are rendered behind
        it (`baseline`)."""
        with self._lock:
            try:
                markdown, theme_paths = self._markdown({})
            except BuildError as err:
                self.state.error = err.message
                return None
            self._version = 1
            self._pending_page = (1, markdown, theme_paths)
            self._needs_baseline = True
            cached = self._work / f"page-{self._page_key(markdown, theme_paths)}.html"
            if cached.is_file():
                self.state.built = BuiltDeck(1, cached.read_text())
            return self.state.built

    def baseline(self) -> None:
        """marp-core's slides of the served version: what the first save is compared with."""
        with self._lock:
            if not self._needs_baseline or self._pending_page is None:
                return
            _, markdown, theme_paths = self._pending_page
            try:
                rendered = self._render_slides(markdown, theme_paths)
            except BuildError:
                return  # the first save then patches every slide: slower, still right
            self._slides, self._notes, self._css = rendered["slides"], rendered["notes"], rendered["css"]
            self._needs_baseline = False

    def _page_key(self, markdown: str, theme_paths: list[Path]) -> str:
        return sha256_json({"markdown": markdown, "themes": [p.read_text() for p in theme_paths], "marp": package_version(self.cfg, MARP),
                            "options": MARP_OPTIONS["html"], "engine": ENGINE.read_text()})[:32]

    def rebuild(self, changed: set[Path] | frozenset[Path] = frozenset()) -> HotUpdate | None:
        """Render the deck and its slides; on a mistake keep the last good deck and record
        `file:line: message` (state.error). Files that did not change (`changed`: the saved files,
        for the record; sources are compared by content) come from the cache."""
        with self._lock:
            stages: dict[str, float] = {}
            started = time.perf_counter()
            edited = {str(p.resolve()) for p in changed}
            for path, images in self._images.items():  # an image saved: the files showing it render again (its URL is its content)
                if images & edited:
                    self._files = {k: v for k, v in self._files.items() if k[1] != str(path)}
            try:
                markdown, theme_paths = self._markdown(stages)
                mark = time.perf_counter()
                rendered = self._render_slides(markdown, theme_paths)
                stages["marp-core"] = time.perf_counter() - mark
                if (rendered["globals"].get("theme") or "default") != self._setting.read.theme:
                    # A save moved the deck to another theme: its palette colours the pictures and diagrams.
                    self._setting = None
                    markdown, theme_paths = self._markdown(stages)
                    rendered = self._render_slides(markdown, theme_paths)
            except BuildError as err:
                self.state.error = err.message
                return None
            slides = _changed(self._slides, rendered["slides"])
            update = HotUpdate(
                version=self._version + 1, base=self._version, count=len(rendered["slides"]),
                slides=slides, notes=_changed(self._notes, rendered["notes"]),
                # Not patchable: slides added or removed, the CSS changed, or a changed slide has a scoped
                # style (its scope name in the full page is marp-cli's own, not marp-core's).
                reload=len(rendered["slides"]) != len(self._slides) or rendered["css"] != self._css
                or any(SCOPED in html for html in slides.values()),
                seconds=time.perf_counter() - started, stages=stages,
            )
            self._version = update.version
            if update.reload:
                self._reload_at = update.version
            self._slides, self._notes, self._css = rendered["slides"], rendered["notes"], rendered["css"]
            self._pending_page = (update.version, markdown, theme_paths)
            self.state.error = None
            return update

    def _render_slides(self, markdown: str, theme_paths: list[Path]) -> dict:
        """marp-core's whole deck: slides (labelled as the exported deck's), notes, CSS, directives."""
        md_path = self._work / "hot.md"
        md_path.write_text(markdown)
        front = self._front
        rendered = self._marp.deck(md_path, self._work / "slides.json", theme_paths, css=True, front_matter=front.text if front else None)
        total = len(rendered["slides"])
        self.state.warnings = directives.interpret(self.cfg, self._setting.deck, rendered, front).warnings  # a broken front matter raises
        rendered["slides"] = [html_post.label_slides(html, total) for html in rendered["slides"]]
        rendered["notes"] = [_notes_html(comments) for comments in rendered["notes"]]
        return rendered

    def _setting_for(self, context: dict[str, Any]) -> _Setting:
        """The deck, its directives, palette and Jinja environment; made again only when what they
        are made from changed (deck.toml, the file list, a theme's CSS, the macros, the captures)."""
        deck = render.load_deck(self.cfg, self.deck_name)
        themes = render.theme_files(self.cfg, deck.folder)
        macros = self.cfg.slides_dir / render.MACROS_TEMPLATE
        key = sha256_json({
            "deck": [deck.defaults, list(map(str, deck.slide_paths)), dict(deck.variables)],
            "themes": {name: path.read_text() for name, path in themes.items()},
            "macros": macros.read_text() if macros.is_file() else "",
            "captures": {name: cached[0] for name, cached in self._parsed.items()},
            "demos": sorted(context.get("demos", {})),
        })
        if self._setting is not None and self._setting.key == key:
            return self._setting
        read = directives.read(self.cfg, deck, themes, marp=self._marp)
        colours = palette.theme_palette(read.theme, themes)
        env, values = render.templates(self.cfg, deck, {**context, "presenting": True}, colours, read.globals)
        self._setting = _Setting(key, deck, read, themes, colours, env, values)
        self._files.clear()
        return self._setting

    def _markdown(self, stages: dict[str, float]) -> tuple[str, list[Path]]:
        mark = time.perf_counter()
        setting = self._setting_for(self._context())
        deck = setting.deck
        texts, fresh = [], []
        for index, path in enumerate(deck.slide_paths):
            source = render.read_source(path, self.cfg)
            file_key = (setting.key, str(path), sha256_text(source))
            if file_key in self._files:
                texts.append(self._files[file_key])
                continue
            fresh.append((index, file_key, render.render_file(self.cfg, setting.env, setting.values, path, first=index == 0)))
            texts.append("")
        stages["render"] = time.perf_counter() - mark
        mark = time.perf_counter()
        if fresh:
            styled = setting.read.theme in setting.themes and setting.themes[setting.read.theme].parent.resolve() == self.cfg.theme_dir.resolve()
            part = render.RenderedDeck(deck=deck, files=tuple(f for _, _, f in fresh))
            embedded = diagrams.render_and_embed(self.cfg, part, renderer=self._renderer, palette_=setting.colours, styled=styled)
            if len(self._files) > 4 * len(deck.slide_paths) + 64:  # bounded: old versions of files go
                self._files.clear()
            for (index, file_key, rendered_file), text in zip(fresh, embedded):
                found = assets.Embedded()
                text = assets.embed(text, rendered_file.path.parent, self.cfg.root, self._asset_url, found, source=rendered_file.path)
                self._images[rendered_file.path] = {str(p) for p in found.files}
                texts[index] = self._files[file_key] = self._svgs_by_url(text)
        stages["diagrams"] = time.perf_counter() - mark
        self._front = literal.split_front_matter(render.read_source(deck.slide_paths[0], self.cfg))
        front = render.deck_front_matter(deck, self._front)
        front = assets.embed(front, deck.slide_paths[0].parent, self.cfg.root, self._asset_url, assets.Embedded(), code_aware=False)  # a footer's logo
        markdown = render.assemble(front, texts)
        self._demos = used_demos(markdown)
        return markdown, theme_set(self.cfg, deck, markdown)  # the project's themes with the shipped fonts, as the export has them

    def rebuild_page(self) -> BuiltDeck | None:
        """marp-cli's full page for the newest rendered Markdown (skipped when already current)."""
        with self._page_lock:
            pending = self._pending_page
            if pending is None or (self.state.built and self.state.built.version >= pending[0]):
                return None
            version, markdown, theme_paths = pending
            md_path = self._work / "page.md"
            out_path = self._work / "page.html"
            md_path.write_text(markdown)
            try:
                self._page_marp.convert(md_path, out_path, theme_paths)
            except BuildError as err:
                self.state.error = err.message
                return None
            built = BuiltDeck(version, html_post.post_process(out_path.read_text()))  # regions, announcer, Replay: as exported
            self.state.built = built
            for old in self._work.glob("page-*.html"):  # the cache keeps the newest page only
                old.unlink(missing_ok=True)
            atomic_write_text(self._work / f"page-{self._page_key(markdown, theme_paths)}.html", built.html)
            return built

    def _asset_url(self, path: Path) -> str:
        """A local image by URL: named by its content, so an edited image is a new URL the pages fetch."""
        key = hashlib.sha256(path.read_bytes()).hexdigest()[:24] + path.suffix.lower()
        self.state.assets[key] = path
        return ASSET_URL.format(key[:24], key[24:])

    def _svgs_by_url(self, text: str) -> str:
        """Inlined SVGs -> URLs this server answers: marp parses kilobytes instead of hundreds."""

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
