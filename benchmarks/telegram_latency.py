"""Telegram bot latency and delivery rate, measured through the Bot API emulator.

1. Latency: N questions (titles of real BBC articles, asked by different users, one at a
   time) in extractive mode; time from the update's arrival at the emulator to the bot's
   first call (typing) and to the answer message; p50/p95.
2. Delivery: messages sent through the bot's AIORateLimiter to many private chats and a few
   groups at once; overall messages/s, the busiest 1-second window (Telegram allows 30/s)
   and the busiest 60-second window per group (20/min).

    python benchmarks/telegram_latency.py [--questions 200] [--corpus PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpora import BBC
from bot.config import Settings
from bot.engine import Engine
from bot.telegram.app import build_application
from bot.telegram.runner import polling
from bot.telegram.services import Services
from tests.support.botapi import TOKEN, ApiCall, BotApiEmulator

CORPUS = BBC


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def questions_from(corpus: Path, n: int) -> list[str]:
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        titles = [json.loads(line)["title"] for line in fh]
    step = max(1, len(titles) // n)
    return [f"What about {t.strip()}?" for t in titles[::step][:n]]


async def measure_latency(
    engine: Engine, settings: Settings, api: BotApiEmulator, questions: list[str]
) -> dict[str, float]:
    typing_ms: list[float] = []
    answer_ms: list[float] = []
    app = build_application(Services.create(engine, settings), token=api.token)
    async with polling(app, timeout=10):
        for i, question in enumerate(questions):
            user = 10_000 + i
            sent_at = time.monotonic()
            api.private_message(user, question)

            def mine(c: ApiCall, user: int = user) -> bool:
                return c.chat_id == user

            [answer] = await api.wait_for("sendMessage", where=mine, timeout=30)
            typing = min(c.at for c in api.calls_to("sendChatAction", user))
            typing_ms.append((typing - sent_at) * 1000)
            answer_ms.append((answer.at - sent_at) * 1000)
    return {
        "typing_p50": statistics.median(typing_ms),
        "typing_p95": percentile(typing_ms, 0.95),
        "answer_p50": statistics.median(answer_ms),
        "answer_p95": percentile(answer_ms, 0.95),
    }


def busiest(times: list[float], window: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@contextlib.contextmanager
def emulator_process() -> Iterator[str]:
    """The emulator in its own process, like a remote server: the arrival times it records
    are not skewed by the bot's event loop. Yields its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.botapi", str(port)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


async def measure_delivery(
    engine: Engine, settings: Settings, privates: int, groups: int
) -> dict[str, float]:
    """Every private chat gets 3 messages and every group 25, all queued at once."""
    private_ids = [50_000 + i for i in range(privates)]
    group_ids = [-70_000 - i for i in range(groups)]
    with emulator_process() as url:
        async with httpx.AsyncClient() as client:
            await client.post(f"{url}/_emulator/chats", json=private_ids + group_ids)
        settings = settings.updated(telegram_api_url=url)
        app = build_application(Services.create(engine, settings), token=TOKEN)
        async with app:
            jobs = [
                app.bot.send_message(chat, f"briefing part {k} for {chat}")
                for k in range(3)
                for chat in private_ids
            ] + [
                app.bot.send_message(g, f"group briefing {k}") for k in range(25) for g in group_ids
            ]
            started = time.monotonic()
            results = await asyncio.gather(*jobs, return_exceptions=True)
            elapsed = time.monotonic() - started
        async with httpx.AsyncClient() as client:
            dumped = (await client.get(f"{url}/_emulator/calls")).json()
        calls = [
            ApiCall("sendMessage", {"chat_id": c["chat_id"]}, c["at"])
            for c in dumped
            if c["method"] == "sendMessage" and c["ok"]
        ]
    failed = sum(isinstance(r, Exception) for r in results)
    per_group = [busiest([c.at for c in calls if c.chat_id == g], 60.0) for g in group_ids]
    private_calls = [c for c in calls if (c.chat_id or 0) > 0]
    private_span = max(c.at for c in private_calls) - min(c.at for c in private_calls)
    return {
        "messages": len(calls),
        "failed": failed,
        "seconds": elapsed,
        "rate": len(calls) / elapsed,
        "private_rate": len(private_calls) / max(private_span, 1e-9),
        "max_per_second": busiest([c.at for c in calls], 1.0),
        "max_per_group_minute": max(per_group) if per_group else 0,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--privates", type=int, default=100)
    parser.add_argument("--groups", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), auto_seed=False, telegram_rate_limit=1000)
        engine = Engine(settings)
        t0 = time.monotonic()
        report = engine.ingest([args.corpus])
        print(f"ingested {report.added} articles in {time.monotonic() - t0:.1f} s", flush=True)
        questions = questions_from(args.corpus, args.questions)
        async with BotApiEmulator() as api:
            settings = settings.updated(telegram_api_url=api.url)
            latency = await measure_latency(engine, settings, api, questions)
        print(
            f"{len(questions)} questions: typing p50 {latency['typing_p50']:.1f} ms, "
            f"p95 {latency['typing_p95']:.1f} ms; answer p50 {latency['answer_p50']:.1f} ms, "
            f"p95 {latency['answer_p95']:.1f} ms",
            flush=True,
        )
        delivery = await measure_delivery(engine, settings, args.privates, args.groups)
        engine.close()
    print(
        f"delivery: {delivery['messages']} messages ({delivery['failed']} failed) in "
        f"{delivery['seconds']:.1f} s; private chats {delivery['private_rate']:.1f} msg/s; "
        f"busiest second {delivery['max_per_second']} msgs; "
        f"busiest group minute {delivery['max_per_group_minute']} msgs"
    )
    print(
        f"{datetime.now(UTC):%Y-%m-%d} · {platform.processor() or platform.machine()} · "
        f"python {platform.python_version()}"
    )


if __name__ == "__main__":
    asyncio.run(main())
