"""Share mode's audience page, built from the deck itself: the slides' own Marp HTML and the theme's
CSS, never the presenter's page with its notes cut out. A phone held upright reads each slide
reflowed at its width (static/phone.js); held sideways, or on a tablet or laptop, it shows the slide
as projected. The same slides serve both: the theme's rules are rewritten to apply to a slide inside
Marp's <svg> (projected) and to the same <section> in a plain block (reflowed).

What else the page carries: the captured runs of the demo slides as phone timelines (the same fold as
their pictures, deckbuild.story), the phone diagrams' sizes (deckbuild.phone_diagrams), and the
scripts. Extra audience panels (issue 22's questions) add their files to AUDIENCE_ASSETS and mount
themselves with window.__phone (see static/phone.js).
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deckbuild import demos
from deckbuild.story import story_views

STATIC = Path(__file__).resolve().parent / "static"

# The scripts and styles of the audience page, in order (phone.js first: its listeners run before
# client.js's). Another panel adds its own here and mounts itself with window.__phone (phone.js).
AUDIENCE_ASSETS: list[str] = ["phone.css", "phone.js", "client.js", "room.js", "questions.css", "questions.js"]
SERVED_STATIC = {"phone.css", "phone.js", "client.js", "client.css", "room.js"}  # plus whatever AUDIENCE_ASSETS names

SVG_TAG_RE = re.compile(r"<svg\b|</svg>")
STYLE_RE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
CONTAINER_RE = re.compile(r"div#\\:\\\$p\b")
SECTION_SCOPE_RE = re.compile(r"div\.marpit\s*>\s*svg\s*>\s*foreignObject\s*>\s*(section\b|:where\(section\))")
PANEL_RE = re.compile(r'<div class="demo-panel( with-caption)?[^"]*" data-demo="([^"]+)" data-demo-part="diagram">')
DIAGRAM_KEY_RE = re.compile(r"/__present/svg/([0-9a-f]{32})\.svg")
TITLE_RE = re.compile(r"<title>(.*?)</title>", re.S)
LANG_RE = re.compile(r"<html[^>]*\blang=\"([^\"]+)\"")
FONT_URI_RE = re.compile(r"url\((['\"]?)data:(font/[\w+.-]+|application/font-[\w+.-]+);base64,([A-Za-z0-9+/=]+)\1\)")
IMG_RE = re.compile(r"<img\b(?![^>]*\bloading=)")
ADDRESS_RE = re.compile(r"\b(?:[\w-]+\.)*[\w-]+:\d{2,5}\b|\b\d{1,3}(?:\.\d{1,3}){3}\b")


def split_slides(page: str) -> list[str]:
    """The slides of a Marp page (marp-cli's or marp-core's): each top-level <svg data-marpit-svg>,
    whole (a slide may hold SVGs of its own: the story pictures)."""
    slides, depth, start = [], 0, None
    for match in SVG_TAG_RE.finditer(page):
        if match.group(0) == "</svg>":
            depth -= 1
            if depth == 0 and start is not None:
                slides.append(page[start:match.end()])
                start = None
            continue
        if depth == 0:
            if not page.startswith("<svg data-marpit-svg", match.start()):
                depth += 1  # an SVG outside the slides (an icon): skip it whole
                continue
            start = match.start()
        depth += 1
    return slides


def theme_css(page: str) -> str:
    """The theme's rules from a Marp page: the style sheet scoped to Marp's slides."""
    for css in STYLE_RE.findall(page):
        if "foreignObject" in css and "section" in css:
            return CONTAINER_RE.sub("div.marpit", css)
    return ""


def both_layouts(css: str) -> str:
    """The theme's rules for a <section> inside Marp's <svg> (projected) and inside .phone-flow
    (reflowed). :is() keeps each rule's specificity; @font-face and @page are left as they are."""
    return SECTION_SCOPE_RE.sub(lambda m: f":is(div.marpit > svg > foreignObject, .phone-flow) > {m.group(1)}", css)


def fonts_by_url(css: str, prefix: str) -> tuple[str, dict[str, tuple[bytes, str]]]:
    """The theme's embedded fonts as files of their own (`prefix` + content hash): a phone downloads only
    the faces a slide uses, in binary (a data URI is a third larger, and all of it comes with the CSS),
    and shows the text at once in a fallback face (swap) rather than none while one arrives."""
    import base64

    files: dict[str, tuple[bytes, str]] = {}

    def by_url(match: re.Match) -> str:
        data = base64.b64decode(match.group(3))
        kind = match.group(2)
        ext = kind.rsplit("/", 1)[1].removeprefix("font-").split("+")[0]
        name = f"{hashlib.sha256(data).hexdigest()[:16]}.{ext}"
        files[name] = (data, kind)
        return f'url("{prefix}{name}")'

    css = FONT_URI_RE.sub(by_url, css)
    return re.sub(r"font-display\s*:\s*block", "font-display:swap", css), files


