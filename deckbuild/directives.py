"""What marp reads in a deck's Markdown, asked of marp itself: no second directive parser here.

Marp's directives (front matter, `<!-- theme: x -->` anywhere, spot and local directives,
`headingDivider`) are marp's business: the Markdown goes to marp as written. The pipeline needs a
few answers from them -- which theme the deck ends up in (its palette colours the diagrams and
story pictures), its title, author and language (the PDF's metadata) -- and the mistakes marp
itself would pass over in silence:
- a front matter that is not YAML even to Marp's loose reader: marp drops it whole (every
  directive in it lost), so here it is an error at its line (exit 2);
- a theme nobody provides (a deck copied without its CSS): marp falls back to `default`, and so
  does the build, saying so as a `file:line: warning`;
- a front matter key that is no directive (`pagiante: true`): marp ignores it; a warning names it.

The answers come from deckbuild/node/marp_server.cjs (marp-core with Marpit's own directive code)
run on the deck's files as written, and are cached by the hash of everything they depend on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from deckbuild import literal, render
from deckbuild.config import Config
from deckbuild.errors import source_error
from deckbuild.fsutil import atomic_write_text, sha256_json
from deckbuild.tools import MARP, package_version

SCRIPT = Path(__file__).resolve().parent / "node" / "marp_server.cjs"


@dataclass(frozen=True)
class MarpRead:
    """The directives marp read, and what the build should tell the author about them."""

    theme: str  # the theme the deck is set in ("default" when none, or when the one asked for is missing)
    globals: dict = field(default_factory=dict)  # marp's global directives, as it resolved them
    warnings: tuple[str, ...] = ()
    slide_count: int = 0

    @property
    def title(self) -> str | None:
        return self.globals.get("title") or None

    @property
    def author(self) -> str:
        return self.globals.get("author") or ""

    @property
    def lang(self) -> str:
        return self.globals.get("lang") or render.DEFAULT_LANG


def read(cfg: Config, deck: render.Deck, themes: dict[str, Path], marp=None) -> MarpRead:
    """Ask marp about `deck` as written (templates unrendered: directives are what the author wrote).
    `marp`: a running WarmMarp to ask (present mode keeps one); else one is started if not cached."""
    markdown = render.raw_markdown(cfg, deck)
    first = render.read_source(deck.slide_paths[0], cfg)
    front = literal.split_front_matter(first)
    theme_paths = list(themes.values())
    key = sha256_json({"markdown": markdown, "themes": [p.read_text() for p in theme_paths], "front": front.text if front else None,
                       "marp": package_version(cfg, MARP), "script": SCRIPT.read_text(), "format": 1})
    cached = cfg.cache_dir / "directives" / f"{key[:32]}.json"
    if cached.is_file():
        answer = json.loads(cached.read_text())
    else:
        answer = _ask(cfg, deck, markdown, theme_paths, front, marp)
        atomic_write_text(cached, json.dumps(answer))
    return interpret(cfg, deck, answer, front)


def _ask(cfg: Config, deck: render.Deck, markdown: str, theme_paths: list[Path], front, marp) -> dict:
    from deckbuild.present.marp_warm import WarmMarp

    work = cfg.cache_dir / "directives" / "work" / deck.name
    work.mkdir(parents=True, exist_ok=True)
    md_path = work / "raw.md"
    md_path.write_text(markdown)
    own = marp is None
    marp = marp or WarmMarp(cfg, work / "marp.log")
    try:
        answer = marp.deck(md_path, work / "read.json", theme_paths, css=False, front_matter=front.text if front else None)
    finally:
        if own:
            marp.close()
    return {k: answer[k] for k in ("globals", "asked", "themes", "front_matter", "lines")}


def interpret(cfg: Config, deck: render.Deck, answer: dict, front: literal.FrontMatter | None) -> MarpRead:
    """marp's answer -> the deck's theme and the author's errors and warnings, each at its line."""
    first = deck.slide_paths[0]
    checked = answer.get("front_matter")
    if checked and not checked["ok"]:
        raise source_error(first, 2 + int(checked.get("line") or 0), f"marp cannot read this front matter: {checked['reason']} "
                           "(marp would drop it whole, with every directive in it)", cfg.root)
    warnings = []
    for key in (checked or {}).get("unknown", []):
        line = _line_in(front.text, rf"""^["']?{re.escape(key)}["']?\s*:""") if front else None
        where = f"{_shown(first, cfg)}:{1 + line}" if line else _shown(first, cfg)
        warnings.append(f"{where}: warning: `{key}` is not a Marp directive (marp ignores it)")
    known = set(answer.get("themes", []))
    for name in answer.get("asked", []):
        if name not in known:
            where = _theme_line(cfg, deck, name)
            warnings.append(f"{where}: warning: theme {name!r} is not provided (no CSS in theme/ or in the deck's folder declares "
                            f"`/* @theme {name} */`): marp falls back to the default theme, and so does this build")
    theme = answer.get("globals", {}).get("theme") or "default"
    return MarpRead(theme=theme, globals=dict(answer.get("globals", {})), warnings=tuple(warnings), slide_count=len(answer.get("lines", [])))


def _line_in(text: str, pattern: str) -> int | None:
    for number, line in enumerate(text.split("\n"), 1):
        if re.match(pattern, line):
            return number
    return None


def _shown(path: Path, cfg: Config) -> str:
    try:
        return str(path.resolve().relative_to(cfg.root.resolve()))
    except ValueError:
        return str(path)


def _theme_line(cfg: Config, deck: render.Deck, name: str) -> str:
    """Where the deck asks for theme `name`: its front matter, a directive comment, or deck.toml."""
    pattern = re.compile(rf"""\btheme\s*[:=]\s*["']?{re.escape(name)}["']?\s*(-->|$)""", re.M)
    for path in [*deck.slide_paths, *([deck.manifest_path] if deck.manifest_path else [])]:
        text = path.read_text(errors="replace")
        match = pattern.search(text)
        if match:
            return f"{_shown(path, cfg)}:{text.count(chr(10), 0, match.start()) + 1}"
    return _shown(deck.slide_paths[0], cfg)
