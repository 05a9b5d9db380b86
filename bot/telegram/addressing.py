"""Whether a message is meant for the bot, and the question it carries."""

from __future__ import annotations

import re

from telegram import Bot, Message, MessageEntity
from telegram.constants import ChatType


def is_private(message: Message) -> bool:
    return message.chat.type == ChatType.PRIVATE


def replies_to_bot(message: Message, bot: Bot) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot.id)


def mentions_bot(message: Message, bot: Bot) -> bool:
    handle = f"@{bot.username}".lower()
    for entity, text in message.parse_entities(
        [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    ).items():
        if entity.type == MessageEntity.MENTION and text.lower() == handle:
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
            return True
    return False


def is_command(message: Message) -> bool:
    entities = message.entities or ()
    return bool(
        entities and entities[0].type == MessageEntity.BOT_COMMAND and not entities[0].offset
    )


def addressed_to_bot(message: Message, bot: Bot) -> bool:
    """Private chats: always. Groups: a mention, a reply to the bot, or a command."""
    if is_private(message):
        return True
    return is_command(message) or mentions_bot(message, bot) or replies_to_bot(message, bot)


def question_text(message: Message, bot: Bot) -> str:
    """The message text without the bot's @mention."""
    text = message.text or ""
    if bot.username:
        text = re.sub(rf"@{re.escape(bot.username)}\b", " ", text, flags=re.I)
    return " ".join(text.split()).strip(" ,:")
