"""/history (a member's own jobs here, newest first, paged) and /job (one job in full, for its author or a
moderator). Both answer privately."""

from __future__ import annotations

import re
from typing import Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import IdeogramBot
from bot.errors import UserFacingError
from bot.i18n import _, _n, render
from bot.i18n.readback import shown_text
from bot.jobs import derive
from bot.ledger import Job, JobResult
from bot.money import Amount
from cogs.feedback import refuse_unserved, report_error
from cogs.layout import actions_view
from cogs.output import inert
from cogs.result_info import info_embed
from cogs.sources import fetch_message

Interaction = discord.Interaction[IdeogramBot]

PAGE_SIZE: Final = 10
PROMPT_CLIP: Final = 60
HISTORY_TITLE: Final = _("Your jobs in this server")
NO_JOBS: Final = _("You haven't started any jobs here yet. Try `/imagine`.")
NOT_IN_SERVER: Final = _("Your history belongs to a server; use /history there.")
# `count` (the number of jobs) picks the plural form when it is shown.
PAGE_FOOTER: Final = _n(
    "Page {page} of {pages} · {count} job · /job id shows one in full",
    "Page {page} of {pages} · {count} jobs · /job id shows one in full",
    count=0,
)
# not translated: a line's layout; its words are parameters
HISTORY_LINE: Final = "`#{job_id}` {when} · /{command} · {prompt} · {images} · {cost} · {status}{link}"
NO_PROMPT: Final = _("no prompt")
RESULT_LINK: Final = _("result")
JUMP: Final = _("jump to it")
PREVIOUS: Final = _("Previous")
NEXT: Final = _("Next")
NO_SUCH_JOB: Final = _("There is no job #{job_id} in this server. `/history` lists yours.")
NOT_YOURS: Final = _("Job #{job_id} isn't yours; only its author or a moderator can see it.")
STATUS_WORDS: Final = {"running": _("running"), "succeeded": _("done"), "failed": _("failed")}
FIELD_NAMES: Final = {"status": _("Status"), "result": _("Result"), "error": _("Why it failed")}


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def jump_url(job: Job) -> str | None:
    if job.message_id is None:
        return None
    return f"https://discord.com/channels/{job.guild_id}/{job.channel_id}/{job.message_id}"


def when(job: Job) -> str:
    return f"<t:{int(job.created_at.timestamp())}:f>"


def history_line(job: Job, images: int, locale: object | None) -> str:
    url = jump_url(job)
    prompt = f'"{discord.utils.escape_markdown(clip(job.prompt, PROMPT_CLIP))}"' if job.prompt else None
    return HISTORY_LINE.format(
        job_id=job.job_id,
        when=when(job),
        command=job.command,
        prompt=prompt or NO_PROMPT.render(locale),
        images=_n("{count} image", "{count} images", count=images).render(locale),
        cost=Amount(job.cost or 0).render(locale),
        status=STATUS_WORDS[job.status].render(locale),
        link=f" · [{RESULT_LINK.render(locale)}]({url})" if url else "",
    )


class HistoryPage(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"history:(?P<page>[0-9]+)"):
    """Previous/Next under /history: persistent (they work after a restart); each shows the clicker's own jobs."""

    def __init__(self, page: int, *, label: str = "", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or str(page + 1),
                style=discord.ButtonStyle.secondary,
                custom_id=f"history:{page}",
                disabled=disabled,
            )
        )
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> HistoryPage:
        return cls(int(match["page"]))

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return await refuse_unserved(interaction)  # outside `[discord] allowed_guild_ids`, one short refusal

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = interaction.client
        assert isinstance(bot, IdeogramBot)
        try:
            embed, view = await history_page(bot, interaction, self.page)
            await interaction.response.edit_message(embed=embed, view=view)
        except Exception as error:  # buttons bypass the command tree: the same error path, called by hand
            await report_error(interaction, error)


