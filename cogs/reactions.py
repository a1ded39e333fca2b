"""React to a result to remix it: 🔁 remixes the first image, 1️⃣-8️⃣ image N, charged to whoever reacted.

Raw reaction events and the database make this work on results from before a restart: the result is found by
message id, and the message is fetched again for fresh attachment URLs.
"""

from __future__ import annotations

import logging
import time
from typing import Final

import discord
from discord.ext import commands

from bot.app import IdeogramBot
from bot.errors import UserFacingError, user_message
from bot.jobs import InputFile, JobSpec
from bot.ledger import JobResult
from cogs.output import ReplyOutput, refuse

log = logging.getLogger(__name__)

REMIX_EMOJI: Final = {
    "🔁": 1,
    **{f"{n}\N{VARIATION SELECTOR-16}\N{COMBINING ENCLOSING KEYCAP}": n for n in range(1, 9)},
}
REPEAT_WINDOW_S: Final = 10.0
# Settings of the source job that a V3 remix takes too; the rest (model, resolution, ...) stay at their defaults.
CARRIED_OPTIONS: Final = (
    "negative_prompt",
    "aspect_ratio",
    "rendering_speed",
    "style_type",
    "magic_prompt",
    "num_images",
    "style_preset",
    "color_palette",
)
LEGACY_ONLY_STYLES: Final = frozenset({"RENDER_3D", "ANIME"})


def remix_options(source: JobResult, image_weight: int) -> dict[str, object]:
    """A V3 remix with the source job's prompt and the settings a remix accepts."""
    options: dict[str, object] = {
        name: source.parameters[name] for name in CARRIED_OPTIONS if source.parameters.get(name) is not None
    }
    if options.get("style_type") in LEGACY_ONLY_STYLES:
        del options["style_type"]
    options.update(prompt=source.prompt, model="V_3", image_weight=image_weight)
    return options


class Reactions(commands.Cog):
    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot
        self._recent: dict[tuple[int, int], float] = {}

    def _is_repeat(self, message_id: int, user_id: int) -> bool:
        now = time.monotonic()
        self._recent = {key: at for key, at in self._recent.items() if now - at < REPEAT_WINDOW_S}
        key = (message_id, user_id)
        if key in self._recent:
            return True
        self._recent[key] = now
        return False

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        number = REMIX_EMOJI.get(str(payload.emoji))
        if number is None or payload.guild_id is None or payload.member is None or payload.member.bot:
            return
        if payload.message_author_id is not None and self.bot.user and payload.message_author_id != self.bot.user.id:
            return
        source = await self.bot.ledger.find_result(payload.message_id)
        if source is None or self._is_repeat(payload.message_id, payload.user_id):
            return
        channel = self.bot.get_channel(payload.channel_id) or await self.bot.fetch_channel(payload.channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            return
        message = await channel.fetch_message(payload.message_id)
        try:
            spec = self._spec(payload, source, message, number)
            await self.bot.jobs.submit(spec, ReplyOutput(message, payload.member, _upload_limit(message)))
        except Exception as error:  # refusals before the job started: budget, limits, a missing image
            await refuse(message, payload.member, user_message(error, context=f"reaction remix by {payload.user_id}"))

    def _spec(
        self, payload: discord.RawReactionActionEvent, source: JobResult, message: discord.Message, number: int
    ) -> JobSpec:
        safe = [image for image in source.images if image.is_safe and image.attachment_id is not None]
        if number > len(safe):
            raise UserFacingError(f"This result has {len(safe)} image(s), so there is no image {number} to remix.")
        wanted = safe[number - 1].attachment_id
        attachment = next((a for a in message.attachments if a.id == wanted), None)
        if attachment is None:
            raise UserFacingError("That image is no longer on the message, so it can't be remixed.")
        assert payload.guild_id is not None
        return JobSpec(
            guild_id=payload.guild_id,
            channel_id=payload.channel_id,
            user_id=payload.user_id,
            command="remix",
            operation="remix",
            options=remix_options(source, self.bot.settings.budget.remix_image_weight),
            files={
                "image": InputFile(
                    "image", attachment.filename, attachment.size, attachment.content_type, attachment.read
                )
            },
        )


def _upload_limit(message: discord.Message) -> int:
    return message.guild.filesize_limit if message.guild else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES


async def setup(bot: IdeogramBot) -> None:
    await bot.add_cog(Reactions(bot))
