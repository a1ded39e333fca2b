"""How a job shows up in Discord: the result embed, and the two places a job reports to.

`InteractionOutput` serves slash commands (defer, then edit the original response); `ReplyOutput` serves reaction
remixes (a reply in the channel that is edited into the result). Both implement
`bot.jobs.JobOutput`.
"""

from __future__ import annotations

import io
from typing import Any, Final

import discord

from bot.i18n import Message, _, _n, render
from bot.i18n.terms import THIS_PERIOD
from bot.jobs import Posted, PostedAttachment, Result
from bot.money import Amount
from cogs.feedback import REFUSAL_LIFETIME_S, report_error, report_in_reply, server_locale, token_gone
from cogs.layout import result_view

# Results, progress and the replies around them are public: in the server's preferred locale.
EMBED_COLOUR: Final = discord.Colour.from_rgb(98, 70, 234)
REMIX_HINT: Final = _("React 🔁 to remix the first image, or 1️⃣–8️⃣ to remix image N.")


def progress_text(position: int | None, estimate: int, locale: object = None, settings: str = "") -> str:
    """Shown until the result replaces it: the job's state, the most it can cost (charged only as billed) and the
    member's /settings defaults it uses (`settings`, empty: none)."""
    amount = Amount(estimate)
    if position is None and settings:
        text = _(
            "🎨 Working on it (up to {amount}, with your /settings: {settings})…", amount=amount, settings=settings
        )
    elif position is None:
        text = _("🎨 Working on it (up to {amount})…", amount=amount)
    elif settings:
        text = _(
            "⏳ Waiting for the image service: you're #{position} in line (up to {amount}, with your /settings: "
            "{settings}).",
            position=position,
            amount=amount,
            settings=settings,
        )
    else:
        text = _(
            "⏳ Waiting for the image service: you're #{position} in line (up to {amount}).",
            position=position,
            amount=amount,
        )
    return text.render(locale)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def inert(text: str) -> str:
    """Text the bot did not write (a prompt, Ideogram's rewrite of it, a description), shown as typed: no masked
    links, no formatting, no mentions."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def render_result(result: Result, locale: object = None) -> discord.Embed:
    def say(message: Message) -> str:
        return message.render(locale)

    spec = result.spec
    if result.descriptions:
        embed = discord.Embed(title=say(_("Description")), colour=EMBED_COLOUR)
        embed.description = _clip("\n\n".join(inert(text) for text in result.descriptions), 4000)
    else:
        embed = discord.Embed(title=f"/{spec.command}", colour=EMBED_COLOUR)
        embed.description = _clip(inert(result.prompt or ""), 4000) or None
        if result.seeds:
            seeds = list(dict.fromkeys(result.seeds))  # in image order, repeats once
            embed.add_field(name=say(_n("Seed", "Seeds", count=len(seeds))), value=", ".join(map(str, seeds)))
        if result.model:  # upscale has no model to show
            speed = f" · {result.rendering_speed}" if result.rendering_speed else ""
            embed.add_field(name=say(_("Model")), value=f"{result.model}{speed}")
        if result.withheld:
            withheld = _n(
                "{count} image failed Ideogram's safety check and was not posted (the provider still bills it).",
                "{count} images failed Ideogram's safety check and were not posted (the provider still bills them).",
                count=result.withheld,
            )
            embed.add_field(name=say(_("Withheld")), value=say(withheld), inline=False)
    balance = result.balance
    embed.add_field(name=say(_("Cost")), value=Amount(result.cost).render(locale))
    remaining = _("{amount} {this_period}", amount=Amount(balance.remaining), this_period=THIS_PERIOD[balance.period])
    embed.add_field(name=say(_("Remaining")), value=say(remaining))
    if result.notes:
        notes = "\n".join(render(note, locale) for note in result.notes)
        embed.add_field(name=say(_("Note")), value=_clip(notes, 1000), inline=False)
    if result.files:
        embed.set_footer(text=say(REMIX_HINT))
    return embed


class _UploadBuffer(io.BytesIO):
    """An upload over bytes the job still holds, which nothing writes to.

    aiohttp sizes a BytesIO part with `getbuffer()`, and a BytesIO whose bytes have another owner must copy
    them to hand out a writable view: every image copied once more on the event loop just before the upload,
    and twice the image bytes in memory while it runs (bench/transfer.py, bench/memory.py). A read-only view of
    the same bytes answers the size question; a writer would get a TypeError rather than corrupt anything.
    `tests/test_upload_buffer.py` pins that aiohttp sizes and sends it without that copy.
    """

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self._data = data

    def getbuffer(self) -> memoryview:
        return memoryview(self._data)


def result_files(result: Result) -> list[discord.File]:
    return [discord.File(_UploadBuffer(f.data), filename=f.filename) for f in result.files]


def _posted(message: discord.Message) -> Posted:
    return Posted(message.id, [PostedAttachment(a.id, a.url) for a in message.attachments])


class InteractionOutput:
    """A slash command's reply: a deferred 'thinking' message edited into the result, or removed
    on failure."""

    def __init__(self, interaction: discord.Interaction[Any]) -> None:
        self._interaction = interaction

    @property
    def upload_limit(self) -> int:
        return self._interaction.filesize_limit

    async def started(self) -> None:
        await self._interaction.response.defer(thinking=True)

    async def progress(self, *, position: int | None, estimate: int, settings: str = "") -> None:
        locale = server_locale(self._interaction)
        await self._interaction.edit_original_response(content=progress_text(position, estimate, locale, settings))

    async def deliver(self, result: Result) -> Posted:
        message: discord.Message
        locale = server_locale(self._interaction)
        try:
            message = await self._interaction.edit_original_response(
                content=None,
                embed=render_result(result, locale),
                attachments=result_files(result),
                view=result_view(result, locale),
            )
        except discord.HTTPException as error:
            if not token_gone(error):
                raise
            # A long queue outlived the interaction (15 minutes): the images are paid for, so post them anyway.
            here = _(
                "{member}, here is your /{command}.", member=self._interaction.user.mention, command=result.spec.command
            )
            message = await self._channel().send(
                here.render(locale),
                embed=render_result(result, locale),
                files=result_files(result),
                view=result_view(result, locale),
            )
        return _posted(message)

    async def refused(self, error: BaseException, *, context: str) -> None:
        await report_error(self._interaction, error, charged=0, context=context)

    async def failed(self, error: BaseException, *, charged: int, context: str) -> None:
        await report_error(self._interaction, error, charged=charged, context=context)

    def _channel(self) -> discord.abc.Messageable:
        channel = self._interaction.channel
        if not isinstance(channel, discord.abc.Messageable):
            raise RuntimeError("an interaction outlived its token outside a text channel")
        return channel


class ReplyOutput:
    """A reaction remix: a reply to the source message, mentioning the member, edited into the result.

    A refusal is a reply of its own, a failure turns the reply into one; either deletes itself after
    `refusal_lifetime_s` and shows only the bot's own words (others read along).
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

    @property
    def _locale(self) -> object:
        guild = self._source.guild
        return guild.preferred_locale if guild is not None else None

    async def started(self) -> None:
        remixing = _("🔁 {member} is remixing this…", member=self._member.mention)
        self._reply = await self._source.reply(remixing.render(self._locale), mention_author=False)

    async def progress(self, *, position: int | None, estimate: int, settings: str = "") -> None:
        if self._reply is not None:
            progress = progress_text(position, estimate, self._locale, settings)
            await self._reply.edit(content=f"🔁 {self._member.mention}: {progress}")

    async def deliver(self, result: Result) -> Posted:
        assert self._reply is not None, "deliver() before started()"
        remixed = _("🔁 Remixed by {member}", member=self._member.mention).render(self._locale)
        message = await self._reply.edit(
            content=remixed,
            embed=render_result(result, self._locale),
            attachments=result_files(result),
            view=result_view(result, self._locale),
        )
        return _posted(message)

    async def refused(self, error: BaseException, *, context: str) -> None:
        await report_in_reply(self._source, self._member, error, context=context, lifetime_s=self._refusal_lifetime_s)

    async def failed(self, error: BaseException, *, charged: int, context: str) -> None:
        await report_in_reply(
            self._source,
            self._member,
            error,
            charged=charged,
            context=context,
            replacing=self._reply,
            lifetime_s=self._refusal_lifetime_s,
        )
