"""Members' own defaults per server (`/settings`): the options applied to every job they start where they did not
give that option themselves. Its statements are in `bot.ledger.sqlite.member_settings`.

Every job reads its member's defaults before anything is held, so reads go through a small cache, as the policy's
do: this part's own writes drop the member's entry (a read that overlapped a write is not cached), and another
process sharing the database sees a change within `ttl_s`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Final

from bot.ledger.context import Context
from bot.ledger.sqlite import member_settings as sql
from bot.ledger.sqlite.member_settings import SETTING_NAMES

DEFAULT_TTL_S: Final = 30.0
MAX_CACHED: Final = 4096  # members; past it, entries older than the TTL are dropped

_Member = tuple[int, int]


class MemberSettings:
    """The member-settings part of the ledger."""

    def __init__(
        self, context: Context, *, ttl_s: float = DEFAULT_TTL_S, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._db = context.db
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._writes: Counter[_Member] = Counter()  # per member, how often this part wrote their defaults
        self._cache: dict[_Member, tuple[float, int, dict[str, object]]] = {}  # when read, `_writes` then, defaults

    async def get(self, guild_id: int, user_id: int) -> dict[str, object]:
        """The member's defaults in this server (only those they set), in `SETTING_NAMES` order."""
        member = (guild_id, user_id)
        now = self._monotonic()
        writes = self._writes[member]
        cached = self._cache.get(member)
        if cached is not None and cached[1] == writes and now - cached[0] < self._ttl_s:
            return dict(cached[2])
        rows = await self._db.statement(sql.SETTINGS, member)
        found = {} if not rows else {n: v for n, v in zip(SETTING_NAMES, rows[0], strict=True) if v is not None}
        if writes == self._writes[member]:  # a read that overlapped a write is not cached
            if len(self._cache) >= MAX_CACHED:
                self._cache = {key: entry for key, entry in self._cache.items() if now - entry[0] < self._ttl_s}
            self._cache[member] = (now, writes, found)
        return dict(found)

    async def update(self, guild_id: int, user_id: int, values: Mapping[str, object]) -> dict[str, object]:
        """Set the given defaults (keeping the others) and return all of the member's defaults."""
        unknown = set(values) - set(SETTING_NAMES)
        if unknown:
            raise ValueError(f"not a member setting: {', '.join(sorted(unknown))}")
        if any(value is not None for value in values.values()):
            await self._write(guild_id, user_id, sql.UPDATE, (*(values.get(name) for name in SETTING_NAMES),))
        return await self.get(guild_id, user_id)

    async def reset(self, guild_id: int, user_id: int) -> None:
        """Forget all of the member's defaults in this server."""
        await self._write(guild_id, user_id, sql.RESET, ())

    async def _write(self, guild_id: int, user_id: int, statement: str, values: tuple[object, ...]) -> None:
        """Run a write of the member's defaults; no cached read outlives it (counted before and after)."""
        member = (guild_id, user_id)
        self._forget(member)
        try:
            await self._db.statement(statement, (*member, *values))
        finally:
            self._forget(member)

    def _forget(self, member: _Member) -> None:
        self._writes[member] += 1
        self._cache.pop(member, None)
