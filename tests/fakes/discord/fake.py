"""``FakeDiscord``: the test-facing API of the fake (set up guilds, drive users, wait for and inspect results)."""

from __future__ import annotations

import asyncio
import io
import json
import mimetypes
import secrets
import time
import warnings
from collections.abc import Callable, Iterable
from enum import IntEnum
from typing import Any
from urllib.parse import quote

from aiohttp import web
from PIL import Image

from . import payloads
from .gateway import GatewayFrame, GatewayServer, GatewaySession
from .schema import OpenApiSpec, load_spec
from .server import InjectedError, RestApi, cdn_signature
from .state import (
    ALL_PERMISSIONS,
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    DEFAULT_EVERYONE_PERMISSIONS,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    Clock,
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeInteraction,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
    RawRequest,
    Violation,
    new_snowflake,
)


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


_IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


def _permission_bits(value: Any) -> int:
    """An int, or anything with an int ``.value`` (``discord.Permissions(manage_guild=True)``)."""
    return int(getattr(value, "value", value) or 0)


def _sniff(data: bytes, filename: str) -> tuple[str | None, int | None, int | None]:
    """Content type and dimensions, from the bytes (as Discord does; uploads arrive as octet-stream)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format in _IMAGE_TYPES:
                    return _IMAGE_TYPES[image.format], image.width, image.height
    except (OSError, ValueError, Image.DecompressionBombError):
        pass
    guessed, _ = mimetypes.guess_type(filename)
    return guessed, None, None


class FakeDiscord:
    """A local Discord (REST + gateway + CDN) for the real discord.py client.

    Point discord.py at it with ``discord.http.Route.BASE = fake.api_base_url`` and
    ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)`` (``run_bot`` does both).
    """

    def __init__(
        self,
        token: str = "fake-bot-token",
        *,
        attachment_size_limit: int = 10 * 1024 * 1024,
        response_deadline_s: float = 3.0,
        token_lifetime_s: float = 15 * 60,
        attachment_url_ttl_s: float = 24 * 3600,
        heartbeat_interval_ms: int = 41_250,
        privileged_intents: int = 0,
        bot_name: str = "Ideogram",
        response_checks_per_route: int = 25,
        wait_timeout_s: float = 10.0,
    ) -> None:
        self.token = token
        self.attachment_size_limit = attachment_size_limit
        self.response_deadline_s = response_deadline_s
        self.token_lifetime_s = token_lifetime_s
        self.attachment_url_ttl_s = attachment_url_ttl_s
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.privileged_intents = privileged_intents
        # The fake's own responses come from the same factories every time, so checking the first few of each
        # route proves them; checking all would cost ~3 ms each and distort the bot's latency benchmarks.
        self.response_checks_per_route = response_checks_per_route
        self.wait_timeout_s = wait_timeout_s
        self.dm_app_permissions = 0
        self.clock = Clock()
        self.spec: OpenApiSpec = load_spec()

        self.application_id = new_snowflake()
        self.bot_user = FakeUser(id=self.application_id, username=bot_name, global_name=None, bot=True)
        self.owner_user = FakeUser(id=new_snowflake(), username="app-owner", global_name="App Owner")
        self.users: dict[int, FakeUser] = {u.id: u for u in (self.bot_user, self.owner_user)}
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.messages_by_id: dict[int, FakeMessage] = {}
        self.attachments: dict[int, FakeAttachment] = {}
        self.nonces: dict[str | int, FakeMessage] = {}
        # Synced application commands by scope (None = global), as Discord echoed them.
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.sync_log: list[tuple[int | None, list[str]]] = []
        self.interactions: dict[int, FakeInteraction] = {}
        self.interactions_by_token: dict[str, FakeInteraction] = {}

        self.raw_requests: list[RawRequest] = []
        self.gateway_frames: list[GatewayFrame] = []
        self.violations: list[Violation] = []
        self.sessions: list[GatewaySession] = []

        self._changed = asyncio.Condition()
        self._watched: list[asyncio.Task[Any]] = []
        self._notifiers: set[asyncio.Task[None]] = set()
        self._cdn_secret = secrets.token_bytes(16)
        self._rest = RestApi(self)
        self._gateway = GatewayServer(self)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._rest.middleware], client_max_size=256 * 1024 * 1024)
        self._rest.add_routes(app)
        app.router.add_get("/gateway", self._gateway.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        await self._gateway.close_all(1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        """For ``discord.http.Route.BASE`` / ``[discord] api_base_url``."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """For ``DiscordWebSocket.DEFAULT_GATEWAY`` / ``[discord] gateway_url`` (also READY's resume URL)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    @staticmethod
    def loop_time() -> float:
        return asyncio.get_running_loop().time()

    # ---------------------------------------------------------------- building the world

    def add_guild(
        self,
        name: str = "Test Server",
        *,
        owner: FakeUser | str | None = None,
        locale: str = "en-US",
        everyone_permissions: Any = DEFAULT_EVERYONE_PERMISSIONS,
        bot_permissions: Any = None,
    ) -> FakeGuild:
        """A server with an @everyone role, the bot and its owner as members. Announced if a bot is connected."""
        guild_id = new_snowflake()
        owner_user = self._user(owner or f"{name.lower().replace(' ', '-')}-owner")
        guild = FakeGuild(id=guild_id, name=name, owner_id=owner_user.id, locale=locale)
        guild.roles.append(
            FakeRole(
                id=guild_id, guild_id=guild_id, name="@everyone", permissions=_permission_bits(everyone_permissions)
            )
        )
        if bot_permissions is not None:
            guild.bot_permissions = _permission_bits(bot_permissions)
        guild.members[self.bot_user.id] = FakeMember(user=self.bot_user, guild_id=guild_id)
        guild.members[owner_user.id] = FakeMember(user=owner_user, guild_id=guild_id)
        self.guilds[guild_id] = guild
        self._dispatch("GUILD_CREATE", payloads.guild_create(guild))
        return guild

    def add_channel(
        self, guild: FakeGuild, name: str = "general", *, type: int = 0, topic: str | None = None
    ) -> FakeChannel:
        channel = FakeChannel(
            id=new_snowflake(), guild_id=guild.id, name=name, type=type, position=len(guild.channels), topic=topic
        )
        guild.channels.append(channel)
        self.channels[channel.id] = channel
        self._dispatch("CHANNEL_CREATE", payloads.channel(channel))
        return channel

    def add_role(self, guild: FakeGuild, name: str, permissions: Any = 0, *, color: int = 0) -> FakeRole:
        role = FakeRole(
            id=new_snowflake(),
            guild_id=guild.id,
            name=name,
            permissions=_permission_bits(permissions),
            position=len(guild.roles),
            color=color,
        )
        guild.roles.append(role)
        self._dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": payloads.role(role)})
        return role

    def add_member(
        self,
        guild: FakeGuild,
        username: str | FakeUser = "member",
        *,
        roles: Iterable[FakeRole] = (),
        permissions: Any = 0,
        nick: str | None = None,
    ) -> FakeMember:
        """A member with ``roles``. ``permissions`` (e.g. MANAGE_GUILD) come, as on Discord, from a role: one
        made for this member, so discord.py's ``guild_permissions`` and the interaction's resolved permissions
        agree."""
        user = self._user(username)
        role_ids = [r.id for r in roles]
        if _permission_bits(permissions):
            role_ids.append(self.add_role(guild, f"{user.username} permissions", permissions).id)
        member = FakeMember(user=user, guild_id=guild.id, role_ids=role_ids, nick=nick)
        guild.members[user.id] = member
        self._dispatch("GUILD_MEMBER_ADD", {**payloads.member(member), "guild_id": str(guild.id)})
        return member

    def _user(self, user: FakeUser | str) -> FakeUser:
        if isinstance(user, FakeUser):
            return user
        created = FakeUser(id=new_snowflake(), username=user, global_name=user)
        self.users[created.id] = created
        return created

    def upload_attachment(
        self,
        filename: str,
        data: bytes,
        content_type: str | None = None,
        *,
        description: str | None = None,
    ) -> FakeAttachment:
        """A file as a user would attach it to a command option; served at ``/cdn/attachments/...``."""
        return self._new_attachment(
            filename=filename, data=data, content_type=content_type, description=description, channel_id=0
        )

    def _new_attachment(
        self,
        *,
        filename: str,
        data: bytes,
        content_type: str | None,
        description: str | None = None,
        title: str | None = None,
        channel_id: int,
    ) -> FakeAttachment:
        sniffed, width, height = _sniff(data, filename)
        attachment = FakeAttachment(
            id=new_snowflake(),
            filename=filename,
            data=data,
            content_type=content_type or sniffed,
            width=width,
            height=height,
            description=description,
            title=title,
            channel_id=channel_id,
        )
        self.attachments[attachment.id] = attachment
        return attachment

    def attachment_url(self, attachment: FakeAttachment) -> str:
        """A freshly signed CDN URL (expires after ``attachment_url_ttl_s`` on the fake clock)."""
        path = f"/cdn/attachments/{attachment.channel_id}/{attachment.id}/{quote(attachment.filename)}"
        issued = int(time.time() + self.clock.offset)
        expires = issued + int(self.attachment_url_ttl_s)
        ex, is_ = format(expires, "x"), format(issued, "x")
        signature = cdn_signature(self._cdn_secret, path, ex, is_)
        return f"{self.base_url}{path}?ex={ex}&is={is_}&hm={signature}&"

    def _valid_cdn_signature(self, raw_path: str, query: Any) -> bool:
        ex, is_, hm = query.get("ex", ""), query.get("is", ""), query.get("hm", "")
        expected = cdn_signature(self._cdn_secret, raw_path, ex, is_)
        try:
            fresh = int(ex, 16) >= time.time() + self.clock.offset
        except ValueError:
            return False
        return fresh and secrets.compare_digest(expected, hm)

    async def post_message(
        self,
        channel: FakeChannel,
        author: FakeMember,
        content: str = "",
        *,
        attachments: Iterable[FakeAttachment] = (),
        embeds: Iterable[dict[str, Any]] = (),
    ) -> FakeMessage:
        """A message a member posts in a channel (dispatched as MESSAGE_CREATE)."""
        msg = FakeMessage(
            id=new_snowflake(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author.user,
            content=content,
            embeds=list(embeds),
        )
        for attachment in attachments:
            attachment.channel_id = channel.id
            msg.attachments.append(attachment)
        self._store_message(msg)
        await self._notify()
        return msg

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

    # ---------------------------------------------------------------- driving users

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
        """Submit the modal the bot opened in answer to ``source`` (callback type 9), with typed ``values``."""
        if source.modal is None:
            raise ValueError(f"{source!r} did not open a modal")
        member = member or source.member
        if member is None or source.guild is None:
            raise ValueError("modals are only supported in guilds")
        data = {
            "custom_id": source.modal["custom_id"],
            "components": payloads.modal_submit_components(source.modal, values),
        }
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

    # ---------------------------------------------------------------- waiting and inspecting

    def watch_task(self, task: asyncio.Task[Any]) -> None:
        """Make every ``wait_for*`` fail at once if ``task`` (a running bot) dies."""
        self._watched.append(task)

        def wake(_: asyncio.Task[Any]) -> None:
            notifier = asyncio.get_running_loop().create_task(self._notify())
            self._notifiers.add(notifier)
            notifier.add_done_callback(self._notifiers.discard)

        task.add_done_callback(wake)

    def unwatch_task(self, task: asyncio.Task[Any]) -> None:
        if task in self._watched:
            self._watched.remove(task)

    def _check_watched(self) -> None:
        for task in self._watched:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise AssertionError(f"the bot task {task.get_name()!r} crashed") from task.exception()

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        what: str = "condition",
    ) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every change); return its value.

        Times out only to fail a test (``AssertionError``), never as a way to synchronise.
        """
        timeout = self.wait_timeout_s if timeout is None else timeout

        def check() -> Any:
            self._check_watched()
            return predicate()

        async with self._changed:
            try:
                async with asyncio.timeout(timeout):
                    return await self._changed.wait_for(check)
            except TimeoutError:
                recent = [f"{m.id} {m.content[:60]!r} files={len(m.attachments)}" for m in self.messages[-5:]]
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}; last messages: {recent}; "
                    f"violations: {[str(v) for v in self.violations]}"
                ) from None

    async def wait_for_message(
        self,
        predicate: Callable[[FakeMessage], Any] | None = None,
        *,
        channel: FakeChannel | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> FakeMessage:
        """The first stored message (oldest first; not deleted, not a "thinking" placeholder) matching."""

        def find() -> FakeMessage | None:
            for msg in self.messages:
                if msg.deleted or msg.loading or (channel is not None and msg.channel_id != channel.id):
                    continue
                if predicate is None or predicate(msg):
                    return msg
            return None

        return await self.wait_for(find, timeout=timeout, what="a matching message")

    async def wait_until_connected(self, *, timeout: float | None = None) -> GatewaySession:  # noqa: ASYNC109
        """A gateway session that has been sent READY (or RESUMED) and is still connected."""
        return await self.wait_for(
            lambda: next(iter(self.connected_sessions), None), timeout=timeout, what="a connected gateway session"
        )

    @property
    def connected_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions if s.connected]

    @property
    def messages(self) -> list[FakeMessage]:
        """Every message ever stored, oldest first (check ``.deleted``, ``.ephemeral``, ``.loading``)."""
        return list(self.messages_by_id.values())

    def messages_in(self, channel: FakeChannel, *, include_deleted: bool = False) -> list[FakeMessage]:
        return [m for m in self.messages if m.channel_id == channel.id and (include_deleted or not m.deleted)]

    @property
    def schema_violations(self) -> list[Violation]:
        return [v for v in self.violations if v.kind in ("schema", "response_schema")]

    def find_secret(self, secret: str) -> list[str]:
        """Every place ``secret`` appears in what the bot sent, apart from where the bot token belongs.

        Searches request paths, query strings, headers (except ``Authorization``), bodies (raw, JSON-escaped
        and URL-encoded forms) and gateway frames (except IDENTIFY/RESUME's ``token``), and stored files.
        """
        forms = {secret.encode(), json.dumps(secret)[1:-1].encode(), quote(secret, safe="").encode()}
        hits: list[str] = []

        def check(where: str, blob: bytes) -> None:
            if any(form and form in blob for form in forms):
                hits.append(where)

        for index, raw in enumerate(self.raw_requests):
            label = f"request #{index} {raw.method} {raw.path}"
            check(f"{label} path", f"{raw.path}?{raw.query_string}".encode())
            for name, value in raw.headers:
                if name.lower() != "authorization":
                    check(f"{label} header {name}", value.encode())
            check(f"{label} body", raw.body)
        for index, frame in enumerate(self.gateway_frames):
            data = json.loads(frame.text)
            if data.get("op") in (2, 6) and isinstance(data.get("d"), dict):
                data["d"] = {k: v for k, v in data["d"].items() if k != "token"}
            check(f"gateway frame #{index}", json.dumps(data, ensure_ascii=False).encode())
        for attachment in self.attachments.values():
            check(f"attachment {attachment.filename}", attachment.data)
        return hits

    # ---------------------------------------------------------------- faults and connections

    def inject_error(
        self,
        method: str,
        path_pattern: str,
        *,
        status: int = 500,
        code: int = 0,
        message: str = "",
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching requests (fnmatch on the path after ``/api/v10``) with an error.

        429s carry ``Via`` and a JSON ``retry_after`` like Discord's, so discord.py retries them. Note that
        discord.py backs off 1+2n s on 5xx, so prefer 4xx/429 in fast tests.
        """
        text = message or {429: "You are being rate limited.", 500: "500: Internal Server Error"}.get(status, "Error")
        self._rest.injected.append(InjectedError(method.upper(), path_pattern, status, code, text, retry_after, times))

    async def disconnect_clients(self, code: int = 4000) -> None:
        """Close every gateway connection with ``code``; discord.py reconnects and RESUMEs (4000) on its own.

        Returns once the old connections are gone; ``wait_until_connected()`` then waits for the new one.
        """
        await self._gateway.close_all(code)

    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every connection."""
        for session in self.connected_sessions:
            assert session.connection is not None
            session.connection.enqueue({"op": 7, "d": None})

    # ---------------------------------------------------------------- internals used by server/gateway

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _dispatch(
        self,
        event: str,
        data: dict[str, Any] | Callable[[GatewaySession], dict[str, Any]],
        on_sent: Callable[[], None] | None = None,
    ) -> list[asyncio.Future[bool]]:
        """Send an event to every session subscribed to it; events for a dropped, resumable session are kept
        for its RESUME."""
        futures = []
        for session in self.sessions:
            if not session.wants(event) or not (session.connected or session.resumable):
                continue
            future = session.send_event(event, data(session) if callable(data) else data, on_sent)
            if future is not None:
                futures.append(future)
        return futures

    async def _await_delivery(self, futures: list[asyncio.Future[bool]], what: str) -> None:
        if not futures or not any(await asyncio.gather(*futures)):
            raise AssertionError(f"no connected bot received the {what} (is the bot running, with the intent?)")

    def _store_message(self, msg: FakeMessage) -> None:
        self.messages_by_id[msg.id] = msg
        if not msg.ephemeral:
            self._dispatch("MESSAGE_CREATE", lambda s: self._gateway_message(s, msg))

    def _message_updated(self, msg: FakeMessage) -> None:
        if not msg.ephemeral and not msg.deleted:
            self._dispatch("MESSAGE_UPDATE", lambda s: self._gateway_message(s, msg))

    def _message_deleted(self, msg: FakeMessage) -> None:
        msg.deleted = True
        if not msg.ephemeral:
            data = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            if msg.guild_id is not None:
                data["guild_id"] = str(msg.guild_id)
            self._dispatch("MESSAGE_DELETE", data)

    def _gateway_message(self, session: GatewaySession, msg: FakeMessage) -> dict[str, Any]:
        from .gateway import MESSAGE_CONTENT

        mentioned = f"<@{self.bot_user.id}>" in msg.content or f"<@!{self.bot_user.id}>" in msg.content
        redact = not session.intents & MESSAGE_CONTENT and msg.author.id != self.bot_user.id and not mentioned
        return payloads.gateway_message(self, msg, redact_content=redact)

    def _dispatch_reaction(
        self, msg: FakeMessage, user_id: int, emoji: str, *, add: bool
    ) -> list[asyncio.Future[bool]]:
        event = "MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE"
        return self._dispatch(event, payloads.reaction_event(self, msg, user_id, emoji, add=add))

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

    @staticmethod
    def _component(message: FakeMessage, custom_id: str) -> dict[str, Any]:
        component = message.find_component(custom_id)
        if component is None:
            raise ValueError(f"no component {custom_id!r} on message {message.id}; it has {message.custom_ids}")
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled: a user cannot use it")
        return component

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
