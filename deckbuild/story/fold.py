"""A run's story, folded from its event history one event at a time.

The same fold draws a demo's captured slide (the whole exported history at once) and its live
picture in present mode (events as the server appends them, plus what `describe()` and the
session know that no event holds yet), so the two pictures cannot drift apart.

Events are the exported-history JSON shape (`WorkflowHistory.to_json_dict()`, `MessageToDict` of
a `HistoryEvent`): that is what captures store and what the live path converts to. Memory stays
bounded by folding, not by forgetting: repeated work is one row with a count (twelve child
workflows, four signals), an item in flight is remembered only until it closes.

Annotations are what happened outside the history, with their time:
    {"kind": "worker_killed", "at": ..., "worker": "19688@host"}     the process was SIGKILLed
    {"kind": "worker_started", "at": ..., "worker": "19763@host"}    a new worker process
    {"kind": "activity_running", "at": ..., "worker": ..., "step": "configure-dns"}   (a capture's
        record of which process ran an attempt that never finished; live, describe() tells)
    {"kind": "rejected", "at": ..., "name": "update decide", "reason": "..."}  refused by a validator
    {"kind": "note", "at": ..., "text": "v2 deployed"}
`at` is an ISO-8601 time or seconds since the epoch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from deckbuild.history_view import _attrs, _failure, event_kind, payload_text, shorten

# How much of the story a row carries: when a run has more rows than its slide holds, the
# bookkeeping goes first (3), then old plumbing is folded into "… N earlier steps".
RANK_OUTCOME, RANK_STORY, RANK_PLUMBING, RANK_BOOKKEEPING = 0, 1, 2, 3

CLIENT, HUMAN, WORKFLOW, TIMER, CHILD = "Client", "Human", "Workflow", "Timer", "Child"
UNKNOWN_WORKER = "w:?"  # an activity no worker has picked up yet
FIXED_LANES = {CLIENT: "Client", HUMAN: "Human", WORKFLOW: "Workflow", TIMER: "Timer", CHILD: "Child workflows", UNKNOWN_WORKER: "Activities"}


@dataclass(frozen=True)
class Lane:
    key: str
    label: str
    starts_at: int | None = None  # a worker that joined mid-run: its box is drawn at the row of this id
    ends_at: int | None = None  # a worker that was killed: its line ends at the row of this id, with a cross
    t_ms: int = 0  # when it first appears (for Replay)


@dataclass(frozen=True)
class Row:
    """One step of the story, structured: what it is (`name`), how many (`count`, `done`), how it
    went (`state`, `attempt`, `failure`). `label` says it in words, the same for every layout (the
    slide's picture, the phone's timeline, the alt text)."""

    id: int  # stable while the run grows: the page updates rows in place
    t_ms: int  # since the workflow started
    kind: str  # call | return | human | rejected | fail | note | alert | gap | killed | elided | waiting
    src: str
    dst: str
    name: str  # the step: "charge_card", "signal approve", "credit_check ∥ verify_documents", "start W"
    rank: int = RANK_PLUMBING
    tone: str = ""  # "" | human | bad | dim | gap
    live: str = ""  # live-only state: "running", "countdown", "countup", "waiting"
    live_ms: int = 0  # for a countdown the time left, for a count-up the time so far
    live_text: str = ""  # the live part of the label, with {} where the ticking seconds go
    count: int = 1  # repeated messages, or items of repeated work (×12)
    done: int = 0  # of `count` items, how many finished
    items: bool = False  # `count` counts work that finishes (7/12 done), not messages
    parallel: int = 0  # items scheduled together ("a ∥ b"), and how many of them finished
    parallel_done: int = 0
    state: str = ""  # an item's: "" | running | done | failed | canceled | timed out | killed | fired
    attempt: int = 1
    failure: str = ""  # why it failed (a fail row's last failure, a rejection's reason)

    @property
    def label(self) -> str:
        return row_label(self)


def row_label(row: Row) -> str:
    """A row in words: "IngestDocumentWorkflow ×12 · 7/12 done", "charge_card ✓ (attempt 4)"."""
    if row.kind == "fail":
        failure = shorten(re.sub(r"\s*\(attempt \d+\)", "", row.failure), 34)
        return f"{row.name} failed ×{row.count}: {failure}" if row.count > 1 else f"{row.name} ✕ {failure}"
    if row.kind == "rejected":
        return f"{row.name} ✕ {row.failure}"
    if row.kind == "elided":
        return f"… {row.count} {row.name}"
    if row.count > 1:
        if not row.items:
            return f"{row.name} ×{row.count}"
        return f"{row.name} ×{row.count}" + (" ✓" if row.done >= row.count else f" · {row.done}/{row.count} done")
    if row.parallel and row.state in ("", "running") and row.parallel_done:
        return f"{row.name} · {row.parallel_done}/{row.parallel} done"
    attempt = f" (attempt {row.attempt})" if row.attempt > 1 else ""
    suffix = {"done": f" ✓{attempt}", "failed": f" ✕ {row.failure}", "canceled": " canceled", "timed out": " timed out",
              "killed": " ✕ worker killed", "fired": " fired"}.get(row.state, "")
    return row.name + suffix


@dataclass(frozen=True)
class Story:
    lanes: tuple[Lane, ...]
    rows: tuple[Row, ...]
    status: str  # running | completed | failed | timed out | terminated | canceled | continued
    duration_ms: int
    workflow_type: str = ""


def _parse_time(value) -> datetime:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    stamp = re.sub(r"(\.\d{6})\d*", r"\1", str(value)).replace("Z", "+00:00")
    return datetime.fromisoformat(stamp)


def _norm(label: str) -> str:
    return re.sub(r"\d+", "N", label)


def worker_lane(identity: str | int) -> tuple[str, str]:
    """A worker identity ("19688@host", "19673@host/docs", a pid) -> (lane key, label)."""
    text = str(identity)
    pid, _, rest = text.partition("@")
    role = rest.partition("/")[2]
    if not pid.isdigit():
        return f"w:{text}", shorten(text, 16)
    return f"w:{pid}/{role}", f"{role} worker" if role else f"worker {pid}"


@dataclass
class _Row:
    """A row while the run grows (the frozen Row is made from it by `Story`)."""

    id: int
    t_ms: int
    kind: str
    src: str
    dst: str
    base: str
    rank: int
    count: int = 1  # repeated messages, or items in a group
    done: int = 0
    state: str = ""  # single item: running | done | failed | canceled | timed out | killed
    attempt: int = 1
    failure: str = ""
    closed: bool = False  # a row an item has left (its worker was killed): never updated again
    group: tuple[str, str] | None = None  # (kind, normalised name) of repeated work
    parallel: int = 0  # items scheduled together by one workflow task ("a ∥ b"), and how many closed
    parallel_done: int = 0

    def frozen(self, tone: str, live: str) -> Row:
        """The row as the story tells it now. Only work the fold schedules (`group`) counts items
        that finish and has a state; other rows are messages (their count is how many came)."""
        work = self.group is not None and self.kind in ("call", "timer")
        return Row(self.id, self.t_ms, self.kind, self.src, self.dst, self.base, self.rank, tone, live=live, count=self.count,
                   done=self.done, items=work, parallel=self.parallel, parallel_done=self.parallel_done,
                   state=self.state if work or self.kind in ("call", "return") else "", attempt=self.attempt, failure=self.failure)


@dataclass
class _Item:
    """An activity, child workflow or timer in flight."""

    row: _Row | None
    name: str
    lane: str | None = None
    attempt: int = 1
    interrupted: int = 0  # attempts lost to a killed worker (their failure is that kill)
    activity_id: str = ""
    scheduled_by: str = ""  # the workflow task that scheduled it (items scheduled together ran in parallel)


@dataclass
class _Pending:
    """What describe() says of an activity that no event shows yet."""

    activity_id: str
    state: str  # "scheduled" | "started"
    attempt: int
    worker: str = ""
    last_failure: str = ""
    next_attempt_at: datetime | None = None


class StoryFold:
    """Feed it events (and annotations, and describe() snapshots live); ask it for the Story."""

    def __init__(self) -> None:
        self._rows: list[_Row] = []
        self._lanes: dict[str, dict] = {}  # key -> {"label", "starts", "ends", "t"}
        self._items: dict[str, _Item] = {}  # scheduled event id / timer id -> item, while open
        self._groups: dict[tuple[str, str], _Row] = {}
        self._start: datetime | None = None
        self._last: datetime | None = None
        self._next_id = 1
        self._status = "running"
        self._workflow_type = ""
        self._timers: dict[str, tuple[datetime, float]] = {}  # timer id -> (started at, seconds), while running
        self._no_worker_since: datetime | None = None
        self._pending: dict[str, _Pending] = {}
        self._waiting: list[str] = []
        self._builds: list[str] = []  # the Worker Deployment versions the run's workflow tasks ran on, in order

    # --- lanes and rows ---------------------------------------------------------------------------
    def _t(self, at: datetime) -> int:
        if self._start is None:
            self._start = at
        return max(0, int((at - self._start).total_seconds() * 1000))

    def _lane(self, key: str, label: str | None = None, *, t_ms: int = 0, starts: bool = False) -> str:
        if key not in self._lanes:
            self._lanes[key] = {"label": label or FIXED_LANES.get(key, key), "starts": len(self._rows) if starts else None, "ends": None, "t": t_ms}
        return key

    def _worker(self, identity: str, t_ms: int) -> str:
        key, label = worker_lane(identity)
        if key not in self._lanes:
            self._lane(key, label, t_ms=t_ms)
            self._reassign_unknown(key)
        return key

    def _reassign_unknown(self, key: str) -> None:
        """Rows drawn to "Activities" before any worker was known belong to the first worker seen."""
        if UNKNOWN_WORKER not in self._lanes:
            return
        for row in self._rows:
            if row.dst == UNKNOWN_WORKER:
                row.dst = key
            if row.src == UNKNOWN_WORKER:
                row.src = key
        for item in self._items.values():
            if item.lane == UNKNOWN_WORKER:
                item.lane = key
        del self._lanes[UNKNOWN_WORKER]

    def _add(self, t_ms: int, kind: str, src: str, dst: str, base: str, rank: int, **extra) -> _Row:
        for lane in (src, dst):
            self._lane(lane, t_ms=t_ms)
        row = _Row(self._next_id, t_ms, kind, src, dst, base, rank, **extra)
        self._next_id += 1
        self._rows.append(row)
        return row

    def _repeat(self, t_ms: int, kind: str, src: str, dst: str, base: str, rank: int) -> _Row:
        """A message like an earlier one (same lanes, same words but numbers) adds to its count."""
        key = (f"{kind}:{src}>{dst}", _norm(base))
        row = self._groups.get(key)
        if row is not None and not row.closed:
            row.count += 1
            return row
        row = self._groups[key] = self._add(t_ms, kind, src, dst, base, rank)
        return row

    # --- events ---------------------------------------------------------------------------------------
    def add_event(self, event: dict) -> None:
        kind = event_kind(event["eventType"])
        attrs = _attrs(event)
        at = _parse_time(event["eventTime"])
        t = self._t(at)
        self._last = at
        eid = str(event["eventId"])
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(attrs, t, eid, at)

    def _on_WorkflowExecutionStarted(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._workflow_type = a.get("workflowType", {}).get("name", "")
        self._add(t, "call", CLIENT, WORKFLOW, f"start {self._workflow_type}", RANK_OUTCOME)

    def _schedule(self, key: str, name: str, t: int, kind: str, dst: str, a: dict) -> None:
        """An activity or child workflow begins: its own row, or a count on the row of its kind
        (×12), or a place beside the one scheduled with it by the same workflow task (∥)."""
        group = (kind, _norm(name))
        item = _Item(None, name, activity_id=a.get("activityId", ""), scheduled_by=str(a.get("workflowTaskCompletedEventId", "")))
        row = self._groups.get(group)
        if row is not None and not row.closed:
            row.count += 1
            row.state = ""
        else:
            last = self._rows[-1] if self._rows else None
            sibling = next((i for i in self._items.values() if i.row is last and i.scheduled_by == item.scheduled_by), None) if last else None
            if sibling is not None and last.kind == "call" and last.count == 1 and not last.closed and last.base.count("∥") < 2:
                row = last
                row.base = f"{row.base} ∥ {name}"
                row.parallel = max(row.parallel, 1) + 1
            else:
                row = self._add(t, "call", WORKFLOW, dst, name, RANK_PLUMBING, group=group)
                self._groups[group] = row
        item.row = row
        item.lane = dst if dst != UNKNOWN_WORKER else None
        self._items[key] = item

    def _on_ActivityTaskScheduled(self, a: dict, t: int, eid: str, at: datetime) -> None:
        name = a.get("activityType", {}).get("name", "activity")
        chosen = a.get("activityId", "")
        if chosen and not chosen.isdigit():  # the SDK numbers activities; a chosen id names the step
            name = chosen
        self._schedule(eid, name, t, "activity", self._default_worker(), a)

    def _default_worker(self) -> str:
        alive = [k for k, lane in self._lanes.items() if k.startswith("w:") and lane["ends"] is None]
        if len(alive) == 1:
            return alive[0]
        return self._lane(UNKNOWN_WORKER) if not alive else alive[-1]

    def _on_ActivityTaskStarted(self, a: dict, t: int, eid: str, at: datetime) -> None:
        item = self._items.get(str(a.get("scheduledEventId", "")))
        if item is None:
            return
        lane = self._worker(a["identity"], t) if a.get("identity") else item.lane
        attempt = int(a.get("attempt", 1))
        self._started(item, lane, attempt, _failure(a) if a.get("lastFailure") else "", t)

    def _started(self, item: _Item, lane: str | None, attempt: int, last_failure: str, t: int) -> None:
        """An attempt runs on a worker: earlier attempts that did not die with a killed worker failed."""
        failed = attempt - 1 - item.interrupted
        if failed > 0 and last_failure:
            self._failed_attempts(item, failed, last_failure, t)
        item.attempt = attempt
        if lane is not None:
            item.lane = lane
        row = item.row
        if row is not None and row.kind == "call" and not row.closed and row.count == 1:
            if not row.parallel or row.state != "done":
                row.state, row.attempt = "running", max(row.attempt, attempt)
            if lane is not None:
                row.dst = lane

    def _failed_attempts(self, item: _Item, failed: int, message: str, t: int) -> None:
        row = item.row
        if row is not None and row.kind == "fail" and not row.closed:
            row.count = max(row.count, failed)
            row.failure = message
            return
        src = item.lane or self._default_worker()
        item.row = self._add(t, "fail", src, WORKFLOW, item.name, RANK_STORY, count=failed, failure=message)

    def _closed(self, a: dict, t: int, state: str) -> None:
        item = self._items.pop(str(a.get("scheduledEventId", "")), None)
        if item is None:
            return
        lane = self._worker(a["identity"], t) if a.get("identity") else item.lane or self._default_worker()
        row = item.row
        if row is not None and row.kind == "call" and not row.closed:
            row.dst = lane
            if row.count > 1:  # repeated work: progress, 7/12 done
                row.done += 1 if state == "done" else 0
                row.state = "done" if row.done >= row.count else ""
                return
            if row.parallel:  # "a ∥ b": done when both are
                row.parallel_done += 1
                if state != "done":
                    row.state, row.failure, row.rank = state, _failure(a) if state == "failed" else "", RANK_STORY
                elif row.parallel_done >= row.parallel and row.state in ("", "running"):
                    row.state = "done"
                return
            row.state, row.attempt, row.done = state, item.attempt, 1 if state == "done" else 0
            if state == "failed":
                row.failure = _failure(a)
                row.rank = RANK_STORY
            return
        # The item's row is a failure (retries) or gone with a killed worker: the outcome is its own row.
        if state == "done":
            if row is not None and row.kind == "fail":
                self._add(t, "return", lane, WORKFLOW, item.name, RANK_STORY, state="done", attempt=item.attempt)
            else:
                self._add(t, "call", WORKFLOW, lane, item.name, RANK_STORY, state="done", attempt=item.attempt)
        else:
            self._add(t, "fail", lane, WORKFLOW, item.name, RANK_STORY, failure=_failure(a) if state == "failed" else state)

    def _on_ActivityTaskCompleted(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._closed(a, t, "done")

    def _on_ActivityTaskFailed(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._closed(a, t, "failed")

    def _on_ActivityTaskTimedOut(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._closed(a, t, "timed out")

    def _on_ActivityTaskCanceled(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._closed(a, t, "canceled")

    def _on_StartChildWorkflowExecutionInitiated(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._schedule(eid, a.get("workflowType", {}).get("name", "child"), t, "child", CHILD, a)
        self._items[eid].lane = CHILD

    def _child_closed(self, a: dict, t: int, state: str) -> None:
        a = dict(a, scheduledEventId=a.get("initiatedEventId", ""))
        a.pop("identity", None)
        self._closed(a, t, state)

    def _on_ChildWorkflowExecutionCompleted(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._child_closed(a, t, "done")

    def _on_ChildWorkflowExecutionFailed(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._child_closed(a, t, "failed")

    def _on_ChildWorkflowExecutionTimedOut(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._child_closed(a, t, "timed out")

    def _on_ChildWorkflowExecutionTerminated(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._child_closed(a, t, "terminated")

    def _on_TimerStarted(self, a: dict, t: int, eid: str, at: datetime) -> None:
        timeout = a.get("startToFireTimeout", "")
        timer_id = str(a.get("timerId", ""))
        row = self._repeat(t, "timer", WORKFLOW, TIMER, f"durable timer {timeout}", RANK_PLUMBING)
        self._items[f"timer:{timer_id}"] = _Item(row, f"durable timer {timeout}")
        self._timers[timer_id] = (at, _seconds(timeout))

    def _timer_closed(self, a: dict, t: int, outcome: str) -> None:
        timer_id = str(a.get("timerId", ""))
        item = self._items.pop(f"timer:{timer_id}", None)
        self._timers.pop(timer_id, None)
        if outcome == "fired":
            label = f"{item.name} fired" if item else "timer fired"
            if item is not None and item.row is self._rows[-1] and item.row.count == 1:
                item.row.base, item.row.kind, item.row.src, item.row.dst, item.row.rank = label, "return", TIMER, WORKFLOW, RANK_STORY
                del self._groups[next(k for k, v in self._groups.items() if v is item.row)]
            else:
                self._repeat(t, "return", TIMER, WORKFLOW, label, RANK_STORY)

    def _on_TimerFired(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._timer_closed(a, t, "fired")

    def _on_TimerCanceled(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._timer_closed(a, t, "canceled")

    def _on_WorkflowExecutionSignaled(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._repeat(t, "human", HUMAN, WORKFLOW, f"signal {a.get('signalName', '')}", RANK_STORY)

    def _on_WorkflowExecutionUpdateAccepted(self, a: dict, t: int, eid: str, at: datetime) -> None:
        name = a.get("acceptedRequest", {}).get("input", {}).get("name", "")
        self._repeat(t, "human", HUMAN, WORKFLOW, f"update {name}", RANK_STORY)

    def _on_WorkflowTaskCompleted(self, a: dict, t: int, eid: str, at: datetime) -> None:
        """Worker Versioning: the version each workflow task ran on (its deployment's build id). The
        Workflow lane names it; a run that moves to another version (auto-upgrade) says so in a row."""
        build = (a.get("deploymentVersion") or {}).get("buildId")
        if not build:
            return
        behavior = str(a.get("versioningBehavior", "")).removeprefix("VERSIONING_BEHAVIOR_").lower()
        if self._builds and self._builds[-1] != build:
            self._add(t, "note", WORKFLOW, WORKFLOW, f"moved to {build} ({behavior.replace('_', '-')})", RANK_STORY)
        if not self._builds or self._builds[-1] != build:
            self._builds.append(build)
        first, last = self._builds[0], self._builds[-1]
        pinned = " pinned" if behavior == "pinned" else ""
        self._lane(WORKFLOW)
        self._lanes[WORKFLOW]["label"] = f"Workflow {first}{pinned}" if first == last else f"Workflow {first}→{last}"

    def _on_WorkflowTaskTimedOut(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._repeat(t, "alert", WORKFLOW, WORKFLOW, "workflow task timed out", RANK_PLUMBING)

    def _on_WorkflowTaskFailed(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._repeat(t, "alert", WORKFLOW, WORKFLOW, f"workflow task failed: {_failure(a)}", RANK_STORY)

    def _on_MarkerRecorded(self, a: dict, t: int, eid: str, at: datetime) -> None:
        name = a.get("markerName", "")
        details = a.get("details") or {}
        if name == "core_local_activity":  # a local activity: no task on the server, one marker
            activity = payload_text(details.get("data"), 200)
            match = re.search(r'"activity_type": "([^"]+)"', activity)
            self._repeat(t, "note", WORKFLOW, WORKFLOW, f"local {match.group(1) if match else 'activity'} ✓", RANK_STORY)
        elif name == "core_patch" or "patch" in name:
            self._repeat(t, "note", WORKFLOW, WORKFLOW, f"patch {payload_text(details.get('patch-data') or details.get('patch_id'), 28)}", RANK_STORY)
        else:
            self._repeat(t, "note", WORKFLOW, WORKFLOW, f"marker {name}", RANK_PLUMBING)

    def _finish(self, t: int, status: str, label: str) -> None:
        self._status = status
        self._timers.clear()
        self._pending.clear()
        self._waiting = []
        self._add(t, "return", WORKFLOW, CLIENT, label, RANK_OUTCOME)

    def _on_WorkflowExecutionCompleted(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._finish(t, "completed", "completed")

    def _on_WorkflowExecutionFailed(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._finish(t, "failed", f"failed: {_failure(a)}")

    def _on_WorkflowExecutionTimedOut(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._finish(t, "timed out", "timed out")

    def _on_WorkflowExecutionTerminated(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._finish(t, "terminated", "terminated" + (f": {shorten(a['reason'], 30)}" if a.get("reason") else ""))

    def _on_WorkflowExecutionCanceled(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._finish(t, "canceled", "canceled")

    def _on_WorkflowExecutionContinuedAsNew(self, a: dict, t: int, eid: str, at: datetime) -> None:
        self._finish(t, "continued", "continued as new")

    # --- what the history does not hold -------------------------------------------------------------
    def annotate(self, note: dict) -> None:
        at = _parse_time(note["at"])
        t = self._t(at)
        kind = note.get("kind")
        if kind == "worker_killed":
            self._killed(note["worker"], t, at)
        elif kind == "worker_started":
            self._joined(note["worker"], t)
        elif kind == "activity_running":
            item = next((i for i in self._items.values() if i.name == note.get("step") or (note.get("activity_id") and i.activity_id == note["activity_id"])), None)
            if item is not None:
                self._started(item, self._worker(note["worker"], t), int(note.get("attempt", item.attempt)), "", t)
        elif kind == "rejected":
            name = str(note.get("name", "update")).removeprefix("update ")  # the crossed-out arrow says it was refused
            self._add(t, "rejected", HUMAN, WORKFLOW, name, RANK_STORY, failure=str(note.get("reason", "rejected")))
        elif kind == "note":
            self._add(t, "note", WORKFLOW, WORKFLOW, str(note.get("text", "")), RANK_STORY)

    def _killed(self, worker: str, t: int, at: datetime) -> None:
        lane = self._worker(worker, t)
        ended = None
        for item in self._items.values():
            row = item.row
            if item.lane == lane and row is not None and row.state == "running" and row.count == 1 and not row.closed:
                row.state, row.closed = "killed", True
                row.rank = RANK_STORY
                item.row, item.interrupted = None, item.interrupted + 1
                ended = row
        if ended is None:
            ended = self._add(t, "killed", lane, lane, "worker killed", RANK_STORY)
        self._lanes[lane]["ends"] = self._rows.index(ended)
        if not any(k.startswith("w:") and v["ends"] is None for k, v in self._lanes.items()):
            self._no_worker_since = at

    def _joined(self, worker: str, t: int) -> None:
        key, label = worker_lane(worker)
        if self._no_worker_since is not None:
            gap_s = max(0.0, t / 1000 - self._t(self._no_worker_since) / 1000)
            words = f"no worker for {gap_s:.1f} s · nothing lost" if gap_s >= 0.3 else "a new worker process · nothing lost"
            self._add(t, "gap", WORKFLOW, key if key in self._lanes else WORKFLOW, words, RANK_STORY)
            self._no_worker_since = None
        if key in self._lanes:
            return
        self._lanes[key] = {"label": label, "starts": len(self._rows) - 1 if self._rows and self._rows[-1].kind == "gap" else len(self._rows), "ends": None, "t": t}
        if self._rows and self._rows[-1].kind == "gap":
            self._rows[-1].dst = key
        self._reassign_unknown(key)

    def set_pending(self, pending: list[dict], now: datetime | None = None) -> None:
        """Live: describe()'s pending activities, as [{"activity_id", "state", "attempt", "worker",
        "last_failure", "next_attempt_at"}] (deckbuild.present.live_story makes them)."""
        self._pending = {}
        now = now or datetime.now(timezone.utc)
        for p in pending:
            info = _Pending(str(p.get("activity_id", "")), p.get("state", "scheduled"), int(p.get("attempt", 1)), p.get("worker", ""),
                            p.get("last_failure", ""), _parse_time(p["next_attempt_at"]) if p.get("next_attempt_at") else None)
            self._pending[info.activity_id] = info
            item = next((i for i in self._items.values() if i.activity_id == info.activity_id and i.activity_id), None)
            if item is None:
                continue
            t = self._t(now)
            lane = self._worker(info.worker, t) if info.worker and info.state == "started" else None
            if info.state == "started":
                if lane is not None and self._lanes[lane]["ends"] is not None:
                    continue  # the server has not noticed yet that this worker is gone
                if item.row is None:  # the attempt after a killed worker's: a row of its own
                    item.row = self._add(t, "call", WORKFLOW, lane or self._default_worker(), item.name, RANK_STORY, group=("retry", item.name), attempt=info.attempt)
                self._started(item, lane, info.attempt, info.last_failure, t)
            elif info.attempt > 1 and info.last_failure:
                failed = info.attempt - 1 - item.interrupted
                if failed > 0:
                    self._failed_attempts(item, failed, info.last_failure, t)
                item.attempt = info.attempt

    def set_waiting(self, actions: list[str]) -> None:
        """Live: the workflow waits for these human actions (from the demo's snapshot)."""
        self._waiting = list(actions)

    # --- the story now ------------------------------------------------------------------------------
    def story(self, now: datetime | None = None) -> Story:
        rows = [r.frozen(_tone(r), "running" if r.state == "running" and self._status == "running" else "") for r in self._rows]
        if self._status == "running" and now is not None:
            rows = self._live_rows(rows, now)
        lanes = []
        for key in self._ordered_lanes(rows):
            lane = self._lanes.get(key, {"label": FIXED_LANES.get(key, key), "starts": None, "ends": None, "t": 0})
            starts = self._rows[lane["starts"]].id if lane["starts"] is not None and lane["starts"] < len(self._rows) else None
            ends = self._rows[lane["ends"]].id if lane["ends"] is not None else None
            lanes.append(Lane(key, lane["label"], starts, ends, lane["t"]))
        end = self._last or self._start
        duration = int((end - self._start).total_seconds() * 1000) if self._start and end else 0
        return Story(tuple(lanes), tuple(rows), self._status, duration, self._workflow_type)

    def _live_rows(self, rows: list[Row], now: datetime) -> list[Row]:
        """What is happening right now: a retry's countdown, a timer's, no worker, people awaited."""
        by_id = {r.id: i for i, r in enumerate(rows)}
        for item in self._items.values():
            pending = self._pending.get(item.activity_id) if item.activity_id else None
            if item.row is None or item.row.id not in by_id:
                continue
            at = by_id[item.row.id]
            if pending is not None and pending.state == "scheduled" and pending.next_attempt_at is not None:
                left = int((pending.next_attempt_at - now).total_seconds() * 1000)
                if left > 0:
                    rows[at] = replace(rows[at], live="countdown", live_ms=left,
                                       live_text=f"attempt {pending.attempt} in {{}}")
        for timer_id, (started, seconds) in self._timers.items():
            item = self._items.get(f"timer:{timer_id}")
            if item is None or item.row is None or item.row.id not in by_id:
                continue
            left = int((started.timestamp() + seconds - now.timestamp()) * 1000)
            at = by_id[item.row.id]
            if left > 0 and (rows[at].live != "countdown" or left < rows[at].live_ms):  # the soonest of a row's timers
                rows[at] = replace(rows[at], live="countdown", live_ms=left, live_text="fires in {}")
        if self._no_worker_since is not None:
            since = int((now - self._no_worker_since).total_seconds() * 1000)
            killed = [k for k, lane in self._lanes.items() if k.startswith("w:") and lane["ends"] is not None]
            rows.append(Row(-1, self._t(self._no_worker_since), "gap", WORKFLOW, killed[-1] if killed else WORKFLOW,
                            "no worker running · nothing lost", RANK_STORY, "gap", live="countup", live_ms=since, live_text="for {}"))
        if self._waiting:
            rows.append(Row(-2, rows[-1].t_ms if rows else 0, "waiting", HUMAN, HUMAN, "waiting for " + " / ".join(self._waiting), RANK_STORY, "human",
                            live="waiting"))
        return rows

    def _ordered_lanes(self, rows: list[Row]) -> list[str]:
        used = {lane for r in rows for lane in (r.src, r.dst)}
        workers = [k for k in self._lanes if k.startswith("w:") and k in used or (k.startswith("w:") and self._lanes[k]["starts"] is not None)]
        order = [CLIENT, HUMAN, WORKFLOW, *workers, TIMER, CHILD]
        return [k for k in order if k in used or k in workers]


def _tone(row: _Row) -> str:
    if row.kind in ("fail", "rejected", "alert", "killed", "gap") or row.state in ("killed", "failed", "timed out"):
        return "bad" if row.kind != "gap" else "gap"
    return "human" if row.kind == "human" else ""


def _seconds(duration: str) -> float:
    """'90s' / '1.5s' (protobuf JSON durations) -> seconds."""
    try:
        return float(duration.rstrip("s"))
    except ValueError:
        return 0.0
