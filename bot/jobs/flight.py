"""One job in flight (`Run`: how far it got, which the failure paths read) and its two steps at the image API
(`ApiSteps`): the call, telling the ledger when the request leaves (once it has its room under the API's limit,
never while it waits in the bot's own line) and what the provider billed the moment it answers; then what the
member will see and what it costs them."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

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
        await self._ledger.answered(hold, billed)
        run.billed = billed
        return response

    async def render(
        self, run: Run, hold: Hold, prepared: steps.Prepared, response: GenerationResponse | DescribeResponse
    ) -> tuple[Result, list[ResultImage]]:
        """What the member will see, and what it costs them: the images they receive plus those withheld as unsafe
        (all of them, since a download is all or nothing), shown with the balance as it will be once settled."""
        spec, request = run.spec, prepared.request
        records: list[ResultImage] = []
        # Read while the images download (this job's hold is in it either way): one wait fewer per job.
        reading = asyncio.ensure_future(self._ledger.balance(spec.guild_id, spec.user_id, role_ids=spec.role_ids))
        try:
            if isinstance(response, DescribeResponse):
                run.charged = run.billed
            else:
                downloads = await self._client.download(response)
                run.charged = min(run.billed, self._prices.billed(request, len(downloads)))
            balance = await reading
        finally:
            if not reading.done():  # the download failed or was cancelled: the read is not needed
                reading.cancel()
                await asyncio.gather(reading, return_exceptions=True)
            elif not reading.cancelled():
                reading.exception()  # retrieved: a failed read behind a failed download is not reported as lost
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
