"""Streamed drafts: the first piece is sent, later ones edit it at a throttled pace, and the
final cited answer replaces the draft (and continues in new messages when long)."""

from __future__ import annotations

from telegram import Bot, Message

from bot.models import Answer, AnswerSentence, SourceRef
from bot.telegram.delivery import Responder
from tests.support.botapi import BotApiEmulator
from tests.support.tg_html import parse_html

USER = 2002


class StepClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _answer(text: str) -> Answer:
    ref = SourceRef(
        n=1,
        article_id=1,
        title="T & <t>",
        url="https://x.example/1",
        source="S",
        published_at=None,
        quote="",
    )
    return Answer(
        question="q",
        answer=text,
        abstained=False,
        mode="llm",
        sentences=[AnswerSentence(text=text, citations=[1])],
        sources=[ref],
    )


async def _question(api: BotApiEmulator, bot: Bot) -> Message:
    return Message.de_json(api.private_message(USER, "what happened?"), bot)


async def test_deltas_are_throttled_then_replaced_by_the_final_answer(
    botapi: BotApiEmulator,
) -> None:
    clock = StepClock()
    async with Bot(botapi.token, base_url=botapi.base_url) as bot:
        responder = Responder(
            await _question(botapi, bot), quote=False, edit_interval=1.0, clock=clock
        )
        await responder.on_delta("Storm ")  # sent at t=100
        await responder.on_delta("Ada <closed> ")  # within 1 s: held back
        clock.now += 1.5
        await responder.on_delta("the bridge")  # edit at t=101.5
        clock.now += 0.2
        await responder.on_delta(".")  # held back
        ids = await responder.finish(_answer("Storm Ada closed the bridge. [1]"))
    sends = botapi.sent_messages(USER)
    edits = [c for c in botapi.calls_to("editMessageText") if c.ok]
    assert len(sends) == 1 and sends[0].text == "Storm"
    assert [parse_html(e.text) for e in edits[:1]] == ["Storm Ada <closed> the bridge"]
    assert len(edits) == 2
    final = parse_html(edits[-1].text)
    assert final.startswith("Storm Ada closed the bridge. [1]")
    assert "T & <t>" in final
    assert ids == [sends[0].result["message_id"]]


async def test_cumulative_drafts_are_not_duplicated(botapi: BotApiEmulator) -> None:
    clock = StepClock()
    async with Bot(botapi.token, base_url=botapi.base_url) as bot:
        responder = Responder(
            await _question(botapi, bot), quote=False, edit_interval=0, clock=clock
        )
        for draft in ("One", "One two", "One two three"):
            await responder.on_delta(draft)
    assert responder.draft == "One two three"
    assert [parse_html(c.text) for c in botapi.calls_to("editMessageText")] == [
        "One two",
        "One two three",
    ]


async def test_long_final_answer_edits_the_draft_and_sends_the_rest(
    botapi: BotApiEmulator,
) -> None:
    long_text = " ".join(f"Sentence {i} is about the storm [1]." for i in range(300))
    async with Bot(botapi.token, base_url=botapi.base_url) as bot:
        responder = Responder(await _question(botapi, bot), quote=False, edit_interval=0)
        await responder.on_delta("Draft")
        ids = await responder.finish(_answer(long_text))
    sends = botapi.sent_messages(USER)
    assert len(ids) == len(sends) >= 3
    pieces = [parse_html(c.text) for c in botapi.calls_to("editMessageText")] + [
        parse_html(c.text) for c in sends[1:]
    ]
    assert all(len(p) <= 4096 for p in pieces)
    assert " ".join(pieces).count("is about the storm") == 300
