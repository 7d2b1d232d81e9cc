"""Mermaid diagrams laid out again for a phone held upright.

A diagram drawn for a 1280 px slide, shown 340 px wide, has labels of 6 to 8 px. The phone gets a
second rendering of the same Mermaid source instead: laid out top to bottom where the diagram type
has a direction (a flowchart, a state, class or ER diagram, C4 one shape per row, an xychart's bars
horizontal), with labels wrapped narrower and the page's phone sizes (narrow_source, phone_config).
It goes through the same renderer and the same cache as every diagram (diagrams.render_svgs: keyed
by the hash of the source, the config and the tool versions), so it is rendered once per content.

`info()` of a phone SVG is what the page needs to show it: its natural size and the smallest font
size its texts are set in. The page shows it at the width that keeps that label >= 14 px (fitted to
the phone when it can be, inside a box that scrolls sideways when it cannot) and full screen with
pinch and pan on a tap.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

from deckbuild import diagrams
from deckbuild.config import Config
from deckbuild.errors import BuildError

PHONE_FONT_PX = 16  # the size labels are laid out in (the page shows them at >= 14 px)
PHONE_WIDTH = 340  # the width a phone held upright gives a diagram (390 px less the page's margins)
WRAP_PX = 150  # a label wider than this wraps onto more lines
XY_CHART = {"width": 340, "height": 420, "titleFontSize": 18,
            "xAxis": {"labelFontSize": 16, "titleFontSize": 16}, "yAxis": {"labelFontSize": 16, "titleFontSize": 16}}

HEADER_RE = re.compile(r"^(\s*)(flowchart|graph|flowchart-elk)(\s+)(LR|RL)\b", re.M)
DIRECTION_RE = re.compile(r"^(\s*)direction\s+(LR|RL)\s*$", re.M)
INIT_RE = re.compile(r"%%\{\s*init\s*:\s*(\{.*?\})\s*\}%%", re.S)
FIRST_WORD_RE = re.compile(r"^\s*(?:%%.*\n|\s*\n)*\s*([\w-]+)", re.M)


def kind_of(source: str) -> str:
    """The diagram type: the first word that is not a comment or a directive."""
    for line in source.splitlines():
        text = line.strip()
        if text and not text.startswith("%%") and not text.startswith("---"):
            return text.split()[0]
    return ""


def narrow_source(source: str) -> str:
    """The same diagram, laid out for a narrow screen: top to bottom where its type has a direction."""
    kind = kind_of(source)
    out = source
    if kind in ("flowchart", "graph", "flowchart-elk"):
        out = HEADER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}TB", out)
    if kind in ("flowchart", "graph", "flowchart-elk", "stateDiagram", "stateDiagram-v2", "classDiagram", "classDiagram-v2", "erDiagram"):
        out = DIRECTION_RE.sub(lambda m: f"{m.group(1)}direction TB", out)
    if kind in ("C4Context", "C4Container", "C4Component", "C4Dynamic", "C4Deployment") and "UpdateLayoutConfig" not in out:
        out = out.rstrip("\n") + '\nUpdateLayoutConfig($c4ShapeInRow="1", $c4BoundaryInRow="1")\n'
    if kind == "xychart-beta" and not re.search(r"^\s*xychart-beta\s+horizontal", out, re.M):
        out = re.sub(r"^(\s*)xychart-beta\b", r"\1xychart-beta horizontal", out, count=1, flags=re.M)
    return INIT_RE.sub(lambda m: _narrow_init(m.group(0), m.group(1)), out)


def _narrow_init(whole: str, body: str) -> str:
    """An author's %%{init}%% sizes the slide's diagram (24 px labels, a 540 px chart): on the phone
    the phone's sizes apply (a directive would win over the config)."""
    try:
        init = json.loads(body)
    except json.JSONDecodeError:
        return whole
    if not isinstance(init, dict):
        return whole
    variables = init.get("themeVariables")
    if isinstance(variables, dict):
        variables.pop("fontSize", None)
    if isinstance(init.get("xyChart"), dict):
        init["xyChart"] = _merge(init["xyChart"], XY_CHART)
    for key in ("flowchart", "sequence", "c4"):
        if isinstance(init.get(key), dict):
            for size in [k for k in init[key] if k.lower().endswith(("fontsize", "width", "wrappingwidth"))]:
                init[key].pop(size)
    return "%%{init: " + json.dumps(init) + "}%%"


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out.get(key) or {}, value) if isinstance(value, dict) else value
    return out


def phone_config(config: dict) -> dict:
    """The deck's Mermaid config (its palette, its fonts) with a phone's sizes."""
    size = f"{PHONE_FONT_PX}px"
    return _merge(config, {
        "themeVariables": {"fontSize": size},
        "flowchart": {"wrappingWidth": WRAP_PX, "nodeSpacing": 24, "rankSpacing": 36, "padding": 10, "diagramPadding": 6},
        "sequence": {"actorMargin": 16, "width": 110, "boxMargin": 6, "messageMargin": 20, "wrap": True, "noteMargin": 6,
                     "actorFontSize": PHONE_FONT_PX, "messageFontSize": PHONE_FONT_PX, "noteFontSize": PHONE_FONT_PX},
        "state": {"padding": 6},
        "er": {"fontSize": PHONE_FONT_PX, "minEntityWidth": 80},
        "class": {"padding": 6},
        "xyChart": XY_CHART,
        "timeline": {"padding": 8, "useMaxWidth": False},
        "journey": {"width": 110, "leftMargin": 60},
        "gantt": {"fontSize": PHONE_FONT_PX, "sectionFontSize": PHONE_FONT_PX, "leftPadding": 60, "barHeight": 24},
        "pie": {"textPosition": 0.7},
        "c4": {"c4ShapeInRow": 1, "c4BoundaryInRow": 1, "width": 200},
    })


