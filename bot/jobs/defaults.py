"""Members' own defaults (`/settings`), applied in one place: the runner calls `with_member_defaults` before it
validates a job, for every job a member starts (commands, buttons, context menus, reactions).

A default fills an option the member did not give, and only where this operation and model take it with the
options already given: one that doesn't fit (a legacy model for /reframe, an aspect ratio beside a resolution)
is skipped silently, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Final

from bot.ideogram import InvalidRequest, build_request
from bot.jobs.model import JobSpec

# A valid 1x1 PNG: lets option combinations be checked before any attachment is downloaded.
PLACEHOLDER_PNG: Final = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
DEFAULTS_NOTE: Final = "Your /settings defaults were used: {settings}."


def _accepted(spec: JobSpec, options: Mapping[str, object], max_upload_bytes: int) -> bool:
    try:
        build_request(
            spec.operation,
            options=options,
            images=dict.fromkeys(spec.files, PLACEHOLDER_PNG),
            max_upload_bytes=max_upload_bytes,
        )
    except InvalidRequest:
        return False
    return True


def with_member_defaults(spec: JobSpec, defaults: Mapping[str, object], *, max_upload_bytes: int) -> JobSpec:
    """`spec` with each of `defaults` (in order: the model first, as it decides what else applies) that the job
    can take; `defaults_used` lists them. A job that is invalid as given gets none, so the member is told about
    their own mistake, not about a default."""
    options = dict(spec.options)
    if not defaults or not _accepted(spec, options, max_upload_bytes):
        return spec
    used: dict[str, object] = {}
    for name, value in defaults.items():
        if name in options or value is None:
            continue
        trial = {**options, name: value}
        if _accepted(spec, trial, max_upload_bytes):
            options = trial
            used[name] = value
    return replace(spec, options=options, defaults_used=used) if used else spec


def describe_settings(settings: Mapping[str, object]) -> str:
    """`model V_2, num_images 2` — settings as a member would type them."""
    return ", ".join(f"{name} {value}" for name, value in settings.items())


def defaults_note(spec: JobSpec) -> list[str]:
    """The note a result shows when defaults were used (none otherwise)."""
    return [DEFAULTS_NOTE.format(settings=describe_settings(spec.defaults_used))] if spec.defaults_used else []
