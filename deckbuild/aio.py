"""asyncio, as the present session needs it."""

from __future__ import annotations

import asyncio
from typing import Awaitable, TypeVar

T = TypeVar("T")


async def within(awaitable: Awaitable[T], timeout: float | None) -> T:
    """`asyncio.wait_for` without its Python 3.11 flaw: when the awaited thing finishes in the same
    moment its caller is cancelled, 3.11's wait_for returns the result and the cancellation is lost,
    so a `while True` loop meant to end on cancel runs on (a present session with a busy room did not
    stop on Ctrl-C). `asyncio.timeout` keeps the cancellation. Raises TimeoutError (which is
    asyncio.TimeoutError) after `timeout` seconds; None waits as long as it takes."""
    async with asyncio.timeout(timeout):
        return await awaitable
