"""What every benchmark report shares: the line saying where it ran, and the rewrite of the
benchmark's own section of docs/benchmarks.md (the other sections are left as they are)."""

from __future__ import annotations

import os
import platform
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def machine() -> str:
    """Architecture, cores, the 1-minute load average (other jobs share the machine), Python."""
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f},"
        f" Python {platform.python_version()}"
    )


def write_section(section: str, text: str, path: Path = DOCS) -> None:
    """Replace the part of `path` from the heading `section` to the next `## ` heading with
    `text` (which starts with that heading), or append `text` when the section is new."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start = old.find(section)
    if start == -1:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        nxt = old.find("\n## ", start + len(section))
        new = old[:start] + text + (old[nxt + 1 :] if nxt != -1 else "")
    path.write_text(new.rstrip("\n") + "\n", encoding="utf-8")
