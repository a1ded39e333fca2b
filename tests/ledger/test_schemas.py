"""SQLite's and PostgreSQL's ledger schemas, each built by its own numbered migrations, are the same: tables,
columns (kind, nullability, default), keys, unique constraints, indexes, foreign keys, CHECK constraints and the
guard triggers (what the database itself refuses: changing or deleting ledger lines, settlements and refunds that
do not match). What the guards do is tested on both in tests/ledger/test_append_only.py; the triggers that keep
the per-day totals differ in shape (several SQLite triggers, one PL/pgSQL function) and every balance test checks
what they add up to."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg

from bot.ledger import Ledger

from .conftest import DOLLAR

# Tables only PostgreSQL needs: its migration bookkeeping (SQLite keeps PRAGMA user_version) and the API
# slots that processes sharing the database count together (one SQLite process counts in memory).
POSTGRES_ONLY = {"schema_version", "api_leases"}
_CHECK = re.compile(r"\bCHECK\s*\(", re.I)
# A trigger's name, when and on what it fires (SQLite's are all FOR EACH ROW), and its WHEN condition (SQLite's
# text or pg_get_triggerdef's).
_TRIGGER = re.compile(
    r"CREATE TRIGGER (?P<name>\w+)\s+(?P<timing>BEFORE|AFTER)\s+(?P<event>\w+)\s+ON\s+[\w.]+\s+"
    r"(?:FOR EACH (?P<level>ROW|STATEMENT)\s+)?(?:WHEN\s*(?P<when>.*?))?\s*(?:BEGIN|EXECUTE FUNCTION)",
    re.I | re.S,
)
_QUOTED = re.compile(r"'([^']*)'")
# SQLite has no TRUNCATE; there, `DELETE FROM ledger` is what empties a table, and ledger_no_delete refuses it.
POSTGRES_ONLY_GUARDS = {"ledger_no_truncate"}


def _guards(definitions: list[str]) -> dict[str, tuple[str, str, frozenset[str]]]:
    """The BEFORE triggers among `definitions`: name -> (the statement they guard, per row or per statement,
    the kinds their WHEN names)."""
    guards = {}
    for definition in definitions:
        match = _TRIGGER.match(definition.strip())
        assert match is not None, definition
        if match["timing"].upper() == "BEFORE" and match["name"] not in POSTGRES_ONLY_GUARDS:
            kinds = frozenset(_QUOTED.findall(match["when"] or ""))
            guards[match["name"]] = (match["event"].upper(), (match["level"] or "ROW").upper(), kinds)
    return guards


def _kind(declared: str) -> str:
    declared = declared.lower()
    return "integer" if "int" in declared else "text" if declared in {"text", "character varying"} else declared


def _default(value: str | None) -> str | None:
    return None if value is None else value.removesuffix("::text")


async def sqlite_schema(path: Path) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    async with aiosqlite.connect(path) as conn:
        tables = await conn.execute_fetchall(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        for table, sql in tables:
            columns = await conn.execute_fetchall(f"PRAGMA table_info({table})")
            key = [c[1] for c in sorted(columns, key=lambda c: c[5]) if c[5]]
            indexes = await conn.execute_fetchall(f"PRAGMA index_list({table})")
            unique, named = set(), set()
            for _seq, index, _unique, origin, _partial in indexes:
                if origin == "u":
                    info = await conn.execute_fetchall(f"PRAGMA index_info({index})")
                    unique.add(tuple(row[2] for row in info))
                elif origin == "c":
                    named.add(index)
            foreign = await conn.execute_fetchall(f"PRAGMA foreign_key_list({table})")
            triggers = await conn.execute_fetchall(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
            )
            schema[table] = {
                "columns": {
                    name: (_kind(declared), bool(notnull) or name in key, _default(default))
                    for _cid, name, declared, notnull, default, _pk in columns
                },
                "key": key,
                "unique": unique,
                "indexes": named,
                "foreign": {(row[3], row[2], row[4]) for row in foreign},
                "checks": len(_CHECK.findall(sql)),
                "guards": _guards([row[0] for row in triggers]),
            }
    return schema


async def postgres_schema(url: str) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    conn = await asyncpg.connect(url)
    try:
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        for (table,) in tables:
            if table in POSTGRES_ONLY:
                continue
            columns = await conn.fetch(
                "SELECT column_name, data_type, is_nullable, column_default, is_identity"
                " FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
                table,
            )
            constraints = await conn.fetch(
                "SELECT c.contype::text AS contype, c.conname,"
                " ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(n, o)"
                "   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) AS columns,"
                " r.relname AS target, ARRAY(SELECT a.attname FROM unnest(c.confkey) AS k(n)"
                "   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS target_columns"
                " FROM pg_constraint c LEFT JOIN pg_class r ON r.oid = c.confrelid"
                " WHERE c.conrelid = $1::text::regclass",
                table,
            )
            indexes = await conn.fetch(
                "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                " WHERE x.indrelid = $1::text::regclass AND NOT EXISTS"
                " (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                table,
            )
            triggers = await conn.fetch(
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = $1::text::regclass AND NOT tgisinternal",
                table,
            )
            key = next((list(c["columns"]) for c in constraints if c["contype"] == "p"), [])
            schema[table] = {
                "columns": {
                    c["column_name"]: (
                        _kind(c["data_type"]),
                        c["is_nullable"] == "NO",
                        None if c["is_identity"] == "YES" else _default(c["column_default"]),
                    )
                    for c in columns
                },
                "key": key,
                "unique": {tuple(c["columns"]) for c in constraints if c["contype"] == "u"},
                "indexes": {row["relname"] for row in indexes},
                "foreign": {
                    (c["columns"][0], c["target"], c["target_columns"][0]) for c in constraints if c["contype"] == "f"
                },
                "checks": sum(c["contype"] == "c" for c in constraints),
                "guards": _guards([row[0] for row in triggers]),
            }
    finally:
        await conn.close()
    return schema


async def test_both_databases_have_the_same_schema(tmp_path: Path, postgres_url: str) -> None:
    path = tmp_path / "bot.sqlite3"
    for location in (path, postgres_url):
        await (await Ledger.open(location, default_allowance=DOLLAR, default_period="month")).close()
    sqlite, postgres = await sqlite_schema(path), await postgres_schema(postgres_url)
    assert {"ledger", "open_holds", "jobs", "member_days", "guild_days", "result_images", "state"} <= set(sqlite)
    assert sqlite["ledger"]["checks"] == 8
    assert sqlite["ledger"]["guards"] == {
        "ledger_no_update": ("UPDATE", "ROW", frozenset()),
        "ledger_no_delete": ("DELETE", "ROW", frozenset()),
        "ledger_settlement_checks": ("INSERT", "ROW", frozenset({"capture", "release", "write-off", "uncertain"})),
        "ledger_refund_checks": ("INSERT", "ROW", frozenset({"refund"})),
    }
    assert sorted(postgres) == sorted(sqlite)
    for table in sqlite:
        assert postgres[table] == sqlite[table], table
