"""The async client: one aiohttp session, the images-in-flight limiter, retries, error mapping, downloads.

Retry policy (the only place the bot retries API calls): 429, HTTP 5xx and connection errors, at most
`max_retries` times, with exponential backoff and full jitter, honouring `Retry-After`; a `Retry-After` longer than
`retry_after_cap_s` is not retried at all (waiting less would be refused again, waiting longer holds the member).
Never retried: 400/401/402/403/404/413/422 (retrying cannot help, and a 402/403 balance error would repeat), an
error object in a 2xx reply unless it is a rate limit (the request ran; it may have been billed), and timeouts: a
generation that timed out on our side may still finish and be billed upstream, so a silent retry could bill the
member twice. The multipart body is rebuilt for every attempt.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import TYPE_CHECKING, Final, Self, overload

import aiohttp
from pydantic import ValidationError

from bot.i18n import _
from bot.ideogram.download import (
    DEFAULT_IMAGE_HOSTS,
    DEFAULT_MAX_DOWNLOAD_BYTES,
    DownloadedImage,
    Downloader,
    ImageHostPolicy,
    WithheldImage,
)
from bot.ideogram.errors import (
    AuthenticationFailed,
    BadRequest,
    ConnectionFailed,
    IdeogramError,
    InvalidRequest,
    RateLimited,
    RequestTimedOut,
    SafetyRejected,
    ServerFailed,
    error_from_reply,
    scrub,
)
from bot.ideogram.files import DEFAULT_MAX_UPLOAD_BYTES
from bot.ideogram.limiter import ImageLimiter, LimiterState, QueueCallback
from bot.ideogram.requests import DescribeRequest, GenerationRequest, IdeogramRequest
from bot.ideogram.responses import DescribeResponse, GenerationResponse
from bot.ideogram.wire import JsonBody
from bot.images.formats import megabytes

if TYPE_CHECKING:
    from bot.slots import SlotProvider

log = logging.getLogger(__name__)

# not translated: a log line for the operator
KEY_REJECTED: Final = (
    "AiHubMix rejected AIHUBMIX_API_KEY (HTTP %s): every job will fail until it is fixed. Copy the key again from "
    "the AiHubMix console (API keys), check that it is enabled and may use Ideogram, set AIHUBMIX_API_KEY and "
    "restart the bot"
)

Sleep = Callable[[float], Awaitable[None]]
SentCallback = Callable[[], Awaitable[None]]


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _is_retryable(error: IdeogramError) -> bool:
    if isinstance(error, RateLimited | ConnectionFailed):
        return True
    return isinstance(error, ServerFailed) and error.status is not None and error.status >= 500


class IdeogramClient:
    """The Ideogram API through the AiHubMix gateway. Use `async with IdeogramClient(...) as client:`."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout_s: float = 120,
        max_retries: int = 2,
        backoff_base_s: float = 0.5,
        retry_after_cap_s: float = 30,
        max_in_flight_images: int = 10,
        slots: SlotProvider | None = None,
        proxy: str | None = None,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        image_hosts: Sequence[str] = DEFAULT_IMAGE_HOSTS,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is empty")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._max_retries = max_retries
        self._backoff_base_s = backoff_base_s
        self._retry_after_cap_s = retry_after_cap_s
        self._proxy = proxy
        self._max_upload_bytes = max_upload_bytes
        self._max_download_bytes = max_download_bytes
        self._policy = ImageHostPolicy(image_hosts, api_base_url=self._base_url)
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock
        # `slots` counts images in flight elsewhere (the deployment's database); by default, in this process.
        self._limiter: SlotProvider = slots if slots is not None else ImageLimiter(max_in_flight_images)
        self._session: aiohttp.ClientSession | None = None
        self._key_rejection_logged = False

    def __repr__(self) -> str:
        return f"IdeogramClient(base_url={self._base_url!r}, started={self._session is not None})"

    # --- lifecycle ------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the one HTTP session (idempotent)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def limiter_state(self) -> LimiterState:
        """Images in flight, requests waiting for room, and the limit."""
        return self._limiter.state

    @property
    def max_upload_bytes(self) -> int:
        return self._max_upload_bytes

    def _require_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            raise RuntimeError("IdeogramClient is not started: use `async with` or call start() first")
        return self._session

    # --- calls ----------------------------------------------------------------------------------------------

    @overload
    async def execute(
        self, request: DescribeRequest, *, on_queue: QueueCallback | None = None, on_sent: SentCallback | None = None
    ) -> DescribeResponse: ...
    @overload
    async def execute(
        self, request: GenerationRequest, *, on_queue: QueueCallback | None = None, on_sent: SentCallback | None = None
    ) -> GenerationResponse: ...
    @overload
    async def execute(
        self, request: IdeogramRequest, *, on_queue: QueueCallback | None = None, on_sent: SentCallback | None = None
    ) -> GenerationResponse | DescribeResponse: ...

    async def execute(
        self, request: IdeogramRequest, *, on_queue: QueueCallback | None = None, on_sent: SentCallback | None = None
    ) -> GenerationResponse | DescribeResponse:
        """Send `request` (waiting for room under the images-in-flight limit) and return the parsed reply.

        `on_queue(position)` is awaited when the request has to wait, again when its 1-based position in
        the queue changes, and with 0 when its turn comes. `on_sent()` is awaited once the request has its room,
        just before it leaves (the ledger records from then on that it may be billed); never while it waits.
        Raises an `IdeogramError` subclass; retries happen in here.
        """
        session = self._require_session()
        for file in request.files():
            if file.size > self._max_upload_bytes:
                raise InvalidRequest(
                    _(
                        "An attached image is {size}; the image service takes at most {limit}. Attach a smaller image.",
                        size=megabytes(file.size),
                        limit=megabytes(self._max_upload_bytes),
                    )
                )
        async with self._limiter.hold(request.num_images, on_queue):
            if on_sent is not None:
                await on_sent()
            return await self._with_retries(session, request)

    async def _with_retries(
        self, session: aiohttp.ClientSession, request: IdeogramRequest
    ) -> GenerationResponse | DescribeResponse:
        attempt = 0
        while True:
            try:
                return await self._attempt(session, request)
            except IdeogramError as error:
                if attempt >= self._max_retries or not _is_retryable(error) or self._waits_too_long(error):
                    # A refused prompt or a bad option is the member's business; the rest is the operator's.
                    level = logging.INFO if isinstance(error, SafetyRejected | BadRequest) else logging.WARNING
                    log.log(level, "Ideogram %s failed after %d attempt(s): %r", request.operation, attempt + 1, error)
                    if isinstance(error, AuthenticationFailed) and not self._key_rejection_logged:
                        self._key_rejection_logged = True  # once: every job would repeat it
                        log.error(KEY_REJECTED, error.status)
                    raise
                delay = self._delay(attempt, error)
                attempt += 1
                log.info(
                    "Ideogram %s: %s (status %s, request id %s); retry %d/%d in %.2fs",
                    request.operation,
                    type(error).__name__,
                    error.status,
                    error.request_id,
                    attempt,
                    self._max_retries,
                    delay,
                )
                await self._sleep(delay)

    def _waits_too_long(self, error: IdeogramError) -> bool:
        """The server asked for a longer wait than the cap: retrying sooner would only be refused again."""
        return isinstance(error, RateLimited) and (error.retry_after or 0.0) > self._retry_after_cap_s

    def _delay(self, attempt: int, error: IdeogramError) -> float:
        """Retry-After when the server gave one (never above the cap: longer waits are not retried), else
        full-jitter exponential backoff."""
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return error.retry_after
        ceiling = min(self._backoff_base_s * 2.0**attempt, self._retry_after_cap_s)
        return self._jitter() * ceiling

    async def _attempt(
        self, session: aiohttp.ClientSession, request: IdeogramRequest
    ) -> GenerationResponse | DescribeResponse:
        url = self._base_url + request.route
        body = request.encode()  # rebuilt per attempt: a FormData cannot be sent twice
        headers = {"Api-Key": self._api_key, "Accept": "application/json"}
        started = time.monotonic()
        try:
            if isinstance(body, JsonBody):
                call = session.post(url, json=body.payload, headers=headers, proxy=self._proxy)
            else:
                call = session.post(url, data=body.form_data(), headers=headers, proxy=self._proxy)
            async with call as reply:
                raw = await reply.read()
                status = reply.status
                request_id = reply.headers.get("X-Request-Id")
                retry_after = parse_retry_after(reply.headers.get("Retry-After"), self._clock())
        except TimeoutError as exc:
            raise RequestTimedOut(provider_message=f"no reply within {self._timeout.total}s") from exc
        except aiohttp.ClientError as exc:
            raise ConnectionFailed(provider_message=scrub(str(exc), (self._api_key,))) from exc
        text = raw.decode("utf-8", errors="replace")
        log.debug(
            "Ideogram %s %s -> %d in %.2fs (request id %s)",
            request.operation,
            request.route,
            status,
            time.monotonic() - started,
            request_id,
        )
        error = error_from_reply(status, text, request_id=request_id, retry_after=retry_after, secrets=(self._api_key,))
        if error is not None:
            raise error
        try:
            if isinstance(request, DescribeRequest):
                described = DescribeResponse.model_validate_json(raw)
                return described if described.request_id else described.model_copy(update={"request_id": request_id})
            generated = GenerationResponse.model_validate_json(raw)
        except ValidationError as exc:
            log.warning(
                "Unreadable Ideogram %s reply (status %d, request id %s)", request.operation, status, request_id
            )
            raise ServerFailed(
                _("The image service sent a reply the bot couldn't read. Try again in a few minutes."),
                status=status,
                provider_message=scrub(text[:200], (self._api_key,)),
                request_id=request_id,
            ) from exc
        return generated if generated.request_id else generated.model_copy(update={"request_id": request_id})

    async def download(self, response: GenerationResponse) -> list[DownloadedImage | WithheldImage]:
        """Fetch every image of `response` (in its order, concurrently). Withheld items come back as such."""
        downloader = Downloader(
            session=self._require_session(),
            policy=self._policy,
            timeout=self._timeout,
            max_bytes=self._max_download_bytes,
            proxy=self._proxy,
            clock=self._clock,
        )
        return await downloader.download(response)
