"""Fixtures for tests that talk to the fake Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.discord import FakeDiscord


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started ``FakeDiscord``; fails the test if any of the fake's own responses broke Discord's schema."""
    async with FakeDiscord() as fake:
        yield fake
        assert [str(v) for v in fake.violations if v.side == "fake"] == []
