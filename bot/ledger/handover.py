"""Handing a queued ledger request's outcome to its caller, the same way in both writers (SQLite's `Database`
and PostgreSQL's): a caller cancelled meanwhile has what succeeded undone, and a shielded request still runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


def hand_over(
    future: asyncio.Future[Any],
    undo: Callable[[Any], Awaitable[object]] | None,
    result: object,
    error: BaseException | None,
    *,
    clean_up: Callable[[Awaitable[object]], None],
) -> None:
    """Give a queued request's outcome to its caller; when the caller was cancelled meanwhile, undo what succeeded
    (through `clean_up`) or log what failed. Both writers, SQLite's and PostgreSQL's, settle requests this way."""
    if not future.cancelled():
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)
    elif error is None and undo is not None:
        clean_up(undo(result))
    elif error is not None:
        log.warning("a ledger request whose caller was cancelled failed: %r", error)


async def _shielded(future: asyncio.Future[Any]) -> Any:
    """The request's outcome; a caller cancelled meanwhile stops waiting, but the request still runs."""
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        future.add_done_callback(_retrieve)
        raise


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("a ledger request whose caller was cancelled failed: %r", future.exception())


async def _logged(cleanup: Awaitable[object]) -> None:
    try:
        await cleanup
    except Exception:
        log.exception("cleaning up after a cancelled ledger request failed")
