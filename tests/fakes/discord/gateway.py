"""The gateway websocket: HELLO, heartbeats, IDENTIFY -> READY + GUILD_CREATE, RESUME, and event dispatch.

Sharding as Discord does it: IDENTIFY may carry `shard: [shard_id, num_shards]`, and a session then receives only
the events of guilds with `(guild_id >> 22) % num_shards == shard_id` (events outside guilds go to shard 0).

Frames go out as TEXT (discord.py only inflates binary frames, so no zlib is needed). Every outgoing frame passes
through one queue per connection, so events keep their order and sequence numbers even when they are produced by
synchronous test helpers (``add_channel``) and REST handlers at the same time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import payloads

if TYPE_CHECKING:
    from .fake import FakeDiscord

log = logging.getLogger(__name__)

# Opcodes.
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE = 0, 1, 2, 3, 4
RESUME, RECONNECT, REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11

# Intents.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

# Which intent a session needs to receive an event (guild events only; None = always sent).
EVENT_INTENTS: dict[str, int | None] = {
    "READY": None,
    "RESUMED": None,
    "INTERACTION_CREATE": None,
    "GUILD_CREATE": GUILDS,
    "CHANNEL_CREATE": GUILDS,
    "GUILD_ROLE_CREATE": GUILDS,
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
    "GUILD_MEMBERS_CHUNK": None,
    "MESSAGE_CREATE": GUILD_MESSAGES,
    "MESSAGE_UPDATE": GUILD_MESSAGES,
    "MESSAGE_DELETE": GUILD_MESSAGES,
    "MESSAGE_REACTION_ADD": GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE": GUILD_MESSAGE_REACTIONS,
}

# Close codes after which Discord does not allow a RESUME.
_NOT_RESUMABLE = {1000, 1001, 4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014}
# Events kept for a dropped session; beyond this it can no longer be resumed (like Discord's resume window).
MAX_BACKLOG = 1000
INVALID_SHARD, SHARDING_REQUIRED = 4010, 4011


def shard_of(guild_id: int | None, shard_count: int) -> int:
    """The shard that receives a guild's events (Discord's formula); events outside guilds go to shard 0."""
    return 0 if guild_id is None else (guild_id >> 22) % shard_count


def parse_shard(value: Any) -> tuple[int, int] | None:
    """IDENTIFY's optional `shard`: `[shard_id, num_shards]` with 0 <= shard_id < num_shards (None = invalid)."""
    if value is None:
        return (0, 1)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(part, int) and not isinstance(part, bool) for part in value)
    ):
        return None
    shard_id, count = value
    return (shard_id, count) if 0 <= shard_id < count else None


@dataclass
class GatewayFrame:
    """A frame the client sent (IDENTIFY carries the token: tests looking for leaks skip that field)."""

    session_id: str | None
    text: str


class GatewayConnection:
    """One websocket. Frames are written by a single task, in order."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self._queue: asyncio.Queue[tuple[dict[str, Any], asyncio.Future[bool], Callable[[], None] | None]] = (
            asyncio.Queue()
        )
        self._writer = asyncio.create_task(self._write_loop())
        self.closing_code: int | None = None
        self.finished = asyncio.Event()  # set once the server side of this connection is fully torn down

    def enqueue(self, frame: dict[str, Any], on_sent: Callable[[], None] | None = None) -> asyncio.Future[bool]:
        """Queue a frame; the future resolves to True once written, False if the socket went away first."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((frame, future, on_sent))
        return future

    async def _write_loop(self) -> None:
        while True:
            frame, future, on_sent = await self._queue.get()
            if on_sent is not None:
                on_sent()
            try:
                await self.ws.send_str(json.dumps(frame))
            except (ConnectionError, RuntimeError):
                future.set_result(False)
            else:
                future.set_result(True)

    async def close(self, code: int) -> None:
        if self.closing_code is None:
            self.closing_code = code
        await self.ws.close(code=code)

    async def stop(self) -> None:
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
        while not self._queue.empty():
            _, future, _ = self._queue.get_nowait()
            if not future.done():
                future.set_result(False)


@dataclass(eq=False)
class GatewaySession:
    """A Discord gateway session: survives a dropped connection until RESUMEd (or invalidated)."""

    session_id: str
    intents: int
    identify: dict[str, Any]
    shard: tuple[int, int] = (0, 1)  # (shard_id, num_shards) from IDENTIFY
    seq: int = 0
    connection: GatewayConnection | None = None
    resumable: bool = True
    resumes: int = 0
    backlog: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[str, int | None]] = field(default_factory=list)  # (event, guild id) of each dispatch

    @property
    def connected(self) -> bool:
        return self.connection is not None

    def wants(self, event: str) -> bool:
        needed = EVENT_INTENTS.get(event)
        return needed is None or bool(self.intents & needed)

    def covers(self, guild_id: int | None) -> bool:
        """Whether this session's shard receives the events of `guild_id` (None: events outside guilds)."""
        shard_id, count = self.shard
        return shard_of(guild_id, count) == shard_id

    def send_event(
        self, event: str, data: dict[str, Any], on_sent: Callable[[], None] | None = None
    ) -> asyncio.Future[bool] | None:
        self.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": self.seq, "d": data}
        guild = data.get("id") if event == "GUILD_CREATE" else data.get("guild_id")
        self.events.append((event, None if guild is None else int(guild)))
        if self.connection is None:
            self.backlog.append(frame)
            if len(self.backlog) > MAX_BACKLOG:
                self.resumable = False
                self.backlog.clear()
            return None
        return self.connection.enqueue(frame, on_sent)


