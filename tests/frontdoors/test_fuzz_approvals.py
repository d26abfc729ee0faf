"""A bounded, seeded fuzz of the newest front doors of `vigil serve` over loopback: Slack interactivity
(Approve / Deny clicks) and the HTTP approvals API, under a real uvicorn on 127.0.0.1, driven by httpx.

Every generated request is wrong by construction: a missing, stale, unsigned or non-ASCII credential; a
body that is not UTF-8, not JSON, nested past the bound or too large; a click or decision whose fields
have the wrong type; an action id Vigil never posts; a request id that does not exist, was already
decided, or is a path trick; a method the route does not take; an approver the policy does not list,
or the requester approving its own high-risk request. Many carry a *valid* signature or token, so only
the checks after authentication stand between them and a decision.

What must hold for each: no 5xx and no fall-through to the last-resort net (its log line never
appears); a refusal at the door is a 4xx whose JSON names an `error` and a `detail`; a well-formed,
signed Slack click that may not decide is acknowledged (Slack requires a 200) and told why in an
ephemeral message; and nothing changes: the queue holds exactly the jobs accepted before the fuzz,
pending approvals stay pending, and the decision made before the fuzz stays as it was.

Slack has no server here; the payloads follow Slack's documented `block_actions` format and its
Web API is the conftest recorder (documented response shapes).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest

from agent.server.blocks import APPROVE_ACTION, REFUSE_ACTION
from agent.server.signatures import slack_signature
from guardrails.action import Action, Actor, Risk
from guardrails.approval import new_request
from tests.frontdoors.conftest import AM_TOKEN, SLACK_SECRET, FakeInvestigation, Recorder, free_port
from tests.frontdoors.test_approve_to_fix import policy_with_approvers
from tests.frontdoors.test_webhooks import alertmanager_payload

SEED = 20261205
CASES_PER_ROUTE = 300
API_TOKEN = "approvals-api-token-for-fuzz"
APPROVER = "UAPPROVER"
"""The one Slack user the policy lets decide (as `slack:UAPPROVER`); `alice` may decide over HTTP."""

Headers = dict[str, str | bytes]


@dataclass
class Seeded:
    """Approval requests in the store before the fuzz, and the state each must keep."""

    pending_medium: str
    """Requested by an MCP client; any approver may decide it (only valid requests do)."""
    pending_high_alice: str
    """High risk, requested by `alice`: alice may not approve it herself."""
    decided: str
    """Approved by alice before the fuzz; a second decision must be refused and change nothing."""
    statuses: dict[str, str] = field(default_factory=dict)


@dataclass
class Live:
    url: str
    door: Any
    recorder: Recorder
    seeded: Seeded


def _request(store: Any, requester: str, risk: Risk) -> str:
    action = Action(actor=Actor(name=requester, origin="mcp"), tool="k8s_scale",
                    arguments={"name": "checkout", "namespace": "shop", "replicas": 3}, risk=risk)
    request = new_request(action, "fuzz seed", f"{requester} scales checkout", 3600)
    store.submit(request)
    return request.id


@pytest.fixture
def live(tmp_path: Path, recorder: Recorder) -> Iterator[Live]:
    """`vigil serve`'s app (workers off: accepted jobs stay queued) under uvicorn on a free port, with
    the approvals API on, a policy naming its approvers, and three approval requests in the store."""
    import uvicorn
    from slack_sdk.web.async_client import AsyncWebClient

    from agent.config import Config
    from agent.server.app import create_app
    from agent.server.settings import ServeSettings

    environ = {"VIGIL_SLACK_SIGNING_SECRET": SLACK_SECRET, "VIGIL_SLACK_BOT_TOKEN": "xoxb-test",
               "VIGIL_ALERTMANAGER_TOKEN": AM_TOKEN, "VIGIL_API_TOKEN": API_TOKEN}
    settings = ServeSettings.model_validate({"workers": 0, "max_body_bytes": 64_000,
                                             "pagerduty": {"api_url": recorder.url},
                                             "slack": {"api_url": recorder.url + "/api/"}})
    policy = policy_with_approvers(tmp_path, [f"slack:{APPROVER}", "alice"])
    config = Config.model_validate({"state_dir": str(tmp_path / "state"), "policy": str(policy)})
    app = create_app(settings, config, investigate=FakeInvestigation(),
                     slack_client=AsyncWebClient(token="xoxb-test", base_url=recorder.url + "/api/"),
                     environ=environ)
    store = app.state.door.approvals
    seeded = Seeded(_request(store, "mcp:claude", Risk.MEDIUM), _request(store, "alice", Risk.HIGH),
                    _request(store, "mcp:claude", Risk.MEDIUM))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    yield Live(f"http://127.0.0.1:{port}", app.state.door, recorder, seeded)
    server.should_exit = True
    thread.join(timeout=10)


# -- generated requests -----------------------------------------------------------------------------------


@dataclass
class Case:
    method: str
    path: str
    body: bytes
    headers: Headers
    acknowledged: bool = False
    """A signed, well-formed Slack click that may not decide: Slack gets its 200, the user an ephemeral
    "Not recorded" (anything else is refused at the door with a 4xx)."""


NOT_A_STRING: list[Any] = [None, 0, -1, 1.5, True, [], {}, ["x"], {"id": "x"}, [[[["deep"]]]]]
NOT_AN_ID: list[Any] = [*NOT_A_STRING, "", " ", "u1", "U1 U2", "U1\n", "Ü1", "U" * 300, "<@U1>", "../U1"]
PATH_TRICKS = ["..", "../..", "%2e%2e", "..%2F..%2Fetc%2Fpasswd", "apr_x%2Fapprove", "%00", "apr_%0d%0aSet-Cookie:x",
               "%E2%80%AE", "%FF%FE", "a" * 3000, "%C3%A9t%C3%A9", "apr_1;DROP TABLE approvals", "*", "%20",
               "apr_%2A", "%25", "approvals", "{request_id}"]
NOT_OUR_ACTIONS = ["vigil_approve ", "VIGIL_APPROVE", "vigil_delete", "approve", "", "x" * 256, "vigil_approve\t",
                   "vigil-approve"]


_TRIGGERS = iter(range(10**9))


def click(user: str, action_id: str, value: Any) -> dict[str, Any]:
    """A `block_actions` payload for one button, in the shape Slack documents (each with its own trigger
    id, as Slack gives each click, so no two bodies sign the same and none is refused as a replay)."""
    return {"type": "block_actions", "team": {"id": "T1", "domain": "acme"}, "user": {"id": user},
            "api_app_id": "A1", "trigger_id": f"trig-{next(_TRIGGERS)}",
            "container": {"type": "message", "message_ts": "1700000000.000009", "channel_id": "C1"},
            "channel": {"id": "C1", "name": "incidents"}, "message": {"ts": "1700000000.000009"},
            "actions": [{"action_id": action_id, "block_id": "vigil_approval", "value": value, "type": "button",
                         "action_ts": "1700000001.000001"}]}


def slack_cases(rng: random.Random, seeded: Seeded) -> Iterator[Case]:
    ours = [APPROVE_ACTION, REFUSE_ACTION]
    for _ in range(CASES_PER_ROUTE):
        kind = rng.randrange(9)
        acknowledged = False
        payload: Any = click(APPROVER, rng.choice(ours), seeded.pending_medium)
        body: bytes | None = None
        timestamp: str | None = str(int(time.time()))
        signature: str | bytes | None = None
        if kind == 0:  # a decision nobody may take: unknown, decided, a path trick, a huge or odd value
            user = rng.choice([APPROVER, "U1"])
            value = rng.choice(["apr_doesnotexist", seeded.decided, *PATH_TRICKS, "x" * 2000, "é" * 500,
                                seeded.pending_medium + " ", seeded.pending_medium.upper()])
            payload = click(user, rng.choice(ours), value)
            acknowledged = len(value) <= 2000  # longer is refused at the door: Slack caps a value at 2,000
        elif kind == 1:  # a click by a user the policy does not list, on a real pending request
            payload = click(rng.choice(["U1", "U0", "UAPPROVERX", "W1"]), rng.choice(ours),
                            rng.choice([seeded.pending_medium, seeded.pending_high_alice]))
            acknowledged = True
        elif kind == 2:  # an action id Vigil never posts
            payload = click(APPROVER, rng.choice(NOT_OUR_ACTIONS), seeded.pending_medium)
        elif kind == 3:  # wrong types where Vigil reads a field
            where = rng.choice(["user", "user.id", "actions", "actions.0", "actions.0.action_id",
                                "actions.0.value", "type", "channel", "container.message_ts", "message"])
            wrong = rng.choice([*NOT_A_STRING, *NOT_AN_ID, "x" * 5000])
            node: Any = payload
            parts = where.split(".")
            for part in parts[:-1]:
                node = node[int(part)] if part.isdigit() else node[part]
            last = parts[-1]
            if isinstance(node, list):
                node[int(last)] = wrong
            elif rng.random() < 0.2 and last in ("user", "actions", "type"):
                del node[last]
            else:
                node[last] = wrong
            if where == "actions.0.value" and isinstance(wrong, str) and len(wrong) <= 2000:
                acknowledged = True  # a string value is well-formed; it is simply no request id
            if where == "channel" and wrong is None:
                acknowledged = True  # channel is optional; the container still names it
            if where in ("container.message_ts", "message") and wrong is None:
                acknowledged = True
            if acknowledged:
                payload["actions"][0]["value"] = "apr_doesnotexist"
        elif kind == 4:  # the form around the payload is wrong
            raw = json.dumps(payload)
            body = rng.choice([
                b"payload=" + raw.encode()[: rng.randrange(1, len(raw))],
                urlencode({"payload": raw}).encode() + b"&payload=" + quote(raw).encode(),
                b"payload=" + b"%7B" * 2000,
                urlencode({"payload": raw}).encode()[:20] + b"\xff\xfe" + urlencode({"payload": raw}).encode()[20:],
                b"payload=" + quote("[" * 500 + "]" * 500).encode(),
                b"payload=" + quote('{"type": "block_actions", "x": NaN}').encode(),
                b"payload=" + quote('{"type": "block_actions", "u": "\\ud800"}').encode(),
                urlencode({"payload": json.dumps([payload])}).encode(),
                urlencode({"payload": json.dumps({**payload, "type": "view_submission"})}).encode(),
                b"payload",
                b"&&&=",
                b"payload=" + b"A" * 70_000,
            ])
        elif kind == 5:  # no actions, or too many, or no channel to answer in
            payload["actions"] = rng.choice([[], [payload["actions"][0]] * 26, None, payload["actions"]])
            if payload["actions"] is None:
                del payload["actions"]
            elif len(payload["actions"]) == 1:
                del payload["channel"]
                payload["container"] = rng.choice([None, {"type": "message"}, {"channel_id": None}])
        elif kind == 6:  # stale, future, odd or missing timestamp
            timestamp = rng.choice([None, "", "abc", "1e9", "-5", "\u0661\u0662", str(int(time.time()) - 3600),
                                    str(int(time.time()) + 3600), "9" * 40, "+" + str(int(time.time()))])
        elif kind == 7:  # unsigned, or signed with another secret, or a non-ASCII signature
            signature = rng.choice([None, "", "v0=", "v1=" + "0" * 64, "é".encode("latin-1") * 10,
                                    slack_signature("another-secret", str(int(time.time())), b"x")])
        else:  # a valid signature, but the body altered after signing
            signature = "tampered"
        if body is None:
            body = urlencode({"payload": json.dumps(payload)}).encode()
        headers: Headers = {"content-type": "application/x-www-form-urlencoded"}
        if timestamp is not None:
            headers["x-slack-request-timestamp"] = timestamp
        if signature == "tampered":
            headers["x-slack-signature"] = slack_signature(SLACK_SECRET, str(timestamp), body)
            body = body.replace(b"U", b"V", 1)
        elif signature is not None:
            headers["x-slack-signature"] = signature
        else:
            signable = timestamp if timestamp is not None and timestamp.isascii() else "0"
            if kind != 7:
                headers["x-slack-signature"] = slack_signature(SLACK_SECRET, signable, body)
        yield Case("POST", "/slack/events", body, headers, acknowledged=acknowledged and kind not in (6, 7, 8))


def bad_auth(rng: random.Random) -> str | bytes | None:
    good = f"Bearer {API_TOKEN}"
    return rng.choice([None, "", "Bearer", "Bearer x", good[:-1], good + "x", good.upper(),
                       "bearer  " + API_TOKEN + "é", ("Bearer " + "é" * 10).encode("latin-1"),
                       "Bearer " + API_TOKEN + "\u2028",
                       "Basic " + API_TOKEN, "Token " + API_TOKEN, "Bearer " + "A" * 8000, b"Bearer \xff\xfe",
                       f"Bearer {AM_TOKEN}"])


def api_cases(rng: random.Random, seeded: Seeded) -> Iterator[Case]:
    good = {"authorization": f"Bearer {API_TOKEN}", "content-type": "application/json"}
    decision = {"approver": "alice", "note": "fuzz"}
    for _ in range(CASES_PER_ROUTE):
        kind = rng.randrange(8)
        request_id = rng.choice([seeded.pending_medium, seeded.pending_high_alice])
        verb = rng.choice(["approve", "deny"])
        method, path, headers = "POST", f"/approvals/{request_id}/{verb}", dict(good)
        body = json.dumps(decision).encode()
        if kind == 0:  # a bad token, on any route
            auth = bad_auth(rng)
            headers = {"content-type": "application/json", **({"authorization": auth} if auth is not None else {})}
            if rng.random() < 0.4:
                method, path = "GET", "/approvals"
        elif kind == 1:  # an id that is no request: unknown, decided, a path trick
            path = f"/approvals/{rng.choice(['apr_doesnotexist', seeded.decided, rng.choice(PATH_TRICKS)])}/{verb}"
        elif kind == 2:  # a verb that is not one
            wrong = rng.choice(["", "APPROVE", "approve ", "delete", "..", "approve/x", "%00"])
            path = f"/approvals/{request_id}/{wrong}"
        elif kind == 3:  # a method the route does not take
            method = rng.choice(["GET", "PUT", "DELETE", "PATCH"])
            if rng.random() < 0.3:
                method, path = rng.choice(["POST", "PUT", "DELETE"]), "/approvals"
        elif kind == 4:  # a body that is not the decision
            body = rng.choice([
                b"", b"null", b"[]", b'"alice"', b"{", b"\xff\xfe{}", b'{"approver": NaN}', b"[" * 5000 + b"]" * 5000,
                json.dumps({**decision, "extra": 1}).encode(), json.dumps({"note": "x"}).encode(),
                json.dumps({"approver": ["alice"]}).encode(), json.dumps({"approver": "al ice"}).encode(),
                json.dumps({"approver": ""}).encode(), json.dumps({"approver": "a" * 201}).encode(),
                json.dumps({"approver": "alice", "note": "n" * 2001}).encode(),
                json.dumps({"approver": "\ud800"}).encode(), b'{"approver": "\\ud800"}',
                json.dumps({"approver": "alice", "note": None}).encode(),
                b"approver=alice", b"{" + b'"a":1,' * 20_000 + b'"approver":"alice"}',
            ])
            if rng.random() < 0.2:
                headers["content-type"] = rng.choice(["text/plain", "application/x-www-form-urlencoded", ""])
        elif kind == 5:  # a body over serve's limit (64,000 bytes here)
            body = json.dumps({"approver": "alice", "note": "n" * rng.choice([64_000, 70_000, 500_000])}).encode()
        elif kind == 6:  # an approver the policy does not list, or the requester approving its high-risk request
            if rng.random() < 0.5:
                body = json.dumps({"approver": rng.choice(["mallory", "slack:U1", "Alice", "alice2", "*",
                                                           "slack:UAPPROVERX", "é"])}).encode()
            else:
                path = f"/approvals/{seeded.pending_high_alice}/approve"
        else:  # GET /approvals with a body, or with query tricks, and a bad token
            method, path = "GET", rng.choice(["/approvals", "/approvals?id=../x", "/approvals/", "/approvals//x"])
            body = json.dumps(decision).encode()
            auth = bad_auth(rng)
            headers = {"content-type": "application/json", **({"authorization": auth} if auth is not None else {})}
            if path != "/approvals":
                headers = dict(good)
        yield Case(method, path, body, headers)


# -- the test ---------------------------------------------------------------------------------------------


def accept_before(client: httpx.Client, seeded: Seeded) -> list[str]:
    """A valid alert accepted and a valid decision taken before the fuzz; both must survive it."""
    am = json.dumps(alertmanager_payload(alertname="FuzzBaseline")).encode()
    r1 = client.post("/webhooks/alertmanager", content=am, headers={"authorization": f"Bearer {AM_TOKEN}"})
    assert r1.status_code == 202, r1.text
    r2 = client.post(f"/approvals/{seeded.decided}/approve", json={"approver": "alice"},
                     headers={"authorization": f"Bearer {API_TOKEN}"})
    assert r2.status_code == 200 and r2.json()["status"] == "approved", r2.text
    return [r1.json()["jobs"][0]["job"]]


def statuses(door: Any, seeded: Seeded) -> dict[str, str]:
    return {rid: str(door.approvals.get(rid)["status"]) for rid in
            (seeded.pending_medium, seeded.pending_high_alice, seeded.decided)}


ROUTES: list[tuple[str, Callable[[random.Random, Seeded], Iterator[Case]]]] = [
    ("slack interactivity", slack_cases), ("approvals api", api_cases)]


def test_no_malformed_click_or_decision_is_a_5xx_or_decides_anything(live: Live,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    from agent.server.app import FRONT_DOOR_FAILED
    from agent.server.slack import SLACK_APP_FAILED

    rng = random.Random(SEED)
    seeded = live.seeded
    with httpx.Client(base_url=live.url, timeout=20) as client:
        baseline = accept_before(client, seeded)
        jobs_before = {job.id for job in live.door.queue.sync.list()}
        assert set(baseline) == jobs_before
        before = statuses(live.door, seeded)
        assert before == {seeded.pending_medium: "pending", seeded.pending_high_alice: "pending",
                          seeded.decided: "approved"}
        caplog.clear()
        outcomes: dict[str, dict[int, int]] = {}
        with caplog.at_level(logging.ERROR, logger="vigil.serve"):
            for name, cases in ROUTES:
                for case in cases(rng, seeded):
                    ephemerals = len(live.recorder.calls("chat.postEphemeral"))
                    headers = {k: v.encode() if isinstance(v, str) else v for k, v in case.headers.items()}
                    response = client.request(case.method, case.path, content=case.body, headers=headers)
                    outcomes.setdefault(name, {}).setdefault(response.status_code, 0)
                    outcomes[name][response.status_code] += 1
                    where = (case.method, case.path[:200], case.headers, case.body[:2000], response.status_code,
                             response.text[:2000])
                    if case.acknowledged:
                        assert response.status_code == 200, where
                        [told] = live.recorder.calls("chat.postEphemeral")[ephemerals:]
                        assert str(told.form_or_json()["text"]).startswith("Not recorded: "), where
                    else:
                        assert 400 <= response.status_code < 500, where
                        answer = response.json()
                        assert answer["error"] and answer["detail"], where
                    assert statuses(live.door, seeded) == before, where
        fell_through = [r.getMessage() for r in caplog.records if r.msg in (FRONT_DOOR_FAILED, SLACK_APP_FAILED)]
        assert not fell_through, fell_through
    assert all(sum(by_status.values()) == CASES_PER_ROUTE for by_status in outcomes.values()), outcomes
    assert {job.id for job in live.door.queue.sync.list()} == jobs_before, "a bad request changed the queue"
    assert not live.recorder.calls("chat.update"), "no approval message was marked decided"
