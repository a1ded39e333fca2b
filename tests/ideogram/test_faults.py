"""Faults from the fake gateway: mapping to errors, which are retried and how often, Retry-After, timeouts, and
that the API key never reaches an error or a log line. Retry delays are recorded by the fake `sleep`, not waited."""

from __future__ import annotations

import logging

import pytest

from bot.ideogram import (
    AuthenticationFailed,
    BadRequest,
    ConnectionFailed,
    GenerationResponse,
    IdeogramClient,
    IdeogramError,
    QuotaExceeded,
    RateLimited,
    RequestTimedOut,
    SafetyRejected,
    ServerFailed,
    build_request,
)
from bot.ideogram.requests import IdeogramRequest
from tests.fakes import ideogram as faults
from tests.fakes.ideogram import FakeIdeogram
from tests.ideogram.conftest import RecordingSleep, make_image

PNG = make_image("PNG")


def generate() -> IdeogramRequest:
    return build_request("generate", options={"prompt": "a cat", "num_images": 2}, images={})


def remix() -> IdeogramRequest:
    return build_request("remix", options={"prompt": "a cat"}, images={"image": PNG})


NOT_RETRIED = [
    pytest.param(faults.SafetyRejected(), (SafetyRejected, 422), id="422-safety"),
    pytest.param(faults.GatewayError.invalid_token(), (AuthenticationFailed, 401), id="401"),
    pytest.param(faults.GatewayError.insufficient_balance(), (QuotaExceeded, 403), id="403-balance"),
    pytest.param(
        faults.GatewayError(403, "No access to this model (tid: 5)"), (AuthenticationFailed, 403), id="403-access"
    ),
    pytest.param(
        faults.GatewayError(402, "Not enough balance", code="insufficient_funds"), (QuotaExceeded, 402), id="402"
    ),
    pytest.param(faults.GatewayError.bad_model(), (BadRequest, 400), id="400"),
    pytest.param(faults.GatewayError(404, "Invalid URL (tid: 1)"), (BadRequest, 404), id="404"),
    pytest.param(faults.GatewayError(413, "Request Entity Too Large"), (BadRequest, 413), id="413"),
    pytest.param(faults.OkWithError("get_adaptor_failed (tid: 2025)"), (ServerFailed, 200), id="200-with-error"),
]


@pytest.mark.parametrize(("fault", "expected"), NOT_RETRIED)
async def test_final_errors_are_not_retried(
    client: IdeogramClient,
    fake: FakeIdeogram,
    sleeper: RecordingSleep,
    fault: faults.Fault,
    expected: tuple[type[IdeogramError], int],
) -> None:
    error, status = expected
    fake.inject(fault, times=3)
    with pytest.raises(error) as caught:
        await client.execute(remix())
    assert type(caught.value) is error
    assert caught.value.status == status
    assert caught.value.provider_message
    assert len(fake.api_requests) == 1
    assert sleeper.delays == []


RETRIED = [
    pytest.param(faults.RateLimited(), RateLimited, id="429"),
    pytest.param(faults.ServerError(500), ServerFailed, id="500"),
    pytest.param(faults.ServerError(503), ServerFailed, id="503"),
    pytest.param(faults.BadGatewayHtml(), ServerFailed, id="502-html"),
    pytest.param(faults.Disconnect(), ConnectionFailed, id="disconnect"),
]


@pytest.mark.parametrize(("fault", "error"), RETRIED)
async def test_transient_errors_are_retried_then_succeed(
    client: IdeogramClient, fake: FakeIdeogram, sleeper: RecordingSleep, fault: faults.Fault, error: type[IdeogramError]
) -> None:
    fake.inject(fault, times=2)
    reply = await client.execute(remix())
    assert isinstance(reply, GenerationResponse)
    assert [r.status for r in fake.api_requests][-1] == 200
    assert len(fake.api_requests) == 3
    assert sleeper.delays == [0.5, 1.0]  # full jitter at its ceiling: base * 2**attempt
    # The multipart body was rebuilt for every attempt: each carried the whole image.
    assert all(r.files["image"][0].data == PNG for r in fake.api_requests if r.status != 0)


@pytest.mark.parametrize(("fault", "error"), RETRIED)
async def test_exhausted_retries_raise_the_last_error(
    client: IdeogramClient, fake: FakeIdeogram, sleeper: RecordingSleep, fault: faults.Fault, error: type[IdeogramError]
) -> None:
    fake.inject(fault, times=3)
    with pytest.raises(error):
        await client.execute(generate())
    assert len(fake.api_requests) == 3
    assert len(sleeper.delays) == 2


async def test_max_retries_is_configurable(fake: FakeIdeogram, sleeper: RecordingSleep) -> None:
    fake.inject(faults.RateLimited(), times=10)
    async with IdeogramClient(
        base_url=fake.base_url,
        api_key=fake.api_key,
        max_retries=4,
        backoff_base_s=0.1,
        sleep=sleeper,
        jitter=lambda: 1.0,
    ) as patient:
        with pytest.raises(RateLimited):
            await patient.execute(generate())
    assert len(fake.api_requests) == 5
    assert sleeper.delays == pytest.approx([0.1, 0.2, 0.4, 0.8])
    fake.requests.clear()
    async with IdeogramClient(base_url=fake.base_url, api_key=fake.api_key, max_retries=0, sleep=sleeper) as eager:
        with pytest.raises(RateLimited):
            await eager.execute(generate())
    assert len(fake.api_requests) == 1


