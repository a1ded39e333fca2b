"""Fixtures for the client tests: real images (Pillow), the strict fake gateway, and a client aimed at it.

The client's `sleep` is replaced by a recorder, so retry delays are asserted as numbers, never waited for, and
`jitter` is fixed at 1.0 so full-jitter backoff is deterministic (each delay is its ceiling).
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from bot.ideogram import IdeogramClient
from tests.fakes.ideogram import FakeIdeogram

SIZE = (64, 64)


def make_image(fmt: str = "PNG", size: tuple[int, int] = SIZE, color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def make_mask(size: tuple[int, int] = SIZE) -> bytes:
    """Black (edit) on the left half, white (keep) on the right."""
    image = Image.new("L", size, 255)
    image.paste(0, (0, 0, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class RecordingSleep:
    """Stands in for asyncio.sleep: records the delays the client asked for and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def png() -> bytes:
    return make_image("PNG")


@pytest.fixture
def jpeg() -> bytes:
    return make_image("JPEG")


@pytest.fixture
def webp() -> bytes:
    return make_image("WEBP")


@pytest.fixture
def mask() -> bytes:
    return make_mask()


@pytest.fixture
def sleeper() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def fake() -> AsyncIterator[FakeIdeogram]:
    async with FakeIdeogram() as server:
        yield server


@pytest.fixture
async def client(fake: FakeIdeogram, sleeper: RecordingSleep) -> AsyncIterator[IdeogramClient]:
    async with IdeogramClient(
        base_url=fake.base_url,
        api_key=fake.api_key,
        image_hosts=["127.0.0.1"],
        sleep=sleeper,
        jitter=lambda: 1.0,
    ) as ideogram:
        yield ideogram
