"""The watcher: watchdog callbacks only record which paths changed (mkdocs' livereload rule); the
session's one rebuild loop takes them as a batch once saving has gone quiet, so a burst of saves
(an editor's write-and-rename, a `git checkout`) is one rebuild."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from deckbuild.aio import within

QUIET_S = 0.02  # a save is done when nothing changed for this long ...
MAX_WAIT_S = 0.3  # ... or this long after its first event, whatever keeps changing
IGNORED_SUFFIXES = (".pyc", ".swp", ".swx", ".tmp", "~")
IGNORED_PARTS = {"__pycache__", ".git"}


class SourceWatcher(FileSystemEventHandler):
    def __init__(self, folders: list[Path], loop: asyncio.AbstractEventLoop):
        self._folders = [f for f in folders if f.is_dir()]
        self._loop = loop
        self._changed = asyncio.Event()
        self._pending: set[Path] = set()
        self._lock = threading.Lock()
        self._observer = Observer()

    def start(self) -> None:
        for folder in self._folders:
            self._observer.schedule(self, str(folder), recursive=True)
        self._observer.start()

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=5)

    def on_any_event(self, event: FileSystemEvent) -> None:  # watchdog's thread: record, nothing more
        if event.is_directory or event.event_type in ("opened", "closed_no_write"):
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        for raw in filter(None, paths):
            path = Path(raw if isinstance(raw, str) else raw.decode())
            if path.name.endswith(IGNORED_SUFFIXES) or path.name.startswith((".#", ".")) or IGNORED_PARTS & set(path.parts):
                continue
            with self._lock:
                self._pending.add(path)
            self._loop.call_soon_threadsafe(self._changed.set)

    async def next_batch(self) -> set[Path]:
        """Wait for a change, then for saving to go quiet; return every path changed meanwhile."""
        await self._changed.wait()
        first = time.monotonic()
        while time.monotonic() - first < MAX_WAIT_S:
            self._changed.clear()
            try:
                await within(self._changed.wait(), QUIET_S)
            except asyncio.TimeoutError:
                break
        self._changed.clear()
        with self._lock:
            batch, self._pending = self._pending, set()
        return batch
