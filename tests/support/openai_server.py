"""A scriptable OpenAI-compatible server on 127.0.0.1 for tests and benchmarks.

It serves `POST /v1/chat/completions`, plain JSON or SSE streaming, and replies from a script:
queued `Reply` objects or a responder function. It runs its own event loop in a thread, so
sync tests, async tests and subprocesses (via `server.url`) can all use it. Every request is
recorded for assertions.

    with FakeOpenAIServer() as server:
        server.script(Reply(content='{"sentences": [], "not_in_sources": true}'))
        settings.llm.base_url = server.url

As a fixture: `pytest_plugins = ["tests.support.openai_server"]`, then `openai_server`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.text.tokens import count_tokens

JSON_MODE_REFUSAL = {
    "error": {
        "message": "response_format is not supported by this server",
        "type": "invalid_request_error",
        "param": "response_format",
        "code": None,
    }
}


@dataclass
class Reply:
    """One scripted response. `content` is the assistant text; `body` overrides everything."""

    content: str | None = None
    status: int = 200
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunk_chars: int = 12
    cut_after_chunks: int | None = None  # streaming: drop the connection mid-reply

    @classmethod
    def error(cls, status: int, message: str = "error", **headers: str) -> Reply:
        body = {"error": {"message": message, "type": "server_error", "code": None}}
        return cls(status=status, body=body, headers=headers)

    @classmethod
    def html_page(cls, status: int = 200, content_type: str = "text/html") -> Reply:
        """What a proxy in front of the model sends: an HTML error page, even with a 200."""
        page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
        return cls(status=status, body=page, headers={"Content-Type": content_type})


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    def text(self, role: str) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages if m["role"] == role)


Responder = Callable[[Request], Reply]


class FakeOpenAIServer:
    def __init__(self, *, json_mode: bool = True, model: str = "fake-model") -> None:
        self.json_mode = json_mode
        self.model = model
        self.requests: list[Request] = []
        self.replies: deque[Reply] = deque()
        self.responder: Responder | None = None
        self.server_seconds = 0.0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    # --- scripting ------------------------------------------------------------------
    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def respond_with(self, responder: Responder | None) -> None:
        """Answer every request not covered by the queue with `responder(request)`."""
        self.responder = responder

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # --- lifecycle --------------------------------------------------------------------
    def start(self) -> FakeOpenAIServer:
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-openai", daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        if self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
        self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- HTTP -------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        started = time.perf_counter()
        lines = head.decode("latin-1").split("\r\n")
        _method, path, _version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        raw = await reader.readexactly(int(headers.get("content-length", "0")))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        request = Request(path=path, headers=headers, body=body)
        self.requests.append(request)
        reply = self._reply_for(request)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.status == 200 and reply.body is None and body.get("stream"):
            await self._stream(writer, request, reply)
        else:
            await self._send(writer, reply.status, self._body(request, reply), reply.headers)
        self.server_seconds += time.perf_counter() - started - reply.delay

    def _reply_for(self, request: Request) -> Reply:
        if request.path.endswith("/models"):
            listing = [{"id": self.model, "object": "model", "created": 0, "owned_by": "test"}]
            return Reply(body={"object": "list", "data": listing})
        if not request.path.endswith("/chat/completions"):
            return Reply(status=404, body={"error": {"message": "not found"}})
        if not self.json_mode and "response_format" in request.body:
            return Reply(status=400, body=JSON_MODE_REFUSAL)
        if self.replies:
            return self.replies.popleft()
        if self.responder is not None:
            return self.responder(request)
        return Reply.error(500, "no scripted reply left")

    def _usage(self, request: Request, content: str) -> dict[str, int]:
        prompt = sum(count_tokens(str(m.get("content", ""))) + 4 for m in request.messages)
        completion = count_tokens(content)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def _body(self, request: Request, reply: Reply) -> bytes:
        if isinstance(reply.body, str):
            return reply.body.encode()
        if reply.body is not None:
            return json.dumps(reply.body).encode()
        content = reply.content or ""
        completion = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": self._usage(request, content),
        }
        return json.dumps(completion).encode()

    async def _send(
        self, writer: asyncio.StreamWriter, status: int, body: bytes, extra: dict[str, str]
    ) -> None:
        headers = {
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            "Connection": "close",
            **extra,
        }
        writer.write(_head(status, headers) + body)
        await writer.drain()

    async def _stream(self, writer: asyncio.StreamWriter, request: Request, reply: Reply) -> None:
        headers = {
            "Content-Type": "text/event-stream",
            "Transfer-Encoding": "chunked",
            "Connection": "close",
            **reply.headers,
        }
        writer.write(_head(200, headers))
        content = reply.content or ""
        base = {"id": "chatcmpl-stream", "object": "chat.completion.chunk", "model": self.model}
        size = max(reply.chunk_chars, 1)
        pieces = [content[i : i + size] for i in range(0, len(content), size)]
        for i, piece in enumerate(pieces):
            if reply.cut_after_chunks is not None and i >= reply.cut_after_chunks:
                writer.transport.abort()
                return
            delta = {"content": piece, **({"role": "assistant"} if i == 0 else {})}
            chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            await _event(writer, json.dumps(chunk))
        done = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        await _event(writer, json.dumps(done))
        if (request.body.get("stream_options") or {}).get("include_usage"):
            usage = {**base, "choices": [], "usage": self._usage(request, content)}
            await _event(writer, json.dumps(usage))
        await _event(writer, "[DONE]")
        writer.write(b"0\r\n\r\n")
        await writer.drain()


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}


def _head(status: int, headers: dict[str, str]) -> bytes:
    reason = _REASONS.get(status, "Internal Server Error" if status >= 500 else "Error")
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _event(writer: asyncio.StreamWriter, data: str) -> None:
    payload = f"data: {data}\n\n".encode()
    writer.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
    await writer.drain()


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAIServer]:
    """A running server; point `Settings.llm.base_url` at `openai_server.url`."""
    with FakeOpenAIServer() as server:
        yield server
