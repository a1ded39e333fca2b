"""Typed replies. Unknown extra fields are ignored: the provider adds fields over time (e.g. `request_id`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class _Reply(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class GeneratedImage(_Reply):
    """One output image. `url` is null or empty when the image was withheld by the safety check."""

    url: str | None = None
    prompt: str
    resolution: str
    upscaled_resolution: str | None = None
    is_image_safe: bool
    seed: int
    style_type: str | None = None

    @property
    def withheld(self) -> bool:
        """Withheld by Ideogram's safety check (it is still billed): flagged unsafe, or without a URL."""
        return not self.is_image_safe or not self.url


class GenerationResponse(_Reply):
    """The reply of every operation that makes images (all but describe)."""

    created: datetime
    data: list[GeneratedImage]
    request_id: str | None = None

    @property
    def withheld_count(self) -> int:
        """How many images the safety check withheld; they are billed like the others."""
        return sum(1 for image in self.data if image.withheld)

    @property
    def image_count(self) -> int:
        """How many images the API made (and bills), withheld ones included."""
        return len(self.data)


class Description(_Reply):
    text: str


class DescribeResponse(_Reply):
    """The reply of describe: usually one or two descriptions of the image."""

    descriptions: list[Description]
    request_id: str | None = None
