"""A real `build.py present` process for the tests and the benchmark: started on a copy of the
project, observed through its own status endpoint, stopped with SIGINT (what Ctrl-C sends)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from deckbuild.present.proctree import alive, descendants
from deckbuild.present.stopping import read_report
from deckbuild.present.temporal_owner import port_free
from tests.conftest import REPO, copy_project


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Nothing listens there any more (TIME_WAIT leftovers of closed connections do not count)."""
    return port_free(port)


class PresentProcess:
    def __init__(self, root: Path, *, temporal: bool = True, port: int | None = None, env: dict[str, str] | None = None,
                 share: bool = False, extra_args: tuple[str, ...] = ()):
        self.root = root
        self.share = share
        self.extra_args = extra_args
        self.port = port or free_port()
        self.log_path = root / "present.log"
        self.temporal = temporal
        self.env = env if env is not None else dict(os.environ)
        self.proc: subprocess.Popen | None = None
        self.seen_pids: set[int] = set()

    @classmethod
    def on_copy(cls, dest: Path, **kwargs) -> PresentProcess:
        root = copy_project(dest)
        shutil.copytree(REPO / "demos", root / "demos", ignore=shutil.ignore_patterns("__pycache__"))
        return cls(root, **kwargs)

    @classmethod
    def on_built(cls, built: Path, dest: Path, **kwargs) -> PresentProcess:
        """A copy of a project that was built before (its build/ caches kept, as on a presenter's
        laptop after `make deck`): the session's first build reuses its diagrams and captures."""
        shutil.copytree(built, dest, ignore=shutil.ignore_patterns("present.log"))
        shutil.copytree(REPO / "demos", dest / "demos", ignore=shutil.ignore_patterns("__pycache__"))
        return cls(dest, **kwargs)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout_s: float = 60) -> PresentProcess:
        self._token = None  # a new session, a new token
        argv = [sys.executable, str(REPO / "build.py"), "present", "--root", str(self.root), "--demos-dir", str(self.root / "demos"),
                "--port", str(self.port)]
        if not self.temporal:
            argv.append("--no-temporal")
        if self.share:
            argv.append("--share")
        argv += list(self.extra_args)
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(argv, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.wait_for(lambda: "present: deck" in self.output(), timeout_s, "the deck URL to be printed")
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for(self, condition, timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"present exited with {self.proc.returncode} while waiting for {what}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}:\n{self.output()[-3000:]}")
            time.sleep(0.1)

    @property
    def presenter_key(self) -> str:
        """Share mode: the key in the deck URL the terminal printed (only the laptop has it)."""
        return re.search(r"present: deck +http://127\.0\.0\.1:\d+/\?key=([\w-]+)", self.output()).group(1)

    @property
    def room_path(self) -> str:
        """Share mode: /r/<room>, from the audience URL the terminal printed."""
        return re.search(r"present: audience +http://[^/]+(/r/[\w-]+)", self.output()).group(1)

    @property
    def token(self) -> str:
        """The session token, as the served page carries it (what a browser on the deck has)."""
        if not getattr(self, "_token", None):
            request = urllib.request.Request(self.url, headers={"Cookie": f"present_key={self.presenter_key}"} if self.share else {})
            with urllib.request.urlopen(request, timeout=5) as response:
                page = response.read().decode()
            self._token = re.search(r'<meta name="present-token" content="([^"]+)">', page).group(1)
        return self._token

    def slide_of_demo(self, demo: str) -> int:
        """The 1-based number of the first slide with that demo's panel, read from the served page."""
        request = urllib.request.Request(self.url, headers={"Cookie": f"present_key={self.presenter_key}"} if self.share else {})
        with urllib.request.urlopen(request, timeout=10) as response:
            page = response.read().decode()
        slides = page.split("<svg data-marpit-svg")[1:]
        return next(i for i, slide in enumerate(slides, 1) if f'data-demo="{demo}"' in slide)

    def status(self) -> dict:
        headers = {"X-Present-Token": self.token, **({"Cookie": f"present_key={self.presenter_key}"} if self.share else {})}
        request = urllib.request.Request(f"{self.url}__present/status", headers=headers)
        with urllib.request.urlopen(request, timeout=5) as response:
            status = json.loads(response.read())
        self._remember_pids(status)
        return status

    def _remember_pids(self, status: dict) -> None:
        pids = status["pids"]
        for pid in [pids.get("marp"), pids.get("temporal"), *pids.get("workers", []), *pids.get("diagrams", [])]:
            if pid:
                self.seen_pids.add(pid)
                self.seen_pids.update(descendants(pid))
        if self.proc:
            self.seen_pids.update(descendants(self.proc.pid))

    def wait_until_ready(self, timeout_s: float = 90) -> dict:
        """Temporal up and every live demo's workers polling."""

        def ready() -> bool:
            status = self.status()
            return status["temporal"]["state"] == "up" and "workers" in self.output() and all(
                all(w["ready"] for ws in roles.values() for w in ws) and roles for name, roles in status["workers"].items() if name in LIVE_DEMOS
            )

        self.wait_for(ready, timeout_s, "Temporal and the demo workers")
        return self.status()

    def stop(self, timeout_s: float = 40) -> int:
        """Ctrl-C, then wait; returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            try:
                self.status()  # last look at the tree before it goes
            except OSError:
                pass
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                stopping = read_report(self.root / "build" / ".present" / "logs")  # its stages, and its threads' stacks after 20 s
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"present did not stop within {timeout_s} s:\n{self.output()[-800:]}\n{stopping}")
        return self.proc.returncode

    def leftovers(self) -> list[str]:
        """Processes of the session's tree still alive, with their command lines."""
        left = []
        for pid in sorted(self.seen_pids):
            if alive(pid):
                try:
                    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:120]
                except OSError:
                    continue
                left.append(f"{pid} {cmd}")
        return left


LIVE_DEMOS = tuple(sorted(p.parent.name for p in (REPO / "demos").glob("*/live.py")))
