"""Info under a result: everything about the job that made it, privately (parameters, seeds, model, cost, source)."""

from __future__ import annotations

import json
from typing import Final

import discord

from bot.jobs import derive
from bot.ledger import Job, JobResult
from bot.money import format_amount
from cogs.output import EMBED_COLOUR, inert

INFO_TITLE: Final = "Job {job_id}"
MADE_BY: Final = "/{command} by <@{user_id}>, {when}"
NOT_SET: Final = "—"
# Field names, and the value templates that need one.
FIELD_NAMES: Final = {
    "made": "Made",
    "parameters": "Parameters",
    "seeds": "Seeds",
    "model": "Model",
    "cost": "Cost",
    "source": "Derived from",
    "inputs": "Input images",
}
SOURCE_JOB: Final = "job {job_id}"
INPUT_IMAGE: Final = "{option}: {link}"
MESSAGE_LINK: Final = "https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def info_embed(job: Job, shown: JobResult | None) -> discord.Embed:
    """The Info embed for `job`; `shown` adds each image's seed when the job's result is at hand."""
    embed = discord.Embed(title=INFO_TITLE.format(job_id=job.job_id), colour=EMBED_COLOUR)
    if job.prompt:
        embed.description = _clip(inert(job.prompt), 4000)
    when = discord.utils.format_dt(job.created_at, "f")
    embed.add_field(name=FIELD_NAMES["made"], value=MADE_BY.format(command=job.command, user_id=job.user_id, when=when))
    options = derive.options_of(job)
    lines = [f"`{name}`: {_value(value)}" for name, value in sorted(options.items()) if name != "prompt"]
    embed.add_field(name=FIELD_NAMES["parameters"], value=_clip("\n".join(lines) or NOT_SET), inline=False)
    seeds = [image.seed for image in shown.images if image.seed is not None] if shown else []
    if not seeds and job.seed is not None:
        seeds = [job.seed]
    embed.add_field(name=FIELD_NAMES["seeds"], value=", ".join(map(str, seeds)) or NOT_SET)
    model = options.get("model") or ("V_3" if job.operation not in ("upscale", "describe") else None)
    speed = options.get("rendering_speed")
    embed.add_field(name=FIELD_NAMES["model"], value=f"{model or NOT_SET}{f' · {speed}' if speed else ''}")
    embed.add_field(name=FIELD_NAMES["cost"], value=format_amount(job.cost) if job.cost is not None else NOT_SET)
    source = derive.source_job_of(job)
    if source is not None:
        embed.add_field(name=FIELD_NAMES["source"], value=SOURCE_JOB.format(job_id=source))
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
        embed.add_field(name=FIELD_NAMES["inputs"], value=_clip("\n".join(links)), inline=False)
    return embed


def _value(value: object) -> str:
    """A parameter as the member gave it, made inert (a negative prompt is the member's own text)."""
    return inert(value if isinstance(value, str) else json.dumps(value))


def _clip(text: str, limit: int = 1024) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
