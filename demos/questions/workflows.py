"""The room's questions as one workflow per talk: ask, upvote and moderate by Update, read by query.

Messages in, and why each kind:
  ask        update  a phone needs an answer: "asked (#12)" or "not asked: one question per 20 s".
                     The validator runs before anything is written (length, control characters, a
                     device flooding, the same question from someone else): a refused question
                     never reaches the history. The same question from the same device is the one
                     already on the board (a phone sending it again after "waiting" is not a second).
  upvote     update  one per device and question; a pending, hidden or answered question, or your
                     own, refuses it with the reason.
  moderate   update  the presenter's approve / hide / pin / unpin / answer / reopen: the answer is
                     the question's new state, so the presenter view and every phone agree.
  configure  update  moderation on or off (new questions wait for approval while it is on).
  close      update  the talk is over: the board completes with every question in its result.
  nudge      signal  a starting worker sends it, so the server writes an ordinary workflow task
                     that reaches the new worker with every waiting update (see worker.py).
  board      query   what a screen shows (the room's: visible questions only; the presenter's: all).
  mine       query   one device's own questions (with their state) and its upvotes.
  audit      query   who asked and upvoted what (device ids: tests and benchmarks only).

The board closes itself after `idle_close_s` without any change (a talk's questions belong to that
talk), and carries itself into a new run (continue-as-new) before Temporal's limit of updates per
run: the web process finds it under the same workflow id either way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from demos.questions.model import (
        ANSWERED,
        HIDDEN,
        MAX_NAME,
        MAX_QUESTIONS,
        MAX_TEXT,
        MAX_UPVOTES_PER_DEVICE,
        OPEN,
        PENDING,
        VISIBLE,
        Ask,
        Asked,
        Audit,
        Board,
        BoardParams,
        BoardState,
        CloseBoard,
        Configure,
        Mine,
        Moderate,
        Moderated,
        QuestionRecord,
        Upvote,
        Upvoted,
        device_id_problem,
        display_order,
        normalize,
        public,
        same_text,
        text_problem,
    )

CLOSED = "questions are closed: the talk is over"
PAST = {"approve": "approved", "hide": "hidden", "pin": "pinned", "unpin": "unpinned", "answer": "answered", "reopen": "reopened"}


@workflow.defn
class QuestionsWorkflow:
    @workflow.init
    def __init__(self, params: BoardParams) -> None:
        # @workflow.init runs before any update is delivered: a validator never sees a half-built board.
        self._params = params
        self._s = params.carried or BoardState(deck=params.deck, moderation=params.moderation)
        now = workflow.now().timestamp()
        self._s.started_at = self._s.started_at or now
        self._s.last_activity = self._s.last_activity or now
        self._device_index = {device: n for n, device in enumerate(self._s.devices)}
        self._by_id = {q.id: q for q in self._s.questions}
        self._updates_this_run = 0

    @workflow.run
    async def run(self, params: BoardParams) -> Board:
        while not self._s.closed_by:
            left = self._s.last_activity + params.idle_close_s - workflow.now().timestamp()
            if left <= 0:
                self._s.closed_by = "nobody for a while (closed when idle)"
                break
            try:
                await workflow.wait_condition(lambda: bool(self._s.closed_by) or self._should_continue(), timeout=timedelta(seconds=left),
                                              timeout_summary="closes when idle")
            except asyncio.TimeoutError:
                continue  # idle? the loop looks at the last activity again
            if not self._s.closed_by and self._should_continue():
                await workflow.wait_condition(workflow.all_handlers_finished)
                self._s.runs += 1
                workflow.continue_as_new(dataclasses.replace(params, moderation=self._s.moderation, carried=self._s))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.board(True)

    def _should_continue(self) -> bool:
        return self._updates_this_run >= self._params.continue_after_updates or workflow.info().is_continue_as_new_suggested()

    def _changed(self, record: QuestionRecord | None = None) -> None:
        self._s.version += 1
        if record is not None:
            record.changed = self._s.version
        self._s.last_activity = workflow.now().timestamp()
        self._updates_this_run += 1

    def _device(self, device_id: str) -> int:
        index = self._device_index.get(device_id)
        if index is None:
            index = self._device_index[device_id] = len(self._s.devices)
            self._s.devices.append(device_id)
        return index

    # --- ask ---------------------------------------------------------------------------------------
    # Plain (non-async) handlers run right after their validator in the same step: no other update
    # can slip in between "this device has not upvoted" and the count.

    @workflow.update
    def ask(self, ask: Ask) -> Asked:
        earlier = self._same_from_device(ask)
        if earlier is not None:
            return Asked(earlier.id, earlier.state, again=True)
        now = workflow.now().timestamp()
        record = QuestionRecord(self._s.next_id, normalize(ask.text), normalize(ask.name), self._device(ask.device_id),
                                state=PENDING if self._s.moderation else OPEN, asked_at=now)
        self._s.next_id += 1
        self._s.questions.append(record)
        self._by_id[record.id] = record
        self._changed(record)
        return Asked(record.id, record.state)

    @ask.validator
    def _check_ask(self, ask: Ask) -> None:
        problem = self._ask_problem(ask)
        if problem:
            raise ValueError(problem)  # rejects the update: the phone gets this, the history nothing

    def _ask_problem(self, ask: Ask) -> str | None:
        """Why this question cannot be asked, or None. The first reason is the one a person can act on."""
        if self._s.closed_by:
            return CLOSED
        problem = device_id_problem(ask.device_id) or text_problem(ask.text, what="question", limit=MAX_TEXT, required=True)
        problem = problem or text_problem(ask.name, what="name", limit=MAX_NAME, required=False)
        if problem:
            return problem
        if self._same_from_device(ask) is not None:
            return None  # sent again (a phone retrying): the question already on the board is the answer
        twin = next((q for q in self._s.questions if q.state != HIDDEN and same_text(q.text, ask.text)), None)
        if twin is not None:
            return f"this question was already asked (#{twin.id}): upvote it instead"
        if len(self._s.questions) >= MAX_QUESTIONS:
            return f"the board is full ({MAX_QUESTIONS} questions)"
        index = self._device_index.get(ask.device_id)
        asked = [q.asked_at for q in self._s.questions if q.asker == index] if index is not None else []
        if len(asked) >= self._params.max_per_device:
            return f"this device has asked {len(asked)} questions, the most one device may ask"
        if asked:
            gap = self._params.ask_gap_s
            wait = max(asked) + gap - workflow.now().timestamp()
            if wait > 0:
                return f"one question per {gap:.0f} s from each device: ask again in {math.ceil(wait)} s"
        return None

    def _same_from_device(self, ask: Ask) -> QuestionRecord | None:
        index = self._device_index.get(ask.device_id)
        if index is None or not isinstance(ask.text, str):
            return None
        return next((q for q in self._s.questions if q.asker == index and same_text(q.text, ask.text)), None)

    # --- upvote ------------------------------------------------------------------------------------

    @workflow.update
    def upvote(self, upvote: Upvote) -> Upvoted:
        record = self._by_id[upvote.question_id]
        if self._counted_press(record, upvote):
            return Upvoted(record.id, len(record.voters))  # the same press again (after a continue-as-new): counted once
        record.voters.append(self._device(upvote.device_id))
        record.presses.append(str(upvote.attempt)[:40])
        self._changed(record)
        return Upvoted(record.id, len(record.voters))

    def _counted_press(self, record: QuestionRecord, upvote: Upvote) -> bool:
        index = self._device_index.get(upvote.device_id)
        if index is None or index not in record.voters or not upvote.attempt:
            return False
        at = record.voters.index(index)
        return at < len(record.presses) and record.presses[at] == str(upvote.attempt)[:40]

    @upvote.validator
    def _check_upvote(self, upvote: Upvote) -> None:
        problem = self._upvote_problem(upvote)
        if problem:
            raise ValueError(problem)

    def _upvote_problem(self, upvote: Upvote) -> str | None:
        if self._s.closed_by:
            return CLOSED
        problem = device_id_problem(upvote.device_id)
        if problem:
            return problem
        record = self._by_id.get(upvote.question_id) if isinstance(upvote.question_id, int) else None
        if record is None:
            return f"there is no question #{str(upvote.question_id)[:12]}"
        if self._counted_press(record, upvote):
            return None  # this press, sent again: the upvote already counted answers it
        if record.state == PENDING:
            return "this question waits for the presenter's approval"
        if record.state == HIDDEN:
            return "this question was hidden by the presenter"
        if record.state == ANSWERED:
            return "this question was already answered"
        index = self._device_index.get(upvote.device_id)
        if index is not None and record.asker == index:
            return "this is your own question"
        if index is not None and index in record.voters:
            return "you already upvoted this question"
        if index is not None and sum(index in q.voters for q in self._s.questions) >= MAX_UPVOTES_PER_DEVICE:
            return f"this device has upvoted {MAX_UPVOTES_PER_DEVICE} questions, the most one device may"
        return None

    # --- the presenter -------------------------------------------------------------------------------

    @workflow.update
    def moderate(self, request: Moderate) -> Moderated:
        record = self._by_id[request.question_id]
        action = request.action
        if action == "approve" or action == "reopen":
            record.state, record.answered_at = OPEN, 0.0
        elif action == "hide":
            record.state = HIDDEN
        elif action == "answer":
            record.state, record.answered_at = ANSWERED, workflow.now().timestamp()
        if action == "pin":
            self._s.pinned = record.id
        elif action in ("unpin", "hide", "answer") and self._s.pinned == record.id:
            self._s.pinned = 0  # answered or hidden: off the projector too
        self._changed(record)
        return Moderated(record.id, record.state, self._s.pinned)

    @moderate.validator
    def _check_moderate(self, request: Moderate) -> None:
        problem = self._moderate_problem(request)
        if problem:
            raise ValueError(problem)

    def _moderate_problem(self, request: Moderate) -> str | None:
        if self._s.closed_by:
            return CLOSED
        record = self._by_id.get(request.question_id) if isinstance(request.question_id, int) else None
        if record is None:
            return f"there is no question #{str(request.question_id)[:12]}"
        allowed = {
            "approve": (PENDING, HIDDEN),
            "hide": (PENDING, OPEN, ANSWERED),
            "pin": VISIBLE,
            "unpin": VISIBLE + (HIDDEN, PENDING),
            "answer": (PENDING, OPEN),
            "reopen": (ANSWERED,),
        }
        if request.action not in allowed:
            return f"unknown action {str(request.action)[:12]!r} (expected one of {', '.join(allowed)})"
        if record.state not in allowed[request.action]:
            past = PAST[request.action]
            if past == record.state or (request.action == "approve" and record.state in VISIBLE):
                return f"#{record.id} is already {record.state}"
            return f"#{record.id} is {record.state}: it cannot be {past}"
        if request.action == "pin" and self._s.pinned == record.id:
            return f"#{record.id} is already pinned"
        if request.action == "unpin" and self._s.pinned != record.id:
            return f"#{record.id} is not pinned"
        return None

    @workflow.update
    def configure(self, request: Configure) -> bool:
        self._s.moderation = bool(request.moderation)
        self._changed()
        return self._s.moderation

    @configure.validator
    def _check_configure(self, request: Configure) -> None:
        if self._s.closed_by:
            raise ValueError(CLOSED)
        if bool(request.moderation) == self._s.moderation:
            raise ValueError(f"moderation is already {'on' if self._s.moderation else 'off'}")

    @workflow.update
    def close(self, request: CloseBoard) -> Board:
        self._s.closed_by = normalize(request.by)[:40] or "presenter"
        self._changed()
        return self.board(True)

    @close.validator
    def _check_close(self, request: CloseBoard) -> None:
        if self._s.closed_by:
            raise ValueError(f"the questions are already closed (by {self._s.closed_by})")

    @workflow.signal
    def nudge(self) -> None:
        """Nothing to do: the signal itself is the point (see demos/questions/worker.py)."""

    # --- reading ---------------------------------------------------------------------------------------

    @workflow.query
    def board(self, include_all: bool = False, since: int = 0) -> Board:
        """The room's board (visible questions only), or with `include_all` the presenter's (every
        question, pending and hidden included); with `since` (and include_all) only the questions
        changed after that version: what a reader holding that version needs (a storm's reads stay small)."""
        since = since if include_all and isinstance(since, int) and 0 < since <= self._s.version else 0
        shown = [public(q) for q in self._s.questions if (include_all or q.state in VISIBLE) and (not since or q.changed > since)]
        pinned = self._s.pinned if self._s.pinned in self._by_id and (include_all or self._by_id[self._s.pinned].state in VISIBLE) else 0
        return Board(self._s.deck, self._s.version, self._s.moderation, pinned, display_order(shown, pinned),
                     pending=sum(q.state == PENDING for q in self._s.questions), hidden=sum(q.state == HIDDEN for q in self._s.questions),
                     closed=bool(self._s.closed_by), since=since, opened_at=self._s.started_at)

    @workflow.query
    def mine(self, device_id: str) -> Mine:
        index = self._device_index.get(device_id)
        if index is None:
            return Mine([], [])
        return Mine([public(q) for q in self._s.questions if q.asker == index], [q.id for q in self._s.questions if index in q.voters])

    @workflow.query
    def audit(self) -> Audit:
        devices = self._s.devices
        return Audit({str(q.id): devices[q.asker] for q in self._s.questions}, {str(q.id): [devices[v] for v in q.voters] for q in self._s.questions})
