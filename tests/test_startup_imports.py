"""Every command imports bot.cli (all commands register there): none of the heavy libraries
that only some commands need may load with it, or a cold `briefbot ask` pays for them."""

from __future__ import annotations

import subprocess
import sys

ONLY_WHEN_NEEDED = (
    "httpx",  # doctor/health, fetching, the LLM client
    "openai",
    "telegram",
    "tornado",
    "psycopg",
    "matplotlib",
    "py3langid",
    "scipy",
    "trafilatura",
    "feedparser",
    "dateutil",  # only for --since/--until and ingest
    "safetensors",  # the paraphrase model's weights: only for weak evidence
)


def test_importing_the_cli_loads_no_heavy_library() -> None:
    code = (
        "import sys, bot.cli\n"
        f"print(' '.join(m for m in {ONLY_WHEN_NEEDED!r} if m in sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []
