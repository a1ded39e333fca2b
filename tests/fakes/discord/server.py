"""The REST half of the fake: Discord's HTTP API (the routes discord.py uses for this bot) and the CDN.

Every request is recorded byte for byte before anything else happens. A request Discord would refuse gets
Discord's error body *and* a :class:`~.state.Violation`, so a bot that swallows the ``HTTPException`` still fails
the suite's ``assert fake.violations == []``.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import hmac
import json
import logging
import re
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import web

from . import payloads
from .schema import SchemaError, discord_error_tree
from .state import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    FakeAttachment,
    FakeInteraction,
    FakeMessage,
    RawRequest,
    ResponseRecord,
    Violation,
    iso_timestamp,
    new_snowflake,
)

if TYPE_CHECKING:
    from .fake import FakeDiscord

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
MAX_CONTENT_LENGTH = 2000
MAX_FILES = 10
MAX_EMBED_TOTAL_CHARS = 6000
# Flags a bot may set when sending: SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS, IS_COMPONENTS_V2.
_SENDABLE_FLAGS = (1 << 2) | FLAG_EPHEMERAL | (1 << 12) | (1 << 15)

# Which callback types Discord accepts for each interaction type.
_ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {4, 5, 9},
    MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}


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
            payload = _parse_json(data)
        elif (file_match := re.fullmatch(r"files\[(\d+)\]", name)) or "filename" in params:
            index = int(file_match.group(1)) if file_match else len(files)
            files.append(UploadedFile(index, params.get("filename", name), data, headers.get("content-type")))
    return payload, files


def _parse_json(data: bytes) -> Any:
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

# (method, OpenAPI path template, handler name, needs "Authorization: Bot <token>").
# Order matters where aiohttp could match two templates: "@original" and "@me" come first.
ROUTES: list[tuple[str, str, str, bool]] = [
    ("GET", "/users/@me", "get_current_user", True),
    ("GET", "/users/{user_id}", "get_user", True),
    ("GET", "/oauth2/applications/@me", "get_application", True),
    ("GET", "/gateway", "get_gateway", False),
    ("GET", "/gateway/bot", "get_gateway_bot", True),
    ("GET", "/applications/{application_id}/commands", "get_commands", True),
    ("PUT", "/applications/{application_id}/commands", "put_commands", True),
    ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", "get_commands", True),
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", "put_commands", True),
    ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", "interaction_callback", False),
    ("POST", "/webhooks/{webhook_id}/{webhook_token}", "execute_webhook", False),
    ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", "get_webhook_message", False),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", "edit_webhook_message", False),
    ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", "delete_webhook_message", False),
    ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", "get_webhook_message", False),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", "edit_webhook_message", False),
    ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", "delete_webhook_message", False),
    ("GET", "/channels/{channel_id}", "get_channel", True),
    ("GET", "/channels/{channel_id}/messages", "list_messages", True),
    ("POST", "/channels/{channel_id}/messages", "create_message", True),
    ("GET", "/channels/{channel_id}/messages/{message_id}", "get_message", True),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}", "edit_message", True),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}", "delete_message", True),
    ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me", "add_reaction", True),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me", "remove_reaction", True),
    ("GET", "/guilds/{guild_id}/members/{user_id}", "get_member", True),
]


class RestApi:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.injected: list[InjectedError] = []
        self._response_checks: dict[tuple[str, str], int] = {}

    # ---------------------------------------------------------------- plumbing

    def add_routes(self, app: web.Application) -> None:
        for method, template, name, auth in ROUTES:
            handler = functools.partial(self._call, handler=getattr(self, name), template=template, auth=auth)
            app.router.add_route(method, API_PREFIX + template, handler)
        app.router.add_get("/cdn/attachments/{channel_id}/{attachment_id}/{filename}", self.serve_attachment)

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
            return _parse_json(raw.body), []
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

    # ---------------------------------------------------------------- users, application, gateway

    async def get_current_user(self, request: web.Request) -> web.Response:
        return self._respond(request, payloads.current_user(self.fake.bot_user))

    async def get_user(self, request: web.Request) -> web.Response:
        found = self.fake.users.get(self._snowflake(request, "user_id"))
        if found is None:
            raise DiscordError(404, 10013, "Unknown User", kind="unknown_user")
        return self._respond(request, payloads.user(found))

    async def get_application(self, request: web.Request) -> web.Response:
        return self._respond(request, payloads.application(self.fake))

    async def get_gateway(self, request: web.Request) -> web.Response:
        return self._respond(request, {"url": self.fake.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return self._respond(request, {"url": self.fake.gateway_url, "shards": 1, "session_start_limit": limit})

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self.fake.guilds.get(self._snowflake(request, "guild_id"))
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild", kind="unknown_guild")
        found = guild.members.get(self._snowflake(request, "user_id"))
        if found is None:
            raise DiscordError(404, 10007, "Unknown Member", kind="unknown_member")
        return self._respond(request, payloads.member(found))

    # ---------------------------------------------------------------- application commands

    def _command_scope(self, request: web.Request) -> int | None:
        if self._snowflake(request, "application_id") != self.fake.application_id:
            raise DiscordError(403, 50001, "Missing Access", kind="wrong_application")
        if "guild_id" not in request.match_info:
            return None
        guild_id = self._snowflake(request, "guild_id")
        if guild_id not in self.fake.guilds:
            raise DiscordError(403, 50001, "Missing Access", kind="unknown_guild")
        return guild_id

    async def get_commands(self, request: web.Request) -> web.Response:
        return self._respond(request, self.fake.commands.get(self._command_scope(request), []))

    async def put_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        payload, _ = self._payload(request)
        self._validate(request, payload)
        requested: list[dict[str, Any]] = payload or []
        seen: set[tuple[int, str]] = set()
        for index, command in enumerate(requested):
            key = (command.get("type") or 1, command["name"])
            if key in seen:
                raise invalid_form_body(
                    (index, "name"),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique ({command['name']})",
                    kind="duplicate_command",
                )
            seen.add(key)
        for kind, limit in ((1, 100), (2, 15), (3, 15)):
            if sum(1 for command_type, _ in seen if command_type == kind) > limit:
                raise DiscordError(
                    400, 30032, "Maximum number of application commands reached", kind="too_many_commands"
                )
        previous = {(c["type"], c["name"]): int(c["id"]) for c in self.fake.commands.get(scope, [])}
        stored = [
            payloads.application_command(
                command,
                command_id=previous.get((command.get("type") or 1, command["name"])) or new_snowflake(),
                application_id=self.fake.application_id,
                version=new_snowflake(),
                guild_id=scope,
            )
            for command in requested
        ]
        self.fake.commands[scope] = stored
        self.fake.sync_log.append((scope, [c["name"] for c in stored]))
        await self.fake._notify()
        return self._respond(request, stored)

    # ---------------------------------------------------------------- messages: shared rules

    def _check_files(self, files: list[UploadedFile], size_limit: int) -> None:
        too_big = [f for f in files if len(f.data) > size_limit]
        if too_big:
            raise DiscordError(
                413,
                40005,
                "Request entity too large",
                kind="file_too_large",
                detail=[f"{f.filename}: {len(f.data)} bytes > {size_limit}" for f in too_big],
            )
        if len(files) > MAX_FILES:
            raise invalid_form_body(
                ("files",), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FILES} or fewer in length.", kind="too_many_files"
            )

    def _check_message(
        self, payload: dict[str, Any], files: list[UploadedFile], *, creating: bool, at: tuple[str, ...] = ()
    ) -> None:
        """What Discord checks beyond the schema (whose content limit is the 4000 of Nitro users)."""
        content = payload.get("content") or ""
        if len(content) > MAX_CONTENT_LENGTH:
            raise invalid_form_body(
                (*at, "content"),
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MAX_CONTENT_LENGTH} or fewer in length.",
                kind="content_too_long",
            )
        embeds = payload.get("embeds") or []
        total = sum(_embed_chars(e) for e in embeds)
        if total > MAX_EMBED_TOTAL_CHARS:
            raise invalid_form_body(
                (*at, "embeds"),
                "MAX_EMBED_SIZE_EXCEEDED",
                "Embed size exceeds maximum size of 6000",
                kind="embed_too_large",
            )
        carries = ("components", "poll", "sticker_ids", "attachments")
        if creating and not (content or embeds or files or any(payload.get(key) for key in carries)):
            raise DiscordError(400, 50006, "Cannot send an empty message", kind="empty_message")

    def _apply(self, msg: FakeMessage, payload: dict[str, Any], files: list[UploadedFile], *, editing: bool) -> None:
        """Apply a create/edit body to a stored message (API v10 attachment semantics on edit)."""
        if "content" in payload:
            msg.content = payload["content"] or ""
        if "embeds" in payload:
            msg.embeds = list(payload["embeds"] or [])
        if "components" in payload:
            msg.components = list(payload["components"] or [])
        by_index = {f.index: f for f in files}
        listed = payload.get("attachments")
        if listed is not None:
            existing = {a.id: a for a in msg.attachments}
            result: list[FakeAttachment] = []
            for position, entry in enumerate(listed):
                entry_id = int(entry["id"])
                if editing and entry_id in existing:
                    result.append(existing[entry_id])
                elif entry_id in by_index:
                    upload = by_index.pop(entry_id)
                    result.append(self._store_upload(msg, upload, entry))
                else:
                    raise invalid_form_body(
                        ("attachments", position, "id"),
                        "ATTACHMENT_NOT_FOUND",
                        f"Unknown attachment or file index {entry_id}",
                        kind="bad_attachment",
                    )
            # Files the body did not list are still uploaded (Discord accepts them).
            result.extend(self._store_upload(msg, upload, {}) for upload in by_index.values())
            msg.attachments = result
        elif files:
            kept = msg.attachments if editing else []
            msg.attachments = kept + [self._store_upload(msg, upload, {}) for upload in files]
        if editing:
            msg.edited_timestamp = iso_timestamp()
            msg.edit_count += 1

    def _store_upload(self, msg: FakeMessage, upload: UploadedFile, entry: dict[str, Any]) -> FakeAttachment:
        attachment = self.fake._new_attachment(
            filename=entry.get("filename") or upload.filename,
            data=upload.data,
            content_type=None,  # file parts are always application/octet-stream: sniff instead
            description=entry.get("description"),
            title=entry.get("title"),
            channel_id=msg.channel_id,
        )
        attachment.ephemeral = msg.ephemeral
        return attachment

    def _message_out(self, request: web.Request, msg: FakeMessage) -> web.Response:
        return self._respond(request, payloads.message(self.fake, msg))

    # ---------------------------------------------------------------- interactions

    async def interaction_callback(self, request: web.Request) -> web.StreamResponse:
        raw: RawRequest = request[RAW]
        arrived = raw.received_at + self.fake.clock.offset
        inter = self.fake.interactions.get(self._snowflake(request, "interaction_id"))
        if inter is None or inter.token != request.match_info["interaction_token"]:
            raise DiscordError(404, 10062, "Unknown interaction", kind="unknown_interaction")
        payload, files = self._payload(request)
        record = ResponseRecord(
            kind="callback", status=0, type=(payload or {}).get("type"), body=payload, files=[], at=arrived
        )
        inter.responses.append(record)
        try:
            response = await self._callback(request, inter, payload, files, record=record, arrived=arrived)
        except DiscordError as error:
            record.status, record.error_code = error.status, error.code
            await self.fake._notify()
            raise
        return response

    async def _callback(
        self,
        request: web.Request,
        inter: FakeInteraction,
        payload: Any,
        files: list[UploadedFile],
        *,
        record: ResponseRecord,
        arrived: float,
    ) -> web.StreamResponse:
        if inter.ack is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.", kind="double_ack")
        late_by = arrived - inter.dispatched_at - self.fake.response_deadline_s
        if late_by > 0:
            raise DiscordError(
                404, 10062, "Unknown interaction", kind="deadline", detail=f"initial response {late_by:.3f}s too late"
            )
        self._validate(request, payload)
        callback_type = payload["type"]
        allowed = _ALLOWED_CALLBACKS.get(inter.type, set())
        if inter.type == MODAL_SUBMIT and inter.message is None:
            allowed = allowed - {6, 7}
        if callback_type not in allowed:
            raise invalid_form_body(
                ("type",),
                "BASE_TYPE_CHOICES",
                f"Value must be one of {sorted(allowed)}.",
                kind="bad_callback_type",
            )
        data = payload.get("data") or {}
        self._check_files(files, inter.attachment_size_limit)
        if callback_type in (4, 7):
            self._check_message(data, files, creating=callback_type == 4, at=("data",))

        msg: FakeMessage | None = None
        if callback_type in (4, 5):
            flags = (data.get("flags") or 0) & (_SENDABLE_FLAGS if callback_type == 4 else FLAG_EPHEMERAL)
            if callback_type == 5:
                flags |= FLAG_LOADING
            msg = self.fake._new_interaction_message(inter, flags=flags)
            if callback_type == 4:
                self._apply(msg, data, files, editing=False)
            inter.original = msg
            self.fake._store_message(msg)
        elif callback_type == 6:
            msg = inter.message
            inter.original = msg
        elif callback_type == 7:
            assert inter.message is not None
            msg = inter.message
            self._apply(msg, data, files, editing=True)
            inter.original = msg
            self.fake._message_updated(msg)
        elif callback_type == 8:
            inter.autocomplete_choices = list(data.get("choices") or [])
        elif callback_type == 9:
            inter.modal = data

        record.status = 200
        record.message = msg
        record.files = list(msg.attachments) if msg is not None and callback_type in (4, 7) else []
        inter.ack = record
        inter.ack_latency_s = request[RAW].received_at - inter.dispatched_loop_time
        await self.fake._notify()
        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        body = payloads.interaction_callback_response(inter, callback_type, msg, self.fake)
        return self._respond(request, body)

    def _webhook_interaction(self, request: web.Request) -> FakeInteraction:
        """The interaction behind an application webhook token, or Discord's 401 50027."""
        webhook_id = self._snowflake(request, "webhook_id")
        inter = self.fake.interactions_by_token.get(request.match_info["webhook_token"])
        if inter is None or webhook_id != self.fake.application_id:
            raise DiscordError(401, 50027, "Invalid Webhook Token", kind="webhook_token", detail="unknown token")
        if inter.ack is None:
            raise DiscordError(
                401, 50027, "Invalid Webhook Token", kind="webhook_token", detail="interaction was never acknowledged"
            )
        if inter.ack.type == 8:
            raise DiscordError(
                401, 50027, "Invalid Webhook Token", kind="webhook_token", detail="autocomplete tokens take no webhooks"
            )
        if inter.token_expired:
            raise DiscordError(
                401, 50027, "Invalid Webhook Token", kind="token_expired", detail=f"token is {inter.age_s:.0f}s old"
            )
        return inter

    def _webhook_message(self, request: web.Request, inter: FakeInteraction) -> FakeMessage:
        message_id = request.match_info.get("message_id")
        if message_id is None:  # @original
            msg = inter.original
        else:
            msg = next((m for m in inter.followups if str(m.id) == message_id), None)
            if msg is None and inter.original is not None and str(inter.original.id) == message_id:
                msg = inter.original
        if msg is None or msg.deleted:
            raise DiscordError(404, 10008, "Unknown Message", kind="unknown_message")
        return msg

    async def _recorded(
        self,
        request: web.Request,
        inter: FakeInteraction,
        kind: str,
        action: Callable[[ResponseRecord], Awaitable[Any]],
    ) -> web.StreamResponse:
        record = ResponseRecord(kind=kind, status=0, at=request[RAW].received_at + self.fake.clock.offset)
        inter.responses.append(record)
        try:
            response = await action(record)
        except DiscordError as error:
            record.status, record.error_code = error.status, error.code
            await self.fake._notify()
            raise
        record.status = response.status
        await self.fake._notify()
        return response

    async def execute_webhook(self, request: web.Request) -> web.StreamResponse:
        inter = self._webhook_interaction(request)

        async def action(record: ResponseRecord) -> web.StreamResponse:
            payload, files = self._payload(request)
            record.body = payload
            self._validate(request, payload)
            self._check_files(files, inter.attachment_size_limit)
            self._check_message(payload, files, creating=True)
            original = inter.original
            deferred = inter.ack is not None and inter.ack.type == 5
            if deferred and original is not None and original.loading and not original.deleted:
                # After a deferred response, the first follow-up replaces the "thinking" message.
                msg = original
                self._apply(msg, payload, files, editing=False)
                msg.flags &= ~FLAG_LOADING
                self.fake._message_updated(msg)
            else:
                flags = (payload.get("flags") or 0) & _SENDABLE_FLAGS
                msg = self.fake._new_interaction_message(inter, flags=flags, followup=True)
                self._apply(msg, payload, files, editing=False)
                self.fake._store_message(msg)
            inter.followups.append(msg)
            record.message, record.files = msg, list(msg.attachments)
            if request.query.get("wait", "").lower() in ("1", "true"):
                return self._message_out(request, msg)
            return web.Response(status=204)

        return await self._recorded(request, inter, "followup", action)

    async def get_webhook_message(self, request: web.Request) -> web.StreamResponse:
        inter = self._webhook_interaction(request)

        async def action(record: ResponseRecord) -> web.StreamResponse:
            record.message = self._webhook_message(request, inter)
            return self._message_out(request, record.message)

        return await self._recorded(request, inter, "fetch", action)

    async def edit_webhook_message(self, request: web.Request) -> web.StreamResponse:
        inter = self._webhook_interaction(request)

        async def action(record: ResponseRecord) -> web.StreamResponse:
            msg = self._webhook_message(request, inter)
            payload, files = self._payload(request)
            record.body = payload
            self._validate(request, payload)
            self._check_files(files, inter.attachment_size_limit)
            self._check_message(payload or {}, files, creating=False)
            self._apply(msg, payload or {}, files, editing=True)
            msg.flags &= ~FLAG_LOADING
            self.fake._message_updated(msg)
            record.message, record.files = msg, list(msg.attachments)
            return self._message_out(request, msg)

        return await self._recorded(request, inter, "edit", action)

    async def delete_webhook_message(self, request: web.Request) -> web.StreamResponse:
        inter = self._webhook_interaction(request)

        async def action(record: ResponseRecord) -> web.StreamResponse:
            msg = self._webhook_message(request, inter)
            record.message = msg
            self.fake._message_deleted(msg)
            return web.Response(status=204)

        return await self._recorded(request, inter, "delete", action)

    # ---------------------------------------------------------------- channels

    def _channel(self, request: web.Request) -> Any:
        found = self.fake.channels.get(self._snowflake(request, "channel_id"))
        if found is None:
            raise DiscordError(404, 10003, "Unknown Channel", kind="unknown_channel")
        return found

    def _channel_message(self, request: web.Request) -> FakeMessage:
        channel = self._channel(request)
        msg = self.fake.messages_by_id.get(self._snowflake(request, "message_id"))
        if msg is None or msg.deleted or msg.ephemeral or msg.channel_id != channel.id:
            raise DiscordError(404, 10008, "Unknown Message", kind="unknown_message")
        return msg

    async def get_channel(self, request: web.Request) -> web.Response:
        return self._respond(request, payloads.channel(self._channel(request)))

    async def list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        limit = min(int(request.query.get("limit", "50")), 100)
        before = int(request.query.get("before", 0)) or None
        after = int(request.query.get("after", 0)) or None
        found = [
            m
            for m in self.fake.messages_in(channel)
            if (before is None or m.id < before) and (after is None or m.id > after) and not m.ephemeral
        ]
        found.sort(key=lambda m: m.id, reverse=True)
        return self._respond(request, [payloads.message(self.fake, m) for m in found[:limit]])

    async def create_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        payload, files = self._payload(request)
        self._check_files(files, self.fake.attachment_size_limit)
        self._validate(request, payload)
        self._check_message(payload, files, creating=True)
        nonce = payload.get("nonce")
        if payload.get("enforce_nonce") and nonce is not None and nonce in self.fake.nonces:
            return self._message_out(request, self.fake.nonces[nonce])
        reference = self._reference(channel.id, payload.get("message_reference"))
        msg = FakeMessage(
            id=new_snowflake(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=self.fake.bot_user,
            flags=(payload.get("flags") or 0) & _SENDABLE_FLAGS & ~FLAG_EPHEMERAL,
            type=payloads.MESSAGE_REPLY if reference else payloads.MESSAGE_DEFAULT,
            message_reference=reference,
            nonce=nonce,
        )
        self._apply(msg, payload, files, editing=False)
        if nonce is not None:
            self.fake.nonces[nonce] = msg
        self.fake._store_message(msg)
        await self.fake._notify()
        return self._message_out(request, msg)

    def _reference(self, channel_id: int, reference: dict[str, Any] | None) -> dict[str, Any] | None:
        if not reference:
            return None
        target = self.fake.messages_by_id.get(int(reference["message_id"]))
        target_channel = int(reference.get("channel_id") or channel_id)
        if target is None or target.deleted or target.ephemeral or target.channel_id != target_channel:
            if reference.get("fail_if_not_exists") is False:
                return None
            raise invalid_form_body(
                ("message_reference",),
                "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                "Unknown message",
                kind="unknown_reference",
            )
        result = {
            "type": reference.get("type") or 0,
            "channel_id": str(target.channel_id),
            "message_id": str(target.id),
        }
        if target.guild_id is not None:
            result["guild_id"] = str(target.guild_id)
        return result

    async def get_message(self, request: web.Request) -> web.Response:
        return self._message_out(request, self._channel_message(request))

    async def edit_message(self, request: web.Request) -> web.Response:
        msg = self._channel_message(request)
        if msg.author.id != self.fake.bot_user.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user", kind="edit_foreign")
        payload, files = self._payload(request)
        self._check_files(files, self.fake.attachment_size_limit)
        self._validate(request, payload)
        self._check_message(payload or {}, files, creating=False)
        self._apply(msg, payload or {}, files, editing=True)
        self.fake._message_updated(msg)
        await self.fake._notify()
        return self._message_out(request, msg)

    async def delete_message(self, request: web.Request) -> web.Response:
        self.fake._message_deleted(self._channel_message(request))
        await self.fake._notify()
        return web.Response(status=204)

    def _emoji(self, request: web.Request) -> str:
        emoji = request.match_info["emoji_name"]
        name, _, emoji_id = emoji.partition(":")
        if emoji_id or not name or name.isascii():
            # The fake has no custom emoji; any ASCII-only name is not a unicode emoji.
            raise DiscordError(400, 10014, "Unknown Emoji", kind="unknown_emoji", detail=emoji)
        return emoji

    async def add_reaction(self, request: web.Request) -> web.Response:
        msg = self._channel_message(request)
        emoji = self._emoji(request)
        users = msg.reactions.setdefault(emoji, [])
        if self.fake.bot_user.id not in users:
            users.append(self.fake.bot_user.id)
            self.fake._dispatch_reaction(msg, self.fake.bot_user.id, emoji, add=True)
        await self.fake._notify()
        return web.Response(status=204)

    async def remove_reaction(self, request: web.Request) -> web.Response:
        msg = self._channel_message(request)
        emoji = self._emoji(request)
        users = msg.reactions.get(emoji, [])
        if self.fake.bot_user.id in users:
            users.remove(self.fake.bot_user.id)
            self.fake._dispatch_reaction(msg, self.fake.bot_user.id, emoji, add=False)
        await self.fake._notify()
        return web.Response(status=204)

    # ---------------------------------------------------------------- CDN

    async def serve_attachment(self, request: web.Request) -> web.StreamResponse:
        attachment = self.fake.attachments.get(int(request.match_info["attachment_id"]))
        if attachment is None or not self.fake._valid_cdn_signature(request.rel_url.raw_path, request.query):
            return web.Response(status=404, text="This content is no longer available.")
        return web.Response(body=attachment.data, content_type=attachment.content_type or "application/octet-stream")


def cdn_signature(secret: bytes, path: str, expires: str, issued: str) -> str:
    return hmac.new(secret, f"{path}|{expires}|{issued}".encode(), hashlib.sha256).hexdigest()[:32]


def _embed_chars(embed: dict[str, Any]) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "") + len((embed.get("author") or {}).get("name") or "")
    for item in embed.get("fields") or []:
        total += len(item.get("name") or "") + len(item.get("value") or "")
    return total
