"""Per-server policy (`/policy`): where generation works, blocked words, a cooldown, extra moderator roles and
a log channel. Its statements are in `bot.ledger.sqlite.policy`.

Every job reads the policy before anything is held, so reads go through one cache; every write here drops the
server's entry. Another process sharing the database sees a change within `ttl_s`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import aiosqlite

from bot.blocklist import normalise
from bot.ledger.cache import DEFAULT_TTL_S, ReadCache
from bot.ledger.context import Context
from bot.ledger.db import transaction
from bot.ledger.sqlite import policy as sql


@dataclass(frozen=True, slots=True)
class ServerPolicy:
    """A server's policy as it applies now. `channel_ids` empty: generation works in every channel."""

    guild_id: int
    channel_ids: frozenset[int]
    blocked_words: tuple[str, ...]
    cooldown_s: int
    moderator_role_ids: frozenset[int]
    log_channel_id: int | None


class Policy:
    """The policy part of the ledger; it shares the ledger's database."""

    def __init__(
        self, context: Context, *, ttl_s: float = DEFAULT_TTL_S, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._db = context.db
        # Counted in the context, since `Budgets.set_moderator_roles` writes a policy table too.
        self._cache: ReadCache[int, ServerPolicy] = ReadCache(context.policy_writes, ttl_s=ttl_s, monotonic=monotonic)

    async def get(self, guild_id: int) -> ServerPolicy:
        return await self._cache.get(guild_id, lambda: self._db.run(lambda conn: _read(conn, guild_id)))

    def invalidate(self, guild_id: int) -> None:
        """Forget the cached policy (any part that writes a policy table calls `Context.policy_changed`)."""
        self._cache.forget(guild_id)

    async def add_channel(self, guild_id: int, channel_id: int) -> None:
        await self._write(guild_id, sql.ADD_CHANNEL, (guild_id, channel_id))

    async def remove_channel(self, guild_id: int, channel_id: int) -> None:
        await self._write(guild_id, sql.REMOVE_CHANNEL, (guild_id, channel_id))

    async def clear_channels(self, guild_id: int) -> None:
        await self._write(guild_id, sql.CLEAR_CHANNELS, (guild_id,))

    async def add_word(self, guild_id: int, word: str) -> str:
        """Block `word` (a word or phrase); returns it as stored and matched (normalised)."""
        normal = normalise(word)
        if not normal:
            raise ValueError("a blocked word cannot be empty")
        await self._write(guild_id, sql.ADD_WORD, (guild_id, normal))
        return normal

    async def remove_word(self, guild_id: int, word: str) -> bool:
        """Unblock `word`; False if it was not blocked."""
        rows = await self._write(
            guild_id,
            sql.REMOVE_WORD,
            (guild_id, normalise(word)),
        )
        return bool(rows)

    async def set_cooldown(self, guild_id: int, seconds: int) -> None:
        if seconds < 0:
            raise ValueError(f"a cooldown cannot be negative, got {seconds}")
        await self._write(
            guild_id,
            sql.SET_COOLDOWN,
            (guild_id, seconds),
        )

    async def set_log_channel(self, guild_id: int, channel_id: int | None) -> None:
        await self._write(
            guild_id,
            sql.SET_LOG_CHANNEL,
            (guild_id, channel_id),
        )

    async def add_moderator_role(self, guild_id: int, role_id: int) -> None:
        await self._write(guild_id, sql.ADD_MODERATOR_ROLE, (guild_id, role_id))

    async def remove_moderator_role(self, guild_id: int, role_id: int) -> None:
        await self._write(guild_id, sql.REMOVE_MODERATOR_ROLE, (guild_id, role_id))

    async def _write(self, guild_id: int, statement: str, values: tuple[object, ...]) -> list[object]:
        self.invalidate(guild_id)
        try:
            return list(await self._db.statement(statement, values))
        finally:
            self.invalidate(guild_id)


async def _read(conn: aiosqlite.Connection, guild_id: int) -> ServerPolicy:
    async with transaction(conn, "DEFERRED"):
        settings = list(await conn.execute_fetchall(sql.SETTINGS, (guild_id,)))
        channels = await conn.execute_fetchall(sql.CHANNELS, (guild_id,))
        words = await conn.execute_fetchall(sql.WORDS, (guild_id,))
        roles = await conn.execute_fetchall(sql.MODERATOR_ROLES, (guild_id,))
    cooldown, log_channel = settings[0] if settings else (0, None)
    return ServerPolicy(
        guild_id=guild_id,
        channel_ids=frozenset(int(channel) for (channel,) in channels),
        blocked_words=tuple(str(word) for (word,) in words),
        cooldown_s=int(cooldown),
        moderator_role_ids=frozenset(int(role) for (role,) in roles),
        log_channel_id=None if log_channel is None else int(log_channel),
    )
