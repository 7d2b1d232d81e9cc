"""Server-sent events as the benches read them: one `event:` line, then its `data:` line (the
session sends each message as exactly those two lines)."""

from __future__ import annotations

import json
from typing import Any


class SseReader:
    """Feed it the stream's raw lines; it answers (event, data as JSON) when a message is complete."""

    def __init__(self) -> None:
        self._event: str | None = None

    def feed(self, raw: bytes) -> tuple[str, Any] | None:
        line = raw.decode().rstrip("\n")
        if line.startswith("event:"):
            self._event = line[6:].strip()
        elif line.startswith("data:") and self._event is not None:
            return self._event, json.loads(line[5:])
        return None
