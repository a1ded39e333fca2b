"""Jobs derive jobs: a stored job (or any message's image) plus a member's click becomes a new `JobSpec`.

One function per derivation; cogs only translate a Discord event into one of these calls and fetch the images
these functions name (`ImageSource`). Each derived spec records where its input images came from (so 🎲 Again
can fetch them once more) and the job it was derived from.

Layers of options, weakest first: the source job's carried settings, then what the member gave in this click or
modal. The member's own defaults (`/settings`) fill what is still missing in the runner, as for every job
(`bot.jobs.defaults`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

from bot.errors import UserFacingError
from bot.i18n import Message, _, _n
from bot.ideogram.catalog import carried
from bot.ideogram.values import V3_MODEL
from bot.jobs.model import ImageSource, InputFile, JobSpec
from bot.ledger import Job, JobResult, Ledger

Strength = Literal["subtle", "strong"]
# Vary N is a V3 remix of image N with its own prompt; the image weight (1-100) is how much of the image the
# remix keeps. 80 keeps the composition, palette and subject and lets details and texture change (a "subtle"
# variation reads as the same picture retaken); 35 keeps the subject and mood but frees composition, pose and
# lighting (a "strong" one reads as a sibling). Below ~30 the prompt dominates and the result stops looking
# related; above ~90 Ideogram returns near copies.
VARY_IMAGE_WEIGHTS: Final[Mapping[Strength, int]] = {"subtle": 80, "strong": 35}
# Keys in a job's stored parameters that are not API options: where its inputs came from, and (in jobs recorded
# before the ledger had a column for it) the job it was derived from.
INPUTS_KEY: Final = "inputs"
_OLD_SOURCE_JOB_KEY: Final = "source_job_id"
_NOT_OPTIONS: Final = frozenset({INPUTS_KEY, _OLD_SOURCE_JOB_KEY})
_DESCRIPTIONS_KEY: Final = "job:{job_id}:descriptions"

CANT_FETCH_AGAIN: Final = _(
    "This result was made from an attachment the bot can't fetch again. Run the command again with the image."
)
UNKNOWN_JOB: Final = _("That result is no longer known to the bot. Run the command again instead.")
# With `count` and `number` (`with_params`; the real `count` picks the plural form when it is shown).
NO_SUCH_IMAGE: Final = _n(
    "This result has {count} image, so there is no image {number}.",
    "This result has {count} images, so there is no image {number}.",
    count=0,
)
NO_SUCH_IMAGE_TO_REMIX: Final = _n(
    "This result has {count} image, so there is no image {number} to remix.",
    "This result has {count} images, so there is no image {number} to remix.",
    count=0,
)
NO_PROMPT: Final = _("This result has no prompt to remix with. Use `/remix` and write one.")
NO_SUCH_DESCRIPTION: Final = _("That description is no longer known to the bot. Run /describe again.")


@dataclass(frozen=True)
class Requester:
    """Who asked and where the result goes: the member is charged, the channel gets the reply."""

    guild_id: int
    channel_id: int
    user_id: int
    role_ids: tuple[int, ...] = ()  # the member's roles: an allowance may come from one


@dataclass(frozen=True)
class FetchedImage:
    """An input image as the cog fetched it again, with where it came from."""

    source: ImageSource
    file: InputFile


def recorded_parameters(spec: JobSpec) -> dict[str, object]:
    """What the ledger stores as a job's parameters: its options and where its inputs came from (the source job
    has a column of its own: `create_job(source_job_id=...)`)."""
    parameters: dict[str, object] = dict(spec.options)
    if spec.files:  # None: an input the bot can't fetch again
        parameters[INPUTS_KEY] = {name: _source_json(spec.inputs.get(name)) for name in spec.files}
    return parameters


def options_of(job: Job) -> dict[str, object]:
    """A stored job's API options (without the bookkeeping `recorded_parameters` adds)."""
    return {name: value for name, value in job.parameters.items() if name not in _NOT_OPTIONS}


