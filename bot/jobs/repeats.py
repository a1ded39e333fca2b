"""One job per intent: a second click (or reaction) on the same thing by the same member within a few seconds is
a repeat, not a second order. An attempt that delivered nothing (refused, or failed) is forgotten, so the member
can try again at once (after a moderator raised their budget, say)."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

REPEAT_WINDOW_S: Final = 10.0


@dataclass
class Attempt:
    """One attempt `RepeatGuard.attempt` let through; `end`: how the job it started ended (None: it started none)."""

    end: str | None = None


class RepeatGuard:
    """Remembers what each member started in the last `window_s` seconds. `window_s` and `clock` (monotonic
    seconds) are plain attributes so that a deployment, or a test, can change them."""

    def __init__(self, window_s: float = REPEAT_WINDOW_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self.clock = clock
        self._seen: dict[Hashable, float] = {}

    def is_repeat(self, key: Hashable) -> bool:
        """True if `key` was seen within the window; otherwise remember it and return False."""
        now = self.clock()
        self._seen = {seen: at for seen, at in self._seen.items() if now - at < self.window_s}
        if key in self._seen:
            return True
        self._seen[key] = now
        return False

    def forget(self, key: Hashable) -> None:
        """`key`'s attempt delivered nothing (it was refused or failed): a retry is not a repeat."""
        self._seen.pop(key, None)

    @contextmanager
    def attempt(self, key: Hashable) -> Iterator[Attempt | None]:
        """The first attempt at `key` within the window: yields an `Attempt` to record how it ended (None for a
        repeat, which starts nothing). Unless it ends "delivered", it is forgotten, so a retry is not a repeat."""
        if self.is_repeat(key):
            yield None
            return
        attempt = Attempt()
        try:
            yield attempt
        finally:
            if attempt.end != "delivered":
                self.forget(key)
