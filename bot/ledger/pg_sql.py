"""SQLite's SQL as PostgreSQL's (`translate`, remembered by `Translations`), and the shapes a batch sends it in
(`rowless`, `tagged`). See `bot.ledger.pg_db` for why the parts' SQL is translated rather than written twice."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from bot.ledger.errors import LedgerError

# Quoted strings pass through; `::` is a cast; `?` and `:name` are placeholders.
_TOKENS: Final = re.compile(r"'(?:[^']|'')*'|::|\?|:(?P<name>[A-Za-z_]\w*)")
_UPSERT: Final = re.compile(r"INSERT\s+INTO\s+(?P<table>\w+)(?P<middle>.*?)ON\s+CONFLICT\s+DO\s+UPDATE", re.S | re.I)
_SCALAR_MIN: Final = re.compile(r"\bmin\((?P<args>[^(),]+,[^(),]+)\)", re.I)  # SQLite's min(a, b)
_IIF: Final = re.compile(r"\biif\((?P<test>[^(),]+),(?P<then>[^(),]+),(?P<otherwise>[^(),]+)\)", re.I)
# Named parameters that are numbers even when NULL (PostgreSQL cannot tell the type of `$1 IS NULL` alone).
_NUMERIC_NAMES: Final = frozenset({"amount", "operator_cap", "config_allowance", "max_allowance", "billed", "cost"})


def _cast(value: object, name: str | None = None) -> str:
    if isinstance(value, bool):
        return "::bigint"  # SQLite has no booleans: the parts pass 0/1 columns as ints or bools
    if isinstance(value, int):
        return "::bigint"
    if isinstance(value, str):
        return "::text"
    if value is None and name is not None and (name.endswith("_id") or name in _NUMERIC_NAMES):
        return "::bigint"
    return ""  # PostgreSQL infers the type from where it is used


def translate(
    sql: str, parameters: Iterable[Any] | Mapping[str, Any], keys: Mapping[str, Sequence[str]]
) -> tuple[str, list[Any]]:
    """SQLite's SQL and parameters → PostgreSQL's. `keys` names each table's conflict columns."""
    named = isinstance(parameters, Mapping)
    positional = [] if named else list(parameters)
    args: list[Any] = []
    numbers: dict[str, int] = {}

    def placeholder(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith("'") or token == "::":
            return token
        if token == "?":
            value = positional[len(args)]
            args.append(int(value) if isinstance(value, bool) else value)
            return f"${len(args)}{_cast(value)}"
        name = match["name"]
        value = parameters[name]  # type: ignore[index]
        if name not in numbers:
            args.append(int(value) if isinstance(value, bool) else value)
            numbers[name] = len(args)
        return f"${numbers[name]}{_cast(value, name)}"

    converted = _SCALAR_MIN.sub(lambda match: f"LEAST({match['args']})", _TOKENS.sub(placeholder, sql))
    converted = _IIF.sub(lambda m: f"CASE WHEN {m['test']} THEN {m['then']} ELSE {m['otherwise']} END", converted)

    def conflict_target(match: re.Match[str]) -> str:
        columns = keys.get(match["table"])
        if columns is None:
            raise LedgerError(f"no conflict key known for table {match['table']}")
        return f"INSERT INTO {match['table']}{match['middle']}ON CONFLICT ({', '.join(columns)}) DO UPDATE"

    return _UPSERT.sub(conflict_target, converted), args


@functools.lru_cache(maxsize=1024)
def _names(sql: str) -> tuple[str, ...]:
    """The named placeholders of `sql`, each once, in the order `translate` numbers them."""
    found = (match["name"] for match in _TOKENS.finditer(sql) if match["name"])
    return tuple(dict.fromkeys(found))


class Translations:
    """`translate` with its work remembered: the regular expressions run once per statement text and parameter
    types (a hold's text is long: translating it anew each time cost more than running it)."""

    def __init__(self, keys: Mapping[str, Sequence[str]], size: int = 1024) -> None:
        self._keys = keys
        self._size = size
        self._queries: dict[tuple[str, tuple[str, ...]], str] = {}

    def __call__(self, sql: str, parameters: Iterable[Any] | Mapping[str, Any]) -> tuple[str, list[Any]]:
        if isinstance(parameters, Mapping):
            names = _names(sql)
            values = [parameters[name] for name in names]
            signature = tuple(_cast(value, name) for name, value in zip(names, values, strict=True))
        else:
            values = list(parameters)
            signature = ("?", *(_cast(value) for value in values))
        query = self._queries.get((sql, signature))
        if query is None:
            query, args = translate(sql, parameters, self._keys)
            if len(self._queries) >= self._size:
                self._queries.clear()
            self._queries[(sql, signature)] = query
            return query, args
        return query, [int(value) if isinstance(value, bool) else value for value in values]


_PLACEHOLDER: Final = re.compile(r"\$(\d+)")
_WRITE: Final = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.I)
_RETURNING: Final = re.compile(r"\bRETURNING\b", re.I)
_ORDER_BY: Final = re.compile(r"\bORDER\s+BY\b", re.I)


@functools.lru_cache(maxsize=256)
def rowless(query: str) -> bool:
    """A write without RETURNING: it gives no rows, so its executions need no tags."""
    return bool(_WRITE.match(query)) and not _RETURNING.search(query)


@functools.lru_cache(maxsize=256)
def ordered(query: str) -> bool:
    """Whether the query itself sorts its rows (an ORDER BY outside every parenthesis). Such statements run one
    at a time: SQL does not promise that `tagged`'s outer SELECT keeps the order of the rows it wraps."""
    for match in _ORDER_BY.finditer(query):
        before = query[: match.start()]
        if before.count("(") == before.count(")"):
            return True
    return False


@functools.lru_cache(maxsize=256)
def tagged(query: str) -> str:
    """`query`'s rows, each after one more parameter: the place of the execution that gave it. (A write with
    RETURNING becomes a data-modifying WITH, as PostgreSQL allows at the top level.)"""
    tag = max((int(number) for number in _PLACEHOLDER.findall(query)), default=0) + 1
    return f"WITH tagged AS ({query}) SELECT ${tag}::bigint, tagged.* FROM tagged"
