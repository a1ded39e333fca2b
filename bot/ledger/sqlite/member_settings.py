"""The member-settings part's statements (`bot.ledger.member_settings`)."""

from __future__ import annotations

from typing import Final

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

SETTINGS: Final = f"SELECT {', '.join(SETTING_NAMES)} FROM member_settings WHERE guild_id = ? AND user_id = ?"
RESET: Final = "DELETE FROM member_settings WHERE guild_id = ? AND user_id = ?"
_KEEP_STORED: Final = ", ".join(f"{name} = COALESCE(excluded.{name}, member_settings.{name})" for name in SETTING_NAMES)
# Parameters: guild, member, then every setting in `SETTING_NAMES` order; NULL keeps what is stored.
UPDATE: Final = (
    f"INSERT INTO member_settings (guild_id, user_id, {', '.join(SETTING_NAMES)})"
    f" VALUES (?, ?, {', '.join('?' for _ in SETTING_NAMES)})"
    f" ON CONFLICT DO UPDATE SET {_KEEP_STORED}"
)
