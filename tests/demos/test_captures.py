"""The committed captures (demos/captures/*.json) must still describe the current code.

Each captured history is replayed against the current workflow classes with the SDK's Replayer:
a non-deterministic change to a workflow fails here. A capture whose cache key no longer matches
the demo's source, inputs or versions is stale: the deck would show a run of code that is gone.
"""

from __future__ import annotations

import json

import pytest
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from deckbuild import demos
from deckbuild.config import Config
from demos.common.capture import load_scenario

CFG = Config()
NAMES = demos.demo_names(CFG)


def test_every_demo_has_a_capture():
    assert NAMES == [
        "account_validation", "durability", "inbox", "ingestion", "loan_approval",
        "local_activities", "payments", "pii_codec", "poll", "retries", "versioning",
    ]  # fmt: skip
    missing = [n for n in NAMES if not demos.capture_path(CFG, n).is_file()]
    assert missing == [], "run `python build.py demos` and commit demos/captures/"


@pytest.mark.parametrize("name", NAMES)
def test_capture_is_current(name: str):
    capture = demos.load_capture(CFG, name)
    assert capture["cache_key"] == demos.capture_key(CFG, name), (
        f"demos/captures/{name}.json is stale (the demo's code, inputs or versions changed): "
        "run `python build.py demos` and commit the new capture"
    )


@pytest.mark.parametrize("name", NAMES)
async def test_captured_histories_replay_against_current_code(name: str):
    capture = demos.load_capture(CFG, name)
    scenario = load_scenario(name)
    workflows = scenario.WORKFLOWS
    histories = [WorkflowHistory.from_json(capture["workflow_id"], capture["history"])]
    histories += [WorkflowHistory.from_json(wid, h) for wid, h in capture.get("other_histories", {}).items()]
    # A demo whose payloads are encrypted (pii_codec) names the converter that can read them.
    replayer = Replayer(workflows=workflows, data_converter=getattr(scenario, "DATA_CONVERTER", DataConverter.default))
    for history in histories:
        await replayer.replay_workflow(history)  # raises on non-determinism


async def test_replay_catches_a_nondeterministic_change():
    """The check above can fail: the v1 order history replayed against code changed without a patch."""
    from temporalio.workflow import NondeterminismError

    from demos.versioning.workflows_unpatched import OrderApprovalUnpatched

    capture = demos.load_capture(CFG, "versioning")
    history = WorkflowHistory.from_json(capture["workflow_id"], capture["history"])
    with pytest.raises(NondeterminismError):
        await Replayer(workflows=[OrderApprovalUnpatched]).replay_workflow(history)


def test_captures_are_plain_json_with_the_artifact_fields():
    for name in NAMES:
        capture = json.loads(demos.capture_path(CFG, name).read_text())
        for key in ("workflow_id", "run_id", "input", "result", "duration_s", "history", "log", "source_hash", "versions"):
            assert key in capture, (name, key)
        assert capture["versions"]["temporalio"] and capture["versions"]["server"]
