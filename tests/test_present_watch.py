"""The watcher's debounce: a burst of saves (an editor's write-then-rename, a checkout) is one batch."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from deckbuild.present.watch import MAX_WAIT_S, SourceWatcher


async def test_a_burst_of_saves_is_one_rebuild(tmp_path: Path):
    slides = tmp_path / "slides"
    slides.mkdir()
    watcher = SourceWatcher([slides], asyncio.get_running_loop())
    watcher.start()
    try:
        await asyncio.sleep(0.2)  # inotify watches are in place
        for n in range(5):
            (slides / "03-a.md").write_text(f"## A {n}\n")
            (slides / f".03-a.md.{n}.swp").write_text("editor scratch")  # ignored
        (slides / "04-b.md").write_text("## B\n")
        batch = await asyncio.wait_for(watcher.next_batch(), 5)
        assert batch == {slides / "03-a.md", slides / "04-b.md"}
        # Nothing more is pending: the five saves did not queue five rebuilds.
        started = time.monotonic()
        try:
            extra = await asyncio.wait_for(watcher.next_batch(), 0.5)
        except asyncio.TimeoutError:
            extra = set()
        assert extra == set(), extra
        assert time.monotonic() - started >= 0.4
    finally:
        watcher.stop()


async def test_saving_that_never_stops_is_still_rebuilt_within_the_max_wait(tmp_path: Path):
    watcher = SourceWatcher([tmp_path], asyncio.get_running_loop())
    watcher.start()
    try:
        await asyncio.sleep(0.2)
        stop = asyncio.Event()

        async def keep_saving() -> None:
            n = 0
            while not stop.is_set():
                (tmp_path / "01-a.md").write_text(f"{n}\n")
                n += 1
                await asyncio.sleep(0.005)

        saver = asyncio.create_task(keep_saving())
        started = time.monotonic()
        batch = await asyncio.wait_for(watcher.next_batch(), 5)
        waited = time.monotonic() - started
        stop.set()
        await saver
        assert batch == {tmp_path / "01-a.md"}
        assert waited < MAX_WAIT_S + 1.0  # bounded, not starved by the stream of events
    finally:
        watcher.stop()
