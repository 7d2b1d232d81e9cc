"""The build, read top to bottom as its list of stages. Each stage is a function a watcher can re-run."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from deckbuild import assets, demos, diagrams, directives, export, palette, render
from deckbuild.config import Config

DEMO_ATTR_RE = re.compile(r'\bdata-demo="([\w-]+)"')


@dataclass(frozen=True)
class Prepared:
    deck: render.Deck
    read: directives.MarpRead  # what marp read of the deck's directives
    markdown: str  # what marp-cli gets

    @property
    def demos(self) -> list[str]:
        return used_demos(self.markdown)


@dataclass(frozen=True)
class DeckBuild:
    deck: render.Deck
    markdown: str
    outputs: list[export.ExportResult]


def used_demos(markdown: str) -> list[str]:
    """The demos a deck shows (a demo slide's panel carries data-demo), in order of appearance."""
    return list(dict.fromkeys(DEMO_ATTR_RE.findall(markdown)))


def run_demos(cfg: Config, names: list[str] | None = None, *, refresh: bool = False, keep_going: bool = False) -> demos.DemoRun:
    """Stage 0: re-run stale demos, load the captures."""
    return demos.capture_all(cfg, names, refresh=refresh, keep_going=keep_going)


def prepare(cfg: Config, deck_name: str, context: Mapping[str, Any] | None = None, renderer: diagrams.MermaidRenderer | None = None, *,
            keep_going: bool = False, warn: Callable[[str], None] | None = None, marp=None) -> Prepared:
    """Gather, validate and render everything; nothing in build/ is touched yet.

    `renderer`: a live MermaidRenderer to reuse (a watcher keeps one); None starts one if needed.
    `warn`: told what the author should fix but marp would pass over (stderr by default).
    `marp`: a running WarmMarp to ask about directives (one per CLI run, whatever the number of decks)."""
    warn = warn or (lambda line: print(line, file=sys.stderr))
    deck = render.load_deck(cfg, deck_name)  # deck.toml (optional) and the slide files
    themes = render.theme_files(cfg, deck.folder)  # theme/*.css and the deck folder's own CSS
    read = directives.read(cfg, deck, themes, marp)  # marp's own parser: front matter, theme, title, lang
    for line in read.warnings:
        warn(line)
    colours = palette.theme_palette(read.theme, themes)  # diagrams and story pictures in the deck's colours
    rendered = render.render_deck(cfg, deck, context, colours, read.globals)  # Jinja2 -> Marp Markdown (code is code)
    styled = read.theme in themes and themes[read.theme].parent.resolve() == cfg.theme_dir.resolve()  # our themes size diagrams
    texts = diagrams.render_and_embed(cfg, rendered, renderer, colours, styled=styled, keep_going=keep_going, warn=warn)
    texts, front = embed_images(cfg, rendered, texts, assets.data_uri, warn)  # local images inside the one-file deck
    return Prepared(deck, read, render.assemble(front, texts))


def embed_images(cfg: Config, rendered: render.RenderedDeck, texts: list[str], resolve, warn: Callable[[str], None] | None,
                 found: assets.Embedded | None = None) -> tuple[list[str], str]:
    """Each file's local images (and the front matter's: a footer's logo, a backgroundImage) given
    `resolve(file)` as their URL; a path that names no file is a warning at its line."""
    found = found if found is not None else assets.Embedded()
    first = rendered.files[0].path
    front = assets.embed(rendered.front_matter, first.parent, cfg.root, resolve, found, source=first, code_aware=False)
    texts = [assets.embed(text, f.path.parent, cfg.root, resolve, found, source=f.path) for f, text in zip(rendered.files, texts)]
    for source, line, path in found.missing if warn else []:
        warn(f"{_shown(cfg, source)}:{line}: warning: image {path!r} not found (it shows as a broken image, as in marp-cli)")
    return texts, front


def _shown(cfg: Config, path) -> str:
    try:
        return str(path.resolve().relative_to(cfg.root.resolve()))
    except ValueError:
        return str(path)


def build(cfg: Config, deck_name: str, formats: tuple[str, ...], context: Mapping[str, Any] | None = None, *, keep_going: bool = False) -> DeckBuild:
    prepared = prepare(cfg, deck_name, context, keep_going=keep_going)
    outputs = export.export(cfg, prepared.deck, prepared.markdown, formats, prepared.read)  # marp-cli -> HTML / PDF, moved in atomically
    return DeckBuild(prepared.deck, prepared.markdown, outputs)
