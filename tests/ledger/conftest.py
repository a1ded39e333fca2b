"""A real ledger on a file in tmp_path, and a clock the test moves by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.ledger import Ledger

GUILD = 10
ALICE = 101
BOB = 102
MOD = 900
DOLLAR = 1_000_000


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, *args: int) -> None:
        self.now = datetime(*args, tzinfo=UTC)  # type: ignore[misc]

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2025, 3, 12, 15, 30, tzinfo=UTC))  # a Wednesday


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    """For tests of what only the SQLite backend has (its file, its single writer's order)."""
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
async def ledger(db_path: Path | str, clock: Clock) -> AsyncIterator[Ledger]:
    opened = await Ledger.open(db_path, default_allowance=DOLLAR, default_period="month", clock=clock)
    yield opened
    await opened.close()


async def new_job(ledger: Ledger, user_id: int = ALICE, **overrides: object) -> int:
    fields: dict[str, object] = {
        "guild_id": GUILD,
        "channel_id": 55,
        "user_id": user_id,
        "command": "imagine",
        "operation": "generate",
        "parameters": {"num_images": 2, "rendering_speed": "TURBO"},
        "prompt": "a cat astronaut",
    }
    fields.update(overrides)
    return await ledger.create_job(**fields)  # type: ignore[arg-type]
