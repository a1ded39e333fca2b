"""Info under a result: everything about the job that made it, privately (parameters, seeds, model, cost, source)."""

from __future__ import annotations

import json
from typing import Final

import discord

from bot.i18n import _
from bot.jobs import derive
from bot.ledger import Job, JobResult
from bot.money import format_amount
from cogs.output import EMBED_COLOUR, inert

INFO_TITLE: Final = _("Job {job_id}")
MADE_BY: Final = _("/{command} by {member}, {when}")
NOT_SET: Final = "—"
# Field names, in the language of the member who asked.
FIELD_NAMES: Final = {
    "made": _("Made"),
    "parameters": _("Parameters"),
    "seeds": _("Seeds"),
    "model": _("Model"),
    "cost": _("Cost"),
    "source": _("Derived from"),
    "inputs": _("Input images"),
}
SOURCE_JOB: Final = _("job {job_id}")
INPUT_IMAGE: Final = "{option}: {link}"
MESSAGE_LINK: Final = "https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def info_embed(job: Job, shown: JobResult | None, locale: object | None) -> discord.Embed:
    """The Info embed for `job` in `locale`; `shown` adds each image's seed when the job's result is at hand."""

    def field(key: str, value: str, *, inline: bool = True) -> None:
        embed.add_field(name=FIELD_NAMES[key].render(locale), value=value, inline=inline)

    embed = discord.Embed(title=INFO_TITLE.with_params(job_id=job.job_id).render(locale), colour=EMBED_COLOUR)
    if job.prompt:
        embed.description = _clip(inert(job.prompt), 4000)
    when = discord.utils.format_dt(job.created_at, "f")
    field("made", MADE_BY.with_params(command=job.command, member=f"<@{job.user_id}>", when=when).render(locale))
    options = derive.options_of(job)
    lines = [f"`{name}`: {_value(value)}" for name, value in sorted(options.items()) if name != "prompt"]
    field("parameters", _clip("\n".join(lines) or NOT_SET), inline=False)
    seeds = [image.seed for image in shown.images if image.seed is not None] if shown else []
    if not seeds and job.seed is not None:
        seeds = [job.seed]
    field("seeds", ", ".join(map(str, seeds)) or NOT_SET)
    model = options.get("model") or ("V_3" if job.operation not in ("upscale", "describe") else None)
    speed = options.get("rendering_speed")
    field("model", f"{model or NOT_SET}{f' · {speed}' if speed else ''}")
    field("cost", format_amount(job.cost, locale) if job.cost is not None else NOT_SET)
    source = derive.source_job_of(job)
    if source is not None:
        field("source", SOURCE_JOB.with_params(job_id=source).render(locale))
    inputs = derive.recorded_inputs(job)
    if inputs:
        links = [
            INPUT_IMAGE.format(
                option=name,
                link=NOT_SET
                if s is None
                else MESSAGE_LINK.format(guild_id=job.guild_id, channel_id=s.channel_id, message_id=s.message_id),
            )
            for name, s in inputs.items()
        ]
        field("inputs", _clip("\n".join(links)), inline=False)
    return embed


def _value(value: object) -> str:
    """A parameter as the member gave it, made inert (a negative prompt is the member's own text)."""
    return inert(value if isinstance(value, str) else json.dumps(value))


def _clip(text: str, limit: int = 1024) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
