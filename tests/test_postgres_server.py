"""The test PostgreSQL server: a real PostgreSQL 15, reached over loopback with a password, never as root."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg
import pytest

from tests.postgres import PostgresServer, PostgresUnavailable, find_bin_dir


async def test_the_server_is_postgresql_15_on_loopback(postgres: PostgresServer, postgres_url: str) -> None:
    conn = await asyncpg.connect(postgres_url)
    try:
        version = await conn.fetchval("SHOW server_version_num")
        address = await conn.fetchval("SELECT host(inet_server_addr())")
    finally:
        await conn.close()
    assert int(version) // 10_000 == 15
    assert address == "127.0.0.1"


async def test_a_wrong_password_is_refused(postgres: PostgresServer) -> None:
    url = postgres.url().replace(postgres.password, "wrong-password")
    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidPasswordError:
        return
    await conn.close()
    raise AssertionError("the server accepted a wrong password")


def test_the_server_runs_as_an_unprivileged_user(postgres: PostgresServer) -> None:
    status = Path(f"/proc/{postgres.postmaster_pid()}/status").read_text()
    real_uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
    assert real_uid != 0
    assert real_uid == (postgres.run_as.uid if os.geteuid() == 0 else os.getuid())


@pytest.mark.parametrize("run", [1, 2])  # the second run would see the first one's table in a shared database
async def test_each_test_gets_an_empty_database_of_its_own(postgres_url: str, run: int) -> None:
    conn = await asyncpg.connect(postgres_url)
    try:
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        await conn.execute("CREATE TABLE marker (id int)")
        database = await conn.fetchval("SELECT current_database()")
    finally:
        await conn.close()
    assert tables == []
    assert database != "postgres"


def test_without_postgresql_the_message_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PG_BIN", "/nonexistent/postgresql/bin")
    with pytest.raises(PostgresUnavailable, match=r"apt-get install postgresql-15"):
        find_bin_dir()
