"""The one set of payload factories: every object the fake sends (REST bodies and gateway events) is built here.

discord.py indexes some keys without ``.get`` (``member.flags``, ``attachment_size_limit``, reaction ``type``…), and
a ``KeyError`` inside a gateway parser kills ``Client.start()``. Keeping the shapes in one place, checked against
the OpenAPI schemas in ``test_fake_discord.py``, is what stops that from happening in the end-to-end suite.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .state import (
    APPLICATION_COMMAND,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeInteraction,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
    iso_timestamp,
    snowflake_time,
)

if TYPE_CHECKING:
    from .fake_core import FakeCore

# Message types (https://discord.com/developers/docs/resources/message#message-object-message-types).
MESSAGE_DEFAULT, MESSAGE_REPLY, MESSAGE_CHAT_INPUT_COMMAND, MESSAGE_CONTEXT_MENU_COMMAND = 0, 19, 20, 23


def user(u: FakeUser) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(u.id),
        "username": u.username,
        "avatar": u.avatar,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "global_name": u.global_name,
        "primary_guild": None,
    }
    if u.bot:
        payload["bot"] = True
    return payload


def current_user(u: FakeUser) -> dict[str, Any]:
    """``GET /users/@me``."""
    return {**user(u), "mfa_enabled": False, "locale": "en-US", "verified": True, "email": None}


def role(r: FakeRole) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "name": r.name,
        "permissions": str(r.permissions),
        "position": r.position,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "managed": False,
        "mentionable": r.mentionable,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }


def channel(c: FakeChannel) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "type": c.type,
        "flags": 0,
        "guild_id": str(c.guild_id),
        "name": c.name,
        "position": c.position,
        "parent_id": None,
        "topic": c.topic,
        "nsfw": c.nsfw,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "permission_overwrites": [],
    }


def member(
    m: FakeMember, *, guild: FakeGuild | None = None, with_user: bool = True, with_permissions: bool = False
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "avatar": None,
        "banner": None,
        "communication_disabled_until": None,
        "flags": 0,
        "joined_at": m.joined_at,
        "nick": m.nick,
        "pending": False,
        "premium_since": None,
        "roles": [str(r) for r in m.role_ids],
        "mute": False,
        "deaf": False,
    }
    if with_user:
        payload["user"] = user(m.user)
    if with_permissions:
        if guild is None:
            raise ValueError("permissions need the guild")
        payload["permissions"] = str(guild.permissions_for(m))
    return payload


def guild_create(g: FakeGuild) -> dict[str, Any]:
    """The GUILD_CREATE payload: a GuildResponse plus the gateway-only keys."""
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "description": None,
        "home_header": None,
        "splash": None,
        "discovery_splash": None,
        "features": [],
        "banner": None,
        "owner_id": str(g.owner_id),
        "application_id": None,
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "roles": [role(r) for r in g.roles],
        "default_message_notifications": 0,
        "mfa_level": 0,
        "explicit_content_filter": 0,
        "max_presences": None,
        "max_members": 500000,
        "max_stage_video_channel_users": 50,
        "max_video_channel_users": 25,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": g.locale,
        "rules_channel_id": None,
        "safety_alerts_channel_id": None,
        "public_updates_channel_id": None,
        "premium_progress_bar_enabled": False,
        "nsfw": False,
        "nsfw_level": 0,
        "emojis": [],
        "stickers": [],
        "incidents_data": None,
        # Gateway-only keys.
        "joined_at": g.joined_at,
        "large": False,
        "unavailable": False,
        "member_count": len(g.members),
        "members": [member(m) for m in g.members.values()],
        "channels": [channel(c) for c in g.channels],
        "threads": [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "lazy": True,
    }


def attachment(a: FakeAttachment, url: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(a.id),
        "filename": a.filename,
        "size": a.size,
        "url": url,
        "proxy_url": url,
        "flags": 0,
    }
    optional = {
        "content_type": a.content_type,
        "width": a.width,
        "height": a.height,
        "description": a.description,
        "title": a.title,
    }
    payload.update({k: v for k, v in optional.items() if v is not None})
    if a.ephemeral:
        payload["ephemeral"] = True
    return payload


def _components_response(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Discord echoes components with a numeric ``id`` on each one (assigned depth first when missing), and a
    unicode emoji as ``{"name": ...}``: the ``"id": null`` that discord.py sends for one is not echoed."""
    result = copy.deepcopy(components)
    used = set()

    def collect(items: list[dict[str, Any]]) -> None:
        for item in items:
            if isinstance(item.get("id"), int):
                used.add(item["id"])
            collect(item.get("components", []))

    collect(result)
    counter = iter(n for n in range(1, 10_000) if n not in used)

    def assign(items: list[dict[str, Any]]) -> None:
        for item in items:
            if not isinstance(item.get("id"), int):
                item["id"] = next(counter)
            emoji = item.get("emoji")
            if isinstance(emoji, dict) and emoji.get("id") is None:
                emoji.pop("id", None)
            assign(item.get("components", []))
            if isinstance(item.get("accessory"), dict):
                assign([item["accessory"]])

    assign(result)
    return result


