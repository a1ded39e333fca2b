"""Channel routes: the channel, its messages, and the bot's reactions."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import payloads
from .rest_messages import SENDABLE_FLAGS, MessageRules
from .rest_wire import DiscordError, invalid_form_body
from .state import FLAG_EPHEMERAL, FakeMessage, new_snowflake


class ChannelRoutes(MessageRules):
    """Channels, the bot's own channel messages, and its reactions."""

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
            flags=(payload.get("flags") or 0) & SENDABLE_FLAGS & ~FLAG_EPHEMERAL,
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
