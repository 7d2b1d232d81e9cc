"""The build, read top to bottom as its list of stages. Each stage is a function a watcher can re-run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from deckbuild import demos, diagrams, export, render
from deckbuild.config import Config


@dataclass(frozen=True)
class DeckBuild:
    deck: render.Deck
    markdown: str
    outputs: list[export.ExportResult]


def run_demos(cfg: Config, names: list[str] | None = None, *, refresh: bool = False, keep_going: bool = False) -> demos.DemoRun:
    """Stage 0, once per build for every deck: re-run stale demos, load the captures."""
    return demos.capture_all(cfg, names, refresh=refresh, keep_going=keep_going)


def prepare(
    cfg: Config, deck_name: str, context: Mapping[str, Any] | None = None, renderer: diagrams.MermaidRenderer | None = None
) -> tuple[render.Deck, str]:
    """Gather, validate and render everything; nothing in build/ is touched yet.

    `renderer`: a live MermaidRenderer to reuse (a watcher keeps one); None starts one if needed."""
    deck = render.load_deck(cfg, deck_name)  # deck.toml, theme, slide files
    rendered = render.render_deck(cfg, deck, context)  # Jinja2 -> Marp Markdown, one slide per file
    slide_texts = diagrams.render_and_embed(cfg, rendered, renderer)  # ```mermaid -> cached SVG images
    return deck, render.assemble(rendered.front_matter, slide_texts)


def build(cfg: Config, deck_name: str, formats: tuple[str, ...], context: Mapping[str, Any] | None = None) -> DeckBuild:
    deck, markdown = prepare(cfg, deck_name, context)
    outputs = export.export(cfg, deck, markdown, formats)  # marp-cli -> HTML / PDF, moved in atomically
    return DeckBuild(deck, markdown, outputs)