async def test_backoff_uses_full_jitter(fake: FakeIdeogram, sleeper: RecordingSleep) -> None:
    fake.inject(faults.ServerError(500), times=2)
    async with IdeogramClient(
        base_url=fake.base_url, api_key=fake.api_key, backoff_base_s=2, sleep=sleeper, jitter=lambda: 0.25
    ) as jittery:
        await jittery.execute(generate())
    assert sleeper.delays == [0.5, 1.0]  # 0.25 * 2, 0.25 * 4


async def test_retry_after_is_honoured(client: IdeogramClient, fake: FakeIdeogram, sleeper: RecordingSleep) -> None:
    fake.inject(faults.RateLimited(retry_after=3), times=1)
    fake.inject(faults.RateLimited(retry_after=0.25), times=1)
    await client.execute(generate())
    assert sleeper.delays == [3.0, 0.25]


async def test_retry_after_beyond_the_cap_gives_up_instead_of_retrying_early(
    fake: FakeIdeogram, sleeper: RecordingSleep
) -> None:
    fake.inject(faults.RateLimited(retry_after=7), times=1)
    fake.inject(faults.RateLimited(retry_after=600), times=1)
    async with IdeogramClient(
        base_url=fake.base_url, api_key=fake.api_key, retry_after_cap_s=7, sleep=sleeper
    ) as capped:
        with pytest.raises(RateLimited) as caught:
            await capped.execute(generate())
    assert caught.value.retry_after == 600
    assert sleeper.delays == [7]  # the cap itself is still waited; 600 s is not retried at all, nor earlier
    assert len(fake.api_requests) == 2


async def test_rate_limit_error_carries_the_reject_reason(client: IdeogramClient, fake: FakeIdeogram) -> None:
    fake.inject(faults.RateLimited(retry_after=1), times=3)
    with pytest.raises(RateLimited) as caught:
        await client.execute(generate())
    assert caught.value.code == "inflight_limit"
    assert caught.value.retry_after == 1
    assert caught.value.request_id
    assert str(caught.value) == "The image service is busy right now. Try again in a minute."


async def test_a_timeout_is_not_retried(fake: FakeIdeogram, sleeper: RecordingSleep) -> None:
    fake.inject(faults.Latency(30), times=3)
    async with IdeogramClient(base_url=fake.base_url, api_key=fake.api_key, timeout_s=0.05, sleep=sleeper) as hasty:
        with pytest.raises(RequestTimedOut) as caught:
            await hasty.execute(generate())
    assert caught.value.may_have_been_billed
    assert len(fake.api_requests) == 1
    assert sleeper.delays == []


async def test_an_unreachable_gateway_is_a_connection_failure(fake: FakeIdeogram, sleeper: RecordingSleep) -> None:
    base_url = fake.base_url
    await fake.close()
    async with IdeogramClient(base_url=base_url, api_key="sk-x", sleep=sleeper, jitter=lambda: 1.0) as client:
        with pytest.raises(ConnectionFailed) as caught:
            await client.execute(generate())
    assert sleeper.delays == [0.5, 1.0]
    assert str(caught.value) == "The bot couldn't reach the image service. Try again in a few minutes."


async def test_a_wrong_key_is_an_authentication_failure_without_the_key(fake: FakeIdeogram) -> None:
    key = "sk-WrongKey9876543210zyxw"
    async with IdeogramClient(base_url=fake.base_url, api_key=key) as client:
        with pytest.raises(AuthenticationFailed) as caught:
            await client.execute(generate())
    error = caught.value
    for text in (str(error), repr(error), error.provider_message or "", repr(error.args)):
        assert key not in text
        assert key[:6] not in text


async def test_the_key_never_appears_in_errors_or_logs(
    fake: FakeIdeogram, sleeper: RecordingSleep, caplog: pytest.LogCaptureFixture
) -> None:
    key = fake.api_key
    caplog.set_level(logging.DEBUG)
    echoing = [
        faults.GatewayError(401, f"Invalid token: {key} (tid: 1)"),
        faults.GatewayError(401, f"Invalid token: {key[:12]}*** (tid: 1)"),
        faults.GatewayError(400, f"model not allowed for key {key}"),
        faults.OkWithError(f"Invalid token: {key}"),
        faults.GatewayError(429, f"slow down {key}"),
        faults.GatewayError(500, f"boom {key}"),
    ]
    errors: list[IdeogramError] = []
    async with IdeogramClient(base_url=fake.base_url, api_key=key, sleep=sleeper, max_retries=1) as client:
        assert key not in repr(client)
        for fault in echoing:
            fake.inject(fault, times=2)
            with pytest.raises(IdeogramError) as caught:
                await client.execute(generate())
            errors.append(caught.value)
    for error in errors:
        for text in (str(error), repr(error), error.provider_message or "", repr(error.args), str(error.code)):
            assert key not in text
            assert key[:12] not in text
    assert caplog.records
    assert key[:12] not in caplog.text


async def test_execute_needs_a_started_client(fake: FakeIdeogram) -> None:
    client = IdeogramClient(base_url=fake.base_url, api_key=fake.api_key)
    with pytest.raises(RuntimeError, match="not started"):
        await client.execute(generate())
    await client.start()
    await client.execute(generate())
    await client.close()
    with pytest.raises(RuntimeError, match="not started"):
        await client.execute(generate())
