"""Flood limits that hold at the wire: PTB's AIORateLimiter plus exact sliding windows.

AIORateLimiter's leaky buckets allow a burst on top of the rate (up to 60 messages in one
second with its defaults), and its per-group bucket is passed before the overall one, so a
queue at the overall limit bunches a group's messages together (we measured 25 in a minute).
The windows here admit a request right before its HTTP call only while fewer than the limit
are in flight or were answered within the window, which bounds what Telegram can see in any
window whatever the network delays; AIORateLimiter's retry-after handling stays around it.
Chat actions ("typing…") are not messages and bypass the limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

JSONDict = dict[str, Any]
Clock = Callable[[], float]


def _group_key(chat_id: object) -> int | str | None:
    """Groups and channels have negative ids (or @usernames); private chats are positive."""
    if isinstance(chat_id, str):
        with contextlib.suppress(ValueError):
            chat_id = int(chat_id)
    if isinstance(chat_id, str):
        return chat_id
    if isinstance(chat_id, int) and chat_id < 0:
        return chat_id
    return None


class _Window:
    """Requests of the last `length` seconds: a request counts from when it is admitted until
    `length` after its response, so wherever in between it reached Telegram, no window of
    that length at Telegram's end can hold more than `limit` of them."""

    def __init__(self, limit: int, length: float) -> None:
        self.limit = limit
        self.length = length
        self.in_flight = 0
        self.done: deque[float] = deque()
        self.lock = asyncio.Lock()
        self.changed = asyncio.Event()

    def _delay(self, now: float) -> float | None:
        """0 when there is room; else seconds to wait, or None to wait for a response."""
        while self.done and self.done[0] <= now - self.length:
            self.done.popleft()
        if self.in_flight + len(self.done) < self.limit:
            return 0.0
        return self.done[0] + self.length - now if self.done else None

    async def reserve(self, clock: Clock) -> None:
        while True:
            wait = self._delay(clock())
            if wait == 0.0:
                self.in_flight += 1
                return
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), wait)

    def release(self, now: float) -> None:
        self.in_flight -= 1
        self.done.append(now)
        self.changed.set()


class SlidingWindows:
    """At most `per_second` requests in any second, and `per_group_minute` to one group in
    any minute. Waiters queue first come, first served; a group's queue holds back only that
    group's messages."""

    def __init__(
        self,
        per_second: int,
        per_group_minute: int,
        *,
        group_period: float = 60.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.per_group_minute = per_group_minute
        self.group_period = group_period
        self.clock = clock
        self.overall = _Window(per_second, 1.0)
        self.groups: dict[int | str, _Window] = {}

    async def admit(self, chat_id: object) -> None:
        """Return once a request to `chat_id` may go out; call `release` after its response."""
        key = _group_key(chat_id)
        if key is None:
            async with self.overall.lock:
                await self.overall.reserve(self.clock)
            return
        group = self.groups.setdefault(key, _Window(self.per_group_minute, self.group_period))
        async with group.lock:
            await group.reserve(self.clock)
            async with self.overall.lock:
                await self.overall.reserve(self.clock)

    def release(self, chat_id: object) -> None:
        now = self.clock()
        self.overall.release(now)
        key = _group_key(chat_id)
        if key is not None:
            self.groups[key].release(now)


class FloodLimiter(AIORateLimiter):
    """AIORateLimiter (retries on 429 retry_after) whose requests also pass SlidingWindows."""

    def __init__(self, per_second: int, per_group_minute: int, max_retries: int) -> None:
        super().__init__(
            overall_max_rate=per_second,
            group_max_rate=per_group_minute,
            max_retries=max_retries,
        )
        self.windows = SlidingWindows(per_second, per_group_minute)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        chat_id = data.get("chat_id")
        if endpoint == "sendChatAction":
            return await callback(*args, **kwargs)  # not a message; failures are ignored
        if chat_id is None:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )

        async def admitted(*a: Any, **kw: Any) -> bool | JSONDict | list[JSONDict]:
            await self.windows.admit(chat_id)
            try:
                return await callback(*a, **kw)
            finally:
                self.windows.release(chat_id)

        return await super().process_request(
            admitted, args, kwargs, endpoint, data, rate_limit_args
        )
