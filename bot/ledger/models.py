"""The ledger's answers: plain frozen dataclasses, amounts in micro-dollars, times as aware UTC datetimes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.ledger.periods import Period

EntryKind = Literal["hold", "capture", "release", "grant", "adjustment", "refund", "write-off", "uncertain"]
AllowanceSource = Literal["own", "role", "server", "config"]
JobStatus = Literal["running", "succeeded", "failed"]


@dataclass(frozen=True, slots=True)
class Hold:
    """Money reserved for one job; settle it with `Ledger.capture` or `Ledger.release`."""

    id: int
    guild_id: int
    user_id: int
    amount: int
    job_id: int | None
    period: Period
    period_start: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Balance:
    """A member's budget in the current period.

    `spent` is what was captured (never holds) less what was refunded this period, `held` is reserved by jobs
    in flight, `granted` is this period's grants (negative when more was deducted than given), plus refunds of
    earlier periods' jobs beyond this period's spending (so `spent` is never negative): that part is also
    `refund_credit`, so a reply can show it apart from grants. `remaining` = allowance + granted − spent − held,
    shown as zero when that is negative.
    """

    remaining: int
    spent: int
    held: int
    granted: int
    allowance: int
    allowance_source: AllowanceSource
    period: Period
    period_start: datetime
    next_reset: datetime | None
    allowance_role_id: int | None = None  # the role the allowance comes from (`allowance_source == "role"`)
    refund_credit: int = 0  # the part of `granted` that is refunds beyond this period's spending


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """A server's budget settings as they apply now (the config's defaults where the server set none)."""

    guild_id: int
    default_allowance: int
    default_period: Period
    default_source: Literal["server", "config"]
    cap: int | None
    cap_period: Period | None
    moderator_role_ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class Spender:
    user_id: int
    spent: int
    jobs: int


@dataclass(frozen=True, slots=True)
class Report:
    """A server's totals for one period; `jobs` counts captures, `top_spenders` is sorted by spent.

    `spent` is what members spent (captured − refunded, never below zero: refunds of earlier periods' jobs can
    exceed this period's captures; `refunded` has them all). `captured`, `written_off` (billed by the provider,
    never received by the member) and `uncertain` (the outcome unknown) are what was paid to the provider:
    `paid`. Refunds return money to members; the provider keeps it.
    """

    guild_id: int
    period: Period
    period_start: datetime
    next_reset: datetime | None
    spent: int
    captured: int
    refunded: int
    written_off: int
    uncertain: int
    held: int
    granted: int
    jobs: int
    top_spenders: tuple[Spender, ...]

    @property
    def paid(self) -> int:
        """What the server's jobs paid the provider: captured + written off + uncertain."""
        return self.captured + self.written_off + self.uncertain


@dataclass(frozen=True, slots=True)
class UsageRow:
    """What one server's jobs (`guild_id=None`: all servers) cost the operator over some time."""

    guild_id: int | None
    captured: int
    refunded: int
    written_off: int
    uncertain: int

    @property
    def paid(self) -> int:
        """Paid to the provider: captured + written off + uncertain (refunds do not lower it)."""
        return self.captured + self.written_off + self.uncertain


@dataclass(frozen=True, slots=True)
class Entry:
    """One ledger line.

    Amounts: a hold's is what it reserved; a write-off's what the provider billed that the member never
    received (taken from the hold, not the member's spend); then a capture's what it charged (the rest of its
    hold returned), a release's what was left of the hold, returned, an uncertain entry's what was left of the
    hold when the request's outcome was unknown (not the member's spend). A grant's is what it added
    (negative: deducted), a refund's what its job captured, returned to the member. Adjustments (settings
    changes) move no money: their amount is 0 and `reason` says what changed. `period_start` is the start of
    the period the entry counts in (a settlement's is its hold's, a refund's its capture's).
    """

    id: int
    kind: EntryKind
    amount: int
    guild_id: int
    user_id: int | None
    actor_id: int | None
    reason: str
    job_id: int | None
    hold_id: int | None
    period: Period
    period_start: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ResultImage:
    """One image of a finished job. `index` is its position in the provider's answer, from 0; an image
    withheld as unsafe has `is_safe=False` and no attachment."""

    index: int
    attachment_id: int | None
    url: str | None
    sha256: str | None
    is_safe: bool
    seed: int | None
    prompt: str | None


@dataclass(frozen=True, slots=True)
class Job:
    """A job record: what was asked (command, operation, parameters, prompt), by whom and where, and how it
    ended (status, cost, seed, the message showing the result, or the error). `source_job_id` is the job it
    was derived from (Again, a remix of its image, …); `request_sent_at` when its request left for the API and
    `billed` what the provider billed for it, once known."""

    job_id: int
    guild_id: int
    channel_id: int
    user_id: int
    command: str
    operation: str
    parameters: Mapping[str, object]
    prompt: str | None
    status: JobStatus
    cost: int | None
    seed: int | None
    message_id: int | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    source_job_id: int | None = None
    request_sent_at: datetime | None = None
    billed: int | None = None


@dataclass(frozen=True, slots=True)
class JobResult(Job):
    """A finished job found by the id of the message that shows it; `images` are ordered by index."""

    images: tuple[ResultImage, ...] = ()
