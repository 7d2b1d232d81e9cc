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
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from deckbuild import demos, diagrams, render
from deckbuild.config import Config
from deckbuild.errors import BuildError
from deckbuild.present.marp_warm import WarmMarp

DATA_URI_RE = re.compile(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')
SVG_URL = "/__present/svg/{}.svg"


@dataclass
class BuiltDeck:
    version: int
    html: str  # marp-cli's bespoke HTML, diagrams by URL
    seconds: float
    stages: dict[str, float]


@dataclass
class DeckState:
    """What the pages are shown: the last good build, and the error of the last attempt if it failed."""

    built: BuiltDeck | None = None
    error: str | None = None
    svgs: dict[str, bytes] = field(default_factory=dict)  # sha -> SVG, served under /__present/svg/


class LiveDeck:
    """Owner of one deck's in-memory build. `rebuild()` is called by one loop at a time."""

    def __init__(self, cfg: Config, deck_name: str, *, marp: WarmMarp, renderer: Any = None,
                 context: Callable[[], dict[str, Any]] | None = None):
        self.cfg = cfg
        self.deck_name = deck_name
        self._marp = marp
        self._renderer = renderer  # a warm Mermaid renderer, when the diagrams stage offers one
        self._context = context or (lambda: {"demos": {n: c for n in demos.demo_names(cfg) if (c := demos.load_capture(cfg, n))}})
        self.state = DeckState()
        self._version = 0
        self._lock = threading.Lock()
        self._work = cfg.build_dir / ".present" / deck_name
        self._work.mkdir(parents=True, exist_ok=True)

    def set_renderer(self, renderer: Any) -> None:
        with self._lock:
            self._renderer = renderer

    def rebuild(self) -> BuiltDeck | None:
        """Build the deck; on a mistake keep the last good one and record `file:line: message`."""
        with self._lock:
            stages: dict[str, float] = {}
            started = time.perf_counter()
            try:
                markdown, theme_path = self._markdown(stages)
                mark = time.perf_counter()
                md_path = self._work / "deck.md"
                out_path = self._work / "deck.html"
                md_path.write_text(markdown)
                out_path.unlink(missing_ok=True)
                self._marp.convert(md_path, out_path, theme_path)
                html = out_path.read_text()
                stages["marp"] = time.perf_counter() - mark
            except BuildError as err:
                self.state.error = err.message
                return None
            self._version += 1
            built = BuiltDeck(self._version, html, time.perf_counter() - started, stages)
            self.state.built = built
            self.state.error = None
            return built

    def _markdown(self, stages: dict[str, float]) -> tuple[str, Path]:
        mark = time.perf_counter()
        deck = render.load_deck(self.cfg, self.deck_name)
        context = {**self._context(), "presenting": True}
        rendered = render.render_deck(self.cfg, deck, context)
        stages["render"] = time.perf_counter() - mark
        mark = time.perf_counter()
        if self._renderer is not None:
            slide_texts = diagrams.render_and_embed(self.cfg, rendered, renderer=self._renderer)
        else:
            slide_texts = diagrams.render_and_embed(self.cfg, rendered)
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
