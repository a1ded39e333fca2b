"""Fixtures shared by every test directory: a real PostgreSQL server, once per session, and `db_path`, which runs
a ledger test on both backends."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.postgres import REQUIRED_HINT, PostgresServer, PostgresUnavailable, find_bin_dir, postgres_server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL 15 server for the whole session. Without one the test is skipped, unless `REQUIRE_POSTGRES`
    is set (CI sets it), where that is an error: CI must never pass by skipping the PostgreSQL tests."""
    try:
        find_bin_dir()
    except PostgresUnavailable as exc:
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(REQUIRED_HINT, pytrace=False)
        pytest.skip(str(exc))
    with postgres_server() as server:
        yield server


@pytest.fixture
async def postgres_databases(postgres: PostgresServer) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Makes new, empty databases for this test (each call returns one's URL); all are dropped after it."""
    admin = await asyncpg.connect(postgres.url())
    names: list[str] = []

    async def create() -> str:
        name = postgres.next_database_name()
        await admin.execute(f'CREATE DATABASE "{name}" STRATEGY FILE_COPY')
        names.append(name)
        return postgres.url(name)

    try:
        yield create
        for name in names:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def postgres_url(postgres_databases: Callable[[], Awaitable[str]]) -> str:
    """The URL of a new, empty database of its own for this test, dropped after it."""
    return await postgres_databases()


@pytest.fixture(params=["sqlite", "postgres"])
def db_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where the ledger lives: a SQLite file, or (the same tests again) a PostgreSQL database of its own."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return tmp_path / "data" / "bot.sqlite3"
