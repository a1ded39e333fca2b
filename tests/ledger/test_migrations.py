"""Numbered migrations, on SQLite and PostgreSQL: from an empty database and from every earlier version to the
same schema, data kept; a failing migration changes nothing. (PostgreSQL's numbering, concurrent starts and a
newer schema: tests/ledger/test_pg.py.)"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
import pytest

from bot.ledger import (
    LATEST_VERSION,
    BudgetExceeded,
    Ledger,
    LedgerError,
    Migration,
    ResultImage,
    load_migrations,
    migrate,
)
from bot.ledger.backends import is_postgres
from bot.ledger.db import connect, schema_version
from bot.ledger.periods import period_bounds, to_us
from bot.ledger.pg import PG_LATEST_VERSION, migrate_pg
from bot.ledger.pg import schema_version as pg_schema_version

from .conftest import ALICE, DOLLAR, GUILD, Clock, new_job
from .raw import RawPostgres


async def schema(path: Path) -> list[tuple[str, str, str]]:
    async with aiosqlite.connect(path) as conn:
        rows = await conn.execute_fetchall(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
        )
        return [tuple(row) for row in rows]


# Everything PostgreSQL knows of a database's schema, as its own definitions: tables' columns in order,
# constraints, indexes, triggers and functions.
PG_DEFINITIONS = (
    "SELECT table_name, ordinal_position, column_name, data_type, is_nullable, column_default, is_identity"
    " FROM information_schema.columns WHERE table_schema = current_schema()",
    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
    " WHERE connamespace = current_schema()::regnamespace",
    "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()",
    "SELECT tgname, pg_get_triggerdef(oid), tgenabled FROM pg_trigger WHERE NOT tgisinternal",
    "SELECT pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = current_schema()::regnamespace",
)


async def postgres_definitions(url: str) -> list[list[tuple[Any, ...]]]:
    conn = await asyncpg.connect(url)
    try:
        return [sorted(tuple(row) for row in await conn.fetch(query)) for query in PG_DEFINITIONS]
    finally:
        await conn.close()


def test_migration_files_are_numbered_from_one_without_gaps() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, LATEST_VERSION + 1))
    assert migrations[0].name == "initial"
    assert all(m.sql.strip() for m in migrations)


async def test_an_empty_file_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    # SQLite's file: its version in PRAGMA user_version, its journal in WAL mode. PostgreSQL's counterpart: below.
    path = tmp_path / "new" / "bot.sqlite3"
    ledger = await Ledger.open(path, default_allowance=DOLLAR, default_period="month")
    await ledger.close()
    async with aiosqlite.connect(path) as conn:
        assert (await (await conn.execute("PRAGMA user_version")).fetchone()) == (LATEST_VERSION,)
        assert (await (await conn.execute("PRAGMA journal_mode")).fetchone()) == ("wal",)
    assert {"ledger", "jobs", "result_images", "state", "guild_settings"} <= {name for _, name, _ in await schema(path)}


async def test_an_empty_postgres_database_is_migrated_to_the_latest_version(postgres_url: str) -> None:
    await (await Ledger.open(postgres_url, default_allowance=DOLLAR, default_period="month")).close()
    conn = await asyncpg.connect(postgres_url)
    try:
        versions = [row[0] for row in await conn.fetch("SELECT version FROM schema_version ORDER BY version")]
        assert versions == list(range(1, PG_LATEST_VERSION + 1))
        tables = {row[0] for row in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert {"ledger", "jobs", "result_images", "state", "guild_settings", "api_leases"} <= tables
    finally:
        await conn.close()


async def seed(ledger: Ledger, version: int, message_id: int) -> None:
    """Use what the schema offers at `version`, so the upgrade has data to carry."""
    if version >= 1:
        job = await new_job(ledger)
        hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=300_000, job_id=job)
        await ledger.capture(hold, 120_000)
        if version >= 2:
            image = ResultImage(0, 77, "https://cdn/x.png", "ab" * 32, True, 9, "a cat")
            await ledger.finish_job(job, cost=120_000, message_id=message_id, seed=9, images=[image])
        if version >= 3:
            await ledger.set_state("commands", "hash-1")


async def seed_old(conn: Any, version: int, clock: Clock, message_id: int) -> None:
    """What a bot at SQLite's `version` wrote, in its own statements: a job charged $0.12 of a $0.30 hold, an open
    hold of $0.20 left by a crash, a member's own allowance; from V2 the job's result, V3 the bot's state, V4 the
    member's defaults, V5 the server's policy. `conn` speaks SQLite's SQL (on PostgreSQL through `RawPostgres`)."""
    if version < 1:
        return
    now = to_us(clock.now)
    start = to_us(period_bounds("month", clock.now)[0])
    await conn.execute(
        "INSERT INTO jobs (guild_id, channel_id, user_id, command, operation, parameters, prompt, created_at)"
        " VALUES (?, 55, ?, 'imagine', 'generate', '{}', 'a cat', ?), (?, 55, ?, 'imagine', 'generate', '{}',"
        " 'a dog', ?)",
        (GUILD, ALICE, now, GUILD, ALICE, now),
    )
    for kind, amount, job_id, hold_id in (
        ("hold", 300_000, 1, None),
        ("capture", 120_000, 1, 1),
        ("hold", 200_000, 2, None),
    ):
        line = {"kind": kind, "amount": amount, "guild_id": GUILD, "user_id": ALICE, "actor_id": ALICE, "reason": ""}
        line |= {"job_id": job_id, "hold_id": hold_id, "period": "month", "period_start": start}
        line |= {"counts_at": now, "created_at": now}
        if version >= 6:  # from V6 a hold names the process that made it (an older bot's only one: 'default')
            line["instance_id"] = "default" if kind == "hold" else None
        placeholders = ", ".join("?" * len(line))
        await conn.execute(f"INSERT INTO ledger ({', '.join(line)}) VALUES ({placeholders})", tuple(line.values()))
    await conn.execute(
        "INSERT INTO member_allowances (guild_id, user_id, amount, period) VALUES (?, ?, ?, 'month')",
        (GUILD, ALICE, 2 * DOLLAR),
    )
    if version >= 2:
        await conn.execute(
            "UPDATE jobs SET status = 'succeeded', cost = 120000, message_id = ? WHERE id = 1", (message_id,)
        )
        await conn.execute(
            "INSERT INTO result_images (job_id, idx, attachment_id, url, sha256, is_safe, seed, prompt)"
            " VALUES (1, 0, 77, 'https://cdn/x.png', ?, 1, 9, 'a cat')",
            ("ab" * 32,),
        )
    if version >= 3:
        await conn.execute("INSERT INTO state (key, value) VALUES ('commands', 'hash-1')")
    if version >= 4:
        await conn.execute(
            "INSERT INTO member_settings (guild_id, user_id, rendering_speed) VALUES (?, ?, 'QUALITY')", (GUILD, ALICE)
        )
    if version >= 5:
        await conn.execute("INSERT INTO guild_policy (guild_id, cooldown_s) VALUES (?, 30)", (GUILD,))
        await conn.execute("INSERT INTO blocked_words (guild_id, word) VALUES (?, 'spoiler')", (GUILD,))


