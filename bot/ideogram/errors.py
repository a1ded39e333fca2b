"""One error hierarchy for everything the image API (or our own checks before calling it) can refuse.

`error.render(locale)` is a short sentence fit to show the member (`str(error)` is its English text); the details
(HTTP status, the provider's own message, its code or `reject_reason`, the request id) are attributes, for the log.
The provider's message is scrubbed of API keys before it is stored: the AiHubMix gateway echoes key fragments
("Invalid token: sk-abc…").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import ClassVar, Final, TypedDict, Unpack

from bot.errors import UserFacingError
from bot.i18n import Message, Text, _

REDACTED: Final = "[redacted]"
_SK_TOKEN: Final = re.compile(r"sk-[^\s\"',;)\]}]*")
_FRAGMENT: Final = 6  # the shortest piece of a key treated as the key
_TID: Final = re.compile(r"\((?:tid|request id):\s*([^)\s]+)\s*\)", re.IGNORECASE)
_MAX_PROVIDER_MESSAGE: Final = 500
_MAX_SHOWN_PROVIDER_MESSAGE: Final = 200

QUOTA_CODES: Final = frozenset(
    {"insufficient_user_quota", "insufficient_quota", "insufficient_funds", "daily_limit", "quota_exceeded"}
)
_QUOTA_WORDS: Final = ("balance", "quota", "insufficient", "recharge", "credit")


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove API keys from `text`: any `sk-…` token, and every run of 6+ characters copied from a secret.

    Gateways echo fragments of a key ("Invalid token: sk-abc…"), possibly glued to other characters, so
    fragments are found by content, not by word boundaries.
    """
    for secret in secrets:
        if secret:
            text = _redact_fragments(text, secret)
    return _SK_TOKEN.sub(REDACTED, text)


def _redact_fragments(text: str, secret: str) -> str:
    if len(secret) < _FRAGMENT:
        return text.replace(secret, REDACTED)
    covered = [False] * len(text)
    for offset in range(len(secret) - _FRAGMENT + 1):
        window = secret[offset : offset + _FRAGMENT]
        found = text.find(window)
        while found != -1:
            covered[found : found + _FRAGMENT] = [True] * _FRAGMENT
            found = text.find(window, found + 1)
    if not any(covered):
        return text
    pieces: list[str] = []
    for index, char in enumerate(text):
        if not covered[index]:
            pieces.append(char)
        elif index == 0 or not covered[index - 1]:
            pieces.append(REDACTED)
    return "".join(pieces)


class ErrorDetails(TypedDict, total=False):
    """What the API said, for the log: the keywords every `IdeogramError` takes."""

    status: int | None
    provider_message: str | None
    code: str | None
    request_id: str | None


class IdeogramError(UserFacingError):
    """Base of every image API error. `str()` is the user-facing sentence; the attributes are for logs."""

    default_message: ClassVar[Text] = _("Something went wrong with the image service. Try again later.")
    # Whether Ideogram may have run (and billed) the generation even though the call failed.
    may_have_been_billed: ClassVar[bool] = False

    def __init__(
        self, message: Text | None = None, *, public_message: Text | None = None, **details: Unpack[ErrorDetails]
    ) -> None:
        text = self.default_message if message is None else message
        super().__init__(scrub(text) if isinstance(text, str) else text, public_message=public_message)
        provider_message, code = details.get("provider_message"), details.get("code")
        self.status = details.get("status")
        self.provider_message = None if provider_message is None else scrub(provider_message)[:_MAX_PROVIDER_MESSAGE]
        self.code = None if code is None else scrub(code)
        self.request_id = details.get("request_id")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self.message)!r}, status={self.status!r}, code={self.code!r}, "
            f"request_id={self.request_id!r}, provider_message={self.provider_message!r})"
        )


