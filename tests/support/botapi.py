"""A small Telegram Bot API emulator on 127.0.0.1 for tests and benchmarks.

Point a real PTB `Application` at `emulator.base_url`, inject updates (private, group,
mention, reply, forum topic, commands) and wait for the calls the bot makes. It validates
`parse_mode=HTML` and the 4,096-character limit like Telegram, and can be scripted to fail
the next calls with 429 (retry_after) or 400.

    async with BotApiEmulator() as api:
        app = build_application(services, token=api.token)  # with telegram_api_url=api.url
        api.private_message(user_id=1, text="hello")
        call = await api.wait_for("sendMessage")
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.support.botapi_methods import BotApiMethods
from tests.support.botapi_types import (
    FILE_FIELDS,
    INT_FIELDS,
    JSON_FIELDS,
    TOKEN,
    ApiCall,
    ApiError,
    Chat,
    Failure,
    user_dict,
)

__all__ = ["TOKEN", "ApiCall", "BotApiEmulator", "Chat", "Failure"]


class BotApiEmulator(BotApiMethods):
    """The Bot API over HTTP, in memory. All methods are used from the test's event loop."""

    def __init__(
        self, *, token: str = TOKEN, bot_id: int = 123456, username: str = "briefbot_test_bot"
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.username = username
        self.calls: list[ApiCall] = []
        self.updates: list[dict[str, Any]] = []
        self.chats: dict[int, Chat] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.failures: list[Failure] = []
        self.webhook: dict[str, Any] = {}  # the last setWebhook's parameters
        self._update_ids = itertools.count(1)
        self._confirmed = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.response_delay = 0.0
        self.delays: dict[str, float] = {}
        self.arrived: list[ApiCall] = []  # every request as it comes in, before any delay
        self._closing = False

    # --- lifecycle ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Server root, for BRIEFBOT_TELEGRAM_API_URL (the bot appends /bot<token>)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    async def _dump_calls(self, request: web.Request) -> web.Response:
        """Calls as JSON, for a bot in another process (`at` is time.monotonic())."""
        return web.json_response(
            [{"method": c.method, "chat_id": c.chat_id, "at": c.at, "ok": c.ok} for c in self.calls]
        )

    async def _add_chats(self, request: web.Request) -> web.Response:
        for chat_id in await request.json():
            self.chat(int(chat_id))
        return web.json_response({"ok": True})

    async def start(self, port: int = 0) -> BotApiEmulator:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/_emulator/calls", self._dump_calls)
        app.router.add_post("/_emulator/chats", self._add_chats)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- scripting ----------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (matching `when`) with an error."""
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if status == 429
                else "Bad Request: scripted failure"
            )
        self.failures.append(
            Failure(
                method, status, description, retry_after if status == 429 else None, times, when
            )
        )

    # --- chats and injected updates ----------------------------------------------------
    def chat(
        self,
        chat_id: int,
        *,
        type: str | None = None,
        title: str | None = None,
        forum: bool = False,
    ) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            kind = type or ("private" if chat_id > 0 else "supergroup")
            chat = Chat(chat_id, kind, title or (None if kind == "private" else f"Group {chat_id}"))
            chat.is_forum = forum
            self.chats[chat_id] = chat
        return chat

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember reports: member, administrator, creator, left, kicked."""
        self.chat(chat_id).member_status[user_id] = status

    def _push(self, message: dict[str, Any], kind: str = "message") -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: message}
        self.updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())
        return message

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def user_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        reply_to: dict[str, Any] | int | None = None,
        thread_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
        chat_type: str | None = None,
        forum: bool = False,
        forward_origin: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Inject a text message from a user; returns the Message dict as Telegram sent it."""
        chat = self.chat(chat_id, type=chat_type, forum=forum)
        message: dict[str, Any] = {
            "date": int(time.time()),
            "chat": chat.as_dict(),
            "from": user_dict(user_id),
            "text": text,
        }
        if entities is None and text.startswith("/"):
            command = text.split()[0]
            entities = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if entities:
            message["entities"] = entities
        if forward_origin is not None:
            message["forward_origin"] = {"date": message["date"], **forward_origin}
        if isinstance(reply_to, int):
            reply_to = chat.messages[reply_to]
        if reply_to is not None:
            message["reply_to_message"] = {
                k: v for k, v in reply_to.items() if k != "reply_to_message"
            }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            if chat.is_forum:
                message["is_topic_message"] = True
        self._store(chat, message)
        return self._push(message)

    def private_message(self, user_id: int, text: str, **kw: Any) -> dict[str, Any]:
        return self.user_message(user_id, user_id, text, chat_type="private", **kw)

    def forwarded(
        self, user_id: int, text: str, *, sender: str = "Some Channel", **kw: Any
    ) -> dict[str, Any]:
        """A message the user forwarded to the bot's private chat (original sender hidden)."""
        origin = {"type": "hidden_user", "sender_user_name": sender}
        return self.private_message(user_id, text, forward_origin=origin, **kw)

    def press_button(self, user_id: int, message: dict[str, Any], data: str) -> dict[str, Any]:
        """The user presses the inline button with callback `data` under the bot's `message`."""
        query = {
            "id": f"q{time.monotonic_ns()}",
            "from": user_dict(user_id),
            "message": message,
            "chat_instance": str(message["chat"]["id"]),
            "data": data,
        }
        return self._push(query, "callback_query")

    def group_message(self, chat_id: int, user_id: int, text: str, **kw: Any) -> dict[str, Any]:
        return self.user_message(chat_id, user_id, text, **kw)

    def mention(self, chat_id: int, user_id: int, text: str, **kw: Any) -> dict[str, Any]:
        """A group message that @mentions the bot (prefixed to `text`)."""
        handle = f"@{self.username}"
        entity = {"type": "mention", "offset": 0, "length": len(handle)}
        return self.user_message(chat_id, user_id, f"{handle} {text}", entities=[entity], **kw)

    def reply(self, to: dict[str, Any], user_id: int, text: str, **kw: Any) -> dict[str, Any]:
        """A reply to message `to` (e.g. one the bot sent), in the same chat and topic."""
        chat_id = to["chat"]["id"]
        if "message_thread_id" in to and "thread_id" not in kw:
            kw["thread_id"] = to["message_thread_id"]
        return self.user_message(chat_id, user_id, text, reply_to=to, **kw)

    def topic_message(
        self, chat_id: int, user_id: int, text: str, thread_id: int, *, mention: bool = True
    ) -> dict[str, Any]:
        """A message in a forum topic of a forum supergroup."""
        self.chat(chat_id, forum=True).is_forum = True
        if mention:
            return self.mention(chat_id, user_id, text, thread_id=thread_id)
        return self.user_message(chat_id, user_id, text, thread_id=thread_id)

    # --- observing calls ----------------------------------------------------------------
    def calls_to(self, method: str, chat_id: int | None = None) -> list[ApiCall]:
        return [
            c
            for c in self.calls
            if c.method == method and (chat_id is None or c.chat_id == chat_id)
        ]

    def sent_messages(self, chat_id: int | None = None) -> list[ApiCall]:
        """Successful sendMessage calls (optionally to one chat)."""
        return [c for c in self.calls_to("sendMessage", chat_id) if c.ok]

    async def wait_for(
        self,
        method: str,
        *,
        count: int = 1,
        where: Callable[[ApiCall], bool] | None = None,
        timeout: float = 5.0,
        ok: bool | None = True,
    ) -> list[ApiCall]:
        """Wait until `count` matching calls happened; returns them (raises on timeout)."""

        def matching() -> list[ApiCall]:
            return [
                c
                for c in self.calls
                if c.method == method and (ok is None or c.ok == ok) and (where is None or where(c))
            ]

        async def until() -> list[ApiCall]:
            async with self._changed:
                await self._changed.wait_for(lambda: len(matching()) >= count)
            return matching()

        try:
            return await asyncio.wait_for(until(), timeout)
        except TimeoutError:
            seen = [(c.method, c.ok, c.text[:60]) for c in self.calls[-10:]]
            raise AssertionError(
                f"no {count}× {method} within {timeout}s; last calls: {seen}"
            ) from None

    async def settle(self, quiet: float = 0.3) -> None:
        """Wait until the bot has made no call for `quiet` seconds."""
        seen = -1
        while seen != len(self.calls):
            seen = len(self.calls)
            await asyncio.sleep(quiet)

    # --- HTTP -----------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data = await request.json()
            return dict(data or {})
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if not isinstance(value, str) and key in FILE_FIELDS:
                params[key] = value.file.read()  # an uploaded file: its bytes
                continue
            text = value if isinstance(value, str) else value.file.read().decode()
            if key in JSON_FIELDS:
                params[key] = json.loads(text)
            elif key in INT_FIELDS or (key == "chat_id" and text.lstrip("-").isdigit()):
                params[key] = int(text)
            elif key in {"timeout"}:
                params[key] = float(text)
            elif text in ("true", "false"):
                params[key] = text == "true"
            else:
                params[key] = text
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params = await self._params(request)
        call = ApiCall(method, params, time.monotonic())
        self.arrived.append(call)
        failure = self._scripted_failure(method, params)
        if failure is not None:
            return await self._reply_error(call, failure.status, failure.description, failure)
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            return await self._reply_error(call, 404, "Not Found: method not found")
        delay = self.delays.get(method, self.response_delay if method != "getUpdates" else 0)
        if delay:
            await asyncio.sleep(delay)
        try:
            result = await handler(params)
        except ApiError as exc:
            return await self._reply_error(call, exc.status, exc.description)
        if method != "getUpdates":
            call.result = result
            await self._record(call)
        return web.json_response({"ok": True, "result": result})

    def _scripted_failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        for failure in self.failures:
            wanted = failure.when is None or failure.when(params)
            if failure.method == method and failure.times > 0 and wanted:
                failure.times -= 1
                return failure
        return None

    async def _reply_error(
        self, call: ApiCall, status: int, description: str, failure: Failure | None = None
    ) -> web.Response:
        call.ok, call.error = False, description
        await self._record(call)
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if failure is not None and failure.retry_after is not None:
            body["parameters"] = {"retry_after": failure.retry_after}
        return web.json_response(body, status=status)

    async def _record(self, call: ApiCall) -> None:
        self.calls.append(call)
        async with self._changed:
            self._changed.notify_all()


async def _serve(port: int) -> None:
    api = await BotApiEmulator().start(port)
    print(f"Bot API emulator on {api.url} (token {api.token})", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    import sys

    asyncio.run(_serve(int(sys.argv[1]) if len(sys.argv) > 1 else 8081))
