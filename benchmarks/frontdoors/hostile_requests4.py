"""The fourth blind hostile catalogue: requests to every front door that rounds 1 to 3 likely left
out, each with the class of answer the public specifications and docs/frontdoors.md say it must get.

Written before reading agent/server/, guardrails/ or the tests, and knowing of rounds 1 to 3 only
their module docstrings and case names. Where those rounds went after single malformed requests,
this one leans on what real deployments send:

- proxies and load balancers in front (X-Forwarded-*, Forwarded, Via, X-Original-URL and
  X-HTTP-Method-Override that must not reroute, malformed W3C `traceparent`/`baggage`, forwarded
  identities that must never stand in for a token);
- other tools' webhooks posted to the wrong door (Grafana, Opsgenie, Datadog, GitHub, Sentry,
  CloudEvents, and each of Vigil's own formats at a sibling door);
- retry storms (the same Alertmanager group, PagerDuty event and Slack event delivered again and
  again, and pipelined on one keep-alive connection) and sequences that interleave accepted and
  refused requests across doors, then prove with a redelivery that nothing accepted was lost;
- RFC 8259's grammar where lenient parsers differ (leading zeros, `+1`, `1.`, hex, trailing commas,
  comments, unquoted keys, raw control characters, bad escapes) at every door;
- RFC 9112 framing edges not yet sent (tab and double-space request lines, header lines without a
  colon, a folded first header line, upper-case and zero-padded chunk sizes, hundreds of one-byte
  chunks, last-chunk extensions, forbidden trailer fields, Content-Length with leading zeros or
  trailing whitespace, Content-Length 0 followed by the body, a WebSocket upgrade on a webhook);
- content codings and charsets spelled as real clients spell them (`x-gzip`, `GZIP`, `zstd`, raw
  deflate, utf-32, `us-ascii` over UTF-8 bytes, media-type lists, multipart);
- Alertmanager v4 fields of the wrong JSON type not yet tried one by one, timestamps in RFC 3339's
  optional spellings, nesting either side of the documented 32 levels in several fields;
- PagerDuty v3 signature lists with empty or repeated entries, secrets with a stray newline,
  occurred_at spellings, event types near the known ones, data pieces missing;
- Slack retries with reasons, the five-minute window exactly at its edge, form bodies with empty
  and bare keys, payload= fields of the wrong JSON type, url_verification challenges of odd kinds,
  app_rate_limited variants and events for doors Vigil never subscribed to;
- MCP streamable HTTP: jsonrpc version spellings, method names with odd bytes, tools/call past each
  documented schema bound by one, sessions spelled almost right, fresh sessions deleted twice;
- the approvals API: forwarded identities, cookies and proxy credentials instead of the token,
  approver names at the 200-character bound, and a decision sequence that interleaves refusals with
  one valid approval which must then stay decided.

Every body that should be accepted names a unique incident per case and per run. Where the sources
leave the answer open a step allows several classes; the runner still checks no 5xx, nothing
enqueued unless accepted, and the exact job count when accepted.

    CASES: tuple[Case, ...]   # .venv/bin/python benchmarks/frontdoors/run_hostile.py --catalogue 4
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import zlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from benchmarks.frontdoors import hostile_payloads as P
from benchmarks.frontdoors.hostile_client import encode, exchange
from benchmarks.frontdoors.hostile_model import (
    ACCEPTED,
    ANY_SAFE,
    CLOSED,
    IGNORED,
    REDIRECT,
    REFUSED,
    Case,
    Ctx,
    Headers,
    Step,
)

JSON_H: Headers = (("Content-Type", "application/json"),)
FORM_H: Headers = (("Content-Type", "application/x-www-form-urlencoded"),)
MCP_H: Headers = (("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"))

OK = frozenset({ACCEPTED})
IGN = frozenset({IGNORED})
REF = frozenset({REFUSED})
ACC_REF = frozenset({ACCEPTED, REFUSED})
ACC_IGN = frozenset({ACCEPTED, IGNORED})
IGN_REF = frozenset({IGNORED, REFUSED})
ANY_ANSWER = frozenset({ACCEPTED, IGNORED, REFUSED})
FRAMING = frozenset({REFUSED, CLOSED})
ACC_FRAMING = frozenset({ACCEPTED, REFUSED, CLOSED})
IGN_REF_REDIRECT = frozenset({IGNORED, REFUSED, REDIRECT})
SDK = "the MCP SDK's JSON-RPC handling"

AM = "/webhooks/alertmanager"
PD = "/webhooks/pagerduty"
SL = "/slack/events"

CASES_LIST: list[Case] = []


def case(name: str, door: str, group: str, why: str, *steps: Step, outside: str = "") -> None:
    """Register one case; names are prefixed by door (am4-, pd4-, sl4-, mcp4-, ap4-, mix4-)."""
    CASES_LIST.append(Case(name=name, door=door, group=group, why=why, steps=tuple(steps), outside=outside))


# ----------------------------------------------------------------------------- bodies

def alertname(ctx: Ctx, name: str) -> str:
    """A per-case, per-run alert name, so an accepted body never joins an earlier job."""
    return "H4" + "".join(part.capitalize() for part in name.replace("-", "_").split("_")) + ctx.tag


def am_obj(ctx: Ctx, name: str, status: str = "firing") -> dict[str, Any]:
    return P.am_payload(alertname(ctx, name), status)


def am_json(name: str, edit: Callable[[dict[str, Any]], None] | None = None,
            status: str = "firing") -> Callable[[Ctx], bytes]:
    """An Alertmanager body for this case, optionally edited as a dict before it is serialised."""
    def build(ctx: Ctx) -> bytes:
        payload = am_obj(ctx, name, status)
        if edit is not None:
            edit(payload)
        return P.dumps(payload)
    return build


def text_edit(base: Callable[[Ctx], bytes], edit: Callable[[bytes], bytes]) -> Callable[[Ctx], bytes]:
    """A body edited as bytes after serialising: for JSON no serialiser would write."""
    return lambda ctx: edit(base(ctx))


def insert_field(fragment: bytes) -> Callable[[bytes], bytes]:
    """Put `fragment` (already `"key":value`) first in the top-level object."""
    def edit(body: bytes) -> bytes:
        assert body.startswith(b"{")
        return b"{" + fragment + b"," + body[1:]
    return edit


_PINNED: dict[tuple[str, str], bytes] = {}


def pinned(kind: str, name: str, build: Callable[[Ctx], bytes]) -> Callable[[Ctx], bytes]:
    """The body built once per run and name, then resent byte for byte: a sender's retry repeats the
    same bytes (its clock-derived fields included), so a storm or a redelivery must too."""
    def body(ctx: Ctx) -> bytes:
        key = (ctx.tag, f"{kind}:{name}")
        if key not in _PINNED:
            _PINNED[key] = build(ctx)
        return _PINNED[key]
    return body


def pd_json(name: str, edit: Callable[[dict[str, Any]], None] | None = None,
            event_type: str = "incident.triggered", age_s: float = 5.0) -> Callable[[Ctx], bytes]:
    def build(ctx: Ctx) -> bytes:
        payload = P.pd_event(ctx, "h4" + name, event_type, age_s)
        if edit is not None:
            edit(payload)
        return P.dumps(payload)
    return build if edit is not None else pinned("pd:" + event_type, name, build)


def mention(ctx: Ctx, name: str, **top: Any) -> dict[str, Any]:
    """A Slack app_mention whose text names this case and run, so it starts its own investigation."""
    ts = f"{int(ctx.now) - 2}.{P.uid(ctx, 'ts4:' + name, 6, '0123456789')}"
    event = {"type": "app_mention", "user": P.USER, "ts": ts, "channel": P.CHANNEL, "event_ts": ts,
             "text": f"<@U0LAN0Z89> h4 {name} {ctx.tag} pods crashlooping in payments"}
    return P.slack_event(ctx, "h4" + name, event=event, **top)


def mention_json(name: str, edit: Callable[[dict[str, Any]], None] | None = None) -> Callable[[Ctx], bytes]:
    def build(ctx: Ctx) -> bytes:
        payload = mention(ctx, name)
        if edit is not None:
            edit(payload)
        return P.dumps(payload)
    return build if edit is not None else pinned("mention", name, build)


def slash_body(name: str, pairs: Callable[[dict[str, str]], list[tuple[str, str]]] | None = None,
               raw: Callable[[bytes], bytes] | None = None) -> Callable[[Ctx], bytes]:
    """A /vigil investigate form with a unique text; `pairs` may reorder or repeat its fields."""
    def build(ctx: Ctx) -> bytes:
        text = f"investigate h4 {name} {ctx.tag} pods OOMKilled in namespace shop"
        fields = P.slash_form(ctx, "h4" + name, text=text)
        body = P.form(pairs(fields) if pairs is not None else fields)
        return raw(body) if raw is not None else body
    return build


def click_body(edit: Callable[[dict[str, Any]], None]) -> Callable[[Ctx], bytes]:
    """A block_actions click on a button Vigil never posted, edited into a wrong shape."""
    def build(ctx: Ctx) -> bytes:
        payload = P.block_actions(ctx, "h4-no-such-approval")
        edit(payload)
        return P.form({"payload": json.dumps(payload)})
    return build


def rpc_body(method: str, params: Any = None, id_: Any = 41) -> bytes:
    return P.dumps(P.rpc(method, params, id_))


def decision(approver: str = "alice", note: str = "h4 looks right", **extra: Any) -> bytes:
    return P.dumps({"approver": approver, "note": note, **extra})


# ----------------------------------------------------------------------------- steps

def am_step(body: Callable[[Ctx], bytes] | bytes, expect: frozenset[str] = OK, headers: Headers = JSON_H,
            enqueue: int = 1, **kw: Any) -> Step:
    return Step("POST", AM, expect, body, headers=headers, auth="am", enqueue=enqueue, **kw)


def pd_step(body: Callable[[Ctx], bytes] | bytes, expect: frozenset[str] = OK, headers: Headers = JSON_H,
            **kw: Any) -> Step:
    return Step("POST", PD, expect, body, headers=headers, auth=kw.pop("auth", "pd"), **kw)


def sl_step(body: Callable[[Ctx], bytes] | bytes, expect: frozenset[str] = OK, headers: Headers = JSON_H,
            **kw: Any) -> Step:
    return Step("POST", SL, expect, body, headers=headers, auth=kw.pop("auth", "slack"), **kw)


def mcp_step(body: Callable[[Ctx], bytes] | bytes, expect: frozenset[str], headers: Headers = MCP_H,
             **kw: Any) -> Step:
    return Step("POST", "/mcp", expect, body, headers=headers, auth=kw.pop("auth", "mcp_session"), **kw)


def dyn_path(step: Step, path: Callable[[Ctx], str]) -> Step:
    """A step whose target depends on the run (a seeded approval id): encoded as the step would be."""
    inner = replace(step, raw=None)
    return replace(step, raw=lambda ctx, host: encode(replace(inner, path=path(ctx)), ctx, host))


def mutate(step: Step, edit: Callable[[bytes], bytes]) -> Step:
    """A step whose wire bytes are edited after encoding: framing no header list can express."""
    inner = replace(step, raw=None)
    return replace(step, raw=lambda ctx, host: edit(encode(inner, ctx, host)))


def approval(role: str, verb: str = "approve") -> Callable[[Ctx], str]:
    return lambda ctx: f"/approvals/{ctx.approvals.get(role, 'h4-missing-' + role)}/{verb}"


def ap_step(path: Callable[[Ctx], str] | str, expect: frozenset[str], body: bytes = b"",
            method: str = "POST", auth: str | None = "api", headers: Headers | None = None, **kw: Any) -> Step:
    """An approvals API request; a GET carries no body and, unless given, no Content-Type."""
    if method == "GET":
        step = Step(method, path if isinstance(path, str) else "/approvals", expect, b"",
                    headers=headers if headers is not None else (), auth=auth, framing="none", **kw)
    else:
        step = Step(method, path if isinstance(path, str) else "/approvals", expect, body or decision(),
                    headers=headers if headers is not None else JSON_H, auth=auth, **kw)
    return step if isinstance(path, str) else dyn_path(step, path)


UNKNOWN_ID = "/approvals/h4-no-such-request/approve"


# ============================================================================= proxies and balancers

PROXY_HEADERS: list[tuple[str, Headers, frozenset[str]]] = [
    ("xff-chain", (("X-Forwarded-For", "203.0.113.7, 10.0.0.1, 10.0.0.2"),), OK),
    ("xff-host-evil", (("X-Forwarded-Host", "evil.example"),), OK),
    ("forwarded-rfc7239",
     (("Forwarded", 'for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711"'),), OK),
    ("xff-not-an-ip", (("X-Forwarded-For", "<script>alert(1)</script>, unknown, _hidden"),), OK),
    ("x-original-url-approvals", (("X-Original-URL", "/approvals/h4-x/approve"), ("X-Rewrite-URL", "/approvals")), OK),
    ("method-override-delete", (("X-HTTP-Method-Override", "DELETE"), ("X-Method-Override", "GET")), ACC_REF),
    ("traceparent-valid", (("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
                           ("tracestate", "congo=t61rcWkgMzE")), OK),
    ("traceparent-garbage", (("traceparent", "00-zzzz-not-hex-01"), ("tracestate", "=,=,=")), OK),
    ("baggage-8kb", (("baggage", ",".join(f"k{i}=v{i}" for i in range(1000))),), ACC_REF),
]

for _name, _extra, _expect in PROXY_HEADERS:
    case(f"am4-proxy-{_name}", "alertmanager", "control" if _expect == OK else "protocol",
         f"A load balancer or proxy in front adds {', '.join(k for k, _ in _extra)}: the request is still the "
         "Alertmanager notification it was, accepted once (these headers neither reroute nor authenticate).",
         am_step(am_json(f"proxy_{_name}"), _expect, headers=JSON_H + _extra))

case("pd4-proxy-forwarded-headers", "pagerduty", "control",
     "PagerDuty's delivery through an ingress: X-Forwarded-*, Via and PagerDuty's own X-Webhook-Id and "
     "X-Webhook-Subscription headers; a signed triggered event is accepted once.",
     pd_step(pd_json("proxy"), OK, headers=(
         *JSON_H, ("X-Forwarded-For", "44.242.69.192"), ("X-Forwarded-Proto", "https"), ("Via", "1.1 alb"),
         ("X-Webhook-Id", "PH4WHID"), ("X-Webhook-Subscription", "PH4SUB1"))))
case("sl4-proxy-forwarded-headers", "slack", "control",
     "Slack through an ingress that adds X-Forwarded-* and a traceparent: the signed mention is acted on once.",
     sl_step(mention_json("proxy"), OK, headers=(
         *JSON_H, ("X-Forwarded-For", "54.89.10.1"), ("X-Forwarded-Proto", "https"),
         ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))))
case("mcp4-proxy-forwarded-headers", "mcp", "control",
     "tools/list through a proxy that adds X-Forwarded-For/Host and Via: answered as usual.",
     mcp_step(rpc_body("tools/list"), OK, headers=(
         *MCP_H, ("X-Forwarded-For", "10.1.2.3"), ("X-Forwarded-Host", "mcp.example.com"), ("Via", "1.1 proxy"))))
case("mcp4-proxy-method-override", "mcp", "protocol",
     "X-HTTP-Method-Override: DELETE on a POST must not delete the session: the POST is answered and the "
     "session still answers a second tools/list.",
     mcp_step(rpc_body("tools/list"), ACC_REF, headers=(*MCP_H, ("X-HTTP-Method-Override", "DELETE"))),
     mcp_step(rpc_body("tools/list", id_=42), OK))

for _name, _extra in [
    ("xff-loopback", (("X-Forwarded-For", "127.0.0.1"), ("X-Real-IP", "127.0.0.1"))),
    ("forwarded-user", (("X-Forwarded-User", "alice"), ("X-Remote-User", "alice"), ("X-Auth-Request-User", "alice"))),
    ("proxy-authorization", ()),
    ("cookie-token", ()),
    ("original-url-list", (("X-Original-URL", "/healthz"),)),
]:
    def _sign(body: bytes, ctx: Ctx, kind: str = _name) -> list[tuple[str, str]]:
        if kind == "proxy-authorization":
            return [("Proxy-Authorization", f"Bearer {ctx.keys.api_token}")]
        if kind == "cookie-token":
            return [("Cookie", f"token={ctx.keys.api_token}; vigil_token={ctx.keys.api_token}")]
        return []
    case(f"ap4-auth-{_name}", "approvals", "auth",
         "An identity a proxy forwards (a header, a cookie, Proxy-Authorization, a loopback X-Forwarded-For) "
         "is not the approvals API's bearer token: 401, and nothing is decided.",
         ap_step(UNKNOWN_ID if _name != "original-url-list" else "/approvals", REF,
                 method="GET" if _name == "original-url-list" else "POST", auth=None,
                 headers=(JSON_H if _name != "original-url-list" else ()) + _extra, sign=_sign))

# ============================================================================= wrong door

GRAFANA_LEGACY = {"dashboardId": 1, "evalMatches": [{"value": 100, "metric": "High value", "tags": None}],
                  "imageUrl": "https://grafana.com/assets/img/blog/mixed_styles.png", "message": "Someone is testing",
                  "orgId": 1, "panelId": 2, "ruleId": 1, "ruleName": "Test notification",
                  "ruleUrl": "http://localhost:3000/", "state": "alerting", "tags": {"tag name": "tag value"},
                  "title": "[Alerting] Test notification"}
DATADOG = {"id": "1234567890", "last_updated": "1717236000000", "event_type": "query_alert_monitor",
           "title": "[Triggered] checkout memory", "date": "1717236000000", "org": {"id": "1", "name": "acme"},
           "body": "%%%\nmemory above limit\n%%%", "alert_transition": "Triggered"}
GITHUB = {"zen": "Keep it logically awesome.", "hook_id": 1, "hook": {"type": "Repository", "events": ["push"]},
          "repository": {"id": 1, "full_name": "acme/gitops"}, "sender": {"login": "octocat"}}
CLOUDEVENT = {"specversion": "1.0", "type": "com.example.alert", "source": "/monitoring", "id": "A234-1234-1234",
              "time": "2024-06-01T17:31:00Z", "datacontenttype": "application/json", "data": {"alert": "x"}}

WRONG_SENDERS: list[tuple[str, dict[str, Any], Headers]] = [
    ("grafana-legacy", GRAFANA_LEGACY, ()),
    ("datadog", DATADOG, (("DD-Webhook", "1"),)),
    ("github-ping", GITHUB, (("X-GitHub-Event", "ping"), ("X-Hub-Signature-256", "sha256=" + "0" * 64))),
    ("cloudevent-structured", CLOUDEVENT, ()),
]

for _name, _obj, _extra in WRONG_SENDERS:
    case(f"am4-wrong-sender-{_name}", "alertmanager", "semantic",
         f"A {_name} webhook pointed at the Alertmanager URL with the right token: not an Alertmanager v4 "
         "envelope, so 422 naming what is missing, and nothing queued.",
         am_step(P.dumps(_obj), REF, headers=JSON_H + _extra))
    if _name not in ("grafana-legacy", "github-ping", "cloudevent-structured"):
        continue
    case(f"pd4-wrong-sender-{_name}", "pagerduty", "semantic",
         f"A {_name} webhook at the PagerDuty door, signed with the subscription secret (a misconfigured relay): "
         "no `event`, refused (or at most acknowledged), nothing queued.",
         pd_step(P.dumps(_obj), IGN_REF, headers=JSON_H + _extra))

case("am4-grafana-unified", "alertmanager", "semantic",
     "Grafana's unified alerting webhook looks like Alertmanager's but says version \"1\" and adds orgId, "
     "state, title, message: either taken as the Alertmanager envelope it resembles or refused 422.",
     am_step(am_json("grafana_unified", lambda p: p.update(
         version="1", orgId=1, state="alerting", title="[FIRING:1] h4", message="grafana")), ACC_REF))
case("am4-wrong-door-pagerduty-body", "alertmanager", "semantic",
     "A PagerDuty v3 event posted to the Alertmanager door with the Alertmanager token: 422, nothing queued.",
     am_step(pd_json("wrongdoor_am"), REF))
case("am4-wrong-door-slack-event", "alertmanager", "semantic",
     "A Slack event_callback posted to the Alertmanager door with its token: 422.",
     am_step(mention_json("wrongdoor_am"), REF))
case("am4-wrong-door-jsonrpc", "alertmanager", "semantic",
     "An MCP tools/call sent to the Alertmanager door (a client configured with the wrong URL): 422.",
     am_step(rpc_body("tools/call", {"name": "investigate", "arguments": {"question": "x"}}), REF))
case("am4-wrong-door-slash-form", "alertmanager", "semantic",
     "A Slack slash-command form posted to the Alertmanager door with its token: 415 or 400/422.",
     am_step(slash_body("wrongdoor_am"), REF, headers=FORM_H))
case("pd4-wrong-door-alertmanager-body", "pagerduty", "semantic",
     "An Alertmanager notification at the PagerDuty door, correctly signed: no `event`, 422, nothing queued.",
     pd_step(am_json("wrongdoor_pd"), REF))
case("pd4-wrong-door-slack-event", "pagerduty", "semantic",
     "A Slack event at the PagerDuty door, signed with the PagerDuty secret: 422.",
     pd_step(mention_json("wrongdoor_pd"), REF))
case("pd4-wrong-door-am-token", "pagerduty", "auth",
     "A valid PagerDuty event carrying the Alertmanager bearer token instead of a signature: 401.",
     pd_step(pd_json("wrongdoor_amtoken"), REF, auth="am"))
case("sl4-wrong-door-alertmanager-body", "slack", "semantic",
     "An Alertmanager body at the Slack door, signed with the Slack secret: no Slack envelope type, "
     "refused or acknowledged-and-ignored, never queued.",
     sl_step(am_json("wrongdoor_sl"), IGN_REF))
case("sl4-wrong-door-pagerduty-body", "slack", "semantic",
     "A PagerDuty event at the Slack door, Slack-signed: refused or ignored, never queued.",
     sl_step(pd_json("wrongdoor_sl"), IGN_REF))
case("sl4-wrong-door-jsonrpc", "slack", "semantic",
     "A JSON-RPC initialize at the Slack door, Slack-signed: refused or ignored.",
     sl_step(P.dumps(P.initialize()), IGN_REF))
case("sl4-wrong-door-pd-signature", "slack", "auth",
     "A Slack mention carrying an X-PagerDuty-Signature (valid for PagerDuty) and no Slack signature: 401.",
     sl_step(mention_json("wrongdoor_pdsig"), REF, auth="pd"))
case("mcp4-wrong-door-alertmanager-body", "mcp", "semantic",
     "An Alertmanager notification posted to /mcp with the MCP token and session: not JSON-RPC, refused.",
     mcp_step(am_json("wrongdoor_mcp"), REF), outside=SDK)
case("mcp4-wrong-door-slack-form", "mcp", "semantic",
     "A Slack slash-command form posted to /mcp: refused (415 or a JSON-RPC parse error).",
     mcp_step(slash_body("wrongdoor_mcp"), REF, headers=(("Content-Type", "application/x-www-form-urlencoded"),
                                                        ("Accept", "application/json, text/event-stream"))))
case("ap4-wrong-door-alertmanager-body", "approvals", "semantic",
     "An Alertmanager notification posted to an approval's approve URL with the API token: no approver, "
     "refused (unknown id 404 or 422), nothing decided.",
     ap_step(UNKNOWN_ID, REF, body=P.am_body("H4WrongDoorApprovals")))
case("ap4-wrong-door-webhook-root", "approvals", "semantic",
     "POST /webhooks (no sender) and POST /approvals (no id) with a valid body: 404 or 405, JSON.",
     Step("POST", "/webhooks", REF, P.am_body("H4WebhooksRoot"), auth="am"),
     ap_step("/approvals", REF))

# ============================================================================= retry storms


def _storm_am(n: int) -> list[Step]:
    first = am_step(am_json("storm"), OK)
    return [first] + [am_step(am_json("storm"), IGN) for _ in range(n - 1)]


case("am4-storm-25-redeliveries", "alertmanager", "semantic",
     "Alertmanager retrying one group 25 times (a slow receiver, repeat_interval, two HA replicas): "
     "the first is accepted, the 24 others join that job (docs: a burst of identical webhooks is one "
     "investigation), nothing is lost.", *_storm_am(25))


def _pair(ctx: Ctx, order: tuple[str, str], **top: Any) -> bytes:
    """One group of two alerts, in the given order, under one per-run group name."""
    alerts = [P.am_alert(alertname(ctx, "reorder_" + which)) for which in order]
    return P.dumps(P.am_payload(alertname(ctx, "reorder"), alerts=alerts, **top))


case("am4-storm-alerts-reordered", "alertmanager", "semantic",
     "The HA peer delivers the same two-alert group with the alerts in the other order and a different "
     "receiver name: the second joins the first's jobs.",
     am_step(lambda ctx: _pair(ctx, ("a", "b")), OK, enqueue=2),
     am_step(lambda ctx: _pair(ctx, ("b", "a"), receiver="vigil-ha"), IGN))


def _pipelined_same(n: int) -> Callable[[Ctx, str], bytes]:
    def raw(ctx: Ctx, host: str) -> bytes:
        one = encode(am_step(am_json("pipelined_storm")), ctx, host).replace(b"Connection: close\r\n",
                                                                             b"Connection: keep-alive\r\n")
        last = encode(am_step(am_json("pipelined_storm")), ctx, host)
        return one * (n - 1) + last
    return raw


case("am4-storm-pipelined-10", "alertmanager", "semantic",
     "Ten identical notifications pipelined on one keep-alive connection (an HTTP client retrying on a "
     "pooled connection): exactly one job whatever the first answer.",
     Step("POST", AM, frozenset({ACCEPTED, IGNORED}), raw=_pipelined_same(10), enqueue_any=frozenset({1})))
case("pd4-storm-same-event-8", "pagerduty", "semantic",
     "PagerDuty retrying one delivery 8 times (same event id, same body, same signature): accepted once, "
     "then each a replay (409) that queues nothing.",
     pd_step(pd_json("storm"), OK),
     *[pd_step(pd_json("storm"), IGN_REF) for _ in range(7)])


def _flap(i: int) -> Callable[[Ctx], bytes]:
    """Event i of one flapping incident: a new event id, the same incident id."""
    return lambda ctx: P.dumps(P.pd_event(ctx, f"h4flap{i}", incident="P" + P.uid(ctx, "h4flap", 6)))


case("pd4-storm-same-incident-new-events", "pagerduty", "semantic",
     "Five incident.triggered events for one incident with distinct event ids (re-triggered by a flapping "
     "integration): one investigation, the rest join it.",
     pd_step(_flap(0), OK), *[pd_step(_flap(i), IGN) for i in range(1, 5)])


def _slack_retry(num: int, reason: str) -> Headers:
    return (*JSON_H, ("X-Slack-Retry-Num", str(num)), ("X-Slack-Retry-Reason", reason))


case("sl4-storm-retries-1-to-4", "slack", "semantic",
     "Slack's retry storm: the original delivery, then retries 1, 2, 3 (http_timeout) each freshly signed: "
     "they carry the same event_id and join the first job.",
     sl_step(mention_json("storm"), OK),
     sl_step(mention_json("storm"), IGN, headers=_slack_retry(1, "http_timeout")),
     sl_step(mention_json("storm"), IGN, headers=_slack_retry(2, "http_timeout")),
     sl_step(mention_json("storm"), IGN, headers=_slack_retry(3, "http_error")))
case("sl4-storm-retry-reason-unknown", "slack", "semantic",
     "A retry with a reason Slack never documented (and X-Slack-No-Retry) after the original: still one job.",
     sl_step(mention_json("retry_reason"), OK),
     sl_step(mention_json("retry_reason"), IGN, headers=(
         *JSON_H, ("X-Slack-Retry-Num", "1"), ("X-Slack-Retry-Reason", "h4_not_a_reason"), ("X-Slack-No-Retry", "1"))))
case("sl4-storm-retry-before-original", "slack", "semantic",
     "Retry 1 arrives first (the original was lost by a proxy), then the original: one job between them.",
     sl_step(mention_json("retry_first"), OK, headers=_slack_retry(1, "http_timeout")),
     sl_step(mention_json("retry_first"), IGN))
case("sl4-storm-slash-double-submit", "slack", "semantic",
     "A user pressing Enter twice: two slash commands with identical text and distinct trigger ids; each "
     "is a user request (accepted) or the second joins the first, never an error.",
     sl_step(slash_body("double_submit"), OK, headers=FORM_H),
     sl_step(slash_body("double_submit", raw=lambda b: b.replace(b"trigger_id=", b"trigger_id=9")),
             frozenset({ACCEPTED, IGNORED}), headers=FORM_H))

# ============================================================================= interleaved sequences


case("mix4-interleave-am-pd-slack", "alertmanager", "semantic",
     "Accepted and refused requests to three doors interleaved; the redeliveries at the end join (or are "
     "replays of) the accepted ones, proving nothing accepted was lost or duplicated.",
     am_step(am_json("interleave"), OK),
     am_step(b'{"version":"4","status":', REF),
     pd_step(pd_json("interleave"), OK),
     sl_step(mention_json("interleave"), REF, auth=None),
     Step("POST", AM, REF, am_json("interleave_x"), auth=None),
     sl_step(mention_json("interleave"), OK),
     pd_step(pd_json("interleave"), REF, sign=lambda b, ctx: [("X-PagerDuty-Signature", "v1=" + "0" * 64)]),
     am_step(am_json("interleave"), IGN),
     pd_step(pd_json("interleave"), IGN_REF),
     sl_step(mention_json("interleave"), IGN, headers=_slack_retry(1, "http_timeout")))
case("mix4-interleave-oversize-between", "alertmanager", "semantic",
     "An accepted notification, a 2 MiB body refused 413, a gzip body refused 415, then the same "
     "notification again: it joins the job the refusals left alone.",
     am_step(am_json("between"), OK),
     am_step(lambda ctx: am_json("between_big", lambda p: p["commonAnnotations"].update(x="a" * (2 << 20)))(ctx), REF),
     am_step(lambda ctx: gzip.compress(am_json("between_gz")(ctx)), REF,
             headers=(*JSON_H, ("Content-Encoding", "gzip"))),
     am_step(am_json("between"), IGN))
case("mix4-interleave-resolve-refused-then-fire", "alertmanager", "semantic",
     "A firing notification accepted, its resolve sent with a bad token (401), then a redelivery of the "
     "firing: still one job (the refused resolve changed nothing).",
     am_step(am_json("resolve_refused"), OK),
     Step("POST", AM, REF, am_json("resolve_refused", status="resolved"),
          sign=lambda b, ctx: [("Authorization", "Bearer " + ctx.keys.am_token[::-1])]),
     am_step(am_json("resolve_refused"), IGN))
case("mix4-interleave-fire-resolve-fire", "alertmanager", "semantic",
     "Fire, resolve, a malformed resolve, then the same resolve again: the resolve marks the job "
     "(a Resolved notice may be queued), the garbage is refused, the repeated resolve queues nothing new.",
     am_step(am_json("fire_resolve"), OK),
     am_step(am_json("fire_resolve", status="resolved"), ACC_IGN),
     am_step(am_json("fire_resolve", lambda p: p.update(status="resolving"), status="resolved"), REF),
     am_step(am_json("fire_resolve", status="resolved"), IGN))
case("mix4-interleave-pd-trigger-bad-ack-resolve", "pagerduty", "semantic",
     "Triggered (accepted), an acknowledged event signed over other bytes (401), a resolved event "
     "(recorded), then the triggered delivery again (a replay, 409): one job throughout.",
     pd_step(pd_json("tar"), OK),
     pd_step(pd_json("tar_ack", event_type="incident.acknowledged"), REF,
             sign=lambda b, ctx: [("X-PagerDuty-Signature", P.pd_sig(ctx.keys.pd_secrets[0], b + b" "))]),
     pd_step(lambda ctx: P.dumps(P.pd_event(ctx, "h4tar_res", "incident.resolved",
                                            incident="P" + P.uid(ctx, "incident:h4tar", 6))), ACC_IGN),
     pd_step(pd_json("tar"), IGN_REF))
case("mix4-interleave-mcp-garbage-keeps-session", "mcp", "semantic",
     "MCP requests interleaved with garbage on the same session (truncated JSON, a batch of nulls, a wrong "
     "protocol header, an unknown session): the session answers tools/list before, between and after.",
     mcp_step(rpc_body("tools/list", id_=1), OK),
     mcp_step(b'{"jsonrpc":"2.0","id":2,"method":"tools/li', REF),
     mcp_step(b"[null,null,null]", REF),
     mcp_step(rpc_body("tools/list", id_=3), OK),
     mcp_step(rpc_body("tools/list", id_=4), REF, auth="mcp_badversion"),
     mcp_step(rpc_body("tools/list", id_=5), REF, auth=None, sign=lambda b, ctx: [
         ("Authorization", f"Bearer {ctx.keys.mcp_token}"), ("Mcp-Session-Id", ctx.mcp_session[::-1])]),
     mcp_step(rpc_body("tools/list", id_=6), OK))
case("ap4-interleave-refusals-then-approve", "approvals", "semantic",
     "On one pending request: a wrong token, a truncated body, a bad identity, a name with a space, then a "
     "valid approval; afterwards approve and deny are both 409 and the list still answers.",
     ap_step(approval("twice"), REF, auth=None, sign=lambda b, ctx: [("Authorization", "Bearer nope")]),
     ap_step(approval("twice"), REF, body=b'{"approver":"al'),
     ap_step(approval("twice"), REF, body=decision("ali\u202ece")),
     ap_step(approval("twice"), REF, body=decision("alice smith")),
     ap_step(approval("twice"), ACC_IGN),
     ap_step(approval("twice"), REF, status=frozenset({409})),
     ap_step(approval("twice", "deny"), REF, status=frozenset({409})),
     ap_step("/approvals", IGN, method="GET"))
case("ap4-interleave-deny-refused-then-deny", "approvals", "semantic",
     "A deny refused for its body (approver list), then a deny refused for the token, then a valid deny: "
     "decided once; a later approve is 409, and the other pending request is untouched (approve it).",
     ap_step(approval("approve_then_deny", "deny"), REF, body=P.dumps({"approver": ["alice"]})),
     ap_step(approval("approve_then_deny", "deny"), REF, auth="am"),
     ap_step(approval("approve_then_deny", "deny"), ACC_IGN),
     ap_step(approval("approve_then_deny"), REF),
     ap_step(approval("deny_then_approve"), ACC_IGN))

# ============================================================================= RFC 8259 grammar at every door

GRAMMAR_BAD: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("leading-zero", insert_field(b'"h4n":01')),
    ("plus-sign", insert_field(b'"h4n":+1')),
    ("hex-number", insert_field(b'"h4n":0x1F')),
    ("trailing-comma-object", lambda b: b[:-1] + b",}"),
    ("trailing-comma-array", insert_field(b'"h4n":[1,2,]')),
    ("line-comment", lambda b: b"// h4\n" + b),
    ("unquoted-key", insert_field(b"h4n:1")),
    ("raw-tab-in-string", insert_field(b'"h4n":"a\tb"')),
    ("bad-escape", insert_field(b'"h4n":"\\x41"')),
    ("nul-after-document", lambda b: b + b"\x00"),
]

_GRAMMAR_DOORS: list[tuple[str, str, Callable[[str, Callable[[bytes], bytes]], Step]]] = [
    ("am4", "alertmanager", lambda n, e: am_step(text_edit(am_json("grammar_" + n), e), REF)),
    ("pd4", "pagerduty", lambda n, e: pd_step(text_edit(pd_json("grammar_" + n), e), REF)),
    ("sl4", "slack", lambda n, e: sl_step(text_edit(mention_json("grammar_" + n), e), REF)),
    ("mcp4", "mcp", lambda n, e: mcp_step(lambda ctx: e(rpc_body("tools/list")), REF)),
]

GRAMMAR_ELSEWHERE = {"leading-zero", "trailing-comma-object", "line-comment", "raw-tab-in-string", "bad-escape"}
for _prefix, _door, _make in _GRAMMAR_DOORS:
    for _name, _edit in GRAMMAR_BAD:
        if _prefix != "am4" and _name not in GRAMMAR_ELSEWHERE:
            continue
        case(f"{_prefix}-grammar-{_name}", _door, "json",
             f"JSON outside RFC 8259's grammar ({_name}) that a lenient parser (JSON5, YAML, demjson) would "
             "take: the door's strict parser refuses it 400 before anything is acted on.",
             _make(_name, _edit))
for _name, _edit in GRAMMAR_BAD[:3]:
    case(f"ap4-grammar-{_name}", "approvals", "json",
         f"An approval decision outside RFC 8259's grammar ({_name}): refused, nothing decided.",
         ap_step(approval("self_high"), REF, body=_edit(decision())))

GRAMMAR_GOOD: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("escaped-solidus", lambda b: b.replace(b"memory above limit", b"memory\\/limit \\u00e9\\ud83d\\ude00")),
    ("insignificant-whitespace", lambda b: json.dumps(json.loads(b), indent="\t", separators=(" ,", " :\t ")).replace(
        "\n", "\r\n").encode()),
    ("leading-trailing-whitespace", lambda b: b"\r\n \t" + b + b"\n\n  "),
]
for _name, _edit in GRAMMAR_GOOD:
    case(f"am4-grammar-valid-{_name}", "alertmanager", "control",
         f"Valid JSON in a spelling serialisers rarely write ({_name}): accepted, one job.",
         am_step(text_edit(am_json("grammar_ok_" + _name), _edit), OK))
    if _name != "escaped-solidus":
        continue
    case(f"pd4-grammar-valid-{_name}", "pagerduty", "control",
         "A signed PagerDuty event with escaped solidus, escaped non-ASCII and a surrogate pair in its title: "
         "valid JSON, accepted, one job.",
         pd_step(text_edit(pd_json("grammar_ok_" + _name),
                           lambda b: b.replace(b'"title":"', b'"title":"\\/ \\u00e9 \\ud83d\\ude00 ', 1)), OK))

NUMBERS: list[tuple[str, bytes, frozenset[str]]] = [
    ("underflow-1e-400", b"1e-400", ACC_REF),
    ("just-past-double", b"1.8e308", REF),
    ("long-integer-5k-digits", b"9" * 5000, REF),
]
for _name, _lit, _expect in NUMBERS:
    case(f"am4-number-{_name}", "alertmanager", "json",
         f"A number literal {_name} in an extra field: in range it is JSON like any other (accepted, or "
         "refused if extra fields are); out of range it is 400 (the documented bound).",
         am_step(text_edit(am_json("number_" + _name), insert_field(b'"h4n":' + _lit)), _expect))

# ============================================================================= Alertmanager: types, times, nesting


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(payload: dict[str, Any]) -> None:
        target: Any = payload
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


def _drop(path: tuple[Any, ...]) -> Callable[[dict[str, Any]], None]:
    def edit(payload: dict[str, Any]) -> None:
        target: Any = payload
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return edit


AM_TYPES: list[tuple[str, tuple[Any, ...], Any, frozenset[str]]] = [
    ("receiver-int", ("receiver",), 7, ACC_REF),
    ("groupkey-nul-bytes", ("groupKey",), "{}:{alertname=\"a\u0000b\"}", ACC_REF),
    ("status-empty", ("status",), "", REF),
    ("status-leading-space", ("status",), " firing", REF),
    ("alert-is-list", ("alerts", 0), ["firing"], REF),
    ("alert-status-resolved-typo", ("alerts", 0, "status"), "resolve", REF),
    ("alert-labels-string", ("alerts", 0, "labels"), "alertname=x", REF),
    ("alert-label-value-bool", ("alerts", 0, "labels", "severity"), True, REF),
    ("alert-annotation-value-float", ("alerts", 0, "annotations", "summary"), 1.5, REF),
    ("alert-startsat-object", ("alerts", 0, "startsAt"), {"seconds": 1}, REF),
    ("alert-startsat-unicode-digits", ("alerts", 0, "startsAt"), "２０２４-０６-０１T１０:００:００Z", REF),
    ("alert-startsat-now-word", ("alerts", 0, "startsAt"), "now", REF),
    ("alert-endsat-list", ("alerts", 0, "endsAt"), ["0001-01-01T00:00:00Z"], REF),
    ("truncated-list", ("truncatedAlerts",), [0], REF),
]
for _name, _path, _value, _expect in AM_TYPES:
    case(f"am4-type-{_name}", "alertmanager", "json",
         f"Alertmanager v4 with {'.'.join(map(str, _path))} set to {json.dumps(_value, ensure_ascii=True)[:40]}: "
         "a field Vigil types is refused 422 naming it; one it may ignore is accepted as is.",
         am_step(am_json("type_" + _name, _set(_path, _value)), _expect))

for _name, _path in [("alert-startsat-missing", ("alerts", 0, "startsAt")), ("top-status-missing", ("status",))]:
    case(f"am4-missing-{_name}", "alertmanager", "json",
         f"Alertmanager v4 without {'.'.join(map(str, _path))}: accepted if Vigil does not need it, else 422.",
         am_step(am_json("missing_" + _name, _drop(_path)), ACC_REF))

TIMES: list[tuple[str, str, frozenset[str]]] = [
    ("lowercase-t-z", "2024-06-01t10:00:00.5z", ACC_REF),
    ("offset-plus-0000", "2024-06-01T10:00:00+00:00", OK),
    ("comma-fraction", "2024-06-01T10:00:00,5Z", ACC_REF),
    ("space-separator", "2024-06-01 10:00:00Z", ACC_REF),
    ("feb-29-non-leap", "2023-02-29T12:00:00Z", REF),
]
for _name, _value, _expect in TIMES:
    case(f"am4-startsat-{_name}", "alertmanager", "json",
         f"startsAt spelled {_value!r}: RFC 3339 allows it (accepted) or it is no RFC 3339 date-time "
         "(422 naming startsAt); where RFC 3339 leaves it optional (lower case, -00:00, comma) either.",
         am_step(am_json("startsat_" + _name, _set(("alerts", 0, "startsAt"), _value)), _expect))


def _nest(depth: int, leaf: Any = 1) -> Any:
    value: Any = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"n": value}
    return value


NESTS: list[tuple[str, tuple[Any, ...], int, frozenset[str]]] = [
    ("extra-depth-25-inside", ("alerts", 0, "h4extra"), 25, ACC_REF),
    ("extra-depth-40-outside", ("alerts", 0, "h4extra"), 40, REF),
    ("annotation-value-depth-35", ("alerts", 0, "annotations", "description"), 35, REF),
]
for _name, _path, _depth, _expect in NESTS:
    case(f"am4-nest-{_name}", "alertmanager", "json",
         f"{_depth} levels of alternating objects and arrays at {'.'.join(map(str, _path))}: past the "
         "documented 32 levels it is 400; inside it, a value of the wrong type is 422 and an extra field is "
         "accepted or refused, never a crash.",
         am_step(am_json("nest_" + _name, _set(_path, _nest(_depth))), _expect))

SIZES: list[tuple[str, Callable[[dict[str, Any]], None], frozenset[str], int]] = [
    ("label-value-500kb", _set(("alerts", 0, "labels", "pod"), "p" * 500_000), ACC_REF, 1),
    ("groupkey-500kb", _set(("groupKey",), "{}:{alertname=\"" + "g" * 500_000 + "\"}"), ACC_REF, 1),
]
for _name, _size_edit, _expect, _n in SIZES:
    case(f"am4-size-{_name}", "alertmanager", "semantic",
         f"A large but under-limit field ({_name}, the body stays under 1 MiB): accepted once or refused "
         "by a documented bound, never a 5xx or a slow answer.",
         am_step(am_json("size_" + _name, _size_edit), _expect, enqueue=_n))


def _twenty(ctx: Ctx) -> bytes:
    alerts = [P.am_alert(alertname(ctx, f"twenty_{i}")) for i in range(20)]
    return P.dumps(P.am_payload(alertname(ctx, "twenty"), alerts=alerts))


case("am4-size-20-names-one-group", "alertmanager", "semantic",
     "One notification grouping 20 alert names: one incident per alert name (docs), so 20 jobs.",
     am_step(_twenty, OK, enqueue=20), am_step(_twenty, IGN))

# ============================================================================= codings and charsets


def _zstd_frame(data: bytes) -> bytes:
    """A zstd frame header followed by the bytes (not decodable: the server must refuse the coding, not decode)."""
    return b"\x28\xb5\x2f\xfd" + data


CODINGS: list[tuple[str, str, Callable[[bytes], bytes], frozenset[str]]] = [
    ("x-gzip", "x-gzip", gzip.compress, REF),
    ("gzip-uppercase", "GZIP", gzip.compress, REF),
    ("raw-deflate", "deflate", lambda b: zlib.compress(b)[2:-4], REF),
    ("zstd", "zstd", _zstd_frame, REF),
    ("gzip-bomb-64mb-chunked", "gzip", lambda b: gzip.compress(b[:-1] + b" " * (64 << 20) + b"}", 9), REF),
]


def _coded(encode_body: Callable[[bytes], bytes], name: str) -> Callable[[Ctx], bytes]:
    return lambda ctx: encode_body(am_json("coding_" + name)(ctx))


for _name, _coding, _encode, _expect in CODINGS:
    _hdr: Headers = (*JSON_H, ("Content-Encoding", _coding))
    case(f"am4-coding-{_name}", "alertmanager", "protocol",
         f"Content-Encoding {_coding!r} as real clients spell it: a compressed body is 415 (docs), "
         "whatever the spelling of the coding's name, and is never decompressed.",
         am_step(_coded(_encode, _name), _expect, headers=_hdr,
                 framing="chunked" if "chunked" in _name else "length"))
case("pd4-coding-gzip-signed-compressed", "pagerduty", "protocol",
     "A gzip body signed over the compressed bytes (a relay that compressed before signing): 415, nothing queued.",
     pd_step(lambda ctx: gzip.compress(pd_json("gz")(ctx)), REF, headers=(*JSON_H, ("Content-Encoding", "gzip"))))
case("sl4-coding-gzip-signed", "slack", "protocol",
     "A Slack event gzip-compressed and signed over the compressed bytes: 415, nothing acted on.",
     sl_step(lambda ctx: gzip.compress(mention_json("gz")(ctx)), REF, headers=(*JSON_H, ("Content-Encoding", "gzip"))))
case("ap4-coding-gzip", "approvals", "protocol",
     "A gzip-compressed approval decision: 415, the request stays pending (approved validly after).",
     ap_step(approval("slack_then_http"), REF, body=gzip.compress(decision()),
             headers=(*JSON_H, ("Content-Encoding", "gzip"))),
     ap_step(approval("slack_then_http"), ACC_IGN))
case("mcp4-coding-x-gzip", "mcp", "protocol",
     "An x-gzip JSON-RPC body: refused, and the session still answers.",
     mcp_step(gzip.compress(rpc_body("tools/list")), REF, headers=(*MCP_H, ("Content-Encoding", "x-gzip"))),
     mcp_step(rpc_body("tools/list"), OK))

CHARSETS: list[tuple[str, str, Callable[[bytes], bytes], frozenset[str]]] = [
    ("utf16-declared-utf8-body", "application/json; charset=utf-16", lambda b: b, ACC_REF),
    ("utf32-undeclared", "application/json", lambda b: b.decode().encode("utf-32-le"), ACC_REF),
    ("us-ascii-over-utf8", "application/json; charset=us-ascii",
     lambda b: b.replace(b"memory above limit", "mémoire über Grenze ✓".encode()), ACC_REF),
    ("media-list", "application/json, text/plain", lambda b: b, ACC_REF),
    ("multipart-json-part", "multipart/form-data; boundary=h4", lambda b: (
        b"--h4\r\nContent-Disposition: form-data; name=\"payload\"\r\nContent-Type: application/json\r\n\r\n"
        + b + b"\r\n--h4--\r\n"), REF),
    ("utf8-bom-declared-utf8", "application/json; charset=utf-8", lambda b: b"\xef\xbb\xbf" + b, ACC_REF),
]
for _name, _ctype, _edit, _expect in CHARSETS:
    case(f"am4-ctype-{_name}", "alertmanager", "protocol",
         f"Content-Type {_ctype!r} (a client or proxy that labels JSON its own way): read as JSON and "
         "accepted, or refused 400/415; never a guess that mangles labels, never a 5xx.",
         am_step(text_edit(am_json("ctype_" + _name), _edit), _expect, headers=(("Content-Type", _ctype),)))
for _name, _ctype in [("text-plain", "text/plain"), ("form", "application/x-www-form-urlencoded")]:
    case(f"pd4-ctype-{_name}", "pagerduty", "protocol",
         f"A signed PagerDuty event labelled {_ctype!r}: taken as the JSON it is, or refused; never queued twice.",
         pd_step(pd_json("ctype_" + _name), ACC_REF, headers=(("Content-Type", _ctype),)))
case("pd4-charset-utf16-body-signed", "pagerduty", "protocol",
     "A PagerDuty event encoded UTF-16 with a BOM, declared so, and signed over those bytes: decoded and "
     "accepted, or refused 400; never a 5xx.",
     pd_step(lambda ctx: pd_json("utf16")(ctx).decode().encode("utf-16"), ACC_REF,
             headers=(("Content-Type", "application/json; charset=utf-16"),)))
case("sl4-ctype-event-as-form", "slack", "protocol",
     "A signed Slack event JSON body labelled application/x-www-form-urlencoded: read as JSON, refused, "
     "or ignored; never a 5xx.",
     sl_step(mention_json("event_as_form"), ANY_ANSWER, headers=FORM_H))
case("sl4-ctype-slash-multipart", "slack", "protocol",
     "A slash command sent as multipart/form-data (Slack never does): refused or ignored, nothing queued.",
     sl_step(lambda ctx: (b"--h4\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\ninvestigate h4 "
                          + ctx.tag.encode() + b"\r\n--h4--\r\n"), IGN_REF,
             headers=(("Content-Type", "multipart/form-data; boundary=h4"),)))
case("sl4-ctype-form-charset-utf16", "slack", "protocol",
     "A slash form declared charset=utf-16 but sent in ASCII: accepted as the ASCII it is, or refused.",
     sl_step(slash_body("form_utf16"), ACC_REF, headers=(
         ("Content-Type", "application/x-www-form-urlencoded; charset=utf-16"),)))

# ============================================================================= HTTP framing (RFC 9110/9112)


def _line(edit: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    """Edit only the request line of the encoded bytes."""
    def apply(data: bytes) -> bytes:
        line, sep, rest = data.partition(b"\r\n")
        return edit(line) + sep + rest
    return apply


def _head_add(extra: bytes) -> Callable[[bytes], bytes]:
    """Insert raw header bytes right after the request line."""
    return lambda data: data.replace(b"\r\n", b"\r\n" + extra, 1)


def _chunked(name: str, body_chunks: Callable[[bytes], bytes]) -> Callable[[Ctx, str], bytes]:
    """An Alertmanager request whose chunked body is written by `body_chunks` from the JSON body."""
    def raw(ctx: Ctx, host: str) -> bytes:
        body = am_json("chunk_" + name)(ctx)
        head = (f"POST {AM} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\n"
                f"Authorization: Bearer {ctx.keys.am_token}\r\nTransfer-Encoding: chunked\r\n\r\n")
        return head.encode() + body_chunks(body)
    return raw


def _chunks(body: bytes, size: int, fmt: str = "{:x}", ext: str = "") -> bytes:
    return b"".join(fmt.format(len(body[i:i + size])).encode() + ext.encode() + b"\r\n" + body[i:i + size] + b"\r\n"
                    for i in range(0, len(body), size))


FRAMES: list[tuple[str, Callable[[bytes], bytes], frozenset[str]]] = [
    ("request-line-tab", _line(lambda line: line.replace(b" ", b"\t")), FRAMING),
    ("request-line-double-space", _line(lambda line: line.replace(b" ", b"  ", 1)), ACC_FRAMING),
    ("header-without-colon", _head_add(b"X-H4 no colon here\r\n"), FRAMING),
    ("header-first-line-folded", _head_add(b" X-H4: folded\r\n"), FRAMING),
    ("content-length-leading-zeros", lambda d: d.replace(b"Content-Length: ", b"Content-Length: 000", 1), ACC_FRAMING),
    ("content-length-trailing-ows", lambda d: d.replace(b"Content-Length: ", b"Content-Length:\t ", 1).replace(
        b"\r\n\r\n", b" \t\r\n\r\n", 1), ACC_FRAMING),
    ("upgrade-websocket", _head_add(b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                                    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), ACC_FRAMING),
    ("method-unknown-token", _line(lambda line: line.replace(b"POST", b"M-POST", 1)), REF),
    ("http10-keepalive", lambda d: d.replace(b"HTTP/1.1\r\n", b"HTTP/1.0\r\n", 1).replace(
        b"Connection: close", b"Connection: keep-alive", 1), ACC_FRAMING),
]
for _name, _edit, _expect in FRAMES:
    case(f"am4-http-{_name}", "alertmanager", "protocol",
         f"RFC 9112 edge: {_name}. A parser may take it or refuse it 400 (or close): never a 5xx, and "
         "queued at most once.",
         mutate(am_step(am_json("http_" + _name), _expect), _edit))

CHUNKINGS: list[tuple[str, Callable[[bytes], bytes], frozenset[str]]] = [
    ("uppercase-hex-sizes", lambda b: _chunks(b, 26, "{:X}") + b"0\r\n\r\n", OK),
    ("leading-zero-sizes", lambda b: _chunks(b, 40, "000{:x}") + b"0000\r\n\r\n", ACC_FRAMING),
    ("one-byte-chunks", lambda b: _chunks(b, 1) + b"0\r\n\r\n", ACC_FRAMING),
    ("last-chunk-extension", lambda b: _chunks(b, 256) + b"0;h4=end\r\n\r\n", ACC_FRAMING),
    ("trailer-content-length", lambda b: _chunks(b, 256) + b"0\r\nContent-Length: 1\r\n\r\n", ACC_FRAMING),
    ("chunk-size-negative", lambda b: b"-1\r\n" + b + b"\r\n0\r\n\r\n", FRAMING),
]
for _name, _make_chunks, _expect in CHUNKINGS:
    case(f"am4-chunked-{_name}", "alertmanager", "protocol",
         f"A chunked body with {_name} (RFC 9112 7.1): decoded and accepted once, or refused / closed; "
         "never a 5xx, never a second request smuggled out of it.",
         Step("POST", AM, _expect, raw=_chunked(_name, _make_chunks),
              enqueue_any=frozenset({0, 1}) if _expect != OK else None))

case("am4-http-content-length-zero-then-body", "alertmanager", "protocol",
     "Content-Length: 0 followed by a whole JSON body (a client that computed the length before filling the "
     "body): the empty request is refused 400; the leftover bytes are garbage, never a job.",
     mutate(am_step(am_json("cl0"), frozenset({REFUSED, CLOSED}), enqueue_any=frozenset({0})),
            lambda d: d.replace(b"Connection: close\r\n", b"", 1).replace(
                b"Content-Length: ", b"Content-Length: 0\r\nX-H4-Old-Length: ", 1)))
case("pd4-http10-signed", "pagerduty", "protocol",
     "A signed PagerDuty event over HTTP/1.0 with Content-Length (an old relay): accepted once.",
     mutate(pd_step(pd_json("http10"), ACC_FRAMING), lambda d: d.replace(b"HTTP/1.1\r\n", b"HTTP/1.0\r\n", 1)))
case("pd4-http-expect-100-signed", "pagerduty", "control",
     "A signed PagerDuty event with Expect: 100-continue: accepted once (the server may send 100 first).",
     pd_step(pd_json("expect100"), OK, headers=(*JSON_H, ("Expect", "100-continue"))))

# ============================================================================= PagerDuty v3


def _pd_sig_list(entries: Callable[[str], str]) -> Callable[[bytes, Ctx], list[tuple[str, str]]]:
    """X-PagerDuty-Signature built from the valid `v1=...` entry by `entries`."""
    return lambda body, ctx: [("X-PagerDuty-Signature", entries(P.pd_sig(ctx.keys.pd_secrets[0], body)))]


PD_SIGS: list[tuple[str, Callable[[str], str], frozenset[str]]] = [
    ("same-entry-twice", lambda v: f"{v},{v}", OK),
    ("empty-entry-between", lambda v: f"v1={'a' * 64},,{v}", ACC_REF),
    ("valid-after-garbage", lambda v: f"garbage,v1=,v1,=,{v}", ACC_REF),
    ("100-bad-then-valid", lambda v: ",".join([f"v1={'f' * 64}"] * 100 + [v]), ACC_REF),
]
for _name, _entries, _expect in PD_SIGS:
    case(f"pd4-sig-{_name}", "pagerduty", "auth",
         f"X-PagerDuty-Signature spelled {_name}: PagerDuty documents a comma-separated list of v1= entries, "
         "any of which may verify; entries that do not parse are not signatures.",
         pd_step(pd_json("sig_" + _name), _expect, sign=_pd_sig_list(_entries)))


def _pd_with_secret(secret: Callable[[Ctx], str]) -> Callable[[bytes, Ctx], list[tuple[str, str]]]:
    return lambda body, ctx: [("X-PagerDuty-Signature", P.pd_sig(secret(ctx), body))]


case("pd4-sig-secret-trailing-newline", "pagerduty", "auth",
     "Signed with the secret plus a newline (a secret file read with its newline on the sender's side): 401.",
     pd_step(pd_json("sig_nl"), REF, sign=_pd_with_secret(lambda ctx: ctx.keys.pd_secrets[0] + "\n")))
case("pd4-sig-secret-uppercased", "pagerduty", "auth",
     "Signed with the secret upper-cased: 401 (a secret is bytes, not case-insensitive).",
     pd_step(pd_json("sig_upper"), REF, sign=_pd_with_secret(lambda ctx: ctx.keys.pd_secrets[0].upper())))
case("pd4-sig-second-secret-only-then-first", "pagerduty", "auth",
     "While rotating: an event signed with the new secret only, then another with the old one only: both "
     "accepted (docs: either secret verifies while rotating).",
     pd_step(pd_json("rot_new"), OK, sign=_pd_with_secret(lambda ctx: ctx.keys.pd_secrets[1])),
     pd_step(pd_json("rot_old"), OK, sign=_pd_with_secret(lambda ctx: ctx.keys.pd_secrets[0])))
case("pd4-sig-sha512", "pagerduty", "auth",
     "An HMAC-SHA512 digest under v1=: not PagerDuty's scheme, 401.",
     pd_step(pd_json("sig_512"), REF, sign=lambda body, ctx: [("X-PagerDuty-Signature", "v1=" + hmac.new(
         ctx.keys.pd_secrets[0].encode(), body, hashlib.sha512).hexdigest())]))
case("pd4-sig-over-empty-body", "pagerduty", "auth",
     "A signature of the empty body sent with a full body: 401.",
     pd_step(pd_json("sig_empty"), REF, sign=lambda body, ctx: [("X-PagerDuty-Signature", P.pd_sig(
         ctx.keys.pd_secrets[0], b""))]))

PD_TYPES = ["incident", ".triggered", "incident.triggered\u0000", "incident.trigger",
            "incident.triggered\u200b"]
for _i, _etype in enumerate(PD_TYPES):
    case(f"pd4-type-near-known-{_i:02d}", "pagerduty", "semantic",
         f"event_type {_etype!r}, close to a known type but not one: acknowledged and ignored or refused 422, "
         "never started as an investigation.",
         pd_step(pd_json(f"type_{_i}", _set(("event", "event_type"), _etype)), IGN_REF))

PD_OCCURRED: list[tuple[str, str, frozenset[str]]] = [
    ("empty", "", REF),
    ("millis-string", "1717236000000", REF),
]
for _name, _value, _expect in PD_OCCURRED:
    case(f"pd4-occurred-{_name}", "pagerduty", "semantic",
         f"occurred_at {_value!r}: not an ISO 8601 date-time PagerDuty would send, refused (400/422).",
         pd_step(pd_json("occ_" + _name, _set(("event", "occurred_at"), _value)), _expect))
case("pd4-occurred-space-separator", "pagerduty", "semantic",
     "occurred_at with a space for T (ISO 8601 allows it by agreement) and the current time: accepted or "
     "refused, never a 5xx.",
     pd_step(lambda ctx: pd_json("occ_space", _set(("event", "occurred_at"), P.rfc3339(-5, ctx.now)[:23].replace(
         "T", " ") + "Z"))(ctx), ACC_REF))

PD_DATA: list[tuple[str, Callable[[dict[str, Any]], None], frozenset[str]]] = [
    ("data-id-null", _set(("event", "data", "id"), None), REF),
    ("data-service-missing", _drop(("event", "data", "service")), ACC_REF),
    ("data-title-missing", _drop(("event", "data", "title")), ACC_REF),
    ("agent-null", _set(("event", "agent"), None), OK),
    ("number-1e400", lambda p: None, REF),
    ("number-2-pow-64", _set(("event", "data", "number"), 2 ** 64), ACC_REF),
    ("event-id-with-slash", lambda p: p["event"].update(id=p["event"]["id"][:10] + "/" + p["event"]["id"][11:]), REF),
]
for _name, _pd_edit, _expect in PD_DATA:
    _body = pd_json("data_" + _name, _pd_edit)
    if _name == "number-1e400":
        _body = text_edit(pd_json("data_" + _name), lambda b: b.replace(b'"number":2', b'"number":1e400', 1))
    case(f"pd4-{_name}", "pagerduty", "semantic",
         f"A signed triggered event with {_name}: what Vigil needs (event.id, data.id) must be there and well "
         "formed (422 otherwise); what it does not need may be absent or odd.",
         pd_step(_body, _expect))

# ============================================================================= Slack

case("sl4-ts-exactly-300-past", "slack", "auth",
     "A signed mention whose timestamp is exactly 300 s old: on the five-minute edge, accepted or 401; "
     "never a 5xx.",
     sl_step(mention_json("ts_300_past"), ACC_REF, auth=None,
             sign=lambda b, ctx: P.slack_headers(b, ctx, ts_offset=-300)))
case("sl4-ts-exactly-300-ahead", "slack", "auth",
     "A signed mention timestamped exactly 300 s ahead: accepted or 401.",
     sl_step(mention_json("ts_300_ahead"), ACC_REF, auth=None,
             sign=lambda b, ctx: P.slack_headers(b, ctx, ts_offset=300)))
for _name, _spell in [("leading-space", lambda t: " " + t), ("unicode-digits", lambda t: t.translate(
        str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")))]:
    def _ts_sign(body: bytes, ctx: Ctx, spell: Callable[[str], str] = _spell) -> list[tuple[str, str]]:
        ts = spell(str(int(ctx.now)))
        return [("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", P.slack_sig(ctx.keys.slack_secret, ts, body))]
    case(f"sl4-ts-spelled-{_name}", "slack", "auth",
         f"X-Slack-Request-Timestamp spelled with {_name}, signed over that exact spelling: not the decimal "
         "seconds Slack sends, 401 (or accepted once if read as the same instant); never a 5xx.",
         sl_step(mention_json("ts_" + _name), ACC_REF, auth=None, sign=_ts_sign))

case("sl4-replay-signature-new-body", "slack", "auth",
     "A captured signature and timestamp reused on a different body: 401.",
     sl_step(mention_json("replay_sig_a"), OK),
     sl_step(mention_json("replay_sig_b"), REF, auth=None,
             sign=lambda b, ctx: P.slack_headers(mention_json("replay_sig_a")(ctx), ctx)))
case("sl4-replay-exact-retry", "slack", "auth",
     "A mention accepted, Slack's retry of it (joins), then that retry's exact bytes again (a replay of a "
     "retry, signature and X-Slack-Retry-Num included): 409 or joins the job, never a second job.",
     sl_step(mention_json("replay_retry"), OK),
     sl_step(mention_json("replay_retry"), IGN, headers=_slack_retry(1, "http_timeout")),
     replace(sl_step(mention_json("replay_retry"), IGN_REF, headers=_slack_retry(1, "http_timeout")),
             replay_previous=True))

FORM_EDITS: list[tuple[str, Callable[[bytes], bytes], frozenset[str]]] = [
    ("empty-key", lambda b: b"=h4&" + b, ACC_REF),
    ("bare-key", lambda b: b"h4flag&" + b, ACC_REF),
    ("percent-encoded-key", lambda b: b.replace(b"text=", b"%74ext=", 1), ACC_REF),
    ("1000-extra-fields", lambda b: b + b"".join(b"&x%d=%d" % (i, i) for i in range(1000)), ACC_REF),
]
for _name, _edit, _expect in FORM_EDITS:
    case(f"sl4-form-{_name}", "slack", "semantic",
         f"A signed slash command whose form has {_name} (application/x-www-form-urlencoded as browsers and "
         "proxies write it): taken as one command (queued once) or refused; never a 5xx.",
         sl_step(slash_body("form_" + _name, raw=_edit), _expect, headers=FORM_H))

CLICK_TYPES: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("action-is-string", _set(("actions", 0), "approve")),
    ("value-object", _set(("actions", 0, "value"), {"id": "x"})),
    ("user-null", _set(("user",), None)),
    ("user-id-number", _set(("user", "id"), 12345)),
    ("state-values-deep", _set(("state",), {"values": _nest(40)})),
]
for _name, _click_edit in CLICK_TYPES:
    case(f"sl4-click-{_name}", "slack", "json",
         f"A signed block_actions click with {_name}: a field of the wrong JSON type inside payload= is a 4xx "
         "(or an acknowledgement that changes nothing), nothing decided.",
         sl_step(click_body(_click_edit), IGN_REF, headers=FORM_H))

CHALLENGES: list[tuple[str, Any]] = [
    ("empty", ""), ("script", "</script><script>alert(1)</script>"),
    ("percent", "%0d%0aSet-Cookie:%20h4=1"),
]
for _name, _value in CHALLENGES:
    case(f"sl4-url-verification-{_name}", "slack", "semantic",
         f"A signed url_verification whose challenge is {_name}: echoed as data (never as markup or a header) "
         "or refused; nothing queued.",
         sl_step(P.dumps({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": _value, "type": "url_verification"}),
                 IGN_REF))

case("sl4-app-rate-limited-plain", "slack", "semantic",
     "Slack's app_rate_limited notice as documented: 200, ignored, nothing queued.",
     sl_step(lambda ctx: P.dumps({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "type": "app_rate_limited", "team_id": P.TEAM,
                                  "minute_rate_limited": int(ctx.now) // 60 * 60, "api_app_id": P.APP}), IGN,
             status=frozenset({200})))
case("sl4-app-rate-limited-retried", "slack", "semantic",
     "app_rate_limited delivered as a retry (X-Slack-Retry-Num 2): still ignored.",
     sl_step(lambda ctx: P.dumps({"token": "x", "type": "app_rate_limited", "team_id": P.TEAM,
                                  "minute_rate_limited": -1, "api_app_id": P.APP}), IGN_REF,
             headers=_slack_retry(2, "http_timeout")))
case("sl4-app-rate-limited-with-event", "slack", "semantic",
     "app_rate_limited carrying an app_mention event (a forged envelope): ignored or refused, the event is "
     "not acted on.",
     sl_step(lambda ctx: P.dumps({**mention(ctx, "rl_event"), "type": "app_rate_limited"}), IGN_REF))


def _unsubscribed(etype: str) -> Callable[[Ctx], bytes]:
    return lambda ctx: P.dumps(P.slack_event(ctx, "h4" + etype, event={
        "type": etype, "user": P.USER, "channel": P.CHANNEL, "event_ts": f"{int(ctx.now)}.000100"}))


for _etype in ["link_shared", "app_home_opened", "function_executed"]:
    case(f"sl4-event-unsubscribed-{_etype.replace('_', '-')}", "slack", "semantic",
         f"A signed {_etype} event (a subscription Vigil's manifest does not ask for): 200 ignored, "
         "nothing queued (Slack disables subscriptions that fail).",
         sl_step(_unsubscribed(_etype), IGN))
case("sl4-event-im-message", "slack", "semantic",
     "A direct message to the bot (message.im): investigated like a mention, ignored, or refused; queued "
     "at most once.",
     sl_step(lambda ctx: P.dumps(P.slack_event(ctx, "h4im", event={
         "type": "message", "channel_type": "im", "user": P.USER, "channel": "D024BE91L",
         "text": f"h4 im {ctx.tag} pods crashlooping", "ts": f"{int(ctx.now)}.000200",
         "event_ts": f"{int(ctx.now)}.000200"})), ANY_ANSWER))

# ============================================================================= MCP streamable HTTP

_SESSIONS: dict[str, dict[str, str]] = {}


def _fresh_session(ctx: Ctx, host: str, key: str) -> str:
    """Open (once per run and key) a second MCP session over its own connection, so a case may delete it
    without touching the session every other case uses."""
    store = _SESSIONS.setdefault(ctx.tag, {})
    if key not in store:
        address, _, port = host.rpartition(":")
        init = Step("POST", "/mcp", OK, P.dumps(P.initialize()), headers=MCP_H, auth="mcp")
        reply = exchange(address, int(port), encode(init, ctx, host))
        session = reply.header("mcp-session-id") or "h4-no-session"
        note = Step("POST", "/mcp", IGN, P.dumps(P.rpc("notifications/initialized", id_=None)), headers=MCP_H,
                    auth=None, sign=lambda b, c: [("Authorization", f"Bearer {c.keys.mcp_token}"),
                                                  ("Mcp-Session-Id", session),
                                                  ("MCP-Protocol-Version", c.mcp_protocol)])
        exchange(address, int(port), encode(note, ctx, host))
        store[key] = session
    return store[key]


def _on_fresh(step: Step, key: str) -> Step:
    """`step` sent on the fresh session `key` (opened first if need be)."""
    inner = replace(step, raw=None, auth=None)

    def raw(ctx: Ctx, host: str) -> bytes:
        session = _fresh_session(ctx, host, key)
        signed = replace(inner, sign=lambda b, c: [("Authorization", f"Bearer {c.keys.mcp_token}"),
                                                   ("Mcp-Session-Id", session),
                                                   ("MCP-Protocol-Version", c.mcp_protocol)])
        return encode(signed, ctx, host)
    return replace(step, raw=raw)


_DELETE = Step("DELETE", "/mcp", IGN_REF, b"", headers=(), framing="none")
case("mcp4-delete-fresh-session-twice", "mcp", "semantic",
     "A second session: tools/list, DELETE (200/204, or 405 if the server keeps sessions), DELETE again "
     "(404 or 405), then tools/list on it (404 if deleted); the runner's main session still answers.",
     _on_fresh(mcp_step(rpc_body("tools/list"), OK), "del2"),
     _on_fresh(_DELETE, "del2"),
     _on_fresh(replace(_DELETE, expect=IGN_REF), "del2"),
     _on_fresh(mcp_step(rpc_body("tools/list"), ACC_REF), "del2"),
     mcp_step(rpc_body("tools/list"), OK))
case("mcp4-delete-with-body", "mcp", "semantic",
     "DELETE of a fresh session carrying a JSON-RPC body (a client that reuses its POST builder): the body "
     "is not executed; the DELETE is answered like any other.",
     _on_fresh(replace(_DELETE, body=rpc_body("tools/list"), headers=JSON_H, framing="length",
                       expect=IGN_REF), "delbody"),
     mcp_step(rpc_body("tools/list"), OK))
case("mcp4-session-case-changed", "mcp", "semantic",
     "The session id with its letters' case swapped: another id, 404 (or 400), not the session.",
     mcp_step(rpc_body("tools/list"), REF, auth=None, sign=lambda b, ctx: [
         ("Authorization", f"Bearer {ctx.keys.mcp_token}"), ("Mcp-Session-Id", ctx.mcp_session.swapcase()
                                                             if ctx.mcp_session.swapcase() != ctx.mcp_session
                                                             else ctx.mcp_session + "x"),
         ("MCP-Protocol-Version", ctx.mcp_protocol)]))
case("mcp4-session-empty-value", "mcp", "semantic",
     "An empty Mcp-Session-Id on a non-initialize request: 400 or 404.",
     mcp_step(rpc_body("tools/list"), REF, auth=None, sign=lambda b, ctx: [
         ("Authorization", f"Bearer {ctx.keys.mcp_token}"), ("Mcp-Session-Id", ""),
         ("MCP-Protocol-Version", ctx.mcp_protocol)]))
case("mcp4-session-uuid-random", "mcp", "semantic",
     "A well-formed UUID no server issued: 404.",
     mcp_step(rpc_body("tools/list"), REF, auth=None, sign=lambda b, ctx: [
         ("Authorization", f"Bearer {ctx.keys.mcp_token}"), ("Mcp-Session-Id", "3f9c1e2a-4b5d-4c6e-8f70-8192a3b4c5d6"),
         ("MCP-Protocol-Version", ctx.mcp_protocol)]))

for _name, _version in [("2-0-0", "2.0.0"), ("empty", ""), ("list", ["2.0"])]:
    case(f"mcp4-jsonrpc-{_name}", "mcp", "json",
         f"jsonrpc {json.dumps(_version, ensure_ascii=True)}: JSON-RPC 2.0 requires exactly \"2.0\", so an "
         "Invalid Request error (-32600) and the session survives.",
         mcp_step(P.dumps({"jsonrpc": _version, "id": 7, "method": "tools/list"}), REF),
         mcp_step(rpc_body("tools/list"), OK), outside=SDK)

for _i, _method in enumerate(["tools/list ", "TOOLS/LIST", "tools/list/", "$/cancelRequest",
                              "tools/\u200blist", ""]):
    case(f"mcp4-method-odd-{_i:02d}", "mcp", "json",
         f"Method {_method!r}: not a method the server has, JSON-RPC -32601 (or -32600), never a 5xx.",
         mcp_step(rpc_body(_method), REF), outside=SDK)

for _name, _params, _expect in [("null", None, ACC_REF),
                                ("cursor-bogus", {"cursor": "h4-not-a-cursor"}, ACC_REF)]:
    _msg: dict[str, Any] = {"jsonrpc": "2.0", "id": 9, "method": "tools/list", "params": _params}
    case(f"mcp4-list-params-{_name}", "mcp", "json",
         f"tools/list with params {json.dumps(_params)}: answered, or an Invalid Params error; never a 5xx.",
         mcp_step(P.dumps(_msg), _expect), outside=SDK)

for _name, _method in [("resources-list", "resources/list"), ("logging-set-level", "logging/setLevel")]:
    case(f"mcp4-capability-{_name}", "mcp", "semantic",
         f"{_method}, a method of a capability the investigate server may not declare: answered if it does, "
         "else Method not found; the session survives.",
         mcp_step(rpc_body(_method, {"level": "debug"} if "Level" in _method else None), ACC_REF),
         mcp_step(rpc_body("tools/list"), OK), outside=SDK)


def _call(arguments: Any, name: Any = "investigate") -> bytes:
    return rpc_body("tools/call", {"name": name, "arguments": arguments})


CALLS: list[tuple[str, bytes]] = [
    ("question-32001", _call({"question": "q" * 32_001})),
    ("labels-65", _call({"question": "h4 why", "labels": {f"l{i}": "v" for i in range(65)}})),
    ("label-value-4097", _call({"question": "h4 why", "labels": {"namespace": "v" * 4097}})),
    ("arguments-null", rpc_body("tools/call", {"name": "investigate", "arguments": None})),
    ("name-trailing-space", _call({"question": "h4 why"}, "investigate ")),
    ("payload-over-4mib", _call({"h4pad": "x" * (5 << 20)})),
]
for _name, _call_body in CALLS:
    case(f"mcp4-call-{_name}", "mcp", "semantic",
         f"tools/call investigate with {_name}: past the documented schema bounds or of the wrong type, so a "
         "tool error naming the field (isError), a JSON-RPC error, or 400/413; nothing investigated.",
         mcp_step(_call_body, REF), outside=SDK)

for _name, _id, _expect in [("zero", 0, OK), ("exponent", "1e3", ACC_REF), ("nul-string", "a\u0000b", ACC_REF)]:
    _idb = b"1e3" if _id == "1e3" else json.dumps(_id).encode()
    case(f"mcp4-id-{_name}", "mcp", "json",
         f"A request id {_name}: a string or integer is echoed back; a number with an exponent may be refused "
         "(-32600) as not an integer.",
         mcp_step(b'{"jsonrpc":"2.0","id":' + _idb + b',"method":"tools/list"}', _expect), outside=SDK)

for _name, _method, _expect in [("options", "OPTIONS", IGN_REF_REDIRECT), ("head", "HEAD", IGN_REF_REDIRECT),
                                ("patch", "PATCH", REF)]:
    case(f"mcp4-method-http-{_name}", "mcp", "protocol",
         f"HTTP {_method} /mcp (a CORS preflight, a health probe, a confused client): answered or 405, never "
         "a 5xx; the session survives.",
         Step(_method, "/mcp", _expect, rpc_body("tools/list") if _method == "PATCH" else b"",
              headers=MCP_H if _method == "PATCH" else (("Origin", "http://127.0.0.1"),
                                                       ("Access-Control-Request-Method", "POST")),
              auth="mcp_session", framing="length" if _method == "PATCH" else "none"),
         mcp_step(rpc_body("tools/list"), OK))
case("mcp4-trailing-slash", "mcp", "protocol",
     "POST /mcp/ (a base URL with a trailing slash): a redirect to /mcp, or 404/405; nothing executed twice.",
     Step("POST", "/mcp/", frozenset({ACCEPTED, REFUSED, REDIRECT}), rpc_body("tools/list"), headers=MCP_H,
          auth="mcp_session"))
case("mcp4-ctype-json-rpc", "mcp", "protocol",
     "Content-Type application/json-rpc (an older JSON-RPC convention): refused 415, or read as JSON.",
     mcp_step(rpc_body("tools/list"), ACC_REF, headers=(("Content-Type", "application/json-rpc"),
                                                        ("Accept", "application/json, text/event-stream"))),
     outside=SDK)
case("mcp4-protocol-version-2025-03-26", "mcp", "semantic",
     "MCP-Protocol-Version 2025-03-26 (the previous revision) on an established session: answered, or "
     "refused 400 if the server holds the negotiated version; never a 5xx.",
     mcp_step(rpc_body("tools/list"), ACC_REF, auth=None, sign=lambda b, ctx: [
         ("Authorization", f"Bearer {ctx.keys.mcp_token}"), ("Mcp-Session-Id", ctx.mcp_session),
         ("MCP-Protocol-Version", "2025-03-26")]), outside=SDK)
case("mcp4-batch-one-valid", "mcp", "json",
     "A batch holding one valid tools/list (2025-03-26 allowed batches, 2025-06-18 dropped them): answered "
     "or refused; the session survives.",
     mcp_step(b"[" + rpc_body("tools/list") + b"]", ACC_REF), mcp_step(rpc_body("tools/list"), OK), outside=SDK)
case("mcp4-batch-duplicate-ids", "mcp", "json",
     "A batch of two requests with the same id: refused or answered, never a 5xx.",
     mcp_step(b"[" + rpc_body("tools/list", id_=5) + b"," + rpc_body("ping", id_=5) + b"]", ACC_REF), outside=SDK)
case("mcp4-ctl-after-all", "mcp", "control",
     "After every hostile MCP request above, the runner's session still lists tools.",
     mcp_step(rpc_body("tools/list", id_=99), OK))

# ============================================================================= approvals

APPROVERS: list[tuple[str, str]] = [
    ("201-chars", "a" * 201),
    ("200-chars-not-approver", "b" * 200),
    ("trailing-space", "alice "),
]
for _name, _who in APPROVERS:
    case(f"ap4-approver-{_name}", "approvals", "semantic",
         f"approver {_name}: a bad identity is 422, a good one not in approval.approvers is 403; either way the "
         "request stays pending (the next case proves it).",
         ap_step(approval("withdraw"), REF, body=decision(_who)))
case("ap4-approver-bounds-left-it-pending", "approvals", "semantic",
     "After every refused approver above, the request is still pending: carol (its requester) may withdraw "
     "it (docs: the requester may always deny), or alice denies it; then it is decided.",
     ap_step(approval("withdraw", "deny"), ACC_IGN, body=decision("carol")),
     ap_step(approval("withdraw", "deny"), REF, body=decision("carol")))

AP_PATHS: list[tuple[str, Callable[[Ctx], str]]] = [
    ("double-encoded-slash", lambda ctx: f"/approvals/{ctx.approvals.get('self_high', 'x')}%252Fapprove"),
    ("dotdot-semicolon", lambda ctx: f"/approvals/..;/approvals/{ctx.approvals.get('self_high', 'x')}/approve"),
    ("deny-then-dotdot-approve", lambda ctx: f"/approvals/{ctx.approvals.get('self_high', 'x')}/deny/../approve"),
    ("verb-nul", lambda ctx: f"/approvals/{ctx.approvals.get('self_high', 'x')}/approve%00"),
    ("method-override-query", lambda ctx: f"/approvals/{ctx.approvals.get('self_high', 'x')}/approve?_method=deny"),
    ("id-percent-encoded-first-char", lambda ctx: "/approvals/%{:02X}{}/approve".format(
        ord(ctx.approvals.get('self_high', 'x')[0]), ctx.approvals.get('self_high', 'x')[1:])),
]
for _name, _ap_path in AP_PATHS:
    case(f"ap4-path-{_name}", "approvals", "semantic",
         f"An approval URL with {_name}: refused (400/404/405), or, where it decodes to the same request under "
         "RFC 3986's equivalence, decided by the same rule (a self-approval of a high-risk request by its "
         "requester is 403).",
         ap_step(_ap_path, REF, body=decision("alice")))
case("ap4-path-tricks-left-it-pending", "approvals", "semantic",
     "After every path trick above, the high-risk request is still pending: alice (its requester) is refused "
     "403 self_approval, not 409.",
     ap_step(approval("self_high"), REF, body=decision("alice"), status=frozenset({403})))
case("ap4-list-proxy-conditional", "approvals", "protocol",
     "GET /approvals through a cache: If-None-Match, Range and Accept: text/html; a 200 list, a 304 or a "
     "refusal, never a 5xx.",
     Step("GET", "/approvals", IGN_REF_REDIRECT, b"", headers=(("If-None-Match", "*"), ("Range", "bytes=0-10"),
                                                               ("Accept", "text/html")), auth="api", framing="none"))
case("ap4-get-single", "approvals", "protocol",
     "GET /approvals/{id} (a client expecting a REST resource): 404 or 405, JSON.",
     dyn_path(Step("GET", "/", REF, b"", headers=(), auth="api", framing="none"),
              lambda ctx: f"/approvals/{ctx.approvals.get('expired', 'x')}"))
case("ap4-expired-with-proxy-headers", "approvals", "semantic",
     "An expired request approved through a proxy that adds X-Forwarded-*: still 409.",
     ap_step(approval("expired"), REF,
             headers=(*JSON_H, ("X-Forwarded-For", "127.0.0.1"), ("X-Forwarded-Proto", "https")),
             status=frozenset({409})))
case("ap4-used-and-decided-retried", "approvals", "semantic",
     "A retry storm on already-decided and already-used requests (3 each): 409 every time.",
     *[ap_step(approval(role), REF, status=frozenset({409})) for role in ("decided", "used") for _ in range(3)])
case("ap4-ctl-list", "approvals", "control",
     "The approvals list answers 200 after everything above.",
     Step("GET", "/approvals", IGN, b"", headers=(), auth="api", framing="none"))

# ============================================================================= controls at the end

case("am4-ctl-after-all", "alertmanager", "control",
     "After every hostile request in this round, a plain Alertmanager notification is accepted once.",
     am_step(am_json("ctl_after_all"), OK))
case("pd4-ctl-after-all", "pagerduty", "control",
     "After every hostile request, a plain signed PagerDuty triggered event is accepted once.",
     pd_step(pd_json("ctl_after_all"), OK))
case("sl4-ctl-after-all", "slack", "control",
     "After every hostile request, a plain signed mention is acted on once.",
     sl_step(mention_json("ctl_after_all"), OK))

CASES: tuple[Case, ...] = tuple(CASES_LIST)
assert len({c.name for c in CASES}) == len(CASES), "case names must be unique"
assert ANY_SAFE >= ANY_ANSWER
