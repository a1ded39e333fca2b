"""Members' own defaults per server (`/settings`): the options applied to every job they start where they did
not give that option themselves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bot.ledger.db import Database

# The options a member can set a default for, in the order `/settings` shows them (the table's columns).
SETTING_NAMES: Final = (
    "model",
    "rendering_speed",
    "aspect_ratio",
    "style_type",
    "magic_prompt",
    "num_images",
    "negative_prompt",
)
_COLUMNS: Final = ", ".join(SETTING_NAMES)


class MemberSettings:
    """The member-settings part of the ledger; it shares the ledger's database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: int, user_id: int) -> dict[str, object]:
        """The member's defaults in this server (only those they set), in `SETTING_NAMES` order."""
        rows = await self._db.statement(
            f"SELECT {_COLUMNS} FROM member_settings WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        if not rows:
            return {}
        return {name: value for name, value in zip(SETTING_NAMES, rows[0], strict=True) if value is not None}

    async def update(self, guild_id: int, user_id: int, values: Mapping[str, object]) -> dict[str, object]:
        """Set the given defaults (keeping the others) and return all of the member's defaults."""
        unknown = set(values) - set(SETTING_NAMES)
        if unknown:
            raise ValueError(f"not a member setting: {', '.join(sorted(unknown))}")
        if values:
            names = [name for name in SETTING_NAMES if name in values]
            await self._db.statement(
                f"INSERT INTO member_settings (guild_id, user_id, {', '.join(names)})"
                f" VALUES (?, ?, {', '.join('?' for _ in names)})"
                f" ON CONFLICT DO UPDATE SET {', '.join(f'{name} = excluded.{name}' for name in names)}",
                (guild_id, user_id, *(values[name] for name in names)),
            )
        return await self.get(guild_id, user_id)

    async def reset(self, guild_id: int, user_id: int) -> None:
        """Forget all of the member's defaults in this server."""
        await self._db.statement("DELETE FROM member_settings WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
