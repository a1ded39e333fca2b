"""The queue notice never makes a job wait for Discord and always ends on the newest position."""

from __future__ import annotations

import asyncio

from bot.jobs.notice import QueueNotice


class SlowOutput:
    def __init__(self) -> None:
        self.shown: list[int] = []
        self.release = asyncio.Event()
        self.editing = asyncio.Event()
        self.edits = asyncio.Queue[int]()

    async def queued(self, position: int) -> None:
        self.editing.set()
        await self.release.wait()
        self.shown.append(position)
        self.edits.put_nowait(position)


async def test_updates_do_not_wait_and_coalesce_to_the_latest_position() -> None:
    output = SlowOutput()
    notice = QueueNotice(output)  # type: ignore[arg-type]
    await notice.update(5)  # returns at once although the edit is blocked
    await output.editing.wait()
    for position in (4, 3, 2):
        await notice.update(position)
    output.release.set()
    assert [await output.edits.get(), await output.edits.get()] == [5, 2]  # the stale 4 and 3 are skipped
    await notice.settle()
    assert output.shown == [5, 2]


async def test_settle_waits_for_the_edit_in_flight_and_stops_later_ones() -> None:
    output = SlowOutput()
    notice = QueueNotice(output)  # type: ignore[arg-type]
    await notice.update(2)
    await output.editing.wait()
    settling = asyncio.create_task(notice.settle())
    await notice.update(1)
    assert not settling.done()
    output.release.set()
    await settling
    assert output.shown == [2]
    await notice.update(1)
    assert output.shown == [2]
