"""Loan approval: the credit check and the document verification run in parallel; then a loan
officer decides by signal, or the presenter opens the decision to the room and the audience's
devices vote. If nobody decides before the review deadline, a durable timer routes the application
to manual review. The workflow's history is the audit trail: who decided, when, and what the
checks said, recorded by the server as it happened.

Messages in, and why each kind:
  decide        signal  a loan officer's decision; the first decision stands.
  open_to_room  signal  the presenter hands the decision to the room: a quorum and a deadline.
  close_room    signal  the presenter ends the room's vote now: the votes so far decide.
  room_vote     signal  one device's approve / decline. A burst of votes against a 30 s durable
                        timer: a signal is durable the moment the server has it, with no worker
                        running and no limit on how many wait, so a vote is never refused because
                        a worker is down. The workflow counts each device once (the first vote
                        stands) and ignores a malformed one, which the client side refuses before
                        sending anyway.
  stage, room_tally, status, room_vote_of  queries: where the application is, the room's count,
                        both at once, a device's vote.
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
    from demos.loan_approval.room import (
        APPROVE,
        RoomParams,
        RoomTally,
        RoomVote,
        room_decision_reason,
        room_params_problem,
        room_vote_input_problem,
    )

CHECK_TIMEOUT = timedelta(seconds=30)


@dataclass
class Decision:
    approved: bool
    officer: str
    reason: str


@dataclass
class LoanStatus:
    """Everything a slide shows, in one query (present mode asks after every event)."""

    stage: str
    room: RoomTally | None = None


@dataclass
class LoanOutcome:
    application_id: str
    status: str  # "approved", "rejected", "declined-by-checks" or "manual-review"
    checks: list[CheckResult] = field(default_factory=list)
    decision: Decision | None = None
    review_ticket: str | None = None
    room: RoomTally | None = None  # the room's count, when the room was asked


@workflow.defn
class LoanApprovalWorkflow:
    def __init__(self) -> None:
        self._decision: Decision | None = None
        self._stage = "checking"
        self._room: RoomParams | None = None
        self._room_votes: dict[str, str] = {}  # device id -> choice, first vote per device
        self._room_decided_by = ""
        self._room_closing = False

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
                lambda: self._decision is not None or self._room is not None,
                timeout=timedelta(seconds=application.review_timeout_s),
            )
        except asyncio.TimeoutError:
            return await self._manual_review(outcome)
        if self._decision is None:
            outcome.room = await self._let_the_room_decide(self._room)
            if self._decision is None:  # the deadline passed and nobody in the room voted
                return await self._manual_review(outcome)
        outcome.decision = self._decision
        outcome.status = "approved" if self._decision.approved else "rejected"
        self._stage = outcome.status
        return outcome

    async def _let_the_room_decide(self, room: RoomParams) -> RoomTally:
        self._stage = "room-voting"
        try:
            # A second durable timer: the room's deadline. A quorum of votes cancels it.
            await workflow.wait_condition(
                lambda: self._decision is not None or self._room_closing or len(self._room_votes) >= room.quorum,
                timeout=timedelta(seconds=room.deadline_s),
                timeout_summary="the room's deadline",
            )
            if self._decision is not None:
                self._room_decided_by = "officer"
            else:
                self._room_decided_by = "quorum" if len(self._room_votes) >= room.quorum else "presenter"
        except asyncio.TimeoutError:
            self._room_decided_by = "deadline"
        tally = self.room_tally()
        if self._decision is None and (tally.approve or tally.decline):
            # A strict majority approves; a tie does not.
            self._decision = Decision(
                approved=tally.approve > tally.decline,
                officer=f"the room ({tally.approve} approve, {tally.decline} decline)",
                reason=room_decision_reason(tally),
            )
        return tally

    async def _manual_review(self, outcome: LoanOutcome) -> LoanOutcome:
        self._stage = "manual-review"
        outcome.status = "manual-review"
        outcome.review_ticket = await workflow.execute_activity(
            route_to_manual_review, outcome.application_id, start_to_close_timeout=CHECK_TIMEOUT
        )
        return outcome

    # --- messages in -------------------------------------------------------------------------

    @workflow.signal
    def decide(self, decision: Decision) -> None:
        if self._decision is None:  # the first decision stands; a second one is ignored
            self._decision = decision

    @workflow.signal
    def open_to_room(self, params: RoomParams) -> None:
        problem = room_params_problem(params)
        if problem is None and self._room is not None:
            problem = "the room is already voting"
        if problem is None and (self._decision is not None or self._stage not in ("checking", "awaiting-decision")):
            problem = f"the application is past deciding ({self._stage})"
        if problem:
            # A signal has nobody to answer: raising would only fail the workflow task again and again.
            workflow.logger.warning("not opening the decision to the room: %s", problem)
            return
        self._room = params

    @workflow.signal
    def close_room(self) -> None:
        if self._room is None:
            workflow.logger.warning("close_room: the room is not voting")
            return
        self._room_closing = True

    @workflow.signal
    def room_vote(self, vote: RoomVote) -> None:
        problem = self._room_vote_problem(vote)
        if problem:
            workflow.logger.info("room vote not counted: %s", problem)
            return
        self._room_votes[vote.device_id] = vote.choice

    @workflow.query
    def stage(self) -> str:
        return self._stage

    @workflow.query
    def status(self) -> LoanStatus:
        return LoanStatus(self._stage, self.room_tally())

    @workflow.query
    def room_tally(self) -> RoomTally | None:
        if self._room is None:
            return None
        approve = sum(1 for choice in self._room_votes.values() if choice == APPROVE)
        return RoomTally(
            approve=approve,
            decline=len(self._room_votes) - approve,
            quorum=self._room.quorum,
            deadline_s=self._room.deadline_s,
            voting=self._stage in ("checking", "awaiting-decision", "room-voting") and not self._room_decided_by,
            decided_by=self._room_decided_by,
        )

    @workflow.query
    def room_vote_of(self, device_id: str) -> str | None:
        return self._room_votes.get(device_id)

    def _room_vote_problem(self, vote: RoomVote) -> str | None:
        if self._room is None:
            return "the room is not voting on this application"
        if self._room_decided_by or self._room_closing or self._decision is not None:
            return "the decision is made"
        problem = room_vote_input_problem(vote)
        if problem:
            return problem
        if vote.device_id in self._room_votes:
            return f"this device already voted ({self._room_votes[vote.device_id]})"
        if len(self._room_votes) >= self._room.max_voters:
            return f"the room is full ({self._room.max_voters} voters)"
        return None
