"""The runner's tests: a real ledger (in tmp_path, or in PostgreSQL too) and the fake image service of
`test_runner`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.ledger import Ledger
from tests.jobs.test_runner import DOLLAR, FakeImageService


@pytest.fixture
def ledger_location(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """SQLite; a test about money (holds, settlements) runs on PostgreSQL too (`test_runner.ON_BOTH_BACKENDS`)."""
    if getattr(request, "param", "sqlite") == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return tmp_path / "bot.sqlite3"


@pytest.fixture
async def ledger(ledger_location: Path | str) -> AsyncIterator[Ledger]:
    opened = await Ledger.open(ledger_location, default_allowance=DOLLAR, default_period="month")
    yield opened
    await opened.close()


@pytest.fixture
def service() -> FakeImageService:
    return FakeImageService()
