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

from bot import startup
from bot.audit import AuditEvent
from bot.config import ConfigError, Secrets, Settings
from bot.i18n import Text
from bot.ideogram import IdeogramClient
from bot.jobs import JobRunner
from bot.ledger import Ledger, LedgerError, utc_now
from bot.ledger.slots import DatabaseSlots
from bot.pricing import PriceTable
from bot.shards import IdentifyPacer, instance_id, shard_options
from bot.slots import SlotProvider
from cogs.feedback import refuse_unserved, report_command_error
from cogs.translator import CatalogTranslator

log = logging.getLogger(__name__)

EXTENSIONS: Final = (
    "cogs.generate",
    "cogs.budget",
    "cogs.reactions",
    "cogs.results",
    "cogs.context_menus",
    # members' own tools and the server's policy (members branch)
    "cogs.settings",
    "cogs.history",
    "cogs.help",
    "cogs.policy",
    "cogs.audit",
)
SHUTDOWN_GRACE_S: Final = 60.0
COMMAND_TREE_HASH: Final = "command_tree_hash"  # ledger state key prefix: the last tree synced to each scope


class BotTree(app_commands.CommandTree["IdeogramBot"]):
    """Every application command (slash commands and context menus) passes `interaction_check` first and ends
    in `on_error` when it fails: the one error path (`cogs.feedback`)."""

    async def interaction_check(self, interaction: discord.Interaction[IdeogramBot]) -> bool:
        return await refuse_unserved(interaction)

    async def on_error(
        self, interaction: discord.Interaction[IdeogramBot], error: app_commands.AppCommandError
    ) -> None:
        await report_command_error(interaction, error)


class IdeogramBot(commands.AutoShardedBot):
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
            proxy=settings.discord.proxy,  # REST, gateway and CDN downloads (Attachment.read) all use it
            **shard_options(settings.discord),
            **options,
        )
        self.identify_pacer = IdentifyPacer()
        self.settings = settings
        self.ledger = ledger
        self.ideogram = ideogram
        self.prices = prices
        self.discord_answered = asyncio.Event()  # set once the REST API answered the login (start-up's time limit)
        self.jobs = JobRunner(
            client=ideogram,
            ledger=ledger,
            prices=prices,
            max_jobs_per_member=settings.budget.max_jobs_per_member,
            max_upload_bytes=settings.ideogram.max_upload_bytes,
            allowed_guild_ids=settings.discord.allowed_guild_ids,
        )

    async def setup_hook(self) -> None:
        self.discord_answered.set()
        await self.plan_shards()
        await self.tree.set_translator(CatalogTranslator())
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """Sync to each configured guild (or globally) when the tree changed since the last sync, or always."""
        targets: list[discord.Object | None] = [
            discord.Object(id=guild_id) for guild_id in self.settings.discord.sync_guild_ids
        ] or [None]
        if targets != [None]:
            await self.clear_global_commands()
        for guild in targets:
            if guild is not None:
                self.tree.copy_global_to(guild=guild)
            payload = await self._tree_payload(guild)
            digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
            key = f"{COMMAND_TREE_HASH}:{guild.id if guild else 'global'}"
            if self.settings.discord.sync_on_start == "changed" and await self.ledger.get_state(key) == digest:
                log.info("command tree unchanged for %s; not syncing", guild.id if guild else "global")
                continue
            synced = await self.tree.sync(guild=guild)
            await self.ledger.set_state(key, digest)
            log.info("synced %d commands to %s", len(synced), guild.id if guild else "global")

    async def clear_global_commands(self) -> None:
        """With `sync_guild_ids` set, global commands synced by an earlier start would show twice in those servers
        (once global, once the guild's copy): remove them. One GET per start when there are none."""
        registered = await self.tree.fetch_commands()
        if not registered or self.application_id is None:
            return
        await self.http.bulk_upsert_global_commands(self.application_id, payload=[])
        await self.ledger.set_state(f"{COMMAND_TREE_HASH}:global", "")
        log.info("removed %d global commands: [discord] sync_guild_ids is set, they would show twice", len(registered))

    async def plan_shards(self) -> None:
        """Ask Discord for the recommended shard count (unless configured) and how many shards may IDENTIFY at
        once. Setting the count here makes discord.py connect through `[discord] gateway_url` (a proxy) rather
        than the URL `/gateway/bot` names."""
        try:
            count, _, limits = await self.http.get_bot_gateway()
        except discord.GatewayNotFound:
            if self.shard_count is None:
                raise
            return
        if self.shard_count is None:
            self.shard_count = count
        self.identify_pacer.max_concurrency = limits["max_concurrency"]

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        await self.identify_pacer.wait(shard_id or 0)

    async def _tree_payload(self, guild: discord.Object | None) -> list[dict[str, Any]]:
        """What `tree.sync` would send, translations included (so a changed translation is a changed tree)."""
        commands = self.tree.get_commands(guild=guild)
        translator = self.tree.translator
        if translator is None:
            return [command.to_dict(self.tree) for command in commands]
        return [await command.get_translated_payload(self.tree, translator) for command in commands]

    async def is_moderator(self, member: discord.Member | discord.User) -> bool:
        """Manage Server, a role in `[budget] moderator_role_ids`, or a role added with `/policy moderator_roles`."""
        if not isinstance(member, discord.Member):
            return False
        # An interaction carries the permissions Discord resolved for the member; the role cache is the fallback.
        resolved = member.resolved_permissions
        permissions = member.guild_permissions if resolved is None else resolved
        if permissions.manage_guild:
            return True
        roles = {role.id for role in member.roles}
        if roles & set(self.settings.budget.moderator_role_ids):
            return True
        return bool(roles & (await self.ledger.policy.get(member.guild.id)).moderator_role_ids)

    def audit(
        self,
        *,
        guild_id: int,
        actor_id: int,
        what: Text,
        old: Text | None = None,
        new: Text | None = None,
        channel_id: int | None = None,
    ) -> None:
        """Tell the server's log channel (or `channel_id`) about a budget change, refund or policy change:
        `what` changed from `old` to `new` (both None: `what` says it all, e.g. "refunded job #12")."""
        self.dispatch("audit", AuditEvent(guild_id, actor_id, what, old, new, self.ledger.now(), channel_id))

    async def close(self) -> None:
        await self.jobs.shutdown(SHUTDOWN_GRACE_S)
        await super().close()


