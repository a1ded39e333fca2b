"""``FakeCore``: what every part of ``FakeDiscord`` shares: settings, the world's state, URLs, waiting for
changes, and sending gateway events.

``FakeDiscord`` (``fake.py``) is this plus the mixins of ``fake_*.py``; ``payloads`` and ``FakeInteraction`` need
only this core.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web

from . import payloads
from .gateway import GatewayFrame, GatewaySession
from .schema import OpenApiSpec, load_spec
from .state import (
    Clock,
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeInteraction,
    FakeMessage,
    FakeUser,
    RawRequest,
    Violation,
    new_snowflake,
)


def cdn_signature(secret: bytes, path: str, expires: str, issued: str) -> str:
    return hmac.new(secret, f"{path}|{expires}|{issued}".encode(), hashlib.sha256).hexdigest()[:32]


class FakeCore:
    """Settings and state of the fake, and the plumbing the REST API, the gateway and the mixins all use."""

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
        shard_count: int = 1,
        max_concurrency: int = 1,
        max_guilds_per_shard: int = 2500,
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
        # Sharding: the count `GET /gateway/bot` recommends, its session_start_limit.max_concurrency, and the
        # most guilds one session may hold before IDENTIFY is refused with 4011 "Sharding required".
        self.shard_count = shard_count
        self.max_concurrency = max_concurrency
        self.max_guilds_per_shard = max_guilds_per_shard
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
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---------------------------------------------------------------- URLs

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

    # ---------------------------------------------------------------- waiting for changes

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

    # ---------------------------------------------------------------- internals used by server/gateway

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _dispatch(
        self,
        event: str,
        data: dict[str, Any] | Callable[[GatewaySession], dict[str, Any]],
        on_sent: Callable[[], None] | None = None,
        *,
        guild_id: int | None = None,
    ) -> list[asyncio.Future[bool]]:
        """Send an event to every session subscribed to it whose shard holds `guild_id` (default: the data's
        `guild_id`); events for a dropped, resumable session are kept for its RESUME."""
        if guild_id is None and isinstance(data, dict) and data.get("guild_id") is not None:
            guild_id = int(data["guild_id"])
        futures = []
        for session in self.sessions:
            if not session.wants(event) or not (session.connected or session.resumable):
                continue
            if not session.covers(guild_id):
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
            self._dispatch("MESSAGE_CREATE", lambda s: self._gateway_message(s, msg), guild_id=msg.guild_id)

    def _message_updated(self, msg: FakeMessage) -> None:
        if not msg.ephemeral and not msg.deleted:
            self._dispatch("MESSAGE_UPDATE", lambda s: self._gateway_message(s, msg), guild_id=msg.guild_id)

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
