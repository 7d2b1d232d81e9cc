"""The deck's shipped fonts: one face for text, one for code, one for symbols, from pinned npm packages.

A deck set in whatever the machine has overflows on one machine and fits on another. So the deck
carries its fonts: Atkinson Hyperlegible Next (text; the Braille Institute's face, made to be told
apart at a distance: I/l/1, O/0) and Atkinson Hyperlegible Mono (code), from @fontsource (OFL-1.1,
licence in node_modules/@fontsource/*/LICENSE), embedded as data URIs in the theme so the HTML stays
one offline file and Chromium embeds the same faces in the PDF and the PPTX pictures. Fontsource
ships Latin subsets only, without arrows or check marks; the characters a deck uses beyond them come
from DejaVu Sans (@fontsource/dejavu-sans), subset to exactly those characters ("Deck Symbols").

Also the fonts' real metrics for layout done in Python: text_width() adds up advance widths and the
GPOS pair kerning Chromium applies, read once from the font files and cached by their content hash.
"""

from __future__ import annotations

import base64
import logging
import functools
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from deckbuild.config import Config
from deckbuild.errors import BuildError, ExitCode
from deckbuild.fsutil import atomic_write_text, sha256_file, sha256_json

TEXT_FAMILY = "Atkinson Hyperlegible Next"
MONO_FAMILY = "Atkinson Hyperlegible Mono"
SYMBOL_FAMILY = "Deck Symbols"
# The CSS stacks the theme uses (theme/midnight-blue.css declares the same in --font-family/--font-mono).
TEXT_STACK = f'"{TEXT_FAMILY}", "{SYMBOL_FAMILY}", sans-serif'
MONO_STACK = f'"{MONO_FAMILY}", "{SYMBOL_FAMILY}", monospace'


@dataclass(frozen=True)
class Face:
    family: str
    package: str  # npm package under node_modules/
    stem: str  # file name without extension in <package>/files/
    weight: int
    style: str  # "normal" | "italic"

    def path(self, node_modules: Path, ext: str) -> Path:
        return node_modules / self.package / "files" / f"{self.stem}.{ext}"


def _faces(family: str, package: str, prefix: str, variants: Iterable[tuple[int, str]]) -> tuple[Face, ...]:
    return tuple(Face(family, package, f"{prefix}-latin-{w}-{s}", w, s) for w, s in variants)


TEXT_FACES = _faces(TEXT_FAMILY, "@fontsource/atkinson-hyperlegible-next", "atkinson-hyperlegible-next",
                    [(400, "normal"), (400, "italic"), (700, "normal")])  # bold italic: synthesized (rare; ~14 KB saved)
MONO_FACES = _faces(MONO_FAMILY, "@fontsource/atkinson-hyperlegible-mono", "atkinson-hyperlegible-mono", [(400, "normal")])
SYMBOL_FACE = Face(SYMBOL_FAMILY, "@fontsource/dejavu-sans", "dejavu-sans-latin-400-normal", 400, "normal")
PACKAGES = tuple(dict.fromkeys(f.package for f in (*TEXT_FACES, *MONO_FACES, SYMBOL_FACE)))


def _require(node_modules: Path, face: Face, ext: str) -> Path:
    path = face.path(node_modules, ext)
    if not path.is_file():
        raise BuildError(f"font {face.stem}.{ext} not found in {node_modules / face.package}: run `npm ci` (or `make setup`)", ExitCode.MISSING_TOOL)
    return path


def fonts_key(node_modules: Path) -> str:
    """A hash of every font file the deck can use: part of the cache key of whatever they shape."""
    faces = (*TEXT_FACES, *MONO_FACES, SYMBOL_FACE)
    return sha256_json([[f.stem, sha256_file(_require(node_modules, f, "woff2"))] for f in faces])


# --- @font-face CSS ---------------------------------------------------------------------------------


def _font_face(family: str, weight: int, style: str, data: bytes, fmt: str) -> str:
    uri = f"data:font/{fmt};base64,{base64.b64encode(data).decode()}"
    return (f"@font-face {{ font-family: '{family}'; font-style: {style}; font-weight: {weight}; font-display: block; "
            f"src: url({uri}) format('{fmt}'); }}")


@functools.lru_cache(maxsize=16)
def _covered(path: Path, file_hash: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(path)).getBestCmap())


def covered(node_modules: Path, face: Face) -> frozenset[int]:
    """The code points a face has a glyph for."""
    path = _require(node_modules, face, "woff")
    return _covered(path, sha256_file(path))


def missing_characters(node_modules: Path, text: str) -> str:
    """The characters of `text` the text face cannot draw (arrows, check marks, ...), sorted."""
    have = covered(node_modules, TEXT_FACES[0]) | covered(node_modules, MONO_FACES[0])
    return "".join(sorted(c for c in set(text) if ord(c) > 0x20 and ord(c) not in have))  # set() first: a deck is 100k characters


