"""How a job shows up in Discord: the result embed, and the two places a job reports to.

`InteractionOutput` serves slash commands and the 🎲 Again button (defer, then edit the original response);
`ReplyOutput` serves reaction remixes (a reply in the channel that is edited into the result). Both implement
`bot.jobs.JobOutput`.
"""

from __future__ import annotations

import contextlib
import io
import re
from typing import Any, Final

import discord

from bot.app import IdeogramBot, report_error
from bot.errors import UserFacingError
from bot.jobs import JobSpec, Posted, PostedAttachment, Result
from bot.ledger.periods import THIS_PERIOD as _PERIOD_WORDS
from bot.money import format_amount

EMBED_COLOUR: Final = discord.Colour.from_rgb(98, 70, 234)
REFUSAL_LIFETIME_S: Final = 30.0
# A failure told in the channel because the interaction had expired: public, so it cleans itself up, later.
LATE_NOTICE_LIFETIME_S: Final = 300.0
REMIX_HINT: Final = "React 🔁 to remix the first image, or 1️⃣–8️⃣ to remix image N."


def progress_text(position: int | None, estimate: int) -> str:
    """Shown until the result replaces it: the job's state and the most it can cost (charged only as billed)."""
    cost = f"up to {format_amount(estimate)}"
    if position is None:
        return f"🎨 Working on it ({cost})…"
    return f"⏳ Waiting for the image service: you're #{position} in line ({cost})."


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_result(result: Result) -> discord.Embed:
    spec = result.spec
    if result.descriptions:
        embed = discord.Embed(title="Description", colour=EMBED_COLOUR)
        embed.description = _clip("\n\n".join(result.descriptions), 4000)
    else:
        embed = discord.Embed(title=f"/{spec.command}", colour=EMBED_COLOUR)
        embed.description = _clip(result.prompt or "", 4000) or None
        if result.seeds:
            seeds = list(dict.fromkeys(result.seeds))  # in image order, repeats once
            embed.add_field(name="Seed" if len(seeds) == 1 else "Seeds", value=", ".join(map(str, seeds)))
        if result.model:  # upscale has no model to show
            speed = f" · {result.rendering_speed}" if result.rendering_speed else ""
            embed.add_field(name="Model", value=f"{result.model}{speed}")
        if result.withheld:
            embed.add_field(
                name="Withheld",
                value=f"{result.withheld} image(s) failed Ideogram's safety check and were not posted "
                "(the provider still bills them).",
                inline=False,
            )
    balance = result.balance
    embed.add_field(name="Cost", value=format_amount(result.cost))
    embed.add_field(name="Remaining", value=f"{format_amount(balance.remaining)} {_PERIOD_WORDS[balance.period]}")
    if result.notes:
        embed.add_field(name="Note", value=_clip("\n".join(result.notes), 1000), inline=False)
    if result.files:
        embed.set_footer(text=REMIX_HINT)
    return embed


class _UploadBuffer(io.BytesIO):
    """An upload over bytes the job still holds, which nothing writes to.

    aiohttp sizes a BytesIO part with `getbuffer()`, and a BytesIO whose bytes have another owner must copy
    them to hand out a writable view: every image copied once more on the event loop just before the upload,
    and twice the image bytes in memory while it runs (bench/transfer.py, bench/memory.py). A read-only view of
    the same bytes answers the size question; a writer would get a TypeError rather than corrupt anything.
    """

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self._data = data

    def getbuffer(self) -> memoryview:
        return memoryview(self._data)


def _files(result: Result) -> list[discord.File]:
    return [discord.File(_UploadBuffer(f.data), filename=f.filename) for f in result.files]


class AgainButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"again:(?P<job_id>[0-9]+)"):
    """🎲 Again on an /imagine result: the same prompt and settings with a new seed, charged to whoever clicks.

    The job id lives in the custom_id and the job in the database, so the button works after a restart.
    """

    def __init__(self, job_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Again", emoji="🎲", style=discord.ButtonStyle.secondary, custom_id=f"again:{job_id}"
            )
        )
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AgainButton:
        return cls(int(match["job_id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = interaction.client
        assert isinstance(bot, IdeogramBot)
        try:
            job = await bot.ledger.job(self.job_id)
            if job is None or job.guild_id != interaction.guild_id or interaction.channel_id is None:
                raise UserFacingError("That result is no longer known to the bot, so it can't be made again.")
            spec = JobSpec(
                guild_id=job.guild_id,
                channel_id=interaction.channel_id,
                user_id=interaction.user.id,
                command=job.command,
                operation=job.operation,
                options={name: value for name, value in job.parameters.items() if name != "seed"},
            )
            await bot.jobs.submit(spec, InteractionOutput(interaction))
        except Exception as error:  # buttons bypass the command tree: the same error path, called by hand
            await report_error(interaction, error)


def result_view(result: Result) -> discord.ui.View:
    """The buttons under a result: 🎲 Again for text-only generations (nothing to re-attach), else none."""
    view = discord.ui.View(timeout=None)
    if result.spec.operation == "generate" and not result.spec.files and result.files:
        view.add_item(AgainButton(result.job_id))
    view.stop()  # clicks reach the registered AgainButton template; no per-message view needs keeping
    return view


def _posted(message: discord.Message) -> Posted:
    return Posted(message.id, [PostedAttachment(a.id, a.url) for a in message.attachments])


class InteractionOutput:
    """A slash command's (or button's) reply: a deferred 'thinking' message edited into the result, or removed
    on failure."""

    def __init__(self, interaction: discord.Interaction[Any]) -> None:
        self._interaction = interaction

    @property
    def upload_limit(self) -> int:
        return self._interaction.filesize_limit

    async def started(self) -> None:
        await self._interaction.response.defer(thinking=True)

    async def progress(self, *, position: int | None, estimate: int) -> None:
        await self._interaction.edit_original_response(content=progress_text(position, estimate))

    async def deliver(self, result: Result) -> Posted:
        message: discord.Message
        try:
            message = await self._interaction.edit_original_response(
                content=None, embed=render_result(result), attachments=_files(result), view=result_view(result)
            )
        except discord.HTTPException as error:
            if not _token_gone(error):
                raise
            # A long queue outlived the interaction (15 minutes): the images are paid for, so post them anyway.
            message = await self._channel().send(
                f"{self._interaction.user.mention}, here is your /{result.spec.command}.",
                embed=render_result(result),
                files=_files(result),
                view=result_view(result),
            )
        return _posted(message)

    async def failed(self, message: str) -> None:
        if not self._interaction.response.is_done():
            await self._interaction.response.send_message(message, ephemeral=True)
            return
        # The thinking message is public; remove it so the failure can be told privately.
        try:
            with contextlib.suppress(discord.NotFound):
                await self._interaction.delete_original_response()
            await self._interaction.followup.send(message, ephemeral=True)
        except discord.HTTPException as error:
            if not _token_gone(error):
                raise
            mention = self._interaction.user.mention
            await self._channel().send(f"{mention} {message}", delete_after=LATE_NOTICE_LIFETIME_S)

    def _channel(self) -> discord.abc.Messageable:
        channel = self._interaction.channel
        if not isinstance(channel, discord.abc.Messageable):
            raise RuntimeError("an interaction outlived its token outside a text channel")
        return channel


# Discord's answers once an interaction's token has expired (after 15 minutes) or is otherwise unusable.
_TOKEN_GONE_CODES: Final = frozenset({10015, 50027})


def _token_gone(error: discord.HTTPException) -> bool:
    return error.status == 401 or error.code in _TOKEN_GONE_CODES


class ReplyOutput:
    """A reaction remix: a reply to the source message, mentioning the member, edited into the result.

    A failure turns the reply into a refusal that deletes itself after `refusal_lifetime_s`.
    """

    def __init__(
        self,
        source: discord.Message,
        member: discord.abc.User,
        upload_limit: int,
        *,
        refusal_lifetime_s: float = REFUSAL_LIFETIME_S,
    ) -> None:
        self._source = source
        self._member = member
        self._upload_limit = upload_limit
        self._refusal_lifetime_s = refusal_lifetime_s
        self._reply: discord.Message | None = None

    @property
    def upload_limit(self) -> int:
        return self._upload_limit

    async def started(self) -> None:
        self._reply = await self._source.reply(f"🔁 {self._member.mention} is remixing this…", mention_author=False)

    async def progress(self, *, position: int | None, estimate: int) -> None:
        if self._reply is not None:
            await self._reply.edit(content=f"🔁 {self._member.mention}: {progress_text(position, estimate)}")

    async def deliver(self, result: Result) -> Posted:
        assert self._reply is not None, "deliver() before started()"
        message = await self._reply.edit(
            content=f"🔁 Remixed by {self._member.mention}", embed=render_result(result), attachments=_files(result)
        )
        return _posted(message)

    async def failed(self, message: str) -> None:
        await refuse(self._source, self._member, message, replacing=self._reply, lifetime_s=self._refusal_lifetime_s)


async def refuse(
    source: discord.Message,
    member: discord.abc.User,
    message: str,
    *,
    replacing: discord.Message | None = None,
    lifetime_s: float = REFUSAL_LIFETIME_S,
) -> discord.Message:
    """A short reply to the member that deletes itself: reactions have no private channel to answer in."""
    text = f"{member.mention} {message}"
    if replacing is not None:
        return await replacing.edit(content=text, embed=None, attachments=[], delete_after=lifetime_s)
    return await source.reply(text, delete_after=lifetime_s, mention_author=False)
