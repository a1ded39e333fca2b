"""Image errors a member reads: each names the option and says what to do instead."""

from __future__ import annotations

from bot.errors import UserFacingError
from bot.i18n import Text


class ImageRejected(UserFacingError):
    """An attached image Ideogram would refuse, or that we refuse to decode; `option` names the attachment."""

    def __init__(self, message: Text, *, option: str) -> None:
        super().__init__(message)
        self.option = option


class UploadTooLarge(UserFacingError):
    """A generated image that could not be re-encoded under the channel's upload limit."""
