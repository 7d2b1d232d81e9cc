"""The hash of a demo's source: what decides whether its capture is stale. Standard library only,
so the deck build can check captures without importing Temporal."""

from __future__ import annotations

import hashlib
from pathlib import Path

DEMOS_DIR = Path(__file__).resolve().parents[1]
# Present mode's live runs (live.py and its worker entry point) never run in a capture, so editing
# them must not make a capture stale.
NOT_IN_CAPTURE = {"live.py", "live_worker.py"}


class UnknownDemo(LookupError):
    pass


def demo_source_hash(name: str, *, demos_dir: Path = DEMOS_DIR) -> str:
    """sha256 over the demo package's .py files and demos/common/*.py, in path order.

    Relative paths are hashed with the contents, so renaming or moving a file changes the hash too.
    """
    package = demos_dir / name
    if not package.is_dir():
        raise UnknownDemo(f"there is no demo package at {package}")
    files = [p for p in [*package.rglob("*.py"), *(demos_dir / "common").glob("*.py")] if p.name not in NOT_IN_CAPTURE]
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.relative_to(demos_dir).as_posix()):
        digest.update(path.relative_to(demos_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def demo_input_files(name: str, *, demos_dir: Path = DEMOS_DIR) -> list[Path]:
    """Files a demo reads as input, declared in demos/<name>/inputs.txt (globs from the repo root)."""
    declared = demos_dir / name / "inputs.txt"
    if not declared.is_file():
        return []
    root = demos_dir.parent
    files: set[Path] = set()
    for line in declared.read_text().splitlines():
        pattern = line.split("#", 1)[0].strip()
        if pattern:
            files.update(p for p in root.glob(pattern) if p.is_file())
    return sorted(files)


def demo_inputs_hash(name: str, *, demos_dir: Path = DEMOS_DIR) -> str:
    """sha256 over the declared input files (path and content), in path order."""
    root = demos_dir.parent
    digest = hashlib.sha256()
    for path in demo_input_files(name, demos_dir=demos_dir):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
