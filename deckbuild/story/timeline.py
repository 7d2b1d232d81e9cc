"""A Story as a vertical timeline for a phone held upright: the second layout of the same fold.

The slide's picture (picture.py) is a sequence diagram at the slide's scale; on a phone its labels
would be 7 px. Here the same selected rows (select.py: the rows the picture draws, nothing more,
nothing less) are a list that reads top to bottom at phone width: each row's words (the very
`Row.label` the picture draws, never cut: a long label wraps), the lanes it goes between as chips
(a worker process is a chip with its pid; a killed one is crossed out), repeated work with its
progress, the gap band when no worker runs, a countdown that ticks (data-left-ms, as the picture's).
The phone's stylesheet (deckbuild/present/static/phone.css) sets it at >= 16 px text, 14 px chips.

HTML, not SVG: it wraps, scales with the reader's text size, and a screen reader reads it as a list.
Every captured text is escaped here.
"""

from __future__ import annotations

import html

from deckbuild.palette import chart_colours
from deckbuild.story.fold import CHILD, CLIENT, HUMAN, TIMER, UNKNOWN_WORKER, WORKFLOW, Lane, Row, Story
from deckbuild.story.words import live_label, seconds_text

FIXED = (CLIENT, HUMAN, WORKFLOW, TIMER, CHILD, UNKNOWN_WORKER)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _luminance(colour: str) -> float | None:
    value = colour.strip().lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if len(value) != 6:
        return None
    try:
        rgb = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    except ValueError:
        return None
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _reads_on(colour: str, background: str) -> bool:
    """Colour on background at >= 4.5:1 (WCAG), or unknown (then kept)."""
    a, b = _luminance(colour), _luminance(background)
    if a is None or b is None:
        return True
    return (max(a, b) + 0.05) / (min(a, b) + 0.05) >= 4.5


def lane_colours(lanes: list[Lane], palette: dict[str, str]) -> dict[str, str]:
    """Each worker process its own colour (the chart palette, never the theme's alarm colour, only
    colours that read on the theme's background), so the reader follows which process ran what; the
    fixed lanes share the heading colour, the Human green."""
    alarm = palette.get("accent-coral", "").lower()
    background = palette.get("background", "#000000")
    cycle = [c for c in chart_colours(palette) if c.lower() != alarm and _reads_on(c, background)] or [palette.get("text", "#ffffff")]
    out, n = {}, 0
    for lane in lanes:
        if lane.key == HUMAN:
            out[lane.key] = palette.get("accent-green", palette.get("text", "#ffffff"))
        elif lane.key in FIXED:
            out[lane.key] = palette.get("heading", palette.get("text", "#ffffff"))
        else:
            out[lane.key] = cycle[n % len(cycle)]
            n += 1
    return out


def _label_markup(row: Row) -> str:
    """The row's label with its live part; a ticking time is a span the page counts (data-left-ms)."""
    if row.live in ("countdown", "countup"):
        before, _, after = row.live_text.partition("{}")
        tick = (f'<span class="story-tick" data-left-ms="{row.live_ms}" data-dir="{"down" if row.live == "countdown" else "up"}">'
                f"{_esc(seconds_text(row.live_ms))}</span>")
        return f"{_label_words(row)} · {_esc(before)}{tick}{_esc(after)}"
    if row.live == "running":
        return f'{_label_words(row)} <span class="tl-running">…</span>'
    return _label_words(row)


def _label_words(row: Row) -> str:
    if row.kind == "rejected":  # refused by the validator: never reached the workflow
        return f'<s class="tl-refused">{_esc(row.name)}</s> ✕ {_esc(row.failure)}'
    return _esc(row.label)


def _chip(key: str, labels: dict[str, str], colours: dict[str, str], ended: set[str]) -> str:
    cls = "tl-chip tl-ended" if key in ended else "tl-chip"
    return f'<span class="{cls}" style="--lane:{colours.get(key, "currentColor")}">{_esc(labels.get(key, key))}</span>'


def _time(ms: int) -> str:
    return f"+{seconds_text(ms)}"


def render(story: Story, rows: list[Row], palette: dict[str, str], *, name: str = "demo", words: str = "") -> str:
    """The timeline of `story` as HTML, drawing exactly `rows` (the selection the picture draws)."""
    used = {k for r in rows for k in (r.src, r.dst)} | {lane.key for lane in story.lanes if lane.starts_at is not None}
    lanes = [lane for lane in story.lanes if lane.key in used] or [Lane(WORKFLOW, "Workflow")]
    labels = {lane.key: lane.label for lane in lanes}
    colours = lane_colours(lanes, palette)
    shown = {r.id for r in rows}
    ended = {lane.key for lane in lanes if lane.ends_at is not None and (lane.ends_at in shown or lane.ends_at not in {r.id for r in story.rows})}
    title = f"{story.workflow_type or name}: {story.status}"
    out = [f'<div class="story-timeline" data-story="{_esc(name)}" data-status="{_esc(story.status)}" data-words="{_esc(words)}" '
           f'data-rows="{len(rows)}">',
           f'<div class="tl-head"><span class="tl-title">{_esc(story.workflow_type or name)}</span> '
           f'<span class="tl-status tl-status-{_esc(story.status.replace(" ", "-"))}">{_esc(story.status)}</span></div>',
           '<ul class="tl-lanes" aria-label="Lanes: who runs what">']
    for lane in lanes:
        note = " (killed)" if lane.key in ended else ""
        out.append(f'<li>{_chip(lane.key, labels, colours, ended)}<span class="tl-sr">{note}</span></li>')
    out.append("</ul>")
    out.append(f'<ol class="tl-rows" aria-label="{_esc(title)}">')
    for row in rows:
        out.append(_row(row, labels, colours, ended))
    out.append("</ol></div>")
    return "".join(out)


def _row(row: Row, labels: dict[str, str], colours: dict[str, str], ended: set[str]) -> str:
    state = f' data-state="{_esc(row.state)}"' if row.state else ""
    live = f' data-live="{row.live}"' if row.live else ""
    tone = f" tone-{row.tone}" if row.tone else ""
    parts = [f'<li class="tl-row tl-{row.kind}{tone}" data-row="{row.id}" data-t="{row.t_ms}"{state}{live}>',
             '<span class="tl-mark" aria-hidden="true"></span><div class="tl-body">',
             f'<div class="tl-label">{_label_markup(row)}</div>']
    if row.kind != "elided":
        between = _chip(row.src, labels, colours, ended)
        if row.dst != row.src:
            between += ' <span class="tl-arrow" aria-label="to">→</span> ' + _chip(row.dst, labels, colours, ended)
        parts.append(f'<div class="tl-meta">{between} <span class="tl-time">{_time(row.t_ms)}</span></div>')
    if row.items and row.count > 1:  # repeated work: how far it got
        share = 100 * min(row.done, row.count) / row.count
        parts.append(f'<div class="tl-progress" role="progressbar" aria-label="{_esc(row.name)}" aria-valuemin="0" '
                     f'aria-valuemax="{row.count}" aria-valuenow="{row.done}"><span style="width:{share:.1f}%"></span></div>')
    parts.append("</div></li>")
    return "".join(parts)


def words_of(html_text: str) -> list[str]:
    """The rows' words as a reader sees them (tests compare them with the picture's)."""
    import re

    rows = re.findall(r'<div class="tl-label">(.*?)</div>', html_text)
    return [html.unescape(re.sub(r"<[^>]+>", "", r)) for r in rows]


__all__ = ["lane_colours", "live_label", "render", "words_of"]
