"""`cogs.output._UploadBuffer` leans on how aiohttp sizes a BytesIO part (`getbuffer()`): these tests pin that
aiohttp still sizes and sends it correctly, and without the copy a plain BytesIO over the same bytes costs (the
plain BytesIO is the control that shows the measurement can fail)."""

from __future__ import annotations

import hashlib
import io
import sys
import tracemalloc
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from cogs.output import _UploadBuffer

SIZE = 4 * 1024 * 1024
DATA = bytes(range(256)) * (SIZE // 256)


@pytest.fixture
async def sink() -> AsyncIterator[tuple[str, list[tuple[int, str]]]]:
    """An upload endpoint on 127.0.0.1 that streams each file part through a hash (it holds no copy itself)."""
    received: list[tuple[int, str]] = []

    async def upload(request: web.Request) -> web.Response:
        reader = await request.multipart()
        async for part in reader:
            assert isinstance(part, aiohttp.BodyPartReader)
            digest, size = hashlib.sha256(), 0
            while chunk := await part.read_chunk():
                digest.update(chunk)
                size += len(chunk)
            received.append((size, digest.hexdigest()))
        return web.Response(text="ok")

    app = web.Application(client_max_size=2 * SIZE)
    app.router.add_post("/upload", upload)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/upload", received
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(("make", "copies"), [(_UploadBuffer, False), (io.BytesIO, True)])
def test_aiohttp_sizes_the_part_without_copying_the_bytes(make: type[io.BytesIO], copies: bool) -> None:
    buffer = make(DATA)
    before = sys.getsizeof(buffer)  # a BytesIO counts its buffer only once it stops sharing the bytes it was given
    payload = aiohttp.payload.get_payload(buffer)
    assert isinstance(payload, aiohttp.payload.BytesIOPayload)
    assert payload.size == SIZE
    grew = sys.getsizeof(buffer) - before
    assert (grew >= SIZE) is copies


@pytest.mark.parametrize(("make", "copies"), [(_UploadBuffer, False), (io.BytesIO, True)])
async def test_aiohttp_sends_every_byte_without_a_copy(
    sink: tuple[str, list[tuple[int, str]]], make: type[io.BytesIO], copies: bool
) -> None:
    url, received = sink
    async with aiohttp.ClientSession() as session:
        form = aiohttp.FormData()
        tracemalloc.start()
        try:
            form.add_field("files[0]", make(DATA), filename="image.png", content_type="image/png")
            async with session.post(url, data=form) as reply:
                assert reply.status == 200
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert received == [(SIZE, hashlib.sha256(DATA).hexdigest())]
    assert (peak >= SIZE) is copies, f"peak traced allocation {peak} bytes for a {SIZE}-byte upload"
