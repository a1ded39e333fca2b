"""What a job is made of and what it hands back: the vocabulary between the pipeline and the cogs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.i18n import Text
from bot.ledger import Balance


@dataclass(frozen=True)
class InputFile:
    """An attachment as Discord announced it, with a way to fetch its bytes."""

    option: str
    filename: str
    size: int
    content_type: str | None
    read: Callable[[], Awaitable[bytes]]


@dataclass(frozen=True)
class ImageSource:
    """Where an input image can be fetched again: an attachment of a message (by id), or the message's
    `number`-th image (1-based, attachments first, then embed images) when it has no attachment id."""

    channel_id: int
    message_id: int
    attachment_id: int | None = None
    number: int = 1


@dataclass(frozen=True)
class JobSpec:
    """A job to run. `inputs` says where each of `files` came from, when the bot can fetch it again (a message's
    image; a slash command's attachment can't be); `source_job_id` is the job this one was derived from."""

    guild_id: int
    channel_id: int
    user_id: int
    command: str
    operation: str
    options: Mapping[str, object]
    files: Mapping[str, InputFile] = field(default_factory=dict)
    invert_mask: bool = False
    inputs: Mapping[str, ImageSource] = field(default_factory=dict)
    source_job_id: int | None = None
    # The member's roles in the server (their allowance may come from one: `/budget set` with a role).
    role_ids: tuple[int, ...] = ()
    # The member's /settings defaults the job took (already in `options`), for the result to show.
    defaults_used: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class OutputFile:
    filename: str
    data: bytes


@dataclass(frozen=True)
class PostedAttachment:
    id: int
    url: str


@dataclass(frozen=True)
class Posted:
    message_id: int
    attachments: Sequence[PostedAttachment]


@dataclass(frozen=True)
class Result:
    """Everything a reply shows; the cog turns it into an embed."""

    job_id: int
    spec: JobSpec
    model: str | None
    rendering_speed: str | None
    prompt: str | None
    seeds: Sequence[int]
    files: Sequence[OutputFile]
    withheld: int
    cost: int
    balance: Balance
    notes: Sequence[Text]  # catalogue messages, rendered where the result is shown
    descriptions: Sequence[str] = ()


class JobOutput(Protocol):
    """Where a job reports: an interaction (slash command, button, modal, context menu) or a channel reply (a
    reaction). Every job ends in exactly one of `refused`, `deliver` or `failed`.

    `refused` and `failed` get the error itself, not a message: the output words it with
    `bot.errors.word_failure` for where it shows it (privately, or in public with the bot's own words only).
    """

    @property
    def upload_limit(self) -> int: ...
    async def started(self) -> None: ...
    async def progress(self, *, position: int | None, estimate: int, settings: str = "") -> None:
        """Under way (`position` None) or waiting `position`-th in line; `estimate` is the most it will cost;
        `settings` lists the member's /settings defaults the job uses (empty: none)."""

    async def deliver(self, result: Result) -> Posted: ...
    async def refused(self, error: BaseException, *, context: str) -> None:
        """The job never started (`started` was not called): nothing was shown, held, sent or charged."""

    async def failed(self, error: BaseException, *, charged: int, context: str) -> None:
        """The job started and stopped before its result was posted; `charged` (micro-dollars) is what the
        member paid anyway, usually 0. `context` names the job for the log ("job 12 /imagine")."""
