"""The Bot subclass (typed dependencies as attributes), the one error path, start-up and shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import signal
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, Final

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.config import ConfigError, Secrets, Settings
from bot.errors import user_message
from bot.ideogram import IdeogramClient
from bot.jobs import JobRunner
from bot.ledger import Ledger, utc_now
from bot.pricing import PriceTable

log = logging.getLogger(__name__)

EXTENSIONS: Final = ("cogs.generate", "cogs.budget", "cogs.reactions")
SHUTDOWN_GRACE_S: Final = 60.0


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """The one way any interaction failure reaches the member: privately, short, with an incident id if ours."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        error = error.__cause__ or error
    if isinstance(error, app_commands.CheckFailure) and not isinstance(error, app_commands.MissingPermissions):
        text = str(error) or "You can't use this command here."
    elif isinstance(error, app_commands.MissingPermissions):
        text = "Only moderators can use this command."
    else:
        command = interaction.command.qualified_name if interaction.command else "interaction"
        text = user_message(error, context=f"/{command} by {interaction.user.id}")
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell user %s about an error", interaction.user.id, exc_info=True)


class BotTree(app_commands.CommandTree["IdeogramBot"]):
    async def on_error(
        self, interaction: discord.Interaction[IdeogramBot], error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)


class IdeogramBot(commands.Bot):
    def __init__(
        self,
        *,
        settings: Settings,
        ledger: Ledger,
        ideogram: IdeogramClient,
        prices: PriceTable,
        **options: Any,
    ) -> None:
        # The bot never joins voice; without this, every start warns that voice libraries are missing.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_reactions = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=BotTree,
            help_command=None,
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=True, replied_user=False),
            **options,
        )
        self.settings = settings
        self.ledger = ledger
        self.ideogram = ideogram
        self.prices = prices
        self.jobs = JobRunner(
            client=ideogram,
            ledger=ledger,
            prices=prices,
            max_jobs_per_member=settings.budget.max_jobs_per_member,
            max_upload_bytes=settings.ideogram.max_upload_bytes,
        )

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """Sync to each configured guild (or globally) when the tree changed since the last sync, or always."""
        targets: list[discord.Object | None] = [
            discord.Object(id=guild_id) for guild_id in self.settings.discord.sync_guild_ids
        ] or [None]
        for guild in targets:
            if guild is not None:
                self.tree.copy_global_to(guild=guild)
            payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
            digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
            key = f"command_tree_hash:{guild.id if guild else 'global'}"
            if self.settings.discord.sync_on_start == "changed" and await self.ledger.get_state(key) == digest:
                log.info("command tree unchanged for %s; not syncing", guild.id if guild else "global")
                continue
            synced = await self.tree.sync(guild=guild)
            await self.ledger.set_state(key, digest)
            log.info("synced %d commands to %s", len(synced), guild.id if guild else "global")

    def is_moderator(self, member: discord.Member | discord.User) -> bool:
        if not isinstance(member, discord.Member):
            return False
        # An interaction carries the permissions Discord resolved for the member; the role cache is the fallback.
        resolved = member.resolved_permissions
        permissions = member.guild_permissions if resolved is None else resolved
        if permissions.manage_guild:
            return True
        allowed = set(self.settings.budget.moderator_role_ids)
        return any(role.id in allowed for role in member.roles)

    async def close(self) -> None:
        await self.jobs.shutdown(SHUTDOWN_GRACE_S)
        await super().close()


def point_discord_at(settings: Settings) -> None:
    """Aim discord.py at the configured REST and gateway URLs (proxies in production, the fake in tests)."""
    discord.http.Route.BASE = settings.discord.api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord.gateway_url)


def build_client(settings: Settings, secrets: Secrets) -> IdeogramClient:
    config = settings.ideogram
    return IdeogramClient(
        base_url=config.base_url,
        api_key=secrets.aihubmix_api_key.get_secret_value(),
        timeout_s=config.timeout_s,
        max_retries=config.max_retries,
        retry_after_cap_s=config.retry_after_cap_s,
        max_in_flight_images=config.max_concurrency,
        proxy=config.proxy,
        max_upload_bytes=config.max_upload_bytes,
        image_hosts=config.image_hosts,
    )


async def open_ledger(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Ledger:
    path = settings.database.path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ledger = await Ledger.open(
            path,
            default_allowance=settings.budget.default_allowance_micros,
            default_period=settings.budget.default_period,
            clock=clock,
            operator_cap=settings.budget.operator_cap_micros,
            operator_cap_period=settings.budget.operator_cap_period,
            max_allowance=settings.budget.max_allowance_micros,
        )
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"[database] path: cannot open {path}: {exc}") from None
    await ledger.recover()  # logs what it settled
    return ledger


@contextlib.asynccontextmanager
async def assemble(
    settings: Settings, secrets: Secrets, *, clock: Callable[[], datetime] = utc_now, **bot_options: Any
) -> AsyncIterator[IdeogramBot]:
    """Open the database (recovering crashed holds), the API client and the bot, in order; close in reverse.

    `clock` is the ledger's idea of now (tests move it across period boundaries).
    """
    point_discord_at(settings)
    ledger = await open_ledger(settings, clock)
    try:
        async with build_client(settings, secrets) as client:
            yield IdeogramBot(
                settings=settings, ledger=ledger, ideogram=client, prices=settings.pricing.table(), **bot_options
            )
    finally:
        await ledger.close()


async def run_bot(settings: Settings, secrets: Secrets) -> None:
    """Run until closed or SIGTERM/SIGINT; jobs in flight finish (or release their holds) before exit."""
    async with assemble(settings, secrets) as bot:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, lambda: asyncio.ensure_future(bot.close()))
        async with bot:
            try:
                await bot.start(secrets.discord_token.get_secret_value())
            except discord.LoginFailure:
                raise ConfigError("Discord rejected DISCORD_TOKEN; copy the bot's token again") from None
