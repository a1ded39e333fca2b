"""The server's policy (`/policy`) as the pipeline's first cheap check: before anything is shown, held or
sent, a job is refused when it is in a channel the moderators did not allow, its prompt contains a blocked word,
or the member's cooldown has not passed. Each refusal names the rule, costs nothing and never repeats the
blocked word (a reaction's refusal is posted in the channel)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from bot.blocklist import blocked_word_in
from bot.errors import UserFacingError
from bot.i18n import Message, _, _n
from bot.jobs.model import JobSpec
from bot.ledger import Ledger

PROMPT_FIELDS: Final = ("prompt", "negative_prompt")
# How long a start is remembered here, covering the moment before its job row exists (the row then counts).
_REMEMBER: Final = timedelta(minutes=10)


class PolicyRefused(UserFacingError):
    """A job the server's policy does not allow; nothing was held or sent."""


def duration(seconds: float) -> Message:
    """`45 seconds`, `3 minutes`, `2 hours`: rounded up, so the member is never told to come back too early."""
    whole = max(1, math.ceil(seconds))
    if whole >= 2 * 3600:
        return _n("{count} hour", "{count} hours", count=math.ceil(whole / 3600))
    if whole >= 2 * 60:
        return _n("{count} minute", "{count} minutes", count=math.ceil(whole / 60))
    return _n("{count} second", "{count} seconds", count=whole)


def wrong_channel(channels: str) -> Message:
    return _("This server's moderators allow image jobs only in {channels}. Try again there.", channels=channels)


def blocked(option: str) -> Message:
    if option == "negative_prompt":
        return _("Your negative prompt contains a word this server's moderators have blocked. Change it and try again.")
    return _("Your prompt contains a word this server's moderators have blocked. Change it and try again.")


def cooling_down(cooldown: int, left: float) -> Message:
    return _(
        "This server has a cooldown of {cooldown} between jobs. You can start your next one in {left}.",
        cooldown=duration(cooldown),
        left=duration(left),
    )


class PolicyGate:
    def __init__(self, ledger: Ledger, *, clock: Callable[[], datetime]) -> None:
        self._ledger = ledger
        self._clock = clock
        self._started: dict[tuple[int, int], datetime] = {}

    async def check(self, spec: JobSpec) -> Callable[[], None]:
        """Raise `PolicyRefused` if the server's policy refuses this job now. Otherwise the member's cooldown runs
        from now, taken in the same step as its check (no await between them), so two jobs started together
        cannot both pass it; call the returned function if a later check refuses the job (a refused job starts
        no cooldown)."""
        policy = await self._ledger.policy.get(spec.guild_id)
        if policy.channel_ids and spec.channel_id not in policy.channel_ids:
            channels = ", ".join(f"<#{channel}>" for channel in sorted(policy.channel_ids))
            raise PolicyRefused(wrong_channel(channels))
        for name in PROMPT_FIELDS:
            text = spec.options.get(name)
            if isinstance(text, str) and blocked_word_in(text, policy.blocked_words):
                raise PolicyRefused(blocked(name))
        if policy.cooldown_s:
            member = (spec.guild_id, spec.user_id)
            recorded = await self._ledger.last_job_started(*member)
            starts = [recorded, self._started.get(member)]  # read after the await: a start taken meanwhile counts
            last = max((start for start in starts if start is not None), default=None)
            left = None if last is None else last + timedelta(seconds=policy.cooldown_s) - self._clock()
            if left is not None and left > timedelta(0):
                raise PolicyRefused(cooling_down(policy.cooldown_s, left.total_seconds()))
        return self._start((spec.guild_id, spec.user_id))

    def _start(self, member: tuple[int, int]) -> Callable[[], None]:
        """The member's start is now, remembered here until the job's record, which `check` also reads, exists.
        Returns how to take it back."""
        now = self._clock()
        previous = self._started.get(member)
        self._started[member] = now
        if len(self._started) > 1024:
            self._started = {key: at for key, at in self._started.items() if at >= now - _REMEMBER}

        def take_back() -> None:
            if self._started.get(member) == now:  # unless a later start replaced it
                if previous is None:
                    del self._started[member]
                else:
                    self._started[member] = previous

        return take_back
