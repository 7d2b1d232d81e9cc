"""Demos run live from their slides: start a run, stream its real event history to every open page,
and apply the slide's controls (signals, updates, kill/start a worker process).

The events come from the server (`fetch_history_events(wait_new_event=True)`, a long poll), never
from the capture. Each demo's state is published on the hub under the topic `demo:<name>`, so the
audience view and the presenter view show the same run."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deckbuild.present.session import PresentSession

MAX_EVENTS = 400  # a page shows the newest few; this bounds memory for a long-running demo


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
    events: list[dict] = field(default_factory=list)
    snapshot: dict | None = None
    error: str = ""
    handle: Any = None
    task: asyncio.Task | None = None
    first_event_ms: float | None = None


class LiveDemos:
    def __init__(self, session: PresentSession):
        self._session = session
        self._modules: dict[str, ModuleType | None] = {}
        self.runs: dict[str, LiveRun] = {}
        self.messages: dict[str, str] = {}  # the last control's outcome, shown on the slide
        self.stale: dict[str, str] = {}  # demo -> "re-capturing" | "capture failed: ..."

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
        }

    # --- state published to the pages -----------------------------------------------------------
    def publish(self, name: str) -> None:
        self._session.hub.publish("demo", self.state(name), topic=f"demo:{name}")

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
                "events": run.events[-40:],
                "snapshot": run.snapshot,
                "error": run.error,
                "url": web_ui_run_url(temporal.ui_url, temporal.namespace, run.workflow_id, run.run_id),
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
        self.runs[name] = run
        self.messages[name] = ""
        run.task = asyncio.create_task(self._follow(name, run))
        self.publish(name)
        return {"workflow_id": run.workflow_id, "run_id": run.run_id}

    async def control(self, name: str, action: str, args: dict) -> dict:
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
            self.messages[name] = result.get("message", "")
        except ControlRejected as rejected:
            self.messages[name] = f"rejected: {rejected}"
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
        if op == "kill" and caps.get("killable"):
            pids = pool.kill(name, caps["killable"])
            self.messages[name] = f"SIGKILL worker pid {', '.join(map(str, pids))}" if pids else "no worker was running"
        elif op in ("start", "add") and (role := caps.get("killable") if op == "start" else caps.get("scalable")):
            worker = await self._session.start_worker(name, role)
            self.messages[name] = f"worker pid {worker.proc.pid} started"
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
        else:
            raise LiveError(f"demo {name!r} has no worker operation {op!r}", status=404)
        self.publish(name)
        return {"message": self.messages[name], "workers": pool.status(name)}

    # --- following a run ----------------------------------------------------------------------------
    async def _follow(self, name: str, run: LiveRun) -> None:
        from demos.common.capture import event_detail, event_type_name

        closing, completed = _closing_types()
        activity_types: dict[int, str] = {}
        first_time = None
        poller = asyncio.create_task(self._poll_snapshot(name, run))
        try:
            async for event in run.handle.fetch_history_events(wait_new_event=True):
                if event.HasField("activity_task_scheduled_event_attributes"):
                    activity_types[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
                at = event.event_time.ToDatetime()
                first_time = first_time or at
                if run.first_event_ms is None:
                    run.first_event_ms = (time.monotonic() - run.started) * 1000
                run.events.append({
                    "id": event.event_id,
                    "type": event_type_name(event),
                    "t_s": round((at - first_time).total_seconds(), 1),
                    "detail": event_detail(event, activity_types),
                })
                del run.events[:-MAX_EVENTS]
                if event.event_type in closing:
                    run.status = "completed" if event.event_type == completed else "failed"
                await self._refresh_snapshot(name, run)
                self.publish(name)
            if run.status == "running":
                run.status = "completed"
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 - the server went away: the slide falls back to CACHED
            run.status = "interrupted"
            run.error = _reason(err)
        finally:
            poller.cancel()
        self.publish(name)

    async def _poll_snapshot(self, name: str, run: LiveRun) -> None:
        """Some state changes write no event (a retry waiting on the server): look once a second."""
        live = self.module(name)
        if live is None or getattr(live, "snapshot", None) is None:
            return
        while run.status == "running":
            await asyncio.sleep(1.0)
            before = run.snapshot
            await self._refresh_snapshot(name, run)
            if run.snapshot != before:
                self.publish(name)

    async def _refresh_snapshot(self, name: str, run: LiveRun) -> None:
        live = self.module(name)
        snapshot = getattr(live, "snapshot", None) if live else None
        if snapshot is None or self._session.temporal.state.state != "up":
            return
        try:
            run.snapshot = await asyncio.wait_for(snapshot(self._session.temporal.client, run.handle), timeout=3)
        except Exception:  # noqa: BLE001 - a query can fail while a worker restarts; keep the last one
            pass

    async def stop(self) -> None:
        tasks = [run.task for run in self.runs.values() if run.task and not run.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def web_ui_run_url(ui_url: str | None, namespace: str, workflow_id: str, run_id: str) -> str | None:
    if not ui_url:
        return None
    from urllib.parse import quote

    return f"{ui_url.rstrip('/')}/namespaces/{quote(namespace)}/workflows/{quote(workflow_id)}/{quote(run_id)}/history"


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

