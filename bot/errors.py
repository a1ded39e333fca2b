"""The one exception type whose text reaches a Discord user as it is, and the one way to word any failure.

Messages are catalogue messages (`bot.i18n`): worded here, rendered in the reader's language where they are
shown (`cogs.feedback`). `str()` of any of them is English, for logs and tests.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Final

from bot.i18n import Text, _, render

log = logging.getLogger(__name__)

# The English words that mark a message as already saying so; the sentence itself is in `_with_charge`.
# not translated: compared with the English rendering, never shown
NOTHING_CHARGED: Final = "Nothing was charged."


class UserFacingError(Exception):
    """An error with a short, friendly, specific message that is safe to show the member who caused it.

    Anything raised from validation, budgets, limits or the image API that a member should read derives from
    this, so the single error path can show it without leaking internals. `public_message` is what may be shown
    where others read along (a reaction's reply, a notice in the channel): the same text unless the message
    quotes text the bot did not write, such as the image service's own explanation.

    The messages are usually catalogue `Message`s: `str(error)` is English (for logs), `error.render(locale)` is
    for the member.
    """

    def __init__(self, message: Text, *, public_message: Text | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.public_message = message if public_message is None else public_message

    def __str__(self) -> str:
        return str(self.message)

    def render(self, locale: object | None = None) -> str:
        """The message in the language of a Discord locale (zh-CN, zh-TW, else English)."""
        return render(self.message, locale)


def incident_id() -> str:
    return secrets.token_hex(3)


@dataclass(frozen=True)
class Wording:
    """One failure worded twice: for the member alone, and for a place others read (never text the bot didn't
    write, such as the image service's own explanation). Rendered per reader with `bot.i18n.render`."""

    private: Text
    public: Text


def word_failure(error: BaseException, *, for_job: bool, charged: object | None = None, context: str = "") -> Wording:
    """What to tell a member about `error`: its own text when it is meant for them, else an incident id.

    `for_job`: the failure is a job's (or an attempt at one), so the message says what it cost: `charged` is the
    amount the member paid anyway (a `bot.money.Amount`, formatted per reader), None that nothing was charged.
    Other failures (a moderator's command, /history) had no money at stake and say nothing about it.
    Unexpected errors are logged once, with their traceback, under the incident id (`context` says where they
    happened).
    """
    shown = user_facing(error, context=context)
    private, public = shown.message, shown.public_message
    if not for_job:
        return Wording(private, public)
    return Wording(_with_charge(private, charged), _with_charge(public, charged))


class Incident(UserFacingError):
    """An unexpected error as a member reads it: only the incident id its traceback was logged under."""

    def __init__(self, incident: str) -> None:
        super().__init__(_("Something went wrong on our side (incident `{incident}`).", incident=incident))
        self.incident = incident


def user_facing(error: BaseException, *, context: str = "") -> UserFacingError:
    """`error` as it may be shown (and stored, as a failed job's error): a `UserFacingError` as it is; anything
    else is logged once, with its traceback, under a new incident id (`context` says where it happened), and
    becomes an `Incident` naming only that id: no internal detail reaches a member."""
    if isinstance(error, UserFacingError):
        return error
    incident = incident_id()
    log.error("incident %s%s", incident, f" ({context})" if context else "", exc_info=error)
    shown = Incident(incident)
    shown.__cause__ = error
    return shown


def _with_charge(text: Text, charged: object | None) -> Text:
    if charged is None:
        if NOTHING_CHARGED in str(text):
            return text
        return _("{problem} Nothing was charged.", problem=text)
    return _("{problem} The image service billed this run, so {amount} was charged.", problem=text, amount=charged)


class NotServedHere(UserFacingError):
    """The server is not in `[discord] allowed_guild_ids`: refused before anything is held or sent."""

    def __init__(self) -> None:
        super().__init__(_("This bot isn't enabled in this server. Ask the bot's operator if it should be."))
