"""`[discord] proxy`: Discord's REST API, its gateway and the attachment downloads from its CDN all go through it,
in a real `python -m bot` process; the image API does not (it has `[ideogram] proxy`)."""

from __future__ import annotations

import asyncio
import base64
import signal
from pathlib import Path
from urllib.parse import urlsplit

from tests.e2e.conftest import World
from tests.e2e.proxy import VIA, ForwardingProxy
from tests.e2e.support import IMAGE
from tests.e2e.test_process import start, write_config


async def test_rest_gateway_and_cdn_traffic_to_discord_pass_through_the_discord_proxy(
    world: World, tmp_path: Path
) -> None:
    proxy = ForwardingProxy()
    async with proxy.running(user="bot", password="proxy-pass") as url:
        config = write_config(world, tmp_path, tmp_path / "bot.sqlite3")
        config.write_text(config.read_text().replace("[discord]\n", f'[discord]\nproxy = "{url}"\n', 1))
        process = await start(config, tmp_path)
        try:
            await world.discord.wait_until_connected(timeout=30)
            interaction = await world.slash("remix", prompt="through the proxy", image=world.upload(IMAGE.data))
            result = await world.result(interaction)
            assert len(result.attachments) == 1
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "proxy-pass" not in log

    discord = urlsplit(world.discord.base_url).netloc
    carried = [request for request in proxy.requests if urlsplit(request.target).netloc == discord]
    paths = [request.path for request in carried]
    assert "/api/v10/users/@me" in paths  # REST: the login
    assert any(p.startswith("/api/v10/interactions/") for p in paths)  # REST: the interaction callback
    assert any(p.startswith("/cdn/attachments/") for p in paths)  # CDN: the member's image, read by the bot
    gateway = [r for r in carried if r.headers.get("upgrade", "").lower() == "websocket"]
    assert [urlsplit(r.target).path for r in gateway] == ["/gateway"]  # the websocket, once
    expected = "Basic " + base64.b64encode(b"bot:proxy-pass").decode()
    assert all(r.headers.get("proxy-authorization") == expected for r in carried)
    # Nothing reached the fake Discord around the proxy; the image API was not sent through it.
    assert all({k.lower(): v for k, v in raw.headers}.get("via") == VIA for raw in world.discord.raw_requests)
    assert {urlsplit(r.target).netloc for r in proxy.requests} == {discord}
