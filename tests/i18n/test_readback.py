"""What the ledger and the runner store in English is read back into catalogue messages, so members and
moderators read it in their own language (`bot.i18n.readback`, `bot.i18n.stored`); what a moderator typed is
shown as it was."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.i18n import Message, render
from bot.i18n.readback import recognise, shown_text
from bot.ledger import CRASH_RELEASE_REASON, CRASH_UNCERTAIN_REASON, CRASH_WRITE_OFF_REASON, Hold, Ledger
from bot.ledger.holds import INTERRUPTED

GUILD, MEMBER, MODERATOR = 10, 101, 900
Step = Callable[[Hold], Awaitable[None]]


class Broke(Exception):
    """A job failing on its way."""


def chinese(text: str) -> str:
    return render(shown_text(text), "zh-CN")


@pytest.mark.parametrize("stored", [CRASH_RELEASE_REASON, CRASH_WRITE_OFF_REASON, CRASH_UNCERTAIN_REASON, INTERRUPTED])
def test_the_ledgers_own_constants_are_catalogue_messages(stored: str) -> None:
    assert isinstance(shown_text(stored), Message)


def test_a_reason_is_read_back_with_its_parameters_in_the_readers_language() -> None:
    assert chinese("released: the job failed (ServerError)") == "已释放：任务失败（ServerError）"
    assert render(shown_text("allowance set to $2.50 per month"), "zh-TW") == "額度設為每月 US$2.50"
    assert render(shown_text("job 12"), "zh-CN") == "任务 12"
    assert render(shown_text("released: the job failed (ServerError)"), "en-US") == (
        "released: the job failed (ServerError)"
    )


def test_a_failed_jobs_error_is_read_without_its_exception_name() -> None:
    stored = (
        "BudgetExceeded: That needs $0.12 but the server has $0.05 left this month (resets 2025-04-01 00:00 UTC). "
        "Nothing was charged."
    )
    assert render(shown_text(stored), "zh-TW") == (
        "這次需要 US$0.12，但伺服器本月只剩 US$0.05（2025-04-01 00:00 UTC重設）。未扣款。"
    )


def test_text_that_is_no_message_of_ours_is_shown_as_stored_through_raw() -> None:
    assert shown_text("/imagine") == "/imagine"
    assert shown_text("KeyError: 'x'", raw=str.upper) == "KEYERROR: 'X'"
    assert recognise("alice bob") is None  # "{amount} {per_period}" has no word of its own: it matches nothing
    # What a moderator typed inside a message of ours goes through `raw` (a cog makes it inert there).
    found = shown_text("released: @everyone", raw=lambda text: f"<{text}>")
    assert render(found, "zh-CN") == "已释放：<@everyone>"


async def test_every_reason_the_ledger_writes_reads_in_chinese(tmp_path: Path) -> None:
    now = datetime(2025, 3, 12, 15, 30, tzinfo=UTC)
    ledger = await Ledger.open(
        tmp_path / "ledger.sqlite3", default_allowance=10_000_000, default_period="month", clock=lambda: now
    )
    try:
        new_job = _jobs(ledger)

        async def fail(step: Step | None = None) -> None:
            job_id = await new_job()
            try:
                async with ledger.holding(guild_id=GUILD, user_id=MEMBER, amount=60_000, job_id=job_id) as hold:
                    if step is not None:
                        await step(hold)
                    raise Broke
            except Broke:
                pass

        await fail()  # released
        await fail(ledger.request_sent)  # uncertain
        await fail(lambda hold: _answered(ledger, hold))  # written off, then released
        async with ledger.holding(guild_id=GUILD, user_id=MEMBER, amount=60_000, job_id=await new_job()):
            pass  # ended without a charge
        # A crash: holds left open at each stage, settled by the next start.
        steps: list[Step | None] = [None, ledger.request_sent, lambda hold: _answered(ledger, hold)]
        for step in steps:
            hold = await ledger.hold(guild_id=GUILD, user_id=MEMBER, amount=60_000, job_id=await new_job())
            if step is not None:
                await step(hold)
        await ledger.recover()
        await ledger.set_allowance(guild_id=GUILD, user_id=MEMBER, amount=2_500_000, period="week", actor_id=MODERATOR)
        await ledger.set_allowance(guild_id=GUILD, user_id=MEMBER, amount=3_000_000, actor_id=MODERATOR)
        await ledger.set_allowance(guild_id=GUILD, user_id=MEMBER, amount=None, actor_id=MODERATOR)

        reasons = {entry.reason for entry in await ledger.entries(GUILD) if entry.reason}
        assert len(reasons) >= 10
        english = {reason: chinese(reason) for reason in reasons if not isinstance(shown_text(reason), Message)}
        assert english == {}
        errors = {job.error for job in [await ledger.job_result(j) for j in range(1, 20)] if job and job.error}
        assert INTERRUPTED in errors
        assert {error: chinese(error) for error in errors if not isinstance(shown_text(error), Message)} == {}
    finally:
        await ledger.close()


def _jobs(ledger: Ledger) -> Callable[[], Awaitable[int]]:
    async def new_job() -> int:
        return await ledger.create_job(
            guild_id=GUILD,
            channel_id=55,
            user_id=MEMBER,
            command="imagine",
            operation="generate",
            parameters={},
            prompt="a cat",
        )

    return new_job


async def _answered(ledger: Ledger, hold: Hold) -> None:
    await ledger.request_sent(hold)
    await ledger.answered(hold, 30_000)
