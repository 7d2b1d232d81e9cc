"""One small error type for everything the user can fix; the CLI prints it without a traceback."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    OK = 0
    SOURCE = 2  # a mistake in the slides, deck.toml or a diagram
    MISSING_TOOL = 3  # browser, Node packages, node itself
    TOOL_FAILED = 4  # marp-cli / mermaid-cli ran and failed
    DEMO_FAILED = 5


class BuildError(Exception):
    """A failure with a one-line (or few-line) message meant for the user, and an exit code."""

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.SOURCE):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def source_error(path: Path, line: int | None, what: str, root: Path | None = None) -> BuildError:
    """`file:line: what is wrong`, with the path relative to the project when possible."""
    shown = path
    if root is not None:
        try:
            shown = path.resolve().relative_to(root.resolve())
        except ValueError:
            pass
    where = f"{shown}:{line}" if line else f"{shown}"
    return BuildError(f"{where}: {what}", ExitCode.SOURCE)


class ToolFailed(BuildError):
    """An external tool exited non-zero; `output` keeps everything it printed for closer reading."""

    def __init__(self, message: str, output: str):
        super().__init__(message, ExitCode.TOOL_FAILED)
        self.output = output
