"""A long-lived Marp (deckbuild/node/marp_server.cjs): marp-cli's full page and marp-core's slides
in tens of milliseconds warm, against about a second for a fresh `marp` process (Node start-up and
module loading on every save). The build asks one, once, what the deck's directives are."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

from deckbuild.config import Config
from deckbuild.errors import BuildError, ExitCode
from deckbuild.export import ENGINE, MARP_OPTIONS
from deckbuild.present import proctree
from deckbuild.tools import MARP, node_tool

SCRIPT = Path(__file__).resolve().parent.parent / "node" / "marp_server.cjs"


class WarmMarp:
    """Owner of one marp_server.cjs process. `convert()` is thread-safe (one request at a time)."""

    def __init__(self, cfg: Config, log_path: Path):
        tool = node_tool(cfg, MARP)  # clear error when node or marp-cli is missing
        self._cfg = cfg
        self._lock = threading.Lock()
        self._next_id = 1
        read_fd, write_fd = os.pipe()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._proc = proctree.spawn(
            [tool.argv[0], str(SCRIPT), str(cfg.node_modules / MARP), str(write_fd)],
            log_path=log_path, stdin=subprocess.PIPE, pass_fds=(write_fd,), cwd=cfg.root,
            env=dict(cfg.env, PUPPETEER_SKIP_DOWNLOAD="1"),
        )
        os.close(write_fd)
        self._replies = os.fdopen(read_fd, "r")
        self._log_path = log_path
        self._expect(0)

    def _expect(self, request_id: int) -> dict:
        line = self._replies.readline()
        if not line:
            tail = self._log_path.read_text(errors="replace")[-800:] if self._log_path.exists() else ""
            raise BuildError(f"the warm marp-cli process exited unexpectedly:\n  {tail.strip()}", ExitCode.TOOL_FAILED)
        reply = json.loads(line)
        if reply.get("id") != request_id:
            raise BuildError(f"warm marp-cli answered request {reply.get('id')} instead of {request_id}", ExitCode.TOOL_FAILED)
        return reply

    def convert(self, markdown_path: Path, output_path: Path, theme_paths: list[Path]) -> float:
        """Markdown -> bespoke HTML (the same options as the exported deck). Returns marp's ms."""
        argv = ["--no-config-file", "--engine", str(ENGINE), "--theme-set", *map(str, theme_paths), *MARP_OPTIONS["html"], "--output", str(output_path),
                str(markdown_path)]
        return self._request({"argv": argv}, output_path)

    def deck(self, markdown_path: Path, output_path: Path, theme_paths: list[Path], *, css: bool = True, front_matter: str | None = None) -> dict:
        """The whole deck by marp-core alone (a save's hot path, tens of ms warm): each slide's HTML,
        the CSS (packed again only when what shapes it changed), the notes, and what marp read:
        `globals` (global directives), `asked` (themes asked for), `themes` (those it has), `lines`
        (where each slide starts), `front_matter` (Marp's reading of `front_matter`, when given)."""
        request = {"markdown_path": str(markdown_path), "output_path": str(output_path), "theme_paths": list(map(str, theme_paths)),
                   "css": css, "front_matter": front_matter}
        self._request({"deck": request}, output_path)
        return json.loads(output_path.read_text())

    def _request(self, body: dict, output_path: Path) -> float:
        output_path.unlink(missing_ok=True)
        with self._lock:
            request_id = self._next_id
            self._next_id += 1
            if self._proc.stdin is None or self._proc.poll() is not None:
                raise BuildError("the warm marp-cli process is not running", ExitCode.TOOL_FAILED)
            self._proc.stdin.write(json.dumps({"id": request_id, **body}).encode() + b"\n")
            self._proc.stdin.flush()
            reply = self._expect(request_id)
        if reply["code"] != 0 or not output_path.is_file():
            tail = self._log_path.read_text(errors="replace").strip().splitlines()[-8:]
            raise BuildError("marp-cli failed (exit {}):\n  {}".format(reply["code"], "\n  ".join(tail)), ExitCode.TOOL_FAILED)
        return float(reply["ms"])

    def close(self) -> None:
        try:
            if self._proc.stdin:
                self._proc.stdin.close()  # EOF: the script finishes the queue and exits
            self._proc.wait(timeout=3)
        except (OSError, subprocess.TimeoutExpired):
            pass
        proctree.stop_tree(self._proc, grace_s=2)
        self._replies.close()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def alive(self) -> bool:
        return self._proc.poll() is None  # poll() also reaps it when it died

    def log_tail(self, lines: int = 8) -> str:
        text = self._log_path.read_text(errors="replace") if self._log_path.exists() else ""
        return "\n".join(text.strip().splitlines()[-lines:])
