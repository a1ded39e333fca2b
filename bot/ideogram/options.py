"""From the bot's options to a typed request: routing, checks and legacy spellings, all from the catalogue.

The commands speak one vocabulary (DESIGN.md: `aspect_ratio` as `16x9`, `magic_prompt`, `model` V_3 by default);
the API has two (V3 and legacy). `check_options` picks the model (hence the endpoint), checks every option against
the catalogue and parses its value, without any image: that is all pricing needs, so a job is refused before a
cent is held or a byte is fetched. `build_request` adds the images and returns the typed request. Both raise
`InvalidRequest` saying what to change; options whose value is None count as not given (Discord's unset options).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Final

from bot.i18n import Message, _
from bot.ideogram.catalog import OPERATION_MODELS, OPTIONS, required
from bot.ideogram.errors import InvalidRequest
from bot.ideogram.files import ImageFile, check_image
from bot.ideogram.option_spec import OptionSpec
from bot.ideogram.parsers import choice
from bot.ideogram.requests import (
    DescribeRequest,
    IdeogramRequest,
    LegacyEditRequest,
    LegacyGenerateRequest,
    LegacyRemixRequest,
    UpscaleRequest,
    V3EditRequest,
    V3GenerateRequest,
    V3ReframeRequest,
    V3RemixRequest,
    V3ReplaceBackgroundRequest,
)
from bot.ideogram.values import MODELS, OPERATIONS, V3_MODEL, Operation

_REQUEST_TYPES: Final[Mapping[tuple[str, bool], Callable[..., IdeogramRequest]]] = {
    ("generate", True): V3GenerateRequest,
    ("remix", True): V3RemixRequest,
    ("edit", True): V3EditRequest,
    ("reframe", True): V3ReframeRequest,
    ("replace_background", True): V3ReplaceBackgroundRequest,
    ("generate", False): LegacyGenerateRequest,
    ("remix", False): LegacyRemixRequest,
    ("edit", False): LegacyEditRequest,
    ("upscale", False): UpscaleRequest,
    ("describe", False): DescribeRequest,
}


@dataclass(frozen=True)
class CheckedOptions:
    """Options that passed every check: the model (None for upscale and describe) and the request's fields, in
    the API's names and spellings. It prices like a request (`PriceTable.worst_case`)."""

    operation: Operation
    model: str | None
    fields: Mapping[str, object]

    @property
    def rendering_speed(self) -> str | None:
        speed = self.fields.get("rendering_speed", "DEFAULT" if self.model == V3_MODEL else None)
        return None if speed is None else str(speed)

    @property
    def num_images(self) -> int:
        count = self.fields.get("num_images", 1)
        return 1 if self.operation == "describe" or not isinstance(count, int) else count


def check_options(
    operation: str, options: Mapping[str, object], *, images: Collection[str] | None = None
) -> CheckedOptions:
    """The options checked against the catalogue for `operation`, or `InvalidRequest` saying what to fix.

    `images` names the attachments given (`image`, `mask`, `style_reference`); None leaves attachments unchecked
    (pricing a derivation whose image is known to exist). An option or image name the bot doesn't know at all is a
    programming error (`TypeError`), not a user's.
    """
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}")
    given = {name: value for name, value in options.items() if value is not None}
    unknown = sorted(name for name in given if not _is_sent(name, attachment=False))
    unknown += sorted(name for name in images or () if not _is_sent(name, attachment=True))
    if unknown:
        raise TypeError(f"check_options: unknown option(s) {', '.join(unknown)}")
    model = _route(operation, given)
    _check_names(operation, model, given, images)
    fields: dict[str, object] = {} if model in (None, V3_MODEL) else {"model": model}
    for name, value in given.items():
        spec = OPTIONS[name]
        if name != "model" and (parsed := spec.read(value, model)) is not None:
            fields[spec.api_field(model)] = parsed
    return CheckedOptions(operation=operation, model=model, fields=fields)


