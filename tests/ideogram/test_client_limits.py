"""The client end to end: the images-in-flight limiter with queue positions, and the HTTP proxy for both the API
and the image downloads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.ideogram import (
    DownloadedImage,
    GenerationResponse,
    IdeogramClient,
    LimiterState,
    build_request,
)
from bot.ideogram.requests import IdeogramRequest
from tests.fakes.ideogram import FakeIdeogram
from tests.ideogram.conftest import make_image

PNG = make_image("PNG")


def generate(num_images: int) -> IdeogramRequest:
    return build_request("generate", options={"prompt": "a cat", "num_images": num_images}, images={})


class QueueWatcher:
    """An `on_queue` callback that records positions and lets the test wait for the next one."""

    def __init__(self) -> None:
        self.positions: list[int] = []
        self._changed = asyncio.Event()

    async def __call__(self, position: int) -> None:
        self.positions.append(position)
        self._changed.set()

    async def reported(self, count: int) -> None:
        while len(self.positions) < count:
            self._changed.clear()
            await self._changed.wait()


@pytest.fixture
async def limited_fake() -> AsyncIterator[FakeIdeogram]:
    async with FakeIdeogram(max_in_flight_images=10) as fake:
        yield fake


async def test_requests_wait_in_line_instead_of_hitting_429(limited_fake: FakeIdeogram) -> None:
    fake = limited_fake
    fake.pause_replies()
    async with IdeogramClient(
        base_url=fake.base_url, api_key=fake.api_key, max_in_flight_images=8, max_retries=0
    ) as client:
        first = asyncio.create_task(client.execute(generate(8)))
        await fake.wait_for_in_flight(8)
        second_queue, third_queue = QueueWatcher(), QueueWatcher()
        second = asyncio.create_task(client.execute(generate(4), on_queue=second_queue))
        await second_queue.reported(1)
        third = asyncio.create_task(client.execute(generate(4), on_queue=third_queue))
        await third_queue.reported(1)
        assert (second_queue.positions, third_queue.positions) == ([1], [2])
        assert client.limiter_state == LimiterState(in_flight=8, waiting=2, capacity=8)
        assert len(fake.api_requests) == 1

        fake.resume_replies()
        replies = await asyncio.gather(first, second, third)
    assert [len(r.data) for r in replies if isinstance(r, GenerationResponse)] == [8, 4, 4]
    assert fake.peak_in_flight_images <= 8
    assert all(r.status == 200 for r in fake.api_requests)
    assert second_queue.positions == [1, 0]  # 0: its turn came
    assert third_queue.positions == [2, 0]  # both fit once the first is done: granted together, never #1


async def test_queue_position_moves_up(limited_fake: FakeIdeogram) -> None:
    fake = limited_fake
    fake.pause_replies()
    async with IdeogramClient(base_url=fake.base_url, api_key=fake.api_key, max_in_flight_images=4) as client:
        running = asyncio.create_task(client.execute(generate(4)))
        await fake.wait_for_in_flight(4)
        watchers = [QueueWatcher() for _ in range(3)]
        waiting = []
        for watcher in watchers:
            waiting.append(asyncio.create_task(client.execute(generate(4), on_queue=watcher)))
            await watcher.reported(1)
        assert [w.positions for w in watchers] == [[1], [2], [3]]

        waiting[0].cancel()  # the member gave up: the others move up, nothing leaks
        await watchers[1].reported(2)
        await watchers[2].reported(2)
        assert [w.positions for w in watchers[1:]] == [[2, 1], [3, 2]]
        assert client.limiter_state == LimiterState(in_flight=4, waiting=2, capacity=4)

        fake.resume_replies()
        await asyncio.gather(running, *waiting[1:])
        assert client.limiter_state == LimiterState(in_flight=0, waiting=0, capacity=4)
    assert len(fake.api_requests) == 3


async def test_a_failed_call_gives_its_images_back(client: IdeogramClient, fake: FakeIdeogram) -> None:
    from tests.fakes.ideogram import SafetyRejected

    fake.inject(SafetyRejected())
    with pytest.raises(Exception, match="safety"):
        await client.execute(generate(5))
    assert client.limiter_state.in_flight == 0


async def test_describe_counts_as_one_image(limited_fake: FakeIdeogram) -> None:
    fake = limited_fake
    fake.pause_replies()
    async with IdeogramClient(base_url=fake.base_url, api_key=fake.api_key, max_in_flight_images=10) as client:
        task = asyncio.create_task(client.execute(build_request("describe", options={}, images={"image": PNG})))
        await fake.wait_for_in_flight(1)
        assert client.limiter_state.in_flight == 1
        fake.resume_replies()
        await task


# --- the proxy -----------------------------------------------------------------------------------------------------


class ForwardProxy:
    """A minimal HTTP forward proxy: records each absolute-form request and relays it."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, bool]] = []  # (method, absolute URL, carried Api-Key)
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def _relay(self, request: web.Request) -> web.Response:
        assert self._session is not None
        target = request.raw_path
        self.seen.append((request.method, target, "Api-Key" in request.headers))
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "proxy-connection", "connection")
        }
        async with self._session.request(
            request.method, target, data=await request.read(), headers=headers, allow_redirects=False
        ) as upstream:
            body = await upstream.read()
            keep = {
                k: v
                for k, v in upstream.headers.items()
                if k.lower() in ("content-type", "x-request-id", "retry-after")
            }
            return web.Response(status=upstream.status, body=body, headers=keep)

    async def __aenter__(self) -> ForwardProxy:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._relay)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        assert self._session is not None
        await self._runner.cleanup()
        await self._session.close()


async def test_the_proxy_carries_api_calls_and_downloads(fake: FakeIdeogram) -> None:
    async with (
        ForwardProxy() as proxy,
        IdeogramClient(
            base_url=fake.base_url, api_key=fake.api_key, image_hosts=["127.0.0.1"], proxy=proxy.url
        ) as client,
    ):
        reply = await client.execute(
            build_request("remix", options={"prompt": "x", "num_images": 2}, images={"image": PNG})
        )
        assert isinstance(reply, GenerationResponse)
        results = await client.download(reply)
    assert all(isinstance(r, DownloadedImage) for r in results)
    methods = [(method, url.split("/")[3], key) for method, url, key in proxy.seen]
    assert methods == [("POST", "ideogram", True), ("GET", "images", False), ("GET", "images", False)]
    assert len(fake.requests) == 3
