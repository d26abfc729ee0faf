"""Each cause of a former 500 on the front doors, answered now with a 4xx that names the field.

Requests are signed the way PagerDuty (HMAC-SHA256, v1) and Slack (v0) document; no such server runs
here. The seeded fuzz in test_fuzz.py covers the class; these pin the reason each one gives.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.server.bodies import Refused, parse_json
from agent.server.signatures import pagerduty_signature, slack_signature
from tests.frontdoors.conftest import AM_TOKEN, PD_SECRETS, SLACK_SECRET, Service
from tests.frontdoors.test_slack import command_body, event_body
from tests.frontdoors.test_webhooks import alertmanager_payload, pd_event

pytestmark = pytest.mark.anyio


async def slack(service: Service, body: bytes, content_type: str = "application/json",
                timestamp: str | None = None, signature: bytes | None = None) -> Any:
    ts = str(int(time.time())) if timestamp is None else timestamp
    headers: dict[str, Any] = {"content-type": content_type, "x-slack-request-timestamp": ts.encode()}
    headers["x-slack-signature"] = signature if signature is not None else slack_signature(
        SLACK_SECRET, ts if ts.isascii() else "0", body).encode()
    return await service.client.post("/slack/events", content=body, headers=headers)


async def assert_refused(service: Service, response: Any, status: int, error: str, words: str) -> None:
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["error"] == error and words in answer["detail"], answer
    assert sum((await service.door.queue.counts()).values()) == 0, "a refused request stored nothing"


def test_parse_json_bounds_depth_and_refuses_what_json_cannot_carry() -> None:
    assert parse_json(b'{"a": [[1.5, "x"]]}') == {"a": [[1.5, "x"]]}
    for body, words in [(b"[" * 100_000 + b"]" * 100_000, "deeper"), (b'{"a":' * 40 + b"1" + b"}" * 40, "deeper"),
                        (b'{"v": NaN}', "NaN"), (b'{"v": 1e999}', "out of range"), (b'{"v": "\\ud800"}', "surrogate"),
                        (b'{"v": ' + b"9" * 5000 + b"}", "not valid JSON"), (b"\xff{}", "not valid JSON"),
                        (b"[" + b",".join([b"[]"] * 100_001) + b"]", "more than 100,000 values")]:
        with pytest.raises(Refused) as refused:
            parse_json(body)
        assert refused.value.status == 400 and words in refused.value.detail, refused.value.detail


async def test_deep_json_with_good_credentials_is_a_400(service: Service) -> None:
    body = b'{"alerts": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = await service.client.post("/webhooks/alertmanager", content=body,
                                         headers={"authorization": f"Bearer {AM_TOKEN}"})
    await assert_refused(service, response, 400, "malformed_json", "deeper than")


async def test_non_ascii_signature_headers_are_wrong_signatures(service: Service) -> None:
    body = json.dumps(pd_event()).encode()
    response = await service.client.post("/webhooks/pagerduty", content=body,
                                         headers={"x-pagerduty-signature": "v1=é".encode("latin-1") + b"0" * 63})
    await assert_refused(service, response, 401, "bad_signature", "X-PagerDuty-Signature")
    event = event_body({"type": "app_mention", "user": "U1", "text": "hi", "ts": "1.1", "channel": "C1"})
    response = await slack(service, event, signature="v0=é".encode("latin-1"))
    await assert_refused(service, response, 401, "bad_signature", "not ASCII")
    response = await service.client.post("/webhooks/alertmanager", content=json.dumps(alertmanager_payload()),
                                         headers={"authorization": "Bearer tök".encode("latin-1")})
    await assert_refused(service, response, 401, "unauthorized", "bearer token")


@pytest.mark.parametrize("timestamp", ["", "soon", "١٧٠٠٠٠٠٠٠٠", "1e9", str(int(time.time()) + 3600)])
async def test_slack_timestamp_missing_odd_or_out_of_window(service: Service, timestamp: str) -> None:
    response = await slack(service, event_body({"type": "app_mention", "user": "U1", "text": "hi", "ts": "1.1",
                                                "channel": "C1"}), timestamp=timestamp)
    await assert_refused(service, response, 401, "bad_signature", "X-Slack-Request-Timestamp")


async def test_slack_non_utf8_body_is_refused_before_bolt(service: Service) -> None:
    await assert_refused(service, await slack(service, b"command=%2Fvigil&text=\xff\xfe",
                                              "application/x-www-form-urlencoded"), 400, "malformed_form", "UTF-8")


@pytest.mark.parametrize("missing", ["user_id", "channel_id"])
async def test_slash_command_without_who_or_where(service: Service, missing: str) -> None:
    fields = [f for f in command_body("investigate x in shop").decode().split("&") if not f.startswith(missing)]
    response = await slack(service, "&".join(fields).encode(), "application/x-www-form-urlencoded")
    await assert_refused(service, response, 422, "invalid_payload", missing)


@pytest.mark.parametrize(("field", "value"), [("channel", None), ("channel", "NaN"), ("thread_ts", "NaN"),
                                              ("ts", 1700000000.5), ("user", ["U1"])])
async def test_signed_events_with_wrong_typed_fields_are_not_queued(service: Service, field: str, value: Any) -> None:
    event = {"type": "app_mention", "user": "U1", "text": "<@UVIGILBOT> disk full in shop", "ts": "1700000000.1",
             "channel": "C1", field: value}
    response = await slack(service, event_body(event))
    await assert_refused(service, response, 422, "invalid_payload", f"event.{field}")


async def test_an_event_that_is_not_an_object(service: Service) -> None:
    body = json.dumps({"type": "event_callback", "event_id": "Ev1", "event": ["app_mention"]}).encode()
    await assert_refused(service, await slack(service, body), 422, "invalid_payload", "event:")


@pytest.mark.parametrize(("when", "error", "words"), [
    (timedelta(days=3 * 365), "from_the_future", "ahead of this server's clock"),
    (timedelta(days=-3 * 365), "stale", "older than"),
])
async def test_pagerduty_time_is_bounded_both_ways(service: Service, when: timedelta, error: str, words: str) -> None:
    body = json.dumps(pd_event(occurred=datetime.now(UTC) + when)).encode()
    response = await service.client.post("/webhooks/pagerduty", content=body,
                                         headers={"x-pagerduty-signature": pagerduty_signature(PD_SECRETS[0], body)})
    await assert_refused(service, response, 400, error, words)


async def test_a_slack_outage_during_a_valid_command_is_a_503_not_a_500(service: Service) -> None:
    """Slack's Web API (the recorder) fails: bolt would answer 500; Vigil says 503 and stores nothing."""
    service.recorder.fail_paths = {"/api/chat.postMessage"}
    response = await slack(service, command_body("investigate checkout OOMKilled in shop"),
                           "application/x-www-form-urlencoded")
    await assert_refused(service, response, 503, "unavailable", "Slack retries")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=60)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES, st.integers(min_value=0, max_value=60))