def scrub(reason: str) -> str:
    """A reason for the room: no addresses (the audience learns up or down and why, not where)."""
    return ADDRESS_RE.sub("the server", reason or "")


def for_viewers(state: dict) -> dict:
    """A demo's state as a viewer's page gets it: what the presenter's slide shows (the live picture in
    both layouts, the badge, the slide's message line, the demo's live lines and its list without
    its buttons, a vote and its tally), never the controls, the worker processes' status or a link to
    the Temporal Web UI."""
    run = state.get("run")
    view = {k: run.get(k) for k in ("workflow_id", "run_id", "status", "picture", "error")} if run else None
    snapshot = (run or {}).get("snapshot") or {}
    if view is not None:
        shown = {k: snapshot[k] for k in ("ballot", "tally", "room", "lines") if k in snapshot}
        if snapshot.get("rows"):  # the list the slide shows; a row's buttons are the presenter's
            shown["rows"] = [{"label": r.get("label", ""), **({"bar": True} if r.get("bar") else {})} for r in snapshot["rows"]]
        view["snapshot"] = shown
    return {"name": state.get("name"), "live": state.get("live"), "stale": state.get("stale"), "viewer": True,
            "side_panel": state.get("side_panel", False), "message": state.get("message", ""), "run": view}


def temporal_for_viewers(state: Any) -> dict:
    """Temporal's state as the room is told it: up or down and why, without its address."""
    return {"state": state.state, "reason": scrub(getattr(state, "reason", ""))}


@dataclass
class AudienceDeck:
    """The deck as a version of the audience page shows it."""

    version: int
    slides: list[str]
    css: str  # the theme's rules for both layouts
    title: str
    lang: str
    panels: dict[str, bool] = field(default_factory=dict)  # demo -> its panel has a caption
    diagram_keys: list[str] = field(default_factory=list)
    fonts: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # file name -> (bytes, type), as the CSS names them

    @property
    def css_key(self) -> str:
        return hashlib.sha256(self.css.encode()).hexdigest()[:16]


