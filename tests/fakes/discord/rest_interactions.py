"""Interaction callbacks (the initial response) and the interaction webhooks (follow-ups, @original)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import payloads
from .rest_messages import SENDABLE_FLAGS, MessageRules
from .rest_wire import RAW, DiscordError, UploadedFile, invalid_form_body
from .state import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    FakeInteraction,
    FakeMessage,
    RawRequest,
    ResponseRecord,
)

# Which callback types Discord accepts for each interaction type.
_ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {4, 5, 9},
    MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}


class InteractionRoutes(MessageRules):
    """The initial response to an interaction, then its token's webhooks; each one is also a ``ResponseRecord``."""

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
            flags = (data.get("flags") or 0) & (SENDABLE_FLAGS if callback_type == 4 else FLAG_EPHEMERAL)
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
                flags = (payload.get("flags") or 0) & SENDABLE_FLAGS
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
