"""`python -m demos.<name>` as a user runs it: a real subprocess against a real server."""

from __future__ import annotations

import os
import subprocess
import sys

from demos.common.capture import DEMOS_DIR
from demos.common.cli import format_event_table, run_demo_main

REPO_ROOT = DEMOS_DIR.parent


def _run_module(module: str, address: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "TEMPORAL_ADDRESS": address}
    return subprocess.run(
        [sys.executable, "-m", module], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_retries_demo_runs_against_the_given_server(server):
    done = _run_module("demos.retries", server.address)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"connected to Temporal at {server.address}" in out
    # The live narration, in order, with the server's own backoff.
    for wait, attempt in (("1s", 1), ("2s", 2), ("4s", 3)):
        assert f"charge_card attempt {attempt} failed: gateway 503" in out
        assert f"-> server retries in {wait} (attempt {attempt + 1} of 6)" in out
    assert "card charged 49.99 after 4 attempts" in out
    assert 'result: {"order_id": "order-' in out
    assert "WorkflowExecutionCompleted  completed" in out
    assert "Traceback" not in out + done.stderr  # the SDK's per-attempt warnings are one-liners
    assert "warning: Completing activity as failed [charge_card attempt 3]" in done.stderr


def test_unreachable_server_is_one_clear_line(tmp_path):
    done = _run_module("demos.retries", "127.0.0.1:1", timeout=30)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == ["error: cannot connect to the Temporal server at 127.0.0.1:1: Connection refused"]


def test_unknown_demo_is_reported_before_connecting(capsys, monkeypatch):
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")  # would fail differently if it connected first
    assert run_demo_main("no_such_demo") == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: there is no demo named 'no_such_demo'")


def test_event_table_aligns_and_truncates():
    events = [
        {"id": 1, "type": "WorkflowExecutionStarted", "t_ms": 0, "detail": "W on q"},
        {"id": 12, "type": "ActivityTaskStarted", "t_ms": 7178, "detail": "x" * 200},
    ]
    table = format_event_table(events, detail_width=20).splitlines()
    assert table[0].split() == ["id", "t+ms", "event", "detail"]
    assert table[1] == "   1        0  WorkflowExecutionStarted  W on q"
    assert table[2].endswith("x" * 19 + "…") and table[2].startswith("  12     7178  ActivityTaskStarted ")
