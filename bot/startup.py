"""Reaching Discord at start-up, within a time limit, and saying plainly what could not be reached.

`connect` replaces `Client.start`: it logs in (the REST API must answer within `[discord] connect_timeout_s`),
then opens the gateway (READY within the same limit), logs one line saying who the bot is, keeps the heartbeat
file fresh while connected, and returns when the bot closes. What cannot be reached becomes one `Unreachable`
line naming it and the likely fix; `python -m bot` prints it and exits with code 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import time
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp
import discord
from discord.ext import commands

from bot.config import DiscordSettings
from bot.health import heartbeat_path

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S: Final = 30.0

CONNECTION_FAILED: Final = "cannot reach Discord's {what} at {where} ({reason}); {fix}"
NO_ANSWER: Final = (
    "Discord's {what} at {where} did not answer within {seconds:g} s; {fix} ([discord] connect_timeout_s sets the wait)"
)
FIX_DIRECT: Final = (
    "check the network, set [discord] proxy if Discord is blocked where the bot runs (mainland China needs one), "
    "and check [discord] {key}"
)
FIX_PROXY: Final = "check that the proxy {proxy} ([discord] proxy) is running and can reach Discord"


# What the bot needs in a channel: see it, post results and notices (also in threads), with embeds and files, and
# reply to or fetch the message a member reacted to. The README's invite link carries this integer.
INVITE_PERMISSIONS: Final = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
)
INVITE_URL: Final = (
    "https://discord.com/oauth2/authorize?client_id={client_id}&scope=bot+applications.commands"
    "&permissions={permissions}"
)
NOT_IN_ANY_SERVER: Final = "the bot is in no server yet; invite it with %s"


def invite_url(client_id: int) -> str:
    return INVITE_URL.format(client_id=client_id, permissions=INVITE_PERMISSIONS.value)


class Unreachable(Exception):
    """Discord (or the database) could not be reached at start-up: one line naming what, and the likely fix."""


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def _fix(settings: DiscordSettings, key: str) -> str:
    if settings.proxy:
        return FIX_PROXY.format(proxy=_host(settings.proxy))  # the host only: the URL may hold a password
    return FIX_DIRECT.format(key=key)


def _reason(error: BaseException) -> str:
    """A short cause: 'connection refused', 'name not resolved', the proxy's status, ..."""
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        return "the name could not be resolved"
    if isinstance(error, aiohttp.ClientHttpProxyError):
        return f"the proxy answered {error.status} {error.message}"
    if isinstance(error, aiohttp.ClientConnectorError):
        error = error.os_error
    if isinstance(error, OSError) and (error.errno or error.strerror):
        return (os.strerror(error.errno) if error.errno else str(error.strerror)).lower()
    return str(error) or type(error).__name__


# discord.py logs each failed gateway attempt with a traceback: `Client.connect` and, sharded, `launch_shard`.
_RETRYING_LOGGERS: Final = ("discord.client", "discord.shard")


class _GatewayErrors(logging.Filter):
    """While the first gateway connection is attempted, discord.py's retry tracebacks are kept, not logged: the
    one line start-up ends with, if it fails, names the last of them."""

    def __init__(self, settled: asyncio.Event) -> None:
        super().__init__()
        self.last: BaseException | None = None
        self.refused = False
        self._settled = settled

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            self.last = record.exc_info[1]
            # Nothing listens there: a sharded client would retry for ever, so start-up says so at once.
            if isinstance(self.last, aiohttp.ClientConnectorError | ConnectionRefusedError):
                self.refused = True
                self._settled.set()
            return False
        return True


async def connect(bot: commands.AutoShardedBot, token: str, settings: DiscordSettings, reached: asyncio.Event) -> None:
    """Log in and open the gateway, each within `connect_timeout_s`; then run until the bot closes.

    `reached` is set by the bot's `setup_hook`, which discord.py runs once the REST API has answered: the time
    limit covers reaching Discord, not the command sync that follows.
    """
    stale = heartbeat_path()
    if stale is not None:  # a heartbeat from before a restart must not make a bot that is still connecting healthy
        with contextlib.suppress(OSError):
            stale.unlink(missing_ok=True)
    await _log_in(bot, token, settings, reached)
    gateway = await _open_gateway(bot, settings)
    serving = asyncio.create_task(_serve(bot), name="heartbeat")
    try:
        await gateway
    finally:
        serving.cancel()


