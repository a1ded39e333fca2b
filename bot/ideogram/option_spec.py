"""The shape of one catalogue entry (`OptionSpec`) and of one slash command (`CommandSpec`), and how an entry
reads a value. The entries themselves are in `catalog.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from bot.i18n import N_
from bot.ideogram import parsers
from bot.ideogram.parsers import Parser
from bot.ideogram.values import LEGACY_MODELS, V3_MODEL, LegacyModel, Operation

Kind = Literal["text", "integer", "boolean", "attachment"]
# Refusal when a legacy model lacks an option its operation takes; `{model}` and `{models}` are filled in.
DEFAULT_MODEL_REFUSAL: Final = N_("`{option}` works with {models}, not {model}. Remove it or pick another model.")


@dataclass(frozen=True)
class OptionSpec:
    name: str
    kind: Kind
    description: str  # English, at most 100 characters (Discord's limit)
    v3: frozenset[Operation] = frozenset()  # operations that take it with model V_3
    legacy: frozenset[Operation] = frozenset()  # ... with a legacy model, or with no model (upscale, describe)
    legacy_models: tuple[LegacyModel, ...] = LEGACY_MODELS  # on legacy routes, only these models take it
    model_refusal: str = DEFAULT_MODEL_REFUSAL  # a catalogue message id (mark it with N_)
    required: frozenset[Operation] = frozenset()
    low: int | None = None  # integers: the range; text: the length
    high: int | None = None
    values: tuple[str, ...] = ()  # offered as choices, or as autocomplete when `autocomplete`
    autocomplete: bool = False
    parse: Parser | None = None  # None: a whole number in range, one of `values`, or trimmed text
    field: str | None = None  # the API's field name, when it differs
    legacy_field: str | None = None  # ... on the legacy routes
    excludes: tuple[str, ...] = ()  # options it can't be given with
    carried: bool = False  # derived jobs keep it (prompt and style settings; never the seed)
    priced: bool = False  # its value changes the price
    sent: bool = True  # False: the bot applies it itself and it never reaches the API (`invert_mask`)

    @property
    def operations(self) -> frozenset[Operation]:
        return self.v3 | self.legacy

    def takes(self, operation: str, model: str | None) -> bool:
        """Whether a request for `operation` with `model` (None: upscale, describe) accepts this option."""
        if model == V3_MODEL:
            return operation in self.v3
        return operation in self.legacy and (model is None or model in self.legacy_models)

    def read(self, value: object, model: str | None) -> object:
        """The value in the API's spelling for `model`, or None to leave it out; `InvalidRequest` if bad."""
        if self.parse is not None:
            return self.parse(value, model)
        if self.kind == "integer":
            assert self.low is not None
            assert self.high is not None
            return parsers.number(self.name, value, self.low, self.high)
        if self.values:
            return parsers.choice(self.name, value, self.values)
        return parsers.text(self.name, value)

    def api_field(self, model: str | None) -> str:
        legacy = model != V3_MODEL
        return (self.legacy_field if legacy and self.legacy_field else self.field) or self.name


@dataclass(frozen=True)
class CommandSpec:
    name: str
    operation: Operation
    description: str
    options: tuple[str, ...]  # in the order Discord shows them; required ones first
