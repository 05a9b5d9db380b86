"""Per-user limits: one question in flight, and at most N questions per sliding window."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

BUSY = "I'm still working on your last question — one moment, please."


class QuestionGate:
    """Busy flags and a sliding-window rate limit, keyed by user id (in memory)."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._busy: set[int] = set()
        self._asked: dict[int, deque[float]] = {}

    def begin(self, user_id: int) -> bool:
        """Mark the user busy; False when a question of theirs is already in flight."""
        if user_id in self._busy:
            return False
        self._busy.add(user_id)
        return True

    def end(self, user_id: int) -> None:
        self._busy.discard(user_id)

    def allow(self, user_id: int) -> bool:
        """Count one question; False (and not counted) when over the limit."""
        now = self.clock()
        times = self._asked.setdefault(user_id, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True

    def retry_in(self, user_id: int) -> float:
        """Seconds until the user may ask again."""
        times = self._asked.get(user_id)
        if not times:
            return 0.0
        return max(0.0, self.window - (self.clock() - times[0]))

    def admit(self, user_id: int, *, exempt: bool = False) -> str | None:
        """Start a request: None when it may go ahead (call `end` when done), else the
        reply that turns it away (busy, or over the rate limit unless `exempt`)."""
        if not self.begin(user_id):
            return BUSY
        if not exempt and not self.allow(user_id):
            self.end(user_id)
            wait = max(1, round(self.retry_in(user_id)))
            return f"You're asking faster than I can keep up — please try again in {wait} s."
        return None
