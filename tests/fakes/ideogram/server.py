"""`FakeIdeogram`: the aiohttp server that plays the AiHubMix `/ideogram` gateway and Ideogram's image host."""

from __future__ import annotations

import asyncio
import math
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from aiohttp import web

from . import spec
from .faults import (
    BadGatewayHtml,
    Disconnect,
    Fault,
    GatewayError,
    Latency,
    OkWithError,
    RateLimited,
    SafetyRejected,
    ServerError,
    UnsafeImages,
)
from .images import CONTENT_TYPES, ImageDenied, ImageStore
from .recording import RecordedRequest, record
from .validation import NO_STYLE_TYPE_MODELS, ROUTES, Invalid, Job, validate

IMAGES_ROUTE = "/images"
MAGIC_PROMPT_SUFFIX = ", highly detailed"
PROMPT_SAFETY_MESSAGE = "Prompt provided failed safety check due to the inclusion of prohibited content."
IMAGE_SAFETY_MESSAGE = "Image provided failed safety check due to the inclusion of prohibited content."
INFLIGHT_MESSAGE = "Too many requests in flight. Please wait for some of them to complete before sending more."
BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


@dataclass
class _QueuedFault:
    fault: Fault
    remaining: int
    route: str | None


def _log_ratio(width: int, height: int) -> float:
    return math.log(width / height)


def _parse_wxh(value: str) -> tuple[int, int]:
    width, height = value.removeprefix("RESOLUTION_").replace("_", "x").split("x")
    return int(width), int(height)


def nearest_v3_resolution(width: int, height: int) -> tuple[int, int]:
    """The ResolutionV3 closest in shape (then in area to 1024x1024) to width x height."""
    candidates = [_parse_wxh(value) for value in spec.V3_RESOLUTIONS]
    target = _log_ratio(width, height)
    return min(candidates, key=lambda wh: (round(abs(_log_ratio(*wh) - target), 6), abs(wh[0] * wh[1] - 1024 * 1024)))


# What each aspect ratio produces when no resolution is given: "16x9" -> (1312, 736), and so on.
ASPECT_RATIO_RESOLUTIONS = {ratio: nearest_v3_resolution(*_parse_wxh(ratio)) for ratio in spec.V3_ASPECT_RATIOS}


def _tid() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S") + "".join(random.choices("0123456789", k=17))


def envelope(status: int, message: str, *, type: str = "Aihubmix_api_error", code: str | None = None) -> web.Response:
    """An error raised by the gateway itself, in its one-api style envelope."""
    error: dict[str, Any] = {"message": f"{message} (tid: {_tid()})", "type": type}
    if code is not None:
        error["code"] = code
    return web.json_response({"error": error}, status=status)


