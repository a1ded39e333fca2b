"""What a test's users do: slash and context-menu commands, autocomplete, components, modals, reactions."""

from __future__ import annotations

from typing import Any

from . import payloads
from .fake_commands import SyncedCommands
from .fake_interactions import InteractionDispatch
from .state import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MODAL_SUBMIT,
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeInteraction,
    FakeMember,
    FakeMessage,
)


class UserActions(SyncedCommands, InteractionDispatch):
    """Each action returns once its event is on the wire."""

    async def slash(
        self,
        guild: FakeGuild,
        channel: FakeChannel,
        member: FakeMember,
        command: str,
        /,
        *,
        values: dict[str, Any] | None = None,
        options: list[dict[str, Any]] | None = None,
        resolved: dict[str, Any] | None = None,
        attachment_size_limit: int | None = None,
        validate: bool = True,
        **option_values: Any,
    ) -> FakeInteraction:
        """Invoke ``/command`` (``"budget set"`` for a subcommand) as ``member``; returns once dispatched.

        Option values are typed by the *synced* definition: str/int/float/bool, a ``FakeMember``/``FakeUser``
        (user), ``FakeChannel``, ``FakeRole``, or ``FakeAttachment`` (goes into ``resolved.attachments``). Like
        the Discord client, required options, choices, ranges and lengths are checked (``validate=False`` to
        skip). ``options``/``resolved`` send raw structures instead. Options named like a keyword of this
        method go in ``values``.
        """
        data = self._command_data(
            guild,
            member,
            command,
            {**(values or {}), **option_values},
            options=options,
            resolved=resolved,
            validate=validate,
        )
        inter = self._new_interaction(
            APPLICATION_COMMAND, guild, channel, member, data, attachment_size_limit=attachment_size_limit
        )
        await self._dispatch_interaction(inter)
        return inter

    async def autocomplete_interaction(
        self,
        guild: FakeGuild,
        channel: FakeChannel,
        member: FakeMember,
        command: str,
        /,
        *,
        focused: str,
        value: Any = "",
        values: dict[str, Any] | None = None,
        **option_values: Any,
    ) -> FakeInteraction:
        """Dispatch an autocomplete request (type 4) while ``member`` types ``value`` into ``focused``."""
        data = self._command_data(
            guild,
            member,
            command,
            {**(values or {}), **option_values},
            focused=(focused, value),
        )
        inter = self._new_interaction(AUTOCOMPLETE, guild, channel, member, data)
        await self._dispatch_interaction(inter)
        return inter

    async def autocomplete(
        self,
        guild: FakeGuild,
        channel: FakeChannel,
        member: FakeMember,
        command: str,
        /,
        *,
        focused: str,
        value: Any = "",
        values: dict[str, Any] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
        **option_values: Any,
    ) -> list[dict[str, Any]]:
        """The choices the bot offers (callback type 8) for ``focused`` = ``value``."""
        inter = await self.autocomplete_interaction(
            guild, channel, member, command, focused=focused, value=value, values=values, **option_values
        )
        await inter.wait_for_ack(timeout=timeout)
        return list(inter.autocomplete_choices or [])

    async def message_command(
        self,
        guild: FakeGuild,
        channel: FakeChannel,
        member: FakeMember,
        name: str,
        target: FakeMessage,
        *,
        validate: bool = True,
    ) -> FakeInteraction:
        """A message context-menu command ("Apps > name") on ``target``."""
        command = self.find_command(guild, name, 3)
        if validate:
            self._check_command_permissions(guild, member, command)
        data: dict[str, Any] = {
            "id": command["id"],
            "name": name,
            "type": 3,
            "target_id": str(target.id),
            "resolved": {"messages": {str(target.id): payloads.message(self, target)}},
        }
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        inter = self._new_interaction(APPLICATION_COMMAND, guild, channel, member, data)
        await self._dispatch_interaction(inter)
        return inter

    async def user_command(
        self,
        guild: FakeGuild,
        channel: FakeChannel,
        member: FakeMember,
        name: str,
        target: FakeMember,
        *,
        validate: bool = True,
    ) -> FakeInteraction:
        """A user context-menu command on ``target``."""
        command = self.find_command(guild, name, 2)
        if validate:
            self._check_command_permissions(guild, member, command)
        resolved: dict[str, Any] = {}
        self._resolve_user(guild, target, resolved)
        data: dict[str, Any] = {
            "id": command["id"],
            "name": name,
            "type": 2,
            "target_id": str(target.id),
            "resolved": resolved,
        }
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        inter = self._new_interaction(APPLICATION_COMMAND, guild, channel, member, data)
        await self._dispatch_interaction(inter)
        return inter

    async def click(self, message: FakeMessage, member: FakeMember, custom_id: str) -> FakeInteraction:
        """``member`` presses the button ``custom_id`` on ``message``."""
        component = self._component(message, custom_id)
        if component.get("type") != 2:
            raise ValueError(f"{custom_id!r} is not a button (type {component.get('type')})")
        return await self._component_interaction(message, member, {"custom_id": custom_id, "component_type": 2})

    async def select(
        self, message: FakeMessage, member: FakeMember, custom_id: str, values: list[str]
    ) -> FakeInteraction:
        """``member`` picks ``values`` in the select menu ``custom_id`` on ``message``."""
        component = self._component(message, custom_id)
        return await self._component_interaction(
            message, member, {"custom_id": custom_id, "component_type": component["type"], "values": list(values)}
        )

    async def submit_modal(
        self, source: FakeInteraction, values: dict[str, Any], member: FakeMember | None = None
    ) -> FakeInteraction:
        """Submit the modal the bot opened in answer to ``source`` (callback type 9), with typed ``values``: text
        for text inputs, a list of values for selects, a list of ``FakeAttachment`` for a file upload (Discord puts
        those in ``resolved.attachments``, with fresh CDN URLs)."""
        if source.modal is None:
            raise ValueError(f"{source!r} did not open a modal")
        member = member or source.member
        if member is None or source.guild is None:
            raise ValueError("modals are only supported in guilds")
        data: dict[str, Any] = {
            "custom_id": source.modal["custom_id"],
            "components": payloads.modal_submit_components(source.modal, values),
        }
        uploads = [a for value in values.values() if isinstance(value, list) for a in value]
        attachments = {
            str(a.id): payloads.attachment(a, self.attachment_url(a)) for a in uploads if isinstance(a, FakeAttachment)
        }
        if attachments:
            data["resolved"] = {"attachments": attachments}
        inter = self._new_interaction(MODAL_SUBMIT, source.guild, source.channel, member, data, message=source.message)
        inter.source = source
        await self._dispatch_interaction(inter)
        return inter

    async def react(self, message: FakeMessage, member: FakeMember, emoji: str) -> None:
        """``member`` adds ``emoji`` (unicode, or ``name:id``) to ``message``: MESSAGE_REACTION_ADD."""
        users = message.reactions.setdefault(emoji, [])
        if member.id not in users:
            users.append(member.id)
        await self._await_delivery(self._dispatch_reaction(message, member.id, emoji, add=True), "reaction")

    async def unreact(self, message: FakeMessage, member: FakeMember, emoji: str) -> None:
        users = message.reactions.get(emoji, [])
        if member.id in users:
            users.remove(member.id)
        await self._await_delivery(self._dispatch_reaction(message, member.id, emoji, add=False), "reaction removal")
