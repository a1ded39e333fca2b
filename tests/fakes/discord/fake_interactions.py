"""Creating interactions and dispatching them (INTERACTION_CREATE) to the connected bot."""

from __future__ import annotations

import secrets
from typing import Any

from . import payloads
from .fake_core import FakeCore
from .state import (
    APPLICATION_COMMAND,
    MESSAGE_COMPONENT,
    FakeChannel,
    FakeGuild,
    FakeInteraction,
    FakeMember,
    FakeMessage,
    new_snowflake,
)


class InteractionDispatch(FakeCore):
    """New interactions, the messages that answer them, and their delivery."""

    def _new_interaction_message(self, inter: FakeInteraction, *, flags: int, followup: bool = False) -> FakeMessage:
        if inter.type == APPLICATION_COMMAND:
            kind = (
                payloads.MESSAGE_CHAT_INPUT_COMMAND
                if inter.data.get("type", 1) == 1
                else payloads.MESSAGE_CONTEXT_MENU_COMMAND
            )
        else:
            kind = payloads.MESSAGE_DEFAULT
        assert inter.channel is not None
        return FakeMessage(
            id=new_snowflake(),
            channel_id=inter.channel.id,
            guild_id=inter.guild.id if inter.guild is not None else None,
            author=self.bot_user,
            flags=flags,
            type=kind,
            webhook_id=self.application_id,
            application_id=self.application_id,
            interaction=inter,
            interaction_is_followup=followup,
        )

    def _new_interaction(
        self,
        kind: int,
        guild: FakeGuild,
        channel: FakeChannel | None,
        member: FakeMember,
        data: dict[str, Any],
        *,
        attachment_size_limit: int | None = None,
        message: FakeMessage | None = None,
    ) -> FakeInteraction:
        if channel is not None and channel.guild_id != guild.id:
            raise ValueError(f"channel {channel.name!r} is not in guild {guild.name!r}")
        if guild.members.get(member.id) is not member:
            raise ValueError(f"{member.user.username!r} is not a member of {guild.name!r}")
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        inter = FakeInteraction(
            id=new_snowflake(),
            token=token,
            type=kind,
            guild=guild,
            channel=channel,
            user=member.user,
            member=member,
            data=data,
            attachment_size_limit=attachment_size_limit or self.attachment_size_limit,
            fake=self,
            message=message,
        )
        inter.payload = payloads.interaction(self, inter)
        self.interactions[inter.id] = inter
        self.interactions_by_token[token] = inter
        return inter

    async def _dispatch_interaction(self, inter: FakeInteraction) -> None:
        await self.wait_until_connected()

        def sent() -> None:
            if not inter.dispatched_loop_time:
                inter.dispatched_loop_time = self.loop_time()
                inter.dispatched_at = inter.dispatched_loop_time + self.clock.offset

        await self._await_delivery(self._dispatch("INTERACTION_CREATE", inter.payload, sent), "interaction")

    async def _component_interaction(
        self, message: FakeMessage, member: FakeMember, data: dict[str, Any]
    ) -> FakeInteraction:
        if message.deleted:
            raise ValueError("the message was deleted")
        guild = self.guilds[message.guild_id] if message.guild_id is not None else None
        if guild is None:
            raise ValueError("component interactions outside guilds are not supported by the fake")
        channel = self.channels.get(message.channel_id)
        inter = self._new_interaction(MESSAGE_COMPONENT, guild, channel, member, data, message=message)
        await self._dispatch_interaction(inter)
        return inter

    @staticmethod
    def _component(message: FakeMessage, custom_id: str) -> dict[str, Any]:
        component = message.find_component(custom_id)
        if component is None:
            raise ValueError(f"no component {custom_id!r} on message {message.id}; it has {message.custom_ids}")
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled: a user cannot use it")
        return component
