"""Every reply shape maps to the right error, carries the details, and never shows the API key."""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.errors import UserFacingError
from bot.ideogram import (
    AuthenticationFailed,
    BadRequest,
    IdeogramError,
    QuotaExceeded,
    RateLimited,
    SafetyRejected,
    ServerFailed,
)
from bot.ideogram.errors import REDACTED, error_from_reply, scrub

KEY = "sk-LiveKey0123456789abcdefXYZ"


def envelope(message: str, *, code: str | None = None, type_: str = "Aihubmix_api_error", param: str = "") -> str:
    error: dict[str, str] = {"message": message, "type": type_, "param": param}
    if code is not None:
        error["code"] = code
    return json.dumps({"error": error})


CASES = [
    # (status, body, class, code, request id found in the body)
    pytest.param(
        401,
        envelope("Invalid token: sk-LiveK*** (tid: 2025122009070498288564916744791)"),
        AuthenticationFailed,
        None,
        "2025122009070498288564916744791",
        id="401-envelope",
    ),
    pytest.param(
        403,
        envelope(
            "Your account balance is insufficient. Please recharge your account to continue using the API. "
            "(tid: 2025121504014619744820954697486)",
            code="insufficient_user_quota",
        ),
        QuotaExceeded,
        "insufficient_user_quota",
        "2025121504014619744820954697486",
        id="403-balance",
    ),
    pytest.param(
        403,
        json.dumps({"error": "Not authorized to generate an image."}),
        AuthenticationFailed,
        None,
        None,
        id="403-access",
    ),
    pytest.param(
        402,
        json.dumps({"error": "Not enough balance", "reject_reason": "insufficient_funds"}),
        QuotaExceeded,
        "insufficient_funds",
        None,
        id="402",
    ),
    pytest.param(
        422,
        json.dumps({"error": "Prompt provided failed safety check due to the inclusion of prohibited content."}),
        SafetyRejected,
        None,
        None,
        id="422-safety",
    ),
    pytest.param(
        422,
        json.dumps({"detail": [{"loc": ["body", "prompt"], "msg": "field required", "type": "value_error.missing"}]}),
        BadRequest,
        None,
        None,
        id="422-schema-detail",
    ),
    pytest.param(
        429,
        json.dumps({"error": "Too many in flight", "reject_reason": "inflight_limit", "max_inflight_requests": 10}),
        RateLimited,
        "inflight_limit",
        None,
        id="429",
    ),
    pytest.param(400, json.dumps({"error": "Invalid input provided."}), BadRequest, None, None, id="400-ideogram"),
    pytest.param(
        400,
        envelope("Incorrect model ID. Please request to view the model page (tid: 77)"),
        BadRequest,
        None,
        "77",
        id="400-envelope",
    ),
    pytest.param(404, envelope("Not found"), BadRequest, None, None, id="404"),
    pytest.param(413, "Request Entity Too Large", BadRequest, None, None, id="413-text"),
    pytest.param(500, json.dumps({"detail": "Internal Server Error"}), ServerFailed, None, None, id="500-detail"),
    pytest.param(
        502,
        "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
        ServerFailed,
        None,
        None,
        id="502-html",
    ),
    pytest.param(503, "", ServerFailed, None, None, id="503-empty"),
    pytest.param(
        500,
        envelope(
            "upstream said no (request id: 2025abc)",
            type_="upstream_error",
            param="422",
            code="bad_response_status_code",
        ),
        SafetyRejected,
        "bad_response_status_code",
        "2025abc",
        id="upstream-wrapped-422",
    ),
    pytest.param(200, envelope("get_adaptor_failed (tid: 9)"), ServerFailed, None, "9", id="200-with-error"),
    pytest.param(
        200,
        envelope("Your account balance is insufficient.", code="insufficient_user_quota"),
        QuotaExceeded,
        "insufficient_user_quota",
        None,
        id="200-with-balance-error",
    ),
    pytest.param(
        200, json.dumps({"error": "Prompt failed safety check"}), SafetyRejected, None, None, id="200-with-string-error"
    ),
    pytest.param(
        429,
        json.dumps({"error": {"message": "quota", "type": "x", "code": "insufficient_quota"}}),
        QuotaExceeded,
        "insufficient_quota",
        None,
        id="429-quota",
    ),
]


@pytest.mark.parametrize(("status", "body", "cls", "code", "request_id"), CASES)
def test_mapping(status: int, body: str, cls: type[IdeogramError], code: str | None, request_id: str | None) -> None:
    error = error_from_reply(status, body, secrets=(KEY,))
    assert type(error) is cls
    assert error.status == status
    assert error.code == code
    assert error.request_id == request_id
    assert isinstance(error, UserFacingError)
    assert 0 < len(str(error)) < 300


def test_header_request_id_wins_over_the_message() -> None:
    error = error_from_reply(401, envelope("Invalid token (tid: 1)"), request_id="hdr-7")
    assert error is not None
    assert error.request_id == "hdr-7"


