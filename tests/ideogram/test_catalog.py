"""The option catalogue is consistent, and what it declares is what validation, pricing and derivations do."""

from __future__ import annotations

import pytest

from bot.ideogram import InvalidRequest, build_request, check_options
from bot.ideogram.catalog import COMMANDS, OPERATION_MODELS, OPTIONS, applies, carried, command_name, required
from bot.ideogram.values import LEGACY_ONLY_STYLE_TYPES, OPERATIONS, V3_MODEL
from bot.pricing import PriceTable
from tests.ideogram.conftest import make_image, make_mask

PNG = make_image("PNG")
MASK = make_mask()
# A valid value for each text option that has no list of values to take one from.
SAMPLES: dict[str, object] = {"prompt": "x", "negative_prompt": "x", "style_codes": "AAFF5733"}
DISCORD_MAX_CHOICES = 25
DISCORD_MAX_DESCRIPTION = 100


def sample(name: str) -> object:
    spec = OPTIONS[name]
    if spec.kind == "integer":
        return spec.low
    if name == "resolution":
        return "1024x1024"  # on every model that takes a resolution
    return spec.values[0] if spec.values else SAMPLES[name]


def base(operation: str) -> tuple[dict[str, object], dict[str, bytes]]:
    """The least a request for `operation` needs: its required options and attachments."""
    options = {name: sample(name) for name in required(operation) if OPTIONS[name].kind != "attachment"}
    images = {name: MASK if name == "mask" else PNG for name in required(operation) if name in ("image", "mask")}
    return options, images


def combinations() -> list[tuple[str, str, str | None]]:
    return [
        (name, operation, model)
        for name, spec in OPTIONS.items()
        if spec.sent and spec.kind != "attachment" and name != "model"
        for operation in OPERATIONS
        for model in OPERATION_MODELS[operation] or (None,)
    ]


@pytest.mark.parametrize("name", OPTIONS)
def test_every_option_is_declared_completely(name: str) -> None:
    spec = OPTIONS[name]
    assert spec.name == name
    assert 0 < len(spec.description) <= DISCORD_MAX_DESCRIPTION
    assert spec.operations <= set(OPERATIONS)
    assert spec.required <= spec.operations
    if spec.kind == "integer":
        assert spec.low is not None
        assert spec.high is not None
        assert spec.low <= spec.high
    if spec.values and not spec.autocomplete:
        assert len(spec.values) <= DISCORD_MAX_CHOICES, "Discord offers at most 25 choices: use autocomplete"
    assert all(other in OPTIONS for other in spec.excludes)
    assert any(name in command.options for command in COMMANDS.values()), f"no command offers `{name}`"


@pytest.mark.parametrize("name", COMMANDS)
def test_a_command_offers_only_what_its_operation_takes_and_all_it_requires(name: str) -> None:
    command = COMMANDS[name]
    assert command_name(command.operation) == name
    models = OPERATION_MODELS[command.operation] or (None,)
    for option in command.options:
        assert any(applies(option, command.operation, model) for model in models)
    needed = required(command.operation)
    assert set(needed) <= set(command.options)
    assert list(command.options[: len(needed)]) == [o for o in command.options if o in needed], "required ones first"
    assert len(set(command.options)) == len(command.options)


@pytest.mark.parametrize(("name", "operation", "model"), combinations())
def test_validation_accepts_an_option_exactly_where_the_catalogue_says(
    name: str, operation: str, model: str | None
) -> None:
    options, images = base(operation)
    options[name] = sample(name)
    if model is not None:
        options["model"] = model
    if applies(name, operation, model):
        request = build_request(operation, options=options, images=images)
        assert OPTIONS[name].api_field(model) in type(request).model_fields
        assert check_options(operation, options, images=images.keys()).model == model
    else:
        with pytest.raises(InvalidRequest):
            build_request(operation, options=options, images=images)
        with pytest.raises(InvalidRequest):
            check_options(operation, options, images=images.keys())


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("speed", [None, "FLASH", "QUALITY"])
@pytest.mark.parametrize("num_images", [None, 3])
def test_checked_options_price_like_the_request(operation: str, speed: str | None, num_images: int | None) -> None:
    prices = PriceTable()
    for model in OPERATION_MODELS[operation] or (None,):
        options, images = base(operation)
        options.update(model=model, num_images=num_images if operation != "describe" else None)
        if model == V3_MODEL:
            options["rendering_speed"] = speed
        checked = check_options(operation, options)
        request = build_request(operation, options=options, images=images)
        assert prices.worst_case(checked) == prices.worst_case(request)


def test_options_are_checked_without_images_but_attachments_when_named() -> None:
    checked = check_options("edit", {"prompt": "x", "model": "V_2", "num_images": 2})
    assert (checked.model, checked.num_images, checked.rendering_speed) == ("V_2", 2, None)
    with pytest.raises(InvalidRequest, match="needs an `mask` attachment"):
        check_options("edit", {"prompt": "x"}, images={"image"})
    with pytest.raises(InvalidRequest, match="`style_reference` works only with model V_3"):
        check_options("generate", {"prompt": "x", "model": "V_2"}, images={"style_reference"})


def test_refusals_name_operations_neutrally_and_the_cogs_word_them() -> None:
    with pytest.raises(InvalidRequest) as caught:
        check_options("upscale", {"aspect_ratio": "1x1"}, images={"image"})
    assert str(caught.value) == "`upscale` doesn't take `aspect_ratio`."
    assert str(caught.value.worded(lambda operation: f"/{command_name(operation)}")) == (
        "/upscale doesn't take `aspect_ratio`."
    )


def test_derived_jobs_carry_prompt_and_style_but_not_seed_model_or_shape_in_pixels() -> None:
    source = {
        "prompt": "a lighthouse",
        "negative_prompt": "fog",
        "aspect_ratio": "16x9",
        "rendering_speed": "TURBO",
        "style_type": "DESIGN",
        "magic_prompt": "OFF",
        "num_images": 2,
        "seed": 1234,
        "model": "V_3",
        "style_preset": "BAUHAUS",
        "color_palette": "EMBER",
        "resolution": None,
    }
    kept = carried(source, "remix")
    assert kept == {name: value for name, value in source.items() if name not in ("seed", "model", "resolution")}
    assert carried({"seed": 1, "resolution": "1024x1024", "image_weight": 30}, "remix") == {}


@pytest.mark.parametrize("style", LEGACY_ONLY_STYLE_TYPES)
def test_carried_options_drop_values_the_target_does_not_accept(style: str) -> None:
    source = {"prompt": "x", "model": "V_2", "style_type": style, "rendering_speed": None}
    assert carried(source, "remix", V3_MODEL) == {"prompt": "x"}
    assert carried(source, "remix", "V_2") == {"prompt": "x", "style_type": style}
    assert carried({"prompt": "x", "negative_prompt": "y"}, "edit") == {"prompt": "x"}


def test_the_one_failure_wording_names_the_slash_command_members_typed() -> None:
    from cogs.feedback import _wording

    with pytest.raises(InvalidRequest) as caught:
        check_options("replace_background", {"rendering_speed": "TURBO"}, images={"image"})
    worded = _wording(caught.value, charged=0, context="test")
    assert str(worded.private).startswith("/replace-background needs a `prompt`.")
