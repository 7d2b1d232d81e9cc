"""One wrapper per external Node tool: find it, run it, and turn "not found" or a non-zero exit
into one clear BuildError. Versions are read from package.json (no process start) for cache keys."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from deckbuild.config import Config
from deckbuild.errors import BuildError, ExitCode, ToolFailed

MARP = "@marp-team/marp-cli"
MERMAID_CLI = "@mermaid-js/mermaid-cli"


@dataclass(frozen=True)
class NodeTool:
    package: str
    argv: tuple[str, ...]  # [node, path/to/bin.js]


def node_tool(cfg: Config, package: str) -> NodeTool:
    node = shutil.which("node", path=cfg.getenv("PATH") or "")
    if node is None:
        raise BuildError("Node.js (`node`) is not on PATH; install Node 20+ and run `npm ci`", ExitCode.MISSING_TOOL)
    manifest_path = cfg.node_modules / package / "package.json"
    if not manifest_path.is_file():
        raise BuildError(
            f"{package} is not installed in {cfg.node_modules}: run `npm ci` (or `make setup`) in {cfg.root}",
            ExitCode.MISSING_TOOL,
        )
    manifest = json.loads(manifest_path.read_text())
    bins = manifest.get("bin")
    script = bins if isinstance(bins, str) else next(iter(bins.values()))
    return NodeTool(package, (node, str(manifest_path.parent / script)))


def package_version(cfg: Config, package: str) -> str:
    """Version of an installed Node package (for cache keys); 'missing' when not installed."""
    manifest = cfg.node_modules / package / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.is_file() else "missing"


def run_tool(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run a tool to completion; non-zero exit -> BuildError(TOOL_FAILED) with the tool's own words."""
    try:
        proc = subprocess.run(list(argv), env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as err:
        raise BuildError(f"{name}: cannot run {argv[0]}: {err.strerror}", ExitCode.MISSING_TOOL) from None
    except subprocess.TimeoutExpired:
        raise BuildError(f"{name} did not finish within {timeout:.0f} s", ExitCode.TOOL_FAILED) from None
    if proc.returncode != 0:
        raise tool_failed(name, proc.returncode, proc.stderr or proc.stdout)
    return proc


def tool_failed(name: str, returncode: int, output: str) -> ToolFailed:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return ToolFailed(f"{name} failed (exit {returncode}):\n  " + "\n  ".join(lines[-12:]), output)
