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
from bot.jobs.model import JobSpec
from bot.ledger import Ledger

WRONG_CHANNEL: Final = "This server's moderators allow image jobs only in {channels}. Try again there."
BLOCKED_WORD: Final = "Your {field} contains a word this server's moderators have blocked. Change it and try again."
COOLING_DOWN: Final = "This server has a cooldown of {cooldown} between jobs. You can start your next one in {left}."
PROMPT_FIELDS: Final = {"prompt": "prompt", "negative_prompt": "negative prompt"}
# How long a start is remembered here, covering the moment before its job row exists (the row then counts).
_REMEMBER: Final = timedelta(minutes=10)


class PolicyRefused(UserFacingError):
    """A job the server's policy does not allow; nothing was held or sent."""


def duration(seconds: float) -> str:
    """`45 seconds`, `3 minutes`, `2 hours`: rounded up, so the member is never told to come back too early."""
    whole = max(1, math.ceil(seconds))
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        if whole >= 2 * size or size == 1:
            count = math.ceil(whole / size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable")


class PolicyGate:
    def __init__(self, ledger: Ledger, *, clock: Callable[[], datetime]) -> None:
        self._ledger = ledger
        self._clock = clock
        self._started: dict[tuple[int, int], datetime] = {}

    async def check(self, spec: JobSpec) -> None:
        """Raise `PolicyRefused` if the server's policy refuses this job now."""
        policy = await self._ledger.policy.get(spec.guild_id)
        if policy.channel_ids and spec.channel_id not in policy.channel_ids:
            channels = ", ".join(f"<#{channel}>" for channel in sorted(policy.channel_ids))
            raise PolicyRefused(WRONG_CHANNEL.format(channels=channels))
        for name, field in PROMPT_FIELDS.items():
            text = spec.options.get(name)
            if isinstance(text, str) and blocked_word_in(text, policy.blocked_words):
                raise PolicyRefused(BLOCKED_WORD.format(field=field))
        if policy.cooldown_s:
            member = (spec.guild_id, spec.user_id)
            starts = [self._started.get(member), await self._ledger.last_job_started(*member)]
            last = max((start for start in starts if start is not None), default=None)
            left = None if last is None else last + timedelta(seconds=policy.cooldown_s) - self._clock()
            if left is not None and left > timedelta(0):
                raise PolicyRefused(
                    COOLING_DOWN.format(cooldown=duration(policy.cooldown_s), left=duration(left.total_seconds()))
                )

    def started(self, spec: JobSpec) -> None:
        """The job passed every check and starts now: its member's cooldown runs from here (a refused job
        starts none). Remembered here until the job's record, which `check` also reads, exists."""
        now = self._clock()
        self._started[(spec.guild_id, spec.user_id)] = now
        if len(self._started) > 1024:
            self._started = {member: at for member, at in self._started.items() if at >= now - _REMEMBER}