class GatewayServer:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.connections: set[GatewayConnection] = set()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        connection = GatewayConnection(ws)
        self.connections.add(connection)
        connection.enqueue({"op": HELLO, "d": {"heartbeat_interval": self.fake.heartbeat_interval_ms}})
        session: GatewaySession | None = None
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    await connection.close(4002)  # decode error: we only speak JSON text
                    break
                self.fake.gateway_frames.append(GatewayFrame(session.session_id if session else None, msg.data))
                frame = json.loads(msg.data)
                session = await self._on_frame(connection, session, frame) or session
        finally:
            self.connections.discard(connection)
            await connection.stop()
            if session is not None and session.connection is connection:
                session.connection = None
                code = connection.closing_code if connection.closing_code is not None else ws.close_code
                session.resumable = code not in _NOT_RESUMABLE
            connection.finished.set()
            await self.fake._notify()
        return ws

    async def _on_frame(
        self, connection: GatewayConnection, session: GatewaySession | None, frame: dict[str, Any]
    ) -> GatewaySession | None:
        op, data = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            connection.enqueue({"op": HEARTBEAT_ACK})
        elif op in (IDENTIFY, RESUME) and session is not None:
            await connection.close(4005)  # already authenticated
        elif op == IDENTIFY:
            return await self._identify(connection, data)
        elif op == RESUME:
            return await self._resume(connection, data)
        elif op == REQUEST_MEMBERS and session is not None:
            self._send_member_chunk(session, data)
        elif op in (PRESENCE, VOICE):
            pass
        else:
            await connection.close(4001)  # unknown opcode
        return None

    async def _identify(self, connection: GatewayConnection, data: dict[str, Any]) -> GatewaySession | None:
        if data.get("token") not in (self.fake.token, f"Bot {self.fake.token}"):
            await connection.close(4004)  # authentication failed
            return None
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~self.fake.privileged_intents:
            await connection.close(4014)  # disallowed intents (discord.py: PrivilegedIntentsRequired)
            return None
        shard = parse_shard(data.get("shard"))
        if shard is None:
            await connection.close(INVALID_SHARD)
            return None
        guilds = [g for g in self.fake.guilds.values() if shard_of(g.id, shard[1]) == shard[0]]
        if len(guilds) > self.fake.max_guilds_per_shard:
            await connection.close(SHARDING_REQUIRED)
            return None
        session = GatewaySession(session_id=secrets.token_hex(16), intents=intents, identify=data, shard=shard)
        session.connection = connection
        self.fake.sessions.append(session)
        session.send_event("READY", payloads.ready(self.fake, session.session_id, guilds, data.get("shard")))
        for guild in guilds:
            if session.wants("GUILD_CREATE"):
                session.send_event("GUILD_CREATE", payloads.guild_create(guild))
        await self.fake._notify()
        return session

    async def _resume(self, connection: GatewayConnection, data: dict[str, Any]) -> GatewaySession | None:
        session = next((s for s in self.fake.sessions if s.session_id == data.get("session_id")), None)
        if (
            session is None
            or session.connected
            or not session.resumable
            or data.get("token") not in (self.fake.token, f"Bot {self.fake.token}")
        ):
            connection.enqueue({"op": INVALID_SESSION, "d": False})
            return None
        session.connection = connection
        session.resumes += 1
        last_seen = int(data.get("seq") or 0)
        for frame in session.backlog:
            if frame["s"] > last_seen:
                connection.enqueue(frame)
        session.backlog.clear()
        session.send_event("RESUMED", {})
        await self.fake._notify()
        return session

    def _send_member_chunk(self, session: GatewaySession, data: dict[str, Any]) -> None:
        guild = self.fake.guilds.get(int(data["guild_id"]))
        members = list(guild.members.values()) if guild is not None else []
        chunk: dict[str, Any] = {
            "guild_id": str(data["guild_id"]),
            "members": [payloads.member(m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        session.send_event("GUILD_MEMBERS_CHUNK", chunk)

    async def close_all(self, code: int) -> None:
        """Close every connection and wait until each is torn down (clients may reconnect right after)."""
        closing = list(self.connections)
        for connection in closing:
            await connection.close(code)
        for connection in closing:
            await connection.finished.wait()
