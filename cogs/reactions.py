"""React to a result to remix it: 🔁 remixes the first image, 1️⃣-8️⃣ image N, charged to whoever reacted.

Raw reaction events and the database make this work on results from before a restart: the result is found by
message id, and the message is fetched again for fresh attachment URLs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Final, Literal

import discord
from discord.ext import commands

from bot.app import IdeogramBot
from bot.errors import UserFacingError
from bot.ideogram.catalog import carried
from bot.ideogram.values import V3_MODEL
from bot.jobs import JobSpec
from bot.ledger import JobResult
from cogs.common import input_file
from cogs.feedback import REFUSAL_LIFETIME_S
from cogs.output import ReplyOutput

log = logging.getLogger(__name__)

REMIX_EMOJI: Final = {
    "🔁": 1,
    **{f"{n}\N{VARIATION SELECTOR-16}\N{COMBINING ENCLOSING KEYCAP}": n for n in range(1, 9)},
}
REPEAT_WINDOW_S: Final = 10.0
# What became of a reaction; dispatched as the `remix_reaction` event once it has been dealt with.
# "remixed": the job ran (a failure after it started is told on its own reply);
# "refused": it never started (a reply to the member says why, then deletes itself).
Outcome = Literal[
    "not a remix emoji", "by a bot", "not a result", "repeated", "message gone", "refused", "remixed", "error"
]


def remix_options(source: JobResult, prompt: str, image_weight: int) -> dict[str, object]:
    """A V3 remix with `prompt` and the settings of the source job that a remix carries over (the catalogue's)."""
    options = carried(source.parameters, "remix", V3_MODEL)
    options.update(prompt=prompt, model=V3_MODEL, image_weight=image_weight)
    return options


class Reactions(commands.Cog):
    """Turns 🔁 and 1️⃣-8️⃣ on a result into a remix. `refusal_lifetime_s`, `repeat_window_s` and `clock` (monotonic
    seconds) are plain attributes so that a deployment, or a test, can change them on the loaded cog."""

    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot
        self.refusal_lifetime_s = REFUSAL_LIFETIME_S
        self.repeat_window_s = REPEAT_WINDOW_S
        self.clock: Callable[[], float] = time.monotonic
        self._recent: dict[tuple[int, int], float] = {}

    def _is_repeat(self, message_id: int, user_id: int) -> bool:
        now = self.clock()
        self._recent = {key: at for key, at in self._recent.items() if now - at < self.repeat_window_s}
        key = (message_id, user_id)
        if key in self._recent:
            return True
        self._recent[key] = now
        return False

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
            return "not a remix emoji"
        if member is None or member.bot:
            return "by a bot"
        if payload.message_author_id is not None and self.bot.user and payload.message_author_id != self.bot.user.id:
            return "not a result"
        source = await self.bot.ledger.find_result(payload.message_id)
        if source is None:
            return "not a result"
        if self._is_repeat(payload.message_id, payload.user_id):
            return "repeated"
        try:
            channel = self.bot.get_channel(payload.channel_id) or await self.bot.fetch_channel(payload.channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                return "message gone"
            # Fetched again, not taken from a cache: attachment URLs expire, and the result may predate a restart.
            message = await channel.fetch_message(payload.message_id)
        except (discord.NotFound, discord.Forbidden):
            return "message gone"
        output = ReplyOutput(message, member, _upload_limit(message), refusal_lifetime_s=self.refusal_lifetime_s)
        try:
            spec = self._spec(payload, source, message, number)
        except Exception as error:  # the reaction can't become a job: no such image, no prompt
            await output.refused(error, context=f"reaction remix by {payload.user_id}")
            return "refused"
        return "refused" if await self.bot.jobs.submit(spec, output) == "refused" else "remixed"

    def _spec(
        self, payload: discord.RawReactionActionEvent, source: JobResult, message: discord.Message, number: int
    ) -> JobSpec:
        safe = [image for image in source.images if image.is_safe and image.attachment_id is not None]
        if number > len(safe):
            raise UserFacingError(f"This result has {len(safe)} image(s), so there is no image {number} to remix.")
        chosen = safe[number - 1]
        attachment = next((a for a in message.attachments if a.id == chosen.attachment_id), None)
        if attachment is None:
            raise UserFacingError("That image is no longer on the message, so it can't be remixed.")
        # A job without a prompt of its own (an upscale, a reframe) remixes with the one the provider returned.
        prompt = source.prompt or chosen.prompt
        if not prompt:
            raise UserFacingError("This result has no prompt to remix with. Use `/remix` and write one.")
        assert payload.guild_id is not None
        return JobSpec(
            guild_id=payload.guild_id,
            channel_id=payload.channel_id,
            user_id=payload.user_id,
            command="remix",
            operation="remix",
            options=remix_options(source, prompt, self.bot.settings.budget.remix_image_weight),
            files={"image": input_file(attachment, "image")},
        )


def _upload_limit(message: discord.Message) -> int:
    return message.guild.filesize_limit if message.guild else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES


async def setup(bot: IdeogramBot) -> None:
    await bot.add_cog(Reactions(bot))
