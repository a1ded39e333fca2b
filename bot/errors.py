"""The one exception type whose text reaches a Discord user as it is."""

from __future__ import annotations


class UserFacingError(Exception):
    """An error with a short, friendly, specific message that is safe to show the member who caused it.

    Anything raised from validation, budgets, limits or the image API that a member should read derives from
    this, so the single error path in the command tree can show `str(error)` without leaking internals.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