# What a PostgreSQL database at each version holds, as the SQLite version with the same tables: V1 only the API
# leases, V2 SQLite's V1-V3, V3 its V4-V5, V4 its V6, V5 its V7. A new PostgreSQL migration adds its line here.
PG_AS_SQLITE = {0: 0, 1: 0, 2: 3, 3: 5, 4: 6, 5: 7}
# Every version, the latest too (nothing to migrate: the data is simply there).
UPGRADES = [("sqlite", v, v) for v in range(LATEST_VERSION + 1)] + [
    ("postgres", v, PG_AS_SQLITE[v]) for v in sorted(PG_AS_SQLITE)
]


def test_every_postgres_version_says_which_sqlite_version_it_matches() -> None:
    assert sorted(PG_AS_SQLITE) == list(range(PG_LATEST_VERSION + 1))
    assert PG_AS_SQLITE[PG_LATEST_VERSION] == LATEST_VERSION


async def old_database(location: Path | str, version: int, as_sqlite: int, clock: Clock) -> None:
    """A database migrated only to `version` of its backend's migrations, with what a bot at it wrote."""
    if is_postgres(location):
        pg = await asyncpg.connect(str(location))
        try:
            assert await migrate_pg(pg, target=version) == version
            await seed_old(RawPostgres(pg), as_sqlite, clock, message_id=555)
        finally:
            await pg.close()
        return
    conn = await connect(location)
    try:
        assert await migrate(conn, target=version) == version
        await seed_old(conn, as_sqlite, clock, message_id=555)
    finally:
        await conn.close()


@pytest.fixture
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Awaitable[Path | str]]:
    """Makes new, empty databases of the backend the test names: SQLite files or PostgreSQL databases."""
    if request.param == "postgres":
        return request.getfixturevalue("postgres_databases")  # type: ignore[no-any-return]
    files = (tmp_path / f"{n}.sqlite3" for n in itertools.count())

    async def new_file() -> Path:
        return next(files)

    return new_file


