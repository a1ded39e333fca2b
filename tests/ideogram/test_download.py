"""Downloading results: withheld items, the host allow-list, https-only, the size cap, expiry, redirects, and
concurrency. Cases the fake cannot produce use small servers local to the test."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from aiohttp import web

from bot.ideogram import (
    DownloadedImage,
    DownloadFailed,
    GeneratedImage,
    GenerationResponse,
    IdeogramClient,
    ImageExpired,
    WithheldImage,
    build_request,
)
from bot.ideogram.download import host_allowed
from tests.fakes import ideogram as faults
from tests.fakes.ideogram import FakeIdeogram
from tests.ideogram.conftest import make_image

PNG = make_image("PNG")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def generate(client: IdeogramClient, num_images: int = 2) -> GenerationResponse:
    reply = await client.execute(
        build_request("generate", options={"prompt": "a cat", "num_images": num_images}, images={})
    )
    assert isinstance(reply, GenerationResponse)
    return reply


def reply_with(*urls: str | None, seed: int = 7) -> GenerationResponse:
    return GenerationResponse(
        created=datetime.now(UTC),
        data=[
            GeneratedImage(url=url, prompt="p", resolution="64x64", is_image_safe=url is not None, seed=seed)
            for url in urls
        ],
    )


@asynccontextmanager
async def local_server(routes: dict[str, Handler]) -> AsyncIterator[str]:
    """A throwaway HTTP server on 127.0.0.1 with the given GET routes; yields its origin."""
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def image_requests(fake: FakeIdeogram) -> list[faults.RecordedRequest]:
    return [r for r in fake.requests if r.path.startswith("/images/")]


async def test_images_come_back_in_order_with_sniffed_types(client: IdeogramClient, fake: FakeIdeogram) -> None:
    reply = await generate(client, num_images=3)
    results = await client.download(reply)
    assert [r.index for r in results] == [0, 1, 2]
    for result, item in zip(results, reply.data, strict=True):
        assert isinstance(result, DownloadedImage)
        assert result.item == item
        assert result.content_type == "image/png"
        assert result.data.startswith(b"\x89PNG")
        assert result.filename == f"ideogram-{item.seed}-{result.index + 1}.png"
    assert len({r.data for r in results if isinstance(r, DownloadedImage)}) == 3


async def test_the_digest_is_of_the_whole_image() -> None:
    """Big images arrive in many pieces; the recorded SHA-256 is that of all of them, joined."""
    async with (
        FakeIdeogram(image_bytes=3 * 1024 * 1024) as big_fake,
        IdeogramClient(base_url=big_fake.base_url, api_key=big_fake.api_key, image_hosts=["127.0.0.1"]) as client,
    ):
        results = await client.download(await generate(client, num_images=2))
    for result in results:
        assert isinstance(result, DownloadedImage)
        assert result.size == 3 * 1024 * 1024
        assert result.sha256 == hashlib.sha256(result.data).hexdigest()


async def test_webp_results_are_named_webp(fake: FakeIdeogram) -> None:
    async with (
        FakeIdeogram(image_format="webp") as webp_fake,
        IdeogramClient(base_url=webp_fake.base_url, api_key=webp_fake.api_key, image_hosts=["127.0.0.1"]) as client,
    ):
        (result,) = await client.download(await generate(client, num_images=1))
    assert isinstance(result, DownloadedImage)
    assert result.content_type == "image/webp"
    assert result.filename.endswith(".webp")


async def test_withheld_images_are_not_errors(client: IdeogramClient, fake: FakeIdeogram) -> None:
    fake.inject(faults.UnsafeImages((0, 2)))
    reply = await generate(client, num_images=3)
    assert reply.withheld_count == 2
    results = await client.download(reply)
    assert [type(r) for r in results] == [WithheldImage, DownloadedImage, WithheldImage]
    assert [r.index for r in results] == [0, 1, 2]
    assert len(image_requests(fake)) == 1


async def test_an_empty_url_is_withheld_too(client: IdeogramClient) -> None:
    reply = GenerationResponse(
        created=datetime.now(UTC),
        data=[GeneratedImage(url="", prompt="p", resolution="1x1", is_image_safe=False, seed=1)],
    )
    assert reply.withheld_count == 1
    assert await client.download(reply) == [WithheldImage(index=0, item=reply.data[0])]


async def test_the_api_key_is_not_sent_to_the_image_host(client: IdeogramClient, fake: FakeIdeogram) -> None:
    await client.download(await generate(client))
    assert image_requests(fake)
    for recorded in image_requests(fake):
        assert "Api-Key" not in recorded.headers
        assert fake.api_key not in str(recorded.headers)


async def test_hosts_off_the_allow_list_are_refused(fake: FakeIdeogram) -> None:
    # The API reached as `localhost` serving images from 127.0.0.1: neither the API's host nor a listed one.
    by_name = fake.base_url.replace("127.0.0.1", "localhost")
    async with IdeogramClient(base_url=by_name, api_key=fake.api_key) as default_hosts:
        reply = await generate(default_hosts)
        with pytest.raises(DownloadFailed, match="host the bot doesn't trust") as caught:
            await default_hosts.download(reply)
    assert not isinstance(caught.value, ImageExpired)
    assert image_requests(fake) == []


async def test_the_api_host_is_trusted_for_images_besides_the_listed_hosts(fake: FakeIdeogram) -> None:
    async with IdeogramClient(base_url=fake.base_url, api_key=fake.api_key) as default_hosts:
        downloaded = await default_hosts.download(await generate(default_hosts))
    assert downloaded
    assert all(isinstance(item, DownloadedImage) for item in downloaded)
    assert len(image_requests(fake)) == len(downloaded)


async def test_http_is_refused_unless_the_api_is_on_loopback(fake: FakeIdeogram, client: IdeogramClient) -> None:
    reply = await generate(client)
    async with IdeogramClient(
        base_url="https://aihubmix.invalid", api_key="sk-x", image_hosts=["127.0.0.1"]
    ) as production:
        with pytest.raises(DownloadFailed, match="not https"):
            await production.download(reply)
    assert image_requests(fake) == []


async def test_oversized_images_are_refused(fake: FakeIdeogram) -> None:
    async with IdeogramClient(
        base_url=fake.base_url, api_key=fake.api_key, image_hosts=["127.0.0.1"], max_download_bytes=100
    ) as strict:
        reply = await generate(strict)
        with pytest.raises(DownloadFailed, match="larger than the bot accepts"):
            await strict.download(reply)


async def test_the_cap_holds_when_the_host_sends_no_length() -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(PNG)
        for _ in range(100):
            await response.write(b"\0" * 4096)
        await response.write_eof()
        return response

    async with (
        local_server({"/big.png": endless}) as origin,
        IdeogramClient(
            base_url=origin, api_key="sk-x", image_hosts=["127.0.0.1"], max_download_bytes=64 * 1024
        ) as client,
    ):
        with pytest.raises(DownloadFailed, match="larger than the bot accepts"):
            await client.download(reply_with(f"{origin}/big.png"))


async def test_expired_urls_are_a_clear_error(client: IdeogramClient, fake: FakeIdeogram) -> None:
    reply = await generate(client)
    fake.expire_urls()
    with pytest.raises(ImageExpired) as caught:
        await client.download(reply)
    assert caught.value.status == 403
    assert "expired" in str(caught.value)


async def test_an_exp_in_the_past_is_refused_without_fetching(fake: FakeIdeogram) -> None:
    async with IdeogramClient(
        base_url=fake.base_url, api_key=fake.api_key, image_hosts=["127.0.0.1"], clock=lambda: time.time() + 10**7
    ) as late:
        reply = await generate(late)
        with pytest.raises(ImageExpired):
            await late.download(reply)
    assert image_requests(fake) == []


@pytest.mark.parametrize("status", [404, 410])
async def test_gone_images_count_as_expired(status: int) -> None:
    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=status)

    async with (
        local_server({"/gone.png": gone}) as origin,
        IdeogramClient(base_url=origin, api_key="sk-x", image_hosts=["127.0.0.1"]) as client,
    ):
        with pytest.raises(ImageExpired):
            await client.download(reply_with(f"{origin}/gone.png"))


@pytest.mark.parametrize(
    "fault", [faults.ServerError(500), faults.BadGatewayHtml(), faults.Disconnect()], ids=["500", "502", "disconnect"]
)
async def test_image_host_failures_are_download_failures(
    client: IdeogramClient, fake: FakeIdeogram, fault: faults.Fault
) -> None:
    reply = await generate(client, num_images=1)
    fake.inject(fault, route="/images", times=3)  # aiohttp itself retries a GET once on a dropped keep-alive
    with pytest.raises(DownloadFailed) as caught:
        await client.download(reply)
    assert not isinstance(caught.value, ImageExpired)
    assert caught.value.may_have_been_billed


async def test_redirects_are_followed_only_to_allowed_hosts() -> None:
    async def real(request: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="image/png")

    async def hop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/real.png")

    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://evil.example/steal.png")

    routes: dict[str, Handler] = {"/real.png": real, "/hop.png": hop, "/away.png": away}
    async with (
        local_server(routes) as origin,
        IdeogramClient(base_url=origin, api_key="sk-x", image_hosts=["127.0.0.1"]) as client,
    ):
        (ok,) = await client.download(reply_with(f"{origin}/hop.png"))
        assert isinstance(ok, DownloadedImage)
        assert ok.data == PNG
        with pytest.raises(DownloadFailed, match="doesn't trust"):
            await client.download(reply_with(f"{origin}/away.png"))


async def test_something_that_is_not_an_image_is_refused() -> None:
    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html>login</html>", content_type="text/html")

    async with (
        local_server({"/x.png": html}) as origin,
        IdeogramClient(base_url=origin, api_key="sk-x", image_hosts=["127.0.0.1"]) as client,
    ):
        with pytest.raises(DownloadFailed):
            await client.download(reply_with(f"{origin}/x.png"))


async def test_all_images_are_fetched_at_once() -> None:
    """Each reply waits until every request has arrived: a client fetching one by one would never finish."""
    arrived = 0
    everyone = asyncio.Event()

    async def barrier(request: web.Request) -> web.Response:
        nonlocal arrived
        arrived += 1
        if arrived == 4:
            everyone.set()
        await everyone.wait()
        return web.Response(body=PNG, content_type="image/png")

    async with (
        local_server({"/{name}.png": barrier}) as origin,
        IdeogramClient(base_url=origin, api_key="sk-x", image_hosts=["127.0.0.1"]) as client,
    ):
        async with asyncio.timeout(10):
            results = await client.download(reply_with(*(f"{origin}/{i}.png" for i in range(4))))
    assert [r.index for r in results] == [0, 1, 2, 3]


async def test_one_failure_cancels_the_other_downloads() -> None:
    never = asyncio.Event()
    cancelled = asyncio.Event()

    async def stuck(request: web.Request) -> web.Response:
        try:
            await never.wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return web.Response()  # pragma: no cover

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500)

    async with (
        local_server({"/stuck.png": stuck, "/broken.png": broken}) as origin,
        IdeogramClient(base_url=origin, api_key="sk-x", image_hosts=["127.0.0.1"]) as client,
    ):
        async with asyncio.timeout(10):
            with pytest.raises(DownloadFailed):
                await client.download(reply_with(f"{origin}/stuck.png", f"{origin}/broken.png"))
            await cancelled.wait()  # the server saw the stuck download's connection go away


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("ideogram.ai", True),
        ("IDEOGRAM.AI", True),
        ("cdn.ideogram.ai", True),
        ("a.b.ideogram.ai", True),
        ("d2gu96o5zk2m7w.cloudfront.net", True),
        ("evilideogram.ai", False),
        ("ideogram.ai.evil.com", False),
        ("other.cloudfront.net", False),
        ("127.0.0.1", False),
    ],
)
def test_default_allow_list(host: str, allowed: bool) -> None:
    from bot.ideogram import DEFAULT_IMAGE_HOSTS

    assert host_allowed(host, DEFAULT_IMAGE_HOSTS) is allowed
