"""Plain-text descriptions of feeds and poll results, shared by the CLI and the bot
(the bot HTML-escapes them: URLs and error texts come from the network)."""

from __future__ import annotations

from bot.models import Feed, PollResult


def describe(feed: Feed) -> str:
    if feed.paused:
        state = f"PAUSED after {feed.consecutive_failures} failures"
    elif feed.consecutive_failures:
        state = f"failing ({feed.consecutive_failures} in a row)"
    elif feed.last_success_at:
        state = "ok"
    else:
        state = "not polled yet"
    lines = [
        f"[{feed.id}] {feed.label}",
        *([f"    {feed.url}"] if feed.name else []),  # an unnamed feed is labelled by its URL
        f"    every {feed.interval_minutes} min · {state} · {feed.articles_added} articles"
        f" · next poll {feed.next_poll_at:%Y-%m-%d %H:%M} UTC",
    ]
    if feed.last_error:
        lines.append(f"    last error: {feed.last_error}")
    return "\n".join(lines)


def describe_poll(result: PollResult) -> str:
    if result.status == "error":
        paused = " (feed paused)" if result.paused else ""
        return f"[{result.feed_id}] error: {result.error}{paused}"
    if result.status == "not_modified":
        return f"[{result.feed_id}] not modified"
    r = result.report
    return (
        f"[{result.feed_id}] {result.entries} entries, {result.new_entries} new: added {r.added},"
        f" {r.duplicates} duplicates, {r.near_duplicates} near-duplicates,"
        f" {len(r.rejected)} rejected; pages {result.pages_fetched} fetched,"
        f" {result.pages_failed} failed"
    )
