"""Safe HTTP fetching: every URL is hostile until its address, size and type are checked."""

from bot.fetch.client import FetchResult, SafeFetcher
from bot.fetch.errors import FetchError

__all__ = ["FetchError", "FetchResult", "SafeFetcher"]
