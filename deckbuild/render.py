"""Stage 1: gather a deck (deck.toml + numbered slide files) and render its Jinja2 templates.

Everything is read and validated before anything is written (mkdocs' rule), and every mistake is
reported as `file:line: what is wrong`.
"""

from __future__ import annotations

import json
import re
import tomllib
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import jinja2

from deckbuild import history_view
from deckbuild.config import Config
from deckbuild.errors import BuildError, source_error

SLIDE_GLOB = "[0-9][0-9]-*.md"
MACROS_TEMPLATE = "_macros.md.j2"  # shared by every deck; exposed to slides as `m`
MANIFEST_KEYS = {"title", "theme", "paginate", "author", "vars"}
THEME_NAME_RE = re.compile(r"/\*\s*@theme\s+([\w-]+)\s*\*/")
# A line Marp would read as a slide break (a thematic break), outside code fences.
SLIDE_BREAK_RE = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Deck:
    name: str
    manifest_path: Path
    title: str
    theme: str
    theme_path: Path
    paginate: bool
    author: str
    variables: Mapping[str, Any]
    slide_paths: tuple[Path, ...]


@dataclass(frozen=True)
class RenderedSlide:
    path: Path  # the template file
    source: str  # its text before rendering
    text: str  # rendered Marp Markdown (one slide)


@dataclass(frozen=True)
class RenderedDeck:
    deck: Deck
    slides: tuple[RenderedSlide, ...]
    front_matter: str = field(default="")


def available_themes(cfg: Config) -> dict[str, Path]:
    """Theme name (from its `/* @theme name */` comment) -> CSS file."""
    themes = {}
    for css in sorted(cfg.theme_dir.glob("*.css")):
        match = THEME_NAME_RE.search(css.read_text())
        if match:
            themes[match.group(1)] = css
    return themes


def _line_of(text: str, pattern: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(pattern, line.strip()):
            return number
    return None


def load_deck(cfg: Config, name: str) -> Deck:
    deck_dir = cfg.slides_dir / name
    manifest_path = deck_dir / "deck.toml"
    if not manifest_path.is_file():
        known = ", ".join(cfg.deck_names()) or "none"
        raise BuildError(f"no deck named {name!r}: {manifest_path} does not exist (decks: {known})")
    text = manifest_path.read_text()
    try:
        manifest = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = re.search(r"line (\d+)", str(err))
        line = int(found.group(1)) if found else len(text.splitlines())  # "at end of document"
        raise source_error(manifest_path, line, f"invalid TOML: {err}", cfg.root) from None

    def fail(key: str, what: str) -> BuildError:
        return source_error(manifest_path, _line_of(text, rf"\[?{re.escape(key)}\b"), what, cfg.root)

    for key in manifest:
        if key not in MANIFEST_KEYS:
            raise fail(key, f"unknown key {key!r} (known: {', '.join(sorted(MANIFEST_KEYS))})")
    for key in ("title", "theme"):
        if not isinstance(manifest.get(key), str) or not manifest[key].strip():
            raise source_error(manifest_path, _line_of(text, rf"{key}\b") or 1, f"`{key}` (a non-empty string) is required", cfg.root)
    themes = available_themes(cfg)
    theme = manifest["theme"]
    if theme not in themes:
        have = ", ".join(sorted(themes)) or "none"
        raise fail("theme", f"theme {theme!r} not found: no CSS file in {cfg.theme_dir} declares `/* @theme {theme} */` (available: {have})")
    variables = manifest.get("vars", {})
    if not isinstance(variables, dict):
        raise fail("vars", "`vars` must be a table of template variables")
    slide_paths = tuple(sorted(deck_dir.glob(SLIDE_GLOB)))
    if not slide_paths:
        raise source_error(manifest_path, None, f"the deck has no slides (expected files named like 01-title.md in {deck_dir})", cfg.root)
    return Deck(
        name=name,
        manifest_path=manifest_path,
        title=manifest["title"],
        theme=theme,
        theme_path=themes[theme],
        paginate=bool(manifest.get("paginate", True)),
        author=str(manifest.get("author", "")),
        variables=variables,
        slide_paths=slide_paths,
    )


def make_environment(cfg: Config) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(cfg.slides_dir),
        undefined=jinja2.StrictUndefined,  # a typo in a variable name is an error, never an empty string
        keep_trailing_newline=True,
        autoescape=False,  # Markdown, not HTML; macros escape captured text themselves
    )
    env.globals.update(history_view.template_helpers())
    return env


