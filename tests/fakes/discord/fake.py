"""``FakeDiscord``: the test-facing API of the fake (set up guilds, drive users, wait for and inspect results).

The class is assembled from parts: ``fake_core.py`` (settings, state, URLs, waiting, gateway events),
``fake_world.py`` (guilds, members, files), ``fake_commands.py`` (synced commands, option values),
``fake_interactions.py`` (dispatching interactions), ``fake_actions.py`` (users acting) and ``fake_inspect.py``
(reading results back). This file adds the servers it runs, its lifecycle and injected faults.
"""

from __future__ import annotations

from functools import cached_property

from aiohttp import web

from .fake_actions import UserActions
from .fake_inspect import Inspection
from .fake_world import WorldBuilding
from .gateway import GatewayServer
from .rest_wire import InjectedError
from .server import RestApi


class FakeDiscord(UserActions, WorldBuilding, Inspection):
    """A local Discord (REST + gateway + CDN) for the real discord.py client.

    Point discord.py at it with ``discord.http.Route.BASE = fake.api_base_url`` and
    ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)`` (``run_bot`` does both).
    """

    # Created on first use: the servers need the whole FakeDiscord, not just the ``FakeCore`` that ``__init__`` builds.
    @cached_property
    def _rest(self) -> RestApi:
        return RestApi(self)

    @cached_property
    def _gateway(self) -> GatewayServer:
        return GatewayServer(self)

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
