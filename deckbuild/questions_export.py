"""`build.py questions --deck talk`: after the talk, the room's questions as Markdown for the follow-up
post (demos/questions/markdown.py), read from the talk's board in Temporal.

Where the board is: $TEMPORAL_ADDRESS (or --address) when given, else present mode's own dev
server database (.temporal/present.sqlite): through its dev server when `make present` still runs,
else opened with a dev server of its own on loopback for the time of the export. A board that is still open is read by query, so a worker of the board runs in
this process meanwhile; a closed one is its workflow's result (no worker needed).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from deckbuild.config import Config
from deckbuild.errors import BuildError, ExitCode
from deckbuild.fsutil import atomic_write_text


def export_questions(cfg: Config, deck: str, *, out: str | None, address: str | None) -> int:
    """Writes build/<deck>-questions.md (or `out`; "-" prints it) and says where; 0 when written."""
    from demos.common.server import DemoError
    from demos.questions.client import BoardUnreadable

    try:
        markdown, count = asyncio.run(_read(cfg, deck, address))
    except (DemoError, BoardUnreadable) as err:
        raise BuildError(f"questions: {err}", ExitCode.TOOL_FAILED) from None
    if out == "-":
        sys.stdout.write(markdown)
        return 0
    path = Path(out) if out else cfg.build_dir / f"{deck}-questions.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, markdown)
    print(f"questions: {count} question{'s' * (count != 1)} of the {deck!r} talk written to {path}")
    return 0


async def _read(cfg: Config, deck: str, address: str | None) -> tuple[str, int]:
    from demos.common.connect import connect_from_env_config
    from demos.common.server import dev_server

    if address or os.environ.get("TEMPORAL_ADDRESS"):
        return await _from(await connect_from_env_config(address=address), deck)
    db = cfg.root / ".temporal" / "present.sqlite"
    if not db.is_file():
        raise BuildError(f"questions: no board to read: {db} does not exist (run `make present SHARE=1` first, "
                         "or pass --address HOST:PORT of the Temporal server that has it)")
    running = _dev_server_on(db)
    if running:  # `make present` is still up: ask its server (a second server on one database could corrupt it)
        return await _from(await connect_from_env_config(address=running, namespace="default"), deck)
    async with dev_server(db_path=db) as server:
        return await _from(server.client, deck)


def _dev_server_on(db: Path) -> str | None:
    """host:port of a running `temporal server start-dev` on this database, read from `ps` (Linux and
    macOS alike), or None."""
    import shlex
    import subprocess

    try:
        listing = subprocess.run(["ps", "-ax", "-o", "args="], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in listing.splitlines():
        if "start-dev" not in line or str(db) not in line:
            continue
        try:
            argv = shlex.split(line)
        except ValueError:
            continue
        option = lambda name, default: argv[argv.index(name) + 1] if name in argv[:-1] else default  # noqa: E731
        return f"{option('--ip', '127.0.0.1')}:{option('--port', '7233')}"
    return None


async def _from(client, deck: str) -> tuple[str, int]:
    from demos.common.live import live_task_queue
    from demos.questions.client import final_board
    from demos.questions.markdown import to_markdown
    from demos.questions.model import HIDDEN, board_id
    from demos.questions.worker import build_worker

    async with build_worker(client, live_task_queue("questions")):  # an open board answers its query through this one
        board = await final_board(client, board_id(deck), wait_s=10.0)
    if board is None:
        raise BuildError(f"questions: there is no question board for the {deck!r} talk on this Temporal server "
                         f"(workflow id {board_id(deck)!r}: it opens in `make present SHARE=1`)")
    return to_markdown(board, title=deck), sum(q.state != HIDDEN for q in board.questions)
