"""Members' own defaults (`/settings`), applied in one place: the runner calls `with_member_defaults` before it
validates a job, for every job a member starts (commands, buttons, context menus, reactions).

A default fills an option the member did not give, and only where this operation and model take it with the
options already given: one that doesn't fit (a legacy model for /reframe, an aspect ratio beside a resolution)
is skipped silently, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.i18n import Message, _
from bot.ideogram import CheckedOptions, InvalidRequest, catalog, check_options
from bot.jobs.model import JobSpec


def _checked(spec: JobSpec, options: Mapping[str, object]) -> CheckedOptions | None:
    try:
        return check_options(spec.operation, options, images=spec.files.keys())
    except InvalidRequest:
        return None


def with_member_defaults(spec: JobSpec, defaults: Mapping[str, object]) -> JobSpec:
    """`spec` with each of `defaults` (in order: the model first, as it decides what else applies) that the job
    can take, by the option catalogue and together with the options already given; `defaults_used` lists them.
    A job that is invalid as given gets none, so the member is told about their own mistake, not a default's."""
    options = dict(spec.options)
    checked = _checked(spec, options) if defaults else None
    if checked is None:
        return spec
    used: dict[str, object] = {}
    for name, value in defaults.items():
        if name in options or value is None:
            continue
        if name != "model" and not catalog.applies(name, spec.operation, checked.model):
            continue
        trial = {**options, name: value}
        if (accepted := _checked(spec, trial)) is not None:  # values and combinations, e.g. not with resolution
            options, checked = trial, accepted
            used[name] = value
    return replace(spec, options=options, defaults_used=used) if used else spec


def describe_settings(settings: Mapping[str, object]) -> str:
    """`model V_2, num_images 2` — settings as a member would type them."""
    return ", ".join(f"{name} {value}" for name, value in settings.items())


def defaults_note(spec: JobSpec) -> list[Message]:
    """The note a result shows when defaults were used (none otherwise)."""
    if not spec.defaults_used:
        return []
    return [_("Your /settings defaults were used: {settings}.", settings=describe_settings(spec.defaults_used))]
