"""The one generation pipeline every command uses.

admit -> validate (cheap, nothing shown) -> start (defer) -> fetch + check attachments -> record the job ->
hold -> call -> download -> re-upload -> settle -> record the result. Discord stays out of this module: the cog
hands in a `JobOutput` that knows how to show progress, post results and word failures, so every entry point
shares every step.

Each stage fails in one way only. Before `started()`: `refused` (nothing shown, held or sent). After it and
before the result is posted: `failed`, and the member is charged nothing. Once the result is posted, nothing that
goes wrong turns into a failure message: the member has what they paid for, and bookkeeping problems are logged
with the job id.

Money (DESIGN "Budgets"): the hold is the worst case (every image asked for). The ledger is told when the
request leaves (`request_sent`, once it has its room under the API's limit: `bot.jobs.flight`) and what the
provider billed the moment it answers (`answered`). After the post, the member is charged for the images they
received plus those withheld as unsafe, and whatever else was billed is written off (`settle`). If the job fails
on the way, `holding` settles the hold by how far it got: released before the call, while it waited in line or
when the API refused it, `uncertain` when the outcome is unknown (a timeout, a cancellation at the API), written
off once the API had answered (a failed download, an untrusted host, Discord refusing the upload, a shutdown).
So the ledger adds up to the provider's bill, and the member pays only for what they got. Once the result is
posted, the charge and the job's record are each tried twice; a record that still fails marks the job failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Final, Literal

from bot.errors import UserFacingError, user_facing
from bot.i18n import _
from bot.ideogram import IdeogramClient, check_options
from bot.images import check_announced
from bot.jobs import steps
from bot.jobs.admission import Admission
from bot.jobs.defaults import with_member_defaults
from bot.jobs.derive import recorded_parameters
from bot.jobs.flight import ApiSteps, Run
from bot.jobs.model import JobOutput, JobSpec, Posted, Result
from bot.jobs.policy import PolicyGate
from bot.ledger import Balance, BudgetExceeded, HoldSettled, Ledger, ResultImage
from bot.money import format_amount
from bot.pricing import PriceTable

log = logging.getLogger(__name__)

JobEnd = Literal["refused", "failed", "delivered"]

# not translated: a job record's reason, like the ledger's (the member has the result it is about)
RECORD_FAILED: Final = "the result was posted and charged, but recording it failed"


class Stopped(UserFacingError):
    """The bot shut down while the job was running."""

    def __init__(self) -> None:
        super().__init__(_("The bot restarted before your job finished."))


class JobRunner:
    def __init__(
        self,
        *,
        client: IdeogramClient,
        ledger: Ledger,
        prices: PriceTable,
        max_jobs_per_member: int,
        max_upload_bytes: int,
        allowed_guild_ids: Collection[int] = (),
    ) -> None:
        self._ledger = ledger
        self._prices = prices
        self._max_upload = max_upload_bytes
        self._admission = Admission(max_jobs_per_member=max_jobs_per_member, allowed_guild_ids=allowed_guild_ids)
        self._policy = PolicyGate(ledger, clock=ledger.now)
        self._api = ApiSteps(client=client, ledger=ledger, prices=prices)

    async def submit(self, spec: JobSpec, output: JobOutput) -> JobEnd:
        """Run one job to the end and report its outcome through `output`; returns which verb it ended with.

        Raises nothing but cancellation: a refusal is `output.refused`, a failure after the start `output.failed`.
        """
        context = f"/{spec.command} by {spec.user_id}"
        try:
            self._admission.check(spec.guild_id, spec.user_id)
        except UserFacingError as error:
            await _quietly(output.refused(error, context=context))
            return "refused"
        with self._admission.running(spec.guild_id, spec.user_id):
            take_back_cooldown: Callable[[], None] | None = None
            # The balance is read beside the member's defaults (the two reads share one trip to the ledger); it is
            # only compared once the policy allowed the job.
            balance = asyncio.ensure_future(self._ledger.balance(spec.guild_id, spec.user_id, role_ids=spec.role_ids))
            try:
                spec = with_member_defaults(spec, await self._ledger.member_settings.get(spec.guild_id, spec.user_id))
                take_back_cooldown = await self._policy.check(spec)
                await self._precheck(spec, balance)
            except BaseException as error:  # refused (or cancelled) before it started: it starts no cooldown
                if take_back_cooldown is not None:
                    take_back_cooldown()
                await _settled(balance)
                if not isinstance(error, Exception):
                    raise
                await _quietly(output.refused(error, context=context))
                return "refused"
            try:
                await output.started()
            except Exception:
                log.warning("%s: could not show that the job started, so it did not run", context, exc_info=True)
                return "failed"
            return await self._work(Run(spec, output))

    async def recorded(self, message_id: int) -> None:
        """Wait until the job whose result is the message `message_id` has been charged and recorded: the member
        sees a result a moment before the bookkeeping behind it is done."""
        await self._admission.recorded(message_id)

    async def shutdown(self, grace_s: float) -> None:
        """Refuse new jobs; let running ones finish for `grace_s`, then cancel them (their holds are settled)."""
        await self._admission.shutdown(grace_s)

    async def _precheck(self, spec: JobSpec, reading: Awaitable[Balance]) -> None:
        """Cheap checks on what Discord announced: no download, no money, no API call. `reading`: the member's
        balance, being read."""
        for file in spec.files.values():
            check_announced(
                option=file.option, content_type=file.content_type, size=file.size, max_bytes=self._max_upload
            )
        needed = self._prices.worst_case(check_options(spec.operation, spec.options, images=spec.files.keys()))
        balance = await reading
        if needed > balance.remaining:
            raise BudgetExceeded(
                amount=needed,
                remaining=balance.remaining,
                allowance=balance.allowance,
                period=balance.period,
                next_reset=balance.next_reset,
                scope="member",
            )

    async def _work(self, run: Run) -> JobEnd:
        try:
            return await self._stages(run)
        except asyncio.CancelledError:
            if not run.delivered:
                await self._fail(run, Stopped(), reason="cancelled at shutdown")
            raise

    async def _stages(self, run: Run) -> JobEnd:
        spec = run.spec
        try:  # no money yet: the member's attachments and the job's record
            prepared = await steps.prepare(spec, max_upload=self._max_upload)
            run.job_id = await self._ledger.create_job(
                guild_id=spec.guild_id,
                channel_id=spec.channel_id,
                user_id=spec.user_id,
                command=spec.command,
                operation=spec.operation,
                parameters=recorded_parameters(spec),
                prompt=str(spec.options.get("prompt") or ""),
                source_job_id=spec.source_job_id,
            )
        except Exception as error:
            return await self._fail(run, error)
        estimate = self._prices.worst_case(prepared.request)
        try:
            # From the hold to the post, one block: when it ends in an exception (cancellation included) the ledger
            # settles the hold by how far the request got: released before the call (or when the API refused it),
            # uncertain while it was at the API, written off once the API had answered. The member pays nothing.
            async with self._ledger.holding(
                guild_id=spec.guild_id,
                user_id=spec.user_id,
                amount=estimate,
                job_id=run.job_id,
                reason=f"/{spec.command}",
                role_ids=spec.role_ids,
            ) as hold:
                response = await self._api.call(run, hold, prepared.request, estimate)
                result, records = await self._api.render(run, hold, prepared, response)
                posted = await run.output.deliver(result)
                run.delivered = True
                # The member pays for what they received; what else was billed is the operator's. Should this
                # fail twice, `holding` writes off everything billed: the result stays, and the member isn't charged.
                await _twice(
                    lambda: self._ledger.settle(
                        hold, charged=run.charged, written_off=run.billed - run.charged, reason=f"job {run.job_id}"
                    ),
                    what="charge",
                    run=run,
                    landed=HoldSettled,  # the first try was settled after all
                )
        except Exception as error:
            if not run.delivered:
                return await self._fail(run, error)
            run.charged = 0  # written off: the job shows what the ledger charged
            log.exception("job %s: the result was posted, but charging for it failed", run.job_id)
        await self._record(run, result, records, posted)
        self._admission.mark_recorded(posted.message_id)
        return "delivered"

    async def _record(self, run: Run, result: Result, records: list[ResultImage], posted: Posted) -> None:
        """After delivery: the member has their result, so a failure here is only logged, never told. The record is
        tried twice; then the job is marked failed with what it cost, rather than left running until the next start."""
        job_id = run.job_id
        assert job_id is not None
        try:
            await _twice(
                lambda: self._ledger.finish_job(
                    job_id,
                    status="succeeded",
                    cost=run.charged,
                    message_id=posted.message_id,
                    seed=result.seeds[0] if result.seeds else None,
                    images=steps.attach(records, posted),
                ),
                what="record",
                run=run,
            )
        except Exception:
            log.exception("job %s: the result was posted, but recording it failed; marked failed", job_id)
            await _quietly(self._ledger.fail_job(job_id, error=RECORD_FAILED, cost=run.charged))
        log.info(
            "job %s /%s user=%s guild=%s cost=%s in %.1fs",
            job_id,
            run.spec.command,
            run.spec.user_id,
            run.spec.guild_id,
            format_amount(run.charged),
            time.perf_counter() - run.started,
        )

    async def _fail(self, run: Run, error: BaseException, *, reason: str | None = None) -> JobEnd:
        """Before the result was posted: the member is charged nothing (the hold was settled on the way out)."""
        log.info("%s failed: %s", run.context, type(error).__name__)
        # An unexpected error is logged here under an incident id, which the member is told and the job stores
        # (shown by /job in the reader's language), never the exception's own words.
        error = user_facing(error, context=run.context)
        if run.job_id is not None:
            error_text = reason or f"{type(error).__name__}: {error}"
            await _quietly(self._ledger.fail_job(run.job_id, error=error_text[:500]))
        await _quietly(run.output.failed(error, charged=0, context=run.context))
        return "failed"


async def _twice(
    attempt: Callable[[], Awaitable[object]],
    *,
    what: str,
    run: Run,
    landed: type[Exception] | None = None,
) -> None:
    """Bookkeeping after delivery, tried once more when it fails; `landed`: the error a retry raises when the
    first try took effect after all (it counts as done)."""
    try:
        await attempt()
        return
    except Exception:
        log.warning(
            "job %s: the result was posted, but its %s failed; trying once more", run.job_id, what, exc_info=True
        )
    try:
        await attempt()
    except Exception as error:
        if landed is None or not isinstance(error, landed):
            raise


async def _settled(reading: asyncio.Future[Balance]) -> None:
    """A read the job no longer needs (it was refused first): cancelled if still running, its outcome dropped."""
    if not reading.done():
        reading.cancel()
    await asyncio.gather(reading, return_exceptions=True)


async def _quietly(awaitable: Awaitable[object]) -> None:
    """Best effort for reporting paths: a failure to report must not hide the original error."""
    try:
        await awaitable
    except Exception:
        log.warning("could not report a job's outcome", exc_info=True)
