"""Image bytes going to and coming from the API: what they are is read from their magic bytes, not their name."""

from __future__ import annotations

from typing import Final, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.i18n import _
from bot.ideogram.errors import InvalidRequest
from bot.images.formats import EXTENSION, MIME, sniff_type

ImageType = Literal["image/png", "image/jpeg", "image/webp"]
DEFAULT_MAX_UPLOAD_BYTES: Final = 10 * 1024 * 1024
EXTENSIONS: Final[dict[str, str]] = {MIME[kind]: extension for kind, extension in EXTENSION.items()}


def sniff_image_type(data: bytes) -> ImageType | None:
    """The MIME type from the magic bytes: the only three formats Ideogram accepts, else None."""
    kind = sniff_type(data)
    return None if kind is None else cast(ImageType, MIME[kind])


def check_image(data: bytes, *, label: str) -> ImageType:
    """Refuse what the API would refuse for its format (not PNG/JPEG/WebP, empty), naming `label`.

    The size is checked where it can change: on the member's input (`bot.images`) and by the client against
    its upload cap (`IdeogramClient.execute`), not on every hand-over of the same bytes.
    """
    if not data:
        raise InvalidRequest(_("The `{label}` file is empty. Attach a PNG, JPEG or WebP image.", label=label))
    kind = sniff_image_type(data)
    if kind is None:
        raise InvalidRequest(
            _(
                "The `{label}` file isn't a PNG, JPEG or WebP image (GIFs and other formats aren't accepted).",
                label=label,
            )
        )
    return kind


class ImageFile(BaseModel):
    """An image to upload: its bytes and the filename to send. The content type comes from the bytes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    filename: str = Field(min_length=1)
    data: bytes = Field(repr=False)

    @model_validator(mode="after")
    def _is_an_accepted_image(self) -> ImageFile:
        check_image(self.data, label=self.filename)
        return self

    @property
    def content_type(self) -> ImageType:
        kind = sniff_image_type(self.data)
        assert kind is not None  # checked on construction
        return kind

    @property
    def size(self) -> int:
        return len(self.data)

    @classmethod
    def from_bytes(cls, data: bytes, *, stem: str = "image") -> ImageFile:
        """Name the bytes after their type: `image.png`, `mask.webp`…"""
        kind = sniff_image_type(data)
        extension = EXTENSIONS[kind] if kind else "bin"
        return cls(filename=f"{stem}.{extension}", data=data)

    def __repr__(self) -> str:
        return f"ImageFile(filename={self.filename!r}, size={self.size})"
