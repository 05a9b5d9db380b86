"""`briefbot ask --mode/--history` and `briefbot chat`, as subprocesses against the fake server."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.llm_helpers import cited, passage_with
from tests.support.openai_server import FakeOpenAIServer, Reply, Request, openai_server

__all__ = ["openai_server"]  # the fixture, imported for pytest

REPO = Path(__file__).resolve().parent.parent
SECRET = "sk-very-secret-0123456789"


def briefbot(
    *args: str, server: FakeOpenAIServer | None, tmp_path: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.pop("OPENAI_API_KEY", None)
    env.update(PYTHONPATH=str(REPO), BRIEFBOT_DATA_DIR=str(tmp_path / "data"))
    if server is not None:
        env.update(
            BRIEFBOT_LLM_BASE_URL=server.url,
            OPENAI_API_KEY=SECRET,
            BRIEFBOT_LLM_MAX_RETRIES="0",
            BRIEFBOT_LLM_DEADLINE="5",
        )
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )


def drones(request: Request) -> Reply:
    n = passage_with(request, "barrage of drones and missiles")
    return Reply(content=cited(("A barrage of drones and missiles hit the Ain al-Asad base.", [n])))


def test_ask_uses_llm_when_configured_and_never_prints_the_key(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    openai_server.respond_with(drones)
    done = briefbot(
        "ask", "-v", "--json", "What hit Ain al-Asad?", server=openai_server, tmp_path=tmp_path
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["mode"] == "llm"
    assert answer["verification"] == {
        "sentences_kept": 1,
        "sentences_dropped": 0,
        "citations_removed": 0,
        "sentences_over_limit": 0,
        "dropped": [],
        "model_check": None,
        "model_check_tokens": 0,
    }
    assert answer["usage"]["prompt_tokens"] > 0
    assert openai_server.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    assert SECRET not in done.stdout + done.stderr


def in_process(
    *args: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """`briefbot ARGS` through `bot.cli.main` (start-up cost of a subprocess avoided)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_mode_extractive_overrides_configured_llm(
    openai_server: FakeOpenAIServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BRIEFBOT_LLM_BASE_URL", openai_server.url)
    code, out, err = in_process(
        "ask",
        "--json",
        "--mode",
        "extractive",
        "What hit Ain al-Asad?",
        capsys=capsys,
        monkeypatch=monkeypatch,
    )
    assert code == 0, err
    assert json.loads(out)["mode"] == "extractive"
    assert openai_server.requests == []


def test_ask_with_history_file_answers_the_follow_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    history = tmp_path / "history.json"
    history.write_text(
        json.dumps([{"question": "What did the USS Carney intercept?", "answer": "Missiles [1]."}])
    )
    code, out, err = in_process(
        "ask",
        "--json",
        "--history",
        str(history),
        "and who launched them?",
        capsys=capsys,
        monkeypatch=monkeypatch,
    )
    assert code == 0, err
    answer = json.loads(out)
    assert answer["mode"] == "extractive"
    assert answer["question"] == "and who launched them?"
    assert "carney" in answer["standalone_question"].lower()
    assert "Houthi" in answer["answer"]


@pytest.mark.parametrize("content", ['[{"question": "q"}]', "not json", '{"question": "q"}'])
def test_bad_history_file_is_a_clear_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    content: str,
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, _out, err = in_process(
        "ask", "--history", str(bad), "why?", capsys=capsys, monkeypatch=monkeypatch
    )
    assert code == 1
    assert err.startswith("briefbot: error: history file")
    assert "Traceback" not in err
    missing = in_process(
        "ask",
        "--history",
        str(tmp_path / "nope.json"),
        "why?",
        capsys=capsys,
        monkeypatch=monkeypatch,
    )
    assert missing[0] == 1 and "cannot read history file" in missing[2]


@pytest.mark.parametrize("command", [["ask", "--mode", "llm", "why?"], ["chat", "--mode", "llm"]])
def test_mode_llm_without_endpoint_is_a_clear_error(
    command: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _out, err = in_process(*command, capsys=capsys, monkeypatch=monkeypatch)
    assert code == 1
    assert err.startswith("briefbot: error: --mode llm needs an LLM endpoint")


def test_chat_keeps_the_conversation_for_follow_ups(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    openai_server.respond_with(
        lambda r: (
            Reply(content="Who launched the missiles the USS Carney intercepted?")
            if "<<<HISTORY>>>" in r.text("user")
            else Reply(
                content=cited(
                    (
                        "Houthi forces in Yemen launched the missiles the USS Carney intercepted.",
                        [passage_with(r, "USS Carney")],
                    )
                )
            )
        )
    )
    done = briefbot(
        "chat",
        "--json",
        server=openai_server,
        tmp_path=tmp_path,
        stdin="What did the USS Carney intercept?\nand who launched them?\n/quit\nignored\n",
    )
    assert done.returncode == 0, done.stderr
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["mode"] == second["mode"] == "llm"
    assert second["standalone_question"] == "Who launched the missiles the USS Carney intercepted?"
    condense = openai_server.requests[1]
    assert "What did the USS Carney intercept?" in condense.text("user")
    assert len(openai_server.requests) == 3