def _embed_response(embed: dict[str, Any], attachments: dict[str, dict[str, Any]]) -> dict[str, Any]:
    result = copy.deepcopy(embed)
    result.setdefault("type", "rich")
    for key in ("image", "thumbnail"):
        media = result.get(key)
        if isinstance(media, dict) and str(media.get("url", "")).startswith("attachment://"):
            found = attachments.get(media["url"].removeprefix("attachment://"))
            if found is not None:
                media.update(url=found["url"], proxy_url=found["proxy_url"])
                media.update({k: found[k] for k in ("width", "height", "content_type") if k in found})
    return result


def _interaction_metadata(inter: FakeInteraction, msg: FakeMessage | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "id": str(inter.id),
        "type": inter.type,
        "user": user(inter.user),
        "authorizing_integration_owners": _integration_owners(inter.guild),
    }
    if msg is not None and msg.interaction_is_followup and inter.original is not None:
        metadata["original_response_message_id"] = str(inter.original.id)
    if inter.type == APPLICATION_COMMAND:
        metadata["name"] = inter.data.get("name")
        metadata["command_type"] = inter.data.get("type", 1)
        if "target_id" in inter.data and inter.data.get("type") == 3:
            metadata["target_message_id"] = inter.data["target_id"]
    elif inter.type == MESSAGE_COMPONENT and inter.message is not None:
        metadata["interacted_message_id"] = str(inter.message.id)
    elif inter.type == MODAL_SUBMIT and inter.source is not None:
        metadata["triggering_interaction_metadata"] = _interaction_metadata(inter.source, None)
    return metadata


def message(fake: FakeCore, msg: FakeMessage, *, with_referenced: bool = True) -> dict[str, Any]:
    """A full Message object (REST shape; ``gateway_message`` adds the gateway keys)."""
    attachments = [attachment(a, fake.attachment_url(a)) for a in msg.attachments]
    by_filename = {a["filename"]: a for a in attachments}
    pinged = msg.pings
    mentioned = [fake.users.get(uid) for uid in pinged.users]
    if pinged.replied_user and msg.message_reference is not None:
        replied = fake.messages_by_id.get(int(msg.message_reference["message_id"]))
        if replied is not None and replied.author.id not in pinged.users:
            mentioned.append(replied.author)
    payload: dict[str, Any] = {
        "id": str(msg.id),
        "channel_id": str(msg.channel_id),
        "type": msg.type,
        "content": msg.content,
        "author": user(msg.author),
        "mentions": [user(u) for u in mentioned if u is not None],
        "mention_roles": [str(role) for role in pinged.roles],
        "mention_everyone": pinged.everyone,
        "attachments": attachments,
        "embeds": [_embed_response(e, by_filename) for e in msg.embeds],
        "components": _components_response(msg.components),
        "timestamp": iso_timestamp(snowflake_time(msg.id)),
        "edited_timestamp": msg.edited_timestamp,
        "flags": msg.flags,
        "pinned": False,
        "tts": False,
    }
    if msg.webhook_id is not None:
        payload["webhook_id"] = str(msg.webhook_id)
    if msg.application_id is not None:
        payload["application_id"] = str(msg.application_id)
    if msg.nonce is not None:
        payload["nonce"] = msg.nonce
    if msg.interaction is not None:
        payload["interaction_metadata"] = _interaction_metadata(msg.interaction, msg)
    if msg.message_reference is not None:
        payload["message_reference"] = msg.message_reference
        if with_referenced:
            referenced = fake.messages_by_id.get(int(msg.message_reference["message_id"]))
            payload["referenced_message"] = (
                message(fake, referenced, with_referenced=False)
                if referenced is not None and not referenced.deleted
                else None
            )
    if msg.reactions:
        payload["reactions"] = [
            {
                "emoji": _emoji(key),
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "burst_colors": [],
                "me_burst": False,
                "me": fake.bot_user.id in users,
            }
            for key, users in msg.reactions.items()
            if users
        ]
    return payload


