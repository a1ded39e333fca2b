"""Members' own defaults per server (`/settings`): the options applied to every job they start where they did not
give that option themselves. Its statements are in `bot.ledger.sqlite.member_settings`.

Every job reads its member's defaults before anything is held, so reads go through a `ReadCache`, as the
policy's do: this part's own writes drop the member's entry, and another process sharing the database sees a
change within `ttl_s`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Final

from bot.ledger.cache import DEFAULT_TTL_S, ReadCache
from bot.ledger.context import Context
from bot.ledger.sqlite import member_settings as sql
from bot.ledger.sqlite.member_settings import SETTING_NAMES

MAX_CACHED: Final = 4096  # members; past it, entries older than the TTL are dropped

_Member = tuple[int, int]


class MemberSettings:
    """The member-settings part of the ledger."""

    def __init__(
        self, context: Context, *, ttl_s: float = DEFAULT_TTL_S, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._db = context.db
        self._cache: ReadCache[_Member, dict[str, object]] = ReadCache(
            Counter(), ttl_s=ttl_s, monotonic=monotonic, max_entries=MAX_CACHED
        )

    async def get(self, guild_id: int, user_id: int) -> dict[str, object]:
        """The member's defaults in this server (only those they set), in `SETTING_NAMES` order."""
        member = (guild_id, user_id)

        async def load() -> dict[str, object]:
            rows = await self._db.statement(sql.SETTINGS, member)
            return {} if not rows else {n: v for n, v in zip(SETTING_NAMES, rows[0], strict=True) if v is not None}

        return dict(await self._cache.get(member, load))

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
        self._cache.forget(member)
        try:
            await self._db.statement(statement, (*member, *values))
        finally:
            self._cache.forget(member)
