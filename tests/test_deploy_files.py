"""The deployment files work as written, without a Docker daemon: the Dockerfile's install and
entry point in a fresh venv (the built wheel, no network), compose.yaml and the systemd unit
parse and name what README's "Deploy" section says."""

from __future__ import annotations

import asyncio
import configparser
import json
import os
import re
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.support.botapi import BotApiEmulator


def dockerfile() -> dict[str, list[str]]:
    """Instruction → its arguments, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (REPO / "Dockerfile").read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.setdefault(word.upper(), []).append(rest.strip())
    return found


def deploy_section() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n## Deploy")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end > 0 else None]


def test_dockerfile_is_slim_non_root_with_a_data_volume_and_health_check() -> None:
    d = dockerfile()
    assert re.fullmatch(r"python:3\.1[1-9]-slim", d["FROM"][0])
    assert d["USER"] and d["USER"][-1] not in ("root", "0")
    env = " ".join(d["ENV"])
    assert "BRIEFBOT_DATA_DIR=/data" in env
    assert json.loads(d["VOLUME"][0]) == ["/data"]
    assert json.loads(d["CMD"][0]) == ["briefbot", "run"]
    health = d["HEALTHCHECK"][0]
    assert json.loads(health[health.index("CMD") + 3 :].strip()) == ["briefbot", "health"]
    assert any(run.startswith('pip install ".[postgres]"') for run in d["RUN"])


def _fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    """A new venv with the wheel installed by pip (the Dockerfile's `pip install .`, offline:
    dependencies are borrowed from this test run's environment through a .pth file)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            f"{wheel}[postgres]",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    # after the install: with this run's packages visible, pip would see briefbot as
    # already installed (a non-editable install of the repo) and skip the wheel
    Path(site, "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


async def test_dockerfile_commands_run_from_a_fresh_install(
    built_wheel: Path, tmp_path: Path, botapi: BotApiEmulator
) -> None:
    venv = _fresh_venv(tmp_path, built_wheel)
    briefbot = str(venv / "bin" / "briefbot")
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import bot; print(bot.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    ).stdout
    assert where.startswith(str(venv)), "the installed package, not the source tree"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.pop("PYTHONPATH", None)
    env.update(
        BRIEFBOT_DATA_DIR=str(tmp_path / "data"),
        TELEGRAM_BOT_TOKEN=botapi.token,
        BRIEFBOT_TELEGRAM_API_URL=botapi.url,
        BRIEFBOT_TELEGRAM_POLL_TIMEOUT="1",
        BRIEFBOT_HEARTBEAT_SECONDS="5",
    )

    async def health() -> int:
        proc = await asyncio.create_subprocess_exec(
            briefbot, "health", env=env, cwd=tmp_path, stderr=asyncio.subprocess.DEVNULL
        )
        return await proc.wait()

    assert await health() == 1, "no bot yet"
    bot = await asyncio.create_subprocess_exec(
        briefbot, "run", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    try:
        await botapi.wait_for("setMyCommands", timeout=30)
        for _ in range(40):
            if await health() == 0:
                break
            await asyncio.sleep(0.25)
        else:
            pytest.fail("`briefbot health` never saw the running bot")
    finally:
        bot.send_signal(signal.SIGTERM)  # what `docker stop` and systemd send
        _, err = await asyncio.wait_for(bot.communicate(), 20)
    assert bot.returncode == 0, err.decode()[-2000:]


def test_compose_runs_the_bot_on_postgres_as_readme_says() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    services, volumes = compose["services"], compose["volumes"]
    bot, db = services["bot"], services["db"]
    assert bot["build"] == "."
    url = bot["environment"]["BRIEFBOT_DATABASE_URL"]
    assert url.startswith("postgresql://") and "@db:5432/" in url
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert "pgvector" in db["image"] and db["healthcheck"]["test"]
    named = {mount.split(":")[0] for s in services.values() for mount in s.get("volumes", [])}
    assert named and named <= set(volumes), "every volume is a named one"
    section = deploy_section()
    for word in (
        "docker compose up -d",
        "compose.yaml",
        "POSTGRES_PASSWORD",
        "TELEGRAM_BOT_TOKEN",
        "briefbot doctor",
        *services,
        *volumes,
    ):
        assert word in section, word


def test_systemd_unit_restarts_on_failure_and_reads_an_environment_file() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(REPO / "deploy" / "briefbot.service", encoding="utf-8")
    service = unit["Service"]
    assert service["Restart"] == "on-failure"
    assert service["ExecStart"].endswith("/briefbot run")
    assert service["User"] not in ("root", "0")
    section = deploy_section()
    for word in ("deploy/briefbot.service", service["EnvironmentFile"], "systemctl enable --now"):
        assert word in section, word
