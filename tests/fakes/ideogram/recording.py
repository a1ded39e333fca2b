"""What the fake received: every request is parsed once into a `RecordedRequest` before anything else happens."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.hdrs import CONTENT_TYPE


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


@dataclass
class RecordedRequest:
    """One request as the fake saw it.

    `content_type` is the media type without parameters (`"multipart/form-data"`). For a multipart body, `fields`
    holds the text parts and `files` the parts that carry a filename (a part is a file if and only if it has a
    filename, as in Starlette, which Ideogram's API runs on). `json` is the parsed body of a JSON request.
    `status` is the status the fake answered, 0 for a `Disconnect`. `received_at` and `answered_at` are event-loop
    times (`loop.time()`): when the request reached the fake, and when its reply was ready to send.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    content_type: str
    json: Any = None
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[UploadedFile]] = field(default_factory=dict)
    status: int = 0
    body_error: str | None = None  # why the body could not be parsed, if it could not
    received_at: float = 0.0
    answered_at: float = 0.0

    def value(self, name: str) -> str | None:
        """The single value of a text part, or None."""
        values = self.fields.get(name)
        return values[0] if values else None

    @property
    def image_request(self) -> Any:
        """The legacy `image_request`, from a JSON body or from the JSON string part of a multipart body."""
        if isinstance(self.json, dict):
            return self.json.get("image_request")
        text = self.value("image_request")
        return None if text is None else json.loads(text)


async def record(request: web.Request) -> RecordedRequest:
    recorded = RecordedRequest(
        received_at=asyncio.get_running_loop().time(),
        method=request.method,
        path=request.path,
        query=dict(request.query),
        headers=dict(request.headers),
        content_type=request.content_type if request.body_exists else "",
    )
    if not request.body_exists:
        return recorded
    if recorded.content_type == "multipart/form-data":
        await _read_multipart(request, recorded)
        return recorded
    body = await request.read()
    if recorded.content_type == "application/json":
        try:
            recorded.json = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            recorded.body_error = "the request body is not valid JSON"
    return recorded


async def _read_multipart(request: web.Request, recorded: RecordedRequest) -> None:
    try:
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                recorded.body_error = "nested multipart bodies are not supported"
                return
            if not part.name:
                recorded.body_error = "a multipart part has no name"
                return
            data = await part.read()
            if part.filename is not None:
                upload = UploadedFile(part.filename, part.headers.get(CONTENT_TYPE, ""), bytes(data))
                recorded.files.setdefault(part.name, []).append(upload)
                continue
            try:
                text = bytes(data).decode("utf-8")
            except UnicodeDecodeError:
                recorded.body_error = f"the text part {part.name!r} is not valid UTF-8"
                return
            recorded.fields.setdefault(part.name, []).append(text)
    except (ValueError, AssertionError, RuntimeError) as exc:
        recorded.body_error = f"malformed multipart body: {exc}"
