"""The shared demo machinery: the capture artifact, the source hash, failures, and connecting."""

from __future__ import annotations

import json
import shutil
import types
import uuid
from datetime import datetime, timedelta

import pytest
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from demos.common import capture as capture_module
from demos.common import connect
from demos.common.capture import DemoFailed, capture_demo, demo_source_hash, root_failure_message
from demos.common.connect import client_address, connected_client
from demos.common.scenario import ScenarioResult
from demos.common.server import DemoError
from demos.retries.workflows import Order, PaymentWorkflow

# ----- the capture artifact --------------------------------------------------------------------


async def test_capture_has_every_field_and_is_json(retries_capture, server):
    capture, _ = retries_capture
    assert set(capture) == {
        "schema", "demo", "title", "claims", "command", "source_path", "source_hash", "versions",
        "captured_at", "namespace", "workflow_id", "run_id", "workflow_type", "input", "result",
        "duration_s", "workflow_duration_s", "events", "history", "other_histories", "log", "extra",
        "annotations", "story_workflow_id",
    }  # fmt: skip
    assert capture["annotations"] == [] and capture["story_workflow_id"] is None  # retries: its history tells it all
    assert json.loads(json.dumps(capture)) == capture
    assert capture["schema"] == 1 and capture["demo"] == "retries"
    assert capture["command"] == "python -m demos.retries" and capture["source_path"] == "demos/retries/"
    assert capture["claims"] == ["Retries, backoff, no lost state"]
    assert capture["namespace"] == server.namespace
    assert capture["workflow_type"] == "PaymentWorkflow"
    assert capture["source_hash"] == demo_source_hash("retries")
    assert capture["versions"] == {"temporalio": "1.35.0", "cli": "1.9.1", "server": "1.32.0"}
    assert datetime.fromisoformat(capture["captured_at"]).utcoffset() == timedelta(0)


async def test_capture_timings_and_log(retries_capture):
    capture, lines = retries_capture
    # ~7 s of backoff (1 + 2 + 4 s) happen inside the workflow, which runs inside the scenario.
    assert 6.5 < capture["workflow_duration_s"] <= capture["duration_s"] < 30
    assert capture["log"] == lines and any("attempt 3 failed" in line for line in lines)


async def test_capture_events_are_a_compact_view_of_the_full_history(retries_capture):
    capture, _ = retries_capture
    events, history = capture["events"], capture["history"]["events"]
    assert [e["id"] for e in events] == [int(h["eventId"]) for h in history]
    assert events[0] == {"id": 1, "type": "WorkflowExecutionStarted", "t_ms": 0, "detail": events[0]["detail"]}
    assert events[0]["detail"].startswith("PaymentWorkflow on retries-")
    assert all(not e["type"].startswith("EVENT_TYPE") for e in events)
    times = [e["t_ms"] for e in events]
    assert times == sorted(times) and times[-1] == pytest.approx(capture["workflow_duration_s"] * 1000, abs=2)
    assert capture["other_histories"] == {}


# ----- the source hash -------------------------------------------------------------------------


def _copy_demos(tmp_path):
    demos_dir = tmp_path / "demos"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(capture_module.DEMOS_DIR / "retries", demos_dir / "retries", ignore=ignore)
    shutil.copytree(capture_module.DEMOS_DIR / "common", demos_dir / "common", ignore=ignore)
    return demos_dir


def test_source_hash_depends_on_the_demo_and_common_sources_only(tmp_path):
    demos_dir = _copy_demos(tmp_path)
    original = demo_source_hash("retries", demos_dir=demos_dir)
    assert original == demo_source_hash("retries")  # same files, same relative paths: same hash

    (demos_dir / "retries" / "README.md").write_text("docs are not code\n")
    assert demo_source_hash("retries", demos_dir=demos_dir) == original

    activities = demos_dir / "retries" / "activities.py"
    activities.write_text(activities.read_text() + "\n# changed\n")
    changed = demo_source_hash("retries", demos_dir=demos_dir)
    assert changed != original

    (demos_dir / "common" / "scenario.py").write_text("# a change in the shared code\n")
    assert demo_source_hash("retries", demos_dir=demos_dir) not in (original, changed)


def test_source_hash_sees_renames(tmp_path):
    demos_dir = _copy_demos(tmp_path)
    original = demo_source_hash("retries", demos_dir=demos_dir)
    (demos_dir / "retries" / "starter.py").rename(demos_dir / "retries" / "start.py")
    assert demo_source_hash("retries", demos_dir=demos_dir) != original


