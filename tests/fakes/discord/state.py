"""What the fake Discord stores: guilds, members, messages, attachments, interactions, and its records of traffic.

Plain data; ``server.py``/``rest_*.py``/``gateway.py`` mutate it and ``payloads.py`` renders it.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .mentions import Pings, pings

if TYPE_CHECKING:
    from .fake_core import FakeCore

DISCORD_EPOCH_MS = 1420070400000

# Message flags (https://discord.com/developers/docs/resources/message#message-object-message-flags).
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

# Permission bits used by the fake itself.
ADMINISTRATOR = 1 << 3
ALL_PERMISSIONS = (1 << 51) - 1
# VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS, ATTACH_FILES, READ_MESSAGE_HISTORY, ADD_REACTIONS,
# USE_EXTERNAL_EMOJIS, USE_APPLICATION_COMMANDS: what @everyone gets in a fresh server.
DEFAULT_EVERYONE_PERMISSIONS = (
    (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 6) | (1 << 18) | (1 << 31)
)

_counter = itertools.count()
_last_snowflake = 0


def new_snowflake() -> int:
    """A time-based snowflake (so discord.py's ``created_at``/``expires_at`` are meaningful), strictly increasing."""
    global _last_snowflake
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    value = (ms << 22) | ((os.getpid() & 0x1F) << 12) | (next(_counter) & 0xFFF)
    if value <= _last_snowflake:
        value = _last_snowflake + 1
    _last_snowflake = value
    return value


def snowflake_time(snowflake: int) -> datetime:
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def iso_timestamp(when: datetime | None = None) -> str:
    return (when or datetime.now(UTC)).isoformat()


class Clock:
    """The fake's time for deadlines and expiries: the event loop's clock plus an offset tests can advance.

    ``advance()`` ages every interaction and every signed CDN URL at once, without sleeping.
    """

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return asyncio.get_running_loop().time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass(eq=False)
class FakeUser:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    avatar: str | None = None
    locale: str = "en-US"  # the language of the user's Discord client: every interaction of theirs carries it

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass(eq=False)
class FakeRole:
    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False


@dataclass(eq=False)
class FakeChannel:
    id: int
    guild_id: int
    name: str
    type: int = 0
    position: int = 0
    topic: str | None = None
    nsfw: bool = False


@dataclass(eq=False)
class FakeMember:
    user: FakeUser
    guild_id: int
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso_timestamp)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def mention(self) -> str:
        return self.user.mention


@dataclass(eq=False)
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: list[FakeRole] = field(default_factory=list)
    channels: list[FakeChannel] = field(default_factory=list)
    members: dict[int, FakeMember] = field(default_factory=dict)
    locale: str = "en-US"
    bot_permissions: int = ALL_PERMISSIONS & ~ADMINISTRATOR
    joined_at: str = field(default_factory=iso_timestamp)

    @property
    def everyone(self) -> FakeRole:
        return self.roles[0]

    def role(self, name: str) -> FakeRole:
        return next(r for r in self.roles if r.name == name)

    def channel(self, name: str) -> FakeChannel:
        return next(c for c in self.channels if c.name == name)

    def permissions_for(self, member: FakeMember) -> int:
        """Guild-level permissions as Discord computes them (no channel overwrites in this fake)."""
        if member.id == self.owner_id:
            return ALL_PERMISSIONS
        value = self.everyone.permissions
        for role in self.roles:
            if role.id in member.role_ids:
                value |= role.permissions
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value


