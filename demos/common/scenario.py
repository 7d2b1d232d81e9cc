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
