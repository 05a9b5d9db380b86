"""Small hand-written news corpora for bot tests: URLs, sources, dates, awkward titles."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from bot.engine import Engine
from bot.models import ArticleIn

NEWS = [
    ArticleIn(
        title='Harbour bridge <closed> after "Storm Ada" & floods',
        text=(
            "The harbour bridge in Portmere was closed on Monday after Storm Ada flooded the "
            "approach roads. Engineers said the bridge deck itself was undamaged. The city "
            "council expects the bridge to reopen on Thursday once the water recedes."
        ),
        url="https://news.example.com/portmere/bridge?id=1&lang=en",
        source="Portmere <Gazette> & Co",
        published_at=datetime(2023, 10, 16, 8, 0, tzinfo=UTC),
    ),
    ArticleIn(
        title="Portmere mayor announces flood relief fund",
        text=(
            "Mayor Ilse Varga announced a flood relief fund of 4 million euros for families "
            "in Portmere. Applications open next week at the town hall. The fund is paid by "
            "the regional government."
        ),
        url="https://news.example.com/portmere/fund",
        source="Portmere Gazette",
        published_at=datetime(2023, 10, 17, 9, 30, tzinfo=UTC),
    ),
    ArticleIn(
        title="Orchestra of Velden tours Japan",
        text=(
            "The Velden chamber orchestra starts a tour of Japan in November. The orchestra "
            "will play twelve concerts in Tokyo, Osaka and Sapporo. Its conductor is Mara Quist."
        ),
        url=None,
        source="Velden Courier",
        published_at=datetime(2023, 10, 12, tzinfo=UTC),
    ),
]


def ingest_news(engine: Engine) -> None:
    engine.ingestor.ingest_articles(NEWS)


def long_article(seed: int = 7, sentences: int = 10) -> ArticleIn:
    """One article of long, mutually distinct sentences that all answer "zeppelin festival"."""
    rng = random.Random(seed)

    def word() -> str:
        return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))

    body = " ".join(
        f"The zeppelin harbour festival report {i} " + " ".join(word() for _ in range(78)) + "."
        for i in range(sentences)
    )
    return ArticleIn(
        title="Zeppelin harbour festival",
        text=body,
        url="https://news.example.com/zeppelin",
        source="Example",
        published_at=datetime(2023, 10, 1, tzinfo=UTC),
    )
