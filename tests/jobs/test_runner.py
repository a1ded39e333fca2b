"""The runner alone: a real ledger in tmp_path, a fake image service and a fake output that records every verb.

Each stage fails in one way: refused before the start (nothing held or sent), failed after it (saying what was
charged), and nothing told at all once the result is posted.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from bot.errors import Incident, NotServedHere
from bot.ideogram import (
    DownloadedImage,
    GenerationResponse,
    IdeogramRequest,
    InvalidRequest,
    RequestTimedOut,
    SafetyRejected,
    WithheldImage,
)
from bot.jobs import JobRunner, JobSpec, Posted, PostedAttachment, Result
from bot.jobs.runner import Stopped
from bot.ledger import BudgetExceeded, Ledger
from bot.pricing import PriceTable

GUILD, CHANNEL, MEMBER = 10, 20, 30
DOLLAR = 1_000_000
TURBO = 30_000  # one V3 TURBO image
# A test about money (what is held, captured, released, written off) runs on SQLite and PostgreSQL alike.
ON_BOTH_BACKENDS = pytest.mark.parametrize("ledger_location", ["sqlite", "postgres"], indirect=True)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 10)).save(buffer, "PNG")
    return buffer.getvalue()


class FakeImageService:
    """Answers every request with `num_images` images; `fail` is raised instead, `unsafe` indices are withheld."""

    def __init__(self) -> None:
        self.requests: list[IdeogramRequest] = []
        self.fail: BaseException | None = None
        self.unsafe: set[int] = set()
        self.at_api = asyncio.Event()
        self.hold_reply = False
        self.release_reply = asyncio.Event()

    async def execute(
        self, request: IdeogramRequest, *, on_queue: Any = None, on_sent: Any = None
    ) -> GenerationResponse:
        if on_sent is not None:  # no line to wait in: the request leaves at once
            await on_sent()
        self.requests.append(request)
        self.at_api.set()
        if self.hold_reply:
            await self.release_reply.wait()
        if self.fail is not None:
            raise self.fail
        items = [
            {
                "url": None if index in self.unsafe else f"https://ideogram.ai/{index}.png",
                "prompt": "a cat, rewritten",
                "resolution": "1024x1024",
                "is_image_safe": index not in self.unsafe,
                "seed": 100 + index,
            }
            for index in range(request.num_images)
        ]
        return GenerationResponse.model_validate({"created": datetime.now(UTC), "data": items})

    async def download(self, response: GenerationResponse) -> list[DownloadedImage | WithheldImage]:
        data = png()
        return [
            WithheldImage(index, item)
            if item.withheld
            else DownloadedImage(index, data, "image/png", f"image_{index + 1}.png", item, "00" * 32)
            for index, item in enumerate(response.data)
        ]


@dataclass
class FakeOutput:
    """Records the verbs the runner used, in order; `deliver_error` makes posting the result fail."""

    calls: list[str] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    errors: list[tuple[str, BaseException, int]] = field(default_factory=list)
    deliver_error: Exception | None = None

    @property
    def upload_limit(self) -> int:
        return 10_000_000

    async def started(self) -> None:
        self.calls.append("started")

    async def progress(self, *, position: int | None, estimate: int, settings: str = "") -> None:
        pass  # shown without making the job wait: its timing is the notice's own test

    async def deliver(self, result: Result) -> Posted:
        self.calls.append("deliver")
        if self.deliver_error is not None:
            raise self.deliver_error
        self.results.append(result)
        return Posted(999, [PostedAttachment(500 + i, f"https://cdn/{i}.png") for i in range(len(result.files))])

    async def refused(self, error: BaseException, *, context: str) -> None:
        self.calls.append("refused")
        self.errors.append(("refused", error, 0))

    async def failed(self, error: BaseException, *, charged: int, context: str) -> None:
        self.calls.append("failed")
        self.errors.append(("failed", error, charged))


def runner(ledger: Ledger, service: FakeImageService, **options: Any) -> JobRunner:
    settings: dict[str, Any] = {"max_jobs_per_member": 2, "max_upload_bytes": 10_000_000, **options}
    return JobRunner(client=service, ledger=ledger, prices=PriceTable(), **settings)  # type: ignore[arg-type]


def spec(guild_id: int = GUILD, **options: object) -> JobSpec:
    chosen: dict[str, object] = {"prompt": "a cat", "rendering_speed": "TURBO", **options}
    return JobSpec(guild_id, CHANNEL, MEMBER, "imagine", "generate", chosen)


async def kinds(ledger: Ledger) -> list[tuple[str, int]]:
    return [(e.kind, e.amount) for e in reversed(await ledger.history(GUILD, MEMBER, limit=100))]


@ON_BOTH_BACKENDS
async def test_a_job_that_works_is_delivered_charged_and_recorded(ledger: Ledger, service: FakeImageService) -> None:
    service.unsafe = {1}
    output = FakeOutput()
    assert await runner(ledger, service).submit(spec(num_images=2), output) == "delivered"
    assert output.calls == ["started", "deliver"]
    [result] = output.results
    assert (len(result.files), result.withheld, result.cost) == (1, 1, 2 * TURBO)
    assert await kinds(ledger) == [("hold", 2 * TURBO), ("capture", 2 * TURBO)]
    job = await ledger.find_result(999)
    assert job is not None
    assert (job.status, job.cost) == ("succeeded", 2 * TURBO)
    assert [(image.is_safe, image.attachment_id) for image in job.images] == [(True, 500), (False, None)]


@ON_BOTH_BACKENDS
@pytest.mark.parametrize(
    ("job", "options", "refusal"),
    [
        pytest.param(spec(resolution="1280x800", aspect_ratio="16x9"), {}, InvalidRequest, id="options"),
        pytest.param(spec(num_images=8, rendering_speed="QUALITY", model="V_3"), {}, BudgetExceeded, id="budget"),
        pytest.param(spec(), {"allowed_guild_ids": [GUILD + 1]}, NotServedHere, id="server-not-served"),
    ],
)
async def test_a_refusal_starts_nothing_holds_nothing_and_sends_nothing(
    ledger: Ledger, service: FakeImageService, job: JobSpec, options: dict[str, Any], refusal: type[Exception]
) -> None:
    await ledger.set_allowance(guild_id=GUILD, user_id=MEMBER, amount=500_000, actor_id=1)
    before = await kinds(ledger)
    output = FakeOutput()
    assert await runner(ledger, service, **options).submit(job, output) == "refused"
    assert output.calls == ["refused"]
    [(_, error, charged)] = output.errors
    assert isinstance(error, refusal)
    assert charged == 0
    assert service.requests == []
    assert await kinds(ledger) == before


@ON_BOTH_BACKENDS
async def test_an_api_failure_is_told_once_with_nothing_charged(ledger: Ledger, service: FakeImageService) -> None:
    service.fail = SafetyRejected()
    output = FakeOutput()
    assert await runner(ledger, service).submit(spec(), output) == "failed"
    assert output.calls == ["started", "failed"]
    [(_, error, charged)] = output.errors
    assert (error, charged) == (service.fail, 0)
    assert await kinds(ledger) == [("hold", TURBO), ("release", TURBO)]
    assert (await ledger.balance(GUILD, MEMBER)).spent == 0


@ON_BOTH_BACKENDS
async def test_a_timeout_at_the_api_is_uncertain_and_not_charged(ledger: Ledger, service: FakeImageService) -> None:
    service.fail = RequestTimedOut()
    output = FakeOutput()
    assert await runner(ledger, service).submit(spec(num_images=2), output) == "failed"
    assert [(verb, charged) for verb, _, charged in output.errors] == [("failed", 0)]
    assert await kinds(ledger) == [("hold", 2 * TURBO), ("uncertain", 2 * TURBO)]
    assert (await ledger.balance(GUILD, MEMBER)).spent == 0


@ON_BOTH_BACKENDS
async def test_a_result_discord_refuses_is_written_off_and_told_once(ledger: Ledger, service: FakeImageService) -> None:
    output = FakeOutput(deliver_error=RuntimeError("413 from Discord"))
    assert await runner(ledger, service).submit(spec(), output) == "failed"
    assert output.calls == ["started", "deliver", "failed"]
    [(_, error, charged)] = output.errors
    # Not the member's doing: they are told an incident id (the exception itself went to the log)...
    assert isinstance(error, Incident)
    assert (error.__cause__, charged) == (output.deliver_error, 0)
    # ... and the job keeps that incident, not the exception's own words.
    [(job, _images)] = await ledger.member_jobs(GUILD, MEMBER, limit=1)
    assert job.error == f"Incident: Something went wrong on our side (incident `{error.incident}`)."
    assert ("write-off", TURBO) in await kinds(ledger)
    assert (await ledger.balance(GUILD, MEMBER)).spent == 0


@ON_BOTH_BACKENDS
async def test_a_failed_charge_after_delivery_writes_off_and_is_never_told(
    ledger: Ledger, service: FakeImageService, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(ledger, "settle", broken)
    output = FakeOutput()
    assert await runner(ledger, service).submit(spec(), output) == "delivered"
    assert output.calls == ["started", "deliver"]
    assert ("write-off", TURBO) in await kinds(ledger)  # the operator paid; the member keeps the result


async def test_bookkeeping_after_delivery_is_logged_never_told(
    ledger: Ledger, service: FakeImageService, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(ledger, "finish_job", broken)
    output = FakeOutput()
    with caplog.at_level(logging.ERROR, logger="bot.jobs.runner"):
        assert await runner(ledger, service).submit(spec(), output) == "delivered"
    assert output.calls == ["started", "deliver"]  # no failure told: the member has their result
    [record] = [r for r in caplog.records if r.name == "bot.jobs.runner"]
    assert "job 1:" in record.getMessage()
    assert record.exc_info is not None


@ON_BOTH_BACKENDS
async def test_a_job_cancelled_at_the_api_is_told_the_bot_restarted(ledger: Ledger, service: FakeImageService) -> None:
    service.hold_reply = True
    output = FakeOutput()
    task = asyncio.create_task(runner(ledger, service).submit(spec(), output))
    await service.at_api.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert output.calls == ["started", "failed"]
    [(_, error, charged)] = output.errors
    assert isinstance(error, Stopped)
    assert charged == 0
    assert await kinds(ledger) == [("hold", TURBO), ("uncertain", TURBO)]