async def _log_in(bot: commands.AutoShardedBot, token: str, settings: DiscordSettings, reached: asyncio.Event) -> None:
    timeout = settings.connect_timeout_s
    where, fix = _host(settings.api_base_url), _fix(settings, "api_base_url")
    login = asyncio.create_task(bot.login(token), name="discord-login")
    try:
        await _within(login, reached, timeout)
    except TimeoutError:
        raise Unreachable(NO_ANSWER.format(what="API", where=where, seconds=timeout, fix=fix)) from None
    except (aiohttp.ClientError, OSError) as exc:
        raise Unreachable(CONNECTION_FAILED.format(what="API", where=where, reason=_reason(exc), fix=fix)) from None
    except discord.HTTPException as exc:  # something answered, but not as Discord would
        reason = f"it answered HTTP {exc.status}"
        raise Unreachable(CONNECTION_FAILED.format(what="API", where=where, reason=reason, fix=fix)) from None
    await login  # the command sync, after Discord answered: no time limit


async def _open_gateway(bot: commands.AutoShardedBot, settings: DiscordSettings) -> asyncio.Task[None]:
    """The gateway task, once READY arrived (within `connect_timeout_s`)."""
    timeout = settings.connect_timeout_s
    where, fix = _host(settings.gateway_url), _fix(settings, "gateway_url")
    connected = asyncio.Event()
    bot.add_listener(_set_on(connected), "on_connect")
    errors = _GatewayErrors(settled=connected)
    for name in _RETRYING_LOGGERS:
        logging.getLogger(name).addFilter(errors)
    gateway = asyncio.create_task(bot.connect(reconnect=True), name="discord-gateway")
    try:
        try:
            await _within(gateway, connected, timeout)
        except TimeoutError:
            cause = f" (last error: {_reason(errors.last)})" if errors.last else ""
            raise Unreachable(
                NO_ANSWER.format(what="gateway", where=where, seconds=timeout, fix=f"{fix}{cause}")
            ) from None
        except (discord.LoginFailure, discord.PrivilegedIntentsRequired):
            raise
        except Exception as exc:  # discord.py gave up on the first connection (it cannot retry one that never opened)
            reason = _reason(errors.last or exc)
            raise Unreachable(CONNECTION_FAILED.format(what="gateway", where=where, reason=reason, fix=fix)) from None
        if errors.refused and errors.last is not None and not gateway.done():
            gateway.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await gateway
            reason = _reason(errors.last)
            raise Unreachable(CONNECTION_FAILED.format(what="gateway", where=where, reason=reason, fix=fix))
    finally:
        for name in _RETRYING_LOGGERS:
            logging.getLogger(name).removeFilter(errors)
    return gateway


async def _within(task: asyncio.Task[Any], reached: asyncio.Event, limit_s: float) -> None:
    """Wait until `reached` is set or `task` ends (its exception raised); TimeoutError (task cancelled) after that.

    Cancelling the caller cancels the task too.
    """
    waiter = asyncio.create_task(reached.wait())
    try:
        done, _ = await asyncio.wait({task, waiter}, timeout=limit_s, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        waiter.cancel()
    if task in done:
        task.result()  # its exception, if any
    elif waiter not in done:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        raise TimeoutError


def _set_on(event: asyncio.Event) -> Any:
    async def listener(*_: Any) -> None:
        event.set()

    return listener


def logged_in_line(bot: discord.Client) -> str:
    user = bot.user
    who = f"{user} (id {user.id})" if user else "an unknown user"
    line = f"logged in as {who}, in {len(bot.guilds)} servers"
    shard_ids = getattr(bot, "shard_ids", None)
    if bot.shard_count and bot.shard_count > 1:
        shards = shard_ids if shard_ids is not None else range(bot.shard_count)
        line += f", serving shards {', '.join(str(s) for s in shards)} of {bot.shard_count}"
    return line


def is_connected(bot: discord.Client) -> bool:
    """Every gateway connection this process runs is open (the healthcheck's idea of alive)."""
    if bot.is_closed() or not bot.is_ready():
        return False
    shards: dict[int, Any] | None = getattr(bot, "shards", None)
    if shards:
        return all(not shard.is_closed() for shard in shards.values())
    return bot.ws is not None and bot.ws.open and math.isfinite(bot.latency)


async def _serve(bot: discord.Client) -> None:
    """Once ready: the heartbeat file, then the logged-in line (so whoever reads the line finds the file), then a
    fresh heartbeat every 30 s while connected (`python -m bot health` reads it)."""
    await bot.wait_until_ready()
    path = heartbeat_path()
    _beat(bot, path)
    log.info("%s", logged_in_line(bot))
    if not bot.guilds and bot.user is not None:
        log.info(NOT_IN_ANY_SERVER, invite_url(bot.application_id or bot.user.id))
    while path is not None:
        await asyncio.sleep(HEARTBEAT_INTERVAL_S)
        _beat(bot, path)


def _beat(bot: discord.Client, path: Path | None) -> None:
    if path is None or not is_connected(bot):
        return
    try:
        path.write_text(f"{time.time():.0f}\n", encoding="utf-8")
    except OSError as exc:
        log.warning("cannot write the heartbeat file %s: %s", path, exc.strerror)
