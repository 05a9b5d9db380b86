"""A circuit breaker for the LLM endpoint: after N failures in a row it stops calling for a
while, so answers fall back at once instead of each waiting out timeouts and retries.

Closed → (N failures) → open for `cooldown` seconds → half-open: one trial call; its success
closes the circuit, its failure opens it again. Only signs that the endpoint is down count as
failures (timeouts, refused connections, 429, 5xx); a 400 or an unparsable reply means the
server answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(
        self, failures: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = failures
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self._trial = False

    @property
    def enabled(self) -> bool:
        return self.threshold > 0

    def is_open(self) -> bool:
        """True while calls are being skipped (open, or half-open with its trial under way)."""
        if self.opened_at is None:
            return False
        return self._trial or self.clock() - self.opened_at < self.cooldown

    def allow(self) -> bool:
        """May a call go out now? In half-open state the first caller gets the trial."""
        if self.opened_at is None:
            return True
        if self.is_open():
            return False
        self._trial = True
        return True

    def succeeded(self) -> None:
        self.failures = 0
        self.opened_at = None
        self._trial = False

    def failed(self) -> None:
        self.failures += 1
        self._trial = False
        if self.enabled and (self.opened_at is not None or self.failures >= self.threshold):
            self.opened_at = self.clock()

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "open" if self.is_open() else "half_open"