def test_provider_message_is_kept_for_the_log() -> None:
    error = error_from_reply(422, json.dumps({"error": "Prompt provided failed safety check."}))
    assert error is not None
    assert error.provider_message == "Prompt provided failed safety check."


def test_html_is_not_kept_verbatim() -> None:
    error = error_from_reply(502, "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 5000)
    assert error is not None
    assert error.provider_message == "non-JSON reply: 502 Bad Gateway"


def test_bad_request_shows_the_providers_reason_without_the_tid() -> None:
    error = error_from_reply(400, envelope("Incorrect model ID (tid: 2025)"))
    assert str(error) == "The image service couldn't accept this request: Incorrect model ID."


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, json.dumps({"created": "2025-01-01T00:00:00Z", "data": []})),
        (200, json.dumps({"created": "2025-01-01T00:00:00Z", "data": [], "error": None})),
        (200, "not json"),
        (201, json.dumps({"descriptions": [{"text": "a cat"}]})),
    ],
)
def test_successes_are_not_errors(status: int, body: str) -> None:
    assert error_from_reply(status, body) is None


def test_retry_after_is_carried_by_rate_limits() -> None:
    error = error_from_reply(429, json.dumps({"error": "slow down"}), retry_after=3.0)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 3.0


def test_user_sentences() -> None:
    assert str(RateLimited()) == "The image service is busy right now. Try again in a minute."
    for cls in (AuthenticationFailed, QuotaExceeded, SafetyRejected, ServerFailed, BadRequest, RateLimited):
        assert str(cls()).endswith(".")


# --- the key never leaks -----------------------------------------------------------------------------------------

LEAKY_MESSAGES = [
    f"Invalid token: {KEY} (tid: 1)",
    f"Invalid token: {KEY[:12]}… (tid: 1)",
    f"Invalid token: {KEY[:10]}*** (tid: 1)",
    f"bad key '{KEY[3:20]}'",
    "Invalid token: sk-someOtherKeyEntirely999",
]


@pytest.mark.parametrize("message", LEAKY_MESSAGES)
@pytest.mark.parametrize("status", [200, 400, 401, 403, 429, 500])
def test_key_is_scrubbed_everywhere(status: int, message: str) -> None:
    bodies = [envelope(message), json.dumps({"error": message})]
    if status >= 400:  # a 2xx is an error only when it carries an `error`
        bodies += [json.dumps({"detail": message}), message]
    for body in bodies:
        error = error_from_reply(status, body, secrets=(KEY,))
        assert error is not None
        for text in (str(error), repr(error), error.provider_message or "", str(error.args)):
            assert KEY not in text
            assert KEY[:10] not in text
            assert KEY[3:20] not in text
            assert "sk-someOther" not in text


def test_scrub_keeps_ordinary_text() -> None:
    assert scrub("Invalid input provided. (tid: 123)", (KEY,)) == "Invalid input provided. (tid: 123)"
    assert scrub(f"token {KEY}", (KEY,)) == f"token {REDACTED}"


def test_errors_constructed_directly_scrub_sk_tokens() -> None:
    error = ServerFailed(provider_message="echo sk-abcdef123456", code="sk-abcdef123456")
    assert "sk-abcdef" not in repr(error)


_OUR_OWN_WORDS = REDACTED + " ".join(
    f"{cls.__name__} {cls.default_message} {cls(status=200, code='c', request_id='r', provider_message='p')!r}"
    for cls in (AuthenticationFailed, BadRequest, QuotaExceeded, RateLimited, SafetyRejected, ServerFailed)
)
_KEY_CHARS = st.characters(categories=("Lu", "Ll", "Nd"), max_codepoint=127)


@settings(max_examples=300, deadline=None)
@given(
    key=st.text(_KEY_CHARS, min_size=20, max_size=60).map(lambda body: "sk-" + body),
    cut=st.tuples(st.integers(min_value=0, max_value=40), st.integers(min_value=6, max_value=63)),
    context=st.tuples(st.text(max_size=30), st.text(max_size=30)),
    status=st.sampled_from([200, 400, 401, 403, 429, 500, 502]),
    shape=st.sampled_from(["envelope", "string", "detail", "text"]),
)
def test_no_fragment_of_the_key_survives(
    key: str, cut: tuple[int, int], context: tuple[str, str], status: int, shape: str
) -> None:
    start, length = cut
    before, after = context
    fragment = key[start : start + length]
    assume(len(fragment) >= 6)
    assume(fragment not in _OUR_OWN_WORDS)  # e.g. a key ending in "Failed" vs the class name ServerFailed
    message = f"{before}{fragment}{after}"
    body = {
        "envelope": envelope(message),
        "string": json.dumps({"error": message}),
        "detail": json.dumps({"detail": message}),
        "text": message,
    }[shape]
    error = error_from_reply(status, body, secrets=(key,))
    if error is None:  # a 2xx without an `error` object is a success, not an error
        return
    for text in (str(error), repr(error), error.provider_message or "", error.code or ""):
        assert fragment not in text
        assert key[:6] not in text
