"""SQLite's SQL as the ledger's parts write it, turned into PostgreSQL's by `translate`."""

from __future__ import annotations

import pytest

from bot.ledger.pg_db import _guild_lock
from bot.ledger.pg_sql import Translations, ordered, translate

KEYS = {"state": ["key"], "member_days": ["guild_id", "user_id", "day"]}


@pytest.mark.parametrize(
    ("sql", "parameters", "expected", "args"),
    [
        ("SELECT ? + ?", (1, "x"), "SELECT $1::bigint + $2::text", [1, "x"]),
        ("SELECT :a, :a, :b", {"a": 5, "b": None}, "SELECT $1::bigint, $1::bigint, $2", [5, None]),
        ("SELECT :guild_id IS NULL", {"guild_id": None}, "SELECT $1::bigint IS NULL", [None]),
        ("SELECT ':not_a_name', 'it''s', x::text", {}, "SELECT ':not_a_name', 'it''s', x::text", []),
        ("SELECT ?", (True,), "SELECT $1::bigint", [1]),
        ("SELECT min(:a, o.amount), min(x)", {"a": 3}, "SELECT LEAST($1::bigint, o.amount), min(x)", [3]),
        (
            "SELECT SUM(iif(kind = 'capture', amount, 0))",
            {},
            "SELECT SUM(CASE WHEN kind = 'capture' THEN  amount ELSE  0 END)",
            [],
        ),
        (
            "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value",
            ("k", "v"),
            "INSERT INTO state (key, value) VALUES ($1::text, $2::text)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            ["k", "v"],
        ),
    ],
)
def test_translate(sql: str, parameters: object, expected: str, args: list[object]) -> None:
    assert translate(sql, parameters, KEYS) == (expected, args)  # type: ignore[arg-type]


def test_holds_lock_their_server_or_all_servers_under_an_operator_cap() -> None:
    assert _guild_lock({"guild_id": 42, "operator_cap": None}).endswith(", 42)")
    assert _guild_lock({"guild_id": 42, "operator_cap": 10}).endswith(", -1)")


@pytest.mark.parametrize(
    ("sql", "parameters"),
    [
        ("SELECT :a, :b, :a", {"a": 5, "b": None}),
        ("SELECT :a, :b, :a", {"a": "x", "b": True}),
        ("SELECT :guild_id IS NULL, ':x'", {"guild_id": None}),
        ("SELECT ? + ?", (1, "x")),
        ("SELECT ? + ?", (True, None)),
    ],
)
def test_remembered_translations_equal_fresh_ones(sql: str, parameters: object) -> None:
    remembered = Translations(KEYS)
    for _ in range(2):  # the second call takes the remembered query
        assert remembered(sql, parameters) == translate(sql, parameters, KEYS)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "sorted_rows"),
    [
        ("SELECT key FROM state WHERE key >= $1 ORDER BY key", True),
        ("SELECT key FROM state ORDER BY key LIMIT $1 OFFSET $2", True),
        ("SELECT a FROM (SELECT a FROM t ORDER BY a LIMIT 1) AS one", False),
        ("WITH r AS (SELECT role_id FROM roles ORDER BY amount DESC LIMIT 1) INSERT INTO x SELECT * FROM r", False),
        ("UPDATE jobs SET status = $1 WHERE id = $2", False),
    ],
)
def test_statements_that_sort_their_rows_are_told_apart(query: str, sorted_rows: bool) -> None:
    assert ordered(query) is sorted_rows
