"""The REST half of the fake: Discord's HTTP API (the routes discord.py uses for this bot) and the CDN.

Every request is recorded byte for byte before anything else happens. A request Discord would refuse gets
Discord's error body *and* a :class:`~.state.Violation`, so a bot that swallows the ``HTTPException`` still fails
the suite's ``assert fake.violations == []``.

The routes live by family in ``rest_application.py``, ``rest_interactions.py`` and ``rest_channels.py``, on top of
``rest_messages.py`` (rules for every message) and ``rest_base.py`` (recording, auth, errors); ``rest_wire.py``
parses bodies and renders Discord's errors.
"""

from __future__ import annotations

import functools

from aiohttp import web

from .rest_application import ApplicationRoutes
from .rest_channels import ChannelRoutes
from .rest_interactions import InteractionRoutes
from .rest_wire import API_PREFIX

# (method, OpenAPI path template, handler name, needs "Authorization: Bot <token>").
# Order matters where aiohttp could match two templates: "@original" and "@me" come first.
ROUTES: list[tuple[str, str, str, bool]] = [
    ("GET", "/users/@me", "get_current_user", True),
    ("GET", "/users/{user_id}", "get_user", True),
    ("GET", "/oauth2/applications/@me", "get_application", True),
    ("GET", "/gateway", "get_gateway", False),
    ("GET", "/gateway/bot", "get_gateway_bot", True),
    ("GET", "/applications/{application_id}/commands", "get_commands", True),
    ("PUT", "/applications/{application_id}/commands", "put_commands", True),
    ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", "get_commands", True),
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", "put_commands", True),
    ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", "interaction_callback", False),
    ("POST", "/webhooks/{webhook_id}/{webhook_token}", "execute_webhook", False),
    ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", "get_webhook_message", False),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", "edit_webhook_message", False),
    ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", "delete_webhook_message", False),
    ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", "get_webhook_message", False),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", "edit_webhook_message", False),
    ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", "delete_webhook_message", False),
    ("GET", "/channels/{channel_id}", "get_channel", True),
    ("GET", "/channels/{channel_id}/messages", "list_messages", True),
    ("POST", "/channels/{channel_id}/messages", "create_message", True),
    ("GET", "/channels/{channel_id}/messages/{message_id}", "get_message", True),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}", "edit_message", True),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}", "delete_message", True),
    ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me", "add_reaction", True),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me", "remove_reaction", True),
    ("GET", "/guilds/{guild_id}/members/{user_id}", "get_member", True),
]


class RestApi(ApplicationRoutes, InteractionRoutes, ChannelRoutes):
    """Discord's HTTP API and CDN, one route family per base class."""

    def add_routes(self, app: web.Application) -> None:
        for method, template, name, auth in ROUTES:
            handler = functools.partial(self._call, handler=getattr(self, name), template=template, auth=auth)
            app.router.add_route(method, API_PREFIX + template, handler)
        app.router.add_get("/cdn/attachments/{channel_id}/{attachment_id}/{filename}", self.serve_attachment)

    # ---------------------------------------------------------------- CDN

    async def serve_attachment(self, request: web.Request) -> web.StreamResponse:
        attachment = self.fake.attachments.get(int(request.match_info["attachment_id"]))
        if attachment is None or not self.fake._valid_cdn_signature(request.rel_url.raw_path, request.query):
            return web.Response(status=404, text="This content is no longer available.")
        return web.Response(body=attachment.data, content_type=attachment.content_type or "application/octet-stream")
