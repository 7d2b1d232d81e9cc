"""Server-sent events to every open page (audience view, presenter view): one queue per page.

What a page must know on connect (the deck version, a build error, Temporal's state, each demo's live
run) is kept as the latest value per topic and replayed first, so a reloaded page misses nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any


CLOSED = ("", "")  # the message that ends a stream


class Hub:
    def __init__(self) -> None:
        self._pages: set[asyncio.Queue[tuple[str, str]]] = set()
        self._latest: dict[str, tuple[str, str]] = {}  # topic -> (event, data)
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def publish(self, event: str, data: Any, *, topic: str | None = None) -> None:
        """Send to every page; with a topic, also remember it for pages that connect later.
        Safe to call from any thread."""
        message = (event, json.dumps(data, separators=(",", ":")))
        if self._loop is not None and not _in_loop(self._loop):
            self._loop.call_soon_threadsafe(self._deliver, message, topic)
        else:
            self._deliver(message, topic)

    def _deliver(self, message: tuple[str, str], topic: str | None) -> None:
        if topic is not None:
            self._latest[topic] = message
        for queue in self._pages:
            queue.put_nowait(message)

    def close(self) -> None:
        """End every page's stream (shutdown): a browser left open must not hold the server up."""
        for queue in self._pages:
            queue.put_nowait(CLOSED)

    def subscribe(self) -> asyncio.Queue[tuple[str, str]]:
        queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        for message in self._latest.values():
            queue.put_nowait(message)
        self._pages.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[tuple[str, str]]) -> None:
        self._pages.discard(queue)

    def latest(self, topic: str) -> Any:
        found = self._latest.get(topic)
        return json.loads(found[1]) if found else None

    @property
    def page_count(self) -> int:
        return len(self._pages)


def _in_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
