"""Scenario: two applications. Ada's passes both parallel checks and a loan officer approves it by
signal. Bob's also passes, but nobody decides within its (shortened) review deadline, so the
durable timer fires and routes it to manual review."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict

from temporalio.client import Client

from demos.common.scenario import Log, ScenarioResult
from demos.loan_approval.starter import application, decide, submit, wait_for_decision_stage
from demos.loan_approval.worker import build_worker
from demos.loan_approval.workflows import Decision, LoanApprovalWorkflow, LoanOutcome

TITLE = "Loan approval: parallel checks, a loan officer's decision by signal, a timeout to manual review"
CLAIMS = ["Human-in-the-loop with signals; durable timers; the history is the audit trail"]
WORKFLOWS = [LoanApprovalWorkflow]

# The real deadline would be days (the tests use 7 days on the time-skipping server); here seconds.
SHORT_REVIEW_TIMEOUT_S = 2.0
OFFICER_DECISION = Decision(approved=True, officer="officer Grace", reason="income verified, low risk")


async def run(client: Client, *, task_queue: str, log: Log) -> ScenarioResult:
    async with build_worker(client, task_queue):
        log(f"worker running on task queue {task_queue}")
        ada = application("Ada", 250_000, review_timeout_s=60)
        abe = application("Abe", 120_000, review_timeout_s=SHORT_REVIEW_TIMEOUT_S)
        approved, unattended = await asyncio.gather(submit(client, ada, task_queue=task_queue), submit(client, abe, task_queue=task_queue))
        log(f"submitted {approved.id} and {unattended.id}: credit check and documents run in parallel")
        await wait_for_decision_stage(approved)
        log(f"{approved.id}: checks passed; {OFFICER_DECISION.officer} signals approve")
        await decide(approved, OFFICER_DECISION)
        outcome: LoanOutcome = await approved.result()
        log(f"{approved.id}: {outcome.status} by {outcome.decision.officer}")
        log(f"{unattended.id}: nobody decides within {SHORT_REVIEW_TIMEOUT_S:g}s")
        timed_out: LoanOutcome = await unattended.result()
        log(f"{unattended.id}: timer fired -> {timed_out.status} ({timed_out.review_ticket})")
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
        },
        other_runs=[(unattended.id, unattended.result_run_id)],
    )


async def audit_trail(handle) -> list[dict]:
    """Who did what when, read back from the server's history (not from the workflow's memory)."""
    history = await handle.fetch_history()
    first = history.events[0].event_time.ToDatetime()
    trail = []
    scheduled: dict[int, str] = {}
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
            decision = json.loads(attrs.input.payloads[0].data) if attrs.input.payloads else {}
            verdict = "approve" if decision.get("approved") else "reject"
            trail.append({"at_s": at, "what": f"signal {attrs.signal_name}: {verdict} by {decision.get('officer', attrs.identity)}"})
        elif event.HasField("timer_fired_event_attributes"):
            trail.append({"at_s": at, "what": "review deadline passed"})
        elif event.HasField("workflow_execution_completed_event_attributes"):
            trail.append({"at_s": at, "what": "decision recorded, workflow completed"})
    return trail
