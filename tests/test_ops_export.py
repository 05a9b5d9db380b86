"""Export → ingest is lossless; backups are consistent copies; removal takes everything an
article left behind (chunks, index rows, vectors, alternates, near-duplicate band rows)."""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings
from bot.engine import Engine
from bot.models import ArticleIn
from tests.embedding_server import EmbeddingServer
from tests.support.corpus import NEWS
from tests.test_also_reported import QUESTION, wire_articles

QUESTIONS = [QUESTION, "When will the harbour bridge reopen?", "Who conducts the orchestra?"]


@pytest.fixture
def corpus(settings: Settings) -> Iterator[Engine]:
    engine = Engine(settings.updated(**{"auto_seed": False}))
    engine.ingestor.ingest_articles([*wire_articles(), *NEWS])
    yield engine
    engine.close()


def _answers(engine: Engine) -> list[dict[str, object]]:
    return [
        engine.answer_extractive(q).model_dump(
            mode="json",
            include={"answer", "abstained", "sources"},
            exclude={"sources": {"__all__": {"article_id"}}},
        )
        for q in QUESTIONS
    ]


def _table(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in engine.store.db.query(sql)]


def test_export_then_ingest_into_an_empty_store_is_lossless(corpus: Engine, tmp_path: Path) -> None:
    out = tmp_path / "corpus.jsonl.gz"
    assert main(["export", "--output", str(out)]) == 0
    with gzip.open(out, "rt", encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle]
    assert len(lines) == corpus.articles.count()
    wire = next(r for r in lines if r["source"] == "Wire")
    assert {a["source"] for a in wire["alternates"]} == {"Daily", "Herald", "Post", "Wire"}

    fresh = tmp_path / "fresh"
    assert main(["ingest", str(out), "--data-dir", str(fresh)]) == 0
    restored = Engine(Settings(data_dir=fresh, auto_seed=False))
    try:
        assert restored.articles.count() == corpus.articles.count()
        columns = (
            "SELECT title, text, url, source, published_at, ingested_at, language, external_id,"
            " author, content_hash FROM articles ORDER BY id"
        )
        assert _table(restored, columns) == _table(corpus, columns)
        alternates = (
            "SELECT a.url, x.title, x.url, x.source, x.published_at, x.similarity FROM"
            " article_alternates x JOIN articles a ON a.id = x.canonical_id ORDER BY a.url, x.id"
        )
        assert _table(restored, alternates) == _table(corpus, alternates)
        assert _answers(restored) == _answers(corpus)
        assert restored.stats().chunks == corpus.stats().chunks
    finally:
        restored.close()


def test_exported_articles_are_not_merged_again_on_ingest(
    settings: Settings, tmp_path: Path
) -> None:
    """Two near-identical texts the source store kept apart (near-duplicates were off) stay two."""
    kept_apart = Engine(settings.updated(**{"auto_seed": False, "near_dup_enabled": False}))
    copies = wire_articles()[:2]
    assert kept_apart.ingestor.ingest_articles(copies).added == 2
    out = tmp_path / "two.jsonl"
    records = list(kept_apart.export())
    kept_apart.close()
    out.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    again = Engine(Settings(data_dir=tmp_path / "again", auto_seed=False))
    try:
        report = again.ingest([out])
        assert (report.added, report.near_duplicates) == (2, 0)
    finally:
        again.close()


def test_export_filters_by_source_and_time(corpus: Engine, tmp_path: Path) -> None:
    out = tmp_path / "gazette.jsonl"
    assert main(["export", "-o", str(out), "--source", "Gazette", "--until", "2023-10-16"]) == 0
    titles = [json.loads(line)["title"] for line in out.read_text().splitlines()]
    assert titles == ['Harbour bridge <closed> after "Storm Ada" & floods']


def test_a_bad_exported_alternate_rejects_only_its_article(
    settings: Settings, tmp_path: Path
) -> None:
    good = {"title": "Good", "text": "A good text about boats.", "alternates": []}
    bad = {"title": "Bad", "text": "A bad one.", "alternates": [{"url": "https://x.example"}]}
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(bad) + "\n" + json.dumps(good) + "\n", encoding="utf-8")
    engine = Engine(settings.updated(**{"auto_seed": False}))
    try:
        report = engine.ingest([path])
        assert report.added == 1
        assert len(report.rejected) == 1 and "title" in report.rejected[0].reason
    finally:
        engine.close()