class FakeIdeogram:
    """A strict fake of the AiHubMix Ideogram gateway on 127.0.0.1. See the package docstring."""

    def __init__(
        self,
        *,
        api_key: str = "sk-fake-test-key-0123456789",
        max_file_bytes: int = 10 * 1024 * 1024,
        url_ttl_s: float = 3600.0,
        image_format: str = "png",
        image_bytes: int | None = None,
        max_in_flight_images: int | None = None,
        clock: Callable[[], float] = time.time,
        full_size_images: bool = False,
    ) -> None:
        self.api_key = api_key
        self.max_file_bytes = max_file_bytes
        self.max_in_flight_images = max_in_flight_images
        self.latency_s = 0.0
        self.base_url = ""
        # Where image URLs point; None: the API's own origin. A test sets another name for 127.0.0.1 (`localhost`)
        # to play a gateway serving images from a host the bot does not trust.
        self.image_base_url: str | None = None
        self.requests: list[RecordedRequest] = []
        self.peak_in_flight_images = 0
        self.fake_bugs: list[str] = []  # replies of the fake that broke the spec's response schema
        self._clock = clock
        self._images = ImageStore(
            image_format=image_format,
            image_bytes=image_bytes,
            full_size=full_size_images,
            url_ttl_s=url_ttl_s,
            clock=clock,
        )
        self._faults: list[_QueuedFault] = []
        self._in_flight_images = 0
        self._in_flight_changed = asyncio.Condition()
        self._requests_changed = asyncio.Condition()
        self._replies_open = asyncio.Event()
        self._replies_open.set()
        self._seeds = random.Random()
        self._runner: web.AppRunner | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.to_thread(spec.definitions)  # load the OpenAPI file off the event loop
        app = web.Application(client_max_size=max(64 * 1024 * 1024, 8 * self.max_file_bytes))
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # handler_cancellation: a client that gives up (timeout tests) ends the handler, so close() need not wait out a
        # Latency fault.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        self._replies_open.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.fake_bugs:
            raise AssertionError(f"FakeIdeogram sent replies that break the spec: {self.fake_bugs}")

    async def __aenter__(self) -> FakeIdeogram:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # --- test controls -----------------------------------------------------------------------------------------

    def inject(self, fault: Fault, *, times: int = 1, route: str | None = None) -> None:
        """Queue `fault` for the next `times` matching requests.

        `route=None` matches every API route (not image downloads); a path such as
        `"/ideogram/v1/ideogram-v3/generate"` matches that route only; `"/images"` matches image downloads.
        Queued faults are used in order; each request takes at most one.
        """
        if route is not None and route != IMAGES_ROUTE and route not in ROUTES:
            raise ValueError(f"unknown route {route!r}; use one of {[*ROUTES, IMAGES_ROUTE]}")
        if times < 1:
            raise ValueError("times must be at least 1")
        self._faults.append(_QueuedFault(fault, times, route))

    @property
    def pending_faults(self) -> list[Fault]:
        return [queued.fault for queued in self._faults for _ in range(queued.remaining)]

    def expire_urls(self) -> None:
        """Make every image URL issued so far answer 403, as if its `exp` had passed."""
        self._images.expire_all()

    @property
    def api_requests(self) -> list[RecordedRequest]:
        """`requests` without the image downloads."""
        return [recorded for recorded in self.requests if not recorded.path.startswith(IMAGES_ROUTE + "/")]

    @property
    def images_issued(self) -> int:
        return self._images.issued

    @property
    def in_flight_images(self) -> int:
        return self._in_flight_images

    def pause_replies(self) -> None:
        """Hold every accepted request (counted in flight) until `resume_replies()`; for concurrency tests."""
        self._replies_open.clear()

    def resume_replies(self) -> None:
        self._replies_open.set()

    async def wait_for_in_flight(self, images: int) -> None:
        """Return once at least `images` images are in flight (wrap in asyncio.timeout in tests)."""
        async with self._in_flight_changed:
            await self._in_flight_changed.wait_for(lambda: self._in_flight_images >= images)

    # --- request handling --------------------------------------------------------------------------------------

    async def wait_for_request(self, predicate: Callable[[RecordedRequest], bool]) -> RecordedRequest:
        """Return the first request (API call or image download) for which `predicate` holds, once it has arrived
        (wrap in asyncio.timeout in tests)."""
        async with self._requests_changed:
            await self._requests_changed.wait_for(lambda: any(predicate(r) for r in self.requests))
        return next(r for r in self.requests if predicate(r))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        recorded = await record(request)
        self.requests.append(recorded)
        async with self._requests_changed:
            self._requests_changed.notify_all()
        if request.method in ("GET", "HEAD") and request.path.startswith(IMAGES_ROUTE + "/"):
            response = await self._serve_image(request, recorded)
        else:
            response = await self._serve_api(request, recorded)
            if response is not None:
                response.headers["X-Request-Id"] = secrets.token_hex(16)
        if response is None:  # Disconnect
            recorded.status = 0
            if request.transport is not None:
                request.transport.close()
            return web.Response()
        recorded.status = response.status
        recorded.answered_at = asyncio.get_running_loop().time()
        return response

    def _take_fault(self, path: str) -> Fault | None:
        is_image = path.startswith(IMAGES_ROUTE + "/")
        for queued in self._faults:
            if queued.route is None:
                matches = not is_image
            else:
                matches = is_image if queued.route == IMAGES_ROUTE else queued.route == path
            if matches:
                queued.remaining -= 1
                if queued.remaining == 0:
                    self._faults.remove(queued)
                return queued.fault
        return None

    async def _serve_api(self, request: web.Request, recorded: RecordedRequest) -> web.Response | None:
        delay = self.latency_s
        given_key = request.headers.get("Api-Key", "")
        if not secrets.compare_digest(given_key.encode(), self.api_key.encode()):
            await asyncio.sleep(delay)
            return envelope(401, f"Invalid token: {given_key[:6]}***")
        route = ROUTES.get(recorded.path) if recorded.method == "POST" else None
        if route is None:
            await asyncio.sleep(delay)
            return envelope(404, f"Invalid URL ({recorded.method} {recorded.path})")
        fault = self._take_fault(recorded.path)
        if isinstance(fault, Latency):
            delay += fault.seconds
        if isinstance(fault, Disconnect):
            await asyncio.sleep(delay)
            return None
        early = self._fault_reply(fault)
        if early is not None:
            await asyncio.sleep(delay)
            return early
        try:
            job = await asyncio.to_thread(validate, route, recorded, max_file_bytes=self.max_file_bytes)
        except Invalid as exc:
            await asyncio.sleep(delay)
            return web.json_response({"error": exc.message}, status=400)
        if not await self._admit(job.num_images):
            await asyncio.sleep(delay)
            limit = self.max_in_flight_images
            body = {"error": INFLIGHT_MESSAGE, "reject_reason": "inflight_limit", "max_inflight_requests": limit}
            return web.json_response(body, status=429)
        try:
            await self._replies_open.wait()
            await asyncio.sleep(delay)
            if isinstance(fault, SafetyRejected):
                if route.operation == "describe":
                    return self._checked({"error": IMAGE_SAFETY_MESSAGE}, "ImageSafetyError", status=422)
                return self._checked({"error": PROMPT_SAFETY_MESSAGE}, "GenerateImageSafetyError", status=422)
            return self._success(job, fault)
        finally:
            await self._release(job.num_images)

    def _fault_reply(self, fault: Fault | None) -> web.Response | None:
        match fault:
            case RateLimited(retry_after=retry_after):
                body = {"error": INFLIGHT_MESSAGE, "reject_reason": "inflight_limit", "max_inflight_requests": 10}
                headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
                return web.json_response(body, status=429, headers=headers)
            case ServerError(status=status):
                error = {
                    "message": f"upstream returned status {status} (request id: {_tid()})",
                    "type": "upstream_error",
                    "param": str(status),
                    "code": "bad_response_status_code",
                }
                return web.json_response({"error": error}, status=status)
            case BadGatewayHtml():
                return web.Response(status=502, text=BAD_GATEWAY_HTML, content_type="text/html")
            case GatewayError(status=status, message=message, code=code, type=kind):
                return envelope(status, message, type=kind, code=code)
            case OkWithError(message=message):
                return envelope(200, message)
        return None

    async def _admit(self, images: int) -> bool:
        async with self._in_flight_changed:
            limit = self.max_in_flight_images
            if limit is not None and self._in_flight_images + images > limit:
                return False
            self._in_flight_images += images
            self.peak_in_flight_images = max(self.peak_in_flight_images, self._in_flight_images)
            self._in_flight_changed.notify_all()
            return True

    async def _release(self, images: int) -> None:
        async with self._in_flight_changed:
            self._in_flight_images -= images
            self._in_flight_changed.notify_all()

    # --- successful replies ------------------------------------------------------------------------------------

    def _checked(self, body: dict[str, Any], schema_name: str, *, status: int = 200) -> web.Response:
        error = spec.first_error(schema_name, body)
        if error is not None:
            self.fake_bugs.append(f"{schema_name}: {error}")
            return web.Response(status=500, text=f"FakeIdeogram bug: its reply breaks {schema_name}: {error}")
        return web.json_response(body, status=status)

    def _success(self, job: Job, fault: Fault | None) -> web.Response:
        if job.route.operation == "describe":
            width, height = job.image_size or (0, 0)
            version = job.params.get("describe_model_version", "V_3")
            texts = [
                f"A fake description of a {width}x{height} image (describe model {version}).",
                "A second, shorter fake description.",
            ]
            return self._checked({"descriptions": [{"text": text} for text in texts]}, job.route.response_schema)
        unsafe = set(fault.indices) if isinstance(fault, UnsafeImages) else set()
        body = {
            "created": datetime.fromtimestamp(self._clock(), UTC).isoformat(),
            "data": [self._item(job, index, safe=index not in unsafe) for index in range(job.num_images)],
        }
        return self._checked(body, job.route.response_schema)

    def _item(self, job: Job, index: int, *, safe: bool) -> dict[str, Any]:
        params = job.params
        seed = params["seed"] if "seed" in params else self._seeds.randrange(2**31)
        width, height = self._output_resolution(job)
        item: dict[str, Any] = {"url": None, "prompt": self._reply_prompt(job), "resolution": f"{width}x{height}"}
        if job.route.operation == "upscale":
            width, height = max(16, 2 * width), max(16, 2 * height)
            item["upscaled_resolution"] = f"{width}x{height}"
        item["is_image_safe"] = safe
        item["seed"] = seed
        if safe:
            origin = self.image_base_url or self.base_url
            item["url"] = self._images.issue(origin, width=width, height=height, seed=seed, index=index)
        style_type = self._reply_style_type(job)
        if style_type is not None:
            item["style_type"] = style_type
        return item

    @staticmethod
    def _output_resolution(job: Job) -> tuple[int, int]:
        params = job.params
        if job.route.operation == "upscale":
            return job.image_size or (1024, 1024)
        if "resolution" in params:
            return _parse_wxh(params["resolution"])
        if "aspect_ratio" in params:
            return ASPECT_RATIO_RESOLUTIONS[params["aspect_ratio"].removeprefix("ASPECT_").replace("_", "x")]
        if job.route.operation in ("edit", "replace_background") and job.image_size:
            return nearest_v3_resolution(*job.image_size)
        return 1024, 1024

    @staticmethod
    def _reply_prompt(job: Job) -> str:
        prompt = job.params.get("prompt")
        if prompt is None:  # reframe has no prompt; upscale's is optional
            return ""
        return prompt + MAGIC_PROMPT_SUFFIX if job.magic_prompt in ("ON", "AUTO") else str(prompt)

    @staticmethod
    def _reply_style_type(job: Job) -> str | None:
        if job.route.operation in ("reframe", "replace_background", "upscale"):
            return None
        if "style_type" in job.params:
            return str(job.params["style_type"])
        return None if job.model in NO_STYLE_TYPE_MODELS else "GENERAL"

    # --- image host --------------------------------------------------------------------------------------------

    async def _serve_image(self, request: web.Request, recorded: RecordedRequest) -> web.Response | None:
        fault = self._take_fault(recorded.path)
        delay = fault.seconds if isinstance(fault, Latency) else 0.0
        if delay:
            await asyncio.sleep(delay)
        if isinstance(fault, Disconnect):
            return None
        if isinstance(fault, SafetyRejected):
            return web.json_response({"error": IMAGE_SAFETY_MESSAGE}, status=422)
        early = self._fault_reply(fault)
        if early is not None:
            return early
        try:
            image = self._images.lookup(recorded.path.removeprefix(IMAGES_ROUTE + "/"), recorded.query)
        except ImageDenied as denied:
            return web.json_response({"error": denied.message}, status=denied.status)
        data = await self._images.content(image)
        return web.Response(body=data, content_type=CONTENT_TYPES[image.ext])
