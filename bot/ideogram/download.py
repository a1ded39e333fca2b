"""Fetching the finished images before their URLs expire, without following a link anywhere it shouldn't go.

Only https (http only when the API itself is on loopback, i.e. in tests), only allow-listed hosts (redirects
included), streamed with a size cap, all of a reply's images at once. An item the safety check withheld is a
`WithheldImage`, not an error. An expired link (an `exp` query parameter in the past, or 403/404/410 from the
host) raises `ImageExpired`. The API key is never sent to the image host.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

import aiohttp
from yarl import URL

from bot.i18n import _
from bot.ideogram.errors import DownloadFailed, ImageExpired
from bot.ideogram.files import EXTENSIONS, ImageType, sniff_image_type
from bot.ideogram.responses import GeneratedImage, GenerationResponse
from bot.images.formats import megabytes, sha256_hex

log = logging.getLogger(__name__)

DEFAULT_IMAGE_HOSTS: Final[tuple[str, ...]] = ("ideogram.ai", "*.ideogram.ai", "d2gu96o5zk2m7w.cloudfront.net")
DEFAULT_MAX_DOWNLOAD_BYTES: Final = 50 * 1024 * 1024
_EXPIRED_STATUSES: Final = frozenset({403, 404, 410})
_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS: Final = 3
_LOOPBACK_NAMES: Final = frozenset({"localhost"})


@dataclass(frozen=True, slots=True)
class DownloadedImage:
    """One fetched image: `index` is its 0-based position in the reply; `filename` counts from 1.

    `sha256` is the hex digest of `data`, computed in a worker thread as soon as this image has arrived.
    """

    index: int
    data: bytes = field(repr=False)
    content_type: ImageType
    filename: str
    item: GeneratedImage
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True, slots=True)
class WithheldImage:
    """An image Ideogram made (and billed) but withheld as unsafe: there is nothing to fetch."""

    index: int
    item: GeneratedImage


def is_loopback(url: str) -> bool:
    """Whether `url` points at this machine (`localhost`, 127.0.0.0/8, ::1): the tests' fakes."""
    host = URL(url).host or ""
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_allowed(host: str, patterns: Sequence[str]) -> bool:
    """`ideogram.ai` matches itself only; `*.ideogram.ai` matches its subdomains (not itself)."""
    host = host.lower().rstrip(".")
    for raw in patterns:
        pattern = raw.lower().rstrip(".")
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]):
                return True
        elif host == pattern:
            return True
    return False


class ImageHostPolicy:
    """Which image URLs may be fetched: https on the listed hosts, and on the API's own host (a gateway may serve
    the images itself); plain http too when the API is on loopback (the tests' fakes)."""

    def __init__(self, hosts: Sequence[str], *, api_base_url: str) -> None:
        api_host = URL(api_base_url).host
        self.hosts = (*hosts, api_host) if api_host else tuple(hosts)
        self.allow_http = is_loopback(api_base_url)

    def check(self, url: URL) -> None:
        schemes = ("https", "http") if self.allow_http else ("https",)
        if url.scheme not in schemes:
            log.warning("Refused image URL with scheme %r (host %r)", url.scheme, url.host)
            raise DownloadFailed(
                _("The image service sent a link the bot won't follow (not https). Try again."),
                provider_message=f"refused scheme {url.scheme!r}",
            )
        if not url.host or not host_allowed(url.host, self.hosts):
            log.warning("Refused image URL on host %r (not in the allow-list)", url.host)
            raise DownloadFailed(
                _("The image service sent a link to a host the bot doesn't trust. Try again."),
                provider_message=f"refused host {url.host!r}",
            )


def expiry_passed(url: URL, now: float) -> bool:
    """Whether the URL's `exp` (unix seconds, Ideogram's signed URLs) is in the past."""
    raw = url.query.get("exp")
    if raw is None:
        return False
    try:
        return float(raw) <= now
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Downloader:
    session: aiohttp.ClientSession
    policy: ImageHostPolicy
    timeout: aiohttp.ClientTimeout
    max_bytes: int
    proxy: str | None
    clock: Callable[[], float]

    async def download(self, response: GenerationResponse) -> list[DownloadedImage | WithheldImage]:
        """All images of `response`, in its order, fetched concurrently; the first failure cancels the rest."""
        results: list[DownloadedImage | WithheldImage | None] = [None] * len(response.data)
        tasks: dict[int, asyncio.Task[DownloadedImage]] = {}
        for index, item in enumerate(response.data):
            if item.withheld or item.url is None:
                results[index] = WithheldImage(index=index, item=item)
            else:
                url = URL(item.url)
                self.policy.check(url)
                if expiry_passed(url, self.clock()):
                    raise ImageExpired(provider_message="exp in the past", request_id=response.request_id)
        for index, item in enumerate(response.data):
            if results[index] is None:
                tasks[index] = asyncio.create_task(self._fetch(index, item, response.request_id))
        try:
            await asyncio.gather(*tasks.values())
        except BaseException:
            for task in tasks.values():
                task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
            raise
        for index, task in tasks.items():
            results[index] = task.result()
        return [result for result in results if result is not None]

    async def _fetch(self, index: int, item: GeneratedImage, request_id: str | None) -> DownloadedImage:
        assert item.url
        url = URL(item.url)
        try:
            for _hop in range(_MAX_REDIRECTS + 1):
                async with self.session.get(
                    url, proxy=self.proxy, timeout=self.timeout, allow_redirects=False
                ) as reply:
                    if reply.status in _REDIRECT_STATUSES and "Location" in reply.headers:
                        url = url.join(URL(reply.headers["Location"]))
                        self.policy.check(url)
                        continue
                    if reply.status in _EXPIRED_STATUSES:
                        raise ImageExpired(status=reply.status, request_id=request_id)
                    if reply.status != 200:
                        raise DownloadFailed(status=reply.status, request_id=request_id)
                    data = await self._read_capped(reply, request_id)
                    break
            else:
                raise DownloadFailed(provider_message="too many redirects", request_id=request_id)
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("Image download failed (%s): %s", type(exc).__name__, exc)
            raise DownloadFailed(provider_message=type(exc).__name__, request_id=request_id) from exc
        kind = sniff_image_type(data)
        if kind is None:
            raise DownloadFailed(provider_message="not a PNG, JPEG or WebP image", request_id=request_id)
        # hashlib lets go of the GIL, so in a thread this image is hashed while the others are still arriving,
        # instead of all of them on the event loop after the last byte.
        digest = await asyncio.to_thread(sha256_hex, data)
        return DownloadedImage(
            index=index,
            data=data,
            content_type=kind,
            filename=f"ideogram-{item.seed}-{index + 1}.{EXTENSIONS[kind]}",
            item=item,
            sha256=digest,
        )

    async def _read_capped(self, reply: aiohttp.ClientResponse, request_id: str | None) -> bytes:
        too_big = DownloadFailed(
            _("An image was larger than the bot accepts ({limit}). Try again.", limit=megabytes(self.max_bytes)),
            request_id=request_id,
        )
        if reply.content_length is not None and reply.content_length > self.max_bytes:
            raise too_big
        # Keep the pieces as they arrive and join them once: a growing bytearray is copied again each time it
        # outgrows its allocation, then once more into bytes.
        chunks: list[bytes] = []
        size = 0
        async for chunk in reply.content.iter_any():
            size += len(chunk)
            if size > self.max_bytes:
                raise too_big
            chunks.append(chunk)
        return b"".join(chunks)
