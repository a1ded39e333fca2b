"""One job in flight (`Run`: how far it got, which the failure paths read) and its two steps at the image API
(`ApiSteps`): the call, telling the ledger when the request leaves (once it has its room under the API's limit,
never while it waits in the bot's own line) and what the provider billed the moment it answers; then what the
member will see and what it costs them."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from bot.ideogram import DescribeResponse, GenerationResponse, IdeogramClient, IdeogramError, IdeogramRequest
from bot.jobs import steps
from bot.jobs.defaults import describe_settings
from bot.jobs.derive import remember_descriptions
from bot.jobs.model import JobOutput, JobSpec, Result
from bot.jobs.notice import ProgressNotice
from bot.ledger import Hold, Ledger, ResultImage
from bot.pricing import PriceTable

log = logging.getLogger(__name__)


@dataclass
class Run:
    """One job in flight: what the failure paths need to know about how far it got."""

    spec: JobSpec
    output: JobOutput
    started: float = field(default_factory=time.perf_counter)
    job_id: int | None = None
    billed: int = 0  # what the provider billed, once the API answered
    answering: asyncio.Future[None] | None = None  # telling the ledger what was billed (`ApiSteps.call`)
    charged: int = 0  # what the member pays: the images they receive plus those withheld as unsafe
    delivered: bool = False

    @property
    def context(self) -> str:
        return f"job {self.job_id} /{self.spec.command} by {self.spec.user_id}"


class ApiSteps:
    """The call and the rendering of its answer, for `JobRunner`."""

    def __init__(self, *, client: IdeogramClient, ledger: Ledger, prices: PriceTable) -> None:
        self._client = client
        self._ledger = ledger
        self._prices = prices

    async def call(
        self, run: Run, hold: Hold, request: IdeogramRequest, estimate: int
    ) -> GenerationResponse | DescribeResponse:
        """Call the API, telling the ledger when the request leaves and, the moment it answers, what it billed."""
        notice = ProgressNotice(run.output, estimate=estimate, settings=describe_settings(run.spec.defaults_used))
        sent = False  # the request left (or may have left) for the API: not while it waits in the bot's own queue

        async def on_sent() -> None:  # it has its room under the API's limit and leaves next
            nonlocal sent
            await self._ledger.request_sent(hold)
            sent = True

        await notice.update()
        try:
            response = await self._client.execute(request, on_queue=notice.update, on_sent=on_sent)
        except IdeogramError as error:
            if not error.may_have_been_billed:  # refused, or never reached: nothing was made, nothing billed
                await self._ledger.release(hold, f"released: {type(error).__name__}")
            raise
        except asyncio.CancelledError:
            if not sent:  # cancelled in the queue, or while recording that it leaves: it never left
                # not translated: a ledger reason, read by the operator in the CSV
                await self._ledger.release(hold, "released: cancelled before the request left for the image service")
            raise
        finally:
            await notice.settle()
        returned = 1 if isinstance(response, DescribeResponse) else len(response.data)
        billed = self._prices.billed(request, returned)
        if billed > estimate:  # more images than asked for: the hold is the most anyone is charged
            log.warning("%s: the API returned %d images for %d asked", run.context, returned, request.num_images)
            billed = estimate
        # Sent now and awaited in `render`, after the download it overlaps: queued first, it lands before any
        # settlement a failure on the way could ask for.
        run.answering = asyncio.ensure_future(self._ledger.answered(hold, billed))
        run.billed = billed
        return response

    async def render(
        self, run: Run, hold: Hold, prepared: steps.Prepared, response: GenerationResponse | DescribeResponse
    ) -> tuple[Result, list[ResultImage]]:
        """What the member will see, and what it costs them: the images they receive plus those withheld as unsafe
        (all of them, since a download is all or nothing), shown with the balance as it will be once settled."""
        spec, request = run.spec, prepared.request
        records: list[ResultImage] = []
        # The ledger's two requests run while the images download (this job's hold is in the balance either way).
        reading = asyncio.ensure_future(self._ledger.balance(spec.guild_id, spec.user_id, role_ids=spec.role_ids))
        try:
            if isinstance(response, DescribeResponse):
                run.charged = run.billed
            else:
                downloads = await self._client.download(response)
                run.charged = min(run.billed, self._prices.billed(request, len(downloads)))
            if run.answering is not None:
                await run.answering  # a failure to record the bill fails the job, as it did before the download
            balance = await reading
        finally:
            if not reading.done():  # the job failed or was cancelled: the read is not needed
                reading.cancel()
            # `answered` is never cancelled: it lands before this job's settlement is asked for.
            await _finished(reading, run.answering)
        assert run.job_id is not None
        result = steps.base_result(
            run.job_id,
            spec,
            prepared,
            cost=run.charged,
            balance=steps.settled(balance, hold=hold.amount, charged=run.charged),
        )
        if isinstance(response, DescribeResponse):
            result = steps.described(result, response)
            # Kept before they are shown: an Imagine button can be clicked at once.
            await remember_descriptions(self._ledger, run.job_id, result.descriptions)
            return result, records
        return await steps.generated(result, response, downloads, upload_limit=run.output.upload_limit)


async def _finished(*futures: asyncio.Future[Any] | None) -> None:
    """Wait for those still running; their outcomes are dropped (each one's caller already took what it needed)."""
    running = [future for future in futures if future is not None and not future.done()]
    if running:
        await asyncio.gather(*running, return_exceptions=True)
    for future in futures:
        if future is not None and not future.cancelled():
            future.exception()  # retrieved, so a failure behind the one being raised is not reported as lost
