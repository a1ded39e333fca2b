"""How a failure reaches a member: the one error path for commands, buttons, modals, context menus and reactions.

Every failure is worded once, by `bot.errors.word_failure`, and shown in one of two places:
- an interaction (`report_error`): privately. A public "thinking" message left by a defer is removed first; if
  the interaction's token has expired, a short notice in the channel, in the bot's own words, deletes itself.
- a reply to a message (`report_in_reply`, for reactions): public, in the bot's own words, and it deletes itself.
The jobs' outputs (`cogs.output`) and the command tree's error handler both end here. Discord wording (mentions)
lives here, not in `bot/`.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any, Final

import discord
from discord import app_commands

from bot.errors import NotServedHere, UserFacingError, Wording, word_failure
from bot.i18n import Message, Text, _, render
from bot.ideogram import InvalidRequest
from bot.ledger.errors import UtcTime
from bot.money import Amount
from cogs.common import in_command_words

if TYPE_CHECKING:  # bot.app imports this module for the command tree's error path
    from bot.app import IdeogramBot

log = logging.getLogger(__name__)

# A reply to a reaction, or a failure told in the channel because the interaction had expired: public, so they
# clean themselves up.
REFUSAL_LIFETIME_S: Final = 30.0
LATE_NOTICE_LIFETIME_S: Final = 300.0
NOT_A_MODERATOR: Final = _("Only moderators can use this command.")
NOT_HERE: Final = _("You can't use this command here.")
TO_MEMBER: Final = "{mention} {message}"
# A command whose failures are a job's has `extras={STARTS_A_JOB: True}`: they say what they cost.
STARTS_A_JOB: Final = "starts_a_job"

# Discord's answers once an interaction's token has expired (after 15 minutes) or is otherwise unusable.
_TOKEN_GONE_CODES: Final = frozenset({10015, 50027})


def token_gone(error: discord.HTTPException) -> bool:
    return error.status == 401 or error.code in _TOKEN_GONE_CODES


async def refuse_unserved(interaction: discord.Interaction[IdeogramBot]) -> bool:
    """The `interaction_check` of the command tree and of every component: True where the bot serves; outside
    `[discord] allowed_guild_ids`, one short refusal (none for autocomplete, which can't show one) and False."""
    if interaction.client.settings.discord.allows_guild(interaction.guild_id):
        return True
    if interaction.type is not discord.InteractionType.autocomplete:
        await report_error(interaction, NotServedHere())
    return False


def _wording(error: BaseException, *, charged: int | None, context: str) -> Wording:
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        error = error.__cause__ or error
    if isinstance(error, InvalidRequest):  # the API layer names operations; members know the commands
        error = in_command_words(error)
    if isinstance(error, UserFacingError):  # times (a budget's next reset) as Discord timestamps
        error = _discord_times(error)
    if isinstance(error, app_commands.CheckFailure):  # who may use what: nothing was ever at stake
        text = NOT_A_MODERATOR if isinstance(error, app_commands.MissingPermissions) else _check_text(error)
        return Wording(text, text)
    amount = Amount(charged) if charged else None
    return word_failure(error, for_job=charged is not None, charged=amount, context=context)


def _discord_times(error: UserFacingError) -> UserFacingError:
    """The error with each `UtcTime` in its messages drawn by Discord, in each reader's language and zone."""

    def drawn(text: Text) -> Text:
        if not isinstance(text, Message):
            return text
        times = {name: value for name, value in text.params.items() if isinstance(value, UtcTime)}
        return text.with_params(**{name: f"<t:{int(t.moment.timestamp())}:R>" for name, t in times.items()})

    if not isinstance(error.message, Message) or not any(isinstance(v, UtcTime) for v in error.message.params.values()):
        return error
    return UserFacingError(drawn(error.message), public_message=drawn(error.public_message))


def _check_text(error: app_commands.CheckFailure) -> Text:
    """A check's refusal: a catalogue message when the check raised one (`CheckFailure(_("..."))`)."""
    reason = error.args[0] if error.args else None
    return reason if isinstance(reason, Message) else str(error) or NOT_HERE


def server_locale(interaction: discord.Interaction[Any]) -> object | None:
    """The language of public messages: the server's preferred locale (the member's own outside a server)."""
    return interaction.guild_locale or interaction.locale


def starts_a_job(interaction: discord.Interaction[Any]) -> bool:
    """Whether the interaction's command starts a job (its `extras` say so)."""
    command = interaction.command
    return command is not None and bool(command.extras.get(STARTS_A_JOB))


async def report_command_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """The command tree's error path: a command that starts a job says what its failure cost (nothing)."""
    await report_error(interaction, error, charged=0 if starts_a_job(interaction) else None)


async def report_error(
    interaction: discord.Interaction[Any], error: BaseException, *, charged: int | None = None, context: str = ""
) -> None:
    """Tell the member who used `interaction` that `error` happened. For a job's failure (or refusal) `charged`
    is what it cost in micro-dollars (0: nothing, and the message says so); None for anything else (a moderator's
    command, /history): no money was at stake, so the message says nothing about it.

    Best effort: a failure to tell is logged, never raised, so it can't hide the error being told.
    """
    if not context:
        command = interaction.command.qualified_name if interaction.command else "interaction"
        context = f"/{command} by {interaction.user.id}"
    wording = _wording(error, charged=charged, context=context)
    response = interaction.response
    try:
        private = render(wording.private, interaction.locale)
        if not response.is_done():
            await response.send_message(private, ephemeral=True)
            return
        if response.type is discord.InteractionResponseType.deferred_channel_message:
            # The "thinking" message may be public: remove it so the failure can be told privately.
            with contextlib.suppress(discord.NotFound):
                await interaction.delete_original_response()
        await interaction.followup.send(private, ephemeral=True)
    except discord.HTTPException as exc:
        if not token_gone(exc):
            log.warning("could not tell user %s about a failure", interaction.user.id, exc_info=True)
            return
        await _late_notice(interaction, wording)


async def _late_notice(interaction: discord.Interaction[Any], wording: Wording) -> None:
    channel = interaction.channel
    public = render(wording.public, server_locale(interaction))
    text = TO_MEMBER.format(mention=interaction.user.mention, message=public)
    try:
        if not isinstance(channel, discord.abc.Messageable):
            raise TypeError("an interaction outlived its token outside a text channel")
        await channel.send(text, delete_after=LATE_NOTICE_LIFETIME_S)
    except (discord.HTTPException, TypeError):
        log.warning("could not tell user %s about a failure in the channel", interaction.user.id, exc_info=True)


async def report_in_reply(
    source: discord.Message,
    member: discord.abc.User,
    error: BaseException,
    *,
    charged: int = 0,
    context: str = "",
    replacing: discord.Message | None = None,
    lifetime_s: float = REFUSAL_LIFETIME_S,
) -> None:
    """Tell `member` about `error` in a reply to `source` (or by editing `replacing`) that deletes itself:
    reactions have no private channel to answer in, so only the bot's own words are shown."""
    wording = _wording(error, charged=charged, context=context)
    locale = source.guild.preferred_locale if source.guild is not None else None
    text = TO_MEMBER.format(mention=member.mention, message=render(wording.public, locale))
    try:
        if replacing is not None:
            await replacing.edit(content=text, embed=None, attachments=[], delete_after=lifetime_s)
        else:
            await source.reply(text, delete_after=lifetime_s, mention_author=False)
    except discord.HTTPException:
        log.warning("could not tell user %s about a failure in a reply", member.id, exc_info=True)
