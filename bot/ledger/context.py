"""The one object every part of the ledger is built with: the database, the clock and the operator's terms."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.ledger.checks import check_amount, check_period
from bot.ledger.db import Database
from bot.ledger.periods import Period, bounds_at, from_us, to_us, utc_now


@dataclass(frozen=True, slots=True)
class Terms:
    """What the operator configured (`[budget]`), amounts in micro-dollars.

    `default_allowance`/`default_period` apply where neither the member nor the server set their own;
    `operator_cap` (None: no cap) limits all servers together per `operator_cap_period`; `max_allowance` (None:
    no limit) is the most a moderator can give a member, the server default or one grant; `instance_id` names
    this process, so after a crash it settles only its own holds.
    """

    default_allowance: int
    default_period: Period
    operator_cap: int | None = None
    operator_cap_period: Period = "month"
    max_allowance: int | None = None
    instance_id: str = "default"

    def __post_init__(self) -> None:
        check_amount(self.default_allowance, "the default allowance")
        check_period(self.default_period)
        check_period(self.operator_cap_period)
        for limit, what in ((self.operator_cap, "the operator cap"), (self.max_allowance, "max_allowance")):
            if limit is not None:
                check_amount(limit, what)
        if not self.instance_id:
            raise ValueError("instance_id cannot be empty")


@dataclass(frozen=True, slots=True)
class Context:
    """Shared by the ledger's parts: each part is constructed with this one object and nothing else."""

    db: Database
    terms: Terms
    clock: Callable[[], datetime] = field(default=utc_now)
    # Per server, how often its policy tables were written: the policy part's cache is valid only while this
    # stays as it was read, whichever part made the write (`Budgets.set_moderator_roles` writes one too).
    policy_writes: Counter[int] = field(default_factory=Counter, hash=False, compare=False)

    def policy_changed(self, guild_id: int) -> None:
        """Call before and after writing a server's policy tables, so no cached read outlives the write."""
        self.policy_writes[guild_id] += 1

    def now_us(self) -> int:
        return to_us(self.clock())

    def parameters(
        self, guild_id: int, user_id: int | None, now_us: int, role_ids: Iterable[int] = ()
    ) -> dict[str, Any]:
        """The named parameters every statement about a member's terms needs (see `bot.ledger.sqlite.terms`);
        `role_ids` are the member's roles, for a role allowance."""
        bounds = bounds_at(from_us(now_us))
        return {
            "guild_id": guild_id,
            "user_id": user_id,
            "role_ids": ",".join(str(role) for role in sorted(set(role_ids))),
            "config_allowance": self.terms.default_allowance,
            "config_period": self.terms.default_period,
            "operator_cap": self.terms.operator_cap,
            "operator_period": self.terms.operator_cap_period,
            "instance_id": self.terms.instance_id,
            "day_start": bounds.day_start,
            "week_start": bounds.week_start,
            "month_start": bounds.month_start,
            "now": now_us,
        }