class InvalidRequest(IdeogramError):
    """Our own validation refused the request before anything was sent. The message says what to fix.

    A message may name operations through placeholders (`"{command} needs a `prompt`."` with
    `operations={"command": "generate"}`): `str()` names them neutrally (`generate`), and the Discord layer words
    them as its commands with `worded` (`/imagine`). The API layer never writes a command name itself.
    """

    default_message = _("Those options don't work together. Check them and try again.")

    def __init__(self, message: Text | None = None, *, operations: Mapping[str, str] | None = None) -> None:
        self.template = self.default_message if message is None else message
        self.operations = dict(operations or {})
        super().__init__(self._fill(lambda operation: f"`{operation}`"))

    def _fill(self, name: Callable[[str], str]) -> Text:
        names = {placeholder: name(operation) for placeholder, operation in self.operations.items()}
        if isinstance(self.template, Message):
            return self.template.with_params(**names)
        text = self.template
        for placeholder, named in names.items():
            text = text.replace("{" + placeholder + "}", named)
        return text

    def worded(self, name: Callable[[str], str]) -> InvalidRequest:
        """The same refusal with every operation it names called `name(operation)`."""
        reworded = InvalidRequest(self.template, operations=self.operations)
        reworded.message = reworded._fill(name)
        return reworded


class BadRequest(IdeogramError):
    """The API refused the request as invalid (400, 404, 413, other 4xx, or a 422 schema complaint)."""

    default_message = _("The image service couldn't accept this request. Check the options and try again.")

    def __init__(self, message: Text | None = None, **details: Unpack[ErrorDetails]) -> None:
        public: Text | None = None
        provider_message = details.get("provider_message")
        if message is None and provider_message and provider_message.strip():
            shown = _TID.sub("", scrub(provider_message)).strip().rstrip(".")[:_MAX_SHOWN_PROVIDER_MESSAGE]
            message = _("The image service couldn't accept this request: {reason}.", reason=shown)
            public = self.default_message  # the provider's words stay private (DESIGN: text the bot didn't write)
        super().__init__(message, public_message=public, **details)


class AuthenticationFailed(IdeogramError):
    """401, or 403 without a balance code: the operator's key is wrong or lacks access."""

    default_message = _("The image service refused the bot's API key. Please tell the bot operator.")


class QuotaExceeded(IdeogramError):
    """402, or 403 with a balance/quota code: the operator's account is out of credit or over a plan limit."""

    default_message = _("The bot's image service account is out of credit. Please tell the bot operator.")


class SafetyRejected(IdeogramError):
    """422: Ideogram's safety check refused the prompt or the image."""

    default_message = _("The image service's safety check rejected this prompt or image. Try rewording it.")


class RateLimited(IdeogramError):
    """429: too many images in flight on the operator's account. The client retries it first."""

    default_message = _("The image service is busy right now. Try again in a minute.")

    def __init__(
        self, message: Text | None = None, *, retry_after: float | None = None, **details: Unpack[ErrorDetails]
    ) -> None:
        super().__init__(message, **details)
        self.retry_after = retry_after


class ServerFailed(IdeogramError):
    """5xx (HTML or JSON), an error object in a 2xx reply, or a reply that could not be read.

    The client retries it only when the HTTP status is 5xx.
    """

    default_message = _("The image service had a problem. Try again in a few minutes.")


class RequestTimedOut(IdeogramError):
    """No reply within the timeout. Not retried: the generation may still have run and been billed."""

    default_message = _(
        "The image service took too long to answer. Try again, perhaps with fewer images or a faster speed."
    )
    may_have_been_billed = True


class ConnectionFailed(IdeogramError):
    """The connection could not be made or broke off. The client retries it first."""

    default_message = _("The bot couldn't reach the image service. Try again in a few minutes.")


class DownloadFailed(IdeogramError):
    """The images were generated (and billed) but could not be fetched from the image host."""

    default_message = _("The images were made, but the bot couldn't download them. Try again.")
    may_have_been_billed = True


class ImageExpired(DownloadFailed):
    """The image URL expired (its `exp` is in the past, or the host answered 403/404/410)."""

    default_message = _("The image links expired before the bot could download them. Run the command again.")


def extract_request_id(message: str | None) -> str | None:
    """The `(tid: …)` or `(request id: …)` the gateway puts at the end of its messages."""
    if not message:
        return None
    match = _TID.search(message)
    return match.group(1) if match else None


def _looks_like_quota(code: str | None, message: str | None) -> bool:
    if code and code.lower() in QUOTA_CODES:
        return True
    lowered = (message or "").lower()
    return any(word in lowered for word in _QUOTA_WORDS)


