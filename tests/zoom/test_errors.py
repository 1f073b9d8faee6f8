"""Pure error handling: Retry-After in both forms, both error body shapes, classification and redaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.zoom.errors import (
    MAX_RETRY_AFTER_SECONDS,
    REDACTED,
    ZoomAuthError,
    ZoomError,
    ZoomFieldError,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRoomOffline,
    ZoomUnavailable,
    ZoomValidationError,
    error_from_jsonrpc,
    error_from_response,
    parse_retry_after,
    redact,
)

NOW = datetime(2026, 3, 4, 12, 0, 0, tzinfo=UTC)
SEED_ERROR = {"jsonrpc": "2.0", "error": {"code": 32602, "message": "Validation Failed.",
                                          "data": [{"field": "params.password", "message": "Invalid field."}]}}


class TestRetryAfter:
    def test_seconds(self) -> None:
        assert parse_retry_after("3", NOW) == (NOW + timedelta(seconds=3), 3.0)
        assert parse_retry_after(" 0.5 ", NOW) == (NOW + timedelta(seconds=0.5), 0.5)

    def test_iso_date_as_zoom_sends_for_daily_limits(self) -> None:
        moment, seconds = parse_retry_after("2026-03-05T00:00:00Z", NOW)
        assert moment == datetime(2026, 3, 5, tzinfo=UTC)
        assert seconds == 12 * 3600

    def test_iso_date_with_offset_and_naive(self) -> None:
        assert parse_retry_after("2026-03-04T13:00:00+01:00", NOW)[1] == 0.0
        assert parse_retry_after("2026-03-04T12:00:10", NOW)[1] == 10.0

    def test_http_date(self) -> None:
        assert parse_retry_after("Wed, 04 Mar 2026 12:01:00 GMT", NOW)[1] == 60.0

    def test_past_dates_mean_now(self) -> None:
        assert parse_retry_after("2020-05-31T00:00:00Z", NOW)[1] == 0.0

    def test_an_absurd_wait_is_clamped_not_an_overflow(self) -> None:
        moment, seconds = parse_retry_after("1E100", NOW)
        assert seconds == MAX_RETRY_AFTER_SECONDS and moment == NOW + timedelta(seconds=MAX_RETRY_AFTER_SECONDS)

    @pytest.mark.parametrize("value", [None, "", "  ", "soon", "-5", "nan", "inf", "2026-13-45T00:00:00Z"])
    def test_unreadable(self, value: str | None) -> None:
        assert parse_retry_after(value, NOW) == (None, None)

    @given(st.text(max_size=40))
    def test_never_raises(self, value: str) -> None:
        moment, seconds = parse_retry_after(value, NOW)
        assert (moment is None) == (seconds is None)
        assert seconds is None or seconds >= 0


class TestBodies:
    def test_rest_validation_error_keeps_fields(self) -> None:
        body = {"code": 300, "message": "Validation Failed.",
                "errors": [{"field": "settings.jbh_time", "message": "Invalid field."}]}
        error = error_from_response(400, body, {}, request="POST /users/me/meetings", now=NOW)
        assert isinstance(error, ZoomValidationError)
        assert (error.status, error.code, error.message) == (400, 300, "Validation Failed.")
        assert error.fields == (ZoomFieldError("settings.jbh_time", "Invalid field."),)
        assert str(error) == ("Zoom HTTP 400 code 300 on POST /users/me/meetings: Validation Failed. "
                              "(settings.jbh_time: Invalid field.)")

    def test_seed_thread_jsonrpc_error(self) -> None:
        error = error_from_jsonrpc(SEED_ERROR, status=200, request="POST /rooms/r1/meetings")
        assert isinstance(error, ZoomValidationError)
        assert (error.status, error.code) == (200, 32602)
        assert error.field("params.password") == ZoomFieldError("params.password", "Invalid field.")
        assert "params.password: Invalid field." in str(error)
        assert "10 characters" in error.explain()

    def test_jsonrpc_shape_inside_an_http_error(self) -> None:
        error = error_from_response(400, SEED_ERROR, {}, request="POST /rooms/r1/meetings", now=NOW)
        assert isinstance(error, ZoomValidationError) and error.code == 32602

    @pytest.mark.parametrize(
        ("status", "body", "cls"),
        [
            (401, {"code": 124, "message": "Invalid access token."}, ZoomAuthError),
            (404, {"code": 1012, "message": "Room does not exist: x."}, ZoomNotFound),
            (404, {"code": 3001, "message": "Meeting does not exist: 1."}, ZoomNotFound),
            (404, {"code": 1001, "message": "User does not exist: me."}, ZoomNotFound),
            (400, {"code": 300, "message": "Zoom Room is offline. Please ensure..."}, ZoomRoomOffline),
            (400, {"code": 3161, "message": "Not allowed."}, ZoomError),
            (500, {"code": 500, "message": "Internal Server Error"}, ZoomUnavailable),
            (503, None, ZoomUnavailable),
        ],
    )
    def test_classification(self, status: int, body: object, cls: type) -> None:
        error = error_from_response(status, body, {}, request="GET /x", now=NOW)
        assert type(error) is cls
        assert error.status == status
        assert error.explain()

    def test_oauth_body_shape(self) -> None:
        body = {"reason": "Invalid client_id or client_secret", "error": "invalid_client", "code": 4702}
        error = error_from_response(401, body, {}, request="POST /oauth/token", now=NOW, oauth=True)
        assert isinstance(error, ZoomAuthError)
        assert (error.code, error.message) == (4702, "Invalid client_id or client_secret")
        assert "ZOOM_CLIENT_SECRET" in error.explain()

    def test_jsonrpc_offline(self) -> None:
        body = {"jsonrpc": "2.0", "error": {"code": 32603, "message": "Zoom Room is offline."}}
        assert isinstance(error_from_jsonrpc(body, status=200, request="POST /rooms/r/meetings"), ZoomRoomOffline)


class TestRateLimited:
    def test_qps(self) -> None:
        headers = {"X-RateLimit-Category": "Medium", "X-RateLimit-Type": "QPS", "Retry-After": "1"}
        error = error_from_response(429, {"code": 429, "message": "per-second"}, headers, request="GET /rooms", now=NOW)
        assert isinstance(error, ZoomRateLimited)
        assert (error.category, error.daily, error.retry_after_seconds) == ("Medium", False, 1.0)

    def test_daily_documented_headers(self) -> None:
        headers = {"x-ratelimit-category": "Light", "x-ratelimit-type": "Daily-limit",
                   "retry-after": "2026-03-05T00:00:00Z"}
        error = error_from_response(429, {"code": 429, "message": "limit"}, headers, request="POST /x", now=NOW)
        assert isinstance(error, ZoomRateLimited) and error.daily
        assert error.retry_after == datetime(2026, 3, 5, tzinfo=UTC)
        assert "2026-03-05 00:00" in error.explain()

    def test_daily_real_response_without_type_or_retry_after(self) -> None:
        body = {"code": 429, "message": "You have exceeded the daily rate limit (100) of Meeting Create/Update API "
                                        "requests permitted for this particular user."}
        error = error_from_response(429, body, {"x-ratelimit-category": "Light"}, request="POST /x", now=NOW)
        assert isinstance(error, ZoomRateLimited) and error.daily and error.retry_after is None


class TestSecrets:
    def test_redact(self) -> None:
        assert redact("token abcdef and abcdef", ["abcdef"]) == f"token {REDACTED} and {REDACTED}"
        assert redact("code 12 and 123", ["12"]) == f"code {REDACTED} and 123"
        assert redact("nothing", [None, ""]) == "nothing"

    def test_messages_and_fields_are_redacted(self) -> None:
        body = {"code": 300, "message": "Passcode w46!(i{74n is invalid",
                "errors": [{"field": "password", "message": "w46!(i{74n: Invalid field."}]}
        error = error_from_response(400, body, {}, request="POST /x", now=NOW, secrets=["w46!(i{74n"])
        for text in (str(error), repr(error), error.explain()):
            assert "w46!(i{74n" not in text

    def test_repr_lists_code_and_fields(self) -> None:
        error = error_from_jsonrpc(SEED_ERROR, status=200, request="POST /rooms/r/meetings")
        assert repr(error).startswith("ZoomValidationError(status=200, code=32602")
