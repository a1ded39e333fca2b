"""The policy part's statements (`bot.ledger.policy`)."""

from __future__ import annotations

from typing import Final

ADD_CHANNEL: Final = "INSERT INTO policy_channels VALUES (?, ?) ON CONFLICT DO NOTHING"
REMOVE_CHANNEL: Final = "DELETE FROM policy_channels WHERE guild_id = ? AND channel_id = ?"
CLEAR_CHANNELS: Final = "DELETE FROM policy_channels WHERE guild_id = ?"
ADD_WORD: Final = "INSERT INTO blocked_words VALUES (?, ?) ON CONFLICT DO NOTHING"
REMOVE_WORD: Final = "DELETE FROM blocked_words WHERE guild_id = ? AND word = ? RETURNING word"
ADD_MODERATOR_ROLE: Final = "INSERT INTO moderator_roles VALUES (?, ?) ON CONFLICT DO NOTHING"
REMOVE_MODERATOR_ROLE: Final = "DELETE FROM moderator_roles WHERE guild_id = ? AND role_id = ?"
SETTINGS: Final = "SELECT cooldown_s, log_channel_id FROM guild_policy WHERE guild_id = ?"
CHANNELS: Final = "SELECT channel_id FROM policy_channels WHERE guild_id = ?"
WORDS: Final = "SELECT word FROM blocked_words WHERE guild_id = ? ORDER BY word"
MODERATOR_ROLES: Final = "SELECT role_id FROM moderator_roles WHERE guild_id = ?"
SET_COOLDOWN: Final = (
    "INSERT INTO guild_policy (guild_id, cooldown_s) VALUES (?, ?)"
    " ON CONFLICT DO UPDATE SET cooldown_s = excluded.cooldown_s"
)
SET_LOG_CHANNEL: Final = (
    "INSERT INTO guild_policy (guild_id, log_channel_id) VALUES (?, ?)"
    " ON CONFLICT DO UPDATE SET log_channel_id = excluded.log_channel_id"
)
