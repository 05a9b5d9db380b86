"""The running bot's heartbeat: its counters and identity, stored for `doctor` and health."""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any

from bot import __version__
from bot.engine import Engine
from bot.store.timefmt import to_db, utcnow


def instance_name(configured: str | None) -> str:
    return configured or socket.gethostname()


class Heartbeat:
    def __init__(self, engine: Engine, mode: str) -> None:
        self.engine = engine
        self.name = instance_name(engine.settings.ops.instance_name)
        self.mode = mode
        self.started_at = utcnow()
        self.instances = engine.store.instances

    def state(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "pid": os.getpid(),
            "version": __version__,
            "started_at": to_db(self.started_at),
            "counters": self.engine.metrics.snapshot(),
        }

    def beat(self, now: datetime | None = None) -> None:
        self.instances.beat(self.name, self.state(), now or utcnow())
