"""Jobs derive jobs (`bot.jobs.derive`): what each derivation keeps, drops and records, without Discord or the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.errors import UserFacingError
from bot.jobs import ImageSource, InputFile, JobSpec, derive
from bot.jobs.defaults import with_member_defaults
from bot.ledger import JobResult, ResultImage

WHO = derive.Requester(guild_id=1, channel_id=2, user_id=3)
SOURCE = ImageSource(channel_id=2, message_id=50, attachment_id=501, number=1)


async def _read() -> bytes:
    return b""


def image(source: ImageSource = SOURCE) -> derive.FetchedImage:
    return derive.FetchedImage(source, InputFile("image", "a.png", 10, "image/png", _read))


def job(operation: str = "generate", source_job_id: int | None = None, **parameters: Any) -> JobResult:
    return JobResult(
        job_id=7,
        guild_id=1,
        channel_id=2,
        user_id=99,
        command="imagine",
        operation=operation,
        parameters=parameters,
        prompt=str(parameters.get("prompt", "")),
        status="succeeded",
        cost=30_000,
        seed=5,
        message_id=50,
        error=None,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        finished_at=None,
        source_job_id=source_job_id,
        images=(
            ResultImage(0, 501, None, None, True, 5, "rewritten"),
            ResultImage(1, None, None, None, False, 6, None),  # withheld: not numbered
            ResultImage(2, 503, None, None, True, 7, "rewritten"),
        ),
    )


def stored(spec: JobSpec, operation: str | None = None) -> JobResult:
    """`spec` as the ledger would give it back (the runner records `recorded_parameters`)."""
    return job(operation or spec.operation, spec.source_job_id, **derive.recorded_parameters(spec))


def test_image_n_counts_posted_images_only() -> None:
    assert derive.result_image(job(prompt="p"), 2).attachment_id == 503
    with pytest.raises(UserFacingError) as refused:
        derive.result_image(job(prompt="p"), 3)
    assert str(refused.value) == "This result has 2 images, so there is no image 3."


@pytest.mark.parametrize(("strength", "weight"), [("subtle", 80), ("strong", 35)])
def test_vary_is_a_v3_remix_with_the_prompt_and_carried_settings(strength: derive.Strength, weight: int) -> None:
    source = job(prompt="a fox", aspect_ratio="16x9", seed=5, model="V_2", resolution="1024x1024")
    spec = derive.vary(source, image(), WHO, strength)
    assert spec.operation == "remix"
    assert spec.user_id == WHO.user_id  # the clicker, not the author (99)
    assert spec.options["image_weight"] == weight
    assert spec.options["prompt"] == "a fox"
    assert spec.options["aspect_ratio"] == "16x9"
    assert spec.options["model"] == "V_3"
    assert "seed" not in spec.options
    assert spec.source_job_id == 7
    assert spec.inputs == {"image": SOURCE}


def test_member_defaults_are_the_weakest_layer_and_only_where_they_apply() -> None:
    # Derivations leave the member's defaults to the runner (`with_member_defaults`), as for every job.
    source = job(prompt="a fox", rendering_speed="TURBO")
    defaults = {"rendering_speed": "QUALITY", "num_images": 2, "magic_prompt": "OFF"}
    spec = with_member_defaults(derive.remix(source, image(), WHO, prompt="a fox", image_weight=50), defaults)
    assert spec.options["rendering_speed"] == "TURBO"  # the source job's setting wins over the default
    assert spec.options["num_images"] == 2  # the default fills what nothing else set
    assert spec.defaults_used == {"num_images": 2, "magic_prompt": "OFF"}
    upscale = with_member_defaults(derive.upscale(source, image(), WHO), defaults)
    assert upscale.options == {"num_images": 2, "magic_prompt": "OFF"}  # upscale takes no rendering speed


def test_again_keeps_everything_but_the_seed_and_fetches_recorded_inputs() -> None:
    varied = derive.vary(job(prompt="a fox"), image(), WHO, "subtle")
    again_of = stored(varied)
    assert derive.inputs_to_fetch(again_of) == {"image": SOURCE}
    spec = derive.again(again_of, WHO, {"image": image()})
    assert spec.options == {k: v for k, v in derive.options_of(again_of).items() if k != "seed"}
    assert spec.source_job_id == 7
    assert derive.source_job_of(again_of) == 7


def test_again_refuses_an_input_that_cannot_be_fetched() -> None:
    slash = JobSpec(1, 2, 3, "remix", "remix", {"prompt": "p"}, files={"image": image().file})  # no source
    with pytest.raises(UserFacingError) as refused:
        derive.inputs_to_fetch(stored(slash))
    assert "can't fetch again" in str(refused.value)
    with pytest.raises(UserFacingError):  # a job from before inputs were recorded
        derive.inputs_to_fetch(job("remix", prompt="p"))
    assert derive.inputs_to_fetch(job(prompt="text only")) == {}


def test_imagine_takes_description_n() -> None:
    spec = derive.imagine(job("describe"), ["first", "second"], 2, WHO)
    assert (spec.operation, spec.options["prompt"], spec.source_job_id) == ("generate", "second", 7)
    with pytest.raises(UserFacingError):
        derive.imagine(job("describe"), ["first"], 2, WHO)