def subset(path: Path, chars: str, flavor: str | None = "woff") -> bytes:
    """The font at `path` cut down to `chars` (names kept: a PDF lists the face by its real name)."""
    from fontTools import subset as ft_subset

    logging.getLogger("fontTools").setLevel(logging.ERROR)  # it reports every table it drops
    options = ft_subset.Options()
    options.flavor = flavor  # woff: zlib, stdlib only (woff2 would need brotli)
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.layout_features = ["kern", "mark", "mkmk", "ccmp", "locl"]
    font = ft_subset.load_font(str(path), options)
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    out = io.BytesIO()
    ft_subset.save_font(font, out, options)
    return out.getvalue()


def page_css(cfg: Config, text: str) -> str:
    """@font-face rules for a deck whose visible text is `text`: the text and code faces whole (Latin),
    and the symbol face cut to the characters of `text` they lack. Cached by content hash."""
    symbols = missing_characters(cfg.node_modules, text)
    key = sha256_json({"fonts": fonts_key(cfg.node_modules), "symbols": symbols, "format": 1})
    cached = cfg.cache_dir / "fonts" / f"page-{key}.css"
    if cached.is_file():
        return cached.read_text()
    rules = [f"/* Shipped fonts (OFL-1.1): {', '.join(PACKAGES)}; generated by deckbuild/fonts.py */"]
    for face in (*TEXT_FACES, *MONO_FACES):
        rules.append(_font_face(face.family, face.weight, face.style, _require(cfg.node_modules, face, "woff2").read_bytes(), "woff2"))
    if symbols:
        data = subset(_require(cfg.node_modules, SYMBOL_FACE, "woff"), symbols)
        rules.append(_font_face(SYMBOL_FAMILY, 400, "normal", data, "woff"))
    css = "\n".join(rules) + "\n"
    atomic_write_text(cached, css)
    return css


def renderer_css(cfg: Config) -> Path:
    """A stylesheet with every face whole, for the Mermaid renderer's page: diagrams are laid out with
    the shipped fonts' real widths whatever characters they use. Written once per font set."""
    path = cfg.cache_dir / "fonts" / f"renderer-{fonts_key(cfg.node_modules)}.css"
    if not path.is_file():
        rules = [_font_face(f.family, f.weight, f.style, _require(cfg.node_modules, f, "woff2").read_bytes(), "woff2")
                 for f in (*TEXT_FACES, *MONO_FACES, SYMBOL_FACE)]
        atomic_write_text(path, "\n".join(rules) + "\n")
    return path


def _nearest(faces: tuple[Face, ...], weight: int, style: str) -> Face:
    same_style = [f for f in faces if f.style == style] or list(faces)
    return min(same_style, key=lambda f: abs(f.weight - weight))


def svg_css(cfg: Config, used: list[dict]) -> str:
    """@font-face rules to put inside one SVG (an SVG shown as <img> cannot use the page's fonts):
    for each face its texts are drawn in ({weight, style, kind: text|mono, chars}, as the renderer
    reports them) the nearest shipped face, and the symbol face, each cut to the characters drawn."""
    chars_by_face: dict[Face, set[str]] = {}
    everything: set[str] = set()
    for item in used:
        face = _nearest(MONO_FACES if item.get("kind") == "mono" else TEXT_FACES, int(item.get("weight", 400)), item.get("style", "normal"))
        chars_by_face.setdefault(face, set()).update(item["chars"])
        everything.update(item["chars"])
    rules = []
    for face in sorted(chars_by_face, key=lambda f: (f.family, f.weight, f.style)):
        data = subset(_require(cfg.node_modules, face, "woff"), "".join(sorted(chars_by_face[face])))
        rules.append(_font_face(face.family, face.weight, face.style, data, "woff"))
    symbols = missing_characters(cfg.node_modules, "".join(everything))
    if symbols:
        rules.append(_font_face(SYMBOL_FAMILY, 400, "normal", subset(_require(cfg.node_modules, SYMBOL_FACE, "woff"), symbols), "woff"))
    return "".join(rules)


# --- metrics ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metrics:
    """One face's horizontal metrics by code point, in font units."""

    units_per_em: int
    advances: dict[int, int]
    # The `kern` feature's lookups, in order; each a list of subtables: {"pairs": {left: {right: v}}}
    # (format 1) or {"cov": set, "c1": {cp: cls}, "c2": {cp: cls}, "m": [[v]]} (format 2, classes).
    kerning: tuple[tuple[dict, ...], ...]

    def kern(self, left: int, right: int) -> int:
        """As a shaper applies them: every lookup adds; in a lookup the first subtable that matches."""
        total = 0
        for lookup in self.kerning:
            for sub in lookup:
                if "pairs" in sub:
                    value = sub["pairs"].get(left, {}).get(right)
                    if value is None:
                        continue
                    total += value
                    break
                if left in sub["cov"]:
                    total += sub["m"][sub["c1"].get(left, 0)][sub["c2"].get(right, 0)]
                    break
        return total


