"""The fifth blind hostile catalogue: requests to every front door that rounds 1 to 4 likely left
out, each with the class of answer the public specifications and docs/frontdoors.md say it must get.

Written before reading agent/server/, guardrails/ or the tests, and knowing of rounds 1 to 4 only
their module docstrings and case names. This round's emphasis:

- other senders posting to Vigil's doors in their own formats: Grafana OnCall, Opsgenie, Datadog,
  Sentry (issue and metric alerts), New Relic, Zabbix, Uptime Kuma, PagerDuty v1/v2 legacy webhooks and
  Events API v2 bodies, Microsoft Teams and Mattermost outgoing webhooks, a Slack incoming-webhook
  message and an Alertmanager-ish custom template, each at every door under that door's own valid
  credential (a body of the wrong format must never be queued) and under its sender's native auth;
- Slack interactivity and events Vigil does not act on (view_submission, shortcut, message_action,
  select menus, app_home_opened, assistant threads...) and Enterprise Grid org-wide installs;
- URL and method variants at the doors rounds 1 to 4 probed mostly on Alertmanager (PagerDuty, Slack,
  approvals, MCP): trailing and double slashes, dot segments, percent-encoded letters, query strings,
  HEAD/OPTIONS/PUT/PATCH/DELETE, absolute-form targets and Host header variants;
- concurrency: the same alert delivered in parallel by several Alertmanager replicas in HA, the same
  PagerDuty event and Slack retries racing, approvals decided by racing clients, slow (trickled)
  headers and bodies, pipelined keep-alive sequences mixing accepted and refused requests, and a client
  that disconnects mid-body or right after its body;
- MCP lifecycle: fresh sessions used before `notifications/initialized`, initialize with odd
  protocolVersion and capability shapes, cancellation and progress notifications, resources / prompts /
  completion / sampling methods the server may not offer, ping spellings, oversized batches;
- Alertmanager v4 envelope fields of the wrong JSON type not yet tried one by one.

Concurrent and slow cases need traffic the runner's one-request steps cannot express, so their step's
`raw` builder does it first (on its own sockets, in threads, against the same door) and checks the
promise itself: no 5xx, exactly the documented number of jobs (read from `/metrics`), exactly one
decision. It then returns the step's own request (one more copy, whose class proves what the burst left
behind); when its own check failed it returns instead `GET /__hostile5_side_check_failed__/<what>`,
a 404 that no such step allows (steps that expect a refusal pin the status, so the 404 is
`wrong_status`), so a failed burst shows up in the runner's report under the case's name.

Every body that should be accepted names a unique incident per case and per run. Where the sources
leave the answer open a step allows several classes; the runner still checks no 5xx, nothing
enqueued unless accepted, and the exact job count when accepted.

    CASES: tuple[Case, ...]   # .venv/bin/python benchmarks/frontdoors/run_hostile.py --catalogue 5
"""

from __future__ import annotations

import dataclasses
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from benchmarks.frontdoors import hostile_payloads as P
from benchmarks.frontdoors.hostile_client import Response, encode, exchange, parse
from benchmarks.frontdoors.hostile_model import (
    ACCEPTED,
    ANY_SAFE,
    IGNORED,
    NOT_ACCEPTED,
    REDIRECT,
    REFUSAL,
    REFUSED,
    Body,
    Case,
    Ctx,
    Headers,
    Step,
)

AM, PD, SL, MCP, APPROVALS = "/webhooks/alertmanager", "/webhooks/pagerduty", "/slack/events", "/mcp", "/approvals"
JSON_H: Headers = (("Content-Type", "application/json"),)
FORM_H: Headers = (("Content-Type", "application/x-www-form-urlencoded"),)
MCP_H: Headers = (("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"))
MCP_OUT = "MCP SDK (streamable HTTP transport and JSON-RPC dispatch)"

ACC = frozenset({ACCEPTED})
ACC_OR_REF = frozenset({ACCEPTED, REFUSED})
ACC_OR_IGN = frozenset({ACCEPTED, IGNORED})
IGN = frozenset({IGNORED})
PATHY = frozenset({ACCEPTED, REFUSED, REDIRECT})
NOT_ACC_PATHY = frozenset({IGNORED, REFUSED, REDIRECT})

CASES_LIST: list[Case] = []


def case(name: str, door: str, group: str, why: str, *steps: Step, outside: str = "") -> None:
    CASES_LIST.append(Case(name, door, group, why, tuple(steps), outside))


def st(*codes: int) -> frozenset[int]:
    return frozenset(codes)


# ----------------------------------------------------------------------------- bodies

def alertname(ctx: Ctx, name: str) -> str:
    """A unique alert name per case and run, so an accepted control never joins another's job."""
    return "H5_" + re.sub(r"[^A-Za-z0-9]", "_", name) + "_" + ctx.tag


def am_obj(ctx: Ctx, name: str, status: str = "firing") -> dict[str, Any]:
    return P.am_payload(alertname(ctx, name), status)


def am_json(name: str, edit: Callable[[dict[str, Any]], None] | None = None) -> Callable[[Ctx], bytes]:
    def build(ctx: Ctx) -> bytes:
        obj = am_obj(ctx, name)
        if edit is not None:
            edit(obj)
        return P.dumps(obj)
    return build


def am_step(name: str, expect: frozenset[str], edit: Callable[[dict[str, Any]], None] | None = None,
            **kw: Any) -> Step:
    return Step("POST", AM, expect, am_json(name, edit), auth="am", **kw)


def pd_json(name: str, event_type: str = "incident.triggered",
            edit: Callable[[dict[str, Any]], None] | None = None,
            incident_of: str | None = None) -> Callable[[Ctx], bytes]:
    """A signed-to-be v3 event unique to `name`; with `incident_of`, about that other event's incident."""
    def build(ctx: Ctx) -> bytes:
        incident = None if incident_of is None else "P" + P.uid(ctx, "incident:h5:" + incident_of, 6)
        obj = P.pd_event(ctx, "h5:" + name, event_type, incident=incident)
        if edit is not None:
            edit(obj)
        return P.dumps(obj)
    return build


def pd_step(name: str, expect: frozenset[str], **kw: Any) -> Step:
    return Step("POST", PD, expect, pd_json(name), auth="pd", **kw)


def mention(ctx: Ctx, name: str, **top: Any) -> dict[str, Any]:
    """A signed app_mention whose text names this case, so its incident is its own."""
    obj = P.slack_event(ctx, "h5:" + name, **top)
    obj["event"]["text"] = f"<@U0LAN0Z89> checkout pods crashlooping ({name} {ctx.tag})"
    return obj


def mention_json(name: str, edit: Callable[[dict[str, Any]], None] | None = None) -> Callable[[Ctx], bytes]:
    def build(ctx: Ctx) -> bytes:
        obj = mention(ctx, name)
        if edit is not None:
            edit(obj)
        return P.dumps(obj)
    return build


def slash_body(name: str) -> Callable[[Ctx], bytes]:
    return lambda ctx: P.form(P.slash_form(ctx, "h5:" + name,
                                           text=f"investigate checkout OOMKilled in shop ({name} {ctx.tag})"))


def rpc_body(method: str, params: Any = None, id_: Any = 1) -> bytes:
    return P.dumps(P.rpc(method, params, id_))


def mcp_step(body: Body, expect: frozenset[str] = ANY_SAFE, auth: str = "mcp_session", path: str = MCP,
             **kw: Any) -> Step:
    return Step("POST", path, expect, body, headers=kw.pop("headers", MCP_H), auth=auth, **kw)


# ----------------------------------------------------------------------------- side traffic

def _addr(host: str) -> tuple[str, int]:
    name, _, port = host.rpartition(":")
    return name, int(port)


def send(host: str, data: bytes, timeout: float = 15.0) -> Response:
    name, port = _addr(host)
    try:
        return exchange(name, port, data, timeout=timeout)
    except OSError:
        return Response(None, (), b"", 0.0)


def jobs(host: str) -> int:
    """Jobs in the queue, any state, from the server's own /metrics (the runner's own count)."""
    reply = send(host, b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout=10)
    total = 0.0
    for line in reply.body.decode("utf-8", "replace").splitlines():
        if line.startswith("vigil_jobs{"):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def failed(host: str, what: str) -> bytes:
    """The request a side check returns when the burst broke the promise: a 404 no step allows."""
    slug = re.sub(r"[^A-Za-z0-9_.-]", "_", what)[:200]
    return f"GET /__hostile5_side_check_failed__/{slug} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()


