"""Every door reads UTF-8 and nothing else: one rule (`agent/server/body_text.py`) at each of them.

Blind hostile catalogue 6 found a UTF-16LE body with its byte-order mark accepted and queued at the
Alertmanager, PagerDuty and Slack doors (`json.loads(bytes)` guesses the encoding), and a
`Content-Encoding: br` body answered by the MCP SDK as if uncompressed. Each request here carries
valid credentials, so only the encoding decides; a refused request stores nothing.
"""

from __future__ import annotations

import json
import time
from typing import Any, cast

import httpx
import pytest

from agent.server.bodies import Refused, parse_json
from agent.server.body_text import body_refusal, charset_refusal, encoding_refusal
from agent.server.signatures import pagerduty_signature, slack_signature
from mcp_servers.common.strict_body import INVALID_REQUEST, StrictJsonBody
from tests.frontdoors.conftest import AM_TOKEN, PD_SECRETS, SLACK_SECRET, Service
from tests.frontdoors.test_slack import command_body, event_body
from tests.frontdoors.test_webhooks import alertmanager_payload, pd_event

pytestmark = pytest.mark.anyio

UTF16LE_BOM = b"\xff\xfe"


def utf16le(body: bytes) -> bytes:
    return UTF16LE_BOM + body.decode().encode("utf-16-le")