def test_backup_is_a_consistent_copy_while_the_store_is_open(
    corpus: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "backups" / "copy.sqlite3"
    assert main(["backup", str(target)]) == 0
    assert not target.with_name("copy.sqlite3.partial").exists()
    copy = sqlite3.connect(target)
    try:
        assert (
            copy.execute("SELECT count(*) FROM articles").fetchone()[0] == corpus.articles.count()
        )
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        copy.close()
    assert "backed up" in capsys.readouterr().err


def test_backup_for_postgres_prints_pg_dump_without_the_password(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BRIEFBOT_DATABASE_URL", "postgresql://bot:hunter2@db/briefbot")
    assert main(["backup", str(tmp_path / "x.dump")]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("pg_dump ") and '"$BRIEFBOT_DATABASE_URL"' in out.out
    assert "hunter2" not in out.out + out.err


@pytest.fixture
def dense(tmp_path: Path) -> Iterator[Engine]:
    with EmbeddingServer() as server:
        engine = Engine(
            Settings(
                data_dir=tmp_path / "dense",
                auto_seed=False,
                retrieval="hybrid",
                embeddings_base_url=server.base_url,
            )
        )
        engine.ingestor.ingest_articles(wire_articles())
        yield engine
        engine.close()


def test_remove_takes_chunks_vectors_alternates_and_band_rows(dense: Engine) -> None:
    wire = dense.articles.find_by_url("https://wire.example.com/rates")
    assert wire is not None
    assert dense.answer_extractive(QUESTION).sources[0].article_id == wire

    def counts() -> dict[str, int]:
        one = {
            "chunks": "SELECT count(*) FROM chunks WHERE article_id = ?",
            "vectors": "SELECT count(*) FROM chunk_vectors v JOIN chunks c ON c.id = v.chunk_id"
            " WHERE c.article_id = ?",
            "alternates": "SELECT count(*) FROM article_alternates WHERE canonical_id = ?",
            "bands": "SELECT count(*) FROM near_dup_prints WHERE article_id = ?",
        }
        return {k: int(dense.store.db.query(sql, (wire,))[0][0]) for k, sql in one.items()}

    before = counts()
    assert all(before.values()), before
    total_vectors = int(dense.store.db.query("SELECT count(*) FROM chunk_vectors")[0][0])
    (result,) = dense.remove_articles(["https://WIRE.example.com/rates#top"])
    assert result.removed and result.article_id == wire
    assert counts() == dict.fromkeys(before, 0)
    left = int(dense.store.db.query("SELECT count(*) FROM chunk_vectors")[0][0])
    assert left == total_vectors - before["vectors"]
    dense.store.postings.sync()
    assert dense.store.postings.view.doc_freqs(["hold"]) == {}
    answer = dense.answer_extractive(QUESTION)
    assert all(ref.article_id != wire for ref in answer.sources)
    assert dense.metrics.articles_removed._value.get() == 1  # type: ignore[attr-defined]

    # the story can come back: a copy is stored as a new article, not matched to a ghost
    report = dense.ingestor.ingest_articles(wire_articles()[1:2])
    assert (report.added, report.near_duplicates) == (1, 0)


def test_articles_remove_cli_reports_each_reference(
    corpus: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    first = corpus.sources(limit=1)[0]
    code = main(["articles", "remove", str(first.id), "999999", "--json"])
    assert code == 1, "one reference was not found"
    results = json.loads(capsys.readouterr().out)
    assert [r["removed"] for r in results] == [True, False]
    assert corpus.articles.get(first.id) is None


def test_ingested_at_of_an_export_is_kept(settings: Settings, tmp_path: Path) -> None:
    when = datetime(2020, 5, 1, 12, tzinfo=UTC)
    path = tmp_path / "one.jsonl"
    record = {"title": "Old note", "text": "Undated text kept.", "ingested_at": when.isoformat()}
    path.write_text(json.dumps({**record, "alternates": []}) + "\n", encoding="utf-8")
    engine = Engine(settings.updated(**{"auto_seed": False}))
    try:
        engine.ingest([path])
        (article,) = engine.sources()
        assert article.ingested_at == when
        plain = ArticleIn(title="New note", text="Another undated text.")
        engine.ingestor.ingest_articles([plain])
        assert max(a.ingested_at for a in engine.sources()) > when
    finally:
        engine.close()
