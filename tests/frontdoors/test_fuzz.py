"""A bounded, seeded fuzz of the three front doors over loopback: `vigil serve`'s app under a real
uvicorn on 127.0.0.1, driven by httpx.

Every generated request is invalid by construction (a wrong credential or signature, a body that is
not JSON or not UTF-8, nested past the bound, a required field missing or of the wrong type, a time
out of range), including many with a *valid* signature over the mutated body, so only the
validation after the signature stands between them and the queue. The test asserts that each one
gets a 4xx with a JSON `error` and `detail`, that no handler fell through to the last-resort net
(its log line never appears), and that the queue still holds exactly the valid requests accepted
before the fuzz. Slack and PagerDuty have no server here; the bodies follow their documented formats.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.server.signatures import pagerduty_signature, slack_signature
from tests.frontdoors.conftest import AM_TOKEN, PD_SECRETS, SLACK_SECRET, FakeInvestigation, Recorder, free_port
from tests.frontdoors.test_slack import command_body, event_body
from tests.frontdoors.test_webhooks import alertmanager_payload, pd_event

SEED = 20261204
CASES_PER_ROUTE = 300

Headers = dict[str, str | bytes]

NOT_A_STRING: list[Any] = [None, 0, -1, 1.5, True, [], {}, ["C1"], {"id": "C1"}, [[[[["deep"]]]]]]
NOT_AN_ID: list[Any] = [*NOT_A_STRING, "", " ", "None", "NaN", "null", "c1", "C1 C2", "C1\n", "Ç1", "C" * 300,
                        "<@U1>", "../C1", "\u0661\u0662"]
NOT_A_TS: list[Any] = [*NOT_A_STRING, "", "NaN", "None", "1700000000", "1e9", "-1.5", "1700000000.1.2", "٣.٣",
                       "9" * 30 + ".1"]
NOT_AN_OBJECT: list[Any] = [None, 0, "x", "", [], [{}], True, 1.5]
SOME = NOT_AN_OBJECT[1:]
"""Not an object, for a field that may be null or absent."""
BAD_TIMES: list[Any] = [*NOT_A_STRING, "", "yesterday", "2026-13-45T99:99:99Z", "0000-00-00",
                        "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "2999-01-01T00:00:00Z",
                        "1999-01-01T00:00:00Z", "1e10",
                        "2026-03-12T14:20:00Z" + "0" * 5000]


# -- the service on loopback ---------------------------------------------------------------------------


@dataclass
class Live:
    url: str
    door: Any


@pytest.fixture
def live(tmp_path: Path, recorder: Recorder) -> Iterator[Live]:
    """`vigil serve`'s app (workers off, so accepted jobs stay queued) under uvicorn on a free port."""
    import uvicorn
    from slack_sdk.web.async_client import AsyncWebClient

    from agent.config import Config
    from agent.server.app import create_app
    from agent.server.settings import ServeSettings

    environ = {"VIGIL_SLACK_SIGNING_SECRET": SLACK_SECRET, "VIGIL_SLACK_BOT_TOKEN": "xoxb-test",
               "VIGIL_PAGERDUTY_SIGNING_SECRET": ",".join(PD_SECRETS), "VIGIL_ALERTMANAGER_TOKEN": AM_TOKEN}
    settings = ServeSettings.model_validate({"workers": 0, "max_body_bytes": 64_000,
                                             "pagerduty": {"api_url": recorder.url},
                                             "slack": {"api_url": recorder.url + "/api/"}})
    app = create_app(settings, Config(state_dir=tmp_path / "state"), investigate=FakeInvestigation(),
                     slack_client=AsyncWebClient(token="xoxb-test", base_url=recorder.url + "/api/"),
                     environ=environ)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    yield Live(f"http://127.0.0.1:{port}", app.state.door)
    server.should_exit = True
    thread.join(timeout=10)


# -- mutations ----------------------------------------------------------------------------------------