def _short_text(text: str) -> str | None:
    collapsed = " ".join(text.split())
    if not collapsed:
        return None
    if collapsed.startswith("<"):
        title = re.search(r"<title>(.*?)</title>", collapsed, re.IGNORECASE)
        # not translated: it stands in for the provider's own (English) message, kept for the log
        return f"non-JSON reply: {title.group(1).strip()}" if title else "non-JSON reply"
    return collapsed[:_MAX_PROVIDER_MESSAGE]


def parse_error_body(body: str) -> tuple[str | None, str | None, int | None, bool]:
    """Read an error out of a reply body in any of the shapes the gateway and Ideogram use.

    Returns `(message, code, upstream_status, is_validation_detail)`. Shapes: `{"error": "..."}` (Ideogram),
    `{"error": {"message", "type", "code", "param"}}` (AiHubMix; one-api style gateways put the upstream status
    in `param` of an `upstream_error`), `{"detail": ...}` (FastAPI), and anything else as plain text.
    """
    try:
        data = json.loads(body)
    except ValueError:
        return (_short_text(body), None, None, False)
    if not isinstance(data, Mapping):
        return (_short_text(body), None, None, False)
    reject_reason = data.get("reject_reason")
    code = reject_reason if isinstance(reject_reason, str) and reject_reason else None
    error = data.get("error")
    if isinstance(error, Mapping):
        message = error.get("message")
        error_code = error.get("code")
        param = error.get("param")
        upstream: int | None = None
        if error.get("type") == "upstream_error" and isinstance(param, str) and re.fullmatch(r"[1-5]\d\d", param):
            upstream = int(param)
        return (
            message if isinstance(message, str) else _short_text(json.dumps(error)),
            error_code if isinstance(error_code, str) and error_code else code,
            upstream,
            False,
        )
    if error is not None:
        return (error if isinstance(error, str) else json.dumps(error), code, None, False)
    detail = data.get("detail")
    if isinstance(detail, list):
        parts = [str(item.get("msg", item)) if isinstance(item, Mapping) else str(item) for item in detail]
        return ("; ".join(parts), code, None, True)
    if detail is not None:
        return (str(detail), code, None, False)
    message = data.get("message")
    return (message if isinstance(message, str) else _short_text(body), code, None, False)


def has_error_object(body: str) -> bool:
    """Whether a (2xx) reply body is a JSON object carrying an `error`: the gateway's 200-with-error quirk."""
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, Mapping) and data.get("error") not in (None, "", {})


def error_from_reply(
    status: int,
    body: str,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
    secrets: Iterable[str] = (),
) -> IdeogramError | None:
    """Map a reply to an `IdeogramError`, or return None when it is a success (2xx without an `error`)."""
    if status < 400 and not has_error_object(body):
        return None
    secrets = tuple(secrets)
    message, code, upstream_status, is_validation = parse_error_body(body)
    message = None if message is None else scrub(message, secrets)
    code = None if code is None else scrub(code, secrets)
    request_id = request_id or extract_request_id(message)
    effective = upstream_status or status
    lowered = (message or "").lower()
    cls: type[IdeogramError]
    if effective < 400:
        # An error object in a 2xx reply: classify it by what it says.
        if _looks_like_quota(code, message):
            cls = QuotaExceeded
        elif code == "inflight_limit":
            cls = RateLimited
        elif "token" in lowered or "api key" in lowered or "unauthori" in lowered:
            cls = AuthenticationFailed
        elif "safety" in lowered:
            cls = SafetyRejected
        else:
            cls = ServerFailed
    elif effective == 401:
        cls = AuthenticationFailed
    elif effective == 402:
        cls = QuotaExceeded
    elif effective == 403:
        cls = QuotaExceeded if _looks_like_quota(code, message) else AuthenticationFailed
    elif effective == 422:
        cls = BadRequest if is_validation else SafetyRejected
    elif effective == 429:
        cls = QuotaExceeded if code in QUOTA_CODES else RateLimited
    elif effective >= 500:
        cls = ServerFailed
    else:
        cls = BadRequest
    if cls is RateLimited:
        return RateLimited(
            status=status, provider_message=message, code=code, request_id=request_id, retry_after=retry_after
        )
    return cls(status=status, provider_message=message, code=code, request_id=request_id)