def gateway_message(fake: FakeCore, msg: FakeMessage, *, redact_content: bool = False) -> dict[str, Any]:
    """MESSAGE_CREATE/UPDATE: the Message plus ``guild_id`` and the author's ``member`` (guild messages)."""
    payload = message(fake, msg)
    if redact_content:
        # Without the MESSAGE_CONTENT intent Discord blanks these for messages that do not mention the bot.
        payload.update(content="", embeds=[], attachments=[], components=[])
    if msg.guild_id is not None:
        payload["guild_id"] = str(msg.guild_id)
        guild = fake.guilds.get(msg.guild_id)
        author = guild.members.get(msg.author.id) if guild is not None else None
        if author is not None and msg.webhook_id is None:
            payload["member"] = member(author, with_user=False)
    return payload


def _emoji(key: str) -> dict[str, Any]:
    name, _, emoji_id = key.partition(":")
    return {"id": emoji_id or None, "name": name}


def reaction_event(fake: FakeCore, msg: FakeMessage, user_id: int, emoji_key: str, *, add: bool) -> dict[str, Any]:
    """MESSAGE_REACTION_ADD / _REMOVE. ``type`` is mandatory for discord.py (KeyError otherwise)."""
    payload: dict[str, Any] = {
        "user_id": str(user_id),
        "channel_id": str(msg.channel_id),
        "message_id": str(msg.id),
        "emoji": _emoji(emoji_key),
        "burst": False,
        "type": 0,
    }
    if msg.guild_id is not None:
        payload["guild_id"] = str(msg.guild_id)
    if add:
        payload["message_author_id"] = str(msg.author.id)
        payload["burst_colors"] = []
        guild = fake.guilds.get(msg.guild_id) if msg.guild_id is not None else None
        reactor = guild.members.get(user_id) if guild is not None else None
        if reactor is not None:
            payload["member"] = member(reactor)
    return payload


def _integration_owners(guild: FakeGuild | None) -> dict[str, str]:
    # "0" = GUILD_INSTALL (owner is the guild), "1" = USER_INSTALL.
    return {"0": str(guild.id)} if guild is not None else {}


def interaction(fake: FakeCore, inter: FakeInteraction) -> dict[str, Any]:
    """INTERACTION_CREATE with every key discord.py 2.7 reads (see the reference doc, section 2.7)."""
    payload: dict[str, Any] = {
        "id": str(inter.id),
        "application_id": str(fake.application_id),
        "type": inter.type,
        "token": inter.token,
        "version": 1,
        "locale": inter.user.locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "authorizing_integration_owners": _integration_owners(inter.guild),
        "context": 0 if inter.guild is not None else 1,
        "attachment_size_limit": inter.attachment_size_limit,
        "data": inter.data,
    }
    if inter.guild is not None:
        assert inter.member is not None
        payload["guild_id"] = str(inter.guild.id)
        payload["guild"] = {"id": str(inter.guild.id), "locale": inter.guild.locale, "features": []}
        payload["guild_locale"] = inter.guild.locale
        payload["member"] = member(inter.member, guild=inter.guild, with_permissions=True)
        payload["app_permissions"] = str(inter.guild.bot_permissions)
    else:
        payload["user"] = user(inter.user)
        payload["app_permissions"] = str(inter.fake.dm_app_permissions)
    if inter.channel is not None:
        payload["channel_id"] = str(inter.channel.id)
        payload["channel"] = channel(inter.channel)
    if inter.message is not None:
        payload["message"] = message(fake, inter.message)
    return payload


def interaction_callback_response(
    inter: FakeInteraction, callback_type: int, msg: FakeMessage | None, fake: FakeCore
) -> dict[str, Any]:
    """The 200 body of ``POST /interactions/{id}/{token}/callback?with_response=1``."""
    info: dict[str, Any] = {"id": str(inter.id), "type": inter.type}
    if msg is not None:
        info["response_message_id"] = str(msg.id)
        info["response_message_loading"] = msg.loading
        info["response_message_ephemeral"] = msg.ephemeral
    body: dict[str, Any] = {"interaction": info}
    # The spec's resource union only has message-carrying types 4 and 7 (and 12, activities).
    if msg is not None and callback_type in (4, 7):
        body["resource"] = {"type": callback_type, "message": message(fake, msg)}
    return body


