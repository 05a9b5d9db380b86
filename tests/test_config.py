"""Settings: sections, every flat BRIEFBOT_* name still working, cross-field checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_helpers import main_in_process
from pydantic import ValidationError

from bot.config import FLAT_NAMES, SECTIONS, Settings, describe_errors, env_name, iter_env_names
from tests.test_cli_errors import Cap, _one_error_line


def test_every_field_has_one_distinct_flat_environment_name() -> None:
    names = [name for _, _, name in iter_env_names()]
    assert len(names) == len(set(names)) == sum(len(m.model_fields) for m in SECTIONS.values())
    assert all(name.startswith("BRIEFBOT_") and name.isupper() for name in names)


@pytest.mark.parametrize(
    ("variable", "value", "section", "field", "expected"),
    [
        ("BRIEFBOT_LLM_BASE_URL", "http://llm:8080/v1", "llm", "base_url", "http://llm:8080/v1"),
        ("BRIEFBOT_TOP_K", "3", "answers", "top_k", 3),
        ("BRIEFBOT_MAX_ANSWER_SENTENCES", "2", "answers", "max_sentences", 2),
        ("BRIEFBOT_RETRIEVAL", "hybrid", "retrieval", "mode", "hybrid"),
        ("BRIEFBOT_INGEST_BATCH", "77", "ingest", "batch", 77),
        ("BRIEFBOT_PAGE_CONCURRENCY", "2", "feeds", "page_concurrency", 2),
        ("BRIEFBOT_FEED_POLL_TICK", "9", "feeds", "poll_tick", 9),
        ("BRIEFBOT_BRIEFING_TOP_STORIES", "4", "briefing", "top_stories", 4),
        ("BRIEFBOT_TELEGRAM_ALLOWED_USERS", "1, 2", "telegram", "allowed_users", [1, 2]),
        ("BRIEFBOT_LLM__MODEL", "llama3", "llm", "model", "llama3"),
    ],
)
def test_flat_and_nested_environment_names_reach_their_section(
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    section: str,
    field: str,
    expected: object,
) -> None:
    monkeypatch.setenv(variable, value)
    assert getattr(getattr(Settings(), section), field) == expected


def test_aliases_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("BRIEFBOT_LLM_MODEL=from-file\nBRIEFBOT_TOP_K=5\n")
    monkeypatch.setenv("BRIEFBOT_TOP_K", "6")  # the environment wins over the file
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-alias")
    settings = Settings()
    assert settings.llm.model == "from-file"
    assert settings.answers.top_k == 6
    assert settings.llm.key == "sk-test-alias"
    assert not settings.llm_enabled, "OPENAI_API_KEY alone needs BRIEFBOT_LLM_PROVIDER=openai"


def test_constructor_values_win_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BRIEFBOT_LLM_MODEL", "from-env")
    monkeypatch.setenv("BRIEFBOT_LLM__TEMPERATURE", "0.7")
    monkeypatch.setenv("BRIEFBOT_TOP_K", "6")
    flat = Settings(data_dir=tmp_path, llm_model="given")
    nested = Settings(data_dir=tmp_path, llm={"model": "given"})
    for settings in (flat, nested):
        # a given field wins; the environment still fills the section's other fields
        assert (settings.llm.model, settings.llm.temperature) == ("given", 0.7)
        assert settings.answers.top_k == 6


def test_constructor_takes_flat_or_nested_keys_and_updated_validates(tmp_path: Path) -> None:
    flat = Settings(data_dir=tmp_path, llm_model="m1", retrieval="dense")
    nested = Settings(
        store={"data_dir": tmp_path}, llm={"model": "m1"}, retrieval={"mode": "dense"}
    )
    assert flat.model_dump() == nested.model_dump()
    assert flat.database == tmp_path / "briefbot.sqlite3"
    changed = flat.updated(top_k=2, briefing={"top_stories": 3})
    assert (changed.answers.top_k, changed.briefing.top_stories, changed.llm.model) == (2, 3, "m1")
    assert flat.answers.top_k == 8  # the original is untouched
    with pytest.raises(ValidationError):
        flat.updated(top_k=0)


def test_contradicting_settings_name_the_wrong_setting(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(data_dir=tmp_path, chunk_min_tokens=1000, chunk_max_tokens=50)
    (line,) = describe_errors(caught.value)
    assert "BRIEFBOT_CHUNK_MIN_TOKENS (1000)" in line
    assert "BRIEFBOT_CHUNK_MAX_TOKENS (50)" in line
    with pytest.raises(ValidationError) as caught:
        Settings(data_dir=tmp_path, feed_min_interval=60, feed_default_interval=30)
    assert "BRIEFBOT_FEED_MIN_INTERVAL" in describe_errors(caught.value)[0]


def test_cli_reports_each_bad_setting_in_one_line_without_secrets(
    tmp_path: Path, capsys: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFBOT_CHUNK_MIN_TOKENS", "1000")
    monkeypatch.setenv("BRIEFBOT_CHUNK_MAX_TOKENS", "50")
    code, _, err = main_in_process(capsys, "stats", "--data-dir", str(tmp_path / "d"))
    assert code == 2
    line = _one_error_line(err)
    assert line.startswith("briefbot: error: invalid setting")
    assert "BRIEFBOT_CHUNK_MIN_TOKENS" in line
    assert "Traceback" not in err


def test_env_name_round_trips_through_the_flat_index() -> None:
    for flat, (section, field) in FLAT_NAMES.items():
        assert env_name(section, field) == "BRIEFBOT_" + flat.upper()
