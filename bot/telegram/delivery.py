"""Sending an answer: HTML with a plain-text fallback, split over several messages, and
streamed drafts edited in place at a throttled pace while the engine writes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from telegram import Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.models import Answer
from bot.telegram.render import html_to_plain, render_answer, render_draft, split_html

log = logging.getLogger(__name__)


def _markup_rejected(exc: BadRequest) -> bool:
    return "can't parse entities" in exc.message.lower()


def _not_modified(exc: BadRequest) -> bool:
    return "message is not modified" in exc.message.lower()


async def send_html(message: Message, html: str, *, quote: bool) -> Message:
    """Reply with HTML; if Telegram rejects the markup, resend the same text as plain."""
    try:
        return await message.reply_text(html, parse_mode=ParseMode.HTML, do_quote=quote)
    except BadRequest as exc:
        if not _markup_rejected(exc):
            raise
        log.warning("HTML rejected (%s); resending as plain text", exc.message)
        return await message.reply_text(html_to_plain(html), parse_mode=None, do_quote=quote)


async def edit_html(sent: Message, html: str) -> None:
    """Edit a message to HTML, falling back to plain text; unchanged text is not an error."""
    try:
        await sent.edit_text(html, parse_mode=ParseMode.HTML)
    except BadRequest as exc:
        if _not_modified(exc):
            return
        if not _markup_rejected(exc):
            raise
        log.warning("HTML rejected on edit (%s); using plain text", exc.message)
        try:
            await sent.edit_text(html_to_plain(html), parse_mode=None)
        except BadRequest as again:
            if not _not_modified(again):
                raise


class Responder:
    """Delivers one answer to the message that asked for it."""

    def __init__(
        self,
        question: Message,
        *,
        quote: bool,
        edit_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.question = question
        self.quote = quote
        self.edit_interval = edit_interval
        self.clock = clock
        self.draft = ""
        self._shown = ""
        self._draft_message: Message | None = None
        self._last_edit = float("-inf")

    async def on_delta(self, text: str) -> None:
        """Take streamed text (a new piece, or the whole draft so far) and show it, throttled."""
        self.draft = text if text.startswith(self.draft) else self.draft + text
        if self.clock() - self._last_edit < self.edit_interval or not self.draft.strip():
            return
        html = render_draft(self.draft)
        if html == self._shown:
            return
        self._last_edit = self.clock()
        self._shown = html
        if self._draft_message is None:
            self._draft_message = await send_html(self.question, html, quote=self.quote)
        else:
            await edit_html(self._draft_message, html)

    async def finish(self, answer: Answer) -> list[int]:
        """Send (or turn the draft into) the final cited answer; returns the message ids."""
        parts = split_html(render_answer(answer)) or ["I have no answer to that."]
        sent: list[Message] = []
        if self._draft_message is not None:
            await edit_html(self._draft_message, parts[0])
            sent.append(self._draft_message)
            parts = parts[1:]
        for part in parts:
            sent.append(await send_html(self.question, part, quote=self.quote))
        return [m.message_id for m in sent]