RULE_RE = re.compile(r"([^{}]*)\{([^{}]*)\}")
SIZE_RE = re.compile(r"font-size\s*:\s*([\d.]+)px")
ATTR_SIZE_RE = re.compile(r'font-size="([\d.]+)(?:px)?"')
VIEWBOX_RE = re.compile(r'viewBox="[\d.\-]+ [\d.\-]+ ([\d.]+) ([\d.]+)"')
NOT_DRAWN = ("tooltip", "error", "@font-face")  # style rules for what a static diagram never shows


def info(svg: str) -> dict:
    """A phone SVG's natural size and the smallest font size its texts are set in (its style rules,
    but a tooltip's or an error's, and its texts' own sizes): how far it may be scaled down and stay
    readable."""
    box = VIEWBOX_RE.search(svg)
    width, height = (float(box.group(1)), float(box.group(2))) if box else (float(PHONE_WIDTH), float(PHONE_WIDTH))
    sizes = []
    for style in re.findall(r"<style[^>]*>(.*?)</style>", svg, flags=re.S):
        for selector, body in RULE_RE.findall(style):
            if not any(word in selector.lower() for word in NOT_DRAWN):
                sizes += [float(v) for v in SIZE_RE.findall(body)]
    tags = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    sizes += [float(v) for v in ATTR_SIZE_RE.findall(tags)] + [float(v) for v in SIZE_RE.findall(tags)]
    sizes = [v for v in sizes if v >= 4]
    return {"w": round(width, 1), "h": round(height, 1), "label": min(sizes) if sizes else float(PHONE_FONT_PX)}


@dataclass(frozen=True)
class _Phone:
    """What diagrams.render_svgs needs of a diagram: its source (and the served key it stands for)."""

    source: str
    origin: str


class PhoneDiagrams:
    """The phone variants of the diagrams present mode serves, by the key of the slide's SVG.

    `svgs()` gives the served SVGs (key -> bytes, LiveDeck's state.svgs); `renderer()` the warm Mermaid
    renderer, or None (then render_svgs starts one for the call). A variant is rendered once per
    content (the disk cache of diagrams.render_svgs) and kept here by key; a diagram that is not Mermaid,
    or whose narrow layout does not render, is shown as it is."""

    def __init__(self, cfg: Config, svgs: Callable[[], dict[str, bytes]], renderer: Callable[[], Any] | None = None, *, keep: int = 256):
        self.cfg = cfg
        self._svgs = svgs
        self._renderer = renderer or (lambda: None)
        self._done: OrderedDict[str, tuple[bytes, dict] | None] = OrderedDict()
        self._keep = keep
        self._lock = threading.Lock()

    def known(self, key: str) -> bool:
        return key in self._done

    def get(self, key: str) -> tuple[bytes, dict] | None:
        """(phone SVG, its info) once rendered; None while not (or for a key that is not a diagram)."""
        found = self._done.get(key)
        return found

    def ensure(self, keys: list[str]) -> dict[str, dict]:
        """Render the variants not made yet (blocking: call it from a worker thread); their info by key."""
        with self._lock:
            todo = [k for k in dict.fromkeys(keys) if k not in self._done]
            served = self._svgs()
            jobs = []
            for key in todo:
                original = served.get(key)
                found = diagrams.source_of(original) if original is not None else None
                if found is None:
                    self._remember(key, (original, info(original.decode("utf-8", "replace"))) if original is not None else None)
                    continue
                source, config = found
                jobs.append((key, original, _Phone(narrow_source(source), key), phone_config(config)))
            by_config: dict[str, list] = {}
            for job in jobs:
                by_config.setdefault(json.dumps(job[3], sort_keys=True), []).append(job)
            for group in by_config.values():
                try:
                    svgs = diagrams.render_svgs(self.cfg, [job[2] for job in group], group[0][3], self._renderer())
                except BuildError:  # no renderer (none installed, or it keeps dying): the slides' layouts stay
                    svgs = [None] * len(group)
                for job, svg in zip(group, svgs):
                    # Mermaid refused the narrow layout (a MermaidError): the slide's own stays
                    chosen = svg.encode() if isinstance(svg, str) else job[1]
                    self._remember(job[0], (chosen, info(chosen.decode("utf-8", "replace"))))
            return {k: self._done[k][1] for k in keys if self._done.get(k) is not None}

    def _remember(self, key: str, value: tuple[bytes, dict] | None) -> None:
        self._done[key] = value
        while len(self._done) > self._keep:
            self._done.popitem(last=False)
