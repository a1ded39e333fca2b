"""What a request looks like on the wire, as plain immutable data.

Requests encode themselves to a `JsonBody` or a `Multipart`; the client turns a `Multipart` into a fresh
`aiohttp.FormData` on every attempt (a FormData is consumed by sending it and cannot be sent twice).
Tests read these values directly, without a server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp

from bot.ideogram.files import ImageFile


@dataclass(frozen=True, slots=True)
class TextPart:
    """A text field. `content_type` is set only where the spec says so (legacy `image_request` JSON)."""

    name: str
    value: str
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class FilePart:
    """A file field: `image`, `mask`, `image_file`, `style_reference_images`…"""

    name: str
    file: ImageFile


@dataclass(frozen=True, slots=True)
class Multipart:
    """A multipart/form-data body; a name may repeat (array fields are sent as repeated parts)."""

    parts: tuple[TextPart | FilePart, ...]

    def form_data(self) -> aiohttp.FormData:
        """A new FormData for one attempt."""
        form = aiohttp.FormData(default_to_multipart=True)
        for part in self.parts:
            if isinstance(part, FilePart):
                form.add_field(
                    part.name, part.file.data, filename=part.file.filename, content_type=part.file.content_type
                )
            else:
                form.add_field(part.name, part.value, content_type=part.content_type)
        return form

    def text(self, name: str) -> list[str]:
        """Every text value sent under `name`, in order."""
        return [p.value for p in self.parts if isinstance(p, TextPart) and p.name == name]

    def files(self, name: str) -> list[ImageFile]:
        """Every file sent under `name`, in order."""
        return [p.file for p in self.parts if isinstance(p, FilePart) and p.name == name]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parts]


@dataclass(frozen=True, slots=True)
class JsonBody:
    """An application/json body."""

    payload: Mapping[str, object]


WireBody = Multipart | JsonBody
