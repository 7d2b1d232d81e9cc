"""Replay: run a recorded history through some workflow code, exactly as a worker does when it
resumes a run it has no cached state for, and report whether the code still fits the history.

This is how to check an upgrade before deploying it: replay histories of open (or recent) runs
against the new code; any failure means the new code would break those runs.
"""

from __future__ import annotations

from functools import cache

from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.worker import Replayer


async def replay_failure(
    history: WorkflowHistory, workflow_class: type, *, data_converter: DataConverter | None = None
) -> Exception | None:
    """The error replaying `history` against `workflow_class` raises (typically a
    temporalio.workflow.NondeterminismError), or None when the code is compatible."""
    replayer = Replayer(
        workflows=[workflow_class],
        data_converter=data_converter or DataConverter.default,
        runtime=_runtime_without_core_logs(),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    return result.replay_failure


@cache
def _runtime_without_core_logs() -> Runtime:
    # With the default runtime, the SDK core also logs every replay failure as a worker warning
    # ("Failing workflow task ..."). Here a failure is an expected answer, returned to the caller,
    # so that log line would only repeat it. One runtime for all replays: each owns threads.
    return Runtime(telemetry=TelemetryConfig(logging=None))
