"""``RestBase``: what every REST request goes through: recording, injected faults, auth, Discord's errors (each
also a violation), reading bodies, and checking requests and the fake's own responses against the schema."""

from __future__ import annotations

import fnmatch
import logging
import traceback
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .rest_wire import (
    API_PREFIX,
    RAW,
    TEMPLATE,
    DiscordError,
    Handler,
    InjectedError,
    UploadedFile,
    invalid_form_body,
    json_response,
    parse_json,
    parse_multipart,
)
from .schema import discord_error_tree
from .state import RawRequest, Violation

if TYPE_CHECKING:
    from .fake import FakeDiscord

log = logging.getLogger(__name__)


class RestBase:
    """The plumbing under every route family (``rest_*.py``); ``server.RestApi`` puts them together."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.injected: list[InjectedError] = []
        self._response_checks: dict[tuple[str, str], int] = {}

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        loop_time = self.fake.loop_time()
        body = await request.read()
        raw = RawRequest(
            method=request.method,
            path=request.path,
            query_string=request.query_string,
            headers=list(request.headers.items()),
            body=body,
            received_at=loop_time,
        )
        self.fake.raw_requests.append(raw)
        request[RAW] = raw
        api_path = request.path.removeprefix(API_PREFIX)
        try:
            injected = self._take_injected(request.method, api_path)
            if injected is not None:
                response: web.StreamResponse = injected
            else:
                response = await handler(request)
        except web.HTTPNotFound:
            error = DiscordError(404, 0, "404: Not Found", kind="unknown_route", detail=f"{request.method} {api_path}")
            response = self._error(request, error)
        except web.HTTPMethodNotAllowed:
            error = DiscordError(405, 0, "405: Method Not Allowed", kind="unknown_route", detail=request.method)
            response = self._error(request, error)
        except DiscordError as error:
            response = self._error(request, error)
        except Exception as error:  # a bug in the fake: fail the test loudly rather than let discord.py retry
            log.exception("fake Discord crashed on %s %s", request.method, request.path)
            self.fake.violations.append(
                Violation("fake", "crash", request.method, api_path, 500, 0, repr(error), traceback.format_exc())
            )
            response = json_response({"message": "500: Internal Server Error", "code": 0}, status=500)
        raw.status = response.status
        await self.fake._notify()  # a refusal (a new violation) is a change tests may be waiting for
        return response

    def _error(self, request: web.Request, error: DiscordError) -> web.Response:
        self.fake.violations.append(
            Violation(
                side="bot",
                kind=error.kind,
                method=request.method,
                path=request.path.removeprefix(API_PREFIX),
                status=error.status,
                code=error.code,
                message=error.message,
                details=error.detail if error.detail is not None else error.errors,
            )
        )
        return json_response(error.body(), status=error.status)

    def _take_injected(self, method: str, path: str) -> web.Response | None:
        for injected in self.injected:
            if injected.method in (method, "*") and fnmatch.fnmatchcase(path, injected.path_pattern):
                injected.times -= 1
                if injected.times <= 0:
                    self.injected.remove(injected)
                body: dict[str, Any] = {"message": injected.message, "code": injected.code}
                headers: dict[str, str] = {}
                if injected.status == 429:
                    retry_after = injected.retry_after or 0.0
                    body.update(retry_after=retry_after, **{"global": False})
                    headers = {"Via": "1.1 google", "Retry-After": str(retry_after), "X-RateLimit-Scope": "user"}
                return json_response(body, status=injected.status, headers=headers)
        return None

    async def _call(self, request: web.Request, *, handler: Handler, template: str, auth: bool) -> web.StreamResponse:
        request[TEMPLATE] = template
        if auth and request.headers.get("Authorization") != f"Bot {self.fake.token}":
            raise DiscordError(401, 0, "401: Unauthorized", kind="auth")
        return await handler(request)

    def _respond(self, request: web.Request, data: Any, status: int = 200) -> web.Response:
        """A JSON response, checked against the documented response schema (a mismatch is the fake's bug)."""
        template = request[TEMPLATE]
        key = (request.method, template)
        checked = self._response_checks.get(key, 0)
        if checked < self.fake.response_checks_per_route and self.fake.spec.has_operation(request.method, template):
            self._response_checks[key] = checked + 1
            errors = self.fake.spec.validate_response(request.method, template, data, status)
            if errors:
                self.fake.violations.append(
                    Violation(
                        side="fake",
                        kind="response_schema",
                        method=request.method,
                        path=request.path.removeprefix(API_PREFIX),
                        status=status,
                        code=0,
                        message="fake response does not match the OpenAPI schema",
                        details=[str(e) for e in errors],
                    )
                )
        return json_response(data, status=status)

    def _payload(self, request: web.Request) -> tuple[Any, list[UploadedFile]]:
        raw: RawRequest = request[RAW]
        if not raw.body:
            return None, []
        if request.content_type == "multipart/form-data":
            return parse_multipart(raw.body, request.headers.get("Content-Type", ""))
        if request.content_type == "application/json":
            return parse_json(raw.body), []
        raise DiscordError(400, 50035, "Invalid Form Body", kind="bad_content_type", detail=request.content_type)

    def _validate(self, request: web.Request, payload: Any) -> None:
        errors = self.fake.spec.validate_request(request.method, request[TEMPLATE], payload)
        if errors:
            raise DiscordError(
                400, 50035, "Invalid Form Body", kind="schema", errors=discord_error_tree(errors), detail=errors
            )

    @staticmethod
    def _snowflake(request: web.Request, name: str) -> int:
        value = request.match_info[name]
        if not value.isdigit():
            raise invalid_form_body((name,), "NUMBER_TYPE_COERCE", f"Value {value!r} is not snowflake.", kind="bad_id")
        return int(value)
