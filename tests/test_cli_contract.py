"""The `briefbot` CLI contract other tools script against: JSON shapes, exit codes, seeding."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from corpus_helpers import main_in_process, run_cli, write_jsonl

from bot.cli import build_parser

ANSWER_KEYS = {"question", "answer", "abstained", "mode", "sentences", "sources"}
SOURCE_KEYS = {"n", "article_id", "title", "url", "source", "published_at", "quote"}
STATS_KEYS = {"articles", "chunks", "sources", "first_published", "last_published", "db_bytes"}

Cap = pytest.CaptureFixture[str]


@pytest.fixture
def data(tmp_path: Path) -> str:
    return str(tmp_path / "cli-data")


def _check_answer_shape(obj: dict[str, object]) -> None:
    assert set(obj) >= ANSWER_KEYS
    assert isinstance(obj["abstained"], bool)
    assert obj["mode"] in ("extractive", "llm")
    assert isinstance(obj["sentences"], list) and isinstance(obj["sources"], list)
    numbers = {s["n"] for s in obj["sources"]}  # type: ignore[index]
    for sentence in obj["sentences"]:  # type: ignore[attr-defined]
        assert set(sentence) >= {"text", "citations"}
        assert sentence["citations"] and set(sentence["citations"]) <= numbers
        for n in sentence["citations"]:
            assert f"[{n}]" in str(obj["answer"])
    for ref in obj["sources"]:  # type: ignore[attr-defined]
        assert set(ref) >= SOURCE_KEYS


def test_ask_json_answer_cites_the_seed(data: str, capsys: Cap) -> None:
    code, out, err = main_in_process(
        capsys, "ask", "What hit Ain al-Asad?", "--json", "--data-dir", data
    )
    assert code == 0, err
    obj = json.loads(out)
    _check_answer_shape(obj)
    assert obj["question"] == "What hit Ain al-Asad?"
    assert obj["abstained"] is False and obj["mode"] == "extractive"
    assert "drones and missiles" in obj["answer"]
    (ref,) = obj["sources"]
    assert ref["n"] == 1 and ref["article_id"] == 1
    assert ref["title"].startswith("US troops attacked in Iraq and Syria")
    for sentence in obj["sentences"]:
        assert sentence["text"] in ref["quote"], "the quote is the supporting passage text"


def test_ask_json_fields_for_a_dated_sourced_article(
    data: str, tmp_path: Path, capsys: Cap
) -> None:
    item = {
        "title": "Harbour strike ends",
        "text": "Dock workers ended their strike at the harbour on Friday after a pay deal.",
        "url": "https://example.com/strike",
        "publisher": "Coast Daily",
        "date": "2023-10-20T18:00:00+02:00",
    }
    path = write_jsonl(tmp_path / "one.jsonl", [item])
    assert main_in_process(capsys, "ingest", str(path), "--data-dir", data, "--no-seeds")[0] == 0
    _, out, _ = main_in_process(
        capsys, "ask", "When did the harbour strike end?", "--json", "--data-dir", data
    )
    obj = json.loads(out)
    _check_answer_shape(obj)
    (ref,) = obj["sources"]
    assert ref["url"] == "https://example.com/strike"
    assert ref["source"] == "Coast Daily"
    assert ref["published_at"].startswith("2023-10-20T16:00:00")
    assert ref["published_at"].endswith(("Z", "+00:00"))


def test_abstention_exits_zero(data: str, capsys: Cap) -> None:
    code, out, _ = main_in_process(
        capsys, "ask", "Who won the 2018 World Cup?", "--json", "--data-dir", data
    )
    assert code == 0
    obj = json.loads(out)
    _check_answer_shape(obj)
    assert obj["abstained"] is True
    assert obj["sentences"] == [] and obj["sources"] == []
    assert "couldn't find anything" in obj["answer"]


def test_ask_text_output_has_markers_and_sources(data: str, capsys: Cap) -> None:
    code, out, _ = main_in_process(
        capsys, "ask", "What did the USS Carney intercept?", "--data-dir", data
    )
    assert code == 0
    assert "[1]" in out
    assert "\nSources:\n[1] US troops attacked" in out


def test_ask_filters_on_the_command_line(data: str, capsys: Cap) -> None:
    ok = main_in_process(
        capsys, "ask", "What hit Ain al-Asad?", "--json", "--since", "7d", "--data-dir", data
    )
    assert json.loads(ok[1])["abstained"] is False
    old = main_in_process(
        capsys,
        "ask",
        "What hit Ain al-Asad?",
        "--json",
        "--until",
        "2020-01-01",
        "--data-dir",
        data,
    )
    assert old[0] == 0 and json.loads(old[1])["abstained"] is True
    other = main_in_process(
        capsys, "ask", "What hit Ain al-Asad?", "--json", "--source", "nowhere", "--data-dir", data
    )
    assert json.loads(other[1])["abstained"] is True


def test_until_a_date_includes_that_whole_day(data: str, tmp_path: Path, capsys: Cap) -> None:
    item = {
        "title": "Evening vote",
        "text": "The council voted late in the evening.",
        "date": "2023-10-19T21:30:00Z",
    }
    main_in_process(
        capsys, "ingest", str(write_jsonl(tmp_path / "e.jsonl", [item])), "--data-dir", data
    )
    for until, expected in (
        ("2023-10-19", 1),
        ("Oct 19, 2023", 1),
        ("2023-10-18", 0),
        ("2023-10-19T12:00", 0),
    ):
        code, out, _ = main_in_process(
            capsys, "sources", "--json", "--until", until, "--data-dir", data, "--no-seeds"
        )
        assert code == 0
        assert len(json.loads(out)) == expected, until


def test_ask_json_stdin_writes_jsonl_in_order(tmp_path: Path) -> None:
    questions = [
        "What hit Ain al-Asad?",
        "Who won the 2018 World Cup?",
        "What did the USS Carney intercept?",
        'title:"Carney AND (NEAR',
    ]
    result = run_cli(
        "ask", "--json", "-", data_dir=tmp_path / "d", stdin="\n".join(questions) + "\n"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(questions)
    objs = [json.loads(line) for line in lines]
    assert [o["question"] for o in objs] == questions
    for obj in objs:
        _check_answer_shape(obj)
    assert [o["abstained"] for o in objs[:3]] == [False, True, False]
    assert result.stderr.count("ingested 1 seed article") == 1
    assert "Traceback" not in result.stderr


def test_chat_slash_commands_are_not_questions(
    data: str, capsys: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = "/help\n/bogus\nWhat hit Ain al-Asad?\n/reset\n/quit\nWhat hit Ain al-Asad?\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    code, out, err = main_in_process(capsys, "chat", "--json", "--data-dir", data)
    assert code == 0, err
    (answer,) = (json.loads(line) for line in out.splitlines())
    assert answer["question"] == "What hit Ain al-Asad?" and not answer["abstained"]
    assert "unknown command /bogus" in err and err.count("/new starts over") == 2
    assert "(new conversation)" in err


def test_sources_json(data: str, capsys: Cap) -> None:
    code, out, _ = main_in_process(capsys, "sources", "--json", "--data-dir", data)
    assert code == 0
    (item,) = json.loads(out)
    assert {"id", "title", "url", "source", "published_at"} <= set(item)
    assert item["title"].startswith("US troops attacked")
    code, out, _ = main_in_process(capsys, "sources", "--data-dir", data)
    assert "US troops attacked" in out and "undated" in out


def test_stats_json(data: str, capsys: Cap) -> None:
    code, out, _ = main_in_process(capsys, "stats", "--json", "--data-dir", data)
    assert code == 0
    stats = json.loads(out)
    assert set(stats) >= STATS_KEYS
    assert stats["articles"] == 1 and stats["chunks"] >= 2
    assert stats["sources"] == 0  # the seed has no publisher
    assert stats["first_published"] is None and stats["last_published"] is None
    assert stats["db_bytes"] > 0
    assert (Path(data) / "briefbot.sqlite3").exists()


def test_every_command_takes_data_dir_and_no_seeds() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    commands = sorted(sub.choices)  # type: ignore[arg-type]
    assert {"ingest", "ask", "sources", "stats"} <= set(commands)
    for name in commands:
        options = {o for a in sub.choices[name]._actions for o in a.option_strings}  # type: ignore[index]
        assert "--data-dir" in options, name
        assert "--no-seeds" in options, name


def test_data_dir_isolates_databases(tmp_path: Path, capsys: Cap) -> None:
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    main_in_process(capsys, "stats", "--data-dir", a)
    main_in_process(capsys, "stats", "--data-dir", b, "--no-seeds")
    assert (
        json.loads(main_in_process(capsys, "stats", "--json", "--data-dir", a)[1])["articles"] == 1
    )
    assert (
        json.loads(main_in_process(capsys, "stats", "--json", "--data-dir", b, "--no-seeds")[1])[
            "articles"
        ]
        == 0
    )
    assert not (tmp_path / "data").exists(), "the env data dir was not touched"


def test_auto_seeding_says_so_once(data: str, capsys: Cap) -> None:
    first = main_in_process(capsys, "ask", "What hit Ain al-Asad?", "--data-dir", data)
    assert first[2].count("\n") == 1
    assert first[2].startswith("briefbot: the corpus was empty; ingested 1 seed article(s)")
    second = main_in_process(capsys, "ask", "What hit Ain al-Asad?", "--data-dir", data)
    assert second[2] == ""
    assert second[1] == first[1]


def test_no_seeds_leaves_the_corpus_empty(
    data: str, capsys: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = main_in_process(
        capsys, "ask", "What hit Ain al-Asad?", "--json", "--no-seeds", "--data-dir", data
    )
    assert code == 0 and err == ""
    assert json.loads(out)["abstained"] is True
    monkeypatch.setenv("BRIEFBOT_AUTO_SEED", "false")
    code, out, err = main_in_process(capsys, "stats", "--json", "--data-dir", data)
    assert err == "" and json.loads(out)["articles"] == 0


def test_ingest_does_not_seed(data: str, tmp_path: Path, capsys: Cap) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [{"title": "T", "text": "Some text here."}])
    code, _, err = main_in_process(capsys, "ingest", str(path), "--data-dir", data)
    assert code == 0 and "seed" not in err
    stats = json.loads(main_in_process(capsys, "stats", "--json", "--data-dir", data)[1])
    assert stats["articles"] == 1


def test_ingest_json_report(data: str, tmp_path: Path, capsys: Cap) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"title": "A", "text": "Alpha text here."}\nnot json\n')
    code, out, _ = main_in_process(capsys, "ingest", str(path), "--json", "--data-dir", data)
    assert code == 0
    report = json.loads(out)
    assert report["added"] == 1 and report["duplicates"] == 0
    assert report["rejected"] == [
        {"origin": f"{path}:2", "reason": report["rejected"][0]["reason"]}
    ]
    assert report["rejected"][0]["reason"].startswith("bad JSON line 2")
    assert "added_ids" not in report
