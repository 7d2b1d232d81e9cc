"""Share mode's questions from the room (demos/questions): the talk's board, opened in Temporal once
Temporal answers, read back after every change and fanned out to the phones and the presenter.

The web process holds nothing of its own. What it keeps is the last board it read (to send each
phone only what changed, and to answer a phone's first look); Temporal has the board, so a restart
of `make present` loses nothing and finds the same board (one workflow per deck: `questions-<deck>`).

Who sees what:
- every device: the visible questions (text, name, votes, state), the pinned one, how many wait for
  moderation; as a full board on request (GET) and as changes on its stream (event "questions");
- the presenter's pages (hub topic "questions") and a remote granted the controls (event
  "questions_all"): every question, pending and hidden ones included.
No screen ever gets a device id; every screen shows the text as text (textContent).

The hook for the session's start logic (issue 20 decides which workers a deck needs):
    share_mode_workers(session) -> list[str]   what share mode needs running besides the deck's demos:
                                                the questions worker (so Temporal too), even for a
                                                deck without a single demo slide.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict
from typing import Any
from deckbuild.aio import within

QUESTIONS = "questions"  # the package whose worker share mode runs (demos/questions/live.py)
REFRESH_EVERY_S = 2.0  # read the board this often even when nothing was sent through us (a restart, another process)
MIN_GAP_S = 0.1  # at most ten fan-outs a second: changes in a storm travel together
log = logging.getLogger(__name__)


def share_mode_workers(session: Any) -> list[str]:
    """The worker packages share mode needs besides the deck's own demos (and with them Temporal)."""
    return [QUESTIONS] if getattr(session, "room", None) is not None else []


def moderation_wanted(cfg: Any, deck_name: str) -> bool:
    """The deck turns moderation on with `[questions] moderation = true` in its deck.toml (render.py
    checks it; a deck without deck.toml, or one that does not load yet, has it off)."""
    from deckbuild import render
    from deckbuild.errors import BuildError

    try:
        return render.questions_moderation(render.load_deck(cfg, deck_name))
    except BuildError:
        return False


def public_json(question: Any) -> dict:
    return {"id": question.id, "text": question.text, "name": question.name, "votes": question.votes, "state": question.state}