class AudiencePages:
    """The audience page of one session, made once per deck version (every device gets the same
    deck; only its room token differs). Its CSS is served by content hash, compressed once."""

    def __init__(self, session: Any, room: str):
        self._session = session
        self._room = room
        self._deck: AudienceDeck | None = None
        self._deck_from: tuple = ()
        self._css_gz: dict[str, bytes] = {}
        self._timelines: tuple[str, dict] = ("", {})
        self.fonts: dict[str, tuple[bytes, str]] = {}  # every font file a version's CSS named (a phone may still hold an older CSS)
        self._lock = threading.Lock()

    # --- the deck -------------------------------------------------------------------------------------
    def deck(self) -> AudienceDeck | None:
        """The newest deck the audience can be shown: the slides marp-core rendered for the newest save
        when their CSS comes with them, otherwise marp-cli's page (the slides and the CSS of one run)."""
        built = self._session.deck.state.built
        if built is None:
            return None
        snapshot = self._session.deck.snapshot(notes=False)
        use_snapshot = bool(snapshot.get("css")) and snapshot.get("count") and snapshot.get("version", 0) >= built.version
        source = ("snapshot", snapshot["version"]) if use_snapshot else ("page", built.version)
        with self._lock:
            if self._deck is not None and self._deck_from == source:
                return self._deck
            if use_snapshot:
                slides = [snapshot["slides"][i] if i in snapshot["slides"] else snapshot["slides"][str(i)] for i in range(snapshot["count"])]
                css, version = snapshot["css"], snapshot["version"]
            else:
                slides, css, version = split_slides(built.html), theme_css(built.html), built.version
            title = TITLE_RE.search(built.html)
            lang = LANG_RE.search(built.html)
            panels: dict[str, bool] = {}
            for caption, name in PANEL_RE.findall("".join(slides)):
                panels[html.unescape(name)] = bool(caption)
            keys = list(dict.fromkeys(DIAGRAM_KEY_RE.findall("".join(slides))))
            css, fonts = fonts_by_url(both_layouts(css), f"/r/{self._room}/font/")
            # The projected slides are hidden on a phone held upright: their pictures load only when shown.
            slides = [IMG_RE.sub('<img loading="lazy"', slide) for slide in slides]
            self._deck = AudienceDeck(version, slides, css, html.unescape(title.group(1)) if title else self._session.deck_name,
                                      lang.group(1) if lang else "en", panels, keys, fonts)
            self._deck_from = source
            self.fonts.update(fonts)
            while len(self.fonts) > 64:
                self.fonts.pop(next(iter(self.fonts)))
            return self._deck

    def css_gz(self, deck: AudienceDeck) -> bytes:
        key = deck.css_key
        if key not in self._css_gz:
            self._css_gz = {key: gzip.compress(deck.css.encode(), 6)}  # the newest only
        return self._css_gz[key]

    # --- the demos' captured runs, as timelines -----------------------------------------------------
    def timelines(self, deck: AudienceDeck) -> dict[str, str]:
        """Each demo slide's captured run as the phone's timeline (the picture's rows, from the same fold)."""
        cfg, palette = self._session.cfg, self._session.palette
        digests = []
        for name in sorted(deck.panels):
            path = demos.capture_path(cfg, name)
            digests.append((name, hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""))
        key = json.dumps([digests, sorted(deck.panels.items())])
        if self._timelines[0] == key:
            return self._timelines[1]
        out = {}
        for name, digest in digests:
            if not digest:
                continue
            capture = json.loads(demos.capture_path(cfg, name).read_text())
            if capture.get("failed"):
                continue
            out[name] = story_views(capture, palette, caption=deck.panels[name], svg=False).timeline
        self._timelines = (key, out)
        return out

    # --- the page ----------------------------------------------------------------------------------
    def page(self, deck: AudienceDeck, *, room: str, token: str, diagrams: dict[str, dict]) -> str:
        esc = lambda text: html.escape(str(text), quote=True)  # noqa: E731
        data = {"version": deck.version, "count": len(deck.slides), "timelines": self.timelines(deck), "diagrams": diagrams}
        payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")  # never ends its <script>
        assets = []
        for name in AUDIENCE_ASSETS:
            url = f"/r/{esc(room)}/s/{esc(name)}?v={_static_key(name)}"
            assets.append(f'<link rel="stylesheet" href="{url}">' if name.endswith(".css") else f'<script src="{url}" defer></script>')
        return (
            f'<!DOCTYPE html><html lang="{esc(deck.lang)}" class="phone-page" data-present-role="audience"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">'  # pinch-zoom stays on
            f'<title>{esc(deck.title)}</title><link rel="icon" href="data:,">'
            f'<meta name="present-role" content="audience"><meta name="present-room" content="{esc(room)}">'
            f'<meta name="present-room-token" content="{esc(token)}"><meta name="present-version" content="{deck.version}">'
            f'<link rel="stylesheet" href="/r/{esc(room)}/deck.css?v={deck.css_key}">'
            f'<link rel="stylesheet" href="/r/{esc(room)}/s/client.css?v={_static_key("client.css")}">'
            + "".join(assets)
            + f'<script type="application/json" id="phone-data">{payload}</script>'
            "</head><body>"
            '<div class="phone-app room-ui" id="phone-app">'
            '<main class="phone-main" id="phone-main" aria-label="Slides" tabindex="0">'  # it scrolls: the keyboard reaches it
            '<div class="phone-flow-list" id="phone-flow"></div>'
            f'<div class="marpit phone-projected" id="phone-projected">{"".join(deck.slides)}</div>'
            "</main>"
            '<div class="phone-sheets" id="phone-sheets" data-mount="sheets"></div>'
            '<nav class="phone-bar" id="phone-bar" data-mount="actions" aria-label="Audience"></nav>'
            "</div></body></html>"
        )


def _static_key(name: str) -> str:
    """A short hash of a static file's content, so a phone may keep it until it changes."""
    path = STATIC / name
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else "0"


_STATIC_GZ: dict[str, tuple[str, bytes]] = {}


def static_file(name: str) -> tuple[bytes, str] | None:
    """(gzip-compressed content, content type) of an audience static file, or None."""
    if name not in SERVED_STATIC and name not in AUDIENCE_ASSETS:
        return None
    path = STATIC / name
    if not path.is_file():
        return None
    data = path.read_bytes()
    key = hashlib.sha256(data).hexdigest()
    cached = _STATIC_GZ.get(name)
    if cached is None or cached[0] != key:  # compressed once per content
        cached = _STATIC_GZ[name] = (key, gzip.compress(data, 6))
    return cached[1], "text/css" if name.endswith(".css") else "application/javascript"
