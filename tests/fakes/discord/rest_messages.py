"""The rules every message a bot sends must follow (callbacks, webhooks and channel messages alike)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import payloads
from .rest_base import RestBase
from .rest_components import check_components
from .rest_wire import DiscordError, UploadedFile, invalid_form_body
from .state import FLAG_EPHEMERAL, FakeAttachment, FakeMessage, iso_timestamp

MAX_CONTENT_LENGTH = 2000
MAX_FILES = 10
MAX_EMBED_TOTAL_CHARS = 6000
# Flags a bot may set when sending: SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS, IS_COMPONENTS_V2.
SENDABLE_FLAGS = (1 << 2) | FLAG_EPHEMERAL | (1 << 12) | (1 << 15)


class MessageRules(RestBase):
    """What Discord checks in every message a bot sends, and how a body changes a stored message."""

    def _check_files(self, files: list[UploadedFile], size_limit: int) -> None:
        too_big = [f for f in files if len(f.data) > size_limit]
        if too_big:
            raise DiscordError(
                413,
                40005,
                "Request entity too large",
                kind="file_too_large",
                detail=[f"{f.filename}: {len(f.data)} bytes > {size_limit}" for f in too_big],
            )
        if len(files) > MAX_FILES:
            raise invalid_form_body(
                ("files",), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FILES} or fewer in length.", kind="too_many_files"
            )

    def _check_message(
        self, payload: dict[str, Any], files: list[UploadedFile], *, creating: bool, at: tuple[str, ...] = ()
    ) -> None:
        """What Discord checks beyond the schema (whose content limit is the 4000 of Nitro users)."""
        content = payload.get("content") or ""
        if len(content) > MAX_CONTENT_LENGTH:
            raise invalid_form_body(
                (*at, "content"),
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MAX_CONTENT_LENGTH} or fewer in length.",
                kind="content_too_long",
            )
        embeds = payload.get("embeds") or []
        total = sum(_embed_chars(e) for e in embeds)
        if total > MAX_EMBED_TOTAL_CHARS:
            raise invalid_form_body(
                (*at, "embeds"),
                "MAX_EMBED_SIZE_EXCEEDED",
                "Embed size exceeds maximum size of 6000",
                kind="embed_too_large",
            )
        check_components(payload, at)
        check_allowed_mentions(payload, at)
        carries = ("components", "poll", "sticker_ids", "attachments")
        if creating and not (content or embeds or files or any(payload.get(key) for key in carries)):
            raise DiscordError(400, 50006, "Cannot send an empty message", kind="empty_message")

    def _apply(self, msg: FakeMessage, payload: dict[str, Any], files: list[UploadedFile], *, editing: bool) -> None:
        """Apply a create/edit body to a stored message (API v10 attachment semantics on edit)."""
        if "content" in payload:
            msg.content = payload["content"] or ""
        if "allowed_mentions" in payload:
            msg.allowed_mentions = payload["allowed_mentions"]
        if "embeds" in payload:
            msg.embeds = list(payload["embeds"] or [])
        if "components" in payload:
            msg.components = list(payload["components"] or [])
        by_index = {f.index: f for f in files}
        listed = payload.get("attachments")
        if listed is not None:
            existing = {a.id: a for a in msg.attachments}
            result: list[FakeAttachment] = []
            for position, entry in enumerate(listed):
                entry_id = int(entry["id"])
                if editing and entry_id in existing:
                    result.append(existing[entry_id])
                elif entry_id in by_index:
                    upload = by_index.pop(entry_id)
                    result.append(self._store_upload(msg, upload, entry))
                else:
                    raise invalid_form_body(
                        ("attachments", position, "id"),
                        "ATTACHMENT_NOT_FOUND",
                        f"Unknown attachment or file index {entry_id}",
                        kind="bad_attachment",
                    )
            # Files the body did not list are still uploaded (Discord accepts them).
            result.extend(self._store_upload(msg, upload, {}) for upload in by_index.values())
            msg.attachments = result
        elif files:
            kept = msg.attachments if editing else []
            msg.attachments = kept + [self._store_upload(msg, upload, {}) for upload in files]
        if editing:
            msg.edited_timestamp = iso_timestamp()
            msg.edit_count += 1

    def _store_upload(self, msg: FakeMessage, upload: UploadedFile, entry: dict[str, Any]) -> FakeAttachment:
        attachment = self.fake._new_attachment(
            filename=entry.get("filename") or upload.filename,
            data=upload.data,
            content_type=None,  # file parts are always application/octet-stream: sniff instead
            description=entry.get("description"),
            title=entry.get("title"),
            channel_id=msg.channel_id,
        )
        attachment.ephemeral = msg.ephemeral
        return attachment

    def _message_out(self, request: web.Request, msg: FakeMessage) -> web.Response:
        return self._respond(request, payloads.message(self.fake, msg))


def check_allowed_mentions(payload: dict[str, Any], at: tuple[str, ...] = ()) -> None:
    """Discord's rule beyond the schema: a type in ``parse`` and an explicit list of that type exclude each other."""
    allowed = payload.get("allowed_mentions")
    if not allowed:
        return
    parse = allowed.get("parse") or []
    for kind in ("users", "roles"):
        if kind in parse and allowed.get(kind):
            raise invalid_form_body(
                (*at, "allowed_mentions"),
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids] are mutually exclusive.',
                kind="allowed_mentions_exclusive",
            )


def _embed_chars(embed: dict[str, Any]) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "") + len((embed.get("author") or {}).get("name") or "")
    for item in embed.get("fields") or []:
        total += len(item.get("name") or "") + len(item.get("value") or "")
    return total
