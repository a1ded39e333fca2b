"""The one exception type whose text reaches a Discord user as it is, and the one way to word any failure."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Final

log = logging.getLogger(__name__)

NOTHING_CHARGED: Final = "Nothing was charged."
CHARGED: Final = "The image service billed this run, so {amount} was charged."
INCIDENT: Final = "Something went wrong on our side (incident `{incident}`)."


class UserFacingError(Exception):
    """An error with a short, friendly, specific message that is safe to show the member who caused it.

    Anything raised from validation, budgets, limits or the image API that a member should read derives from
    this, so the single error path can show `str(error)` without leaking internals. `public_message` is what may
    be shown where others read along (a reaction's reply, a notice in the channel): the same text unless the
    message quotes text the bot did not write, such as the image service's own explanation.
    """

    def __init__(self, message: str, *, public_message: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.public_message = message if public_message is None else public_message

    def __str__(self) -> str:
        return self.message


def incident_id() -> str:
    return secrets.token_hex(3)


@dataclass(frozen=True)
class Wording:
    """One failure worded twice: for the member alone, and for a place others read (never text the bot didn't
    write, such as the image service's own explanation)."""

    private: str
    public: str


def word_failure(error: BaseException, *, charged: str | None = None, context: str = "") -> Wording:
    """What to tell a member about `error`: its own text when it is meant for them, else an incident id.

    `charged` is the formatted amount the member paid anyway; None means nothing was charged, and the message
    says so. Unexpected errors are logged once, with their traceback, under the incident id (`context` says
    where they happened).
    """
    if isinstance(error, UserFacingError):
        private, public = error.message, error.public_message
    else:
        incident = incident_id()
        log.error("incident %s%s", incident, f" ({context})" if context else "", exc_info=error)
        private = public = INCIDENT.format(incident=incident)
    return Wording(_with_charge(private, charged), _with_charge(public, charged))


def user_message(error: BaseException, *, charged: str | None = None, context: str = "") -> str:
    """`word_failure`'s private wording: for places only the member sees."""
    return word_failure(error, charged=charged, context=context).private


def _with_charge(text: str, charged: str | None) -> str:
    if charged is None:
        return text if NOTHING_CHARGED in text else f"{text} {NOTHING_CHARGED}"
    return f"{text} {CHARGED.format(amount=charged)}"


NOT_SERVED_HERE: Final = "This bot isn't enabled in this server. Ask the bot's operator if it should be."


class NotServedHere(UserFacingError):
    """The server is not in `[discord] allowed_guild_ids`: refused before anything is held or sent."""

    def __init__(self) -> None:
        super().__init__(NOT_SERVED_HERE)
