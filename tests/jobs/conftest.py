"""The runner's tests: a real ledger in tmp_path and the fake image service of `test_runner`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.ledger import Ledger
from tests.jobs.test_runner import DOLLAR, FakeImageService


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[Ledger]:
    opened = await Ledger.open(tmp_path / "bot.sqlite3", default_allowance=DOLLAR, default_period="month")
    yield opened
    await opened.close()


@pytest.fixture
def service() -> FakeImageService:
    return FakeImageService()
