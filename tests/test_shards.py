"""Shard settings, the name each process's ledger holds carry, and the pacing of IDENTIFYs."""

from __future__ import annotations

import asyncio

import pytest

from bot.config import ConfigError, parse_settings
from bot.shards import IDENTIFY_WINDOW_S, IdentifyPacer, instance_id, shard_options


def test_by_default_discord_chooses_the_count_and_this_process_runs_every_shard() -> None:
    settings = parse_settings({}).discord
    assert shard_options(settings) == {"shard_count": None}
    assert instance_id(settings) == "default"


def test_a_shard_set_names_the_process() -> None:
    settings = parse_settings({"discord": {"shard_count": 16, "shard_ids": [9, 0, 1, 2, 3, 8]}}).discord
    assert shard_options(settings) == {"shard_count": 16, "shard_ids": [0, 1, 2, 3, 8, 9]}
    assert instance_id(settings) == "shards 0-3,8-9 of 16"
    assert instance_id(parse_settings({"discord": {"shard_count": 2, "shard_ids": [1]}}).discord) == "shards 1 of 2"


def test_a_process_running_all_of_a_fixed_count_is_the_only_one() -> None:
    settings = parse_settings({"discord": {"shard_count": 4}}).discord
    assert shard_options(settings) == {"shard_count": 4}
    assert instance_id(settings) == "default"


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"shard_ids": [0]}, r"\[discord\] shard_ids: shard_ids needs shard_count"),
        ({"shard_count": 2, "shard_ids": [2]}, r"\[discord\] shard_ids: .*from 0 to 1"),
        ({"shard_count": 2, "shard_ids": [-1]}, r"\[discord\] shard_ids: .*from 0 to 1"),
        ({"shard_count": 2, "shard_ids": [1, 1]}, r"\[discord\] shard_ids: shard_ids must be distinct"),
        ({"shard_count": 2, "shard_ids": []}, r"\[discord\] shard_ids"),
        ({"shard_count": 0}, r"\[discord\] shard_count"),
    ],
)
def test_bad_shard_settings_name_the_key(keys: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_settings({"discord": keys})


class Time:
    """A clock that only moves when the pacer sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_one_bucket_identifies_once_per_five_seconds() -> None:
    time = Time()
    pacer = IdentifyPacer(1, clock=time, sleep=time.sleep)
    for shard in range(3):
        await pacer.wait(shard)
    assert time.sleeps == [IDENTIFY_WINDOW_S, IDENTIFY_WINDOW_S]


async def test_shards_in_different_buckets_identify_together() -> None:
    time = Time()
    pacer = IdentifyPacer(4, clock=time, sleep=time.sleep)
    await asyncio.gather(*(pacer.wait(shard) for shard in range(4)))
    assert time.sleeps == []
    await pacer.wait(5)  # bucket 1 again
    assert time.sleeps == [IDENTIFY_WINDOW_S]


async def test_a_reidentify_long_after_the_last_one_does_not_wait() -> None:
    time = Time()
    pacer = IdentifyPacer(1, clock=time, sleep=time.sleep)
    await pacer.wait(0)
    time.now += 60
    await pacer.wait(0)
    assert time.sleeps == []


def test_compose_runs_two_shard_processes_on_one_postgresql() -> None:
    from pathlib import Path

    compose = (Path(__file__).resolve().parent.parent / "compose.yaml").read_text()
    assert "image: postgres:15" in compose
    assert compose.count("profiles: [cluster]") == 3  # the default `docker compose up` is still the one bot
    assert "./config.shard-0.toml:/app/config.toml:ro" in compose
    assert "./config.shard-1.toml:/app/config.toml:ro" in compose
    assert "DATABASE_URL: postgresql://bot:${POSTGRES_PASSWORD}@postgres:5432/ledger" in compose