def application(fake: FakeCore) -> dict[str, Any]:
    """``GET /oauth2/applications/@me``."""
    return {
        "id": str(fake.application_id),
        "name": fake.bot_user.username,
        "icon": None,
        "description": "",
        "type": None,
        "bot": user(fake.bot_user),
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "flags_new": "0",
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "owner": user(fake.owner_user),
        "approximate_guild_count": len(fake.guilds),
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "team": None,
        "eligible_oauth2_scopes": ["applications.commands", "bot"],
        "integration_types_config": {"0": {}},
    }


def application_command(
    request: dict[str, Any], *, command_id: int, application_id: int, version: int, guild_id: int | None
) -> dict[str, Any]:
    """Echo of one command from a bulk overwrite, as Discord stores it."""
    command: dict[str, Any] = {
        "id": str(command_id),
        "application_id": str(application_id),
        "version": str(version),
        "type": request.get("type") or 1,
        "name": request["name"],
        "description": request.get("description") or "",
        "default_member_permissions": (
            None if request.get("default_member_permissions") is None else str(request["default_member_permissions"])
        ),
        "nsfw": bool(request.get("nsfw", False)),
        "integration_types": request.get("integration_types") or [0],
        "contexts": request.get("contexts"),
    }
    for key in ("name_localizations", "description_localizations"):
        if request.get(key) is not None:
            command[key] = request[key]
    if guild_id is not None:
        command["guild_id"] = str(guild_id)
    else:
        command["dm_permission"] = request.get("dm_permission", True) is not False
    if request.get("options"):
        command["options"] = [_command_option(o) for o in request["options"]]
    return command


def _command_option(option: dict[str, Any]) -> dict[str, Any]:
    result = {k: v for k, v in option.items() if v is not None}
    if "options" in result:
        result["options"] = [_command_option(o) for o in result["options"]]
    if result.get("required") is False:
        del result["required"]  # Discord omits false
    return result


def ready(fake: FakeCore, session_id: str, guilds: list[FakeGuild], shard: list[int] | None) -> dict[str, Any]:
    """READY for a session that receives `guilds`; `shard` is echoed as Discord does when IDENTIFY had one."""
    data: dict[str, Any] = {
        "v": 10,
        "user": {**user(fake.bot_user), "verified": True, "mfa_enabled": False, "email": None, "flags": 0},
        "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": fake.gateway_url,
        "application": {"id": str(fake.application_id), "flags": 0},
        "private_channels": [],
        "relationships": [],
        "user_settings": {},
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
        "auth_session_id_hash": "",
        "_trace": ['["fake-discord",{"micros":0}]'],
    }
    if shard is not None:
        data["shard"] = shard
    return data


def modal_submit_components(modal: dict[str, Any], values: dict[str, Any]) -> list[dict[str, Any]]:
    """Mirror the layout of a modal the bot sent, filling in the values a user typed (text, select values, or
    uploaded `FakeAttachment`s for a file upload)."""

    def fill(component: dict[str, Any]) -> dict[str, Any] | None:
        kind = component.get("type")
        if kind == 1:  # action row
            children = [c for c in (fill(child) for child in component.get("components", [])) if c is not None]
            return {"type": 1, "id": component.get("id", 0), "components": children}
        if kind == 18:  # label wrapping one component
            inner = fill(component["component"])
            return {"type": 18, "id": component.get("id", 0), "component": inner} if inner else None
        if kind == 4:  # text input
            custom_id = component["custom_id"]
            return {"type": 4, "id": component.get("id", 0), "custom_id": custom_id, "value": values.get(custom_id, "")}
        if kind in (3, 5, 6, 7, 8):  # selects
            custom_id = component["custom_id"]
            chosen = values.get(custom_id, [])
            return {"type": kind, "id": component.get("id", 0), "custom_id": custom_id, "values": list(chosen)}
        if kind == 19:  # file upload: the uploaded attachments' ids (their data goes into `resolved`)
            custom_id = component["custom_id"]
            ids = [str(a.id) for a in values.get(custom_id, [])]
            return {"type": 19, "id": component.get("id", 0), "custom_id": custom_id, "values": ids}
        return None

    filled = [fill(c) for c in _components_response(modal.get("components", []))]
    return [c for c in filled if c is not None]


__all__ = [
    "MESSAGE_CHAT_INPUT_COMMAND",
    "MESSAGE_CONTEXT_MENU_COMMAND",
    "MESSAGE_DEFAULT",
    "MESSAGE_REPLY",
    "MODAL_SUBMIT",
    "application",
    "application_command",
    "attachment",
    "channel",
    "current_user",
    "gateway_message",
    "guild_create",
    "interaction",
    "interaction_callback_response",
    "member",
    "message",
    "modal_submit_components",
    "reaction_event",
    "ready",
    "role",
    "user",
]
