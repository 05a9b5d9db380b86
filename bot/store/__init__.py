"""The storage port: the database, its schema migrations and the repositories over it."""

from bot.store.db import Database
from bot.store.errors import ConflictError, StoreError
from bot.store.port import Store

__all__ = ["ConflictError", "Database", "Store", "StoreError"]
