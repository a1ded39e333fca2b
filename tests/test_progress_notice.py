"""The progress notice never makes a job wait for Discord and always ends on the newest state."""

from __future__ import annotations

import asyncio

from bot.jobs.notice import ProgressNotice


class SlowOutput:
    def __init__(self) -> None:
        self.shown: list[int | None] = []
        self.release = asyncio.Event()
        self.editing = asyncio.Event()
        self.edits = asyncio.Queue[int | None]()

    async def progress(self, *, position: int | None, estimate: int, settings: str = "") -> None:
        assert estimate == 90_000
        self.editing.set()
        await self.release.wait()
        self.shown.append(position)
        self.edits.put_nowait(position)


async def test_updates_do_not_wait_and_coalesce_to_the_latest_position() -> None:
    output = SlowOutput()
    notice = ProgressNotice(output, estimate=90_000)  # type: ignore[arg-type]
    await notice.update()  # returns at once although the edit ("working on it") is blocked
    await output.editing.wait()
    for position in (4, 3, 2):
        await notice.update(position)
    output.release.set()
    assert [await output.edits.get(), await output.edits.get()] == [None, 2]  # the stale 4 and 3 are skipped
    await notice.settle()
    assert output.shown == [None, 2]


async def test_settle_waits_for_the_edit_in_flight_and_stops_later_ones() -> None:
    output = SlowOutput()
    notice = ProgressNotice(output, estimate=90_000)  # type: ignore[arg-type]
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
