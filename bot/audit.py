"""What the log channel (`/policy log_channel`) is told: every budget change, refund and policy change.

Cogs report a change with `IdeogramBot.audit(...)`; it becomes an `audit` event, and `cogs/audit.py` posts it to
the server's log channel, if it has one. Nothing waits for the post, and a failed post never fails the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from bot.i18n import Text, _

CHANGE: Final = _("{actor} changed {what}: {old} → {new} ({when})")
ACTION: Final = _("{actor} {what} ({when})")
NONE: Final = _("none")


@dataclass(frozen=True)
class AuditEvent:
    """One change: who (`actor_id`) did `what`, from `old` to `new` (both None for a one-off action such as a
    refund, which `what` describes fully), and when."""

    guild_id: int
    actor_id: int
    what: Text
    old: Text | None
    new: Text | None
    when: datetime
    channel_id: int | None = None  # post here rather than to the policy's log channel (turning it off)

    def text(self, locale: object | None = None) -> str:
        """The log line in `locale` (the server's language)."""
        actor = f"<@{self.actor_id}>"
        when = f"<t:{int(self.when.timestamp())}:f>"
        if self.old is None and self.new is None:
            return ACTION.with_params(actor=actor, what=self.what, when=when).render(locale)
        old, new = self.old or NONE, self.new or NONE
        return CHANGE.with_params(actor=actor, what=self.what, old=old, new=new, when=when).render(locale)
