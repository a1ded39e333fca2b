"""Building the world a test needs: guilds, channels, roles, members, uploaded files and users' messages."""

from __future__ import annotations

import io
import mimetypes
import warnings
from collections.abc import Iterable
from typing import Any

from PIL import Image

from . import payloads
from .fake_core import FakeCore
from .schema import load_spec
from .state import (
    DEFAULT_EVERYONE_PERMISSIONS,
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
    new_snowflake,
)

_IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


def _check_locale(locale: str) -> None:
    """Only the locales Discord's spec lists (``AvailableLocalesEnum``): a typo would silently mean English."""
    known = [choice["const"] for choice in load_spec().component("AvailableLocalesEnum")["oneOf"]]
    if locale not in known:
        raise ValueError(f"{locale!r} is not a Discord locale; one of {known}")


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


class WorldBuilding(FakeCore):
    """Guilds, channels, roles and members; announced to a connected bot as Discord would."""

    def add_guild(
        self,
        name: str = "Test Server",
        *,
        owner: FakeUser | str | None = None,
        locale: str = "en-US",
        everyone_permissions: Any = DEFAULT_EVERYONE_PERMISSIONS,
        bot_permissions: Any = None,
        shard: int | None = None,
    ) -> FakeGuild:
        """A server with an @everyone role, the bot and its owner as members. Announced if a bot is connected.

        `shard`: give it an id that puts it on that shard of `shard_count` (`(guild_id >> 22) % shard_count`).
        ``locale`` is the server's preferred locale (interactions' ``guild_locale``), one of Discord's locales."""
        _check_locale(locale)
        guild_id = new_snowflake()
        if shard is not None:
            if not 0 <= shard < self.shard_count:
                raise ValueError(f"shard {shard} is not one of the fake's {self.shard_count} shards")
            while (guild_id >> 22) % self.shard_count != shard:  # the shard moves on with each millisecond
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
        self._dispatch("GUILD_CREATE", payloads.guild_create(guild), guild_id=guild.id)
        return guild

    def add_channel(
        self, guild: FakeGuild, name: str = "general", *, type: int = 0, topic: str | None = None
    ) -> FakeChannel:
        channel = FakeChannel(
            id=new_snowflake(), guild_id=guild.id, name=name, type=type, position=len(guild.channels), topic=topic
        )
        guild.channels.append(channel)
        self.channels[channel.id] = channel
        self._dispatch("CHANNEL_CREATE", payloads.channel(channel), guild_id=guild.id)
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
        locale: str | None = None,
    ) -> FakeMember:
        """A member with ``roles``. ``permissions`` (e.g. MANAGE_GUILD) come, as on Discord, from a role: one
        made for this member, so discord.py's ``guild_permissions`` and the interaction's resolved permissions
        agree. ``locale`` sets the user's client language (interactions' ``locale``; default ``en-US``)."""
        user = self._user(username)
        if locale is not None:
            _check_locale(locale)
            user.locale = locale
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
