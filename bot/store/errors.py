"""What the store raises, whichever database runs underneath."""

from __future__ import annotations


class StoreError(RuntimeError):
    """The database cannot be opened or used; the message is fit for a user."""


class ConflictError(StoreError):
    """A write collided with a unique key: the row is there already."""
