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