def test_unknown_demo_is_a_demo_error():
    with pytest.raises(DemoError, match="no demo named 'no_such_demo'"):
        capture_module.load_scenario("no_such_demo")


# ----- failures --------------------------------------------------------------------------------


@activity.defn(name="charge_card")
async def declining_charge_card(request) -> None:
    raise ApplicationError("card declined by issuer", type="CardDeclined", non_retryable=True)


@activity.defn(name="apply_coupon")
async def no_discount(request) -> int:
    return 0


async def _declined_payment_scenario(client, *, task_queue, log) -> ScenarioResult:
    """The real PaymentWorkflow, with a card that is declined: the workflow itself fails."""
    log("starting worker")
    async with Worker(client, task_queue=task_queue, workflows=[PaymentWorkflow], activities=[declining_charge_card, no_discount]):
        log("charging the card")
        order = Order(order_id=f"o-{uuid.uuid4().hex[:6]}", amount_cents=100, coupon_code="X", gateway_outage_attempts=0)
        await client.execute_workflow(PaymentWorkflow.run, order, id=f"declined-{order.order_id}", task_queue=task_queue)
    raise AssertionError("the workflow should have failed")


async def test_scenario_failure_is_demo_failed_with_step_and_temporal_reason(client, monkeypatch):
    fake = types.SimpleNamespace(TITLE="t", CLAIMS=[], WORKFLOWS=[PaymentWorkflow], run=_declined_payment_scenario)
    monkeypatch.setattr(capture_module, "load_scenario", lambda name: fake)
    with pytest.raises(DemoFailed) as failed:
        await capture_demo("declined", client)
    assert failed.value.demo == "declined"
    assert failed.value.step == "charging the card"
    assert failed.value.message == "CardDeclined: card declined by issuer"
    assert str(failed.value) == "demo 'declined' failed at step 'charging the card': CardDeclined: card declined by issuer"


def test_root_failure_message_walks_the_cause_chain():
    try:
        try:
            raise ApplicationError("disk full")
        except ApplicationError as inner:
            raise RuntimeError("outer wrapper") from inner
    except RuntimeError as outer:
        assert root_failure_message(outer) == "disk full"
    assert root_failure_message(ValueError("bad")) == "ValueError: bad"


# ----- connecting ------------------------------------------------------------------------------


async def test_connected_client_uses_temporal_address_and_env_config(server, monkeypatch):
    monkeypatch.setenv("TEMPORAL_ADDRESS", server.address)
    # TEMPORAL_NAMESPACE is read by the standard env config, not by our code: proves we use it.
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "from-env")
    async with connected_client() as client:
        assert client_address(client) == server.address
        assert client.namespace == "from-env"
    monkeypatch.setenv("TEMPORAL_NAMESPACE", server.namespace)
    async with connected_client() as client:
        assert client.namespace == server.namespace
        # Really connected to that server: it knows a workflow started through the fixture's client.
        handle = await server.client.start_workflow("NoSuchWorkflowType", id=f"env-{uuid.uuid4().hex[:8]}", task_queue="env-config-check")
        assert (await client.get_workflow_handle(handle.id).describe()).id == handle.id
        await handle.terminate("connection check")


async def test_unreachable_address_is_a_clear_demo_error(monkeypatch):
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
    with pytest.raises(DemoError) as err:
        async with connected_client():
            pass
    assert str(err.value) == "cannot connect to the Temporal server at 127.0.0.1:1: Connection refused"


async def test_without_address_an_embedded_server_is_started_and_stopped(server, monkeypatch, tmp_path):
    monkeypatch.delenv("TEMPORAL_ADDRESS", raising=False)
    monkeypatch.setattr(connect, "DEMO_DB_PATH", tmp_path / "demos.sqlite")
    async with connected_client() as client:
        address = client_address(client)
        assert address != server.address and address.startswith("127.0.0.1:")
        assert (await client.count_workflows()).count == 0
    assert (tmp_path / "demos.sqlite").exists()  # runs are kept for later inspection
    monkeypatch.setenv("TEMPORAL_ADDRESS", address)
    with pytest.raises(DemoError, match="Connection refused"):  # the embedded server is gone
        async with connected_client():
            pass
