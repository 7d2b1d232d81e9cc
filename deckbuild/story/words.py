"""A story in words: the text alternative of its picture (alt text, aria-label), step by step."""

from __future__ import annotations

from deckbuild.story.fold import CHILD, CLIENT, HUMAN, TIMER, WORKFLOW, Row, Story

_NAMES = {CLIENT: "the client", HUMAN: "a person", WORKFLOW: "the workflow", TIMER: "a durable timer", CHILD: "child workflows"}


def describe(story: Story, rows: list[Row] | None = None) -> str:
    """One sentence per row, in order: "The client starts ProvisioningWorkflow. ..." """
    labels = {lane.key: lane.label for lane in story.lanes}

    def who(key: str) -> str:
        return _NAMES.get(key) or labels.get(key, key)

    sentences = []
    for row in rows if rows is not None else story.rows:
        label = row.label.replace("✓", "done").replace("✕", "failed:").replace("∥", "and, in parallel,").replace("×", "times ")
        if row.kind == "call" and row.src == CLIENT:
            text = f"{who(CLIENT)} starts {story.workflow_type or 'the workflow'}"
        elif row.kind == "call":
            text = f"{who(row.src)} runs {label} on {who(row.dst)}"
        elif row.kind == "human":
            text = f"{who(HUMAN)} sends {label}"
        elif row.kind == "rejected":
            text = f"{who(HUMAN)} sends {label.replace('failed:', 'rejected:', 1)}; it never reaches the history"
        elif row.kind == "fail":
            text = f"on {who(row.src)}, {label}"
        elif row.kind == "return" and row.dst == CLIENT:
            text = f"the workflow is {label}"
        elif row.kind == "return":
            text = f"{who(row.src)} reports {label}"
        elif row.kind == "killed":
            text = f"{who(row.src)} is killed"
        elif row.kind == "gap":
            text = label
        elif row.kind == "waiting":
            text = f"the workflow is {label}"
        else:
            text = label
        sentences.append(text[:1].upper() + text[1:] + ".")
    return " ".join(sentences)


def seconds_text(ms: int) -> str:
    """A ticking time as every layout shows it: "4.2 s", "12 s"."""
    s = max(0, ms) / 1000
    return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"


def live_label(row: Row, text: str | None = None) -> str:
    """The row's words with what is happening now: "charge_card · attempt 3 in 4.2 s", "configure-dns …"."""
    text = row.label if text is None else text
    if row.live in ("countdown", "countup"):
        return f"{text} · {row.live_text.format(seconds_text(row.live_ms))}"
    if row.live == "running":
        return f"{text} …"
    return text
