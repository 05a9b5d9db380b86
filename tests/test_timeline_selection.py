"""Which developments a timeline shows: repeats joined, loosely related ones left out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from bot.insight.timeline import Development, select
from bot.store.records import WindowArticle

START = datetime(2023, 11, 2, 6, tzinfo=UTC)
_ids = iter(range(1, 10_000))


def dev(
    title: str,
    hours: float,
    outlets: int,
    centroid: list[float],
    relevance: float = 1.0,
    names_topic: bool = False,
) -> Development:
    when = START + timedelta(hours=hours)
    n = next(_ids)
    first = WindowArticle(n, title, "", f"https://x.example/{n}", "Wire", when, when)
    vector = np.asarray(centroid, dtype=np.float32)
    return Development(
        first=first,
        members=[first],
        outlets={f"{title} outlet {k}" for k in range(outlets)},
        rows=[n],
        centroid=vector / np.linalg.norm(vector),
        relevance=relevance,
        names_topic=names_topic,
    )


def lines(chosen: list[Development]) -> list[tuple[str, int]]:
    return [(d.first.title, len(d.outlets)) for d in chosen]


def test_repeats_of_one_development_within_hours_are_one_line_counting_all_outlets() -> None:
    found = [
        dev("Radiation leak at Velden reactor", 0, 2, [1, 0, 0]),
        dev("Velden reactor workers evacuated", 1, 1, [0, 0, 1]),
        dev("Villages emptied after Velden leak", 2, 3, [0.8, 0.6, 0]),  # the leak, reworded
    ]
    assert lines(select(found)) == [
        ("Radiation leak at Velden reactor", 5),  # the earliest report of the fact
        ("Velden reactor workers evacuated", 1),
    ]


def test_the_same_words_days_later_are_the_story_moving_on() -> None:
    found = [
        dev("Board in talks to bring Velden chief back", 0, 4, [1, 0.2]),
        dev("Velden chief returns", 60, 3, [1, 0.3]),
    ]
    assert len(select(found)) == 2


def test_joining_does_not_depend_on_the_order_developments_are_looked_at() -> None:
    # b is the widest but a and c are the most alike; all three are one development
    a = dev("a", 0, 1, [1, 0.1, 0])
    b = dev("b", 1, 5, [0.6, 0.8, 0])
    c = dev("c", 2, 1, [1, 0.3, 0])
    for found in ([a, b, c], [c, b, a], [b, a, c]):
        assert lines(select(found)) == [("a", 7)]


def test_developments_only_loosely_related_to_the_topic_are_left_out() -> None:
    found = [
        dev("Velden reactor choir wins prize", 0, 6, [0, 1, 0], relevance=0.2),
        dev("Radiation leak at Velden reactor", 5, 2, [1, 0, 0], relevance=0.9),
        dev("Inquiry into Velden reactor leak", 30, 1, [0, 0, 1], 0.1, names_topic=True),
    ]
    assert lines(select(found)) == [
        ("Radiation leak at Velden reactor", 2),
        ("Inquiry into Velden reactor leak", 1),  # new words, but it names the topic
    ]


def article(n: int, day: int, hour: int, outlet: str, title: str, text: str) -> dict[str, str]:
    return {
        "id": f"velden-{n}",
        "title": title,
        "text": text,
        "source": outlet,
        "url": f"https://{outlet.lower()}.example/velden-{n}",
        "published_at": f"2023-11-{day:02d}T{hour:02d}:00:00+00:00",
    }


def test_a_timeline_leaves_out_an_article_that_only_mentions_the_topics_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    news = [
        article(
            1,
            2,
            6,
            "Courier",
            "Radiation leak at Velden reactor",
            "A radiation leak at the Velden reactor forced villagers to flee their homes.",
        ),
        article(
            2,
            2,
            9,
            "Herald",
            "Villagers flee Velden reactor leak",
            "Villagers fled their homes after radiation leaked from the Velden reactor.",
        ),
        article(
            3,
            3,
            8,
            "Post",
            "Velden reactor leak sealed by engineers",
            "Engineers sealed the leak at the Velden reactor after a night of work.",
        ),
        article(
            4,
            3,
            12,
            "Gazette",
            "Velden reactor leak sealed, engineers say",
            "The leak at the Velden reactor has been sealed, its engineers said.",
        ),
        article(
            5,
            4,
            7,
            "Courier",
            "Inquiry into Velden reactor leak opens",
            "An inquiry into the leak at the Velden reactor opened with the operator's evidence.",
        ),
        article(
            6,
            4,
            10,
            "Post",
            "Velden reactor choir wins a singing prize",
            "The choir of the Velden reactor's workers won a regional singing prize.",
        ),
        article(
            7,
            4,
            11,
            "Herald",
            "Velden reactor choir sings its way to a prize",
            "Workers of the Velden reactor sang their way to a regional choir prize.",
        ),
    ]
    corpus = tmp_path / "velden.jsonl"
    corpus.write_text("\n".join(json.dumps(a) for a in news) + "\n", encoding="utf-8")
    data = str(tmp_path / "data")
    assert main(["ingest", str(corpus), "--data-dir", data, "--no-seeds"]) == 0
    capsys.readouterr()
    assert main(["timeline", "Velden reactor leak", "--data-dir", data, "--json"]) == 0
    timeline = json.loads(capsys.readouterr().out)
    texts = [e["text"] for e in timeline["events"]]
    assert not any("choir" in t for t in texts)  # it names the reactor, not the leak
    assert texts[0] == "Radiation leak at Velden reactor"
    assert len(texts) >= 3
    assert [e["at"] for e in timeline["events"]] == sorted(e["at"] for e in timeline["events"])
