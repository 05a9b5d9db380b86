"""The Bot API methods the emulator implements, with Telegram's validation rules."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from tests.support.botapi_types import MESSAGE_LIMIT, ApiError, Chat, chat_member, user_dict
from tests.support.tg_html import EntityError, parse_html_entities, utf16_length

CAPTION_LIMIT = 1024


class BotApiMethods:
    """Mixin of `api_<method>` handlers over the emulator's state (see BotApiEmulator)."""

    bot_id: int
    username: str
    updates: list[dict[str, Any]]
    chats: dict[int, Chat]
    commands: dict[str, list[dict[str, Any]]]
    webhook: dict[str, Any]
    _confirmed: int
    _closing: bool
    _changed: asyncio.Condition

    def _store(self, chat: Chat, message: dict[str, Any]) -> dict[str, Any]:
        message["message_id"] = chat.next_message_id
        chat.next_message_id += 1
        chat.messages[message["message_id"]] = message
        return message

    async def api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        me = user_dict(self.bot_id, is_bot=True, username=self.username)
        me.update(
            first_name="briefbot",
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
        )
        return me

    async def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        if offset:
            self._confirmed = max(self._confirmed, offset)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)

        def pending() -> list[dict[str, Any]]:
            return [u for u in self.updates if u["update_id"] >= self._confirmed][:limit]

        if not pending() and timeout > 0:
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(pending()) or self._closing), timeout
                    )
        return pending()

    async def api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    async def api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = dict(params)
        return True

    async def api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> str:
        """`default`, `all_private_chats`, … or `chat:<id>` for one chat's menu."""
        scope = params.get("scope") or {"type": "default"}
        if "chat_id" in scope:
            return f"{scope['type']}:{scope['chat_id']}"
        return str(scope["type"])

    async def api_setMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands[self._scope_key(params)] = list(params.get("commands") or [])
        return True

    async def api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(self._scope_key(params), [])

    async def api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        if not params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        return True

    async def api_sendChatAction(self, params: dict[str, Any]) -> bool:
        self._known_chat(params)
        return True

    async def api_getChat(self, params: dict[str, Any]) -> dict[str, Any]:
        data = self._known_chat(params).as_dict()
        data.update(accent_color_id=0, max_reaction_count=11)
        return data

    async def api_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._known_chat(params)
        user_id = int(params["user_id"])
        return chat_member(user_id, chat.member_status.get(user_id, "member"))

    async def api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._known_chat(params)
        text, entities = self._visible(params)
        message: dict[str, Any] = {
            "date": int(time.time()),
            "chat": chat.as_dict(),
            "from": await self.api_getMe({}),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        reply = params.get("reply_parameters")
        if reply:
            replied = chat.messages.get(int(reply["message_id"]))
            if replied is None and not reply.get("allow_sending_without_reply"):
                raise ApiError(400, "Bad Request: message to be replied not found")
            if replied is not None:
                message["reply_to_message"] = {
                    k: v for k, v in replied.items() if k != "reply_to_message"
                }
        thread = params.get("message_thread_id")
        if thread is not None:
            if not chat.is_forum:
                raise ApiError(400, "Bad Request: message thread not found")
            message["message_thread_id"] = int(thread)
            message["is_topic_message"] = True
        return self._store(chat, message)

    async def api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        """A photo upload: Telegram refuses anything that is not an image, or a long caption."""
        chat = self._known_chat(params)
        photo = params.get("photo")
        if not isinstance(photo, bytes):
            raise ApiError(400, "Bad Request: there is no photo in the request")
        if not photo.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        caption = str(params.get("caption", ""))
        if utf16_length(caption) > CAPTION_LIMIT:
            raise ApiError(400, "Bad Request: message caption is too long")
        message: dict[str, Any] = {
            "date": int(time.time()),
            "chat": chat.as_dict(),
            "from": await self.api_getMe({}),
            "photo": [
                {
                    "file_id": f"photo{chat.next_message_id}",
                    "file_unique_id": "u1",
                    "width": 960,
                    "height": 540,
                    "file_size": len(photo),
                }
            ],
        }
        if caption:
            message["caption"] = caption
        return self._store(chat, message)

    async def api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._known_chat(params)
        message = chat.messages.get(int(params.get("message_id", 0)))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        text, entities = self._visible(params)
        markup = params.get("reply_markup")
        if text == message["text"] and markup == message.get("reply_markup"):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message["text"] = text
        message["entities"] = entities
        message["edit_date"] = int(time.time())
        if markup:  # like Telegram: an edit without a keyboard removes it
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    async def api_close(self, params: dict[str, Any]) -> bool:
        return True

    # --- validation -------------------------------------------------------------------------
    def _known_chat(self, params: dict[str, Any]) -> Chat:
        chat_id = params.get("chat_id")
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat = self.chats.get(int(chat_id))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _visible(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        raw = str(params.get("text", ""))
        text, entities = raw, []
        if str(params.get("parse_mode", "")).upper() == "HTML":
            try:
                text, entities = parse_html_entities(raw)
            except EntityError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        shift = utf16_length(text) - utf16_length(text.lstrip())
        entities = [{**e, "offset": int(e["offset"]) - shift} for e in entities]
        text = text.strip()  # Telegram trims the text it stores
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(text) > MESSAGE_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities
