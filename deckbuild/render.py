"""Stage 1: gather a deck and render its Jinja2 templates into the Markdown marp reads.

A deck is a folder `slides/<name>/` holding either numbered slide files (`01-title.md`,
`145-demo.md`: each file starts a new slide, and may hold more, split as Marp splits them) or one
Markdown file of any name: a Marp deck as it is. `deck.toml` is optional; it adds what Marp has no
word for (template variables) and defaults for what it has (title, theme, paginate, author,
lang). The Markdown wins: a default is written into the front matter only when the deck's own
front matter does not set that key (and a directive in a comment overrides either, as in Marp).

Slides are not split here. marp's own parser (markdown-it with Marpit's rules: thematic breaks,
`headingDivider`, front matter) is the only slide splitter; this stage renders whole files:
- the first file's front matter is Marp's, passed through untouched (never a template);
- the rest of each file is one Jinja template whose code regions (fenced and indented code, code
  spans, link targets, math: deckbuild/literal.py) are shown as written, so `{{ }}` in code is
  code; every mistake is reported as `file:line: what is wrong` at the line in the file.
Everything is read and validated before anything is written.
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

from deckbuild import history_view, literal
from deckbuild.config import Config
from deckbuild.errors import BuildError, source_error
from deckbuild.fsutil import sha256_text

SLIDE_FILE_RE = re.compile(r"^(\d+)-.*\.md$")  # 01-title.md, 145-demo.md, 1000-end.md
MACROS_TEMPLATE = "_macros.md.j2"  # shared by every deck; exposed to slides as `m`
MANIFEST_KEYS = {"title", "theme", "paginate", "author", "lang", "vars", "questions"}
QUESTIONS_KEYS = {"moderation"}  # [questions] in deck.toml: share mode's questions from the room
LANG_RE = re.compile(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*")  # a BCP 47 tag: en, en-GB, sv
THEME_NAME_RE = re.compile(r"/\*\s*@theme\s+([\w-]+)\s*\*/")
BUILTIN_THEMES = ("default", "gaia", "uncover")  # marp-core's own
DEFAULT_LANG = "en"  # marp-cli would take the machine's locale ("C" here): a deck says its language, or is English
# A top-level key of YAML front matter ("key:" at column 0, quoted or not).
FRONT_KEY_RE = re.compile(r"""^(["']?)([A-Za-z_$][\w$-]*)\1[ \t]*:""")


@dataclass(frozen=True)
class Deck:
    name: str
    folder: Path
    manifest_path: Path | None  # deck.toml, when there is one
    variables: Mapping[str, Any]
    slide_paths: tuple[Path, ...]
    defaults: tuple[tuple[str, str], ...] = ()  # (directive, YAML value) from deck.toml, in order
    settings: Mapping[str, Any] = field(default_factory=dict)  # deck.toml's title, theme, paginate, author, lang as written


@dataclass(frozen=True)
class DeckFacts:
    """`deck` in slide templates: the deck's name and what marp resolved of its directives (the
    Markdown's, else deck.toml's), so `{{ deck.title }}` is the title the deck is shown with."""

    name: str
    title: str
    author: str
    lang: str
    theme: str

    @classmethod
    def of(cls, deck: Deck, marp_globals: Mapping[str, Any] | None) -> DeckFacts:
        found = {**{k: v for k, v in deck.settings.items() if isinstance(v, str)}, **{k: v for k, v in (marp_globals or {}).items() if isinstance(v, str)}}
        return cls(deck.name, found.get("title", ""), found.get("author", ""), found.get("lang", DEFAULT_LANG), found.get("theme", "default"))


@dataclass(frozen=True)
class RenderedFile:
    path: Path  # the template file
    source: str  # the file as written
    text: str  # rendered Marp Markdown (its front matter, if any, taken out)
    first_line: int = 1  # the line of the file `source` starts at
    front_matter: literal.FrontMatter | None = None


@dataclass(frozen=True)
class RenderedDeck:
    deck: Deck
    files: tuple[RenderedFile, ...]
    front_matter: str = field(default="")  # what marp reads first: the deck's own, with deck.toml's defaults added


def theme_files(cfg: Config, folder: Path | None = None) -> dict[str, Path]:
    """Theme name (from its `/* @theme name */` comment) -> CSS file: the project's `theme/*.css`,
    then the deck folder's own CSS files (a Marp deck copied with its custom theme)."""
    themes = {}
    for css in sorted(cfg.theme_dir.glob("*.css")) + (sorted(folder.glob("*.css")) if folder else []):
        match = THEME_NAME_RE.search(css.read_text(errors="replace"))
        if match:
            themes[match.group(1)] = css
    return themes


def available_themes(cfg: Config) -> dict[str, Path]:
    """The project's own themes (theme/*.css)."""
    return theme_files(cfg)


def _line_of(text: str, pattern: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(pattern, line.strip()):
            return number
    return None


def load_deck(cfg: Config, name: str) -> Deck:
    folder = cfg.slides_dir / name
    manifest_path = folder / "deck.toml"
    if not folder.is_dir() or name.startswith(("_", ".")) or not (manifest_path.is_file() or any(folder.glob("*.md"))):
        known = ", ".join(cfg.deck_names()) or "none"
        raise BuildError(f"no deck named {name!r}: {folder} holds no deck.toml and no Markdown file (decks: {known})")
    manifest, defaults = ({}, ())
    if manifest_path.is_file():
        manifest, defaults = _read_manifest(cfg, manifest_path, folder)
    slide_paths = slide_files(cfg, folder, manifest_path if manifest_path.is_file() else None)
    return Deck(name=name, folder=folder, manifest_path=manifest_path if manifest_path.is_file() else None,
                variables=manifest.get("vars", {}), slide_paths=slide_paths, defaults=defaults,
                settings={k: v for k, v in manifest.items() if k != "vars"})


def questions_moderation(deck: Deck) -> bool:
    """deck.toml's `[questions] moderation = true`: share mode's new questions wait for approval."""
    return bool((deck.settings.get("questions") or {}).get("moderation", False))


def _read_manifest(cfg: Config, manifest_path: Path, folder: Path) -> tuple[dict, tuple[tuple[str, str], ...]]:
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
    for key in ("title", "theme", "author"):
        if key in manifest and (not isinstance(manifest[key], str) or not manifest[key].strip()):
            raise fail(key, f"`{key}` must be a non-empty string")
    if "theme" in manifest:
        themes = theme_files(cfg, folder)
        if manifest["theme"] not in themes and manifest["theme"] not in BUILTIN_THEMES:
            have = ", ".join([*BUILTIN_THEMES, *sorted(themes)])
            raise fail("theme", f"theme {manifest['theme']!r} not found: no CSS file in {cfg.theme_dir} or the deck's folder declares "
                                f"`/* @theme {manifest['theme']} */`, and Marp has no built-in theme of that name (available: {have})")
    if "paginate" in manifest and not isinstance(manifest["paginate"], bool):
        raise fail("paginate", "`paginate` must be true or false")
    if not isinstance(manifest.get("vars", {}), dict):
        raise fail("vars", "`vars` must be a table of template variables")
    questions = manifest.get("questions", {})
    if not isinstance(questions, dict) or set(questions) - QUESTIONS_KEYS or not isinstance(questions.get("moderation", False), bool):
        raise fail("questions", "`[questions]` takes `moderation = true` or `false` (new questions wait for the presenter's approval)")
    lang = manifest.get("lang", DEFAULT_LANG)
    if not isinstance(lang, str) or not LANG_RE.fullmatch(lang):
        raise fail("lang", f"`lang` must be a language tag like \"en\" or \"en-GB\", not {lang!r}")
    # Directive defaults as YAML scalars (JSON strings are valid YAML: titles with colons or dashes are safe).
    defaults = [("theme", manifest.get("theme")), ("paginate", None if "paginate" not in manifest else ("true" if manifest["paginate"] else "false")),
                ("title", manifest.get("title")), ("lang", manifest.get("lang")), ("author", manifest.get("author"))]
    quoted = tuple((k, v if k in ("theme", "paginate", "lang") else json.dumps(v, ensure_ascii=False)) for k, v in defaults if v is not None)
    return manifest, quoted


def read_source(path: Path, cfg: Config) -> str:
    """A slide file's text; one saved in another encoding is the author's mistake, named with its line."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise source_error(path, line, f"not UTF-8 text (byte 0x{data[err.start]:02x}); save the file as UTF-8", cfg.root) from None


def slide_files(cfg: Config, folder: Path, manifest: Path | None = None) -> tuple[Path, ...]:
    """The deck's Markdown: its numbered slide files in numeric order (2 < 10, 010 < 100 < 1000; name
    breaks ties), or else its one Markdown file (any name); of several, the one Marp would open
    (`marp: true` in its front matter)."""
    found = [(int(match.group(1)), path.name, path) for path in folder.glob("*.md") if path.is_file() and (match := SLIDE_FILE_RE.match(path.name))]
    if found:
        return tuple(path for _, _, path in sorted(found))
    markdown = sorted(path for path in folder.glob("*.md") if path.is_file())
    if len(markdown) > 1:
        marp = [path for path in markdown if _says_marp(path)]
        if len(marp) == 1:
            return tuple(marp)
        names = ", ".join(path.name for path in markdown)
        raise source_error(folder, None, f"several Markdown files and none (or more than one) says `marp: true` in its front matter ({names}): "
                           "keep the deck in one file, or number the slide files (01-title.md, 02-...)", cfg.root)
    if not markdown:
        raise source_error(manifest or folder, None, f"the deck has no slides (expected a Markdown file, or numbered files like 01-title.md, in {folder})", cfg.root)
    return tuple(markdown)


def _says_marp(path: Path) -> bool:
    """`marp: true` in the file's front matter, or in a leading HTML comment (Marp reads global
    directives there too)."""
    text = path.read_text(errors="replace")
    front = literal.split_front_matter(text)
    head = front.text if front is not None else (m.group(1) if (m := re.match(r"\s*<!--(.*?)-->", text, re.S)) else "")
    return re.search(r"(?m)^\s*marp[ \t]*:[ \t]*true\b", head) is not None


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
        return source_error(where, err.lineno, f"template syntax error: {err.message}{_literal_braces_hint(err)}", cfg.root)
    located = _template_frame_line(err, cfg)
    where, line = located if located else (path, None)
    if isinstance(err, jinja2.UndefinedError):
        what = f"undefined variable: {err.message}"
    elif isinstance(err, jinja2.TemplateNotFound):
        what = f"template not found: {err.name}"
    else:
        what = f"template error: {type(err).__name__}: {err}"
    return source_error(where, line, what, cfg.root)


def _literal_braces_hint(err: jinja2.TemplateSyntaxError) -> str:
    """Braces meant literally in prose are read as Jinja: say so, and how to keep them."""
    lines = (err.source or "").splitlines()
    line = lines[err.lineno - 1] if err.lineno and err.lineno <= len(lines) else ""
    if not re.search(r"\{\{|\{%|\{#", line):
        return ""
    return (" (in slide prose `{{`, `{%` and `{#` start template code; braces in code -- a code block, `inline code`, "
            "a link target -- are shown as written; to show them in prose, wrap them in {% raw %}...{% endraw %})")


# Compiled templates by a hash of their source: compiling is most of rendering a deck, and a save
# changes one file, so present mode's rebuild compiles that one. (Every environment is made the same
# way by make_environment, so a compiled template is valid for any of them.)
_COMPILED: dict[str, Any] = {}


def _template(env: jinja2.Environment, source: str, name: str, filename: str) -> jinja2.Template:
    key = sha256_text(name, filename, source)
    code = _COMPILED.get(key)
    if code is None:
        code = env.compile(source, name=name, filename=filename)
        if len(_COMPILED) > 2048:  # bounded: a long editing session makes many versions
            _COMPILED.clear()
        _COMPILED[key] = code
    return env.template_class.from_code(env, code, env.make_globals(None))


def deck_front_matter(deck: Deck, authored: literal.FrontMatter | None) -> str:
    """The front matter marp reads: the deck's own, as written, with each deck.toml default its
    keys do not set appended (the Markdown wins), and `lang` when nothing sets it."""
    defaults = dict(deck.defaults)
    defaults.setdefault("lang", DEFAULT_LANG)
    if authored is None:
        lines = ["marp: true", *(f"{key}: {value}" for key, value in defaults.items())]
        return "---\n" + "\n".join(lines) + "\n---\n"
    written = {match.group(2) for line in authored.text.split("\n") if (match := FRONT_KEY_RE.match(line))}
    added = [f"{key}: {value}" for key, value in defaults.items() if key not in written]
    if not added:
        return authored.block
    head, _, _ = authored.block.rstrip("\n").rpartition("\n")  # the block without its closing marker
    closing = authored.block.rstrip("\n").rsplit("\n", 1)[1]
    return "\n".join([head, *added, closing]) + "\n"


def render_deck(cfg: Config, deck: Deck, context: Mapping[str, Any] | None = None, palette: Mapping[str, str] | None = None,
                marp_globals: Mapping[str, Any] | None = None) -> RenderedDeck:
    """Render every slide file; the first error stops the build before anything is written."""
    env, values = templates(cfg, deck, context, palette, marp_globals)
    files = [render_file(cfg, env, values, path, first=index == 0) for index, path in enumerate(deck.slide_paths)]
    return RenderedDeck(deck=deck, files=tuple(files), front_matter=deck_front_matter(deck, files[0].front_matter))


def templates(cfg: Config, deck: Deck, context: Mapping[str, Any] | None = None, palette: Mapping[str, str] | None = None,
              marp_globals: Mapping[str, Any] | None = None) -> tuple[jinja2.Environment, dict[str, Any]]:
    """The Jinja environment a deck renders in (the shared macros loaded as `m`) and its values."""
    env = make_environment(cfg)
    env.globals["story_picture"] = _story_pictures(palette or default_palette(cfg, deck))
    values = {"deck": DeckFacts.of(deck, marp_globals), "demos": {}, "presenting": False, "ui_base": None, **deck.variables, **(context or {})}
    macros = cfg.slides_dir / MACROS_TEMPLATE
    try:
        if macros.is_file():  # a project without shared macros is fine
            env.globals["m"] = _template(env, macros.read_text(), MACROS_TEMPLATE, str(macros)).make_module(values)
    except Exception as err:  # noqa: BLE001 - every template error becomes file:line
        raise _render_error(err, cfg.slides_dir / MACROS_TEMPLATE, cfg) from None
    return env, values


def render_file(cfg: Config, env: jinja2.Environment, values: Mapping[str, Any], path: Path, *, first: bool = False) -> RenderedFile:
    """One slide file, rendered (present mode re-renders only the file that was saved). The first
    file's front matter is taken out (kept as blank lines, so every line keeps its number)."""
    name = path.relative_to(cfg.slides_dir).as_posix() if path.is_relative_to(cfg.slides_dir) else path.name
    source = read_source(path, cfg)
    front = literal.split_front_matter(source)
    if front is not None and not first:
        raise source_error(path, 1, "this file starts with a `---` line: only the deck's first file may have front matter, and each "
                           "numbered file already starts a new slide (remove the line)", cfg.root)
    body = source
    if front is not None:
        if not front.closed:
            raise source_error(path, 1, "this front matter is never closed: end it with a `---` line (marp would read the whole file as "
                               "front matter)", cfg.root)
        body = "\n" * front.lines + source[len(front.block):]  # the same lines, so Jinja's line numbers are the file's
    protected = literal.protect(body)
    try:
        text = protected.restore(_template(env, protected.template, name, str(path)).render(values))
    except Exception as err:  # noqa: BLE001 - every template error becomes file:line
        raise _render_error(err, path, cfg) from None
    if not text.strip():
        raise source_error(path, 1 + (front.lines if front else 0), "this file renders to nothing (it would be an empty slide)", cfg.root)
    return RenderedFile(path=path, source=source, text=text.strip("\n") + "\n", front_matter=front)


