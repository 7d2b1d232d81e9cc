"""The exported HTML deck, made usable without a mouse or sight: one small pass over marp-cli's output.

marp-cli's bespoke template gives every slide as `<svg data-marpit-svg><foreignObject><section id="N">`
inside `<div id=":$p">`. We add, as text edits on that structure (it fails loudly if Marp changes it):
- each slide a labelled region: `aria-roledescription="slide"`, `aria-label="Slide N of M: <title>"`
  (its first heading), so a screen reader lists and names the slides;
- marp's slide container the page's main landmark (`role="main"`, on the container itself: a
  wrapper would move it away from the progress bar, which bespoke places by sibling selectors, and
  the deck would no longer look as marp-cli's), with a visually hidden line saying how to move;
- an `aria-live` region that announces the slide shown after every change (html_assets/announce.js);
- ASSETS: the stylesheets and scripts injected (inlined: the deck stays one offline file), each a
  file: deckbuild/html_assets/ (ours), deckbuild/static/replay.js (the story pictures' Replay, which
  present mode serves too). Add one to the list and it is in every exported deck; their content is
  part of the HTML's cache key (post_key).
The deck's language is set at the source (deck.toml `lang`, Marp's `lang` directive), not here.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from deckbuild.errors import BuildError, ExitCode
from deckbuild.fsutil import sha256_json

HERE = Path(__file__).resolve().parent
ASSET_DIR = HERE / "html_assets"
STATIC = HERE / "static"


@dataclass(frozen=True)
class Asset:
    path: Path  # a .css or .js file
    where: str  # "head": at the end of <head>; "body": at the end of <body>

    def tag(self) -> str:
        text = self.path.read_text()
        if self.path.suffix == ".css":
            return f'<style data-deck-asset="{self.path.name}">\n{text}</style>'
        safe = text.replace("</script", "<\\/script")  # a script's text cannot close its own tag
        return f'<script data-deck-asset="{self.path.name}">\n{safe}</script>'


ASSETS: tuple[Asset, ...] = (
    Asset(ASSET_DIR / "a11y.css", "head"),
    Asset(ASSET_DIR / "announce.js", "body"),
    Asset(STATIC / "replay.js", "body"),  # Replay of the captured run on each demo slide
)

SECTION_RE = re.compile(r'<section id="(\d+)"([^>]*)>(.*?)</section>', re.S)
HEADING_RE = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1>", re.S)
CONTAINER_OPEN = '<div id=":$p">'
HOW_TO = "Slide deck. Left and right arrow keys move between slides; each slide is a region named after its title."


def post_key() -> str:
    """A hash of this pass and its assets: part of the exported HTML's cache key."""
    return sha256_json([Path(__file__).read_text(), [(a.path.name, a.where, a.path.read_text()) for a in ASSETS]])


def _plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def slide_title(section_html: str) -> str:
    """The slide's first heading as plain text, or '' when it has none."""
    found = HEADING_RE.search(section_html)
    return _plain(found.group(2)) if found else ""


def label_slides(page: str, total: int | None = None) -> str:
    """Each slide a region named "Slide N of M: title" (`total`: M, when `page` holds only some slides,
    as present mode's patches do)."""
    total = total or len(SECTION_RE.findall(page))

    def label(match: re.Match) -> str:
        number, attrs, body = match.groups()
        title = slide_title(body)
        name = f"Slide {number} of {total}" + (f": {title}" if title else "")
        return f'<section id="{number}"{attrs} aria-roledescription="slide" aria-label="{html.escape(name, quote=True)}">{body}</section>'

    return SECTION_RE.sub(label, page)


def post_process(page: str) -> str:
    """marp-cli's bespoke HTML -> the same deck with regions, a main landmark, an announcer and ASSETS."""
    if CONTAINER_OPEN not in page or "</head>" not in page or "</body>" not in page or not SECTION_RE.search(page):
        raise BuildError("marp-cli's HTML has an unexpected structure (no slide container): deckbuild/html_post.py needs updating",
                         ExitCode.TOOL_FAILED)
    page = label_slides(page)
    page = page.replace(CONTAINER_OPEN, CONTAINER_OPEN.replace(">", ' role="main" aria-label="Slides">'), 1)
    intro = (f'<p class="deck-sr-only">{HOW_TO}</p>'
             f'<div id="deck-announcer" class="deck-sr-only" role="status" aria-live="polite" aria-atomic="true"></div>')
    head = "".join(a.tag() for a in ASSETS if a.where == "head")
    body = intro + "".join(a.tag() for a in ASSETS if a.where == "body")
    head_at = page.index("</head>")
    page = page[:head_at] + head + page[head_at:]
    body_at = page.rindex("</body>")
    return page[:body_at] + body + page[body_at:]
