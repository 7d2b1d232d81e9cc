"""The checks before present mode serves anything, printed as one short table: each problem named
with its fix. Only what stops the show blocks (the deck's port, marp-cli); the rest is reported."""

from __future__ import annotations

import os
from dataclasses import dataclass

from deckbuild import render
from deckbuild.browser import find_browser
from deckbuild.config import Config
from deckbuild.errors import BuildError
from deckbuild.present.temporal_owner import port_free
from deckbuild.tools import MARP, MERMAID_CLI, node_tool, package_version


@dataclass(frozen=True)
class Check:
    what: str
    ok: bool
    detail: str
    blocking: bool = False


def static_checks(cfg: Config, deck_name: str, port: int, *, with_temporal: bool = True) -> list[Check]:
    checks = []
    try:
        deck = render.load_deck(cfg, deck_name)
        files = f"{len(deck.slide_paths)} slide files" if len(deck.slide_paths) > 1 else f"{deck.slide_paths[0].name} (one Markdown file)"
        checks.append(Check("deck", True, f"slides/{deck_name}: {files}" + ("" if deck.manifest_path else ", no deck.toml")))
    except BuildError as err:
        checks.append(Check("deck", False, err.message, blocking=True))
    checks.append(Check("port", port_free(port), f"127.0.0.1:{port} free" if port_free(port)
                        else f"127.0.0.1:{port} is in use: stop what holds it, or pass --port N (make present PORT=N)", blocking=True))
    try:
        node_tool(cfg, MARP)
        checks.append(Check("marp-cli", True, package_version(cfg, MARP)))
    except BuildError as err:
        checks.append(Check("marp-cli", False, err.message, blocking=True))
    mermaid = package_version(cfg, MERMAID_CLI)
    checks.append(Check("mermaid-cli", mermaid != "missing", mermaid if mermaid != "missing" else "not installed: run `npm ci` (make setup); cached diagrams still show"))
    try:
        checks.append(Check("browser", True, find_browser(cfg.browser, dict(cfg.env))))
    except BuildError as err:
        checks.append(Check("browser", False, err.message + " (needed only to render changed diagrams)"))
    if with_temporal:
        checks.append(_temporal_check(cfg))
        checks.append(Check("workers", True, "the workers of the demos the deck shows start once Temporal answers (state shown on the slides)"))
    return checks


def _temporal_check(cfg: Config) -> Check:
    address = cfg.getenv("TEMPORAL_ADDRESS")
    if address:
        return Check("temporal", True, f"TEMPORAL_ADDRESS={address}: connecting behind the first slide, if the deck shows a demo")
    from demos.common.server import DemoError, temporal_cli_path

    try:
        cli = temporal_cli_path()
    except DemoError as err:
        return Check("temporal", False, f"{err}; slides will show their captured runs")
    state = "ports 7233/8233" if port_free(7233) and port_free(8233) else "free ports (7233 or 8233 is taken)"
    return Check("temporal", True, f"dev server {os.path.relpath(cli, cfg.root)}, started behind the first slide on {state} if the deck shows a demo")


def table(checks: list[Check]) -> str:
    width = max(len(c.what) for c in checks)
    lines = ["preflight:"]
    for c in checks:
        mark = "ok  " if c.ok else ("FAIL" if c.blocking else "warn")
        lines.append(f"  {c.what:<{width}}  {mark}  {c.detail}")
    return "\n".join(lines)
