"""SQLite storage: connection, schema migrations and repositories."""

from bot.store.db import Database, StoreError

__all__ = ["Database", "StoreError"]
