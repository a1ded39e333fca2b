"""The one exception type whose text reaches a Discord user as it is, and the one way to word any failure."""

from __future__ import annotations

import logging
import secrets

from bot.i18n import Text, render

log = logging.getLogger(__name__)

NOTHING_CHARGED = "Nothing was charged."


class UserFacingError(Exception):
    """An error with a short, friendly, specific message that is safe to show the member who caused it.

    Anything raised from validation, budgets, limits or the image API that a member should read derives from
    this, so the single error path can show `str(error)` without leaking internals. The message is usually a
    catalogue `Message`: `str(error)` is English (for logs), `error.render(locale)` is for the member.
    """

    def __init__(self, message: Text) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)

    def render(self, locale: object | None = None) -> str:
        """The message in the language of a Discord locale (zh-CN, zh-TW, else English)."""
        return render(self.message, locale)


def incident_id() -> str:
    return secrets.token_hex(3)


def user_message(error: BaseException, *, charged: str | None = None, context: str = "") -> str:
    """What to tell a member about `error`: its own text when it is meant for them, else an incident id.

    `charged` is the formatted amount the member paid anyway (the provider billed it); None means nothing was
    charged, and the message says so. Unexpected errors are logged with their traceback under the same id.
    """
    if isinstance(error, UserFacingError):
        text = str(error.message)
    else:
        incident = incident_id()
        log.error("incident %s%s", incident, f" ({context})" if context else "", exc_info=error)
        text = f"Something went wrong on our side (incident `{incident}`)."
    if charged is None:
        return text if NOTHING_CHARGED in text else f"{text} {NOTHING_CHARGED}"
    return f"{text} The image service billed this run, so {charged} was charged."
