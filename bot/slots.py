"""Room for images in flight at the image API (`[ideogram] max_concurrency`): what the Ideogram client holds
around each call, whichever way the deployment counts.

One process (SQLite): `bot.ideogram.limiter.ImageLimiter` counts in memory. Several processes sharing PostgreSQL:
`bot.ledger.slots.DatabaseSlots` counts in the database, so their sum stays under the API key's limit. Both
serve requests in arrival order and report queue positions the same way.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Protocol

from bot.ideogram.limiter import LimiterState, QueueCallback

if TYPE_CHECKING:
    from bot.ideogram.limiter import ImageLimiter
    from bot.ledger.slots import DatabaseSlots


class SlotProvider(Protocol):
    """A FIFO weighted semaphore over images in flight."""

    @property
    def state(self) -> LimiterState:
        """Images in flight and requests waiting (in this process), and the limit."""
        ...

    def clamp(self, weight: int) -> int:
        """`weight` limited to what can ever be granted (a request for more runs alone)."""
        ...

    def hold(self, weight: int, on_queue: QueueCallback | None = None) -> AbstractAsyncContextManager[None]:
        """Hold `weight` images for the body of the `async with`. `on_queue(position)` is awaited when the
        request has to wait, whenever its 1-based position changes, and with 0 when its turn comes."""
        ...


if TYPE_CHECKING:  # both implementations keep to the protocol (checked by mypy)

    def _implementations(local: ImageLimiter, shared: DatabaseSlots) -> tuple[SlotProvider, SlotProvider]:
        return local, shared