def _read_metrics(path: Path) -> dict:
    """Advance widths and the `kern` feature's pair adjustments (x advance), as JSON-able data."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(path))
    cmap = font.getBestCmap()
    by_glyph: dict[str, list[int]] = {}
    for cp, glyph in cmap.items():
        by_glyph.setdefault(glyph, []).append(cp)
    advances = {cp: font["hmtx"][glyph][0] for cp, glyph in cmap.items()}
    x_advance = lambda value: getattr(value, "XAdvance", 0) or 0 if value else 0  # noqa: E731
    lookups: list[list[dict]] = []
    if "GPOS" in font:
        gpos = font["GPOS"].table
        indices = sorted({i for fr in gpos.FeatureList.FeatureRecord if fr.FeatureTag == "kern" for i in fr.Feature.LookupListIndex})
        for index in indices:
            lookup = gpos.LookupList.Lookup[index]
            subtables = [s.ExtSubTable if lookup.LookupType == 9 else s for s in lookup.SubTable]
            if lookup.LookupType == 9 and subtables and subtables[0].LookupType != 2 or lookup.LookupType not in (2, 9):
                continue  # not pair adjustment
            subs: list[dict] = []
            for sub in subtables:
                if sub.Format == 1:
                    pairs: dict[int, dict[int, int]] = {}
                    for glyph, pair_set in zip(sub.Coverage.glyphs, sub.PairSet):
                        for record in pair_set.PairValueRecord:
                            for left in by_glyph.get(glyph, []):
                                for right in by_glyph.get(record.SecondGlyph, []):
                                    pairs.setdefault(left, {}).setdefault(right, x_advance(record.Value1))
                    subs.append({"pairs": pairs})
                elif sub.Format == 2:
                    c1, c2 = sub.ClassDef1.classDefs, sub.ClassDef2.classDefs
                    subs.append({
                        "cov": sorted(cp for g in sub.Coverage.glyphs for cp in by_glyph.get(g, [])),
                        "c1": {cp: c for g, c in c1.items() for cp in by_glyph.get(g, [])},
                        "c2": {cp: c for g, c in c2.items() for cp in by_glyph.get(g, [])},
                        "m": [[x_advance(r.Value1) for r in row.Class2Record] for row in sub.Class1Record],
                    })
            lookups.append(subs)
    return {"upem": font["head"].unitsPerEm, "advances": advances, "kerning": lookups}


def load_metrics(path: Path, cache_dir: Path) -> Metrics:
    """A face's metrics, from the JSON cache keyed by the font file's hash (reading a font takes ~0.2 s)."""
    cached = cache_dir / "fonts" / f"metrics-{sha256_file(path)}.json"
    if cached.is_file():
        data = json.loads(cached.read_text())
    else:
        data = json.loads(json.dumps(_read_metrics(path)))  # the same shape whether read or cached
        atomic_write_text(cached, json.dumps(data))
    ints = lambda d: {int(k): v for k, v in d.items()}  # noqa: E731 (JSON keys are strings)

    def subtable(sub: dict) -> dict:
        if "pairs" in sub:
            return {"pairs": {int(k): ints(v) for k, v in sub["pairs"].items()}}
        return {"cov": set(sub["cov"]), "c1": ints(sub["c1"]), "c2": ints(sub["c2"]), "m": sub["m"]}

    return Metrics(data["upem"], ints(data["advances"]), tuple(tuple(subtable(s) for s in lookup) for lookup in data["kerning"]))


def _weight(weight: str) -> int:
    named = {"normal": 400, "regular": 400, "bold": 700}
    if weight in named:
        return named[weight]
    if weight.isdigit():
        return int(weight)
    raise ValueError(f"weight must be 'normal', 'bold' or a number like '600', not {weight!r}")


@functools.lru_cache(maxsize=16)
def _face_metrics(node_modules: Path, cache_dir: Path, stem: str) -> Metrics:
    face = next(f for f in (*TEXT_FACES, *MONO_FACES, SYMBOL_FACE) if f.stem == stem)
    return load_metrics(_require(node_modules, face, "woff"), cache_dir)


def text_width(text: str, size_px: float, *, weight: str = "normal", mono: bool = False, cfg: Config | None = None) -> float:
    """The width in px Chromium gives `text` set in the shipped face at `size_px` (one line, no
    wrapping): advance widths plus pair kerning; a character the face lacks is measured in the
    symbol face, as the browser's fallback draws it."""
    cfg = cfg or Config()
    face = _nearest(MONO_FACES if mono else TEXT_FACES, _weight(weight), "normal")
    main = _face_metrics(cfg.node_modules, cfg.cache_dir, face.stem)
    symbols = None
    total = 0.0
    previous: int | None = None
    for char in text:
        cp = ord(char)
        if cp in main.advances:
            if previous is not None:
                total += main.kern(previous, cp) * size_px / main.units_per_em
            total += main.advances[cp] * size_px / main.units_per_em
            previous = cp
            continue
        symbols = symbols or _face_metrics(cfg.node_modules, cfg.cache_dir, SYMBOL_FACE.stem)
        total += symbols.advances.get(cp, symbols.advances.get(0xFFFD, symbols.units_per_em // 2)) * size_px / symbols.units_per_em
        previous = None  # no kerning across a font change
    return total
