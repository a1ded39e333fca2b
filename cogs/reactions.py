"""React to a result to remix it: 🔁 remixes the first image, 1️⃣-8️⃣ image N, charged to whoever reacted.

Raw reaction events and the database make this work on results from before a restart: the result is found by
message id, and the message is fetched again for fresh attachment URLs.
"""

from __future__ import annotations

import logging
from typing import Final, Literal

import discord
from discord.ext import commands

from bot.app import IdeogramBot
from bot.errors import UserFacingError
from bot.jobs import JobSpec, derive
from bot.jobs.repeats import RepeatGuard
from bot.jobs.runner import JobEnd
from bot.ledger import JobResult
from cogs.clicked import recorded_result, shown_job_id
from cogs.feedback import REFUSAL_LIFETIME_S
from cogs.output import ReplyOutput
from cogs.sources import IMAGE_GONE, fetched, message_images, role_ids

log = logging.getLogger(__name__)

REMIX_EMOJI: Final = {
    "🔁": 1,
    **{f"{n}\N{VARIATION SELECTOR-16}\N{COMBINING ENCLOSING KEYCAP}": n for n in range(1, 9)},
}
# What became of a reaction; dispatched as the `remix_reaction` event once it has been dealt with.
# "remixed": the job ran (a failure after it started is told on its own reply);
# "refused": it never started (a reply to the member says why, then deletes itself).
Outcome = Literal[
    "not a remix emoji", "by a bot", "not a result", "repeated", "message gone", "refused", "remixed", "error"
]


class Reactions(commands.Cog):
    """Turns 🔁 and 1️⃣-8️⃣ on a result into a remix. `refusal_lifetime_s` and `repeats` (its window and clock)
    are plain attributes so that a deployment, or a test, can change them on the loaded cog."""

    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot
        self.refusal_lifetime_s = REFUSAL_LIFETIME_S
        self.repeats = RepeatGuard()

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        outcome: Outcome = "error"
        try:
            outcome = await self._react(payload)
        finally:
            log.debug("reaction %s by %s on %s: %s", payload.emoji, payload.user_id, payload.message_id, outcome)
            self.bot.dispatch("remix_reaction", payload, outcome)

    async def _react(self, payload: discord.RawReactionActionEvent) -> Outcome:
        number = REMIX_EMOJI.get(str(payload.emoji))
        member = payload.member
        if number is None or payload.guild_id is None:
            # not translated: an Outcome code, dispatched with the `remix_reaction` event
            return "not a remix emoji"
        if member is None or member.bot:
            return "by a bot"
        if payload.message_author_id is not None and self.bot.user and payload.message_author_id != self.bot.user.id:
            return "not a result"
        message: discord.Message | None = None
        source = await self.bot.ledger.find_result(payload.message_id)
        if source is None:  # perhaps a result posted a moment ago whose job is still being recorded
            message = await self._fetch(payload)
            job_id = None if message is None else shown_job_id(message)
            if message is None or job_id is None:
                return "not a result"
            try:  # wait for the record, as a click does
                source = await recorded_result(self.bot, payload.guild_id, job_id, message.id)
            except UserFacingError as error:  # still not recorded: try again in a moment
                await self._output(message, member).refused(error, context=f"reaction remix by {payload.user_id}")
                return "refused"
            if source is None:
                return "not a result"
        with self.repeats.attempt((payload.message_id, payload.user_id)) as attempt:
            if attempt is None:
                return "repeated"
            attempt.end = end = await self._remix(payload, member, source, number, message)
        return "remixed" if end in ("delivered", "failed") else "message gone" if end == "message gone" else "refused"

    async def _remix(
        self,
        payload: discord.RawReactionActionEvent,
        member: discord.Member,
        source: JobResult,
        number: int,
        message: discord.Message | None,
    ) -> JobEnd | Literal["message gone"]:
        message = message or await self._fetch(payload)
        if message is None:
            return "message gone"
        output = self._output(message, member)
        try:
            spec = self._spec(payload, source, message, number)
        except Exception as error:  # the reaction can't become a job: no such image, no prompt
            await output.refused(error, context=f"reaction remix by {payload.user_id}")
            return "refused"
        return await self.bot.jobs.submit(spec, output)

    def _output(self, message: discord.Message, member: discord.Member) -> ReplyOutput:
        return ReplyOutput(message, member, _upload_limit(message), refusal_lifetime_s=self.refusal_lifetime_s)

    async def _fetch(self, payload: discord.RawReactionActionEvent) -> discord.Message | None:
        """The reacted message, fetched again rather than taken from a cache: attachment URLs expire, and the result
        may predate a restart. None when it is gone (or out of the bot's sight)."""
        try:
            channel = self.bot.get_channel(payload.channel_id) or await self.bot.fetch_channel(payload.channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                return None
            return await channel.fetch_message(payload.message_id)
        except (discord.NotFound, discord.Forbidden):
            return None

    def _spec(
        self, payload: discord.RawReactionActionEvent, source: JobResult, message: discord.Message, number: int
    ) -> JobSpec:
        wanted = derive.result_image(source, number, derive.NO_SUCH_IMAGE_TO_REMIX)
        image = next((i for i in message_images(self.bot, message) if i.attachment_id == wanted.attachment_id), None)
        if image is None:
            raise UserFacingError(IMAGE_GONE)
        assert payload.guild_id is not None
        who = derive.Requester(payload.guild_id, payload.channel_id, payload.user_id, role_ids(payload.member))
        weight = self.bot.settings.budget.remix_image_weight
        return derive.reaction_remix(source, fetched(message, image), who, weight)


def _upload_limit(message: discord.Message) -> int:
    return message.guild.filesize_limit if message.guild else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES


async def setup(bot: IdeogramBot) -> None:
    await bot.add_cog(Reactions(bot))
