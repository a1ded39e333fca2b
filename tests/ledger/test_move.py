"""`python -m bot migrate-ledger`: a SQLite ledger copied into an empty PostgreSQL database keeps every entry,
setting, job and balance; a database that is not empty, or a copy that does not add up, writes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import aiosqlite
import asyncpg
import pytest

from bot.ledger import Ledger, LedgerError, ResultImage
from bot.ledger.move import move_ledger
from bot.migrate import migrate_ledger_command

from .conftest import ALICE, BOB, DOLLAR, GUILD, MOD, Clock, new_job


async def community(path: Path, clock: Clock) -> Ledger:
    """A SQLite ledger with some history: jobs, captures, an open hold, grants, settings, results, state."""
    ledger = await Ledger.open(path, default_allowance=DOLLAR, default_period="month", clock=clock)
    await ledger.set_default(guild_id=GUILD, amount=2 * DOLLAR, period="week", actor_id=MOD)
    await ledger.set_cap(guild_id=GUILD, amount=50 * DOLLAR, period="month", actor_id=MOD)
    await ledger.set_allowance(guild_id=GUILD, user_id=BOB, amount=3 * DOLLAR, actor_id=MOD)
    await ledger.grant(guild_id=GUILD, user_id=ALICE, amount=250_000, actor_id=MOD, reason="welcome")
    for user, cost in ((ALICE, 60_000), (BOB, 90_000), (ALICE, 30_000)):
        job = await new_job(ledger, user)
        hold = await ledger.hold(guild_id=GUILD, user_id=user, amount=120_000, job_id=job)
        await ledger.capture(hold, cost)
        image = ResultImage(0, 700 + job, f"https://cdn/{job}.png", "ab" * 32, True, job, "a cat")
        await ledger.finish_job(job, cost=cost, message_id=900 + job, seed=job, images=[image])
        clock.advance(days=1)
    released = await ledger.hold(guild_id=GUILD, user_id=BOB, amount=10_000, job_id=None)
    await ledger.release(released)
    await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=40_000, job_id=await new_job(ledger))  # still open
    await ledger.set_state("commands", "hash-1")
    return ledger


async def snapshot(ledger: Ledger) -> tuple[object, ...]:
    return (
        await ledger.balance(GUILD, ALICE),
        await ledger.balance(GUILD, BOB),
        await ledger.report(GUILD),
        await ledger.entries(GUILD),
        await ledger.server_settings(GUILD),
        await ledger.get_state("commands"),
        await ledger.find_result(900 + 1),
    )


async def test_a_copy_keeps_every_balance_entry_and_setting(tmp_path: Path, postgres_url: str, clock: Clock) -> None:
    path = tmp_path / "bot.sqlite3"
    source = await community(path, clock)
    before = await snapshot(source)
    await source.close()

    report = await move_ledger(path, postgres_url)
    assert report.rows["ledger"] == len(before[3])  # type: ignore[arg-type]
    assert report.derived["open_holds"] == 1
    assert (report.spent, report.held) == (180_000, 40_000)

    moved = await Ledger.open(postgres_url, default_allowance=DOLLAR, default_period="month", clock=clock)
    try:
        assert await snapshot(moved) == before
        # Life goes on: new entries and jobs continue after the copied ids.
        job = await new_job(moved)
        hold = await moved.hold(guild_id=GUILD, user_id=BOB, amount=1_000, job_id=job)
        assert hold.id > max(entry.id for entry in before[3])  # type: ignore[attr-defined]
    finally:
        await moved.close()


async def test_a_database_that_is_not_empty_is_refused_and_left_alone(
    tmp_path: Path, postgres_url: str, clock: Clock
) -> None:
    path = tmp_path / "bot.sqlite3"
    await (await community(path, clock)).close()
    await move_ledger(path, postgres_url)
    with pytest.raises(LedgerError, match="not empty"):
        await move_ledger(path, postgres_url)
    conn = await asyncpg.connect(postgres_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM jobs") == 4
    finally:
        await conn.close()


async def test_a_copy_that_does_not_add_up_writes_nothing(tmp_path: Path, postgres_url: str, clock: Clock) -> None:
    path = tmp_path / "bot.sqlite3"
    await (await community(path, clock)).close()
    async with aiosqlite.connect(path) as conn:  # a total that no longer matches its entries
        await conn.execute(
            "UPDATE member_days SET spent = spent + 1"
            " WHERE (guild_id, user_id, day) = (SELECT guild_id, user_id, day FROM member_days LIMIT 1)"
        )
        await conn.commit()
    with pytest.raises(LedgerError, match="does not add up"):
        await move_ledger(path, postgres_url)
    conn = await asyncpg.connect(postgres_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM ledger") == 0
    finally:
        await conn.close()


def test_the_command_says_what_it_did_and_never_shows_the_password(
    tmp_path: Path, postgres_url: str, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "data" / "bot.sqlite3"

    async def prepare() -> None:
        await (await community(path, clock)).close()

    asyncio.run(prepare())  # the command runs its own event loop, as `python -m bot migrate-ledger` does
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\npath = "{path}"\n')
    password = urlsplit(postgres_url).password or "?"

    assert migrate_ledger_command(config, {}) == 2
    assert "set DATABASE_URL" in capsys.readouterr().err
    assert migrate_ledger_command(config, {"DATABASE_URL": postgres_url}) == 0
    out = capsys.readouterr().out
    assert "checked it" in out
    assert "Spent in total: $0.18; held: $0.04." in out
    assert migrate_ledger_command(config, {"DATABASE_URL": postgres_url}) == 1
    captured = capsys.readouterr()
    assert "not empty" in captured.err
    assert password not in captured.out + captured.err


async def test_the_operators_totals_are_checked_too(tmp_path: Path, postgres_url: str, clock: Clock) -> None:
    path = tmp_path / "bot.sqlite3"
    await (await community(path, clock)).close()
    async with aiosqlite.connect(path) as conn:
        await conn.execute("UPDATE operator_days SET paid = paid + 1 WHERE paid > 0")
        await conn.commit()
    with pytest.raises(LedgerError, match="operator_days differs"):
        await move_ledger(path, postgres_url)


async def test_day_totals_of_nothing_that_an_upgrade_left_out_still_add_up(
    tmp_path: Path, postgres_url: str, clock: Clock
) -> None:
    path = tmp_path / "bot.sqlite3"
    source = await community(path, clock)
    other_stripe = GUILD + 1  # a server whose only entries today cancel out: a row of zeros in its stripe
    await source.release(await source.hold(guild_id=other_stripe, user_id=BOB, amount=5_000, job_id=None))
    await source.close()
    async with aiosqlite.connect(path) as conn:  # as SQLite's V7 rebuilt the operator's days from older history
        deleted = await conn.execute("DELETE FROM operator_days WHERE paid = 0 AND held = 0")
        assert deleted.rowcount == 1
        await conn.commit()
    report = await move_ledger(path, postgres_url)
    assert report.derived["operator_days"] >= 1
