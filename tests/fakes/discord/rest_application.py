"""Routes for the bot user, the application, the gateway URL, members, and syncing application commands."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import payloads
from .rest_base import RestBase
from .rest_wire import DiscordError, invalid_form_body
from .state import new_snowflake


class ApplicationRoutes(RestBase):
    """Users, the application, the gateway URL, members, and command syncs."""

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
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": self.fake.max_concurrency}
        body = {"url": self.fake.gateway_url, "shards": self.fake.shard_count, "session_start_limit": limit}
        return self._respond(request, body)

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
