"""Demos run live from their slides: start a run, draw its real event history as it grows (the story
picture, deckbuild.story, the code that draws the captured slide) on every open page, and apply the
slide's controls (signals, updates, kill/start a worker process).

The events come from the server (`fetch_history_events(wait_new_event=True)`, a long poll), never
from the capture. Each demo's state is published on the hub under the topic `demo:<name>`, so the
audience view and the presenter view show the same run."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

from deckbuild.history_view import web_ui_url
from deckbuild.present.live_story import LiveStory
from deckbuild.story import CAPTION_BOX, Box
from deckbuild.aio import within
from deckbuild.present.stopping import cancel_and_wait



class Stage(Protocol):
    """What the live demos need of a session (PresentSession is one): Temporal's owner, the worker
    processes, the pictures' colours, and where to publish a demo's state."""

    temporal: Any  # TemporalOwner: .state, .client
    workers: Any  # WorkerPool
    palette: dict[str, str]

    def demo_names(self) -> list[str]: ...
    def publish_demo(self, name: str, state: dict) -> None: ...
    async def ensure_workers(self, name: str) -> None: ...
    async def start_worker(self, name: str, role: str) -> Any: ...

PENDING_EVERY_S = 0.5  # describe() while a run is open: retries and running steps write no event yet


class LiveError(Exception):
    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


@dataclass
class LiveRun:
    workflow_id: str
    run_id: str
    started: float = field(default_factory=time.monotonic)
    status: str = "running"  # running | completed | failed | interrupted
    story: LiveStory | None = None
    snapshot: dict | None = None
    error: str = ""
    handle: Any = None
    task: asyncio.Task | None = None
    first_event_ms: float | None = None


class LiveDemos:
    def __init__(self, session: Stage):
        self._session = session
        self._modules: dict[str, ModuleType | None] = {}
        self.runs: dict[str, LiveRun] = {}
        self.messages: dict[str, str] = {}  # the last control's outcome, shown on the slide
        self.stale: dict[str, str] = {}  # demo -> "re-capturing" | "capture failed: ..."
        self._publish_soon: set[str] = set()

    # --- what a demo offers --------------------------------------------------------------------
    def module(self, name: str) -> ModuleType | None:
        if name not in self._modules:
            from demos.common.live import load_live

            self._modules[name] = load_live(name)
        return self._modules[name]

    def forget_module(self, name: str) -> None:
        """After an edit of the demo's source: the next run imports the new code."""
        import importlib
        import sys

        for mod in [m for m in sys.modules if m == f"demos.{name}" or m.startswith(f"demos.{name}.")]:
            del sys.modules[mod]
        importlib.invalidate_caches()
        self._modules.pop(name, None)

    def start_roles(self, name: str) -> list[str]:
        live = self.module(name)
        if live is None:
            return []
        return list(getattr(live, "START_ROLES", live.WORKERS.keys()))

    def capabilities(self, name: str) -> dict:
        live = self.module(name)
        if live is None:
            return {"live": False}
        return {
            "live": True,
            "controls": sorted(getattr(live, "CONTROLS", {}).keys()),
            "killable": getattr(live, "KILLABLE_ROLE", None),
            "scalable": getattr(live, "SCALE_ROLE", None),
            "deploy": list(getattr(live, "DEPLOY", ()) or ()),
            "side_panel": bool(getattr(live, "SIDE_PANEL", False)),
        }

    # --- state published to the pages -----------------------------------------------------------
    def publish(self, name: str) -> None:
        self._session.publish_demo(name, self.state(name))

    def redraw(self, name: str) -> None:
        """Draw the run's picture again soon: events fetched together are drawn once."""
        if name in self._publish_soon:
            return
        self._publish_soon.add(name)
        asyncio.get_running_loop().call_soon(self._redraw_now, name)

    def _redraw_now(self, name: str) -> None:
        self._publish_soon.discard(name)
        run = self.runs.get(name)
        if run is not None and run.story is not None and run.story.render():
            self.publish(name)

    def state(self, name: str) -> dict:
        run = self.runs.get(name)
        temporal = self._session.temporal.state
        data: dict[str, Any] = {
            "name": name,
            **self.capabilities(name),
            "workers": self._session.workers.status(name),
            "stale": self.stale.get(name),
            "message": self.messages.get(name, ""),
        }
        if run is not None:
            data["run"] = {
                "workflow_id": run.workflow_id,
                "run_id": run.run_id,
                "status": run.status,
                "picture": run.story.message() if run.story else None,
                "snapshot": run.snapshot,
                "error": run.error,
                "url": web_ui_url(temporal.ui_url, temporal.namespace, run.workflow_id, run.run_id) if temporal.ui_url else None,
            }
        return data

    # --- actions -----------------------------------------------------------------------------------
    def _client(self):
        temporal = self._session.temporal
        if temporal.state.state != "up" or temporal.client is None:
            raise LiveError(f"Temporal is unreachable: {temporal.state.reason or temporal.state.state}", status=503)
        return temporal.client

    async def run(self, name: str) -> dict:
        live = self.module(name)
        if live is None:
            raise LiveError(f"demo {name!r} has no live mode", status=404)
        client = self._client()
        await self._session.ensure_workers(name)
        from demos.common.live import live_task_queue

        try:
            handle = await live.start(client, live_task_queue(name))
        except Exception as err:  # noqa: BLE001 - shown on the slide, the session goes on
            raise LiveError(f"could not start the run: {_reason(err)}", status=502) from None
        previous = self.runs.get(name)
        if previous and previous.task:
            previous.task.cancel()
        run = LiveRun(handle.id, handle.result_run_id or handle.run_id or "", handle=handle)
        run.story = LiveStory(name, self._session.palette, self._box(live))
        run.story.render()
        self.runs[name] = run
        self.messages[name] = ""
        run.task = asyncio.create_task(self._follow(name, run))
        self.publish(name)
        return {"workflow_id": run.workflow_id, "run_id": run.run_id}

    async def reattach(self) -> None:
        """After a restart of `make present` (runs persist in .temporal/present.sqlite): each demo's
        newest run still open on the server is followed again, from its first event, so its slide
        shows it LIVE with its controls instead of forgetting it."""
        from demos.common.live import live_task_queue

        client = self._client()
        for name in self._session.demo_names():
            if self.module(name) is None or name in self.runs:
                continue
            query = f'TaskQueue="{live_task_queue(name)}" AND ExecutionStatus="Running"'
            try:
                found = [w async for w in client.list_workflows(query, limit=20)]
            except Exception:  # noqa: BLE001 - visibility not answering: nothing to re-attach
                continue
            if not found or name in self.runs:
                continue
            newest = max(found, key=lambda w: w.start_time)
            handle = client.get_workflow_handle(newest.id, run_id=newest.run_id)
            run = LiveRun(newest.id, newest.run_id, handle=handle)
            run.story = LiveStory(name, self._session.palette, self._box(self.module(name)))
            run.story.render()
            self.runs[name] = run
            self.messages[name] = "re-attached to the run left open by the previous session"
            run.task = asyncio.create_task(self._follow(name, run))
            self.publish(name)

    async def audience_vote(self, name: str, device: str, answer: str) -> tuple[int, dict]:
        """A phone's vote (share mode) on the ballot the demo's snapshot offers: the device id is
        the server's (from its cookie), never the page's. (HTTP status, receipt) for the phone."""
        run = self.runs.get(name)
        ballot = (run.snapshot or {}).get("ballot") if run is not None and run.status == "running" else None
        if not ballot or not ballot.get("open"):
            return 409, {"status": "rejected", "reason": "no vote is open on this slide"}
        if answer not in {a["key"] for a in ballot.get("answers", [])}:
            return 422, {"status": "rejected", "reason": f"there is no answer {answer!r}"}
        try:
            result = await self.control(name, ballot["control"], {"device": device, "answer": answer}, quiet=True)
        except LiveError as err:
            return err.status, {"status": "error", "reason": str(err)}
        if "rejected" in result:
            return 409, {"status": "rejected", "reason": result.get("reason") or result["rejected"]}
        receipt = result.get("receipt") or {}
        if receipt.get("status") == "waiting":
            return 202, {"status": "waiting", "reason": receipt.get("reason", "waiting for a worker")}
        return 200, {"status": "accepted", "answer": answer, "seq": receipt.get("seq")}

    async def control(self, name: str, action: str, args: dict, *, quiet: bool = False) -> dict:
        """`quiet`: one of many (the room's votes): no message on the slide, no query of its own;
        the twice-a-second refresh shows the tally."""
        from demos.common.live import ControlRejected

        live = self.module(name)
        controls = getattr(live, "CONTROLS", {}) if live else {}
        if action not in controls:
            raise LiveError(f"demo {name!r} has no control {action!r}", status=404)
        run = self.runs.get(name)
        if run is None or run.status != "running":
            raise LiveError("start a live run first (Run live)")
        client = self._client()
        try:
            result = await controls[action](client, run.handle, args)
            if quiet:
                return result
            self.messages[name] = result.get("message", "")
        except ControlRejected as rejected:
            if quiet:  # a phone's own mistake (a second vote): its answer, not the slide's news
                return {"rejected": str(rejected), "reason": getattr(rejected, "reason", str(rejected))}
            self.messages[name] = f"rejected: {rejected}"
            run.story.annotate("rejected", name=getattr(rejected, "request", action), reason=getattr(rejected, "reason", str(rejected)))
            run.story.render()
            self.publish(name)
            await self._refresh_snapshot(name, run)
            self.publish(name)
            return {"rejected": str(rejected)}
        except Exception as err:  # noqa: BLE001
            raise LiveError(f"{action} failed: {_reason(err)}", status=502) from None
        await self._refresh_snapshot(name, run)
        self.publish(name)
        return result

    async def worker(self, name: str, op: str) -> dict:
        """kill | start | add | deploy: what the slide's worker buttons do."""
        caps = self.capabilities(name)
        pool = self._session.workers
        run = self.runs.get(name)
        story = run.story if run is not None and run.status == "running" else None
        if op == "kill" and caps.get("killable"):
            pids = pool.kill(name, caps["killable"])
            self.messages[name] = f"SIGKILL worker pid {', '.join(map(str, pids))}" if pids else "no worker was running"
            for pid in pids if story else ():
                story.annotate("worker_killed", worker=pid)
        elif op in ("start", "add") and (role := caps.get("killable") if op == "start" else caps.get("scalable")):
            worker = await self._session.start_worker(name, role)
            self.messages[name] = f"worker pid {worker.proc.pid} started"
            if story:
                story.annotate("worker_started", worker=worker.proc.pid)
        elif op == "deploy" and caps.get("deploy"):
            async def ensure_worker(role: str) -> None:  # the demo's deploy() decides what runs beside what
                if not pool.status(name).get(role):
                    await self._session.start_worker(name, role)

            from demos.common.live import live_task_queue

            try:
                result = await self.module(name).deploy(self._client(), live_task_queue(name), ensure_worker)
            except Exception as err:  # noqa: BLE001 - shown on the slide, the session goes on
                raise LiveError(f"deploy failed: {_reason(err)}", status=502) from None
            self.messages[name] = result.get("message", "")
            if story:
                story.annotate("note", text=f"{caps['deploy'][-1]} deployed: now the current version")
        else:
            raise LiveError(f"demo {name!r} has no worker operation {op!r}", status=404)
        if story:
            story.render()
        self.publish(name)
        return {"message": self.messages[name], "workers": pool.status(name)}

    # --- following a run ----------------------------------------------------------------------------
    def _box(self, live: ModuleType) -> Box:
        """The picture fills the panel; a demo with a list to act on (the inbox) keeps a column for it."""
        return Box(840, 540) if getattr(live, "SIDE_PANEL", False) else CAPTION_BOX

    async def _follow(self, name: str, run: LiveRun) -> None:
        closing, completed = _closing_types()
        poller = asyncio.create_task(self._poll_pending(name, run))
        try:
            async for event in run.handle.fetch_history_events(wait_new_event=True):
                if run.first_event_ms is None:
                    run.first_event_ms = (time.monotonic() - run.started) * 1000
                run.story.event(event)
                if event.event_type in closing:
                    run.status = "completed" if event.event_type == completed else "failed"
                self.redraw(name)
            if run.status == "running":
                run.status = "completed"
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 - the server went away: the slide falls back to CACHED
            run.status = "interrupted"
            run.error = _reason(err)
        finally:
            poller.cancel()
        run.story.render()
        self.publish(name)
        await self._refresh_snapshot(name, run)
        self.publish(name)

    async def _poll_pending(self, name: str, run: LiveRun) -> None:
        """What writes no event yet: a retry waiting on the server, the worker running a step (from
        describe()), and the demo's own snapshot (queries: the inbox's list). Twice a second."""
        while run.status == "running":
            try:
                description = await within(run.handle.describe(), timeout=3)
                run.story.pending(description.raw_description)
            except Exception:  # noqa: BLE001 - the server or a worker is restarting: keep the last state
                pass
            before = run.snapshot
            await self._refresh_snapshot(name, run)
            run.story.waiting(run.snapshot if run.status == "running" else None)
            if run.story.render() or run.snapshot != before:
                self.publish(name)
            await asyncio.sleep(PENDING_EVERY_S)

    async def _refresh_snapshot(self, name: str, run: LiveRun) -> None:
        live = self.module(name)
        snapshot = getattr(live, "snapshot", None) if live else None
        if snapshot is None or self._session.temporal.state.state != "up":
            return
        try:
            run.snapshot = await within(snapshot(self._session.temporal.client, run.handle), timeout=3)
        except Exception:  # noqa: BLE001 - a query can fail while a worker restarts; keep the last one
            pass

    async def stop(self) -> None:
        tasks = [run.task for run in self.runs.values() if run.task and not run.task.done()]
        await cancel_and_wait(tasks, within_s=5.0)  # cancelled again if a library lost the first cancel


def _reason(err: BaseException) -> str:
    from demos.common.capture import root_failure_message

    return root_failure_message(err)


def _closing_types() -> tuple[set[int], int]:
    from temporalio.api.enums.v1 import EventType

    closing = {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    }
    return closing, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED

