"""The commands the bot synced, and the interaction ``data`` a Discord client would build from them."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from . import payloads
from .fake_core import FakeCore
from .state import ALL_PERMISSIONS, FakeAttachment, FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser


class OptionType(IntEnum):
    """Application command option types."""

    SUB_COMMAND = 1
    SUB_COMMAND_GROUP = 2
    STRING = 3
    INTEGER = 4
    BOOLEAN = 5
    USER = 6
    CHANNEL = 7
    ROLE = 8
    MENTIONABLE = 9
    NUMBER = 10
    ATTACHMENT = 11


class SyncedCommands(FakeCore):
    """Looks commands up as a Discord client would, and types and checks option values by their definition."""

    # ---------------------------------------------------------------- synced commands

    @property
    def sync_count(self) -> int:
        """How many bulk overwrites (global or guild) the bot made."""
        return len(self.sync_log)

    def synced_commands(self, guild: FakeGuild | None = None) -> list[dict[str, Any]]:
        """The commands as last synced to ``guild`` (or globally), as Discord echoed them."""
        return list(self.commands.get(guild.id if guild is not None else None, []))

    def find_command(self, guild: FakeGuild | None, name: str, command_type: int = 1) -> dict[str, Any]:
        """What a Discord client would find: guild commands first, then global ones."""
        scopes = ([guild.id] if guild is not None else []) + [None]
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == name and command["type"] == command_type:
                    return command
        synced = {scope: [c["name"] for c in cmds] for scope, cmds in self.commands.items()}
        raise LookupError(f"command {name!r} (type {command_type}) was never synced; synced: {synced}")

    @staticmethod
    def _check_command_permissions(guild: FakeGuild, member: FakeMember, command: dict[str, Any]) -> None:
        """Discord shows a command only to members with its ``default_member_permissions`` ("0": admins only)."""
        required = command.get("default_member_permissions")
        if required is None:
            return
        needed, has = int(required), guild.permissions_for(member)
        if (has & needed) != needed or (needed == 0 and has != ALL_PERMISSIONS):
            raise PermissionError(
                f"{member.user.username!r} cannot see /{command['name']} (default_member_permissions={required}); "
                "pass validate=False to act as a server whose admins granted it in Integrations settings"
            )

    # ---------------------------------------------------------------- building command data

    def _command_data(
        self,
        guild: FakeGuild,
        member: FakeMember,
        command: str,
        values: dict[str, Any],
        *,
        options: list[dict[str, Any]] | None = None,
        resolved: dict[str, Any] | None = None,
        validate: bool = True,
        focused: tuple[str, Any] | None = None,
    ) -> dict[str, Any]:
        name, *path = command.strip().lstrip("/").split()
        declared = self.find_command(guild, name, 1)
        if validate:
            self._check_command_permissions(guild, member, declared)
        data: dict[str, Any] = {"id": declared["id"], "name": name, "type": 1}
        if "guild_id" in declared:
            data["guild_id"] = declared["guild_id"]
        built_resolved: dict[str, Any] = {}
        if options is None:
            # Walk "group sub" down the declared tree; the leaf gets the values.
            container: list[dict[str, Any]] = []
            top = container
            declared_options = declared.get("options", [])
            for part in path:
                node = next((o for o in declared_options if o["name"] == part and o["type"] in (1, 2)), None)
                if node is None:
                    raise ValueError(f"/{name} has no subcommand (group) {part!r}")
                entry: dict[str, Any] = {"name": part, "type": node["type"], "options": []}
                container.append(entry)
                container = entry["options"]
                declared_options = node.get("options", [])
            if any(o["type"] in (1, 2) for o in declared_options):
                raise ValueError(f"/{command} needs a subcommand: {[o['name'] for o in declared_options]}")
            container.extend(
                self._leaf_options(
                    guild, member, declared_options, values, resolved=built_resolved, validate=validate, focused=focused
                )
            )
            options = top
        if options:
            data["options"] = options
        resolved = resolved if resolved is not None else built_resolved
        if resolved:
            data["resolved"] = resolved
        return data

    def _leaf_options(
        self,
        guild: FakeGuild,
        member: FakeMember,
        declared: list[dict[str, Any]],
        values: dict[str, Any],
        *,
        resolved: dict[str, Any],
        validate: bool,
        focused: tuple[str, Any] | None,
    ) -> list[dict[str, Any]]:
        by_name = {o["name"]: o for o in declared}
        unknown = set(values) - set(by_name) - ({focused[0]} if focused else set())
        if unknown:
            raise ValueError(f"unknown option(s) {sorted(unknown)}; declared: {list(by_name)}")
        if focused is not None and focused[0] not in by_name:
            raise ValueError(f"cannot focus unknown option {focused[0]!r}; declared: {list(by_name)}")
        result = []
        for name, option in by_name.items():
            if focused is not None and name == focused[0]:
                result.append({"name": name, "type": option["type"], "value": focused[1], "focused": True})
                continue
            if name not in values:
                if validate and focused is None and option.get("required"):
                    raise ValueError(f"option {name!r} is required")
                continue
            value = self._option_value(guild, member, option, values[name], resolved=resolved, validate=validate)
            result.append({"name": name, "type": option["type"], "value": value})
        return result

    def _option_value(
        self,
        guild: FakeGuild,
        member: FakeMember,
        option: dict[str, Any],
        value: Any,
        *,
        resolved: dict[str, Any],
        validate: bool,
    ) -> Any:
        kind, name = option["type"], option["name"]

        def expect(condition: bool, problem: str) -> None:
            if validate and not condition:
                raise ValueError(f"option {name!r}: {problem} (got {value!r})")

        if kind == OptionType.STRING:
            expect(isinstance(value, str), "must be a str")
            expect(len(value) >= option.get("min_length", 0), f"shorter than min_length {option.get('min_length')}")
            expect(len(value) <= option.get("max_length", 6000), f"longer than max_length {option.get('max_length')}")
        elif kind in (OptionType.INTEGER, OptionType.NUMBER):
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            expect(numeric and (kind == OptionType.NUMBER or isinstance(value, int)), "wrong number type")
            if numeric:
                expect(value >= option.get("min_value", value), f"below min_value {option.get('min_value')}")
                expect(value <= option.get("max_value", value), f"above max_value {option.get('max_value')}")
        elif kind == OptionType.BOOLEAN:
            expect(isinstance(value, bool), "must be a bool")
        elif kind in (OptionType.USER, OptionType.MENTIONABLE) and isinstance(value, FakeMember | FakeUser):
            self._resolve_user(guild, value, resolved)
            return str(value.id)
        elif kind in (OptionType.ROLE, OptionType.MENTIONABLE) and isinstance(value, FakeRole):
            resolved.setdefault("roles", {})[str(value.id)] = payloads.role(value)
            return str(value.id)
        elif kind == OptionType.CHANNEL and isinstance(value, FakeChannel):
            types = option.get("channel_types")
            expect(not types or value.type in types, f"channel type not in {types}")
            channel = {**payloads.channel(value), "permissions": str(guild.permissions_for(member))}
            resolved.setdefault("channels", {})[str(value.id)] = channel
            return str(value.id)
        elif kind == OptionType.ATTACHMENT and isinstance(value, FakeAttachment):
            resolved.setdefault("attachments", {})[str(value.id)] = payloads.attachment(
                value, self.attachment_url(value)
            )
            return str(value.id)
        else:
            expect(False, f"cannot convert to option type {kind}")
        if option.get("choices"):
            expect(value in [c["value"] for c in option["choices"]], f"not one of the choices {option['choices']}")
        return value

    def _resolve_user(self, guild: FakeGuild, target: FakeMember | FakeUser, resolved: dict[str, Any]) -> None:
        user = target.user if isinstance(target, FakeMember) else target
        resolved.setdefault("users", {})[str(user.id)] = payloads.user(user)
        found = guild.members.get(user.id)
        if found is not None:
            resolved.setdefault("members", {})[str(user.id)] = payloads.member(
                found, guild=guild, with_user=False, with_permissions=True
            )
