"""What the REST routes share: Discord's error bodies, JSON responses, parsing request bodies, injected faults."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from .schema import SchemaError, discord_error_tree
from .state import RawRequest

API_PREFIX = "/api/v10"


class DiscordError(Exception):
    """Raised by handlers; rendered as Discord's error body and recorded as a violation of kind ``kind``."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        kind: str,
        errors: dict[str, Any] | None = None,
        detail: Any = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.kind = status, code, message, kind
        self.errors, self.detail = errors, detail

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def invalid_form_body(path: tuple[str | int, ...], code: str, message: str, *, kind: str) -> DiscordError:
    error = SchemaError(path=path, message=message, code=code)
    return DiscordError(400, 50035, "Invalid Form Body", kind=kind, errors=discord_error_tree([error]), detail=[error])


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """discord.py decodes JSON only when Content-Type is exactly ``application/json`` (no charset)."""
    return web.Response(
        status=status, body=json.dumps(data).encode(), headers={**(headers or {}), "Content-Type": "application/json"}
    )


@dataclass
class UploadedFile:
    index: int
    filename: str
    data: bytes
    content_type: str | None


_PARAM = re.compile(r'([\w*]+)=(?:"((?:[^"\\]|\\.)*)"|([^;]*))')


def _disposition_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for raw_key, quoted, bare in _PARAM.findall(value):
        key, text = raw_key, re.sub(r"\\(.)", r"\1", quoted) if quoted else bare.strip()
        if key.endswith("*") and "''" in text:  # RFC 5987: utf-8''percent-encoded
            key, text = key[:-1], unquote(text.split("''", 1)[1])
        params[key.lower()] = text
    return params


def parse_multipart(body: bytes, content_type: str) -> tuple[Any, list[UploadedFile]]:
    """``payload_json`` + ``files[n]`` from a multipart/form-data body (parsed from the recorded bytes)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise DiscordError(400, 50035, "Invalid Form Body", kind="bad_multipart", detail="no multipart boundary")
    delimiter = b"\r\n--" + match.group(1).encode()
    payload: Any = None
    files: list[UploadedFile] = []
    for chunk in (b"\r\n" + body).split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        params = _disposition_params(headers.get("content-disposition", ""))
        name = params.get("name", "")
        if name == "payload_json":
            payload = parse_json(data)
        elif (file_match := re.fullmatch(r"files\[(\d+)\]", name)) or "filename" in params:
            index = int(file_match.group(1)) if file_match else len(files)
            files.append(UploadedFile(index, params.get("filename", name), data, headers.get("content-type")))
    return payload, files


def parse_json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        raise DiscordError(400, 50109, "The request body contains invalid JSON.", kind="bad_json") from None


@dataclass
class InjectedError:
    method: str
    path_pattern: str
    status: int
    code: int
    message: str
    retry_after: float | None
    times: int


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RAW = web.RequestKey("raw", RawRequest)
TEMPLATE = web.RequestKey("template", str)
