"""Faults a test can queue with `FakeIdeogram.inject(...)`.

Each fault takes the place of (or, for `Latency`, `SafetyRejected` and `UnsafeImages`, changes) the reply to one
request. `SafetyRejected` and `UnsafeImages` apply only after the request has passed validation, like the real
thing; the others answer before the request body is validated.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Latency:
    """Reply `seconds` later than usual (on top of `FakeIdeogram.latency_s`)."""

    seconds: float


@dataclass(frozen=True)
class RateLimited:
    """Ideogram's in-flight limit: 429 with `reject_reason: inflight_limit`; `Retry-After` only when given.

    A non-integral `retry_after` is sent as a decimal (`"0.5"`), which RFC 9110 does not allow but keeps tests fast.
    """

    retry_after: float | None = None


@dataclass(frozen=True)
class ServerError:
    """An upstream failure wrapped by the gateway in its JSON envelope (`type: upstream_error`)."""

    status: int = 500


@dataclass(frozen=True)
class BadGatewayHtml:
    """A proxy's 502 page: `text/html`, not JSON."""


@dataclass(frozen=True)
class SafetyRejected:
    """Ideogram's 422 for a prompt (or, on describe, an image) that failed the safety check."""


@dataclass(frozen=True)
class GatewayError:
    """An error raised by AiHubMix itself: `{"error": {"message": "... (tid: ...)", "type": ..., "code": ...}}`.

    `code` is left out of the body when None (the real 401 and 400 bodies have none).
    """

    status: int
    message: str
    code: str | None = None
    type: str = "Aihubmix_api_error"

    @classmethod
    def invalid_token(cls) -> GatewayError:
        return cls(401, "Invalid token: sk-fak***")

    @classmethod
    def insufficient_balance(cls) -> GatewayError:
        return cls(
            403,
            "Your account balance is insufficient. Please recharge your account to continue using the API.",
            code="insufficient_user_quota",
        )

    @classmethod
    def bad_model(cls) -> GatewayError:
        return cls(
            400,
            "Incorrect model ID. Please request to view the model page or you do not have permission to use this model",
        )


@dataclass(frozen=True)
class OkWithError:
    """The gateway quirk: HTTP 200 whose body is the error envelope."""

    message: str


@dataclass(frozen=True)
class UnsafeImages:
    """A successful reply whose items at `indices` are withheld: `is_image_safe: false, url: null`.

    Indices beyond the request's `num_images` are ignored.
    """

    indices: tuple[int, ...]


@dataclass(frozen=True)
class Disconnect:
    """Close the connection without answering; the client sees a connection error (recorded status 0)."""


Fault = (
    Latency
    | RateLimited
    | ServerError
    | BadGatewayHtml
    | SafetyRejected
    | GatewayError
    | OkWithError
    | UnsafeImages
    | Disconnect
)