@pytest.mark.parametrize(
    ("new_database", "version", "as_sqlite"),
    UPGRADES,
    ids=[f"{backend}-V{version}" for backend, version, _ in UPGRADES],
    indirect=["new_database"],
)
async def test_every_version_upgrades_to_the_fresh_schema_and_keeps_its_data(
    new_database: Callable[[], Awaitable[Path | str]], clock: Clock, version: int, as_sqlite: int
) -> None:
    fresh, old = await new_database(), await new_database()
    await (await Ledger.open(fresh, default_allowance=DOLLAR, default_period="month")).close()
    await old_database(old, version, as_sqlite, clock)
    paid_before = 120_000 if as_sqlite >= 1 else 0

    # Today's code migrates it on opening. The operator's cap leaves room for $0.30 beyond what was paid before.
    upgraded = await Ledger.open(
        old, default_allowance=DOLLAR, default_period="month", clock=clock, operator_cap=paid_before + 300_000
    )
    try:
        assert await upgraded.recover() == (as_sqlite >= 1)  # the old open hold is this instance's
        with pytest.raises(BudgetExceeded) as refused:  # what was paid before counts toward the operator's cap
            await upgraded.hold(guild_id=GUILD, user_id=ALICE, amount=300_001, job_id=None)
        assert refused.value.scope == "operator"
        await seed(upgraded, LATEST_VERSION, message_id=556)  # everything works on the upgraded database
        balance = await upgraded.balance(GUILD, ALICE)
        assert (balance.spent, balance.held) == (120_000 + paid_before, 0)
        assert balance.allowance == (2 * DOLLAR if as_sqlite >= 1 else DOLLAR)
        report = await upgraded.report(GUILD, "month")
        assert (report.captured, report.paid, report.held) == (balance.spent, balance.spent, 0)
        assert (await upgraded.usage())[-1].paid == balance.spent
        for message_id in (555, 556) if as_sqlite >= 2 else (556,):
            result = await upgraded.find_result(message_id)
            assert result is not None
            assert result.images[0].attachment_id == 77
        assert await upgraded.get_state("commands") == "hash-1"
        settings = await upgraded.member_settings.get(GUILD, ALICE)
        assert settings == ({"rendering_speed": "QUALITY"} if as_sqlite >= 4 else {})
        policy = await upgraded.policy.get(GUILD)
        assert (policy.cooldown_s, policy.blocked_words) == ((30, ("spoiler",)) if as_sqlite >= 5 else (0, ()))
    finally:
        await upgraded.close()
    if is_postgres(old):
        assert await postgres_definitions(str(old)) == await postgres_definitions(str(fresh))
    else:
        assert await schema(Path(old)) == await schema(Path(fresh))


async def test_a_database_from_a_newer_bot_is_refused(sqlite_path: Path) -> None:
    # PostgreSQL's counterpart: tests/ledger/test_pg.py
    await (await Ledger.open(sqlite_path, default_allowance=DOLLAR, default_period="month")).close()
    async with aiosqlite.connect(sqlite_path) as conn:
        await conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    with pytest.raises(LedgerError, match="newer"):
        await Ledger.open(sqlite_path, default_allowance=DOLLAR, default_period="month")


async def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    # SQLite applies each migration in its own transaction: the good one stays. PostgreSQL's counterpart: below.
    migrations = [
        Migration(1, "good", "CREATE TABLE kept (x INTEGER);"),
        Migration(2, "bad", "CREATE TABLE half (x INTEGER); INSERT INTO missing VALUES (1);"),
    ]
    conn = await connect(tmp_path / "m.sqlite3")
    try:
        with pytest.raises(LedgerError, match="V2__bad"):
            await migrate(conn, migrations)
        assert await schema_version(conn) == 1
        tables = {row[0] for row in await conn.execute_fetchall("SELECT name FROM sqlite_master")}
        assert tables == {"kept"}
        assert not conn.in_transaction
    finally:
        await conn.close()


async def test_a_failing_postgres_migration_changes_nothing(postgres_url: str) -> None:
    # PostgreSQL applies all pending migrations in one transaction (SQLite: each in its own, above).
    migrations = [
        Migration(1, "good", "CREATE TABLE kept (x integer);"),
        Migration(2, "bad", "CREATE TABLE half (x integer); INSERT INTO missing VALUES (1);"),
    ]
    conn = await asyncpg.connect(postgres_url)
    try:
        with pytest.raises(LedgerError, match="V2__bad"):
            await migrate_pg(conn, migrations)
        assert await pg_schema_version(conn) == 0
        assert await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == []
        assert not conn.is_in_transaction()
    finally:
        await conn.close()
