"""`briefbot run`: a clear error without a token; polling and webhook modes end to end."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

from tests.conftest import REPO
from tests.support.botapi import BotApiEmulator
from tests.support.tg_html import parse_html

USER = 3003


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.update(PYTHONPATH=str(REPO), BRIEFBOT_DATA_DIR=str(tmp_path / "data"), **extra)
    return env


async def _start(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _stop(proc: asyncio.subprocess.Process) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def test_run_without_token_is_a_clear_error(tmp_path: Path) -> None:
    proc = await _start(_env(tmp_path))
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert "no Telegram bot token" in err.decode() and "TELEGRAM_BOT_TOKEN" in err.decode()
    assert "Traceback" not in err.decode()


async def test_run_polls_answers_and_never_logs_the_token(
    tmp_path: Path, botapi: BotApiEmulator
) -> None:
    env = _env(
        tmp_path,
        BRIEFBOT_TELEGRAM_TOKEN=botapi.token,
        BRIEFBOT_TELEGRAM_API_URL=botapi.url,
        BRIEFBOT_TELEGRAM_POLL_TIMEOUT="1",
    )
    proc = await _start(env, "-v")
    try:
        botapi.private_message(USER, "What hit Ain al-Asad?")
        [answer] = await botapi.wait_for("sendMessage", timeout=30)
    finally:
        code, err = await _stop(proc)
    assert "drones and missiles" in parse_html(answer.text)
    assert code == 0
    assert "getUpdates" in err, "debug logging was on"
    assert botapi.token not in err and botapi.token.split(":")[1] not in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _until_listening(port: int, timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)
        else:
            writer.close()
            return


async def test_webhook_mode_checks_the_secret_token(tmp_path: Path, botapi: BotApiEmulator) -> None:
    port = _free_port()
    env = _env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=botapi.token,
        BRIEFBOT_TELEGRAM_API_URL=botapi.url,
        BRIEFBOT_TELEGRAM_WEBHOOK_URL="https://bot.example.com/hook",
        BRIEFBOT_TELEGRAM_WEBHOOK_SECRET="s3cret-Token_1",
        BRIEFBOT_TELEGRAM_WEBHOOK_PORT=str(port),
    )
    proc = await _start(env)
    try:
        [hook] = await botapi.wait_for("setWebhook", timeout=30)
        assert hook.params["url"] == "https://bot.example.com/hook"
        assert hook.params["secret_token"] == "s3cret-Token_1"
        message = botapi.private_message(USER, "What hit Ain al-Asad?")
        update = {"update_id": 1, "message": message}
        async with httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{port}/hook"
            await _until_listening(port)
            forged = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            )
            missing = await client.post(url, json=update)
            await asyncio.sleep(0.3)
            assert not botapi.calls_to("sendMessage")
            genuine = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"}
            )
        [answer] = await botapi.wait_for("sendMessage", timeout=15)
    finally:
        code, err = await _stop(proc)
    assert forged.status_code == 403 and missing.status_code == 403
    assert genuine.status_code == 200
    assert "drones and missiles" in parse_html(answer.text)
    assert code == 0
    assert "s3cret-Token_1" not in err
