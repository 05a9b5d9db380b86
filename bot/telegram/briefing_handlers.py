"""/brief, /subscribe, /unsubscribe, /subscriptions, /pause, /resume — thin over BriefingService.

In groups only chat admins (getChatMember: administrator or creator, or an anonymous admin
posting as the group) and the bot's own admins may change the group's subscription; anyone
may read it or ask for a briefing. Every argument is checked and a bad one gets a clear reply.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.briefing.render import render_html
from bot.briefing.service import job_name
from bot.briefing.subscribe_args import SubscribeError, parse_keywords
from bot.models import SubscriptionStatus
from bot.telegram.access import is_admin
from bot.telegram.addressing import is_private
from bot.telegram.briefing_jobs import schedule, unschedule
from bot.telegram.chat_action import typing
from bot.telegram.delivery import send_html
from bot.telegram.render import escape, split_html
from bot.telegram.services import services

log = logging.getLogger(__name__)

SUBSCRIBE_USAGE = (
    "Usage: /subscribe [HH:MM] [timezone] [keywords…] — for example "
    "/subscribe 07:30 Europe/Berlin or /subscribe 18:00 America/New_York Iraq, Syria"
)
NOT_ADMIN = "Only the group's admins can change its briefing subscription."
NO_SUBSCRIPTION = "This chat has no briefing subscription. Start one with /subscribe."


def _thread(message: Message) -> int | None:
    """The forum topic a command came from: its briefings go to the same topic."""
    return message.message_thread_id if message.is_topic_message else None


async def _reply(message: Message, html: str) -> None:
    for part in split_html(html):
        await send_html(message, part, quote=not is_private(message))


async def _may_change(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Private chats: yes. Groups: chat admins, anonymous admins and the bot's admins."""
    message, user = update.effective_message, update.effective_user
    if message is None or is_private(message):
        return message is not None
    if message.sender_chat is not None and message.sender_chat.id == message.chat_id:
        return True  # an anonymous admin writes as the group itself
    if user is None:
        return False
    if is_admin(services(context).settings, user.id):
        return True
    try:
        member = await context.bot.get_chat_member(message.chat_id, user.id)
    except TelegramError as exc:
        log.warning("could not check admin rights in chat %s: %s", message.chat_id, exc)
        await _reply(message, "I couldn't check your admin rights; please try again later.")
        return False
    if member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER):
        return True
    await _reply(message, NOT_ADMIN)
    return False


async def _no_arguments(message: Message, context: ContextTypes.DEFAULT_TYPE, name: str) -> bool:
    """Commands without arguments say so instead of silently ignoring them."""
    if context.args:
        await _reply(message, f"/{name} takes no arguments.")
        return False
    return True


async def on_brief(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/brief [keywords…]: a briefing now, since this chat's last one (at most a day)."""
    svc = services(context)
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    try:
        topics = parse_keywords(context.args or [])
    except SubscribeError as exc:
        await _reply(message, escape(str(exc)))
        return
    refusal = svc.gate.admit(user.id, exempt=is_admin(svc.settings, user.id))
    if refusal is not None:
        await _reply(message, escape(refusal))
        return
    try:
        async with typing(context, message, svc.settings.telegram.typing_interval):
            briefing = await svc.briefings.brief_now(message.chat_id, topics)
        for part in render_html(briefing):
            await send_html(message, part, quote=not is_private(message))
        if not topics:  # a topic briefing is not the chat's briefing: keep its window
            svc.briefings.record_briefing(message.chat_id, briefing)
    finally:
        svc.gate.end(user.id)


async def on_subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/subscribe [HH:MM] [timezone] [keywords…]: create or replace the daily briefing."""
    svc = services(context)
    message = update.effective_message
    if message is None or not await _may_change(update, context):
        return
    briefings = svc.briefings
    had_zone = briefings.chat_timezone(message.chat_id) is not None
    try:
        sub = briefings.subscribe(message.chat_id, _thread(message), context.args or [])
    except SubscribeError as exc:
        await _reply(message, f"{escape(str(exc))}\n\n{escape(SUBSCRIBE_USAGE)}")
        return
    schedule(context.job_queue, briefings, briefings.plan(sub.id))
    text = f"Subscribed. {escape(briefings.describe(sub))}."
    if not had_zone and briefings.chat_timezone(message.chat_id) is None:
        text += (
            f"\n\nThe time is in {escape(sub.timezone)}; add your timezone to change that, "
            f"e.g. /subscribe {sub.time_of_day} Europe/Berlin"
        )
    await _reply(message, text)


async def on_unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not await _no_arguments(message, context, "unsubscribe"):
        return
    if not await _may_change(update, context):
        return
    thread = _thread(message)
    removed = services(context).briefings.unsubscribe(message.chat_id, thread)
    unschedule(context.job_queue, job_name(message.chat_id, thread))
    await _reply(
        message, "Unsubscribed: no more daily briefings here." if removed else NO_SUBSCRIPTION
    )


async def on_subscriptions(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every subscription of this chat (one per forum topic)."""
    message = update.effective_message
    if message is None or not await _no_arguments(message, context, "subscriptions"):
        return
    briefings = services(context).briefings
    found = briefings.subscriptions_of(message.chat_id)
    if not found:
        await _reply(message, NO_SUBSCRIPTION)
        return
    lines = [
        "• "
        + (f"topic {sub.thread_id}: " if sub.thread_id else "")
        + escape(briefings.describe(sub))
        for sub in found
    ]
    await _reply(message, "<b>Briefing subscriptions</b>\n" + "\n".join(lines))


async def _set_status(
    update: Update, context: ContextTypes.DEFAULT_TYPE, status: SubscriptionStatus, name: str
) -> None:
    message = update.effective_message
    if message is None or not await _no_arguments(message, context, name):
        return
    if not await _may_change(update, context):
        return
    briefings = services(context).briefings
    thread = _thread(message)
    sub = briefings.set_status(message.chat_id, thread, status)
    if sub is None:
        await _reply(message, NO_SUBSCRIPTION)
        return
    if status is SubscriptionStatus.ACTIVE:
        schedule(context.job_queue, briefings, briefings.plan(sub.id))
    else:
        unschedule(context.job_queue, job_name(message.chat_id, thread))
    verb = "Resumed" if status is SubscriptionStatus.ACTIVE else "Paused"
    await _reply(message, f"{verb}. {escape(briefings.describe(sub))}.")


async def on_pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _set_status(update, context, SubscriptionStatus.PAUSED, "pause")


async def on_resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _set_status(update, context, SubscriptionStatus.ACTIVE, "resume")
