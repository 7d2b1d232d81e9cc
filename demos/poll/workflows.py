"""A poll of the room as one workflow: a question, 2-4 answers, one vote per device.

Messages in, and why each kind:
  vote    update   a phone needs an answer: "counted, you are #42" or "rejected: you already voted".
                   The validator runs before anything is written: a second vote, an unknown answer,
                   a malformed device id, a full poll or a closed one never reaches the history.
                   With no worker running an update waits (the phone shows "waiting") and is
                   counted when a worker is back; retried with the same update id it is the same
                   update, so it is counted once.
  close   update   the presenter's close answers with the final tally. The server hands updates to
                   the worker in the order it admitted them, so every vote admitted before the
                   close is counted before it (a signal would overtake them: signals are applied
                   before the updates delivered with them).
  nudge   signal   sent by a worker when it starts: it does nothing but make the server write an
                   ordinary workflow task for the poll, which goes to a live worker (see worker.py).
  tally   query    the live count for the slide (no history written).
  ballots query    device -> answer: the audit that every vote was counted exactly once.

After the close the poll keeps answering for `results_open_s` (late phones get the validator's
message, the slide's query stays live), then completes with the result: the tally stays in the
history for good, readable with no worker at all.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from demos.poll.model import (
        AnswerCount,
        CloseRequest,
        PollParams,
        PollResult,
        Tally,
        Vote,
        VoteAccepted,
        device_id_problem,
        params_problem,
    )


@workflow.defn
class PollWorkflow:
    @workflow.init
    def __init__(self, params: PollParams) -> None:
        # @workflow.init runs before any update is delivered: the validator never sees a half-built poll.
        self._params = params
        self._texts = {a.key: a.text for a in params.answers}
        self._ballots: dict[str, str] = {}  # device id -> answer key, in counting order
        self._closed_by = ""

    @workflow.run
    async def run(self, params: PollParams) -> PollResult:
        problem = params_problem(params)
        if problem:
            raise ApplicationError(problem, type="InvalidPoll", non_retryable=True)
        await workflow.wait_condition(lambda: bool(self._closed_by))
        if params.results_open_s > 0:
            await workflow.sleep(timedelta(seconds=params.results_open_s), summary="results stay open")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return PollResult(tally=self.tally(), ballots=dict(self._ballots))

    # --- messages in -------------------------------------------------------------------------

    @workflow.update
    def vote(self, vote: Vote) -> VoteAccepted:
        # A plain (non-async) handler runs right after its validator in the same step, so no other
        # vote can slip in between the check "this device has not voted" and the count.
        self._ballots[vote.device_id] = vote.answer
        return VoteAccepted(vote.device_id, vote.answer, seq=len(self._ballots))

    @vote.validator
    def _check_vote(self, vote: Vote) -> None:
        problem = self._vote_problem(vote)
        if problem:
            raise ValueError(problem)  # rejects the update: the caller gets this, the history nothing

    @workflow.update
    def close(self, request: CloseRequest) -> Tally:
        self._closed_by = request.by.strip() or "presenter"
        return self.tally()

    @close.validator
    def _check_close(self, request: CloseRequest) -> None:
        if self._closed_by:
            raise ValueError(f"the poll is already closed (by {self._closed_by})")

    @workflow.signal
    def nudge(self) -> None:
        """Nothing to do: the signal itself is the point (see demos/poll/worker.py)."""

    @workflow.query
    def tally(self) -> Tally:
        counts = {key: 0 for key in self._texts}
        for answer in self._ballots.values():
            counts[answer] += 1
        return Tally(
            question=self._params.question,
            answers=[AnswerCount(key, text, counts[key]) for key, text in self._texts.items()],
            total=len(self._ballots),
            max_voters=self._params.max_voters,
            closed=bool(self._closed_by),
            closed_by=self._closed_by,
        )

    @workflow.query
    def ballots(self) -> dict[str, str]:
        return dict(self._ballots)

    # --- rules ---------------------------------------------------------------------------------

    def _vote_problem(self, vote: Vote) -> str | None:
        """Why this vote cannot be counted, or None. The order matters: the first reason is the one
        a person can act on."""
        if self._closed_by:
            return "the poll is closed"
        problem = device_id_problem(vote.device_id)
        if problem:
            return problem
        if vote.answer not in self._texts:
            return f"unknown answer {str(vote.answer)[:12]!r} (expected one of {', '.join(self._texts)})"
        earlier = self._ballots.get(vote.device_id)
        if earlier is not None:
            return f"this device already voted ({earlier})"
        if len(self._ballots) >= self._params.max_voters:
            return f"the poll is full ({self._params.max_voters} voters)"
        return None
