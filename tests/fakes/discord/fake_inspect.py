"""What tests read back: messages, schema violations, and where a secret leaked."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from .fake_core import FakeCore
from .state import FakeChannel, FakeMessage, Violation


class Inspection(FakeCore):
    """Reading results back; the waiting itself (``wait_for``) is in ``FakeCore``."""

    async def wait_for_message(
        self,
        predicate: Callable[[FakeMessage], Any] | None = None,
        *,
        channel: FakeChannel | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> FakeMessage:
        """The first stored message (oldest first; not deleted, not a "thinking" placeholder) matching."""

        def find() -> FakeMessage | None:
            for msg in self.messages:
                if msg.deleted or msg.loading or (channel is not None and msg.channel_id != channel.id):
                    continue
                if predicate is None or predicate(msg):
                    return msg
            return None

        return await self.wait_for(find, timeout=timeout, what="a matching message")

    def messages_in(self, channel: FakeChannel, *, include_deleted: bool = False) -> list[FakeMessage]:
        return [m for m in self.messages if m.channel_id == channel.id and (include_deleted or not m.deleted)]

    @property
    def schema_violations(self) -> list[Violation]:
        return [v for v in self.violations if v.kind in ("schema", "response_schema")]

    def find_secret(self, secret: str) -> list[str]:
        """Every place ``secret`` appears in what the bot sent, apart from where the bot token belongs.

        Searches request paths, query strings, headers (except ``Authorization``), bodies (raw, JSON-escaped
        and URL-encoded forms) and gateway frames (except IDENTIFY/RESUME's ``token``), and stored files.
        """
        forms = {secret.encode(), json.dumps(secret)[1:-1].encode(), quote(secret, safe="").encode()}
        hits: list[str] = []

        def check(where: str, blob: bytes) -> None:
            if any(form and form in blob for form in forms):
                hits.append(where)

        for index, raw in enumerate(self.raw_requests):
            label = f"request #{index} {raw.method} {raw.path}"
            check(f"{label} path", f"{raw.path}?{raw.query_string}".encode())
            for name, value in raw.headers:
                if name.lower() != "authorization":
                    check(f"{label} header {name}", value.encode())
            check(f"{label} body", raw.body)
        for index, frame in enumerate(self.gateway_frames):
            data = json.loads(frame.text)
            if data.get("op") in (2, 6) and isinstance(data.get("d"), dict):
                data["d"] = {k: v for k, v in data["d"].items() if k != "token"}
            check(f"gateway frame #{index}", json.dumps(data, ensure_ascii=False).encode())
        for attachment in self.attachments.values():
            check(f"attachment {attachment.filename}", attachment.data)
        return hits
