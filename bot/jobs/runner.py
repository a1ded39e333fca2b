"""The one generation pipeline every command uses.

validate (cheap, private) -> start (defer) -> fetch + check attachments -> hold -> call -> capture
-> download -> re-upload -> record. Discord stays out of this module: the cog hands in a `JobOutput` that
knows how to show progress and post results, so slash commands and reaction remixes share every step.

Money: the hold is the worst case (every image asked for); the capture is what the provider bills (every
image it returned, withheld ones included), taken as soon as the API answers, so the ledger agrees with the
bill even when posting to Discord fails afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, replace

from bot.errors import UserFacingError, user_message
from bot.ideogram import (
    DescribeResponse,
    DownloadedImage,
    GenerationResponse,
    IdeogramClient,
    IdeogramRequest,
    build_request,
    check_options,
)
from bot.images import (
    PreparedImage,
    check_announced,
    fit_for_upload,
    prepare_input,
    prepare_mask,
    square_for_reframe,
)
from bot.jobs.derive import recorded_parameters, remember_descriptions
from bot.jobs.model import JobOutput, JobSpec, OutputFile, Posted, Result
from bot.jobs.notice import ProgressNotice
from bot.ledger import BudgetExceeded, Ledger, ResultImage
from bot.money import format_amount
from bot.pricing import PriceTable

log = logging.getLogger(__name__)


@dataclass
class _Prepared:
    request: IdeogramRequest
    notes: list[str]


class JobRunner:
    def __init__(
        self,
        *,
        client: IdeogramClient,
        ledger: Ledger,
        prices: PriceTable,
        max_jobs_per_member: int,
        max_upload_bytes: int,
    ) -> None:
        self._client = client
        self._ledger = ledger
        self._prices = prices
        self._max_jobs = max_jobs_per_member
        self._max_upload = max_upload_bytes
        self._active: Counter[tuple[int, int]] = Counter()
        self._tasks: set[asyncio.Task[object]] = set()
        self._closing = False

    async def submit(self, spec: JobSpec, output: JobOutput) -> None:
        """Run one job to the end. Raises UserFacingError, before anything is shown or held, for bad input."""
        member = (spec.guild_id, spec.user_id)
        self._admit(member)
        self._active[member] += 1
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._precheck(spec)
            await output.started()
            await self._work(spec, output)
        finally:
            self._active[member] -= 1
            if not self._active[member]:
                del self._active[member]
            if task is not None:
                self._tasks.discard(task)

    async def shutdown(self, grace_s: float) -> None:
        """Refuse new jobs; let running ones finish for `grace_s`, then cancel them (their holds are released)."""
        self._closing = True
        running = [task for task in self._tasks if task is not asyncio.current_task()]
        if not running:
            return
        log.info("waiting up to %.0fs for %d job(s) in flight", grace_s, len(running))
        _, pending = await asyncio.wait(running, timeout=grace_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    def _admit(self, member: tuple[int, int]) -> None:
        if self._closing:
            raise UserFacingError("The bot is restarting. Try again in a minute.")
        running = self._active[member]
        if running >= self._max_jobs:
            raise UserFacingError(
                f"You already have {running} job{'' if running == 1 else 's'} running "
                f"(the limit is {self._max_jobs}). Wait for one to finish, then try again."
            )

    async def _precheck(self, spec: JobSpec) -> None:
        """Cheap checks on what Discord announced: no download, no money, no API call."""
        for file in spec.files.values():
            check_announced(
                option=file.option, content_type=file.content_type, size=file.size, max_bytes=self._max_upload
            )
        needed = self._prices.worst_case(check_options(spec.operation, spec.options, images=spec.files.keys()))
        balance = await self._ledger.balance(spec.guild_id, spec.user_id)
        if needed > balance.remaining:
            raise BudgetExceeded(
                amount=needed,
                remaining=balance.remaining,
                allowance=balance.allowance,
                period=balance.period,
                next_reset=balance.next_reset,
                scope="member",
            )

    async def _prepare(self, spec: JobSpec) -> _Prepared:
        notes: list[str] = []
        data = dict(zip(spec.files, await asyncio.gather(*(f.read() for f in spec.files.values())), strict=True))
        images: dict[str, bytes] = {}
        main: PreparedImage | None = None
        if "image" in data:
            main = await prepare_input(data["image"], option="image", max_bytes=self._max_upload)
            if spec.operation == "reframe":
                main, _ = await square_for_reframe(main, max_bytes=self._max_upload)
            notes.extend(f"Your image: {note}." for note in main.adjustments)
            images["image"] = main.data
        if "mask" in data and main is not None:
            images["mask"] = await prepare_mask(
                data["mask"], size=(main.width, main.height), invert=spec.invert_mask, max_bytes=self._max_upload
            )
        if "style_reference" in data:
            reference = await prepare_input(
                data["style_reference"], option="style_reference", max_bytes=self._max_upload
            )
            notes.extend(f"Your style reference: {note}." for note in reference.adjustments)
            images["style_reference"] = reference.data
        request = build_request(spec.operation, options=spec.options, images=images, max_upload_bytes=self._max_upload)
        return _Prepared(request, notes)

    async def _work(self, spec: JobSpec, output: JobOutput) -> None:
        started = time.perf_counter()
        job_id: int | None = None
        cost: int | None = None
        try:
            prepared = await self._prepare(spec)
            request = prepared.request
            job_id = await self._ledger.create_job(
                guild_id=spec.guild_id,
                channel_id=spec.channel_id,
                user_id=spec.user_id,
                command=spec.command,
                operation=spec.operation,
                parameters=recorded_parameters(spec),
                prompt=str(spec.options.get("prompt") or ""),
            )
            estimate = self._prices.worst_case(request)
            async with self._ledger.holding(
                guild_id=spec.guild_id,
                user_id=spec.user_id,
                amount=estimate,
                job_id=job_id,
                reason=f"/{spec.command}",
            ) as hold:
                notice = ProgressNotice(output, estimate=estimate)
                await notice.update()
                try:
                    response = await self._client.execute(request, on_queue=notice.update)
                finally:
                    await notice.settle()
                returned = 1 if isinstance(response, DescribeResponse) else len(response.data)
                billed = self._prices.billed(request, returned)
                if billed > estimate:  # more images than asked for: never charge a member past their hold
                    log.warning("job %s: the API returned %d images for %d asked", job_id, returned, request.num_images)
                    billed = estimate
                await self._ledger.capture(hold, billed)
                cost = billed
            result, records = await self._render(job_id, spec, output, prepared, response, cost)
            if result.descriptions:  # before they are shown: an Imagine button can be clicked at once
                await remember_descriptions(self._ledger, job_id, result.descriptions)
            posted = await output.deliver(result)
            await self._ledger.finish_job(
                job_id,
                status="succeeded",
                cost=cost,
                message_id=posted.message_id,
                seed=result.seeds[0] if result.seeds else None,
                images=_attach(records, posted),
            )
            log.info(
                "job %s /%s user=%s guild=%s cost=%s in %.1fs",
                job_id,
                spec.command,
                spec.user_id,
                spec.guild_id,
                format_amount(cost),
                time.perf_counter() - started,
            )
        except (Exception, asyncio.CancelledError) as error:
            stopped = isinstance(error, asyncio.CancelledError)
            shown = UserFacingError("The bot restarted before your job finished.") if stopped else error
            message = user_message(
                shown, charged=format_amount(cost) if cost else None, context=f"job {job_id} /{spec.command}"
            )
            log.info("job %s /%s user=%s failed: %s", job_id, spec.command, spec.user_id, type(error).__name__)
            await self._record_failure(
                job_id, "cancelled at shutdown" if stopped else f"{type(error).__name__}: {error}"
            )
            await _quietly(output.failed(message))
            if stopped:
                raise

    async def _render(
        self,
        job_id: int,
        spec: JobSpec,
        output: JobOutput,
        prepared: _Prepared,
        response: GenerationResponse | DescribeResponse,
        cost: int,
    ) -> tuple[Result, list[ResultImage]]:
        request = prepared.request
        balance = await self._ledger.balance(spec.guild_id, spec.user_id)
        result = Result(
            job_id=job_id,
            spec=spec,
            model=request.model,
            rendering_speed=request.rendering_speed,
            prompt=None,
            seeds=(),
            files=(),
            withheld=0,
            cost=cost,
            balance=balance,
            notes=prepared.notes,
        )
        if isinstance(response, DescribeResponse):
            return replace(result, descriptions=[d.text for d in response.descriptions if d.text]), []
        downloads = await self._client.download(response)
        images = [item for item in downloads if isinstance(item, DownloadedImage)]
        fitted = await asyncio.gather(
            *(fit_for_upload(item.data, limit_bytes=output.upload_limit, filename=item.filename) for item in images)
        )
        reencoded = sum(1 for f in fitted if f.reencoded)
        notes = [*prepared.notes]
        if reencoded:
            notes.append(f"{reencoded} image(s) were re-encoded to fit Discord's upload limit.")
        records = [
            ResultImage(
                index=item.index,
                attachment_id=None,
                url=None,
                sha256=item.sha256 if isinstance(item, DownloadedImage) else None,
                is_safe=isinstance(item, DownloadedImage),
                seed=item.item.seed,
                prompt=item.item.prompt,
            )
            for item in downloads
        ]
        result = replace(
            result,
            prompt=response.data[0].prompt if response.data else None,
            seeds=[item.seed for item in response.data],
            files=[OutputFile(f.filename, f.data) for f in fitted],
            withheld=len(downloads) - len(images),
            notes=notes,
        )
        return result, records

    async def _record_failure(self, job_id: int | None, error: str) -> None:
        if job_id is not None:
            await _quietly(self._ledger.fail_job(job_id, error=error[:500]))


def _attach(records: list[ResultImage], posted: Posted) -> list[ResultImage]:
    """Pair the posted attachments, in order, with the safe images they show."""
    uploaded = iter(posted.attachments)
    paired: list[ResultImage] = []
    for record in records:
        attachment = next(uploaded, None) if record.is_safe else None
        paired.append(
            record if attachment is None else replace(record, attachment_id=attachment.id, url=attachment.url)
        )
    return paired


async def _quietly(awaitable: Awaitable[object]) -> None:
    """Best effort for reporting paths: a failure to report must not hide the original error."""
    try:
        await awaitable
    except Exception:
        log.warning("could not report a job's outcome", exc_info=True)