def point_discord_at(settings: Settings) -> None:
    """Aim discord.py at the configured REST and gateway URLs (proxies in production, the fake in tests)."""
    discord.http.Route.BASE = settings.discord.api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord.gateway_url)


def build_client(settings: Settings, secrets: Secrets, slots: SlotProvider | None = None) -> IdeogramClient:
    config = settings.ideogram
    return IdeogramClient(
        slots=slots,
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


async def open_ledger(
    settings: Settings,
    clock: Callable[[], datetime] = utc_now,
    *,
    recover: bool = True,
    database_url: str | None = None,
) -> Ledger:
    """Open (and migrate) the ledger: in PostgreSQL when `database_url` (DATABASE_URL) is given, else in the
    SQLite file `[database] path`. `recover` settles the holds a crash left, which only the bot itself may do."""
    path = settings.database.path
    try:
        if database_url is None:
            path.parent.mkdir(parents=True, exist_ok=True)
        ledger = await Ledger.open(
            database_url or path,
            default_allowance=settings.budget.default_allowance_micros,
            default_period=settings.budget.default_period,
            clock=clock,
            operator_cap=settings.budget.operator_cap_micros,
            operator_cap_period=settings.budget.operator_cap_period,
            max_allowance=settings.budget.max_allowance_micros,
            instance_id=instance_id(settings.discord),  # its shard set: recovery settles only its own holds
        )
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"[database] path: cannot open {path}: {exc}") from None
    except LedgerError as exc:
        if database_url is None:
            raise
        raise startup.Unreachable(f"{exc}; check DATABASE_URL and that the server is running") from None
    if recover:
        await ledger.recover()  # logs what it settled
    return ledger


@contextlib.asynccontextmanager
async def api_slots(settings: Settings, database_url: str | None) -> AsyncIterator[SlotProvider | None]:
    """With PostgreSQL, `[ideogram] max_concurrency` counts for every process sharing it; alone, in memory."""
    if database_url is None:
        yield None
        return
    slots = await DatabaseSlots.open(
        database_url, capacity=settings.ideogram.max_concurrency, instance_id=instance_id(settings.discord)
    )
    try:
        yield slots
    finally:
        await slots.close()


@contextlib.asynccontextmanager
async def assemble(
    settings: Settings, secrets: Secrets, *, clock: Callable[[], datetime] = utc_now, **bot_options: Any
) -> AsyncIterator[IdeogramBot]:
    """Open the database (recovering crashed holds), the API client and the bot, in order; close in reverse.

    `clock` is the ledger's idea of now (tests move it across period boundaries).
    """
    point_discord_at(settings)
    database_url = None if secrets.database_url is None else secrets.database_url.get_secret_value()
    ledger = await open_ledger(settings, clock, database_url=database_url)
    try:
        async with api_slots(settings, database_url) as slots, build_client(settings, secrets, slots) as client:
            yield IdeogramBot(
                settings=settings, ledger=ledger, ideogram=client, prices=settings.pricing.table(), **bot_options
            )
    finally:
        await ledger.close()


async def run_bot(settings: Settings, secrets: Secrets) -> None:
    """Run until closed or SIGTERM/SIGINT; jobs in flight finish (or release their holds) before exit.

    A signal before the bot is connected cancels the start-up (asyncio.CancelledError leaves this function);
    after that it closes the bot, which gives jobs in flight their grace period.
    """
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    running: list[IdeogramBot] = []
    closing: set[asyncio.Future[None]] = set()

    def stop() -> None:
        if running and running[0].is_ready():
            closing.add(asyncio.ensure_future(running[0].close()))
        elif main is not None:
            main.cancel()

    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop)
    async with assemble(settings, secrets) as bot, bot:
        running.append(bot)
        try:
            await startup.connect(bot, secrets.discord_token.get_secret_value(), settings.discord, bot.discord_answered)
        except discord.LoginFailure:
            raise ConfigError("Discord rejected DISCORD_TOKEN; copy the bot's token again") from None
