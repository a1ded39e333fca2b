"""/policy for moderators: where the bot works, blocked words, a cooldown, extra moderator roles, a log channel.

The pipeline enforces the policy (`bot.jobs.policy`); this cog only changes it, answers privately, and reports
every change to the log channel (`IdeogramBot.audit`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Final, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import IdeogramBot
from bot.errors import UserFacingError
from bot.i18n import Message, Text, _, render
from bot.jobs.policy import duration
from bot.ledger import ServerPolicy
from cogs.output import inert

Interaction = discord.Interaction[IdeogramBot]

DENIED: Final = _("Only moderators (Manage Server, or a moderator role) can use `/policy`.")
NEEDS_CHANNEL: Final = _("Name a channel to {action}, e.g. `/policy channels action:{action} channel:#art`.")
NEEDS_WORD: Final = _("Type the word or phrase to {action}, e.g. `/policy words action:{action} word:example`.")
NEEDS_ROLE: Final = _("Name a role to {action}, e.g. `/policy moderator_roles action:{action} role:@Helpers`.")
NOT_BLOCKED: Final = _("That word wasn't blocked, so nothing changed. `/policy words action:list` shows the list.")
EVERY_CHANNEL: Final = _("every channel")
NO_WORDS: Final = _("none")
NO_COOLDOWN: Final = _("off")
NO_ROLES: Final = _("none (Manage Server and the bot's configured roles only)")
NO_LOG: Final = _("off")
SHOW_TITLE: Final = _("This server's policy")
CHANNELS_NOW: Final = _("Image jobs now work in {channels}.")
WORDS_NOW: Final = _("Blocked words and phrases: {words}.")
COOLDOWN_NOW: Final = _("Cooldown between a member's jobs: {cooldown}.")
ROLES_NOW: Final = _("Extra moderator roles: {roles}.")
LOG_NOW: Final = _("Log channel: {channel}.")
WHAT_CHANNELS: Final = _("the channels where the bot works")
WHAT_WORDS: Final = _("the blocked words")
WHAT_COOLDOWN: Final = _("the cooldown")
WHAT_ROLES: Final = _("the moderator roles")
WHAT_LOG: Final = _("the log channel")
FIELDS: Final = {
    "channels": _("Channels"),
    "words": _("Blocked words"),
    "cooldown": _("Cooldown"),
    "log": _("Log channel"),
    "roles": _("Moderator roles"),
}

ListAction = Literal["add", "remove", "list"]


def channels_text(ids: Iterable[int]) -> Text:
    return ", ".join(f"<#{channel}>" for channel in sorted(ids)) or EVERY_CHANNEL


def words_text(words: Iterable[str]) -> Text:
    # Spoilered: a moderator may not want to read them by accident, and the log channel shows them too. Inert: a
    # word such as `@everyone` or `<@123>` shows as typed, never as a mention.
    return ", ".join(f"||{inert(word)}||" for word in words) or NO_WORDS


def cooldown_text(seconds: int) -> Text:
    return duration(seconds) if seconds else NO_COOLDOWN


def roles_text(ids: Iterable[int]) -> Text:
    return ", ".join(f"<@&{role}>" for role in sorted(ids)) or NO_ROLES


def log_text(channel_id: int | None) -> Text:
    return NO_LOG if channel_id is None else f"<#{channel_id}>"


def policy_embed(policy: ServerPolicy, locale: object) -> discord.Embed:
    embed = discord.Embed(title=SHOW_TITLE.render(locale), colour=discord.Colour.blurple())

    def field(key: str, value: Text, *, inline: bool = True) -> None:
        embed.add_field(name=FIELDS[key].render(locale), value=render(value, locale)[:1024], inline=inline)

    field("channels", channels_text(policy.channel_ids), inline=False)
    field("words", words_text(policy.blocked_words), inline=False)
    field("cooldown", cooldown_text(policy.cooldown_s))
    field("log", log_text(policy.log_channel_id))
    field("roles", roles_text(policy.moderator_role_ids), inline=False)
    return embed


async def _add_or_remove(
    action: str,
    guild_id: int,
    item_id: int | None,
    needs: Message,
    add: Callable[[int, int], Awaitable[None]],
    remove: Callable[[int, int], Awaitable[None]],
) -> None:
    """The `add` and `remove` actions of a list of ids in the policy: both need the item named (`needs` says so)."""
    if item_id is None:
        raise UserFacingError(needs.with_params(action=action))
    await (add if action == "add" else remove)(guild_id, item_id)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class PolicyCog(commands.GroupCog, name="policy", description="Moderators: where and how the bot may be used here"):
    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: Interaction) -> bool:  # type: ignore[override]
        # Discord's default permissions can be changed by server admins; the bot checks for itself too.
        if not await self.bot.is_moderator(interaction.user):
            raise app_commands.CheckFailure(DENIED)
        return True

    async def _changed(
        self,
        interaction: Interaction,
        what: Message,
        old: Text,
        new: Text,
        reply: Message,
        *,
        log_to: int | None = None,
    ) -> None:
        text = reply.render(interaction.locale)[:2000]
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
        if str(old) != str(new):
            assert interaction.guild_id is not None
            self.bot.audit(
                guild_id=interaction.guild_id,
                actor_id=interaction.user.id,
                what=what,
                old=old,
                new=new,
                channel_id=log_to,
            )

    async def _policy(self, interaction: Interaction) -> ServerPolicy:
        assert interaction.guild_id is not None
        return await self.bot.ledger.policy.get(interaction.guild_id)

    @app_commands.command(name="channels")
    @app_commands.describe(
        action="add or remove a channel, or clear the list (works everywhere again)",
        channel="The channel to add or remove",
    )
    async def channels(
        self,
        interaction: Interaction,
        action: Literal["add", "remove", "clear"],
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Limit image jobs to some channels (default: every channel)."""
        before = await self._policy(interaction)
        store = self.bot.ledger.policy
        if action == "clear":
            await store.clear_channels(before.guild_id)
        else:
            item = None if channel is None else channel.id
            await _add_or_remove(action, before.guild_id, item, NEEDS_CHANNEL, store.add_channel, store.remove_channel)
        old, new = channels_text(before.channel_ids), channels_text((await self._policy(interaction)).channel_ids)
        await self._changed(interaction, WHAT_CHANNELS, old, new, CHANNELS_NOW.with_params(channels=new))

    @app_commands.command(name="words")
    @app_commands.describe(action="add, remove, or list the blocked words", word="A word or phrase")
    async def words(
        self, interaction: Interaction, action: ListAction, word: app_commands.Range[str, 1, 100] | None = None
    ) -> None:
        """Block words or phrases in prompts (any case, any width)."""
        before = await self._policy(interaction)
        store = self.bot.ledger.policy
        if action != "list":
            if word is None or not word.strip():
                raise UserFacingError(NEEDS_WORD.with_params(action=action))
            if action == "add":
                await store.add_word(before.guild_id, word)
            elif not await store.remove_word(before.guild_id, word):
                raise UserFacingError(NOT_BLOCKED)
        old, new = words_text(before.blocked_words), words_text((await self._policy(interaction)).blocked_words)
        await self._changed(interaction, WHAT_WORDS, old, new, WORDS_NOW.with_params(words=new))

    @app_commands.command(name="cooldown")
    @app_commands.describe(seconds="Seconds a member waits between starting jobs; 0 turns it off")
    async def cooldown(self, interaction: Interaction, seconds: app_commands.Range[int, 0, 86_400]) -> None:
        """Make members wait between jobs."""
        before = await self._policy(interaction)
        await self.bot.ledger.policy.set_cooldown(before.guild_id, seconds)
        old, new = cooldown_text(before.cooldown_s), cooldown_text(seconds)
        await self._changed(interaction, WHAT_COOLDOWN, old, new, COOLDOWN_NOW.with_params(cooldown=new))

    @app_commands.command(name="moderator_roles")
    @app_commands.describe(action="add, remove, or list the extra moderator roles", role="The role")
    async def moderator_roles(
        self, interaction: Interaction, action: ListAction, role: discord.Role | None = None
    ) -> None:
        """Roles whose members are moderators here, besides Manage Server."""
        before = await self._policy(interaction)
        store = self.bot.ledger.policy
        if action != "list":
            add, remove, item = store.add_moderator_role, store.remove_moderator_role, None if role is None else role.id
            await _add_or_remove(action, before.guild_id, item, NEEDS_ROLE, add, remove)
        old = roles_text(before.moderator_role_ids)
        new = roles_text((await self._policy(interaction)).moderator_role_ids)
        await self._changed(interaction, WHAT_ROLES, old, new, ROLES_NOW.with_params(roles=new))

    @app_commands.command(name="log_channel")
    @app_commands.describe(channel="Where to post budget and policy changes; leave empty to stop")
    async def log_channel(self, interaction: Interaction, channel: discord.TextChannel | None = None) -> None:
        """A channel where the bot posts every budget change, refund and policy change."""
        before = await self._policy(interaction)
        await self.bot.ledger.policy.set_log_channel(before.guild_id, None if channel is None else channel.id)
        old, new = log_text(before.log_channel_id), log_text(None if channel is None else channel.id)
        # Turning the log off is the last thing the old log channel hears.
        log_to = before.log_channel_id if channel is None else None
        await self._changed(interaction, WHAT_LOG, old, new, LOG_NOW.with_params(channel=new), log_to=log_to)

    @app_commands.command(name="show")
    async def show(self, interaction: Interaction) -> None:
        """The whole policy at a glance."""
        embed = policy_embed(await self._policy(interaction), interaction.locale)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: IdeogramBot) -> None:
    await bot.add_cog(PolicyCog(bot))
