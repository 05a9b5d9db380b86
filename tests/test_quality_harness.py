"""The quality harnesses measure the pipeline that ships: their corpora go through `briefbot
ingest`, so feed HTML is reduced to text as it is for users."""

from __future__ import annotations

from pathlib import Path

from benchmarks.quality_own import build_corpus
from bot.config import Settings
from bot.engine import Engine


def test_own_question_sets_are_built_with_the_production_ingest(tmp_path: Path) -> None:
    item = {
        "title": "Harbour festival returns",
        "description": "<p>The harbour festival drew <b>40,000</b> visitors.</p>",
        "url": "https://example.org/festival",
        "external_id": "rss:1",
    }
    build_corpus(tmp_path, "rss", [item])
    engine = Engine(Settings(data_dir=tmp_path, auto_seed=False))
    try:
        [article] = engine.sources()
        text = engine.articles.get(article.id).text
    finally:
        engine.close()
    assert "<p>" not in text and "<b>" not in text
    assert "40,000 visitors" in text
