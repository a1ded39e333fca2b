"""`[ideogram] max_concurrency` across processes: two clients (two bot processes) given `DatabaseSlots` on one
PostgreSQL database never have more images at the API together than the limit, and waiting requests still learn
their place in the deployment's line."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.ideogram import GenerationResponse, IdeogramClient, build_request
from bot.ideogram.requests import IdeogramRequest
from bot.ledger.pg import open_pool
from bot.ledger.slots import DatabaseSlots
from tests.fakes.ideogram import FakeIdeogram
from tests.ideogram.test_client_limits import QueueWatcher

LIMIT = 3


def generate(num_images: int) -> IdeogramRequest:
    return build_request("generate", options={"prompt": "a cat", "num_images": num_images}, images={})


@pytest.fixture
async def fake() -> AsyncIterator[FakeIdeogram]:
    async with FakeIdeogram(max_in_flight_images=LIMIT) as started:  # answers 429 beyond the limit
        yield started


@pytest.fixture
async def clients(fake: FakeIdeogram, postgres_url: str) -> AsyncIterator[list[IdeogramClient]]:
    started: list[IdeogramClient] = []
    resources = []
    for instance in ("shards 0 of 2", "shards 1 of 2"):
        pool = await open_pool(postgres_url, max_size=4)
        slots = DatabaseSlots(pool, postgres_url, capacity=LIMIT, instance_id=instance, poll_s=0.2)
        await slots.start()
        client = IdeogramClient(base_url=fake.base_url, api_key=fake.api_key, slots=slots, max_retries=0)
        await client.start()
        started.append(client)
        resources.append((slots, pool))
    yield started
    for client in started:
        await client.close()
    for slots, pool in resources:
        await slots.close()
        await pool.close()


async def test_two_processes_share_one_limit_and_one_line(fake: FakeIdeogram, clients: list[IdeogramClient]) -> None:
    first, second = clients
    fake.pause_replies()
    running = [asyncio.create_task(first.execute(generate(2))), asyncio.create_task(second.execute(generate(1)))]
    await fake.wait_for_in_flight(LIMIT)
    watchers = [QueueWatcher(), QueueWatcher()]
    waiting = [asyncio.create_task(second.execute(generate(2), on_queue=watchers[0]))]
    await watchers[0].reported(1)
    waiting.append(asyncio.create_task(first.execute(generate(1), on_queue=watchers[1])))
    await watchers[1].reported(1)
    assert [w.positions for w in watchers] == [[1], [2]]  # one line for both processes
    assert first.limiter_state.in_flight + second.limiter_state.in_flight == LIMIT
    assert len(fake.api_requests) == 2

    fake.resume_replies()
    replies = await asyncio.gather(*running, *waiting)
    assert [len(r.data) for r in replies if isinstance(r, GenerationResponse)] == [2, 1, 2, 1]
    assert fake.peak_in_flight_images == LIMIT
    assert all(r.status == 200 for r in fake.api_requests)  # never a 429
    assert watchers[0].positions[-1] == watchers[1].positions[-1] == 0
