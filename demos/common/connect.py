"""One way for every demo entry point to get a Temporal client.

- `TEMPORAL_ADDRESS` set: connect to that server. Settings come from the standard Temporal
  environment configuration (TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE
  and the TOML profile file), the same ones the `temporal` CLI reads, so a demo runs against
  Temporal Cloud or a self-hosted cluster without code changes.
- unset: start the embedded dev server (the real `temporal server start-dev` from the venv) with a
  SQLite file under `<repo>/.temporal/`, so past runs survive and can be inspected later.
  Standalone workers and starters (the two-terminal way) must share one server instead, so they ask
  for `embedded_fallback=False` and use localhost:7233, where `temporal server start-dev` listens.
"""

from __future__ import annotations

import os
import re
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Callable

from temporalio.client import Client
from temporalio.envconfig import ClientConfig

from demos.common.server import DemoError, dev_server

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_DB_PATH = REPO_ROOT / ".temporal" / "demos.sqlite"
LOCAL_DEV_SERVER_ADDRESS = "localhost:7233"


def _quiet(_: str) -> None:
    pass


async def connect_from_env_config(
    *, address: str | None = None, namespace: str | None = None, default_address: str | None = None
) -> Client:
    """Client.connect with the env/profile configuration, optionally overriding address and namespace.

    The overrides let a child process (a demo's worker) join exactly the server its parent uses
    while still picking up TLS and API-key settings from the shared environment.
    """
    try:
        config = ClientConfig.load_client_connect_config()
    except Exception as err:  # malformed TOML profile, unreadable TLS file, ...
        raise DemoError(f"the Temporal client configuration could not be loaded: {err}") from err
    if address:
        config["target_host"] = address
    elif default_address and not config.get("target_host"):
        config["target_host"] = default_address
    if namespace:
        config["namespace"] = namespace
    target = config.get("target_host")
    if not target:
        raise DemoError("no Temporal server address: set TEMPORAL_ADDRESS (host:port) or use a profile")
    try:
        return await Client.connect(**config)
    except RuntimeError as err:  # the Rust core reports connection failures as RuntimeError
        raise DemoError(f"cannot connect to the Temporal server at {target}: {_connect_error_reason(err)}") from err


@asynccontextmanager
async def connected_client(
    *, log: Callable[[str], None] = _quiet, embedded_fallback: bool = True
) -> AsyncIterator[Client]:
    """Yield a client to $TEMPORAL_ADDRESS, or else to an embedded dev server that is stopped on exit.

    embedded_fallback=False: without TEMPORAL_ADDRESS connect to localhost:7233 instead (a server the
    user started with `temporal server start-dev`), for processes that must meet on one server.
    """
    if os.environ.get("TEMPORAL_ADDRESS") or not embedded_fallback:
        client = await connect_from_env_config(default_address=LOCAL_DEV_SERVER_ADDRESS)
        log(f"connected to Temporal at {client_address(client)} (namespace {client.namespace})")
        yield client
        return
    log("TEMPORAL_ADDRESS is not set: starting an embedded Temporal dev server")
    async with dev_server(db_path=DEMO_DB_PATH) as server:
        log(f"dev server listening on {server.address} (namespace {server.namespace}, history in {DEMO_DB_PATH})")
        yield server.client


def client_address(client: Client) -> str:
    """host:port the client is connected to (what a worker subprocess needs to join it)."""
    return client.service_client.config.target_host


def _connect_error_reason(err: BaseException) -> str:
    """The useful part of a core connect error.

    The Rust core wraps the OS error in several layers
    (`... ConnectError("tcp connect error", ..., Os { ..., message: "Connection refused" })`):
    keep the OS message when there is one.
    """
    text = str(err).strip()
    os_message = re.search(r'message: "([^"]+)"', text)
    if os_message:
        return os_message.group(1)
    return text.splitlines()[0] if text else type(err).__name__
