"""The owner of a present session: it starts everything, reports its state, and stops all of it.

Start order is chosen for the stage: the deck is built and served first (the first slide is visible
in about a second), then Temporal and the demo workers come up behind it with their state shown on
the page and in the terminal. Stop order is the reverse; every child runs in a process tree that is
stopped whole (see proctree), so Ctrl-C leaves no process and no bound port.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Callable

from aiohttp import web

from deckbuild import demos, diagrams
from deckbuild.config import Config
from deckbuild.errors import BuildError, ExitCode
from deckbuild.present import preflight, proctree
from deckbuild.present.audience import for_viewers, temporal_for_viewers
from deckbuild.present.children import Child, MarpChild, RendererChild
from deckbuild.present.hub import Hub
from deckbuild.present.http import allowed_hosts, make_app
from deckbuild.present.room import DEFAULT_MAX_DEVICES, Room, lan_address, qr_text
from deckbuild.present.livedeck import LiveDeck
from deckbuild.present.questions import RoomQuestions, share_mode_workers  # share mode: questions from the room (issue 22)
from deckbuild.present.marp_warm import WarmMarp
from deckbuild.present.temporal_owner import TemporalOwner, TemporalState
from deckbuild.present.stopping import StopTimer, cancel_and_wait, run_bounded, task_names
from deckbuild.present.watch import SourceWatcher
from deckbuild.present.workers import WorkerPool, WorkerProc

DEFAULT_PORT = 8090


class PresentSession:
    def __init__(self, cfg: Config, deck_name: str, port: int, *, with_temporal: bool = True, out: Callable[[str], None] = print,
                 share: Share | None = None, demo_names: list[str] | None = None):
        self.cfg = cfg
        self.deck_name = deck_name
        self.port = port
        self.share = share
        # Share mode: the room (audience devices, remotes; roles in room.py). Without it, nothing of it exists.
        self.room = Room(max_devices=share.max_devices) if share else None
        self.lan = lan_address() if share else None
        if self.room is not None:
            self.room.on_change = self._room_changed
        self.hosts = allowed_hosts(port, {f"[{h}]:{port}" if ":" in h else f"{h}:{port}"
                                          for h in (self.lan, share.bind, socket.gethostname()) if h and h not in ("0.0.0.0", "::")} if share else set())
        self.token = secrets.token_urlsafe(24)
        self.hub = Hub()
        self.log_dir = cfg.build_dir / ".present" / "logs"
        self._out = out
        self._with_temporal = with_temporal
        self._demo_names = demo_names  # None: the demos the deck shows (a rehearsal passes all of them)
        self._temporal_started = False
        self._warned: tuple[str, ...] = ()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self.temporal = TemporalOwner(cfg.root, self.log_dir, self._temporal_changed, env=dict(cfg.env))
        self.workers = WorkerPool(cfg.root, self.log_dir, self._workers_changed, env=dict(cfg.env))
        from deckbuild.present.live_demos import LiveDemos

        self.live = LiveDemos(self)
        self.questions = RoomQuestions(self) if self.room is not None else None  # the room's questions board (questions.py)
        self.deck: LiveDeck | None = None  # set in run()
        # The long-lived helpers, each kept alive by its owner (children.py): the hot path (changed
        # slides by marp-core), the full page by marp-cli behind it, the Mermaid renderer.
        self.marp = self._marp_child("marp-core (changed slides)", "marp-slides.log")
        self.page_marp = self._marp_child("marp-cli (full page)", "marp-page.log")
        self.renderer = Child("Mermaid renderer", self._start_renderer, alive=_renderer_alive, close=_close_renderer,
                              pids=lambda r: list(r.pids), tail=lambda r: "\n".join(r._stderr), report=self._child_news)
        self._page_task: asyncio.Task | None = None
        self._renderer_start: asyncio.Future | None = None
        self._watcher: SourceWatcher | None = None
        self._runner: web.AppRunner | None = None
        # One lock per demo (its roles are never started twice), and at most a core's worth of worker
        # processes importing the SDK at once: a dozen demos start side by side, not one after another.
        self._worker_locks: dict[str, asyncio.Lock] = {}
        self._start_slots = asyncio.Semaphore(max(2, os.cpu_count() or 2))
        self._reattached = False
        self._room_soon = False
        self.stacks_on_slow_stop = False  # run_present: a stop that hangs writes every thread's stack (stopping.py)

    # --- urls --------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The deck, as the terminal prints it (in share mode with the presenter's key)."""
        return f"http://127.0.0.1:{self.port}/" + (f"?key={self.room.presenter_key}" if self.room else "")

    @property
    def presenter_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?view=presenter" + (f"&key={self.room.presenter_key}" if self.room else "")

    @property
    def audience_url(self) -> str:
        """The URL the room opens: the address the deck listens on, or this machine's LAN address when
        it listens on every address (a wildcard is not an address a phone can open)."""
        if not self.room:
            return ""
        host = self.lan if self.share.bind in ("0.0.0.0", "::", "") else self.share.bind
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/r/{self.room.room_id}"

    def status(self) -> dict:
        built = self.deck.state.built
        return {
            "deck": self.deck_name,
            "version": built.version if built else None,
            "error": self.deck.state.error,
            "temporal": self.temporal.state.as_dict(),
            "demos": self.demo_names(),
            "warnings": list(self.deck.state.warnings),
            "workers": {name: self.workers.status(name) for name in self.demo_names()},
            "pids": {"marp": _first(self.marp.pids), "page_marp": _first(self.page_marp.pids), "workers": self.workers.all_pids(), "temporal": self.temporal.state.pid,
                     "diagrams": self.renderer.pids},
            "children": {c.name: {"state": c.state, "restarts": c.restarts, "pids": c.pids} for c in (self.marp, self.page_marp, self.renderer)},
            "pages": self.hub.page_count,
            "renderer": self.renderer.state == "up",
            "questions": self.questions.status() if self.questions is not None else None,
        }

    def demo_names(self) -> list[str]:
        """The demos this session runs: those the deck's slides show (their workers only), in order."""
        if self._demo_names is not None:
            return list(self._demo_names)
        known = demos.demo_names(self.cfg)
        return [name for name in (self.deck.demos if self.deck else []) if name in known]

    @property
    def palette(self) -> dict[str, str]:
        """The live pictures' colours: the deck's palette (its theme's)."""
        colours = self.deck.palette if self.deck else None
        if colours is None:
            from deckbuild.palette import read_palette

            colours = read_palette((self.cfg.theme_dir / "midnight-blue.css").read_text())
        return colours

    # --- lifecycle -----------------------------------------------------------------------------------
    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self.hub.bind(loop)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._stop.set)
        checks = preflight.static_checks(self.cfg, self.deck_name, self.port, with_temporal=self._with_temporal)
        self._out(preflight.table(checks))
        if any(c.blocking and not c.ok for c in checks):
            self._out("present: fix the problem above and start again")
            return int(ExitCode.MISSING_TOOL)
        try:
            await self._serve_deck()
            self._start_temporal_if_used()
            self._tasks.append(asyncio.create_task(self._rebuild_loop()))
            self._tasks.append(asyncio.create_task(self._warm_diagram_renderer()))
            if self.questions is not None and self._with_temporal:  # the board opens once Temporal answers
                self._tasks.append(asyncio.create_task(self.questions.run()))
            await self._stop.wait()
            self._out("present: stopping (server, workers, watcher, renderers)")
        finally:
            await self.shutdown()
        return 0

    async def _serve_deck(self) -> None:
        loop = asyncio.get_running_loop()
        # The two warm marp processes start while the deck renders; a second start of an unchanged
        # deck serves its cached page without waiting for them.
        marps = asyncio.gather(loop.run_in_executor(None, self.marp.get), loop.run_in_executor(None, self.page_marp.get))
        self.deck = LiveDeck(self.cfg, self.deck_name, marp=MarpChild(self.marp), page_marp=MarpChild(self.page_marp))
        built = await loop.run_in_executor(None, self.deck.first_build)
        if built is None and self.deck.state.error is None:  # not in the cache: marp-cli writes the page
            await marps
            built = await loop.run_in_executor(None, self.deck.rebuild_page)
        self._tell_warnings()
        if built is None:
            self._out(f"present: the deck does not build yet (fix it and save; the page shows the error):\n  {self.deck.state.error}")
            self.hub.publish("build", {"error": self.deck.state.error}, topic="build")
        else:
            self.hub.publish("build", {"error": None}, topic="build")
        # handler_cancellation: a page that goes away ends its stream at once (a room's count stays true).
        self._runner = web.AppRunner(make_app(self), access_log=None, handle_signals=False, shutdown_timeout=3, handler_cancellation=True)
        await self._runner.setup()
        for address in self._listen_on():
            await web.TCPSite(self._runner, address, self.port, reuse_address=True).start()
        self._watcher = SourceWatcher([self.cfg.slides_dir, self.cfg.theme_dir, self.cfg.demos_dir], loop)
        self._watcher.start()
        self._out(f"present: deck            {self.url}")
        self._out(f"present: presenter view  {self.presenter_url}")
        if self.room is not None:
            self._out(f"present: audience  {self.audience_url}")
            self._out(qr_text(self.audience_url).rstrip("\n"))
            self._out(f"present: share mode: the deck's port listens on {self.share.bind} (audience pages, at most {self.room.max_devices} devices); "
                      "Temporal, its Web UI, the workers and the renderers stay on 127.0.0.1")
        self._say_what_runs()
        self._out("present: Ctrl-C stops everything")
        await marps
        self._tasks.append(asyncio.create_task(self._watch_children()))

    def _tell_warnings(self) -> None:
        """What marp would pass over in silence (a theme nobody provides...), once per change."""
        warnings = self.deck.state.warnings
        if warnings != self._warned:
            self._warned = warnings
            for line in warnings:
                self._out(f"present: {line}")
                self.hub.publish("notice", {"text": line})

    def _say_what_runs(self) -> None:
        """What is started for this deck, and what is not and why (a deck starts only what it uses)."""
        known = demos.demo_names(self.cfg)
        shown = self.demo_names()
        room = share_mode_workers(self)  # share mode: the room's questions are a workflow too
        if not self._with_temporal:
            self._out("present: Temporal        off (--no-temporal)")
        elif not shown and room:
            self._out(f"present: Temporal        starts behind the first slide for share mode's {', '.join(room)} (this deck shows no demo: "
                      "no demo workers)")
            self._out("present: Web UI          (comes up with Temporal; printed below)")
        elif not shown:
            self._out("present: Temporal        not started: no slide of this deck shows a demo (no server, no workers; "
                      "a demo slide added while presenting starts them)")
        else:
            skipped = [n for n in known if n not in shown]
            self._out(f"present: demos           {', '.join(shown)}: Temporal and their workers start behind the first slide"
                      + (f"; not started: {len(skipped)} demo(s) this deck does not show ({', '.join(skipped)})" if skipped else ""))
            self._out("present: Web UI          (comes up with Temporal; printed below)")

    def _start_temporal_if_used(self) -> None:
        """Temporal and the workers, once, when the deck shows a demo (now or after a save)."""
        if self._with_temporal and not self._temporal_started and (self.demo_names() or share_mode_workers(self)):
            self._temporal_started = True
            self._tasks.append(asyncio.create_task(self._start_temporal_behind_the_first_slide()))

    async def _start_temporal_behind_the_first_slide(self, wait_s: float = 3.0, after_page_s: float = 1.0) -> None:
        """The dev server and a dozen worker processes (each importing the SDK) take both cores for
        seconds: let the first page connect and draw its slide (or a moment pass) first."""
        deadline = time.monotonic() + wait_s
        while self.hub.page_count == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if self.hub.page_count:
            await asyncio.sleep(after_page_s)
        _quiet_sdk_core()  # here, not at the start: the SDK's import and runtime are not on the first slide's path
        self._tasks.append(asyncio.create_task(self.temporal.run()))
        self._tasks.append(asyncio.create_task(self._keep_workers()))

    async def shutdown(self) -> None:
        """Stop order is the reverse of start order, each stage timed (stopping.py). The processes go in
        two lines at once: the workers, then Temporal (a worker says goodbye to the server), and the
        renderers beside them; the slowest line, not the sum, is what Ctrl-C waits for."""
        timer = StopTimer(self.log_dir, self._out, stacks=self.stacks_on_slow_stop)
        loop = asyncio.get_running_loop()
        if self._watcher:
            await timer.stage("the file watcher", loop.run_in_executor(None, self._watcher.stop))
        await timer.stage("the live demo runs", self.live.stop())
        left = await timer.stage("the session's tasks", cancel_and_wait(self._tasks, within_s=5.0))
        if left:
            self._out(f"present: stopping: still running after 5 s, left behind: {task_names(left)}")
        self.hub.close()
        if self.room is not None:
            self.room.close()  # every device's stream ends; every pairing ends with the session
        if self._runner:
            await timer.stage("the web server", self._runner.cleanup())  # closes the listening socket and every open stream

        async def workers_then_temporal() -> None:
            await timer.stage("the workers", loop.run_in_executor(None, self.workers.stop_all))
            await timer.stage("Temporal", loop.run_in_executor(None, self.temporal.stop))

        async def renderers() -> None:
            if self._renderer_start is not None:  # let a start in progress finish, then stop what it started
                await timer.stage("the Mermaid renderer's start", asyncio.gather(self._renderer_start, return_exceptions=True))
            await asyncio.gather(*(timer.stage(child.name, loop.run_in_executor(None, child.close))
                                   for child in (self.renderer, self.marp, self.page_marp)))

        await asyncio.gather(workers_then_temporal(), renderers())
        timer.done()

    # --- the deck -------------------------------------------------------------------------------------
    def _publish_deck(self, update) -> None:
        self.hub.publish("build", {"error": None}, topic="build")
        message = update.message()
        self.hub.publish("deck", message, topic="deck")
        if self.room is not None:  # the audience patches the same slides; speaker notes stay the presenter's
            self.room.broadcast("deck", json.dumps({**message, "notes": {}}, separators=(",", ":")))

    def _catch_up_page(self) -> None:
        """marp-cli's full page follows the hot update in the background (one at a time, newest wins)."""
        if self._page_task is not None and not self._page_task.done():
            return  # the running one takes the newest Markdown when it finishes

        async def catch_up() -> None:
            loop = asyncio.get_running_loop()
            while await loop.run_in_executor(None, self.deck.rebuild_page) is not None:
                pass

        self._page_task = asyncio.create_task(catch_up())
        self._tasks.append(self._page_task)

    async def _rebuild_loop(self) -> None:
        """One loop: the watcher only records paths; this waits for a quiet moment and rebuilds once."""
        assert self._watcher is not None
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.deck.baseline)
        while True:
            paths = await self._watcher.next_batch()
            # Like mkdocs' livereload: whatever goes wrong with one rebuild is reported (terminal and
            # overlay) and the loop carries on; a loop that died would silently stop every later save.
            try:
                await self._rebuild_once(paths, loop)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - the session must outlive any one save
                error = f"unexpected error while rebuilding ({type(err).__name__}: {err}); the last good deck stays up"
                self.deck.state.error = error
                self._out(f"present: {error}")
                self.hub.publish("build", {"error": error}, topic="build")

    async def _rebuild_once(self, paths: set[Path], loop: asyncio.AbstractEventLoop) -> None:
        changed_demos = {name for p in paths if (name := self._demo_of(p))}
        for name in sorted(changed_demos):
            self._tasks.append(asyncio.create_task(self._recapture(name)))
        if any(self._affects_deck(p) for p in paths):
            started = time.perf_counter()
            update = await loop.run_in_executor(None, self.deck.rebuild, frozenset(paths))
            if update is None:
                self._out(f"present: build failed, the last good deck stays up:\n  {self.deck.state.error}")
                self.hub.publish("build", {"error": self.deck.state.error}, topic="build")
            else:
                if update.reload:  # the pages will load the full page: let marp-cli write it first
                    await loop.run_in_executor(None, self.deck.rebuild_page)
                self._publish_deck(update)
                self._tell_warnings()
                self._start_temporal_if_used()  # a demo slide added while presenting
                stages = ", ".join(f"{k} {v * 1000:.0f}" for k, v in update.stages.items())
                self._out(f"present: rebuilt in {(time.perf_counter() - started) * 1000:.0f} ms ({stages}; "
                          f"{len(update.slides)} slide(s) changed{', pages reload' if update.reload else ''})")
                self._catch_up_page()

    def _affects_deck(self, path: Path) -> bool:
        if path.is_relative_to(self.cfg.demos_dir):
            return path.is_relative_to(self.cfg.demos_dir / "captures")
        return True  # slides/ and theme/

    def _demo_of(self, path: Path) -> str | None:
        """The demo whose capture a changed file makes stale (its package's Python source)."""
        if not path.is_relative_to(self.cfg.demos_dir) or path.suffix != ".py":
            return None
        from demos.common.source import NOT_IN_CAPTURE

        parts = path.relative_to(self.cfg.demos_dir).parts
        if len(parts) < 2 or path.name in NOT_IN_CAPTURE or parts[0] in ("captures", "common"):
            return None
        return parts[0] if parts[0] in self.demo_names() else None

    async def _recapture(self, name: str) -> None:
        """A demo's source changed: restart its live workers on the new code, and re-capture it in the
        background while its slide shows the previous capture marked stale."""
        self.live.stale[name] = "demo source changed: re-capturing in the background"
        self.live.forget_module(name)
        self.live.publish(name)
        if self._with_temporal:
            for role in list(self.workers.status(name)):
                self.workers.stop_role(name, role)
        if self.temporal.state.state != "up":
            self.live.stale[name] = "demo source changed: re-capture waits for Temporal"
            self.live.publish(name)
            return
        from demos.common.capture import capture_demo

        # The scenarios fail activities on purpose (retries, a killed worker): the SDK's warnings about
        # that are the demo working, not news on the presenter's terminal. A real failure is DemoFailed.
        logging.getLogger("temporalio").setLevel(logging.ERROR)

        try:
            capture = await capture_demo(name, self.temporal.client)
            demos.save_capture(self.cfg, name, capture, demos.capture_key(self.cfg, name))
            self.live.stale.pop(name, None)
            self._out(f"present: demo {name} re-captured")
        except Exception as err:  # noqa: BLE001 - DemoFailed, DemoError or worse: shown on the slide; the session goes on
            self.live.stale[name] = f"re-capture failed: {err}"
            self._out(f"present: demo {name} could not be re-captured: {err}")
        self.live.publish(name)
        await self.ensure_workers(name)

    async def _warm_diagram_renderer(self) -> None:
        """Start the long-lived Mermaid renderer behind the first slide."""
        loop = asyncio.get_running_loop()
        try:
            self._renderer_start = loop.run_in_executor(None, self.renderer.get)  # Node + one Chromium with Mermaid loaded
            await self._renderer_start
            self.deck.set_renderer(RendererChild(self.renderer))
        except (BuildError, OSError) as err:
            self._out(f"present: diagrams will use a fresh mermaid-cli per change ({getattr(err, 'message', err)})")

    # --- the long-lived helpers -------------------------------------------------------------------
    def _marp_child(self, name: str, log: str) -> Child:
        return Child(name, lambda: WarmMarp(self.cfg, self.log_dir / log), alive=lambda m: m.alive(), close=lambda m: m.close(),
                     pids=lambda m: [m.pid], tail=lambda m: m.log_tail(), report=self._child_news)

    def _start_renderer(self):
        from deckbuild.palette import mermaid_config

        return diagrams.MermaidRenderer(self.cfg, mermaid_config(self.palette)).start()

    def _child_news(self, line: str) -> None:
        """One line in the terminal and on the open pages (a notice, never in the way)."""
        self._out(f"present: {line}")
        self.hub.publish("notice", {"text": line})

    async def _watch_children(self) -> None:
        """Twice a second: a helper that died is reaped now and started again (not at the next edit);
        every two seconds, the orphans we adopted (proctree.adopt_orphans) are waited for."""
        loop = asyncio.get_running_loop()
        sweeper, ticks = proctree.AdoptedSweeper(), 0
        while True:
            await asyncio.sleep(0.5)
            ticks += 1
            if ticks % 4 == 1:
                await loop.run_in_executor(None, sweeper.sweep)
            for child in (self.marp, self.page_marp, self.renderer):
                if child.state == "up" and child.pids and not all(proctree.alive(p) for p in child.pids):
                    await loop.run_in_executor(None, child.check)
                elif child.retry_due():  # a crash loop's time out is over: try once more
                    try:
                        await loop.run_in_executor(None, child.get)
                    except BuildError:
                        pass

    # --- Temporal and workers ---------------------------------------------------------------------
    def _temporal_changed(self, state: TemporalState) -> None:
        self.hub.publish("temporal", state.as_dict(), topic="temporal")
        if self.room is not None:  # the audience learns up or down and why, not where
            self.room.broadcast("temporal", json.dumps(temporal_for_viewers(state)))
        if state.state == "up":
            ui = f", Web UI {state.ui_url}" if state.ui_url else ""
            self._out(f"present: Temporal        up at {state.address} (namespace {state.namespace}{ui})")
            if not self._reattached:  # runs a previous session left open on the server (Ctrl-C mid-demo)
                self._reattached = True
                self._tasks.append(asyncio.get_running_loop().create_task(self.live.reattach()))
        elif state.state == "down":
            self._out(f"present: Temporal        DOWN: {state.reason} (slides show their captured runs)")
        for name in self.demo_names():
            self.live.publish(name)

    def _workers_changed(self, demo: str) -> None:
        self.live.publish(demo)

    # --- share mode: what the room is told ---------------------------------------------------------
    def _listen_on(self) -> list[str]:
        if self.share is None:
            return ["127.0.0.1"]
        if self.share.bind in ("0.0.0.0", "::", "127.0.0.1"):
            return [self.share.bind]
        return ["127.0.0.1", self.share.bind]

    def publish_demo(self, name: str, state: dict) -> None:
        """A demo's state to the presenter's pages, and to the room: the viewers' without controls
        or process ids; a remote allowed the demo controls gets them."""
        self.hub.publish("demo", state, topic=f"demo:{name}")
        if self.room is None:
            return
        self.room.broadcast("demo", json.dumps(for_viewers(state), separators=(",", ":")))
        full = json.dumps(state, separators=(",", ":"))
        for device, remote in self.room.remotes.items():
            if remote.demo_controls:
                self.room.tell(device, "demo", full)

    def audience_state(self, device: str) -> list[tuple[str, str]]:
        """What a device that just connected is told: where the deck is, the live pictures, its role."""
        dumps = lambda value: json.dumps(value, separators=(",", ":"))  # noqa: E731
        out = [("follow", dumps(self.room.follow)), ("temporal", dumps(temporal_for_viewers(self.temporal.state)))]
        remote = self.room.remotes.get(device)
        for name in self.demo_names():
            state = self.hub.latest(f"demo:{name}")
            if state:
                out.append(("demo", dumps(state if remote and remote.demo_controls else for_viewers(state))))
        out.append(("role", dumps(self._role_message(device))))
        return out

    def _role_message(self, device: str) -> dict:
        remote = self.room.remotes.get(device)
        asking = next((p.code for p in self.room.pairings.values() if p.device == device), None)
        message = {"role": "remote" if remote else "viewer", "demo_controls": bool(remote and remote.demo_controls), "asking": asking}
        if remote:
            message["code"] = remote.code
            message["notes"] = self.deck.notes_of(self.room.follow.get("slide", 1) - 1)
        return message

    def tell_device(self, device: str | None) -> None:
        """A device's role changed (paired, denied, revoked): it is told, with the demos as it may now see them."""
        if device:
            for event, data in self.audience_state(device)[2:]:
                self.room.tell(device, event, data)
            self._room_changed()

    def set_follow(self, slide: int, fragment: int, **extra) -> None:
        """The presenter's page says where the deck is: every device follows; remotes get its notes."""
        follow = {"slide": slide, "fragment": fragment, **extra}
        if follow == self.room.follow:
            return
        self.room.follow = follow
        self.room.broadcast("follow", json.dumps(follow, separators=(",", ":")))
        notes = json.dumps({"slide": slide, "notes": self.deck.notes_of(slide - 1)}, separators=(",", ":"))
        self.room.broadcast("notes", notes, remotes_only=True)

    def demos_on_slide(self, slide: int) -> list[str]:
        return list(self.room.follow.get("demos") or []) if self.room.follow.get("slide") == slide else []

    def _room_changed(self) -> None:
        """The presenter view's room panel, at most a few times a second (a room filling up is one update)."""
        if self._room_soon:
            return
        self._room_soon = True

        def publish() -> None:
            self._room_soon = False
            self.hub.publish("room", self.room.listing(), topic="room")

        asyncio.get_running_loop().call_later(0.25, publish)

    async def start_worker(self, name: str, role: str) -> WorkerProc:
        from demos.common.live import live_task_queue

        self.workers.address = self.temporal.state.address
        self.workers.namespace = self.temporal.state.namespace
        worker = self.workers.start(name, role, live_task_queue(name))
        await self.workers.wait_ready(worker)
        return worker

    async def ensure_workers(self, name: str) -> None:
        """The demo's start roles each have a live process (started now if missing)."""
        if not self._with_temporal or self.temporal.state.state != "up":
            return
        async with self._worker_locks.setdefault(name, asyncio.Lock()):
            running = self.workers.status(name)
            missing = [role for role in self.live.start_roles(name) if role not in running and not self._chosen_role(name, role, running)]
            await asyncio.gather(*(self._start_in_a_slot(name, role) for role in missing))

    async def _start_in_a_slot(self, name: str, role: str) -> WorkerProc:
        async with self._start_slots:
            return await self.start_worker(name, role)

    def _chosen_role(self, name: str, role: str, running: dict) -> bool:
        """A deploy swapped this role for its successor: do not bring the old one back."""
        deploy = self.live.capabilities(name).get("deploy") or []
        return len(deploy) == 2 and role == deploy[0] and deploy[1] in running

    async def _keep_workers(self) -> None:
        """Once Temporal answers, every demo's workers run; a worker that dies on its own comes back.
        One the presenter killed stays dead until they start one."""
        announced = False
        while True:
            if self.temporal.state.state == "up":
                names = [n for n in self.demo_names() + share_mode_workers(self) if self.live.module(n) is not None]
                killed = self.workers.killed_demos()
                for dead in self.workers.crashed():
                    self._out(f"present: worker {dead.demo}/{dead.role} pid {dead.proc.pid} exited; restarting it")
                try:
                    await asyncio.gather(*(self.ensure_workers(n) for n in names if n not in killed))
                except RuntimeError as err:
                    self._out(f"present: {err}")
                if not announced:
                    count = len(self.workers.all_pids())
                    self._out(f"present: workers         {count} processes up ({', '.join(names)})")
                    announced = True
            await asyncio.sleep(1.0)