@dataclass(eq=False)
class FakeAttachment:
    """A file Discord stores: uploaded by the bot, or by a test (``FakeDiscord.upload_attachment``)."""

    id: int
    filename: str
    data: bytes
    content_type: str | None = None
    width: int | None = None
    height: int | None = None
    description: str | None = None
    title: str | None = None
    ephemeral: bool = False
    channel_id: int = 0

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(eq=False)
class FakeMessage:
    """A message as Discord keeps it. ``payload()`` (via the fake) renders the Message object."""

    id: int
    channel_id: int
    guild_id: int | None
    author: FakeUser
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[FakeAttachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    message_reference: dict[str, Any] | None = None
    nonce: str | int | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction: FakeInteraction | None = None
    interaction_is_followup: bool = False
    edited_timestamp: str | None = None
    deleted: bool = False
    edit_count: int = 0
    # emoji key ("🔁" or "name:id") -> ids of users who reacted, in order.
    reactions: dict[str, list[int]] = field(default_factory=dict)
    # What the sender allowed to ping (None: the field was left out, and every mention pings).
    allowed_mentions: dict[str, Any] | None = None

    @property
    def pings(self) -> Pings:
        """Who this message pinged (Discord's rules: `mentions.py`)."""
        return pings(self.content, self.allowed_mentions)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True while this is a deferred response's "thinking…" placeholder."""
        return bool(self.flags & FLAG_LOADING)

    @property
    def files(self) -> list[tuple[str, bytes]]:
        return [(a.filename, a.data) for a in self.attachments]

    @property
    def custom_ids(self) -> list[str]:
        """Every component ``custom_id`` on the message, depth first."""
        found: list[str] = []

        def walk(items: list[dict[str, Any]]) -> None:
            for item in items:
                if "custom_id" in item:
                    found.append(item["custom_id"])
                walk(item.get("components", []))
                if isinstance(item.get("accessory"), dict):
                    walk([item["accessory"]])

        walk(self.components)
        return found

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        def walk(items: list[dict[str, Any]]) -> dict[str, Any] | None:
            for item in items:
                if item.get("custom_id") == custom_id:
                    return item
                children = list(item.get("components", []))
                if isinstance(item.get("accessory"), dict):
                    children.append(item["accessory"])
                hit = walk(children)
                if hit is not None:
                    return hit
            return None

        return walk(self.components)


@dataclass
class RawRequest:
    """One HTTP request exactly as the bot sent it."""

    method: str
    path: str
    query_string: str
    headers: list[tuple[str, str]]
    body: bytes
    received_at: float
    status: int = 0

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class Violation:
    """A request Discord would have refused (``side="bot"``) or a fake response that broke the spec (``"fake"``)."""

    side: str
    kind: str
    method: str
    path: str
    status: int
    code: int
    message: str
    details: Any = None

    def __str__(self) -> str:
        where = f"{self.method} {self.path}"
        return f"[{self.side}:{self.kind}] {where} -> {self.status} {self.code} {self.message} {self.details or ''}"


@dataclass
class ResponseRecord:
    """What the bot did with an interaction: the callback, a follow-up, an edit, a delete or a fetch."""

    kind: str  # "callback" | "followup" | "edit" | "delete" | "fetch"
    status: int
    type: int | None = None  # callback type, for kind == "callback"
    body: dict[str, Any] | None = None  # JSON body or payload_json
    files: list[FakeAttachment] = field(default_factory=list)
    message: FakeMessage | None = None
    error_code: int | None = None
    at: float = 0.0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def data(self) -> dict[str, Any]:
        """The message-ish part of the body: ``body["data"]`` for callbacks, the body itself otherwise."""
        if self.body is None:
            return {}
        if self.kind == "callback":
            return self.body.get("data") or {}
        return self.body

    @property
    def ephemeral(self) -> bool:
        return bool((self.data.get("flags") or 0) & FLAG_EPHEMERAL)


# Interaction types.
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5


@dataclass(eq=False)
class FakeInteraction:
    """One interaction the fake dispatched, and everything the bot answered to it."""

    id: int
    token: str
    type: int
    guild: FakeGuild | None
    channel: FakeChannel | None
    user: FakeUser
    member: FakeMember | None
    data: dict[str, Any]
    attachment_size_limit: int
    fake: FakeCore = field(repr=False)
    message: FakeMessage | None = None  # the message a component was on
    source: FakeInteraction | None = None  # for a modal submit: the interaction that opened the modal
    payload: dict[str, Any] = field(default_factory=dict, repr=False)
    dispatched_at: float = 0.0  # fake clock
    dispatched_loop_time: float = 0.0  # unadjusted loop.time(), for latency
    ack: ResponseRecord | None = None
    ack_latency_s: float | None = None
    responses: list[ResponseRecord] = field(default_factory=list)
    original: FakeMessage | None = None
    followups: list[FakeMessage] = field(default_factory=list)
    autocomplete_choices: list[dict[str, Any]] | None = None
    modal: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return str(self.data.get("name") or self.data.get("custom_id") or "")

    @property
    def ephemeral(self) -> bool:
        """Whether the initial response (message or "thinking") was ephemeral."""
        return self.ack is not None and self.ack.ephemeral

    @property
    def age_s(self) -> float:
        return self.fake.clock.now() - self.dispatched_at

    @property
    def deadline_missed(self) -> bool:
        """No initial response within the deadline (whether or not the bot tried later)."""
        if self.ack is not None:
            return self.ack.at - self.dispatched_at > self.fake.response_deadline_s
        return self.age_s > self.fake.response_deadline_s

    @property
    def token_expired(self) -> bool:
        return self.age_s > self.fake.token_lifetime_s

    def age(self, seconds: float) -> None:
        """Pretend this interaction was dispatched ``seconds`` earlier (deadline and token life follow)."""
        self.dispatched_at -= seconds

    async def wait_for(self, predicate: Callable[[FakeInteraction], Any], *, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        return await self.fake.wait_for(lambda: predicate(self), timeout=timeout, what=f"{self!r}")

    async def wait_for_ack(self, *, timeout: float | None = None) -> ResponseRecord:  # noqa: ASYNC109
        """The accepted initial response (callback). Fails the test if none arrives."""
        return await self.wait_for(lambda i: i.ack, timeout=timeout)

    async def wait_for_followup(self, index: int = 0, *, timeout: float | None = None) -> FakeMessage:  # noqa: ASYNC109
        """The ``index``-th follow-up message (the first one after a defer is the replaced original)."""
        return await self.wait_for(lambda i: len(i.followups) > index and i.followups[index], timeout=timeout)

    async def wait_for_original(
        self,
        predicate: Callable[[FakeMessage], Any] | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> FakeMessage:
        """The original response once it is no longer "thinking" (or once ``predicate`` holds)."""
        check = predicate or (lambda m: not m.loading)
        return await self.wait_for(
            lambda i: i.original is not None and check(i.original) and i.original, timeout=timeout
        )

    def __repr__(self) -> str:
        return f"<FakeInteraction id={self.id} type={self.type} name={self.name!r} acked={self.ack is not None}>"
