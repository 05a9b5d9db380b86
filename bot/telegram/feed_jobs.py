"""Feed polling on PTB's JobQueue inside `briefbot run`.

A repeating job every `feed_poll_tick` seconds polls the feeds that are due; each feed's
interval, backoff and pause live in the database, so the queue itself keeps nothing, and
of several instances sharing the database only the one holding the poll lock polls.
Fetching is async and parsing, extraction and storing run in worker threads, so a poll
round never stalls the bot. A failing round is logged and never stops the bot; a feed that
gets paused is reported to the admin log chat.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from telegram import Message
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes, JobQueue

from bot.config import Settings
from bot.errors import BriefbotError
from bot.feeds.summary import describe_poll
from bot.models import PollResult
from bot.telegram.delivery import send_html
from bot.telegram.render import escape
from bot.telegram.services import services

log = logging.getLogger(__name__)

POLL_JOB = "feed-poll"
FIRST_POLL_SECONDS = 10  # after start-up: let the bot come up before the first round


@dataclass(frozen=True)
class FirstPoll:
    """A feed just added with /addfeed and the command to reply to."""

    feed_id: int
    message: Message


async def _report(context: ContextTypes.DEFAULT_TYPE, results: list[PollResult]) -> None:
    """Log every result; tell the admin log chat about feeds that were just paused."""
    chat = services(context).settings.telegram.admin_log_chat
    for result in results:
        line = describe_poll(result)
        if result.status != "error":
            log.info("feed poll %s", line)
            continue
        log.warning("feed poll %s", line)
        if result.paused and chat is not None:
            try:
                await context.bot.send_message(
                    chat,
                    f"<b>Feed paused</b>\n{escape(result.url)}\n{escape(line)}\n"
                    f"Resume it with /resumefeed {result.feed_id}",
                    parse_mode=ParseMode.HTML,
                )
            except TelegramError as exc:
                log.warning("could not report the paused feed %s: %s", result.feed_id, exc)


async def feed_poll_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """One round: poll every due feed (failures are recorded per feed, never raised).

    Instances sharing a database take turns by a job lock: one polls, the others skip."""
    engine = services(context).engine
    try:
        if not await engine.holds_job(POLL_JOB):
            return
        results = await engine.poll_due_feeds()
    except Exception:
        log.exception("feed polling round failed")
        return
    await _report(context, results)


async def _first_poll(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Poll a feed just added with /addfeed and tell the admin how it went."""
    assert context.job is not None and isinstance(context.job.data, FirstPoll)
    feed_id, message = context.job.data.feed_id, context.job.data.message
    try:
        results = await services(context).engine.poll_feeds([str(feed_id)])
    except BriefbotError:  # removed again before the poll ran
        return
    except Exception:
        log.exception("first poll of feed %s failed", feed_id)
        return
    await _report(context, results)
    text = (
        escape(describe_poll(results[0]))
        if results
        else f"[{feed_id}] is being polled by the scheduled round already."
    )
    try:
        await send_html(message, f"First poll: {text}", quote=False)
    except TelegramError as exc:
        log.warning("could not report the first poll of feed %s: %s", feed_id, exc)


def poll_new_feed(job_queue: JobQueue[Any] | None, feed_id: int, message: Message) -> None:
    """Poll a new feed now instead of at the next tick, replying to `message`."""
    if job_queue is not None:
        job_queue.run_once(
            _first_poll, 0, data=FirstPoll(feed_id, message), name=f"feed-first:{feed_id}"
        )


def start_feed_polling(job_queue: JobQueue[Any] | None, settings: Settings) -> None:
    """The repeating poll round: first shortly after start, then every `feed_poll_tick`."""
    if job_queue is None:
        log.warning("no JobQueue (install python-telegram-bot[job-queue]); feeds are not polled")
        return
    tick = settings.feeds.poll_tick
    job_queue.run_repeating(
        feed_poll_job, interval=tick, first=min(tick, FIRST_POLL_SECONDS), name=POLL_JOB
    )
