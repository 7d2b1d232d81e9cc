"""Scenario: four applications. Ada's passes both parallel checks and a loan officer approves it by
signal. Abe's also passes, but nobody decides within its (shortened) review deadline, so the
durable timer fires and routes it to manual review. Ava's is decided by the room: five devices vote
(one twice, counted once; a malformed vote is refused before it is sent) and the quorum decides.
Alex's room has a quorum nobody reaches: its deadline timer fires and the votes so far decide."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict

from temporalio.client import Client, WorkflowHandle

from demos.common.scenario import Log, ScenarioResult
from demos.common.server import DemoError
from demos.loan_approval.room import APPROVE, DECLINE
from demos.loan_approval.starter import application, cast_room_vote, decide, open_to_room, submit, wait_for_decision_stage
from demos.loan_approval.worker import build_worker
from demos.loan_approval.workflows import Decision, LoanApprovalWorkflow, LoanOutcome

TITLE = "Loan approval: parallel checks, a loan officer's decision by signal, a timeout to manual review, the room decides"
CLAIMS = [
    "Human-in-the-loop with signals; durable timers; the history is the audit trail",
    "The audience decides a real run: one vote per device, a quorum or a deadline",
]
WORKFLOWS = [LoanApprovalWorkflow]

# The real deadline would be days (the tests use 7 days on the time-skipping server); here seconds.
SHORT_REVIEW_TIMEOUT_S = 2.0
OFFICER_DECISION = Decision(approved=True, officer="officer Grace", reason="income verified, low risk")
ROOM_QUORUM = 5
ROOM_DEADLINE_S = 30.0
# The room that does not reach its quorum: its deadline, shortened like the review deadline.
SHORT_ROOM_DEADLINE_S = 2.0
QUORUM_VOTES = [  # (device, choice) in the order they are sent: room-0001 votes twice
    ("room-0001", APPROVE), ("room-0001", DECLINE), ("not a device!", APPROVE), ("room-0002", APPROVE),
    ("room-0003", DECLINE), ("room-0004", APPROVE), ("room-0005", APPROVE),
]  # fmt: skip
DEADLINE_VOTES = [("room-0101", APPROVE), ("room-0102", DECLINE), ("room-0103", DECLINE)]


async def run(client: Client, *, task_queue: str, log: Log) -> ScenarioResult:
    async with build_worker(client, task_queue):
        log(f"worker running on task queue {task_queue}")
        ada = application("Ada", 250_000, review_timeout_s=60)
        abe = application("Abe", 120_000, review_timeout_s=SHORT_REVIEW_TIMEOUT_S)
        ava = application("Ava", 180_000, review_timeout_s=60)
        alex = application("Alex", 90_000, review_timeout_s=60)
        approved, unattended, by_quorum, by_deadline = await asyncio.gather(
            *(submit(client, app, task_queue=task_queue) for app in (ada, abe, ava, alex))
        )
        log(f"submitted {approved.id}, {unattended.id}, {by_quorum.id} and {by_deadline.id}: credit check and documents run in parallel")
        await wait_for_decision_stage(approved)
        log(f"{approved.id}: checks passed; {OFFICER_DECISION.officer} signals approve")
        await decide(approved, OFFICER_DECISION)
        room_cases = await asyncio.gather(
            _room_decides(client, by_quorum, ROOM_QUORUM, ROOM_DEADLINE_S, QUORUM_VOTES, log),
            _room_decides(client, by_deadline, 10, SHORT_ROOM_DEADLINE_S, DEADLINE_VOTES, log),
        )
        outcome: LoanOutcome = await approved.result()
        log(f"{approved.id}: {outcome.status} by {outcome.decision.officer}")
        log(f"{unattended.id}: nobody decides within {SHORT_REVIEW_TIMEOUT_S:g}s")
        timed_out: LoanOutcome = await unattended.result()
        log(f"{unattended.id}: timer fired -> {timed_out.status} ({timed_out.review_ticket})")
    quorum_case, deadline_case = room_cases
    if quorum_case["room"]["decided_by"] != "quorum" or deadline_case["room"]["decided_by"] != "deadline":
        raise DemoError(f"the rooms did not decide as scripted: {quorum_case['room']}, {deadline_case['room']}")
    checks = outcome.checks
    overlap = min(c.ended_at for c in checks) - max(c.started_at for c in checks)
    return ScenarioResult(
        workflow_id=approved.id,
        run_id=approved.result_run_id,
        input=asdict(ada),
        result=asdict(outcome),
        extra={
            "checks": [{"check": c.check, "passed": c.passed, "detail": c.detail, "seconds": round(c.ended_at - c.started_at, 3)} for c in checks],
            "checks_overlap_s": round(overlap, 3),
            "timeout_case": {"application_id": abe.application_id, "review_timeout_s": SHORT_REVIEW_TIMEOUT_S, **asdict(timed_out)},
            "audit_trail": await audit_trail(approved),
            "room_cases": list(room_cases),
        },
        other_runs=[(h.id, h.result_run_id) for h in (unattended, by_quorum, by_deadline)],
    )


async def _room_decides(client: Client, handle: WorkflowHandle, quorum: int, deadline_s: float, votes: list[tuple[str, str]], log: Log) -> dict:
    await wait_for_decision_stage(handle)
    await open_to_room(handle, quorum=quorum, deadline_s=deadline_s)
    log(f"{handle.id}: checks passed; the presenter opens the decision to the room (quorum {quorum}, deadline {deadline_s:g}s)")
    receipts = [await cast_room_vote(client, handle.id, device, choice) for device, choice in votes]
    for r in receipts:
        log(f"  {r.device_id} votes {r.choice}: {r.status}" + (f" ({r.reason})" if r.reason else ""))
    result: LoanOutcome = await handle.result()
    log(f"{handle.id}: {result.status} by {result.decision.officer if result.decision else 'nobody'}: {result.decision.reason if result.decision else ''}")
    return {
        "application_id": handle.id,
        "quorum": quorum,
        "deadline_s": deadline_s,
        "votes": [asdict(r) for r in receipts],
        "room": asdict(result.room),
        "status": result.status,
        "decision": asdict(result.decision) if result.decision else None,
        "audit_trail": await audit_trail(handle),
    }


async def audit_trail(handle) -> list[dict]:
    """Who did what when, read back from the server's history (not from the workflow's memory)."""
    history = await handle.fetch_history()
    first = history.events[0].event_time.ToDatetime()
    trail = []
    scheduled: dict[int, str] = {}
    room_open = False
    for event in history.events:
        at = round((event.event_time.ToDatetime() - first).total_seconds(), 3)
        if event.HasField("workflow_execution_started_event_attributes"):
            trail.append({"at_s": at, "what": "application submitted"})
        elif event.HasField("activity_task_scheduled_event_attributes"):
            scheduled[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
        elif event.HasField("activity_task_completed_event_attributes"):
            name = scheduled.get(event.activity_task_completed_event_attributes.scheduled_event_id, "activity")
            trail.append({"at_s": at, "what": f"{name} done"})
        elif event.HasField("workflow_execution_signaled_event_attributes"):
            attrs = event.workflow_execution_signaled_event_attributes
            data = json.loads(attrs.input.payloads[0].data) if attrs.input.payloads else {}
            if attrs.signal_name == "open_to_room":
                room_open = True
                trail.append({"at_s": at, "what": f"signal open_to_room: quorum {data.get('quorum')}, deadline {data.get('deadline_s', 0):g}s"})
            elif attrs.signal_name == "room_vote":
                trail.append({"at_s": at, "what": f"signal room_vote: {data.get('choice')} from {data.get('device_id')}"})
            else:
                verdict = "approve" if data.get("approved") else "reject"
                trail.append({"at_s": at, "what": f"signal {attrs.signal_name}: {verdict} by {data.get('officer', attrs.identity)}"})
        elif event.HasField("timer_fired_event_attributes"):
            trail.append({"at_s": at, "what": "the room's deadline passed" if room_open else "review deadline passed"})
        elif event.HasField("workflow_execution_completed_event_attributes"):
            trail.append({"at_s": at, "what": "decision recorded, workflow completed"})
    return trail