def _template_frame_line(err: BaseException, cfg: Config) -> tuple[Path, int] | None:
    """Jinja rewrites tracebacks so template frames carry the template's path and line."""
    slides = cfg.slides_dir.resolve()
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        path = Path(frame.filename)
        if path.is_absolute() and path.resolve().is_relative_to(slides) and frame.lineno:
            return path, frame.lineno
    return None


def _render_error(err: Exception, path: Path, cfg: Config) -> BuildError:
    if isinstance(err, jinja2.TemplateSyntaxError):
        where = Path(err.filename) if err.filename else path
        return source_error(where, err.lineno, f"template syntax error: {err.message}", cfg.root)
    located = _template_frame_line(err, cfg)
    where, line = located if located else (path, None)
    if isinstance(err, jinja2.UndefinedError):
        what = f"undefined variable: {err.message}"
    elif isinstance(err, jinja2.TemplateNotFound):
        what = f"template not found: {err.name}"
    else:
        what = f"template error: {type(err).__name__}: {err}"
    return source_error(where, line, what, cfg.root)


def closes_fence(line: str, marker: str) -> bool:
    """Does `line` close a code block opened by `marker`? (CommonMark: the same character, at
    least as many of it, nothing after.)"""
    match = FENCE_RE.match(line)
    if not match:
        return False
    found = match.group(1)
    return found[0] == marker[0] and len(found) >= len(marker) and not line.strip()[len(found):].strip()


def _check_one_slide(slide: RenderedSlide, cfg: Config) -> None:
    """One file, one slide: a stray `---` would silently split it and shift every later slide."""
    fence: str | None = None
    for number, line in enumerate(slide.text.splitlines(), 1):
        if fence is not None:
            if closes_fence(line, fence):
                fence = None
            continue
        opening = FENCE_RE.match(line)
        if opening:
            fence = opening.group(1)
            continue
        if SLIDE_BREAK_RE.match(line):
            src_line = _line_of(slide.source, re.escape(line.strip())) or number
            raise source_error(slide.path, src_line, "a slide file holds exactly one slide: move what follows this break into its own numbered file", cfg.root)


def front_matter(deck: Deck) -> str:
    # JSON strings are valid YAML scalars: safe quoting for titles with colons or dashes.
    lines = ["---", "marp: true", f"theme: {deck.theme}", f"paginate: {'true' if deck.paginate else 'false'}", f"title: {json.dumps(deck.title, ensure_ascii=False)}"]
    if deck.author:
        lines.append(f"author: {json.dumps(deck.author, ensure_ascii=False)}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def render_deck(cfg: Config, deck: Deck, context: Mapping[str, Any] | None = None) -> RenderedDeck:
    """Render every slide template; the first error stops the build before anything is written."""
    env = make_environment(cfg)
    values = {"deck": deck, "demos": {}, "presenting": False, "ui_base": None, **deck.variables, **(context or {})}
    try:
        env.globals["m"] = env.get_template(MACROS_TEMPLATE).make_module(values)
    except jinja2.TemplateNotFound:
        pass  # a project without shared macros is fine
    except Exception as err:  # noqa: BLE001 - every template error becomes file:line
        raise _render_error(err, cfg.slides_dir / MACROS_TEMPLATE, cfg) from None
    slides = []
    for path in deck.slide_paths:
        name = path.relative_to(cfg.slides_dir).as_posix()
        source = path.read_text()
        try:
            text = env.get_template(name).render(values)
        except Exception as err:  # noqa: BLE001
            raise _render_error(err, path, cfg) from None
        slide = RenderedSlide(path=path, source=source, text=text.strip("\n") + "\n")
        _check_one_slide(slide, cfg)
        slides.append(slide)
    return RenderedDeck(deck=deck, slides=tuple(slides), front_matter=front_matter(deck))


def assemble(front: str, slide_texts: list[str]) -> str:
    """The Markdown marp-cli reads: front matter, then slides separated by `---`."""
    return front + "\n" + "\n---\n\n".join(text.rstrip("\n") + "\n\n" for text in slide_texts).rstrip("\n") + "\n"
