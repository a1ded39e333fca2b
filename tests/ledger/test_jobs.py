"""Job records and results, found again by message id (reaction remix after a restart relies on it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ledger import Ledger, LedgerError, ResultImage

from .conftest import ALICE, DOLLAR, GUILD, Clock, new_job


def image(index: int, *, safe: bool = True) -> ResultImage:
    return ResultImage(
        index=index,
        attachment_id=1000 + index if safe else None,
        url=f"https://cdn.example/{index}.png" if safe else None,
        sha256=f"{index:064x}" if safe else None,
        is_safe=safe,
        seed=40 + index,
        prompt=f"a cat astronaut, take {index}",
    )


async def test_a_finished_job_is_found_by_its_message_after_a_restart(
    ledger: Ledger, db_path: Path, clock: Clock
) -> None:
    parameters = {"num_images": 3, "rendering_speed": "TURBO", "style_type": None, "negative": ["dogs"]}
    job = await new_job(ledger, parameters=parameters, command="imagine", operation="generate")
    await ledger.finish_job(
        job, cost=90_000, message_id=4242, seed=41, images=[image(2), image(0), image(1, safe=False)]
    )
    await ledger.close()

    restarted = await Ledger.open(db_path, default_allowance=DOLLAR, default_period="month", clock=clock)
    try:
        result = await restarted.find_result(4242)
    finally:
        await restarted.close()
    assert result is not None
    assert (result.job_id, result.guild_id, result.channel_id, result.user_id, result.message_id) == (
        job,
        GUILD,
        55,
        ALICE,
        4242,
    )
    assert (result.command, result.operation, result.prompt, result.seed, result.cost, result.status) == (
        "imagine",
        "generate",
        "a cat astronaut",
        41,
        90_000,
        "succeeded",
    )
    assert result.parameters == parameters
    assert result.images == (image(0), image(1, safe=False), image(2))
    assert result.created_at == clock.now


async def test_unknown_messages_find_nothing(ledger: Ledger) -> None:
    await new_job(ledger)
    assert await ledger.find_result(1) is None


async def test_a_failed_job_keeps_its_error_and_cannot_be_finished(ledger: Ledger, clock: Clock) -> None:
    job = await new_job(ledger)
    clock.advance(seconds=3)
    assert await ledger.fail_job(job, error="Ideogram said 503") is True
    assert await ledger.fail_job(job, error="again") is False
    with pytest.raises(LedgerError, match="not running"):
        await ledger.finish_job(job, cost=0, message_id=9, seed=None, images=[])
    record = await ledger.job(job)
    assert record is not None
    assert (record.status, record.error, record.message_id, record.finished_at) == (
        "failed",
        "Ideogram said 503",
        None,
        clock.now,
    )
    assert await ledger.job(job + 1) is None


async def test_a_finished_job_cannot_be_failed_or_finished_again(ledger: Ledger) -> None:
    job = await new_job(ledger)
    await ledger.finish_job(job, cost=30_000, message_id=7, seed=1, images=[image(0)])
    assert await ledger.fail_job(job, error="late") is False
    with pytest.raises(LedgerError):
        await ledger.finish_job(job, cost=30_000, message_id=8, seed=1, images=[image(0)])
    result = await ledger.find_result(7)
    assert result is not None
    assert len(result.images) == 1


async def test_parameters_must_be_json(ledger: Ledger) -> None:
    with pytest.raises(TypeError):
        await new_job(ledger, parameters={"image": b"bytes"})


async def test_state_remembers_the_last_value(ledger: Ledger, db_path: Path) -> None:
    assert await ledger.get_state("command_tree_hash") is None
    await ledger.set_state("command_tree_hash", "abc")
    await ledger.set_state("command_tree_hash", "def")
    await ledger.close()
    restarted = await Ledger.open(db_path, default_allowance=DOLLAR, default_period="month")
    try:
        assert await restarted.get_state("command_tree_hash") == "def"
    finally:
        await restarted.close()
