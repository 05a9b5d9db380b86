"""The Telegram part of `briefbot doctor`: does the Bot API accept the token (getMe), and
what webhook does Telegram have on record for this bot."""

from __future__ import annotations

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.config import Settings
from bot.ops.doctor import Finding
from bot.telegram.app import api_base_urls

TIMEOUT = 5.0


async def check_bot(settings: Settings) -> list[Finding]:
    assert settings.telegram.token is not None
    base_url, file_url = api_base_urls(settings.telegram.api_url)
    bot = Bot(
        settings.telegram.token.get_secret_value().strip(),
        base_url=base_url,
        base_file_url=file_url,
    )
    try:
        me = await bot.get_me(read_timeout=TIMEOUT, connect_timeout=TIMEOUT)
        info = await bot.get_webhook_info(read_timeout=TIMEOUT, connect_timeout=TIMEOUT)
    except InvalidToken:
        return [Finding(check="telegram", status="fail", message="Telegram refused the token")]
    except NetworkError as exc:
        message = f"the Bot API is unreachable ({exc.message})"
        return [Finding(check="telegram", status="fail", message=message)]
    except TelegramError as exc:
        return [Finding(check="telegram", status="fail", message=f"getMe failed: {exc.message}")]
    finally:
        await bot.shutdown()
    findings = [
        Finding(
            check="telegram", status="ok", message=f"token accepted: @{me.username} (id {me.id})"
        )
    ]
    wanted = settings.telegram.webhook_url
    if info.url and info.url != wanted:
        mode = f"the configured {wanted}" if wanted else "long polling (it is removed at start)"
        findings.append(
            Finding(
                check="telegram",
                status="warn",
                message=f"Telegram has the webhook {info.url} on record; `run` uses {mode}",
            )
        )
    if info.last_error_message:
        findings.append(
            Finding(
                check="telegram",
                status="warn",
                message=f"Telegram's last webhook error: {info.last_error_message} "
                f"({info.pending_update_count} updates pending)",
            )
        )
    return findings