def default_palette(cfg: Config, deck: Deck) -> dict[str, str]:
    """Without marp's reading of the directives (tests, tools): deck.toml's theme, else marp's default."""
    from deckbuild.palette import theme_palette

    return theme_palette(str(deck.settings.get("theme") or "default"), theme_files(cfg, deck.folder))


def _story_pictures(palette: Mapping[str, str]):
    """`story_picture(capture, caption=True)` for slide templates: the captured run drawn in the
    deck's own palette (deckbuild.story). Drawn once per capture content and palette."""
    from deckbuild import story

    palette = dict(palette)

    def story_picture(capture: Mapping[str, Any], caption: bool = True) -> str:
        key = (sha256_text(json.dumps(capture, sort_keys=True)), json.dumps(palette, sort_keys=True), caption)
        if key not in _PICTURES:
            if len(_PICTURES) > 64:
                _PICTURES.clear()
            _PICTURES[key] = story.story_picture(dict(capture), palette, caption=caption)
        return _PICTURES[key]

    return story_picture


_PICTURES: dict[tuple, str] = {}  # drawn pictures by the content of their capture (present mode re-renders on every save)


def assemble(front: str, texts: list[str]) -> str:
    """The Markdown marp reads: the front matter, then each file's slides, a `---` between files."""
    return front + "\n" + "\n---\n\n".join(text.rstrip("\n") + "\n\n" for text in texts).rstrip("\n") + "\n"


def raw_markdown(cfg: Config, deck: Deck) -> str:
    """The deck's files as written, joined as `assemble` joins them (templates unrendered): what marp
    is asked about the deck's directives before anything is rendered (deckbuild/directives.py)."""
    sources = [read_source(path, cfg) for path in deck.slide_paths]
    front = literal.split_front_matter(sources[0])
    if front is not None and sources[0].startswith(front.block):
        sources[0] = sources[0][len(front.block):]
    return assemble(deck_front_matter(deck, front), sources)