class RoomQuestions:
    def __init__(self, session: Any) -> None:
        from demos.questions.model import board_id  # plain Python: no SDK import on the first slide's path

        self.session = session
        self.workflow_id = board_id(session.deck_name)
        self.moderation = moderation_wanted(session.cfg, session.deck_name)
        self.state = "waiting for Temporal"
        self.public: dict | None = None  # the room's board as last read: {"version", ..., "questions": [...]}
        self.everything: dict | None = None  # the presenter's
        self._dirty = asyncio.Event()
        self._opened = False
        self._questions: dict[int, Any] = {}  # id -> Question: the board as last read (a copy of Temporal's, re-read when in doubt)
        self.run_id = ""

    # --- the session's side --------------------------------------------------------------------------
    def status(self) -> dict:
        return {"workflow_id": self.workflow_id, "state": self.state, "version": (self.public or {}).get("version"),
                "moderation": (self.everything or {}).get("moderation", self.moderation), "workers": self.session.workers.status(QUESTIONS)}

    def changed(self) -> None:
        """Something was accepted through this process: read the board now, not at the next tick."""
        self._dirty.set()

    @property
    def client(self) -> Any:
        temporal = self.session.temporal
        return temporal.client if temporal.state.state == "up" else None

    async def run(self) -> None:
        """Open (or find) the board once Temporal is up, then keep every screen's copy current."""
        while True:
            client = self.client
            if client is None:
                self.state = "waiting for Temporal"
                await asyncio.sleep(0.5)
                continue
            try:
                if not self._opened:
                    await self._open(client)
                await self.refresh(client)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - Temporal restarting, a worker gone: say so and try again
                self.state = f"unavailable: {err}"
                log.info("questions board: %s", err)
            try:
                await within(self._dirty.wait(), REFRESH_EVERY_S)
            except asyncio.TimeoutError:
                pass
            self._dirty.clear()
            await asyncio.sleep(MIN_GAP_S)

    async def _open(self, client: Any) -> None:
        from demos.common.live import live_task_queue
        from demos.questions.client import open_board

        handle = await open_board(client, self.session.deck_name, task_queue=live_task_queue(QUESTIONS), moderation=self.moderation,
                                  workflow_id=self.workflow_id)
        self._opened = True
        self.state = "open"
        self.run_id = handle.result_run_id or handle.run_id

    async def refresh(self, client: Any) -> None:
        """Read what changed on the board since the version this process last read (one small query;
        the whole board on the first read, after a gap, or for a new board) and send it on."""
        from demos.questions.client import read_board

        held = self.everything
        board = await read_board(client, self.workflow_id, include_all=True, since=held["version"] if held else 0, wait_s=3.0)
        if board is None:
            self.state = "waiting for a worker to answer"
            return
        if held is not None and (board.opened_at != held["opened_at"] or board.version < held["version"] or board.since != held["version"]):
            board = await read_board(client, self.workflow_id, include_all=True, wait_s=3.0)  # another board, or a gap: all of it
            held = None
            if board is None:
                return
        if board.closed:
            self._opened = False  # the next look opens the next talk's board
        self.state = "closed" if board.closed else "open"
        if held is not None and board.version == held["version"]:
            return
        self._questions = {} if held is None else self._questions
        self._questions.update((q.id, q) for q in board.questions)
        self.publish(board)

    # --- fan-out -------------------------------------------------------------------------------------
    def publish(self, board: Any) -> None:
        from demos.questions.model import VISIBLE, display_order

        ordered = display_order(list(self._questions.values()), board.pinned)
        everything = {"version": board.version, "moderation": board.moderation, "pinned": board.pinned, "pending": board.pending,
                      "hidden": board.hidden, "closed": board.closed, "opened_at": board.opened_at, "workflow_id": self.workflow_id,
                      "questions": [public_json(q) for q in ordered]}
        visible = [q for q in everything["questions"] if q["state"] in VISIBLE]
        public = {**{k: everything[k] for k in ("version", "moderation", "pinned", "pending", "closed")}, "questions": visible}
        delta = _delta(self.public, public)
        self.everything, self.public = everything, public
        self.session.hub.publish("questions", everything, topic="questions")
        room = self.session.room
        room.broadcast("questions", json.dumps(delta, separators=(",", ":")))
        full = json.dumps(everything, separators=(",", ":"))
        for device, remote in room.remotes.items():
            if remote.demo_controls:
                room.tell(device, "questions_all", full)

    def for_device(self, device: str) -> dict:
        """A device's first look: the room's board (a remote with the controls: the presenter's)."""
        if self.session.room.remote_with_controls(device) is not None and self.everything is not None:
            return {"board": self.public, "all": self.everything}
        return {"board": self.public}


def _delta(before: dict | None, after: dict) -> dict:
    """What a phone holding `before` needs to hold `after`: the questions that changed or appeared,
    the ids that left (hidden, or back to pending), and the board's own fields. A phone whose
    version is not `base` asks for the whole board instead."""
    meta = {k: after[k] for k in after if k != "questions"}
    if before is None:
        return {**meta, "base": None, "changed": after["questions"], "removed": []}
    old = {q["id"]: q for q in before["questions"]}
    new_ids = {q["id"] for q in after["questions"]}
    return {**meta, "base": before["version"], "changed": [q for q in after["questions"] if old.get(q["id"]) != q],
            "removed": [i for i in old if i not in new_ids]}


def receipt_json(receipt: Any) -> dict:
    return {k: v for k, v in asdict(receipt).items() if k != "update_id" and v not in (None, "", False) or k == "status"}
