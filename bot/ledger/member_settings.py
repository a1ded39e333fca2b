"""Members' own defaults per server (`/settings`): the options applied to every job they start where they did not
give that option themselves. Its statements are in `bot.ledger.sqlite.member_settings`."""

from __future__ import annotations

from collections.abc import Mapping

from bot.ledger.context import Context
from bot.ledger.sqlite import member_settings as sql
from bot.ledger.sqlite.member_settings import SETTING_NAMES


class MemberSettings:
    """The member-settings part of the ledger."""

    def __init__(self, context: Context) -> None:
        self._db = context.db

    async def get(self, guild_id: int, user_id: int) -> dict[str, object]:
        """The member's defaults in this server (only those they set), in `SETTING_NAMES` order."""
        rows = await self._db.statement(sql.SETTINGS, (guild_id, user_id))
        if not rows:
            return {}
        return {name: value for name, value in zip(SETTING_NAMES, rows[0], strict=True) if value is not None}

    async def update(self, guild_id: int, user_id: int, values: Mapping[str, object]) -> dict[str, object]:
        """Set the given defaults (keeping the others) and return all of the member's defaults."""
        unknown = set(values) - set(SETTING_NAMES)
        if unknown:
            raise ValueError(f"not a member setting: {', '.join(sorted(unknown))}")
        if any(value is not None for value in values.values()):
            await self._db.statement(sql.UPDATE, (guild_id, user_id, *(values.get(name) for name in SETTING_NAMES)))
        return await self.get(guild_id, user_id)

    async def reset(self, guild_id: int, user_id: int) -> None:
        """Forget all of the member's defaults in this server."""
        await self._db.statement(sql.RESET, (guild_id, user_id))
