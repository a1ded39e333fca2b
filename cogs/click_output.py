"""How a job started by a click, a modal or a context menu shows up: a reply to the message it came from.

The interaction is acknowledged without a message of its own: a component's "deferred update" (usually sent by
`cogs.results` as the click arrives), or a context menu's private "thinking" (removed once the reply stands).
The reply shows progress and becomes the result with the same actions under it. A refusal or a failure (the
reply removed first) is told privately by `cogs.feedback`.
"""

from __future__ import annotations

import contextlib
from typing import Any, Final

import discord

from bot.i18n import Message, _
from bot.jobs import Posted, PostedAttachment, Result
from cogs.feedback import report_error, server_locale
from cogs.layout import result_view
from cogs.output import progress_text, render_result, result_files

# What the reply says while the job runs, and above the result, in the server's language.
STARTED: Final = _("{emoji} {mention} asked for {action}…")
WORKING: Final = _("{emoji} {mention} asked for {action}: {progress}")
DONE: Final = _("{emoji} {action} for {mention}")


class ClickOutput:
    """A `bot.jobs.JobOutput` replying to `source`; `action` names what was asked ("Upscale 2")."""

    def __init__(self, interaction: discord.Interaction[Any], source: discord.Message, action: Message, emoji: str):
        self._interaction = interaction
        self._source = source
        self._action = action
        self._emoji = emoji
        self._reply: discord.Message | None = None
        self._thinking = False

    @property
    def upload_limit(self) -> int:
        guild = self._source.guild
        return guild.filesize_limit if guild else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES

    def _text(self, template: Message, **values: str) -> str:
        mention = self._interaction.user.mention
        message = template.with_params(emoji=self._emoji, mention=mention, action=self._action, **values)
        return message.render(server_locale(self._interaction))

    async def started(self) -> None:
        if self._interaction.response.is_done():  # a click, acknowledged the moment it arrived
            pass
        elif self._interaction.message is not None:  # a select or a form opened by a button
            await self._interaction.response.defer()
        else:  # a context menu (or its modal): only a private "thinking" is allowed
            await self._interaction.response.defer(ephemeral=True, thinking=True)
            self._thinking = True
        self._reply = await self._source.reply(self._text(STARTED), mention_author=False)

    async def progress(self, *, position: int | None, estimate: int, settings: str = "") -> None:
        if self._reply is not None:
            progress = progress_text(position, estimate, server_locale(self._interaction), settings=settings)
            await self._reply.edit(content=self._text(WORKING, progress=progress))

    async def deliver(self, result: Result) -> Posted:
        assert self._reply is not None, "deliver() before started()"
        message = await self._reply.edit(
            content=self._text(DONE),
            embed=render_result(result, server_locale(self._interaction)),
            attachments=result_files(result),
            view=result_view(result, server_locale(self._interaction)),
        )
        await self._clear_thinking()
        return Posted(message.id, [PostedAttachment(a.id, a.url) for a in message.attachments])

    async def refused(self, error: BaseException, *, context: str) -> None:
        await report_error(self._interaction, error, charged=0, context=context)

    async def failed(self, error: BaseException, *, charged: int, context: str) -> None:
        if self._reply is not None:
            with contextlib.suppress(discord.HTTPException):
                await self._reply.delete()
        await report_error(self._interaction, error, charged=charged, context=context)

    async def _clear_thinking(self) -> None:
        if self._thinking:
            with contextlib.suppress(discord.HTTPException):
                await self._interaction.delete_original_response()