class Share:
    """`build.py present --share`: the audience follows on its own devices (room.py)."""

    def __init__(self, bind: str = "0.0.0.0", max_devices: int = DEFAULT_MAX_DEVICES):
        self.bind = bind
        self.max_devices = max_devices


def _quiet_sdk_core() -> None:
    """The SDK core's retry warnings while Temporal restarts would fill the presenter's terminal;
    the session says it in one line (Temporal DOWN ... up at ...)."""
    from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

    quiet = TelemetryConfig(logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR")))
    Runtime.set_default(Runtime(telemetry=quiet), error_if_already_set=False)


def _first(pids: list[int]) -> int | None:
    return pids[0] if pids else None


def _renderer_alive(renderer) -> bool:
    """The Node process and the Chromium it drives: a renderer without its browser is dead too."""
    return renderer.alive() and all(proctree.alive(pid) for pid in renderer.pids)


def _close_renderer(renderer) -> None:
    tree = proctree.tree_of(list(renderer.pids))  # before stopping it reparents the tail
    renderer.close()
    proctree.reap(tree)


def run_present(cfg: Config, deck_name: str, port: int, *, with_temporal: bool = True, share: Share | None = None) -> int:
    """`build.py present`: returns the exit code once Ctrl-C (or SIGTERM) has stopped everything."""
    session = PresentSession(cfg, deck_name, port, with_temporal=with_temporal, out=lambda line: print(line, flush=True), share=share)
    session.stacks_on_slow_stop = True
    proctree.adopt_orphans()  # a child's orphaned children come back to us to be waited for, not to PID 1
    try:
        return run_bounded(session.run(), out=lambda line: print(line, flush=True))
    except BuildError as err:
        print(f"error: {err.message}", file=sys.stderr)
        return int(err.exit_code)
