"""Job locks: which instance runs a periodic job (feed polling, the briefing sweep).

On SQLite one process runs the bot, so the lock is always its own. On PostgreSQL it is a
session advisory lock held by a connection of its own: when the instance dies its
connection closes, the lock is released, and the next instance to try takes the job over.
"""

from __future__ import annotations

from typing import Protocol


class JobLock(Protocol):
    name: str

    def try_hold(self) -> bool:
        """True when this instance holds (or just took) the lock; never blocks for long."""
        ...

    def release(self) -> None: ...


class LocalLock:
    """The single-process lock of an SQLite store."""

    def __init__(self, name: str) -> None:
        self.name = name

    def try_hold(self) -> bool:
        return True

    def release(self) -> None:
        pass