def burst(host: str, copies: list[bytes]) -> list[Response]:
    """Send every copy at once, each on its own connection, released together by a barrier."""
    results: list[Response] = [Response(None, (), b"", 0.0)] * len(copies)
    barrier = threading.Barrier(len(copies))

    def go(index: int) -> None:
        try:
            barrier.wait(timeout=10)
        except threading.BrokenBarrierError:
            pass
        results[index] = send(host, copies[index])

    threads = [threading.Thread(target=go, args=(i,), daemon=True) for i in range(len(copies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=40)
    return results


def statuses(replies: list[Response]) -> str:
    return "-".join(str(r.status) for r in replies)


def keepalive(data: bytes) -> bytes:
    return data.replace(b"\r\nConnection: close\r\n", b"\r\nConnection: keep-alive\r\n", 1)


def trickle(host: str, data: bytes, pieces: int, pause_s: float, head_too: bool = False) -> Response:
    """Send `data` in `pieces` writes `pause_s` apart (only the body, or the head too), then read the answer."""
    name, port = _addr(host)
    head, sep, body = data.partition(b"\r\n\r\n")
    first = b"" if head_too else head + sep
    rest = data if head_too else body
    size = max(1, -(-len(rest) // pieces))
    try:
        with socket.create_connection((name, port), timeout=20) as sock:
            if first:
                sock.sendall(first)
            for i in range(0, len(rest), size):
                time.sleep(pause_s)
                sock.sendall(rest[i:i + size])
            chunks: list[bytes] = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
    except OSError:
        return Response(None, (), b"", 0.0)
    return parse(b"".join(chunks), 0.0)


def abort_after(host: str, data: bytes, keep: int, rst: bool = False) -> None:
    """Send the first `keep` bytes of a request, then go away (FIN, or RST with `rst`)."""
    name, port = _addr(host)
    try:
        sock = socket.create_connection((name, port), timeout=5)
        sock.sendall(data[:keep])
        if rst:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()
    except OSError:
        pass
    time.sleep(0.5)


def ok(reply: Response) -> bool:
    return reply.status is not None and 200 <= reply.status < 300


# ----------------------------------------------------------------------------- controls

case("am5-ctl-plain", "alertmanager", "control", "a plain v4 notification is accepted once",
     am_step("am5-ctl-plain", ACC))
case("pd5-ctl-real-headers", "pagerduty", "control",
     "PagerDuty v3 sends X-Webhook-Id, X-Webhook-Subscription and a charset: accepted once",
     Step("POST", PD, ACC, pd_json("pd5-ctl-real-headers"), auth="pd",
          headers=(("Content-Type", "application/json; charset=utf-8"), ("X-Webhook-Id", "a7e5c6f2-0d3b-4c8e-9a1f"),
                   ("X-Webhook-Subscription", "PXXXXXX"))))
case("sl5-ctl-mention", "slack", "control", "a signed app_mention is accepted once",
     Step("POST", SL, ACC, mention_json("sl5-ctl-mention"), auth="slack"))
case("sl5-ctl-slash", "slack", "control", "a signed /vigil investigate is accepted once",
     Step("POST", SL, ACC, slash_body("sl5-ctl-slash"), headers=FORM_H, auth="slack"))
case("mcp5-ctl-tools-list", "mcp", "control", "tools/list on the runner's session answers a result",
     mcp_step(rpc_body("tools/list", id_=5001), ACC))
case("ap5-ctl-list", "approvals", "control", "GET /approvals with the API token is a 200 listing",
     Step("GET", APPROVALS, IGN, auth="api", headers=(), status=st(200)))

# ----------------------------------------------------------------------------- other senders

def _ts_ms(ctx: Ctx) -> int:
    return int(ctx.now * 1000)


SENDERS: dict[str, Callable[[Ctx, str], Any]] = {
    "grafana-oncall": lambda ctx, n: {
        "event": {"type": "escalation", "time": "2024-06-01T10:00:00.000000Z"},
        "user": None, "alert_group": {"id": "IRFN6ZD31N31B", "integration_id": "CFRPV98RPR1U8",
                                      "route_id": "RHYDL2QKZQ2EN", "alerts_count": 1, "state": "firing",
                                      "created_at": "2024-06-01T10:00:00.000000Z", "title": f"checkout down {n}",
                                      "permalinks": {"web": "https://oncall.example/a/IRFN6ZD31N31B"}},
        "alert_group_id": "IRFN6ZD31N31B", "alert_payload": {"message": "checkout OOMKilled"},
        "integration": {"id": "CFRPV98RPR1U8", "type": "webhook", "name": "vigil"}, "notified_users": [],
        "users_to_be_notified": []},
    "opsgenie": lambda ctx, n: {
        "action": "Create", "alert": {"alertId": "70413a06-38d6-4c85-92b8-5ebc900d42e2", "message": f"checkout {n}",
                                      "tags": ["shop"], "tinyId": "1791", "entity": "", "alias": f"checkout-{n}",
                                      "createdAt": _ts_ms(ctx), "updatedAt": _ts_ms(ctx), "username": "System",
                                      "userId": "", "description": "memory above limit", "team": "", "responders": [],
                                      "teams": [], "actions": [], "priority": "P1", "source": "prometheus"},
        "source": {"name": "", "type": "API"}, "integrationName": "Vigil", "integrationId": "8d4f2e",
        "integrationType": "Webhook"},
    "datadog": lambda ctx, n: {
        "id": "6741883937281372419", "last_updated": str(_ts_ms(ctx)), "event_type": "query_alert_monitor",
        "title": f"[Triggered] checkout memory {n}", "date": _ts_ms(ctx), "org": {"id": "1", "name": "acme"},
        "body": "%%%\nmemory above limit\n%%%", "alert_transition": "Triggered", "alert_id": "12345",
        "priority": "normal", "tags": "env:prod,service:checkout,namespace:shop"},
    "sentry-issue-alert": lambda ctx, n: {
        "action": "triggered", "installation": {"uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9"},
        "data": {"event": {"event_id": "b2fc2d6e9c4a4b8e", "title": f"OOMError: {n}", "level": "error",
                           "tags": [["environment", "prod"]], "web_url": "https://sentry.io/issues/1/"},
                 "triggered_rule": "checkout errors"},
        "actor": {"type": "application", "id": "sentry", "name": "Sentry"}},
    "sentry-metric-alert": lambda ctx, n: {
        "action": "critical", "installation": {"uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9"},
        "data": {"metric_alert": {"id": "7", "title": f"checkout p95 {n}", "status": 20,
                                  "date_started": "2024-06-01T10:00:00Z"},
                 "description_text": "p95 above 2s", "description_title": "Critical: checkout p95",
                 "web_url": "https://sentry.io/alerts/rules/details/7/"},
        "actor": {"type": "application", "id": "sentry", "name": "Sentry"}},
    "newrelic": lambda ctx, n: {
        "id": "f3a5c1d2", "issueUrl": "https://one.newrelic.com/alerts-ai/issues/f3a5c1d2", "title": f"checkout {n}",
        "priority": "CRITICAL", "impactedEntities": ["checkout"], "totalIncidents": 1, "state": "ACTIVATED",
        "trigger": "STATE_CHANGE", "isCorrelated": False, "createdAt": _ts_ms(ctx), "updatedAt": _ts_ms(ctx),
        "sources": ["newrelic"], "alertPolicyNames": ["shop"], "alertConditionNames": ["memory"],
        "workflowName": "vigil"},
    "zabbix": lambda ctx, n: {
        "event_id": "4711", "event_name": f"High memory on checkout {n}", "host": "checkout-1", "severity": "High",
        "status": "PROBLEM", "trigger_id": "13491", "event_date": "2024.06.01", "event_time": "10:00:00"},
    "uptime-kuma": lambda ctx, n: {
        "heartbeat": {"monitorID": 1, "status": 0, "time": "2024-06-01 10:00:00.000", "msg": "timeout",
                      "important": True, "duration": 0},
        "monitor": {"id": 1, "name": f"checkout {n}", "url": "https://shop.example/checkout", "type": "http"},
        "msg": "[checkout] [\U0001f534 Down] timeout"},
    "pagerduty-v2-legacy": lambda ctx, n: {"messages": [{
        "id": "bb8b8fe0-e8d5-11e2-9c1e-22000afd16cf", "event": "incident.trigger", "created_on": "2024-06-01T10:00:00Z",
        "incident": {"id": "PIJ90N7", "incident_number": 1, "status": "triggered", "title": f"checkout {n}",
                     "service": {"id": "PF9KMXH", "name": "checkout"}}, "log_entries": []}]},
    "pagerduty-v1-legacy": lambda ctx, n: {"messages": [{
        "type": "incident.trigger", "id": "bb8b8fe0-e8d5-11e2-9c1e-22000afd16cf", "created_on": "2024-06-01T10:00:00Z",
        "data": {"incident": {"id": "PIJ90N7", "incident_number": 1, "status": "triggered",
                              "trigger_summary_data": {"subject": f"checkout {n}"}}}}]},
    "pagerduty-events-v2": lambda ctx, n: {
        "routing_key": "R0UT1NGKEY0000000000000000000000", "event_action": "trigger", "dedup_key": f"checkout-{n}",
        "payload": {"summary": f"checkout OOMKilled {n}", "source": "prometheus", "severity": "critical"}},
    "teams-outgoing": lambda ctx, n: {
        "type": "message", "id": "1485983408511", "timestamp": "2024-06-01T10:00:00.000Z",
        "serviceUrl": "https://smba.trafficmanager.net/amer/", "channelId": "msteams",
        "from": {"id": "29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB", "name": "Steve"},
        "conversation": {"isGroup": True, "id": "19:253b1f341670408fb6fcb5c8f2a1e8e2@thread.skype"},
        "textFormat": "plain", "text": f"<at>Vigil</at> investigate checkout {n}", "attachments": [], "entities": [],
        "channelData": {"teamsChannelId": "19:253b1f34@thread.skype", "tenant": {"id": "72f988bf"}}},
    "mattermost-outgoing": lambda ctx, n: {
        "token": "xr3j5x3p4pfk7kk6ck7b4e6ghh", "team_id": "p4cbm8eqi3bdtbf8aaemd3k1yk", "team_domain": "acme",
        "channel_id": "8lbu4d7rq7ro5pbxtrw8bzfxne", "channel_name": "incidents", "timestamp": _ts_ms(ctx),
        "user_id": "rnina9994bde8mua79zqcg5hmo", "user_name": "steve", "post_id": "3zyd9rd3xpn9b8fp1jhnc6tneh",
        "text": f"vigil investigate checkout {n}", "trigger_word": "vigil", "file_ids": ""},
    "slack-incoming-webhook": lambda ctx, n: {"text": f"checkout pods OOMKilled {n}", "channel": "#incidents",
                                              "username": "prometheus", "icon_emoji": ":fire:"},
    "am-custom-template": lambda ctx, n: {
        "receiver": "vigil", "status": "firing", "title": f"[FIRING:1] H5 checkout {n}",
        "message": "**Firing**\n\nValue: B=1.2\nLabels:\n - alertname = checkout\n - namespace = shop\n"
                   "Annotations:\n - summary = <no value>\n%!s(MISSING)"},
}

DOOR_CREDS: tuple[tuple[str, str, str, str], ...] = (
    ("am5", "alertmanager", AM, "am"), ("pd5", "pagerduty", PD, "pd"), ("sl5", "slack", SL, "slack"),
    ("mcp5", "mcp", MCP, "mcp_session"))

MCP_SENDERS = ("grafana-oncall", "opsgenie", "teams-outgoing", "pagerduty-events-v2", "slack-incoming-webhook")
for sender, build in SENDERS.items():
    for prefix, door, path, auth in DOOR_CREDS:
        if (door == "mcp" and sender not in MCP_SENDERS) or (door == "alertmanager" and sender == "datadog"):
            continue  # MCP refuses any non-JSON-RPC body alike; round 4 sent Datadog to Alertmanager
        def sender_body(ctx: Ctx, build: Callable[[Ctx, str], Any] = build, sender: str = sender) -> bytes:
            return P.dumps(build(ctx, f"{sender}-{ctx.tag}"))
        case(f"{prefix}-sender-{sender}", door, "semantic",
             f"a {sender} webhook posted to {path} with that door's own valid credential: it is no payload of "
             f"this door's format, so it is refused (or acknowledged and ignored) and never queued",
             Step("POST", path, NOT_ACCEPTED, sender_body, headers=MCP_H if door == "mcp" else JSON_H, auth=auth),
             outside=MCP_OUT if door == "mcp" else "")

case("sl5-sender-mattermost-form", "slack", "semantic",
     "Mattermost's outgoing webhook as a form body, signed with the Slack secret: its ids are no Slack ids "
     "and it names no command Vigil serves",
     Step("POST", SL, NOT_ACCEPTED,
          lambda ctx: P.form({k: str(v) for k, v in SENDERS["mattermost-outgoing"](ctx, "form").items()}),
          headers=FORM_H, auth="slack"))
case("sl5-sender-mattermost-slash", "slack", "semantic",
     "a Mattermost slash command (same field names as Slack's, Mattermost ids, a Mattermost response_url), "
     "signed with the Slack secret by a misconfigured relay: refused, nothing fetched or queued",
     Step("POST", SL, NOT_ACCEPTED, lambda ctx: P.form({
         "channel_id": "8lbu4d7rq7ro5pbxtrw8bzfxne", "channel_name": "incidents", "command": "/vigil",
         "response_url": ctx.canary_url or "https://mattermost.example/hooks/commands/abc",
         "team_domain": "acme", "team_id": "p4cbm8eqi3bdtbf8aaemd3k1yk", "text": f"investigate checkout {ctx.tag}",
         "token": "xr3j5x3p4pfk7kk6ck7b4e6ghh", "trigger_id": "dWQ0Zmg4MXRweWlqN3FmZ3R4",
         "user_id": "rnina9994bde8mua79zqcg5hmo",
         "user_name": "steve"}), headers=FORM_H, auth="slack"))

NATIVE_AUTH: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("teams-outgoing", "teams HMAC", (("Authorization", "HMAC bXktaG1hYy1vZi10aGUtYm9keQ=="),)),
    ("sentry-issue-alert", "Sentry-Hook-Signature", (("Sentry-Hook-Signature", "a" * 64),
                                                    ("Sentry-Hook-Resource", "event_alert"))),
    ("opsgenie", "basic auth of another system", (("Authorization", "Basic b3BzZ2VuaWU6c2VjcmV0"),)),
    ("datadog", "a custom header", (("X-Datadog-Webhook-Token", "dd-secret"),)),
    ("grafana-oncall", "a bearer token of another system", (("Authorization", "Bearer glsa_0123456789abcdef"),)),
)
for sender, what, creds in NATIVE_AUTH:
    for prefix, door, path, _ in DOOR_CREDS[:3]:
        if door != "alertmanager" and sender not in ("teams-outgoing", "sentry-issue-alert"):
            continue
        def native_body(ctx: Ctx, sender: str = sender) -> bytes:
            return P.dumps(SENDERS[sender](ctx, "native"))
        case(f"{prefix}-native-auth-{sender}", door, "auth",
             f"a {sender} webhook with only its own credential ({what}) at {path}: 401, nothing read further",
             Step("POST", path, REFUSAL, native_body, headers=JSON_H + creds))

# ----------------------------------------------------------------------------- Slack interactivity, events, Grid

def interactive(kind: str, extra: Callable[[Ctx], dict[str, Any]]) -> Callable[[Ctx], bytes]:
    def build(ctx: Ctx) -> bytes:
        payload: dict[str, Any] = {"type": kind, "team": {"id": P.TEAM, "domain": "acme"},
                                   "user": {"id": P.USER, "username": "steve", "team_id": P.TEAM},
                                   "api_app_id": P.APP, "token": "9s8d9as89d8as9d8as989",
                                   "trigger_id": "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3"}
        payload.update(extra(ctx))
        return P.form({"payload": json.dumps(payload)})
    return build


INTERACTIVE: dict[str, tuple[str, Callable[[Ctx], dict[str, Any]]]] = {
    "view-submission-state": ("view_submission", lambda ctx: {"view": {
        "id": "VNHU13V36", "type": "modal", "callback_id": "vigil_investigate", "private_metadata": "x" * 3000,
        "state": {"values": {"q": {"question": {"type": "plain_text_input", "value": f"checkout down {ctx.tag}"}}}},
        "hash": "156663117.cd33ad1f"}}),
    "view-closed": ("view_closed", lambda ctx: {"view": {"id": "VNHU13V36", "type": "modal"}, "is_cleared": True}),
    "global-shortcut": ("shortcut", lambda ctx: {"callback_id": "investigate", "action_ts": "1581106241.371594"}),
    "message-action-investigate": ("message_action", lambda ctx: {
        "callback_id": "investigate_message", "action_ts": "1581106241.371594",
        "channel": {"id": P.CHANNEL, "name": "incidents"},
        "message": {"type": "message", "ts": "1548261231.000200", "text": f"checkout is down {ctx.tag}"},
        "response_url": "https://hooks.slack.com/app/T024BE7LD/1/abc"}),
    "block-actions-static-select": ("block_actions", lambda ctx: {
        "container": {"type": "message", "message_ts": "1548261231.000200", "channel_id": P.CHANNEL},
        "actions": [{"type": "static_select", "action_id": "approve", "block_id": "approval",
                     "selected_option": {"text": {"type": "plain_text", "text": "yes"}, "value": "approve"},
                     "action_ts": "1548426417.840180"}]}),
    "block-actions-overflow": ("block_actions", lambda ctx: {
        "container": {"type": "message", "message_ts": "1548261231.000200", "channel_id": P.CHANNEL},
        "actions": [{"type": "overflow", "action_id": "deny", "block_id": "approval",
                     "selected_option": {"value": "apr_" + "0" * 16}, "action_ts": "1548426417.840180"}]}),
    "block-actions-from-app-home": ("block_actions", lambda ctx: {
        "container": {"type": "view", "view_id": "V0PKB1ZFV"}, "view": {"id": "V0PKB1ZFV", "type": "home"},
        "actions": [{"type": "button", "action_id": "approve", "block_id": "approval",
                     "value": "apr_doesnotexist", "action_ts": "1548426417.840180"}]}),
    "block-actions-from-modal": ("block_actions", lambda ctx: {
        "container": {"type": "view", "view_id": "VNHU13V36"}, "view": {"id": "VNHU13V36", "type": "modal"},
        "actions": [{"type": "button", "action_id": "approve", "block_id": "approval",
                     "value": "apr_doesnotexist", "action_ts": "1548426417.840180"}]}),
    "block-actions-datepicker": ("block_actions", lambda ctx: {
        "actions": [{"type": "datepicker", "action_id": "approve", "block_id": "approval",
                     "selected_date": "2024-06-01", "action_ts": "1548426417.840180"}]}),
    "workflow-step-edit": ("workflow_step_edit", lambda ctx: {"callback_id": "investigate",
                                                              "workflow_step": {"workflow_step_edit_id": "1"}}),
    "block-actions-enterprise-unknown-value": ("block_actions", lambda ctx: {
        "enterprise": {"id": "E0KRD7HC3", "name": "Acme Grid"}, "is_enterprise_install": True,
        "team": None, "container": {"type": "message", "message_ts": "1548261231.000200", "channel_id": P.CHANNEL},
        "actions": [{"type": "button", "action_id": "approve", "block_id": "approval",
                     "value": "apr_doesnotexist", "action_ts": "1548426417.840180"}]}),
}
for name, (kind, extra) in INTERACTIVE.items():
    case(f"sl5-ia-{name}", "slack", "semantic",
         f"a signed {kind} interaction Vigil posted nothing for: acknowledged or refused, nothing decided or queued",
         Step("POST", SL, NOT_ACCEPTED, interactive(kind, extra), headers=FORM_H, auth="slack"))

EVENTS: dict[str, Callable[[Ctx], dict[str, Any]]] = {
    "app-home-opened-messages-tab": lambda ctx: {"type": "app_home_opened", "user": P.USER, "channel": "D0LAN2Q65",
                                                 "tab": "messages", "event_ts": f"{int(ctx.now)}.000100"},
    "assistant-thread-started": lambda ctx: {"type": "assistant_thread_started", "assistant_thread": {
        "user_id": P.USER, "context": {"channel_id": P.CHANNEL, "team_id": P.TEAM}, "channel_id": "D0LAN2Q65",
        "thread_ts": "1729999327.187299"}, "event_ts": "1715873754.429808"},
    "member-joined-channel": lambda ctx: {"type": "member_joined_channel", "user": "U0LAN0Z89", "channel": P.CHANNEL,
                                          "channel_type": "C", "team": P.TEAM, "event_ts": f"{int(ctx.now)}.000200"},
    "plain-channel-message": lambda ctx: {"type": "message", "channel": P.CHANNEL, "user": P.USER,
                                          "text": f"checkout is down again {ctx.tag}", "ts": f"{int(ctx.now)}.000300",
                                          "event_ts": f"{int(ctx.now)}.000300", "channel_type": "channel"},
    "message-file-share": lambda ctx: {"type": "message", "subtype": "file_share", "channel": P.CHANNEL,
                                       "user": P.USER, "text": "", "files": [{"id": "F0S43PZDF", "name": "x.png"}],
                                       "ts": f"{int(ctx.now)}.000400", "event_ts": f"{int(ctx.now)}.000400"},
    "team-join": lambda ctx: {"type": "team_join", "user": {"id": "W0NEWUSER", "team_id": P.TEAM},
                              "event_ts": f"{int(ctx.now)}.000500"},
    "emoji-changed": lambda ctx: {"type": "emoji_changed", "subtype": "add", "name": "fire",
                                  "value": "https://emoji.slack-edge.com/x.png", "event_ts": f"{int(ctx.now)}.0006"},
    "workflow-step-execute": lambda ctx: {"type": "workflow_step_execute", "callback_id": "investigate",
                                          "workflow_step": {"workflow_step_execute_id": "1", "inputs": {}},
                                          "event_ts": f"{int(ctx.now)}.000700"},
    "user-huddle-changed": lambda ctx: {"type": "user_huddle_changed", "user": {"id": P.USER},
                                        "event_ts": f"{int(ctx.now)}.000800"},
}
for name, event in EVENTS.items():
    def event_body(ctx: Ctx, event: Callable[[Ctx], dict[str, Any]] = event, name: str = name) -> bytes:
        return P.dumps(P.slack_event(ctx, "h5:ev:" + name, event=event(ctx)))
    case(f"sl5-ev-{name}", "slack", "semantic",
         "a signed event of a type Vigil does not act on: 200 ignored (Slack retries anything else), nothing queued",
         Step("POST", SL, NOT_ACCEPTED, event_body, auth="slack"))


def _grid_org_install(obj: dict[str, Any]) -> None:
    obj["enterprise_id"] = "E0KRD7HC3"
    obj["is_enterprise_install"] = True
    obj["context_team_id"] = P.TEAM
    obj["context_enterprise_id"] = "E0KRD7HC3"
    obj["authorizations"] = [{"enterprise_id": "E0KRD7HC3", "team_id": None, "user_id": "U0LAN0Z89",
                              "is_bot": True, "is_enterprise_install": True}]


def _grid_ext_shared(obj: dict[str, Any]) -> None:
    obj["is_ext_shared_channel"] = True
    obj["event"]["user_team"] = "T0OTHERTEAM"
    obj["event"]["source_team"] = "T0OTHERTEAM"
    obj["event"]["user"] = "W0FOREIGN1"


def _grid_enterprise_user(obj: dict[str, Any]) -> None:
    obj["enterprise_id"] = "E0KRD7HC3"
    obj["event"]["user"] = "W012A3CDE"
    obj["authorizations"][0]["enterprise_id"] = "E0KRD7HC3"


def _grid_team_null(obj: dict[str, Any]) -> None:
    obj["team_id"] = None


def _grid_enterprise_wrong_type(obj: dict[str, Any]) -> None:
    obj["enterprise_id"] = {"id": "E0KRD7HC3"}


def _grid_authorizations_empty(obj: dict[str, Any]) -> None:
    obj["authorizations"] = []


GRID: tuple[tuple[str, Callable[[dict[str, Any]], None], frozenset[str], str], ...] = (
    ("org-wide-install", _grid_org_install, ACC_OR_IGN,
     "an org-wide install's event names the enterprise, not the team (context_team_id carries it): it may be "
     "acted on or ignored, never a 5xx, and at most one job"),
    ("ext-shared-foreign-user", _grid_ext_shared, NOT_ACCEPTED | ACC,
     "a mention in a Slack Connect channel by a user of another organisation: no 5xx, at most one job"),
    ("enterprise-w-user", _grid_enterprise_user, ACC_OR_IGN,
     "Grid user ids start with W: a mention by one is well-formed"),
    ("team-id-null", _grid_team_null, NOT_ACCEPTED | ACC, "team_id null (JSON null, not absent): no 5xx"),
    ("enterprise-id-object", _grid_enterprise_wrong_type, NOT_ACCEPTED | ACC,
     "enterprise_id of the wrong JSON type: refused or ignored, never a 5xx"),
    ("authorizations-empty", _grid_authorizations_empty, NOT_ACCEPTED | ACC,
     "an empty authorizations list: nothing says who the event is for"),
)
for name, grid_edit, expect, why in GRID:
    case(f"sl5-grid-{name}", "slack", "semantic", why,
         Step("POST", SL, expect, mention_json("sl5-grid-" + name, grid_edit), auth="slack"))

case("sl5-grid-slash-enterprise-install", "slack", "semantic",
     "a slash command from an org-wide install carries enterprise_id, enterprise_name and is_enterprise_install",
     Step("POST", SL, ACC_OR_REF, lambda ctx: P.form({
         **P.slash_form(ctx, "h5:grid-slash", text=f"investigate checkout down ({ctx.tag} grid)"),
         "enterprise_id": "E0KRD7HC3", "enterprise_name": "Acme Grid", "is_enterprise_install": "true"}),
         headers=FORM_H, auth="slack"))

# ----------------------------------------------------------------------------- URL, method and Host variants

PATH_VARIANTS: tuple[tuple[str, Callable[[str], str], str], ...] = (
    ("trailing-slash", lambda p: p + "/", ""),
    ("double-leading-slash", lambda p: "/" + p, ""),
    ("inner-double-slash", lambda p: p.replace("/", "//", 2).replace("//", "/", 1), ""),
    ("dot-segment", lambda p: p.rsplit("/", 1)[0] + "/./" + p.rsplit("/", 1)[1], ""),
    ("dotdot-segment", lambda p: p.rsplit("/", 1)[0] + "/x/../" + p.rsplit("/", 1)[1], ""),
    ("percent-encoded-letter", lambda p: p[:-1] + "%" + format(ord(p[-1]), "02X"), ""),
    ("upper-case", lambda p: p.upper(), ""),
    ("query-string", lambda p: p, "?source=grafana&retry=1"),
    ("query-repeated-token", lambda p: p, "?token=a&token=b"),
    ("semicolon-param", lambda p: p + ";jsessionid=1", ""),
)

SIGNED_DOORS: tuple[tuple[str, str, str, Callable[[str], Body], str, Headers], ...] = (
    ("pd5", "pagerduty", PD, lambda n: pd_json(n), "pd", JSON_H),
    ("sl5", "slack", SL, lambda n: mention_json(n), "slack", JSON_H),
    ("am5", "alertmanager", AM, lambda n: am_json(n), "am", JSON_H),
)
for prefix, door, path, body_for, auth, headers in SIGNED_DOORS:
    for variant, bend, query in PATH_VARIANTS:
        if door == "alertmanager" and variant in ("trailing-slash", "query-string", "double-leading-slash",
                                                 "dot-segment", "upper-case", "percent-encoded-letter"):
            continue  # rounds 1-3 sent these to Alertmanager already
        name = f"{prefix}-url-{variant}"
        case(name, door, "protocol",
             f"a valid, correctly credentialed request to {bend(path)}{query}: served as the door (once), "
             "redirected, or refused; never a 5xx and never queued twice",
             Step("POST", bend(path), PATHY, body_for(name), headers=headers, auth=auth, query=query))

for path_door, path, auth in (("mcp", MCP, "mcp_session"), ("approvals", APPROVALS, "api")):
    prefix = "mcp5" if path_door == "mcp" else "ap5"
    for variant, bend, query in PATH_VARIANTS:
        if (path_door == "mcp" and variant == "trailing-slash") or variant == "inner-double-slash":
            continue  # round 4 sent the first; a one-segment path has no inner slash
        if path_door == "mcp":
            step = mcp_step(rpc_body("tools/list", id_=5100), PATHY, path=bend(path), query=query)
        else:
            step = Step("GET", bend(path), NOT_ACC_PATHY, headers=(), auth=auth, query=query)
        case(f"{prefix}-url-{variant}", path_door, "protocol",
             f"{path} spelled {bend(path)}{query}: served, redirected or refused; never a 5xx",
             step, outside=MCP_OUT if path_door == "mcp" else "")

METHODS = ("HEAD", "OPTIONS", "PUT", "PATCH", "DELETE")
for prefix, door, path, body_for, auth, headers in SIGNED_DOORS[:2]:
    for method in METHODS:
        name = f"{prefix}-method-{method.lower()}"
        case(name, door, "protocol",
             f"{method} {path} with a valid signed body: the door takes POST only (405, or an OPTIONS 2xx "
             "that queues nothing)",
             Step(method, path, NOT_ACCEPTED, body_for(name), headers=headers, auth=auth))
def decide(role: str, verb: str, approver: str, method: str = "POST") -> Callable[[Ctx, str], bytes]:
    """A decision on the seeded request of `role` (its id is only known at run time)."""
    def build(ctx: Ctx, host: str) -> bytes:
        ident = ctx.approvals.get(role, "none")
        return encode(Step(method, f"{APPROVALS}/{ident}/{verb}", ANY_SAFE, P.dumps({"approver": approver}),
                           auth="api"), ctx, host)
    return build


APPROVE_METHODS = (("HEAD", "deny_then_approve"), ("OPTIONS", "slack_then_http"), ("PUT", "self_high"),
                   ("PATCH", "withdraw"))
for method, role in APPROVE_METHODS:
    case(f"ap5-method-{method.lower()}-approve", "approvals", "protocol",
         f"{method} on the approve route of a pending request: 405 (or an OPTIONS 2xx) and nothing decided, "
         "which a valid deny then proves (200, not 409)",
         Step(method, f"{APPROVALS}/ID/approve", NOT_ACCEPTED, raw=decide(role, "approve", "alice", method)),
         Step("POST", f"{APPROVALS}/ID/deny", IGN, raw=decide(role, "deny", "bob"), status=st(200)))


def absolute_form(step: Step, scheme: str = "http", host_override: str | None = None) -> Callable[[Ctx, str], bytes]:
    def build(ctx: Ctx, host: str) -> bytes:
        target = f"{scheme}://{host_override or host}{step.path}"
        return encode(dataclasses.replace(step, path=target), ctx, host)
    return build


def with_host(step: Step, value: str | None) -> Callable[[Ctx, str], bytes]:
    """The step's request with its Host field replaced (or, with None, removed)."""
    def build(ctx: Ctx, host: str) -> bytes:
        data = encode(step, ctx, host)
        port = host.rpartition(":")[2]
        new = b"" if value is None else f"Host: {value.replace('{port}', port)}\r\n".encode()
        return data.replace(f"Host: {host}\r\n".encode(), new, 1)
    return build


HOSTS: tuple[tuple[str, str | None, frozenset[str]], ...] = (
    ("upper-case-name", "LOCALHOST:{port}", PATHY),
    ("trailing-dot", "localhost.:{port}", PATHY),
    ("ipv6-literal", "[::1]:{port}", PATHY),
    ("other-port", "127.0.0.1:1", PATHY),
    ("no-port", "vigil.example.com", PATHY),
    ("empty", "", PATHY),
    ("userinfo", "user@vigil.example.com", frozenset({REFUSED}) | ACC),
    ("port-not-number", "vigil.example.com:http", frozenset({REFUSED}) | ACC),
)
for prefix, door, path, body_for, auth, headers in SIGNED_DOORS:
    for variant, value, expect in HOSTS:
        if door == "alertmanager" and variant not in ("trailing-dot", "ipv6-literal", "empty"):
            continue  # round 2 sent Alertmanager its missing, doubled and malformed Hosts
        name = f"{prefix}-host-{variant}"
        base = Step("POST", path, expect, body_for(name), headers=headers, auth=auth)
        case(name, door, "protocol",
             f"Host {value!r}: a reverse proxy's rewrite or a client's typo; served or refused, never a 5xx",
             dataclasses.replace(base, raw=with_host(base, value)))
    name = f"{prefix}-absolute-form"
    base = Step("POST", path, PATHY, body_for(name), headers=headers, auth=auth)
    case(name, door, "protocol", "absolute-form target naming this server (RFC 9112 3.2.2: a server MUST accept it)",
         dataclasses.replace(base, raw=absolute_form(base)))
    name = f"{prefix}-absolute-form-https-other-host"
    base = Step("POST", path, PATHY, body_for(name), headers=headers, auth=auth)
    case(name, door, "protocol",
         "absolute-form https://other.example/...: the target's authority overrides Host; nothing proxied",
         dataclasses.replace(base, raw=absolute_form(base, "https", "other.example")))

mcp_list = mcp_step(rpc_body("tools/list", id_=5200), PATHY)
case("mcp5-absolute-form", "mcp", "protocol", "absolute-form target on the MCP door",
     dataclasses.replace(mcp_list, raw=absolute_form(mcp_list)), outside=MCP_OUT)
for variant, value, _host_expect in HOSTS[:6]:
    case(f"mcp5-host-{variant}", "mcp", "protocol",
         f"Host {value!r} on the MCP door (DNS-rebinding protection may refuse it): never a 5xx",
         dataclasses.replace(mcp_list, raw=with_host(mcp_list, value)), outside=MCP_OUT)

# ----------------------------------------------------------------------------- concurrency and slow clients

def am_fixed(ctx: Ctx, name: str, names: int = 1) -> bytes:
    """One fixed body (timestamps frozen), so every replica's copy is byte-identical, as in AM HA."""
    if names == 1:
        return P.dumps(am_obj(ctx, name))
    alerts = [P.am_alert(alertname(ctx, f"{name}-{i}")) for i in range(names)]
    return P.dumps(P.am_payload(alertname(ctx, name), alerts=alerts))


def am_ha(name: str, replicas: int, names: int = 1) -> Callable[[Ctx, str], bytes]:
    def build(ctx: Ctx, host: str) -> bytes:
        data = encode(Step("POST", AM, ACC, am_fixed(ctx, name, names), auth="am"), ctx, host)
        before = jobs(host)
        replies = burst(host, [data] * replicas)
        added = jobs(host) - before
        if not all(ok(r) for r in replies) or added != names:
            return failed(host, f"ha-{replicas}-answers-{statuses(replies)}-jobs-{added}-want-{names}")
        return data
    return build


for replicas in (2, 3, 10):
    name = f"am5-ha-{replicas}-replicas-parallel"
    case(name, "alertmanager", "semantic",
         f"{replicas} Alertmanager HA replicas deliver the same notification at the same moment: each gets a 2xx "
         "and one job exists; one more copy joins it",
         Step("POST", AM, IGN, raw=am_ha(name, replicas)))
case("am5-ha-3-replicas-two-names", "alertmanager", "semantic",
     "3 replicas in parallel, a group of two alert names: two jobs (one per alert name), not six",
     Step("POST", AM, IGN, raw=am_ha("am5-ha-3-replicas-two-names", 3, 2)))


def am_ha_staggered(name: str) -> Callable[[Ctx, str], bytes]:
    """HA replicas do not send byte-identical bodies: each renders its own timestamps and order."""
    def build(ctx: Ctx, host: str) -> bytes:
        copies = []
        for i in range(4):
            obj = am_obj(ctx, name)
            obj["alerts"][0]["startsAt"] = P.rfc3339(-300 - i, ctx.now)
            obj["receiver"] = "vigil"
            copies.append(encode(Step("POST", AM, ACC, P.dumps(obj), auth="am"), ctx, host))
        before = jobs(host)
        replies = burst(host, copies)
        added = jobs(host) - before
        if not all(ok(r) for r in replies) or added != 1:
            return failed(host, f"ha-staggered-{statuses(replies)}-jobs-{added}")
        return copies[0]
    return build


case("am5-ha-4-replicas-startsat-jitter", "alertmanager", "semantic",
     "4 replicas race with startsAt a second apart (each replica's own view): one incident, one job",
     Step("POST", AM, IGN, raw=am_ha_staggered("am5-ha-4-replicas-startsat-jitter")))


def pd_race(name: str, copies: int) -> Callable[[Ctx, str], bytes]:
    def build(ctx: Ctx, host: str) -> bytes:
        data = encode(Step("POST", PD, ACC, P.dumps(P.pd_event(ctx, "h5:" + name)), auth="pd"), ctx, host)
        before = jobs(host)
        replies = burst(host, [data] * copies)
        added = jobs(host) - before
        if any(r.status is None or r.status >= 500 for r in replies) or added != 1 or not any(ok(r) for r in replies):
            return failed(host, f"pd-race-{statuses(replies)}-jobs-{added}")
        return data
    return build


case("pd5-race-same-event-6", "pagerduty", "semantic",
     "the same signed event 6 times at once (a retrying sender behind a load balancer): one accepted, the "
     "rest replays (409) or joins, one job; one more copy is a replay",
     Step("POST", PD, REFUSAL, raw=pd_race("pd5-race-same-event-6", 6), status=st(409)))


def pd_race_incident(name: str, copies: int) -> Callable[[Ctx, str], bytes]:
    def build(ctx: Ctx, host: str) -> bytes:
        incident = "P" + P.uid(ctx, "incident:h5:" + name, 6)
        datas = [encode(Step("POST", PD, ACC, P.dumps(P.pd_event(ctx, f"h5:{name}:{i}", incident=incident)),
                             auth="pd"), ctx, host) for i in range(copies + 1)]
        before = jobs(host)
        replies = burst(host, datas[:copies])
        added = jobs(host) - before
        if not all(ok(r) for r in replies) or added != 1:
            return failed(host, f"pd-incident-race-{statuses(replies)}-jobs-{added}")
        return datas[-1]
    return build


case("pd5-race-same-incident-5-events", "pagerduty", "semantic",
     "five different events for one incident at once: five 2xx, one job; a sixth joins it",
     Step("POST", PD, IGN, raw=pd_race_incident("pd5-race-same-incident-5-events", 5)))


def slack_retry_race(name: str) -> Callable[[Ctx, str], bytes]:
    def build(ctx: Ctx, host: str) -> bytes:
        original = encode(Step("POST", SL, ACC, P.dumps(mention(ctx, name)), auth="slack"), ctx, host)
        head, sep, body = original.partition(b"\r\n\r\n")
        copies = [original] + [head + f"\r\nX-Slack-Retry-Num: {n}\r\nX-Slack-Retry-Reason: http_timeout".encode()
                               + sep + body for n in (1, 2, 3)]
        before = jobs(host)
        replies = burst(host, copies)
        added = jobs(host) - before
        if any(r.status is None or r.status >= 500 for r in replies) or added != 1:
            return failed(host, f"slack-retry-race-{statuses(replies)}-jobs-{added}")
        return copies[2]
    return build


case("sl5-race-original-and-retries", "slack", "semantic",
     "an event and its retries 1-3 (same signature) arrive together, as when the first answer was slow: one "
     "job; one more numbered copy is acknowledged and acts on nothing",
     Step("POST", SL, NOT_ACCEPTED, raw=slack_retry_race("sl5-race-original-and-retries")))


def approve_race(role: str, verbs: tuple[str, ...], then: str) -> Callable[[Ctx, str], bytes]:
    def build(ctx: Ctx, host: str) -> bytes:
        ident = ctx.approvals.get(role, "none")
        people = ("alice", "bob", "carol")
        copies = [encode(Step("POST", f"{APPROVALS}/{ident}/{verb}", ACC,
                              P.dumps({"approver": people[i % 3], "note": f"race {i}"}), auth="api"), ctx, host)
                  for i, verb in enumerate(verbs)]
        before = jobs(host)
        replies = burst(host, copies)
        added = jobs(host) - before
        wins = sum(1 for r in replies if ok(r))
        bad = [r for r in replies if r.status is None or r.status >= 500 or (not ok(r) and r.status != 409)]
        if wins != 1 or bad or added > 1:
            return failed(host, f"approve-race-{role}-{statuses(replies)}-jobs-{added}")
        return encode(Step("POST", f"{APPROVALS}/{ident}/{then}", REFUSAL,
                           P.dumps({"approver": "bob"}), auth="api"), ctx, host)
    return build


case("ap5-race-approve-6", "approvals", "semantic",
     "six approvals of one pending request at once (a double-clicking portal behind a retrying proxy): exactly "
     "one 200, the rest 409, at most one job; a later approve is 409",
     Step("POST", "/approvals/ID/approve", REFUSAL, raw=approve_race("twice", ("approve",) * 6, "approve"),
          status=st(409)))
case("ap5-race-approve-and-deny", "approvals", "semantic",
     "approve and deny racing on one request: exactly one decision wins, the other is 409; a later deny is 409",
     Step("POST", "/approvals/ID/deny", REFUSAL,
          raw=approve_race("approve_then_deny", ("approve", "deny", "approve", "deny"), "deny"), status=st(409)))


def approve_race_expired(ctx: Ctx, host: str) -> bytes:
    ident = ctx.approvals.get("expired", "none")
    data = encode(Step("POST", f"{APPROVALS}/{ident}/approve", REFUSAL, P.dumps({"approver": "alice"}), auth="api"),
                  ctx, host)
    before = jobs(host)
    replies = burst(host, [data] * 4)
    if any(r.status != 409 for r in replies) or jobs(host) != before:
        return failed(host, f"expired-race-{statuses(replies)}")
    return data


case("ap5-race-expired-approve-4", "approvals", "semantic",
     "four approvals of an expired request at once: every one 409, nothing queued",
     Step("POST", "/approvals/ID/approve", REFUSAL, raw=approve_race_expired, status=st(409)))


def slow(name: str, door: str, pieces: int, pause_s: float, head_too: bool = False) -> Callable[[Ctx, str], bytes]:
    """A slow client, then the same bytes again: the second copy's class proves the slow one was accepted."""
    def build(ctx: Ctx, host: str) -> bytes:
        if door == "alertmanager":
            step = Step("POST", AM, ACC, P.dumps(am_obj(ctx, name)), auth="am")
        elif door == "pagerduty":
            step = Step("POST", PD, ACC, P.dumps(P.pd_event(ctx, "h5:" + name)), auth="pd")
        else:
            step = Step("POST", SL, ACC, P.dumps(mention(ctx, name)), auth="slack")
        data = encode(step, ctx, host)
        before = jobs(host)
        reply = trickle(host, data, pieces, pause_s, head_too)
        added = jobs(host) - before
        if not ok(reply) or added != 1:
            return failed(host, f"slow-{reply.status}-jobs-{added}")
        return data
    return build


SLOW: tuple[tuple[str, str, int, float, bool, frozenset[str], frozenset[int] | None], ...] = (
    ("am5-slow-body-10-pieces", "alertmanager", 10, 0.2, False, IGN, None),
    ("am5-slow-head-and-body", "alertmanager", 25, 0.08, True, IGN, None),
    ("am5-slow-body-byte-at-a-time-start", "alertmanager", 40, 0.03, False, IGN, None),
    ("pd5-slow-body-10-pieces", "pagerduty", 10, 0.2, False, REFUSAL, st(409)),
    ("sl5-slow-body-10-pieces", "slack", 10, 0.2, False, REFUSAL, st(409)),
)
for name, door, pieces, pause, head_too, expect, codes in SLOW:
    path = {"alertmanager": AM, "pagerduty": PD, "slack": SL}[door]
    case(name, door, "protocol",
         f"a slow client sends its request in {pieces} writes {pause}s apart: accepted once; the same bytes "
         "again join the job (Alertmanager) or are a replay (409)",
         Step("POST", path, expect, raw=slow(name, door, pieces, pause, head_too), status=codes))


def disconnect(name: str, door: str, fraction: float, rst: bool = False) -> Callable[[Ctx, str], bytes]:
    """A client that goes away mid-body, then the full request: the torn one must have left nothing."""
    def build(ctx: Ctx, host: str) -> bytes:
        if door == "alertmanager":
            step = Step("POST", AM, ACC, P.dumps(am_obj(ctx, name)), auth="am")
        elif door == "pagerduty":
            step = Step("POST", PD, ACC, P.dumps(P.pd_event(ctx, "h5:" + name)), auth="pd")
        else:
            step = Step("POST", SL, ACC, P.dumps(mention(ctx, name)), auth="slack")
        data = encode(step, ctx, host)
        head_len = data.index(b"\r\n\r\n") + 4
        before = jobs(host)
        abort_after(host, data, head_len + int((len(data) - head_len) * fraction), rst)
        if jobs(host) != before:
            return failed(host, "torn-request-queued")
        return data
    return build


TORN: tuple[tuple[str, str, float, bool], ...] = (
    ("am5-disconnect-half-body", "alertmanager", 0.5, False),
    ("am5-disconnect-after-head", "alertmanager", 0.0, False),
    ("am5-disconnect-one-byte-short-rst", "alertmanager", 0.999, True),
    ("pd5-disconnect-half-body", "pagerduty", 0.5, False),
    ("pd5-disconnect-one-byte-short", "pagerduty", 0.999, False),
    ("sl5-disconnect-half-body", "slack", 0.5, False),
    ("sl5-disconnect-one-byte-short-rst", "slack", 0.999, True),
)
for name, door, fraction, rst in TORN:
    path = {"alertmanager": AM, "pagerduty": PD, "slack": SL}[door]
    case(name, door, "protocol",
         "a client disconnects before its body is complete: nothing queued, its signature or event id not "
         "burned; the full request then is accepted once",
         Step("POST", path, ACC, raw=disconnect(name, door, fraction, rst)))


def gone_after_body(name: str) -> Callable[[Ctx, str], bytes]:
    """The body arrived whole, then the client left before the answer: accepted at most once overall."""
    def build(ctx: Ctx, host: str) -> bytes:
        data = encode(Step("POST", AM, ACC, P.dumps(am_obj(ctx, name)), auth="am"), ctx, host)
        before = jobs(host)
        abort_after(host, data, len(data), rst=True)
        again = send(host, data)
        added = jobs(host) - before
        if not ok(again) or added != 1:
            return failed(host, f"gone-after-body-{again.status}-jobs-{added}")
        return data
    return build


case("am5-disconnect-after-full-body", "alertmanager", "protocol",
     "the whole body sent, then a reset before the answer (the sender's timeout): the sender retries; "
     "between both, one job",
     Step("POST", AM, IGN, raw=gone_after_body("am5-disconnect-after-full-body")))


def pipeline(parts: Callable[[Ctx, str], list[bytes]]) -> Callable[[Ctx, str], bytes]:
    def build(ctx: Ctx, host: str) -> bytes:
        datas = parts(ctx, host)
        return b"".join(keepalive(d) for d in datas[:-1]) + datas[-1]
    return build


def am_req(ctx: Ctx, host: str, name: str, auth: str = "am", body: bytes | None = None) -> bytes:
    return encode(Step("POST", AM, ACC, body if body is not None else P.dumps(am_obj(ctx, name)), auth=auth),
                  ctx, host)


PIPES: tuple[tuple[str, Callable[[Ctx, str], list[bytes]], frozenset[int], str], ...] = (
    ("three-valid", lambda ctx, h: [am_req(ctx, h, "p5-a"), am_req(ctx, h, "p5-b"), am_req(ctx, h, "p5-c")],
     frozenset({1, 2, 3}), "three notifications pipelined on one keep-alive connection"),
    ("valid-badjson-valid", lambda ctx, h: [am_req(ctx, h, "p5-d"), am_req(ctx, h, "x", body=b'{"alerts": ['),
                                           am_req(ctx, h, "p5-e")],
     frozenset({1, 2}), "a refusal between two notifications must not swallow the next one or queue itself"),
    ("valid-badtoken-valid", lambda ctx, h: [am_req(ctx, h, "p5-f"), am_req(ctx, h, "p5-g", auth="api"),
                                            am_req(ctx, h, "p5-h")],
     frozenset({1, 2}), "a 401 between two notifications: the middle one never queued"),
    ("valid-then-pd-then-slack", lambda ctx, h: [
        am_req(ctx, h, "p5-i"), encode(Step("POST", PD, ACC, P.dumps(P.pd_event(ctx, "h5:p5-j")), auth="pd"), ctx, h),
        encode(Step("POST", SL, ACC, P.dumps(mention(ctx, "p5-k")), auth="slack"), ctx, h)],
     frozenset({1, 2, 3}), "three doors pipelined on one connection (a shared ingress keeps connections open)"),
)
PIPE_FOLLOW_UPS: dict[str, tuple[int, ...]] = {"three-valid": (1, 2), "valid-badjson-valid": (2,),
                                               "valid-badtoken-valid": (2,), "valid-then-pd-then-slack": ()}


def pipe_part(parts: Callable[[Ctx, str], list[bytes]], index: int) -> Callable[[Ctx, str], bytes]:
    return lambda ctx, host: parts(ctx, host)[index]


for name, parts, counts, why in PIPES:
    follow = [Step("POST", AM, ACC_OR_IGN, raw=pipe_part(parts, i)) for i in PIPE_FOLLOW_UPS[name]]
    if name == "valid-badtoken-valid":
        follow.append(am_step("p5-g", ACC))  # the 401'd one, now with the right token: new, so never queued
    case(f"am5-pipeline-{name}", "alertmanager", "protocol",
         why + ": the first answered as accepted, the rest served in order or the connection closed; each later "
         "valid one redelivered alone is found queued once (joins) or queued now, never twice",
         Step("POST", AM, ACC, raw=pipeline(parts), enqueue_any=counts), *follow)


# ----------------------------------------------------------------------------- interleaved sequences

case("mix5-senders-between-valid", "alertmanager", "semantic",
     "valid Alertmanager, PagerDuty and Slack deliveries interleaved with other tools' webhooks at each door; "
     "then every valid one redelivered: joined or a replay, so none was lost and none doubled",
     am_step("mix5-a", ACC),
     Step("POST", AM, NOT_ACCEPTED, lambda ctx: P.dumps(SENDERS["opsgenie"](ctx, "mix")), auth="am"),
     Step("POST", PD, ACC, pd_json("mix5-b"), auth="pd"),
     Step("POST", PD, NOT_ACCEPTED, lambda ctx: P.dumps(SENDERS["grafana-oncall"](ctx, "mix")), auth="pd"),
     Step("POST", SL, ACC, mention_json("mix5-c"), auth="slack"),
     Step("POST", SL, NOT_ACCEPTED, lambda ctx: P.dumps(SENDERS["teams-outgoing"](ctx, "mix")), auth="slack"),
     am_step("mix5-a", IGN),
     Step("POST", PD, IGN, pd_json("mix5-b-ack", "incident.acknowledged", incident_of="mix5-b"), auth="pd"),
     Step("POST", SL, NOT_ACCEPTED, mention_json("mix5-c"), auth="slack",
          headers=(*JSON_H, ("X-Slack-Retry-Num", "1"), ("X-Slack-Retry-Reason", "http_timeout"))))


def _resolved(obj: dict[str, Any]) -> None:
    obj["status"] = "resolved"
    obj["alerts"][0]["status"] = "resolved"
    obj["alerts"][0]["endsAt"] = P.rfc3339(0)


case("mix5-ha-storm-resolve-refire", "alertmanager", "semantic",
     "HA replicas: fire x3 in parallel, resolve, a stale firing copy from a slow replica: one job, no 5xx",
     Step("POST", AM, IGN, raw=am_ha("mix5-ha-storm", 3)),
     am_step("mix5-ha-storm", frozenset({IGNORED, ACCEPTED}), _resolved),
     am_step("mix5-ha-storm", ACC_OR_IGN))

# ----------------------------------------------------------------------------- MCP lifecycle

def fresh_session(ctx: Ctx, host: str, initialized: bool) -> str:
    init = Step("POST", MCP, ACC, P.dumps(P.initialize()), headers=MCP_H, auth="mcp")
    reply = send(host, encode(init, ctx, host))
    session = reply.header("mcp-session-id") or "none"
    if initialized:
        note = Step("POST", MCP, IGN, rpc_body("notifications/initialized", id_=None), headers=MCP_H, auth="mcp")
        send(host, encode(note, ctx, host).replace(b"\r\n\r\n", f"\r\nMcp-Session-Id: {session}".encode()
                                                   + b"\r\n\r\n", 1))
    return session


def on_fresh(body: bytes, initialized: bool, method: str = "POST", extra: Headers = ()) -> Callable[[Ctx, str], bytes]:
    def build(ctx: Ctx, host: str) -> bytes:
        session = fresh_session(ctx, host, initialized)
        headers = (*MCP_H, ("Mcp-Session-Id", session), ("MCP-Protocol-Version", ctx.mcp_protocol), *extra)
        return encode(Step(method, MCP, ANY_SAFE, body, headers=headers, auth="mcp"), ctx, host)
    return build


FRESH: tuple[tuple[str, bytes, bool, frozenset[str], str], ...] = (
    ("tools-list-before-initialized", rpc_body("tools/list", id_=7), False, ACC_OR_REF,
     "tools/list on a session whose client never sent notifications/initialized"),
    ("ping-before-initialized", rpc_body("ping", id_=8), False, ACC_OR_REF,
     "ping is allowed before initialized (the lifecycle spec's one exception)"),
    ("call-before-initialized", rpc_body("tools/call", {"name": "investigate", "arguments": {"question": 7}}, 9),
     False, REFUSAL, "a tools/call with a bad argument before initialized: refused either way"),
    ("initialized-twice", rpc_body("notifications/initialized", id_=None), True, NOT_ACCEPTED,
     "notifications/initialized a second time"),
    ("initialize-again-on-session", P.dumps(P.initialize()), True, ACC_OR_REF,
     "initialize sent again on an initialized session"),
    ("initialized-as-request", rpc_body("notifications/initialized", id_=10), False, NOT_ACCEPTED | ACC,
     "notifications/initialized with an id (a request, not a notification)"),
)
for name, body, initialized, expect, why in FRESH:
    case(f"mcp5-life-{name}", "mcp", "protocol", why + ": never a 5xx, the server keeps serving",
         mcp_step(body, expect, raw=on_fresh(body, initialized)), outside=MCP_OUT)


def delete_then(body: bytes) -> Callable[[Ctx, str], bytes]:
    def build(ctx: Ctx, host: str) -> bytes:
        session = fresh_session(ctx, host, True)
        headers = (("Mcp-Session-Id", session), ("MCP-Protocol-Version", ctx.mcp_protocol))
        send(host, encode(Step("DELETE", MCP, ANY_SAFE, b"", headers=headers, auth="mcp"), ctx, host))
        return encode(Step("POST", MCP, ANY_SAFE, body, headers=MCP_H + headers, auth="mcp"), ctx, host)
    return build


case("mcp5-life-notification-after-delete", "mcp", "protocol",
     "a notification on a session the client already deleted: 404 (the spec's answer for a gone session)",
     mcp_step(b"", REFUSAL, raw=delete_then(rpc_body("notifications/cancelled", {"requestId": 1}, None))),
     outside=MCP_OUT)
case("mcp5-life-ping-after-delete", "mcp", "protocol", "a ping on a deleted session: 404",
     mcp_step(b"", REFUSAL, raw=delete_then(rpc_body("ping", id_=11))), outside=MCP_OUT)

CLIENT = {"name": "x", "version": "1"}
INITS: tuple[tuple[str, Any, frozenset[str]], ...] = (
    ("protocol-future", {"protocolVersion": "2099-12-31", "capabilities": {}, "clientInfo": CLIENT},
     ACC_OR_REF),
    ("protocol-empty", {"protocolVersion": "", "capabilities": {}, "clientInfo": CLIENT},
     ACC_OR_REF),
    ("protocol-int", {"protocolVersion": 20250618, "capabilities": {}, "clientInfo": CLIENT},
     ACC_OR_REF),
    ("protocol-list", {"protocolVersion": ["2025-06-18"], "capabilities": {}, "clientInfo": CLIENT},
     REFUSAL),
    ("protocol-missing", {"capabilities": {}, "clientInfo": CLIENT}, ACC_OR_REF),
    ("capabilities-list", {"protocolVersion": "2025-06-18", "capabilities": [], "clientInfo": CLIENT},
     ACC_OR_REF),
    ("capabilities-rich", {"protocolVersion": "2025-06-18", "capabilities": {
        "roots": {"listChanged": True}, "sampling": {}, "elicitation": {}, "experimental": {"x": {"y": [1, 2]}}},
        "clientInfo": CLIENT}, ACC),
    ("clientinfo-missing", {"protocolVersion": "2025-06-18", "capabilities": {}}, ACC_OR_REF),
    ("clientinfo-huge-name", {"protocolVersion": "2025-06-18", "capabilities": {},
                              "clientInfo": {"name": "n" * 200_000, "version": "1"}}, ACC_OR_REF),
    ("params-missing", None, REFUSAL),
)
for name, params, expect in INITS:
    case(f"mcp5-init-{name}", "mcp", "protocol",
         "initialize with an odd protocolVersion / capabilities / clientInfo: the server answers its own version "
         "or refuses; never a 5xx",
         mcp_step(rpc_body("initialize", params, 1), expect, auth="mcp"), outside=MCP_OUT)

METHODS_MCP: tuple[tuple[str, str, Any, Any, frozenset[str]], ...] = (
    ("resources-list", "resources/list", None, 21, ACC_OR_REF),
    ("resources-read", "resources/read", {"uri": "file:///etc/passwd"}, 22, REFUSAL),
    ("resources-templates-list", "resources/templates/list", {}, 23, ACC_OR_REF),
    ("resources-subscribe", "resources/subscribe", {"uri": "file:///etc/shadow"}, 24, ACC_OR_REF),
    ("prompts-list", "prompts/list", {}, 25, ACC_OR_REF),
    ("prompts-get", "prompts/get", {"name": "investigate", "arguments": {"q": "x"}}, 26, ACC_OR_REF),
    ("completion-complete", "completion/complete", {"ref": {"type": "ref/prompt", "name": "x"},
                                                     "argument": {"name": "q", "value": "ch"}}, 27, ACC_OR_REF),
    ("sampling-wrong-direction", "sampling/createMessage", {"messages": [], "maxTokens": 10}, 28, ACC_OR_REF),
    ("roots-list-wrong-direction", "roots/list", {}, 29, ACC_OR_REF),
    ("elicitation-wrong-direction", "elicitation/create", {"message": "x", "requestedSchema": {}}, 30, ACC_OR_REF),
    ("ping-with-meta", "ping", {"_meta": {"progressToken": "t1"}}, 31, ACC_OR_REF),
    ("ping-params-list", "ping", [], 32, ACC_OR_REF),
    ("tools-list-cursor-int", "tools/list", {"cursor": 5}, 33, ACC_OR_REF),
    ("tools-call-meta-progress", "tools/call", {"name": "investigate", "arguments": {"question": ["x"]},
                                                 "_meta": {"progressToken": 99}}, 34, REFUSAL),
    ("tools-call-name-capitalised", "tools/call", {"name": "Investigate", "arguments": {"question": 1}}, 35, REFUSAL),
    ("tools-call-labels-value-object", "tools/call", {"name": "investigate",
                                                       "arguments": {"question": "x", "labels": {"a": {"b": 1}}}},
     36, REFUSAL),
    ("tools-call-output-int", "tools/call", {"name": "investigate", "arguments": {"question": "x", "output": 3}},
     37, REFUSAL),
)
for name, method, params, id_, expect in METHODS_MCP:
    case(f"mcp5-method-{name}", "mcp", "semantic",
         f"{method} on an initialized session: a result, or a JSON-RPC error (method not found / invalid "
         "params); never a 5xx, nothing investigated",
         mcp_step(rpc_body(method, params, id_), expect), outside=MCP_OUT)

NOTES: tuple[tuple[str, str, Any, Any, frozenset[str]], ...] = (
    ("cancelled-unknown-request", "notifications/cancelled", {"requestId": 987654, "reason": "user abort"}, None,
     NOT_ACCEPTED),
    ("cancelled-string-request-id", "notifications/cancelled", {"requestId": "abc"}, None, NOT_ACCEPTED),
    ("cancelled-huge-reason", "notifications/cancelled", {"requestId": 1, "reason": "r" * 300_000}, None, NOT_ACCEPTED),
    ("cancelled-initialize", "notifications/cancelled", {"requestId": 1, "reason": "cancel initialize"}, None,
     NOT_ACCEPTED),
    ("cancelled-with-id", "notifications/cancelled", {"requestId": 1}, 40, ANY_SAFE),
    ("progress-from-client", "notifications/progress", {"progressToken": "t", "progress": 50, "total": 100}, None,
     NOT_ACCEPTED),
    ("progress-nan-like", "notifications/progress", {"progressToken": {"x": 1}, "progress": -1}, None, NOT_ACCEPTED),
    ("roots-list-changed", "notifications/roots/list_changed", {}, None, NOT_ACCEPTED),
    ("message-from-client", "notifications/message", {"level": "emergency", "data": "x"}, None, NOT_ACCEPTED),
)
for name, method, params, id_, expect in NOTES:
    case(f"mcp5-note-{name}", "mcp", "semantic",
         f"{method} from the client: a notification gets 202 and no answer; never a 5xx",
         mcp_step(rpc_body(method, params, id_), expect), outside=MCP_OUT)

BATCHES: tuple[tuple[str, Callable[[], bytes], frozenset[str]], ...] = (
    ("5000-notifications", lambda: P.dumps([P.rpc("notifications/cancelled", {"requestId": i}, None)
                                           for i in range(5000)]), ANY_SAFE),
    ("300-tools-list", lambda: P.dumps([P.rpc("tools/list", None, 1000 + i) for i in range(300)]), ANY_SAFE),
    ("mixed-response-objects", lambda: P.dumps([{"jsonrpc": "2.0", "id": 5, "result": {}},
                                               P.rpc("ping", None, 41)]), ANY_SAFE),
    ("only-responses", lambda: P.dumps([{"jsonrpc": "2.0", "id": i, "error": {"code": -1, "message": "x"}}
                                       for i in range(50)]), ANY_SAFE),
    ("initialize-in-batch", lambda: P.dumps([P.initialize(), P.rpc("tools/list", None, 2)]), ANY_SAFE),
    ("1mb-of-pings", lambda: P.dumps([P.rpc("ping", None, "p" * 30 + str(i)) for i in range(20_000)]), ANY_SAFE),
)
for name, make, expect in BATCHES:
    case(f"mcp5-batch-{name}", "mcp", "protocol",
         "a JSON-RPC batch (2025-06-18 dropped batching): refused, or answered per member; never a 5xx",
         mcp_step(make(), expect), outside=MCP_OUT)

case("mcp5-life-session-survives", "mcp", "control",
     "after everything above, the runner's session still answers tools/list",
     mcp_step(rpc_body("tools/list", id_=5999), ACC))

# ----------------------------------------------------------------------------- Alertmanager fields one by one

def put(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(obj: dict[str, Any]) -> None:
        target: Any = obj
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


AM_FIELDS: tuple[tuple[str, tuple[Any, ...], Any, frozenset[str]], ...] = (
    ("commonannotations-list", ("commonAnnotations",), [], ACC_OR_REF),
    ("commonlabels-string", ("commonLabels",), "alertname", ACC_OR_REF),
    ("grouplabels-null", ("groupLabels",), None, ACC_OR_REF),
    ("receiver-null", ("receiver",), None, ACC_OR_REF),
    ("receiver-object", ("receiver",), {"name": "vigil"}, ACC_OR_REF),
    ("externalurl-list", ("externalURL",), ["http://am.example"], ACC_OR_REF),
    ("externalurl-javascript", ("externalURL",), "javascript:alert(1)", ACC_OR_REF),
    ("groupkey-int", ("groupKey",), 12345, ACC_OR_REF),
    ("groupkey-null", ("groupKey",), None, ACC_OR_REF),
    ("groupkey-object", ("groupKey",), {"k": "v"}, ACC_OR_REF),
    ("truncated-float-1000", ("truncatedAlerts",), 1000.0, ACC_OR_REF),
    ("version-trailing-space", ("version",), "4 ", ACC_OR_REF),
    ("alert-annotations-null", ("alerts", 0, "annotations"), None, ACC_OR_REF),
    ("alert-generatorurl-int", ("alerts", 0, "generatorURL"), 42, ACC_OR_REF),
    ("alert-fingerprint-null", ("alerts", 0, "fingerprint"), None, ACC_OR_REF),
    ("alert-status-null", ("alerts", 0, "status"), None, REFUSAL),
    ("alert-status-bool", ("alerts", 0, "status"), True, REFUSAL),
    ("alert-status-firing-list", ("alerts", 0, "status"), ["firing"], REFUSAL),
    ("alert-startsat-empty", ("alerts", 0, "startsAt"), "", ACC_OR_REF),
    ("alert-endsat-empty", ("alerts", 0, "endsAt"), "", ACC_OR_REF),
    ("alert-startsat-offset-25h", ("alerts", 0, "startsAt"), "2024-06-01T10:00:00+25:00", ACC_OR_REF),
    ("alert-startsat-empty-fraction", ("alerts", 0, "startsAt"), "2024-06-01T10:00:00.Z", ACC_OR_REF),
    ("alert-startsat-bool", ("alerts", 0, "startsAt"), False, REFUSAL),
    ("alert-label-name-braces", ("alerts", 0, "labels", "a{b=\"c\"}"), "x", ACC_OR_REF),
    ("alert-label-value-template-error", ("alerts", 0, "labels", "pod"), "<no value>%!s(MISSING)", ACC),
    ("alert-annotation-multiline-markdown", ("alerts", 0, "annotations", "description"),
     "**Firing**\n\n| a | b |\n|---|---|\n| \U0001f525 | `x` |\n<script>alert(1)</script>", ACC),
    ("top-status-null", ("status",), None, REFUSAL),
    ("alerts-string", ("alerts",), "[]", REFUSAL),
)
for name, where, value, want in AM_FIELDS:
    case(f"am5-field-{name}", "alertmanager", "json",
         f"{'.'.join(map(str, where))} = {json.dumps(value)[:40]}: the strictly typed envelope refuses a wrong type "
         "(422 naming the field) or ignores a field it does not use; never a 5xx, one job at most",
         am_step(f"am5-field-{name}", want, put(where, value)))


def _same_alert_twice(obj: dict[str, Any]) -> None:
    obj["alerts"] = [obj["alerts"][0], dict(obj["alerts"][0])]


case("am5-field-same-alert-twice-in-one-notification", "alertmanager", "semantic",
     "one notification listing the identical alert twice: one incident, one job",
     am_step("am5-field-same-alert-twice", ACC, _same_alert_twice))

# ----------------------------------------------------------------------------- PagerDuty odds

def pd_ping(ctx: Ctx) -> bytes:
    return P.dumps({"event": {"id": "01" + P.uid(ctx, "h5:ping", 24), "event_type": "pagey.ping",
                              "resource_type": "pagey", "occurred_at": P.rfc3339(0, ctx.now)[:23] + "Z",
                              "agent": None, "client": None,
                              "data": {"message": "Hello from your friend Pagey!", "type": "ping"}}})


case("pd5-ping-second-secret", "pagerduty", "semantic",
     "pagey.ping signed with the second of two rotating secrets: 200, nothing queued",
     Step("POST", PD, IGN, pd_ping,
          sign=lambda body, ctx: [("X-PagerDuty-Signature", P.pd_sig(ctx.keys.pd_secrets[1], body))]))
case("pd5-ping-unsigned", "pagerduty", "auth", "pagey.ping without a signature: 401",
     Step("POST", PD, REFUSAL, pd_ping))


def _service_event(obj: dict[str, Any]) -> None:
    obj["event"]["event_type"] = "service.updated"
    obj["event"]["resource_type"] = "service"
    obj["event"]["data"] = {"id": "PF9KMXH", "type": "service", "summary": "checkout",
                            "self": "https://api.pagerduty.com/services/PF9KMXH"}


def _minimal_data(obj: dict[str, Any]) -> None:
    obj["event"]["data"] = {"id": obj["event"]["data"]["id"], "type": "incident"}


case("pd5-service-updated", "pagerduty", "semantic",
     "a service.updated event (a subscription widened to the service): acknowledged and ignored, or refused",
     Step("POST", PD, NOT_ACCEPTED, pd_json("pd5-service-updated", edit=_service_event), auth="pd"))
case("pd5-triggered-minimal-data", "pagerduty", "semantic",
     "incident.triggered whose data holds only id and type (a trimmed relay): queued once or refused",
     Step("POST", PD, ACC_OR_REF, pd_json("pd5-minimal", edit=_minimal_data), auth="pd"))
case("pd5-resolved-then-triggered-same-incident", "pagerduty", "semantic",
     "resolved arrives before triggered (out-of-order delivery): no 5xx, at most one job",
     Step("POST", PD, NOT_ACCEPTED | ACC, pd_json("pd5-order", "incident.resolved"), auth="pd"),
     Step("POST", PD, ACC_OR_IGN, pd_json("pd5-order-2", incident_of="pd5-order"), auth="pd"),
     Step("POST", PD, IGN, pd_json("pd5-order-3", incident_of="pd5-order"), auth="pd"))

CASES: tuple[Case, ...] = tuple(CASES_LIST)

_names = [c.name for c in CASES]
if len(set(_names)) != len(_names):
    raise RuntimeError(f"duplicate case names: {sorted({n for n in _names if _names.count(n) > 1})}")