def build_request(
    operation: str,
    *,
    options: Mapping[str, object],
    images: Mapping[str, bytes],
) -> IdeogramRequest:
    """The typed request for a job's options and images (`image`, `mask`, `style_reference` → bytes).

    The images' format is checked here; their size by the client against its upload cap."""
    checked = check_options(operation, options, images=images.keys())
    fields = dict(checked.fields)
    for name, data in images.items():
        check_image(data, label=name)
        file = ImageFile.from_bytes(data, stem=name)
        spec = OPTIONS[name]
        # `style_reference` goes as the list `style_reference_images`; `image` and `mask` as single files.
        fields[spec.api_field(checked.model)] = (file,) if spec.field else file
    request_type = _REQUEST_TYPES[(checked.operation, checked.model == V3_MODEL)]
    return request_type(**fields)


def _is_sent(name: str, *, attachment: bool) -> bool:
    spec = OPTIONS.get(name)
    return spec is not None and spec.sent and (spec.kind == "attachment") == attachment


def _route(operation: Operation, given: Mapping[str, object]) -> str | None:
    """The model, which picks the endpoint: None for upscale/describe (no model), V_3 by default."""
    models = OPERATION_MODELS[operation]
    if not models:
        if "model" in given:
            raise _not_applicable("model", operation, None)
        return None
    model = choice("model", given.get("model", V3_MODEL), MODELS)
    if model in models:
        return model
    if models == (V3_MODEL,):
        raise InvalidRequest(
            _("{command} works only with model V_3, not {model}.", model=model), operations={"command": operation}
        )
    raise InvalidRequest(
        _("Editing works with {models}; {model} can't edit. Pick one of those.", models=_either(models), model=model)
    )


def _check_names(
    operation: Operation, model: str | None, given: Mapping[str, object], images: Collection[str] | None
) -> None:
    """Every option and attachment applies to this operation and model; the required ones are there; no two
    options that exclude each other are given together."""
    names = [*given, *(images or ())]
    for name in names:
        if not OPTIONS[name].takes(operation, model):
            raise _not_applicable(name, operation, model)
    for name in required(operation):
        spec = OPTIONS[name]
        if spec.kind != "attachment" and name not in given:
            raise InvalidRequest(_("{command} needs a `{name}`.", name=name), operations={"command": operation})
        if spec.kind == "attachment" and images is not None and name not in images:
            raise InvalidRequest(
                _("{command} needs an `{name}` attachment.", name=name), operations={"command": operation}
            )
    for name in names:
        for other in OPTIONS[name].excludes:
            if other in names:
                raise InvalidRequest(
                    _(
                        "`{name}` can't be combined with `{other}`. Use either `{name}` or `{other}`, not both.",
                        name=name,
                        other=other,
                    )
                )


def _not_applicable(name: str, operation: Operation, model: str | None) -> InvalidRequest:
    spec = OPTIONS[name]
    command = {"command": operation}
    legacy = model is not None and model != V3_MODEL
    if legacy and operation in spec.v3 and not spec.legacy:
        return InvalidRequest(
            _("`{name}` works only with model V_3, not {model}. Remove it or use V_3.", name=name, model=model)
        )
    if legacy and operation in spec.legacy:
        return _model_refusal(spec, operation, model)
    if name == "model" or spec.kind == "attachment":
        return InvalidRequest(_("{command} doesn't take a `{name}`.", name=name), operations=command)
    if len(spec.operations) == 1:
        (only,) = spec.operations
        return InvalidRequest(_("`{name}` only applies to {only}.", name=name), operations={"only": only})
    if legacy and operation in spec.v3:
        return InvalidRequest(
            _("{command} with {model} doesn't take `{name}`. Remove it or use model V_3.", model=model, name=name),
            operations=command,
        )
    return InvalidRequest(_("{command} doesn't take `{name}`.", name=name), operations=command)


def _model_refusal(spec: OptionSpec, operation: Operation, model: str | None) -> InvalidRequest:
    takers = [m for m in OPERATION_MODELS[operation] if m == V3_MODEL or m in spec.legacy_models]
    listed = (
        _("{items} and {last}", items=", ".join(takers[:-1]), last=takers[-1]) if len(takers) > 1 else "".join(takers)
    )
    # `model_refusal` is a catalogue message id (marked with N_ where it is declared).
    return InvalidRequest(_(spec.model_refusal, option=spec.name, model=model, models=listed))


def _either(models: tuple[str, ...]) -> Message:
    return _("{items} or {last}", items=", ".join(models[:-1]), last=models[-1])
