"""Result images: signed, expiring URLs and the bytes behind them, built lazily with Pillow and cached."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import math
import random
import re
import secrets
import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageDraw

SMALL_SIDE = 64  # longest side of the served images unless full_size_images=True
CONTENT_TYPES = {"png": "image/png", "webp": "image/webp"}
_NAME = re.compile(r"([A-Za-z0-9_-]+)\.(png|webp)")


@dataclass(frozen=True)
class StoredImage:
    image_id: str
    ext: str
    exp: int
    width: int  # the resolution the reply announced
    height: int
    seed: int
    index: int


class ImageDenied(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ImageStore:
    def __init__(
        self,
        *,
        image_format: str,
        image_bytes: int | None,
        full_size: bool,
        url_ttl_s: float,
        clock: Callable[[], float],
    ) -> None:
        if image_format not in CONTENT_TYPES:
            raise ValueError(f"image_format must be one of {sorted(CONTENT_TYPES)}, not {image_format!r}")
        self.image_format = image_format
        self.image_bytes = image_bytes
        self.full_size = full_size
        self.url_ttl_s = url_ttl_s
        self._clock = clock
        self._secret = secrets.token_bytes(32)
        self._images: dict[str, StoredImage] = {}
        self._expired: set[str] = set()
        self._built: dict[str, bytes] = {}

    def issue(self, base_url: str, *, width: int, height: int, seed: int, index: int) -> str:
        image = StoredImage(
            image_id=secrets.token_urlsafe(16),
            ext=self.image_format,
            exp=int(self._clock() + self.url_ttl_s),
            width=width,
            height=height,
            seed=seed,
            index=index,
        )
        self._images[image.image_id] = image
        return f"{base_url}/images/{image.image_id}.{image.ext}?exp={image.exp}&sig={self._sign(image)}"

    def expire_all(self) -> None:
        self._expired.update(self._images)

    @property
    def issued(self) -> int:
        return len(self._images)

    def _sign(self, image: StoredImage) -> str:
        message = f"{image.image_id}.{image.ext}:{image.exp}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def lookup(self, name: str, query: dict[str, str]) -> StoredImage:
        """The image a URL names, or ImageDenied: 404 unknown, 403 bad/missing signature or expired."""
        match = _NAME.fullmatch(name)
        image = self._images.get(match.group(1)) if match else None
        if match is None or image is None or image.ext != match.group(2):
            raise ImageDenied(404, f"no such image: {name}")
        exp, sig = query.get("exp", ""), query.get("sig", "")
        if not exp or not sig:
            raise ImageDenied(403, "AccessDenied: the URL has no exp or sig parameter")
        if exp != str(image.exp) or not hmac.compare_digest(sig, self._sign(image)):
            raise ImageDenied(403, "AccessDenied: the URL signature does not match")
        if image.image_id in self._expired or self._clock() > image.exp:
            raise ImageDenied(403, f"AccessDenied: the URL expired (exp={image.exp})")
        return image

    async def content(self, image: StoredImage) -> bytes:
        if self.image_bytes is not None:
            return await _noise(self.image_format, self.image_bytes)
        data = self._built.get(image.image_id)
        if data is None:
            data = await asyncio.to_thread(self._draw, image)
            self._built[image.image_id] = data
        return data

    def _draw(self, image: StoredImage) -> bytes:
        width, height = image.width, image.height
        if not self.full_size:
            scale = SMALL_SIDE / max(width, height)
            width, height = max(1, round(width * scale)), max(1, round(height * scale))
        rng = random.Random(image.seed * 8 + image.index)  # the colour follows seed and index...
        background = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        digest = hashlib.sha256(image.image_id.encode()).digest()  # ...and a corner patch makes every image unique
        picture = Image.new("RGB", (width, height), background)
        ImageDraw.Draw(picture).rectangle(
            (0, 0, max(0, width // 4 - 1), max(0, height // 4 - 1)), fill=tuple(digest[:3])
        )
        return _encode(picture, image.ext)


def _encode(picture: Image.Image, ext: str) -> bytes:
    buffer = io.BytesIO()
    if ext == "png":
        picture.save(buffer, "PNG", compress_level=1)
    else:
        picture.save(buffer, "WEBP", lossless=True, method=0)
    return buffer.getvalue()


# Large images (image_bytes=N) are random noise, built once per (format, size) and shared by every URL and every
# FakeIdeogram in the process, so serving them costs nothing but the socket write.
_NOISE_CACHE: dict[tuple[str, int], bytes] = {}
_NOISE_LOCK = threading.Lock()  # a thread lock: the cache outlives event loops (pytest makes one per test)


async def _noise(ext: str, size: int) -> bytes:
    data = _NOISE_CACHE.get((ext, size))
    if data is None:
        data = await asyncio.to_thread(_cached_noise, ext, size)
    return data


def _cached_noise(ext: str, size: int) -> bytes:
    with _NOISE_LOCK:
        if (ext, size) not in _NOISE_CACHE:
            _NOISE_CACHE[ext, size] = build_noise(ext, size)
        return _NOISE_CACHE[ext, size]


def build_noise(ext: str, size: int) -> bytes:
    """A noise image of about `size` bytes; a PNG is padded to exactly `size` with a private ancillary chunk."""
    side = max(1, math.isqrt(max(0, size - 1024) // 3))
    rng = random.Random(size)
    while True:
        picture = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
        buffer = io.BytesIO()
        if ext == "png":
            picture.save(buffer, "PNG", compress_level=0)
        else:
            picture.save(buffer, "WEBP", lossless=True, method=0)
        data = buffer.getvalue()
        if ext != "png" or len(data) + 12 <= size or side == 1:
            break
        side -= 1
    if ext == "png" and len(data) + 12 <= size:
        data = _png_insert_chunk(data, b"fkPd", bytes(size - len(data) - 12))
    return data


def _png_insert_chunk(png: bytes, kind: bytes, payload: bytes) -> bytes:
    chunk = struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + chunk + png[iend:]
