"""The CEO's inbox as one long-running workflow.

Messages in, and why each kind:
  add_item         signal  fire-and-forget: a sender drops an item in and moves on.
  submit_decision  signal  fire-and-forget decision; bad input can only be logged and ignored,
                           because a signal cannot answer its sender.
  decide           update  decision that answers: a validator rejects bad input *before* anything
                           is written to history, and the caller gets the recorded decision back.
  close_inbox      signal  ends the session.
  prioritized      query   the pending items in priority order (a status check, no history written).
  trail            query   the decisions so far.

Every item gets its own durable timer: if nobody decides within the deadline, the workflow
escalates it itself (by "timer"). The timer lives on the Temporal server, so it fires even if every
worker was down in between.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from demos.inbox.activities import Notification, notify
    from demos.inbox.model import (
        ACTIONS,
        ESCALATE,
        REFINE,
        TIMER,
        Decision,
        DecisionRequest,
        InboxItem,
        InboxParams,
        NewItem,
        in_priority_order,
        priority_score,
        rating_problem,
    )


@workflow.defn
class InboxWorkflow:
    @workflow.init
    def __init__(self, params: InboxParams) -> None:
        # @workflow.init runs before any signal is delivered, so handlers never see a half-built inbox.
        self._params = params
        self._items: dict[str, InboxItem] = {}
        self._decisions: dict[str, Decision] = {}  # item id -> its (single, final) decision
        self._trail: list[Decision] = []  # the same decisions, in the order they were made
        self._deadline_watchers: list[asyncio.Task[None]] = []
        self._closing = False

    @workflow.run
    async def run(self, params: InboxParams) -> list[Decision]:
        # A real always-on inbox would also continue-as-new when
        # workflow.info().is_continue_as_new_suggested(); a triage session is short enough not to.
        await workflow.wait_condition(lambda: self._closing or self._all_decided())
        self._closing = True  # tells the deadline watchers to stop waiting
        # Let in-flight work finish before completing: an escalation notice being sent, a `decide`
        # update still answering its caller.
        await asyncio.gather(*self._deadline_watchers)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._trail

    # --- messages in -------------------------------------------------------------------------

    @workflow.signal
    def add_item(self, new: NewItem) -> None:
        problem = "the inbox is closed" if self._closing else rating_problem(new)
        if problem:
            # Raising here would fail the workflow task over and over; a signal has nobody to answer.
            workflow.logger.warning("ignoring item %r: %s", new.id, problem)
            return
        if new.id in self._items:
            return  # the same item sent twice is still one item
        item = InboxItem(
            id=new.id,
            title=new.title,
            sender=new.sender,
            urgency=new.urgency,
            importance=new.importance,
            score=priority_score(new.urgency, new.importance),
            received_at=workflow.now().isoformat(),
            seq=len(self._items) + 1,
        )
        self._items[item.id] = item
        # Workflow tasks are deterministic (Temporal's event loop replays them identically).
        self._deadline_watchers.append(asyncio.create_task(self._escalate_if_undecided(item)))

    @workflow.signal
    async def submit_decision(self, request: DecisionRequest) -> None:
        problem = self._decision_problem(request)
        if problem:
            workflow.logger.warning("ignoring decision on %r: %s", request.item_id, problem)
            return
        await self._decide(request.item_id, request.action, by=request.by, note=request.note)

    @workflow.update
    async def decide(self, request: DecisionRequest) -> Decision:
        return await self._decide(request.item_id, request.action, by=request.by, note=request.note)

    @decide.validator
    def _validate_decide(self, request: DecisionRequest) -> None:
        # Runs before the update is accepted. Raising rejects it: the caller gets the error, and
        # the workflow's history never mentions the request.
        problem = self._decision_problem(request)
        if problem:
            raise ValueError(problem)

    @workflow.signal
    def close_inbox(self) -> None:
        self._closing = True

    @workflow.query
    def prioritized(self) -> list[InboxItem]:
        return in_priority_order([item for item in self._items.values() if item.id not in self._decisions])

    @workflow.query
    def trail(self) -> list[Decision]:
        return self._trail

    # --- internals ---------------------------------------------------------------------------

    def _all_decided(self) -> bool:
        return self._params.close_when_all_decided and bool(self._items) and len(self._decisions) == len(self._items)

    def _decision_problem(self, request: DecisionRequest) -> str | None:
        """Why a decision request cannot be applied, or None if it can."""
        if self._closing:
            return "the inbox is closed"
        if request.item_id not in self._items:
            return f"unknown item {request.item_id!r}"
        if request.action not in ACTIONS:
            return f"unknown action {request.action!r} (expected one of {', '.join(ACTIONS)})"
        if request.action == REFINE and not request.note.strip():
            return "refine needs a note saying what to change"
        if not request.by.strip():
            return "a decision needs the name of who made it"
        if request.item_id in self._decisions:
            earlier = self._decisions[request.item_id]
            return f"item {request.item_id!r} was already decided ({earlier.action} by {earlier.by})"
        return None

    async def _decide(self, item_id: str, action: str, *, by: str, note: str) -> Decision:
        item = self._items[item_id]
        decision = Decision(item_id=item.id, item=item.title, action=action, by=by, note=note, at=workflow.now().isoformat())
        # Record first, notify second: from this instant the item is decided, so a concurrent
        # decision (or the deadline timer) sees it and backs off while the notice is being sent.
        self._decisions[item.id] = decision
        self._trail.append(decision)
        if action == ESCALATE:
            await workflow.execute_activity(
                notify,
                Notification(
                    recipient=self._params.escalate_to,
                    subject=f"Escalated: {item.title}",
                    body=f"From {item.sender}, escalated by {by}" + (f": {note}" if note else "."),
                ),
                start_to_close_timeout=timedelta(seconds=10),
            )
        return decision

    async def _escalate_if_undecided(self, item: InboxItem) -> None:
        # A durable timer (the wait_condition timeout) that is cancelled as soon as the item is
        # decided or the inbox closes. wait_condition re-checks the lambda after every signal/update.
        try:
            await workflow.wait_condition(
                lambda: item.id in self._decisions or self._closing,
                timeout=timedelta(seconds=self._params.escalate_after_seconds),
                timeout_summary=f"escalation deadline for {item.id}",
            )
        except asyncio.TimeoutError:
            deadline = timedelta(seconds=self._params.escalate_after_seconds)
            await self._decide(item.id, ESCALATE, by=TIMER, note=f"no decision within {deadline}")