async def history_page(bot: IdeogramBot, interaction: Interaction, page: int) -> tuple[discord.Embed, discord.ui.View]:
    if interaction.guild_id is None:
        raise UserFacingError(NOT_IN_SERVER)
    guild_id, user_id = interaction.guild_id, interaction.user.id
    total = await bot.ledger.count_member_jobs(guild_id, user_id)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages - 1)
    jobs = await bot.ledger.member_jobs(guild_id, user_id, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    locale = interaction.locale
    embed = discord.Embed(title=HISTORY_TITLE.render(locale), colour=discord.Colour.blurple())
    lines = [history_line(job, images, locale) for job, images in jobs]
    embed.description = "\n".join(lines) or NO_JOBS.render(locale)
    embed.set_footer(text=PAGE_FOOTER.with_params(page=page + 1, pages=pages, count=total).render(locale))
    view = discord.ui.View(timeout=None)
    view.add_item(HistoryPage(max(page - 1, 0), label=PREVIOUS.render(locale), disabled=page == 0))
    view.add_item(HistoryPage(page + 1, label=NEXT.render(locale), disabled=page + 1 >= pages))
    view.stop()  # clicks reach the registered HistoryPage template
    return embed, view


def job_embed(job: JobResult, locale: object | None) -> discord.Embed:
    """A result's Info (parameters, seeds, model, cost, source), with its status, a link and why it failed."""
    embed = info_embed(job, job, locale)
    embed.add_field(name=FIELD_NAMES["status"].render(locale), value=STATUS_WORDS[job.status].render(locale))
    url = jump_url(job)
    if url:
        embed.add_field(name=FIELD_NAMES["result"].render(locale), value=f"[{JUMP.render(locale)}]({url})")
    if job.error and job.status == "failed":
        # Stored in English (the audit trail); shown in the reader's language when it is one of the bot's messages.
        why = render(shown_text(job.error, raw=inert), locale)
        embed.add_field(name=FIELD_NAMES["error"].render(locale), value=clip(why, 1024), inline=False)
    return embed


async def job_actions(bot: IdeogramBot, job: JobResult, locale: object | None) -> discord.ui.View | None:
    """The result's own buttons, while its message still exists (clicks act on that message)."""
    if job.message_id is None or job.status != "succeeded":
        return None
    try:
        await fetch_message(bot, job.channel_id, job.message_id)
    except UserFacingError:
        return None
    descriptions = await derive.descriptions_of(bot.ledger, job.job_id) if job.operation == "describe" else []
    again = job.operation != "describe" and all(s is not None for s in derive.recorded_inputs(job).values())
    images = sum(1 for image in job.images if image.attachment_id is not None)
    return actions_view(
        job.job_id, images=images, descriptions=len(descriptions), again=again and images > 0, locale=locale
    )


class History(commands.Cog):
    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot

    @app_commands.command(name="history")
    @app_commands.guild_only()
    async def history(self, interaction: Interaction) -> None:
        """Your recent jobs in this server, newest first (only you see them)."""
        embed, view = await history_page(self.bot, interaction, 0)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    @app_commands.command(name="job")
    @app_commands.guild_only()
    @app_commands.rename(job_id="id")
    @app_commands.describe(job_id="The job's number, as /history and a result's Info show it")
    async def job(self, interaction: Interaction, job_id: app_commands.Range[int, 1]) -> None:
        """One job in full: parameters, seeds, cost and a link (yours, or any as a moderator)."""
        job = await self.bot.ledger.job_result(job_id)
        if job is None or job.guild_id != interaction.guild_id:
            raise UserFacingError(NO_SUCH_JOB.with_params(job_id=job_id))
        if job.user_id != interaction.user.id and not await self.bot.is_moderator(interaction.user):
            raise UserFacingError(NOT_YOURS.with_params(job_id=job_id))
        locale = interaction.locale
        view = await job_actions(self.bot, job, interaction.guild_locale)
        if view is None:
            await interaction.response.send_message(embed=job_embed(job, locale), ephemeral=True)
        else:
            await interaction.response.send_message(embed=job_embed(job, locale), view=view, ephemeral=True)


async def setup(bot: IdeogramBot) -> None:
    await bot.add_cog(History(bot))
    bot.add_dynamic_items(HistoryPage)