def test_parse_json_accepts_exactly_the_bounded_values(value: Any, wrap: int) -> None:
    """Any JSON value comes back unchanged when it nests within the bound and is refused with a 400
    otherwise; no other exception ever escapes (hypothesis draws the values)."""
    for _ in range(wrap):
        value = [value]
    body = json.dumps(value).encode()
    try:
        parsed = parse_json(body)
    except Refused as refused:
        assert refused.status == 400
        assert _depth(value) > 32 or "surrogate" in refused.detail
        return
    assert parsed == value and _depth(value) <= 32


@pytest.mark.parametrize("path", [("status",), ("receiver",), ("groupKey",), ("alerts", 0, "status"),
                                  ("alerts", 0, "startsAt"), ("alerts", 0, "fingerprint")])
async def test_an_explicit_null_where_alertmanager_sends_a_string_is_refused(service: Service,
                                                                              path: tuple[Any, ...]) -> None:
    """Go marshals a string as a string, never null: `"status": null` is a mangled payload, refused like a status
    of 7 (blind hostile catalogue 5 found the top-level one accepted). An absent field stays accepted."""
    payload = alertmanager_payload()
    node: Any = payload
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = None
    response = await service.client.post("/webhooks/alertmanager", json=payload,
                                         headers={"authorization": f"Bearer {AM_TOKEN}"})
    await assert_refused(service, response, 422, "invalid_payload", f"{path[-1]} is null")


async def test_an_absent_top_level_status_is_still_accepted(service: Service) -> None:
    payload = alertmanager_payload()
    del payload["status"]
    response = await service.client.post("/webhooks/alertmanager", json=payload,
                                         headers={"authorization": f"Bearer {AM_TOKEN}"})
    assert response.status_code == 202, response.text