@pytest.mark.parametrize(("body", "named"), [
    (b"\xff\xfe{\x00}\x00", "UTF-16LE"), (b"\xfe\xff\x00{\x00}", "UTF-16BE"),
    (b"\xff\xfe\x00\x00{\x00\x00\x00", "UTF-32LE"), (b"\x00\x00\xfe\xff\x00\x00\x00{", "UTF-32BE"),
    ("{}".encode("utf-16-le"), "UTF-16LE"), ("{}".encode("utf-16-be"), "UTF-16BE"),
    ("{}".encode("utf-32-le"), "UTF-32LE"), ("{}".encode("utf-32-be"), "UTF-32BE"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_utf16_and_utf32_are_named_with_or_without_a_byte_order_mark(body: bytes, named: str) -> None:
    refusal = encoding_refusal(body)
    assert refusal is not None and refusal.status == 415 and named in refusal.detail, refusal


@pytest.mark.parametrize("body", [b"", b"{}", b"\xef\xbb\xbf{}", b"text=caf%C3%A9", "{\"a\": \"é\"}".encode()])
def test_utf8_with_or_without_its_mark_passes(body: bytes) -> None:
    assert encoding_refusal(body) is None


@pytest.mark.parametrize(("content_type", "refused"), [
    ("application/json", False), ("application/json; charset=utf-8", False), ("application/json;charset=UTF-8", False),
    ('application/json; charset="utf-8"', False), ("application/json; charset=utf8", False),
    ("application/x-www-form-urlencoded; charset=UTF-8", False),
    ("application/json; charset=utf-16", True), ('application/json; charset="UTF-16LE"', True),
    ("application/json; charset=iso-8859-1", True), ("application/json; foo=bar; charset=us-ascii", True),
])
def test_a_charset_other_than_utf8_is_refused_whatever_its_spelling(content_type: str, refused: bool) -> None:
    refusal = charset_refusal(content_type)
    assert (refusal is not None) is refused, refusal
    if refusal is not None:
        assert refusal.status == 415 and refusal.error == "unsupported_charset"


def test_the_parser_never_guesses_another_encoding() -> None:
    """Without a mark, UTF-16 JSON is NUL-laced bytes; json.loads(bytes) would decode it, parse_json does not."""
    assert json.loads("{\"a\": 1}".encode("utf-16-le")) == {"a": 1}
    with pytest.raises(Refused) as refused:
        parse_json("{\"a\": 1}".encode("utf-16-le"))
    assert refused.value.status == 400
    assert parse_json(b"\xef\xbb\xbf{\"a\": 1}") == {"a": 1}, "a UTF-8 byte-order mark is tolerated (RFC 8259 8.1)"


def test_a_content_coding_comes_first() -> None:
    refusal = body_refusal(b"{}", "application/json; charset=utf-16", "br")
    assert refusal is not None and refusal.error == "unsupported_encoding"


async def assert_415(service: Service, response: Any, error: str, words: str) -> None:
    assert response.status_code == 415, response.text
    answer = response.json()
    assert answer["error"] == error and words in answer["detail"], answer
    assert sum((await service.door.queue.counts()).values()) == 0, "a refused request stored nothing"


def _slack_headers(body: bytes, content_type: str) -> dict[str, Any]:
    ts = str(int(time.time()))
    return {"content-type": content_type, "x-slack-request-timestamp": ts,
            "x-slack-signature": slack_signature(SLACK_SECRET, ts, body)}


async def test_alertmanager_refuses_utf16_with_its_mark(service: Service) -> None:
    body = utf16le(json.dumps(alertmanager_payload()).encode())
    response = await service.client.post("/webhooks/alertmanager", content=body, headers={
        "authorization": f"Bearer {AM_TOKEN}", "content-type": "application/json"})
    await assert_415(service, response, "unsupported_charset", "UTF-16LE")


async def test_pagerduty_refuses_utf16_signed_over_its_bytes(service: Service) -> None:
    body = utf16le(json.dumps(pd_event()).encode())
    response = await service.client.post("/webhooks/pagerduty", content=body, headers={
        "x-pagerduty-signature": pagerduty_signature(PD_SECRETS[0], body), "content-type": "application/json"})
    await assert_415(service, response, "unsupported_charset", "UTF-16LE")


async def test_slack_refuses_utf16_events_and_forms(service: Service) -> None:
    event = utf16le(event_body({"type": "app_mention", "user": "U1", "text": "hi", "ts": "1.1", "channel": "C1"}))
    response = await service.client.post("/slack/events", content=event,
                                         headers=_slack_headers(event, "application/json"))
    await assert_415(service, response, "unsupported_charset", "UTF-16LE")
    form = utf16le(command_body("investigate pods crashlooping in shop"))
    response = await service.client.post("/slack/events", content=form,
                                         headers=_slack_headers(form, "application/x-www-form-urlencoded"))
    await assert_415(service, response, "unsupported_charset", "UTF-16LE")


async def test_a_declared_charset_other_than_utf8_is_refused_at_every_webhook_door(service: Service) -> None:
    body = json.dumps(alertmanager_payload()).encode()
    response = await service.client.post("/webhooks/alertmanager", content=body, headers={
        "authorization": f"Bearer {AM_TOKEN}", "content-type": "application/json; charset=utf-16"})
    await assert_415(service, response, "unsupported_charset", "utf-16")
    body = json.dumps(pd_event()).encode()
    response = await service.client.post("/webhooks/pagerduty", content=body, headers={
        "x-pagerduty-signature": pagerduty_signature(PD_SECRETS[0], body),
        "content-type": "application/json; charset=iso-8859-1"})
    await assert_415(service, response, "unsupported_charset", "iso-8859-1")
    form = command_body("investigate pods crashlooping in shop")
    response = await service.client.post("/slack/events", content=form, headers=_slack_headers(
        form, "application/x-www-form-urlencoded; charset=utf-16"))
    await assert_415(service, response, "unsupported_charset", "utf-16")


async def test_utf8_with_its_mark_and_charset_is_still_accepted(service: Service) -> None:
    body = b"\xef\xbb\xbf" + json.dumps(alertmanager_payload()).encode()
    response = await service.client.post("/webhooks/alertmanager", content=body, headers={
        "authorization": f"Bearer {AM_TOKEN}", "content-type": "application/json; charset=UTF-8"})
    assert response.status_code == 202, response.text


# -- the MCP door: the same rule in front of the SDK, which ignores Content-Encoding and charset ----------

reached: list[bytes] = []


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    reached.append(body)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"ok":true}'})


LIST = b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}'


@pytest.mark.parametrize(("body", "headers", "words"), [
    (LIST, {"content-type": "application/json", "content-encoding": "br"}, "Content-Encoding 'br'"),
    (LIST, {"content-type": "application/json", "content-encoding": "GZIP"}, "Content-Encoding 'gzip'"),
    (LIST, {"content-type": "text/plain", "content-encoding": "deflate"}, "Content-Encoding 'deflate'"),
    (LIST, {"content-type": "application/json; charset=utf-16"}, "charset 'utf-16'"),
    (UTF16LE_BOM + LIST.decode().encode("utf-16-le"), {"content-type": "application/json"}, "UTF-16LE"),
    (LIST.decode().encode("utf-16-be"), {"content-type": "application/json"}, "UTF-16BE"),
], ids=["br", "gzip-upper", "deflate-not-json", "charset-utf16", "utf16le-bom", "utf16be-no-bom"])
async def test_mcp_refuses_what_it_would_otherwise_guess_at(body: bytes, headers: dict[str, str], words: str) -> None:
    reached.clear()
    transport = httpx.ASGITransport(app=cast(Any, StrictJsonBody(echo)))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        answer = await http.post("/mcp", content=body, headers=headers)
        identity = await http.post("/mcp", content=LIST, headers={"content-type": "application/json; charset=utf-8",
                                                                   "content-encoding": "identity"})
    assert answer.status_code == 415, answer.text
    error = answer.json()["error"]
    assert error["code"] == INVALID_REQUEST and words in error["message"], error
    assert identity.status_code == 200 and reached == [LIST], "only the plain UTF-8 request reached the SDK"
