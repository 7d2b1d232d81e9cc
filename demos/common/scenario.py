"""The contract between a demo's scenario and whoever drives it (its CLI, its tests, the deck build).

Every `demos/<name>/scenario.py` defines:
    TITLE: str                      one line naming what the demo shows
    CLAIMS: list[str]               the talk's claims this demo backs
    WORKFLOWS: list[type]           workflow classes, for replaying captured histories
    async def run(client, *, task_queue: str, log: Callable[[str], None]) -> ScenarioResult

A demo that reads files as input (the ingestion corpus) lists them in demos/<name>/inputs.txt, so a
change to them makes its capture stale (see demos/common/source.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

Log = Callable[[str], None]


@dataclass
class ScenarioResult:
    """What a scenario did. Everything here must be JSON-serialisable."""

    workflow_id: str  # the workflow whose history the deck shows
    run_id: str
    input: Any
    result: Any
    # Demo-specific facts worth showing (attempt timings, decision trail, throughput, ...).
    extra: dict[str, Any] = field(default_factory=dict)
    # Other workflows the scenario ran whose histories should be kept too (id, run_id).
    other_runs: list[tuple[str, str]] = field(default_factory=list)
    # What happened outside the history, for the slide's story picture (deckbuild/story/fold.py lists
    # the kinds): a worker killed, a new one started, a rejected update. "at" is epoch seconds.
    annotations: list[dict[str, Any]] = field(default_factory=list)
    # The workflow whose history the story picture draws, when not the main one (one of other_runs).
    story_workflow_id: str | None = None