def set_path(payload: Any, path: tuple[str | int, ...], value: Any, delete: bool = False) -> Any:
    out = copy.deepcopy(payload)
    node = out
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def deep(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = [value]
    return value


Field = tuple[tuple[str | int, ...], list[Any], bool]
"""A path into the payload, values that are wrong there, and whether leaving it out is wrong too."""


def json_mutation(rng: random.Random, payload: Any, fields: list[Field]) -> bytes:
    """A body that is not an acceptable JSON payload for the route, chosen at random."""
    raw = json.dumps(payload).encode()
    choice = rng.randrange(9)
    if choice == 0:
        return raw[:rng.randrange(len(raw))]  # a strict prefix of an object is never JSON
    if choice == 1:
        at = rng.randrange(len(raw))
        return raw[:at] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80"]) + raw[at:]
    if choice == 2:
        n = rng.choice([40, 500, 5_000, 30_000])
        return b"[" * n + b"]" * n if rng.random() < 0.5 else b'{"a":' * n + b"1" + b"}" * n
    if choice == 3:
        return json.dumps(rng.choice([[], "text", 1, None, [payload]])).encode()
    if choice == 4:
        return raw.replace(b"{", b'{"x": ' + rng.choice([b"NaN", b"Infinity", b"-Infinity", b"1e999",
                                                         b"1" * 5000]) + b", ", 1)
    path, wrong, required = rng.choice(fields)
    if choice == 5 and required:
        return json.dumps(set_path(payload, path, None, delete=True)).encode()
    if choice == 6:
        return json.dumps(set_path(payload, path, deep(rng.choice([40, 200, 900])))).encode()
    if choice == 7:
        return json.dumps(set_path(payload, path, "\ud800 lone surrogate")).encode()
    return json.dumps(set_path(payload, path, rng.choice(wrong))).encode()


def header_mutation(rng: random.Random, good: str) -> str | bytes | None:
    """A credential header that is wrong: missing, empty, non-ASCII, truncated, or of another scheme."""
    return rng.choice([None, "", good[:-1], good[:-1] + ("0" if good[-1] != "0" else "1"), good.swapcase(),
                       good + "é", ("é" * len(good)).encode("latin-1"), b"v1=\xff\xfe" + good[5:].encode(),
                       "v1=" + "g" * 64, ",".join(["v1=00"] * 200), "Bearer", "Basic !!!",
                       "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()])


@dataclass
class Case:
    body: bytes
    headers: Headers


def alertmanager_cases(rng: random.Random) -> Iterator[Case]:
    payload = alertmanager_payload()
    good = f"Bearer {AM_TOKEN}"
    fields: list[Field] = [
        (("alerts",), [None, [], {}, "x", 1, [None], [[]], ["alert"]], True),
        (("alerts", 0), NOT_AN_OBJECT, False),
        (("alerts", 0, "labels"), [*SOME, {"alertname": 1}, {"alertname": None}, {"a": ["b"]}], False),
        (("alerts", 0, "annotations"), [*SOME, {"summary": {"x": 1}}], False),
        (("alerts", 0, "status"), [*NOT_A_STRING, "", "burning", "FIRING "], False),
        (("alerts", 0, "startsAt"), [t for t in BAD_TIMES if t is not None and t not in
                                     ("2999-01-01T00:00:00Z", "1999-01-01T00:00:00Z")], False),
        (("version",), ["3", "5", 3, "4.0", [4], {"v": 4}, True], False),
        (("commonAnnotations",), [*SOME, {"summary": 1}], False),
    ]
    for _ in range(CASES_PER_ROUTE):
        if rng.random() < 0.3:
            body = json.dumps(payload).encode()
            auth = header_mutation(rng, good)
            yield Case(body, {"content-type": "application/json", **({"authorization": auth} if auth is not None
                                                                      else {})})
        else:
            yield Case(json_mutation(rng, payload, fields), {"content-type": "application/json", "authorization": good})


def pagerduty_cases(rng: random.Random) -> Iterator[Case]:
    payload = pd_event(event_id="01FUZZ", incident_id="PFUZZ")
    fields: list[Field] = [
        (("event",), NOT_AN_OBJECT, True),
        (("event", "event_type"), [*NOT_A_STRING, "", "incident.exploded", "INCIDENT.TRIGGERED", "incident."], True),
        (("event", "occurred_at"), BAD_TIMES, True),
        (("event", "id"), [v for v in NOT_A_STRING if v is not None], False),
        (("event", "data"), NOT_AN_OBJECT, True),
        (("event", "data", "id"), [v for v in NOT_AN_ID if not isinstance(v, str) or not v.strip()], True),
        (("event", "data", "title"), [*NOT_A_STRING, "", "   "], True),
        (("event", "resource_type"), ["service", "", 1, [], "Incident"], False),
    ]
    for _ in range(CASES_PER_ROUTE):
        body = json.dumps(payload).encode()
        if rng.random() < 0.3:
            sig = header_mutation(rng, pagerduty_signature(PD_SECRETS[1], body))
        else:
            body = json_mutation(rng, payload, fields)
            sig = pagerduty_signature(rng.choice(PD_SECRETS), body)
        yield Case(body, {"content-type": "application/json", **({"x-pagerduty-signature": sig} if sig is not None
                                                                 else {})})


def slack_cases(rng: random.Random) -> Iterator[Case]:
    mention = {"type": "app_mention", "user": "U2", "text": "<@UVIGILBOT> pods crashlooping in payments",
               "ts": "1700000100.000100", "channel": "C9", "event_ts": "1700000100.000100"}
    event = json.loads(event_body(mention, "EvFuzz"))
    event_fields: list[Field] = [
        (("event",), NOT_AN_OBJECT, True),
        (("event", "type"), [*NOT_A_STRING, "", "app_mention "], True),
        (("event", "channel"), NOT_AN_ID, True),
        (("event", "user"), NOT_AN_ID, True),
        (("event", "ts"), NOT_A_TS, True),
        (("event", "thread_ts"), [v for v in NOT_A_TS if v is not None], False),
        (("event", "text"), [v for v in NOT_A_STRING if v is not None], False),
        (("type",), [*NOT_A_STRING, "", "event_callback "], True),
        (("authorizations",), ["x", 1, {"team_id": "T1"}, [1], [{"team_id": 5}]], False),
        (("event_id",), [1, [], {}, "é"], False),
    ]
    command = command_body("investigate checkout OOMKilled in shop").decode()
    form = dict(item.split("=", 1) for item in command.split("&"))
    for _ in range(CASES_PER_ROUTE):
        kind = rng.randrange(4)
        timestamp: str | None = str(int(time.time()))
        content_type = "application/json"
        if kind == 0:  # a good body, a bad timestamp or signature
            body = json.dumps(event).encode()
            timestamp = rng.choice([None, "", "abc", "1e9", "\u0661\u0662\u0663", "-5", "+" + str(int(time.time())),
                                    str(int(time.time()) - 3600), str(int(time.time()) + 3600), "9" * 40])
        elif kind == 1:
            body = json_mutation(rng, event, event_fields)
        elif kind == 2:  # a slash command missing a field or with a wrong one
            content_type = "application/x-www-form-urlencoded"
            name = rng.choice(["user_id", "channel_id", "command"])
            fields = dict(form)
            if rng.random() < 0.4:
                del fields[name]
                body = "&".join(f"{k}={v}" for k, v in fields.items()).encode()
            else:
                wrong = rng.choice([v for v in NOT_AN_ID if isinstance(v, str)] if name != "command"
                                   else ["", "vigil", "/", "/vigil now", "/" + "v" * 100])
                from urllib.parse import quote

                fields[name] = quote(wrong)
                body = "&".join(f"{k}={v}" for k, v in fields.items()).encode()
                if rng.random() < 0.3:
                    body += b"&" + name.encode() + b"=" + fields[name].encode() + b"X"  # a repeated field
            if rng.random() < 0.2:
                body = body[:10] + b"\xff" + body[10:]
        else:  # an interactivity payload that is not a button click Vigil can read
            content_type = "application/x-www-form-urlencoded"
            from urllib.parse import urlencode

            click = {"type": "block_actions", "user": {"id": "U1"}, "channel": {"id": "C1"},
                     "actions": [{"action_id": "vigil_approve", "value": "apr_1"}]}
            wrong_click = rng.choice([
                set_path(click, ("user",), rng.choice(NOT_AN_OBJECT)),
                set_path(click, ("user", "id"), rng.choice(NOT_AN_ID)),
                set_path(click, ("actions",), rng.choice([[], None, "x", [1], [{"value": "v"}]])),
                set_path(click, ("type",), rng.choice([None, 1, "", "block_actions "])),
                set_path(click, ("channel", "id"), rng.choice(NOT_AN_ID)),
            ])
            body = urlencode({"payload": json.dumps(wrong_click)}).encode()
        headers: Headers = {"content-type": content_type}
        if timestamp is not None:
            headers["x-slack-request-timestamp"] = timestamp
        signable = timestamp if timestamp is not None and timestamp.isascii() else "0"
        signature = slack_signature(SLACK_SECRET, signable, body)
        if kind == 0 and rng.random() < 0.5:
            timestamp = headers["x-slack-request-timestamp"] = str(int(time.time()))  # type: ignore[assignment]
            mutated = header_mutation(rng, slack_signature(SLACK_SECRET, str(timestamp), body))
            if mutated is not None:
                headers["x-slack-signature"] = mutated
        else:
            headers["x-slack-signature"] = signature
        yield Case(body, headers)


# -- the test -----------------------------------------------------------------------------------------


def accept_one_of_each(client: httpx.Client) -> list[str]:
    """One valid request per front door, accepted before the fuzz; their jobs must survive it."""
    am = json.dumps(alertmanager_payload(alertname="FuzzBaseline")).encode()
    r1 = client.post("/webhooks/alertmanager", content=am, headers={"authorization": f"Bearer {AM_TOKEN}"})
    pd = json.dumps(pd_event(event_id="01BASE", incident_id="PBASE")).encode()
    r2 = client.post("/webhooks/pagerduty", content=pd,
                     headers={"x-pagerduty-signature": pagerduty_signature(PD_SECRETS[0], pd)})
    mention = {"type": "app_mention", "user": "U2", "text": "<@UVIGILBOT> disk full in namespace shop",
               "ts": "1700000500.000100", "channel": "C7", "event_ts": "1700000500.000100"}
    slack = event_body(mention, "EvBase")
    ts = str(int(time.time()))
    r3 = client.post("/slack/events", content=slack, headers={
        "content-type": "application/json", "x-slack-request-timestamp": ts,
        "x-slack-signature": slack_signature(SLACK_SECRET, ts, slack)})
    assert (r1.status_code, r2.status_code, r3.status_code) == (202, 202, 200), (r1.text, r2.text, r3.text)
    return [r1.json()["jobs"][0]["job"], r2.json()["job"]]


ROUTES: list[tuple[str, Callable[[random.Random], Iterator[Case]]]] = [
    ("/webhooks/alertmanager", alertmanager_cases), ("/webhooks/pagerduty", pagerduty_cases),
    ("/slack/events", slack_cases)]


def test_no_malformed_request_is_a_5xx_or_reaches_the_queue(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    from agent.server.app import FRONT_DOOR_FAILED
    from agent.server.slack import SLACK_APP_FAILED

    rng = random.Random(SEED)
    with httpx.Client(base_url=live.url, timeout=20) as client:
        baseline = accept_one_of_each(client)
        before = {job.id for job in live.door.queue.sync.list()}
        assert set(baseline) <= before and len(before) == 3
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="vigil.serve"):
            outcomes: dict[str, dict[int, int]] = {}
            for path, cases in ROUTES:
                for case in cases(rng):
                    headers = {k: v.encode() if isinstance(v, str) else v for k, v in case.headers.items()}
                    response = client.post(path, content=case.body, headers=headers)
                    outcomes.setdefault(path, {}).setdefault(response.status_code, 0)
                    outcomes[path][response.status_code] += 1
                    answer = response.json()
                    if path == "/slack/events" and response.status_code == 200:
                        # A signed Slack event of a type Vigil does not act on (a mutated `type`) is
                        # acknowledged so that Slack stops retrying; it must say so and queue nothing.
                        assert answer.get("ignored"), answer
                        continue
                    assert 400 <= response.status_code < 500, (path, case.headers, case.body[:3000],
                                                               response.status_code, response.text)
                    assert answer["error"] and answer["detail"], answer
        fell_through = [r.getMessage() for r in caplog.records if r.msg in (FRONT_DOOR_FAILED, SLACK_APP_FAILED)]
        assert not fell_through, fell_through
    assert all(sum(by_status.values()) == CASES_PER_ROUTE for by_status in outcomes.values()), outcomes
    after = {job.id for job in live.door.queue.sync.list()}
    assert after == before, "an invalid request changed the queue"