def source_job_of(job: Job) -> int | None:
    """The job `job` was derived from, if any."""
    if job.source_job_id is not None:
        return job.source_job_id
    value = job.parameters.get(_OLD_SOURCE_JOB_KEY)
    return value if isinstance(value, int) else None


def recorded_inputs(job: Job) -> dict[str, ImageSource | None]:
    """Where each of a stored job's input images came from; None for one the bot can't fetch again."""
    recorded = job.parameters.get(INPUTS_KEY)
    return {name: _source(data) for name, data in recorded.items()} if isinstance(recorded, dict) else {}


def inputs_to_fetch(job: Job) -> dict[str, ImageSource]:
    """Where to fetch a stored job's input images again; refuses a job with an input the bot can't fetch (a
    slash command's attachment: its URL expires and no message holds it)."""
    sources = recorded_inputs(job)
    found = {name: source for name, source in sources.items() if source is not None}
    # Jobs from before inputs were recorded have no record at all: only a plain generation needs none.
    unrecorded = INPUTS_KEY not in job.parameters and job.operation != "generate"
    if len(found) != len(sources) or unrecorded:
        raise UserFacingError(CANT_FETCH_AGAIN)
    return found


async def remember_descriptions(ledger: Ledger, job_id: int, descriptions: Sequence[str]) -> None:
    """Keep a /describe result's descriptions for its Imagine buttons (the message may be edited or gone)."""
    await ledger.set_state(_DESCRIPTIONS_KEY.format(job_id=job_id), json.dumps(list(descriptions)))


async def descriptions_of(ledger: Ledger, job_id: int) -> list[str]:
    stored = await ledger.get_state(_DESCRIPTIONS_KEY.format(job_id=job_id))
    loaded = json.loads(stored) if stored else []
    return [str(text) for text in loaded] if isinstance(loaded, list) else []


def result_image(source: JobResult, number: int, refusal: Message = NO_SUCH_IMAGE) -> ImageSource:
    """Image `number` (1-based, as the buttons count: posted images only) of a result; `refusal` (with
    `{count}` and `{number}`) says why not."""
    posted = [image for image in source.images if image.is_safe and image.attachment_id is not None]
    if not 1 <= number <= len(posted) or source.message_id is None:
        raise UserFacingError(refusal.with_params(count=len(posted), number=number))
    return ImageSource(source.channel_id, source.message_id, posted[number - 1].attachment_id, number)


def again(source: Job, who: Requester, images: Mapping[str, FetchedImage]) -> JobSpec:
    """The same job with a new seed; `images` are its inputs fetched again (see `inputs_to_fetch`)."""
    options = {name: value for name, value in options_of(source).items() if name != "seed"}
    return _spec(source.command, source.operation, options, who, images, source_job_id=source.job_id)


def vary(
    source: JobResult,
    image: FetchedImage,
    who: Requester,
    strength: Strength,
) -> JobSpec:
    """A V3 remix of image N with its prompt, subtle or strong (`VARY_IMAGE_WEIGHTS`)."""
    prompt = _prompt_of(source, image.source)
    return remix(source, image, who, prompt=prompt, image_weight=VARY_IMAGE_WEIGHTS[strength])


def remix(
    source: Job | None,
    image: FetchedImage,
    who: Requester,
    *,
    prompt: str,
    image_weight: int | None,
    rendering_speed: str | None = None,
) -> JobSpec:
    """A V3 remix of one image: Remix N, Vary N, a reaction remix, or "Remix image" on any message.

    `source` is the job whose result shows the image (its remixable settings carry over), or None for a
    member's own image."""
    kept = {} if source is None else _carried(source)
    given: dict[str, object] = {"prompt": prompt, "model": V3_MODEL, "image_weight": image_weight}
    if rendering_speed is not None:
        given["rendering_speed"] = rendering_speed
    options = _layered(kept, given)
    source_id = None if source is None else source.job_id
    return _spec("remix", "remix", options, who, {"image": image}, source_job_id=source_id)


