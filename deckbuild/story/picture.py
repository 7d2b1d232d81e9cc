"""A Story drawn as an SVG sequence diagram at the slide's own scale, for the built deck and live.

One SVG unit is one slide pixel, so the type sizes here are the sizes the room reads (the
legibility floor: nothing under 18 px; labels are 24). Every row is a <g data-t="ms"> holding its
own piece of each lane's line, so Replay in the exported HTML can build the picture up at the
run's pace by showing the rows in turn, and present mode can swap in a newer picture whole.
Live-only text (a countdown) carries data-left-ms for the page to tick; nothing here runs a script.

The colours are the theme's palette (deckbuild.palette reads them from the theme CSS); the text
face is the page's, inherited, so the picture sets in the deck's own font.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from deckbuild.story.fold import Lane, Row, Story
from deckbuild.story.select import HEAD, PITCH, Box, capacity, fit_rows
from deckbuild.story.textwidth import fit, text_width
from deckbuild.story.words import live_label, seconds_text

__all__ = ["Box", "capacity", "fit_rows", "render"]

LABEL_PX = 24
LANE_PX = 22
BOX_H = 40
PAD = 14  # between a label and the ends of its arrow
OVERHANG = 0.35  # of a label's width, how much may reach past the ends of its arrow (a row holds one message)


@dataclass(frozen=True)
class Colours:
    text: str
    heading: str
    dim: str
    green: str
    coral: str
    surface: str
    background: str

    @classmethod
    def from_palette(cls, p: dict[str, str]) -> Colours:
        return cls(p["text"], p["heading"], p.get("color-dimmed", "#8a9bb0"), p["accent-green"], p["accent-coral"], p["surface"], p["background"])


# --- layout -------------------------------------------------------------------------------------
def _widest_live_label(row: Row, text: str) -> str:
    if row.live in ("countdown", "countup"):
        return f"{text} · {row.live_text.format('88.8 s')}"
    return live_label(row, text)


def _layout(lanes: list[Lane], rows: list[Row], width: int) -> tuple[dict[str, float], dict[str, float], dict[int, str]]:
    """x of each lane, width of each lane's box, and each row's label cut to what fits (by row id)."""
    keys = [lane.key for lane in lanes]
    index = {k: i for i, k in enumerate(keys)}
    box_w = {lane.key: max(110.0, text_width(lane.label, LANE_PX) + 28) for lane in lanes}
    n = len(keys)

    def needs(texts: dict[int, str]) -> list[tuple[int, int, float]]:
        out = []
        for r in rows:
            i, j = sorted((index[r.src], index[r.dst]))
            if i != j:
                w = text_width(_widest_live_label(r, texts[r.id]), LABEL_PX) * (1 if r.kind == "gap" else 1 - OVERHANG) + 2 * PAD
                if r.kind == "gap":
                    w += box_w[r.dst] / 2 * (-1 if r.live else 1)
                out.append((i, j, w))
        return out

    def solve(texts: dict[int, str]) -> list[float]:
        x = [box_w[keys[0]] / 2]
        constraints = needs(texts)
        for j in range(1, n):
            xj = x[j - 1] + (box_w[keys[j - 1]] + box_w[keys[j]]) / 2 + 24
            for i, jj, w in constraints:
                if jj == j:
                    xj = max(xj, x[i] + w)
            x.append(xj)
        return x

    texts = {r.id: r.label for r in rows}
    x = solve(texts)
    total = x[-1] + box_w[keys[-1]] / 2 if n else 0
    if total > width and n > 1:
        # Too wide: the longest labels give way first. Find the largest cap (per gap a label spans)
        # under which everything fits; labels narrower than their cap keep every word.
        def capped(cap: float) -> dict[int, str]:
            out = {}
            for r in rows:
                out[r.id] = r.label
                i, j = sorted((index[r.src], index[r.dst]))
                if i != j:
                    live_extra = text_width(_widest_live_label(r, r.label), LABEL_PX) - text_width(r.label, LABEL_PX)
                    room = (cap * (j - i) - 2 * PAD) / (1 if r.kind == "gap" else 1 - OVERHANG) - live_extra - (box_w[r.dst] / 2 if r.kind == "gap" and not r.live else 0)
                    out[r.id] = fit(r.label, LABEL_PX, max(48.0, room))
            return out

        low, high = 40.0, float(width)
        for _ in range(24):
            mid = (low + high) / 2
            trial = solve(capped(mid))
            if trial[-1] + box_w[keys[-1]] / 2 <= width:
                low = mid
            else:
                high = mid
        texts = capped(low)
        x = solve(texts)
        total = x[-1] + box_w[keys[-1]] / 2
    if n > 1 and total < width:  # spread the lanes, up to twice their natural gaps, then centre
        extra = width - total
        grow = min(extra / (n - 1), min(x[j] - x[j - 1] for j in range(1, n)))
        x = [xi + grow * j for j, xi in enumerate(x)]
        total = x[-1] + box_w[keys[-1]] / 2
    offset = max(0.0, (width - total) / 2)
    return {k: x[i] + offset for i, k in enumerate(keys)}, box_w, texts


# --- drawing ------------------------------------------------------------------------------------
def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _text(x: float, y: float, text: str, fill: str, *, size: int = LABEL_PX, anchor: str = "middle", weight: str = "", halo: str = "",
          plain: str = "") -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    back = ""
    if halo:  # the background colour behind a label keeps it readable where a lane's line crosses it
        width = text_width(html.unescape(plain or text), size, bold=bool(weight)) + 10
        left = x - width / 2 if anchor == "middle" else x - 5
        back = f'<rect x="{left:.1f}" y="{y - size * 0.85:.1f}" width="{width:.1f}" height="{size * 1.12:.1f}" fill="{halo}"/>'
    return back + f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" text-anchor="{anchor}"{bold}>{text}</text>'


def _label_markup(row: Row, text: str) -> str:
    if row.live in ("countdown", "countup"):
        before, _, after = row.live_text.partition("{}")
        tick = (f'<tspan class="story-tick" data-left-ms="{row.live_ms}" data-dir="{"down" if row.live == "countdown" else "up"}">'
                f"{_esc(seconds_text(row.live_ms))}</tspan>")
        return f"{_esc(text)} · {_esc(before)}{tick}{_esc(after)}"
    return _esc(live_label(row, text))


def render(story: Story, palette: dict[str, str], *, box: Box = Box(), name: str = "demo", words: str = "", rows: list[Row] | None = None) -> str:
    """The SVG of `story` (a string, one line per element, no blank lines: it sits in Markdown).
    `rows`: the selection to draw (select.select's, by default)."""
    c = Colours.from_palette(palette)
    rows = fit_rows(list(story.rows), capacity(box)) if rows is None else rows
    used = {k for r in rows for k in (r.src, r.dst)} | {lane.key for lane in story.lanes if lane.starts_at is not None}
    lanes = [lane for lane in story.lanes if lane.key in used]
    if not lanes:
        lanes = [Lane("Workflow", "Workflow")]
    x, box_w, texts = _layout(lanes, rows, box.width)
    row_index = {r.id: i for i, r in enumerate(rows)}
    height = HEAD + PITCH * len(rows) + 8
    starts = {lane.key: row_index.get(lane.starts_at) for lane in lanes if lane.starts_at is not None and lane.starts_at in row_index}
    ends = {lane.key: row_index.get(lane.ends_at) for lane in lanes if lane.ends_at is not None and lane.ends_at in row_index}
    title = f"{story.workflow_type or name}: {story.status}"
    out = [f'<svg class="story" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {box.width} {height}" width="{box.width}" height="{height}" '
           f'role="img" aria-label="{_esc(words or title)}" data-story="{_esc(name)}" data-status="{_esc(story.status)}" data-duration-ms="{story.duration_ms}">',
           f"<title>{_esc(title)}</title>"]
    if words:
        out.append(f"<desc>{_esc(words)}</desc>")
    for lane in lanes:  # the boxes of the lanes that are there from the start
        if lane.key not in starts:
            out.append(f'<g class="story-lane" data-t="{lane.t_ms}">{_lane_box(x[lane.key], 2, box_w[lane.key], lane.label, c)}'
                       f'{_line(x[lane.key], 2 + BOX_H, HEAD, c)}</g>')
    for i, row in enumerate(rows):
        top = HEAD + i * PITCH
        parts = []
        for lane in lanes:
            k = lane.key
            if k in starts and i < starts[k] or k in ends and i > ends[k]:
                continue
            if starts.get(k) == i:
                parts.append(_lane_box(x[k], top + 3, box_w[k], lane.label, c) + _line(x[k], top + 3 + BOX_H, top + PITCH, c))
            elif ends.get(k) == i:
                parts.append(_line(x[k], top, top + 34, c) + _cross(x[k], top + 34, c))
            else:
                parts.append(_line(x[k], top, top + PITCH, c))
        parts.append(_row(row, texts[row.id], x, box_w, top, box.width, c))
        live = f' data-live="{row.live}"' if row.live else ""
        out.append(f'<g class="story-row story-{row.kind}" data-t="{row.t_ms}" data-row="{row.id}"{live}>{"".join(parts)}</g>')
    out.append("</svg>")
    return "".join(out)


def _lane_box(cx: float, y: float, w: float, label: str, c: Colours) -> str:
    return (f'<rect x="{cx - w / 2:.1f}" y="{y:.1f}" width="{w:.1f}" height="{BOX_H}" rx="6" fill="{c.surface}" stroke="{c.green}" stroke-width="2"/>'
            + _text(cx, y + BOX_H / 2 + 8, _esc(label), c.heading, size=LANE_PX))


def _line(cx: float, y1: float, y2: float, c: Colours) -> str:
    return f'<line x1="{cx:.1f}" y1="{y1:.1f}" x2="{cx:.1f}" y2="{y2:.1f}" stroke="{c.dim}" stroke-width="2"/>'


def _cross(cx: float, cy: float, c: Colours) -> str:
    r = 11
    return (f'<path d="M{cx - r:.1f} {cy - r:.1f} L{cx + r:.1f} {cy + r:.1f} M{cx + r:.1f} {cy - r:.1f} L{cx - r:.1f} {cy + r:.1f}" '
            f'stroke="{c.coral}" stroke-width="4" stroke-linecap="round"/>')


def _arrow(x1: float, x2: float, y: float, colour: str, *, dashed: bool, head: bool = True) -> str:
    dash = ' stroke-dasharray="8 6"' if dashed else ""
    d = 1 if x2 > x1 else -1
    tip = x2 - d * 2
    line = f'<line x1="{x1:.1f}" y1="{y:.1f}" x2="{tip - d * 10:.1f}" y2="{y:.1f}" stroke="{colour}" stroke-width="2.5"{dash}/>'
    if not head:
        return line
    return line + f'<path d="M{tip:.1f} {y:.1f} L{tip - d * 14:.1f} {y - 7:.1f} L{tip - d * 14:.1f} {y + 7:.1f} Z" fill="{colour}"/>'


def _row(row: Row, text: str, x: dict[str, float], box_w: dict[str, float], top: float, width: int, c: Colours) -> str:
    colour = {"bad": c.coral, "human": c.green, "dim": c.dim}.get(row.tone, c.text)
    label = _label_markup(row, text)
    widest = _widest_live_label(row, text)
    if row.kind == "elided":
        return _text(width / 2, top + 30, label, c.dim, halo=c.background, plain=text)
    if row.src == row.dst and row.kind != "gap":  # a note over one lane
        w = text_width(widest, LABEL_PX) + 28
        cx = min(max(x[row.src], w / 2 + 2), width - w / 2 - 2)
        stroke = {"bad": c.coral, "human": c.green}.get(row.tone, c.dim)
        dash = ' stroke-dasharray="6 5"' if row.live else ""
        return (f'<rect x="{cx - w / 2:.1f}" y="{top + 4:.1f}" width="{w:.1f}" height="{PITCH - 8}" rx="6" fill="{c.surface}" stroke="{stroke}" stroke-width="2"{dash}/>'
                + _text(cx, top + PITCH / 2 + 8, label, c.heading if row.tone != "human" else c.green))
    x1, x2 = x[row.src], x[row.dst]
    if row.kind == "gap":  # nothing runs: a band from the workflow up to the worker that comes next
        # A gap that ended reaches the box of the worker that came next; one still going, the lost worker.
        reach = box_w[row.dst] / 2 + 8 if row.dst != row.src else -120
        left, right = min(x1, x2) + 8, max(x1, x2) + (reach if row.live else -reach)
        right = min(right, width - 2)
        return (f'<rect x="{left:.1f}" y="{top + 4:.1f}" width="{max(40.0, right - left):.1f}" height="{PITCH - 8}" rx="6" fill="{c.background}" '
                f'stroke="{c.coral}" stroke-width="2" stroke-dasharray="6 5"/>' + _text((left + right) / 2, top + PITCH / 2 + 8, label, c.heading))
    y = top + 36
    dashed = row.kind in ("return", "fail", "rejected") or row.live == "running"
    if row.kind == "rejected":  # the validator refused it: the arrow stops short, with a cross
        stop = x1 + (x2 - x1) * 0.82
        return (_arrow(x1, stop, y, colour, dashed=True, head=False) + _cross(stop, y, c)
                + _text(_label_x(widest, x1, x2, width), top + 24, label, colour, halo=c.background, plain=widest))
    killed = row.tone == "bad" and row.kind == "call"
    return _arrow(x1, x2, y, colour, dashed=dashed) + _text(_label_x(widest, x1, x2, width, bold=killed), top + 24, label, colour,
                                                         weight="600" if killed else "", halo=c.background, plain=widest)


def _label_x(widest: str, x1: float, x2: float, width: int, *, bold: bool = False) -> float:
    """Centred on its arrow, moved in where it would reach past the picture's edge."""
    half = text_width(widest, LABEL_PX, bold=bold) / 2 + 4
    return min(max((x1 + x2) / 2, half), width - half)
