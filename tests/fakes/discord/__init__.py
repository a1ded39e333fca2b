"""A fake Discord (REST + gateway + CDN on 127.0.0.1) that the real, unmodified discord.py client talks to.

Start with ``FakeDiscord`` and ``run_bot``; see ``tests/fakes/test_fake_discord.py`` for every feature in use.
"""

from .fake import FakeDiscord
from .gateway import GatewayFrame, GatewaySession
from .harness import pointed_at, run_bot
from .schema import OpenApiSpec, SchemaError, load_spec
from .state import (
    ALL_PERMISSIONS,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
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
    ResponseRecord,
    Violation,
)

__all__ = [
    "ALL_PERMISSIONS",
    "FLAG_EPHEMERAL",
    "FLAG_LOADING",
    "Clock",
    "FakeAttachment",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeMessage",
    "FakeRole",
    "FakeUser",
    "GatewayFrame",
    "GatewaySession",
    "OpenApiSpec",
    "RawRequest",
    "ResponseRecord",
    "SchemaError",
    "Violation",
    "load_spec",
    "pointed_at",
    "run_bot",
]
