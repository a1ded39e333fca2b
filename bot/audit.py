"""What the log channel (`/policy log_channel`) is told: every budget change, refund and policy change.

Cogs report a change with `IdeogramBot.audit(...)`; it becomes an `audit` event, and `cogs/audit.py` posts it to
the server's log channel, if it has one. Nothing waits for the post, and a failed post never fails the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

CHANGE: Final = "{actor} changed {what}: {old} → {new} ({when})"
ACTION: Final = "{actor} {what} ({when})"


@dataclass(frozen=True)
class AuditEvent:
    """One change: who (`actor_id`) did `what`, from `old` to `new` (both None for a one-off action such as a
    refund, which `what` describes fully), and when."""

    guild_id: int
    actor_id: int
    what: str
    old: str | None
    new: str | None
    when: datetime
    channel_id: int | None = None  # post here rather than to the policy's log channel (turning it off)

    def text(self) -> str:
        actor = f"<@{self.actor_id}>"
        when = f"<t:{int(self.when.timestamp())}:f>"
        if self.old is None and self.new is None:
            return ACTION.format(actor=actor, what=self.what, when=when)
        return CHANGE.format(actor=actor, what=self.what, old=self.old or "none", new=self.new or "none", when=when)
