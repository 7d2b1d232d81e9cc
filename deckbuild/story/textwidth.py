"""How wide a label is, to lay out a story picture before any browser sees it.

The picture is drawn at the slide's own scale (1 SVG unit = 1 slide pixel), so a label that is too
wide cannot be fixed by scaling without sinking below the legibility floor: the layout must know
widths in advance. The deck ships its fonts (deckbuild/fonts.py), so the widths are the shipped
face's own, as Chromium draws them. Without the font packages (a checkout with no node_modules),
Helvetica's advance widths stand in, in thousandths of an em, characters not listed counting as the
widest Latin letter.
"""

from __future__ import annotations

import functools

_REGULAR = {
    " ": 278, "!": 278, '"': 355, "#": 556, "$": 556, "%": 889, "&": 667, "'": 191, "(": 333, ")": 333,
    "*": 389, "+": 584, ",": 278, "-": 333, ".": 278, "/": 278, ":": 278, ";": 278, "<": 584, "=": 584,
    ">": 584, "?": 556, "@": 1015, "[": 278, "\\": 278, "]": 278, "^": 469, "_": 556, "`": 333, "{": 334,
    "|": 260, "}": 334, "~": 584,
    "A": 667, "B": 667, "C": 722, "D": 722, "E": 667, "F": 611, "G": 778, "H": 722, "I": 278, "J": 500,
    "K": 667, "L": 556, "M": 833, "N": 722, "O": 778, "P": 667, "Q": 778, "R": 722, "S": 667, "T": 611,
    "U": 722, "V": 667, "W": 944, "X": 667, "Y": 667, "Z": 611,
    "a": 556, "b": 556, "c": 500, "d": 556, "e": 556, "f": 278, "g": 556, "h": 556, "i": 222, "j": 222,
    "k": 500, "l": 222, "m": 833, "n": 556, "o": 556, "p": 556, "q": 556, "r": 333, "s": 500, "t": 278,
    "u": 556, "v": 500, "w": 722, "x": 500, "y": 500, "z": 500,
    **{str(d): 556 for d in range(10)},
    "×": 584, "·": 278, "…": 1000, "–": 556, "—": 1000, "→": 1000, "✓": 800, "✕": 800, "∥": 500, "⏱": 1000,
}
_BOLD_FACTOR = 1.08  # Helvetica Bold runs about 8 % wider than regular
_UNKNOWN = 944


SAFETY = 1.02  # a label must never touch what is beside it: 2 % to spare


def text_width(text: str, size_px: float, *, bold: bool = False) -> float:
    """The width of `text` set at `size_px`, in pixels (a little over what the browser draws)."""
    return _shipped(text, size_px, bold) * SAFETY


@functools.lru_cache(maxsize=4096)
def _shipped(text: str, size_px: float, bold: bool) -> float:
    from deckbuild import fonts
    from deckbuild.errors import BuildError

    try:
        return fonts.text_width(text, size_px, weight="bold" if bold else "normal")
    except (BuildError, OSError):
        units = sum(_REGULAR.get(ch, _UNKNOWN) for ch in text)
        return units / 1000 * size_px * (_BOLD_FACTOR if bold else 1.0)


def fit(text: str, size_px: float, max_px: float, *, bold: bool = False) -> str:
    """`text`, cut with an ellipsis where needed so that it is at most `max_px` wide."""
    if text_width(text, size_px, bold=bold) <= max_px:
        return text
    cut = text
    while cut and text_width(cut + "…", size_px, bold=bold) > max_px:
        cut = cut[:-1]
    return cut.rstrip(" ,·") + "…" if cut else "…"