def edit(
    source: Job,
    image: FetchedImage,
    mask: InputFile,
    who: Requester,
    *,
    prompt: str,
) -> JobSpec:
    """Edit N: a V3 edit of image N with a mask the member uploaded (it can't be fetched again, so the result has
    no Again)."""
    kept = carried(options_of(source), "edit", V3_MODEL)
    options = _layered(kept, {"prompt": prompt, "model": V3_MODEL})
    spec = _spec("edit", "edit", options, who, {"image": image}, source_job_id=source.job_id)
    return replace(spec, files={**spec.files, "mask": mask})


def reaction_remix(source: JobResult, image: FetchedImage, who: Requester, image_weight: int) -> JobSpec:
    """🔁 or 1️⃣-8️⃣ on a result: remix that image with the result's prompt."""
    prompt = _prompt_of(source, image.source)
    return remix(source, image, who, prompt=prompt, image_weight=image_weight)


def upscale(source: Job | None, image: FetchedImage, who: Requester) -> JobSpec:
    """Upscale N under a result, or "Upscale image" on any message."""
    options: dict[str, object] = {}
    source_id = None if source is None else source.job_id
    return _spec("upscale", "upscale", options, who, {"image": image}, source_job_id=source_id)


def describe(source: Job | None, image: FetchedImage, who: Requester) -> JobSpec:
    """ "Describe image" on any message."""
    source_id = None if source is None else source.job_id
    return _spec("describe", "describe", {}, who, {"image": image}, source_job_id=source_id)


def imagine(
    source: Job,
    descriptions: list[str],
    number: int,
    who: Requester,
) -> JobSpec:
    """Imagine N under a /describe result: /imagine with description N as the prompt."""
    if not 1 <= number <= len(descriptions):
        raise UserFacingError(NO_SUCH_DESCRIPTION)
    options = {"prompt": descriptions[number - 1]}
    return _spec("imagine", "generate", options, who, {}, source_job_id=source.job_id)


def _layered(kept: Mapping[str, object], given: Mapping[str, object]) -> dict[str, object]:
    """The source job's settings < this click's."""
    return {**kept, **{name: value for name, value in given.items() if value is not None}}


def _carried(source: Job) -> dict[str, object]:
    """The source job's settings a V3 remix keeps (the catalogue says which)."""
    return carried(options_of(source), "remix", V3_MODEL)


def _prompt_of(source: JobResult, image: ImageSource) -> str:
    # A job without a prompt of its own (an upscale, a reframe) varies with the one the provider returned.
    returned = next((i.prompt for i in source.images if i.attachment_id == image.attachment_id), None)
    prompt = source.prompt or returned
    if not prompt:
        raise UserFacingError(NO_PROMPT)
    return prompt


def _spec(
    command: str,
    operation: str,
    options: Mapping[str, object],
    who: Requester,
    images: Mapping[str, FetchedImage],
    *,
    source_job_id: int | None,
) -> JobSpec:
    return JobSpec(
        guild_id=who.guild_id,
        channel_id=who.channel_id,
        user_id=who.user_id,
        command=command,
        operation=operation,
        options=options,
        files={name: image.file for name, image in images.items()},
        inputs={name: image.source for name, image in images.items()},
        source_job_id=source_job_id,
        role_ids=who.role_ids,
    )


def _source_json(source: ImageSource | None) -> dict[str, int | None] | None:
    if source is None:
        return None
    return {
        "channel_id": source.channel_id,
        "message_id": source.message_id,
        "attachment_id": source.attachment_id,
        "number": source.number,
    }


def _source(data: object) -> ImageSource | None:
    if not isinstance(data, dict):
        return None
    try:
        attachment = data.get("attachment_id")
        return ImageSource(
            int(data["channel_id"]),
            int(data["message_id"]),
            None if attachment is None else int(attachment),
            int(data.get("number", 1)),
        )
    except (KeyError, TypeError, ValueError):
        return None
