"""Loan approval: the credit check and the document verification run in parallel; then a loan
officer decides by signal. If nobody decides before the review deadline, a durable timer routes
the application to manual review. The workflow's history is the audit trail: who decided, when,
and what the checks said, recorded by the server as it happened.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from demos.loan_approval.activities import (
        Application,
        CheckResult,
        credit_check,
        route_to_manual_review,
        verify_documents,
    )

CHECK_TIMEOUT = timedelta(seconds=30)


@dataclass
class Decision:
    approved: bool
    officer: str
    reason: str


@dataclass
class LoanOutcome:
    application_id: str
    status: str  # "approved", "rejected", "declined-by-checks" or "manual-review"
    checks: list[CheckResult] = field(default_factory=list)
    decision: Decision | None = None
    review_ticket: str | None = None


@workflow.defn
class LoanApprovalWorkflow:
    def __init__(self) -> None:
        self._decision: Decision | None = None
        self._stage = "checking"

    @workflow.run
    async def run(self, application: Application) -> LoanOutcome:
        # Both activities are scheduled in the same workflow task; the server runs them concurrently.
        checks = list(
            await asyncio.gather(
                workflow.execute_activity(credit_check, application, start_to_close_timeout=CHECK_TIMEOUT),
                workflow.execute_activity(verify_documents, application, start_to_close_timeout=CHECK_TIMEOUT),
            )
        )
        outcome = LoanOutcome(application.application_id, status="", checks=checks)
        if not all(c.passed for c in checks):
            outcome.status = "declined-by-checks"
            return outcome
        self._stage = "awaiting-decision"
        try:
            # A durable timer on the server: it fires even if every worker was down meanwhile.
            await workflow.wait_condition(
                lambda: self._decision is not None, timeout=timedelta(seconds=application.review_timeout_s)
            )
        except asyncio.TimeoutError:
            self._stage = "manual-review"
            outcome.status = "manual-review"
            outcome.review_ticket = await workflow.execute_activity(
                route_to_manual_review, application.application_id, start_to_close_timeout=CHECK_TIMEOUT
            )
            return outcome
        outcome.decision = self._decision
        outcome.status = "approved" if self._decision.approved else "rejected"
        self._stage = outcome.status
        return outcome

    @workflow.signal
    def decide(self, decision: Decision) -> None:
        if self._decision is None:  # the first decision stands; a second one is ignored
            self._decision = decision

    @workflow.query
    def stage(self) -> str:
        return self._stage
