"""Run a real discord.py bot against a ``FakeDiscord`` for the length of an ``async with``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from .fake import FakeDiscord


@contextlib.contextmanager
def pointed_at(fake: FakeDiscord) -> Any:
    """Aim discord.py's two process-global URLs at the fake, and restore them afterwards."""
    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = fake.api_base_url
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


@contextlib.asynccontextmanager
async def run_bot(
    fake: FakeDiscord,
    bot: Any,
    *,
    token: str | None = None,
    ready_timeout: float | None = None,
    point_urls: bool = True,
) -> AsyncIterator[Any]:
    """Start ``bot`` (a ``discord.Client``) against ``fake``, wait for ``on_ready``, yield it, then close it.

    ``point_urls=False`` leaves ``Route.BASE``/``DEFAULT_GATEWAY`` to the bot (when its settings set them);
    they are restored on exit either way. If the bot task dies (e.g. a ``KeyError`` in a gateway parser),
    ``fake.wait_for*`` fail at once instead of timing out.
    """
    timeout = fake.wait_timeout_s if ready_timeout is None else ready_timeout
    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    if point_urls:
        Route.BASE = fake.api_base_url
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    ready = asyncio.Event()

    async def on_ready() -> None:
        ready.set()

    bot.add_listener(on_ready, "on_ready")
    task = asyncio.create_task(bot.start(token or fake.token), name="discord-bot")
    fake.watch_task(task)
    waiter = asyncio.create_task(ready.wait())
    try:
        done, _ = await asyncio.wait({task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()
            raise AssertionError("bot.start() returned before on_ready")
        if waiter not in done:
            raise AssertionError(f"the bot was not ready within {timeout}s")
        yield bot
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise AssertionError("the bot crashed during the test") from task.exception()
    finally:
        waiter.cancel()
        bot.remove_listener(on_ready, "on_ready")
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        fake.unwatch_task(task)
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
