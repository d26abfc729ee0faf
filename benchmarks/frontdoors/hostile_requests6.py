"""The sixth blind hostile catalogue: state and sequence across Vigil's front doors and time, plus what
rounds 1 to 5 likely left out, each step with the class of answer the public specifications and
docs/frontdoors.md say it must get.

Written before reading agent/server/, guardrails/ or the tests, and knowing of rounds 1 to 5 only their
module docstrings and case names. This round's emphasis is that a door's answer depends on what came
before it:

- an Alertmanager alert's whole lifecycle: firing, re-fired with the same fingerprint, resolved before it
  fired, resolved twice, firing again after resolved, a group that grows and shrinks, and malformed
  notifications in between that must leave the accepted state as it was (a redelivery afterwards still
  joins, never starts a second investigation);
- PagerDuty v3 incident lifecycles (triggered, acknowledged, escalated, reassigned, priority_updated,
  annotated, resolved, reopened, unacknowledged) out of order and duplicated;
- Slack commands and clicks on jobs and approvals that do not exist, belong to another request, or are
  already decided; Events API retries joining the first job;
- approvals decided for another request's id, replayed byte for byte after being decided, expired,
  withdrawn, and decided across Slack and HTTP;
- load within one client's ability: many distinct alert names in one group, an alert with a thousand
  labels, bodies one byte either side of the documented 1 MiB bound, concurrent bursts of small requests
  (each answered 2xx, or 429 with Retry-After and then accepted on retry; never a 5xx; every accepted one
  is in the queue afterwards);
- body and media types at every door: NDJSON, YAML, multipart, text/plain carrying JSON, charset
  parameters, Content-Length shorter or longer than the body (the client half-closes, so a server waiting
  for the rest sees the end);
- operational endpoints (health, metrics, the root path, unknown paths, methods a route does not take);
- the MCP `investigate` tool called with each argument of the wrong JSON type in turn, unknown tools,
  resources and prompts, and a long call abandoned by its client and then cancelled.

Concurrent cases need traffic the runner's one-request steps cannot express, so their step's `raw`
builder does it first (on its own sockets, in threads, against the same door) and checks the promise
itself: no 5xx, a 429 only with Retry-After, exactly the documented number of new jobs (read from
`/metrics`). It then returns the step's own request (a redelivery, whose class proves what the burst left
behind); when its own check failed it returns instead `GET /__hostile6_side_check_failed__/<what>`, a 404
that the step does not allow, so a failed burst shows up in the runner's report under the case's name.

Every body that should be accepted names a unique incident per case and per run (the run's tag is in
every alert name, PagerDuty incident id and Slack text). Where the sources leave the answer open a step
allows several classes; the runner still checks no 5xx, nothing enqueued unless accepted, and the exact
job count when accepted.

    CASES: tuple[Case, ...]   # .venv/bin/python benchmarks/frontdoors/run_hostile.py --catalogue 6
"""

from __future__ import annotations

import gzip
import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from benchmarks.frontdoors import hostile_payloads as P
from benchmarks.frontdoors.hostile_client import exchange
from benchmarks.frontdoors.hostile_model import (
    ACCEPTED,
    CLOSED,
    FRAMING,
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

CASES_LIST: list[Case] = []

AM_PATH, PD_PATH, SLACK_PATH, MCP_PATH = "/webhooks/alertmanager", "/webhooks/pagerduty", "/slack/events", "/mcp"
JSON_CT: Headers = (("Content-Type", "application/json"),)
FORM_CT: Headers = (("Content-Type", "application/x-www-form-urlencoded"),)
MCP_HEADERS: Headers = (("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"))
ACC = frozenset({ACCEPTED})
IGN = frozenset({IGNORED})
ACC_OR_IGN = frozenset({ACCEPTED, IGNORED})
ACC_OR_REF = frozenset({ACCEPTED, REFUSED})
ANY_ANSWER = frozenset({ACCEPTED, IGNORED, REFUSED})
ONE_MIB = 1024 * 1024
P_Signer = Callable[[bytes, Ctx], list[tuple[str, str]]]


def add(name: str, door: str, group: str, why: str, *steps: Step, outside: str = "") -> None:
    """Register a case; a name used twice is a bug in this file, not a case."""
    if any(c.name == name for c in CASES_LIST):
        raise ValueError(f"duplicate case name {name}")
    CASES_LIST.append(Case(name=name, door=door, group=group, why=why, steps=tuple(steps), outside=outside))


# ----------------------------------------------------------------------------- shared builders

_MEMO: dict[tuple[str, str], bytes] = {}
_STAMPS: dict[tuple[str, str], str] = {}


def memo(key: str, build: Callable[[Ctx], bytes]) -> Callable[[Ctx], bytes]:
    """The same bytes every time within one run, so later steps can resend a body built at an earlier
    clock (a Slack retry must carry its original's body; a redelivery must be the same notification)."""

    def body(ctx: Ctx) -> bytes:
        slot = (ctx.tag, key)
        if slot not in _MEMO:
            _MEMO[slot] = build(ctx)
        return _MEMO[slot]

    return body


def an(ctx: Ctx, key: str) -> str:
    """An alert name unique to this case and run (Prometheus label-name safe, no spaces)."""
    return f"Hc6{key}{ctx.tag}"


def alert(ctx: Ctx, key: str, status: str = "firing", **labels: str) -> dict[str, Any]:
    return P.am_alert(an(ctx, key), status, **labels)


def am_doc(ctx: Ctx, key: str, alerts: list[dict[str, Any]], status: str = "firing",
           **top: Any) -> dict[str, Any]:
    """A v4 notification for the group named by `key`; its groupKey stays the group's whatever alerts it
    holds, as Alertmanager sends one group's notifications."""
    return P.am_payload(an(ctx, key), status, alerts=alerts, **top)


def am_simple(key: str, status: str = "firing", **top: Any) -> Callable[[Ctx], bytes]:
    return lambda ctx: P.dumps(am_doc(ctx, key, [alert(ctx, key, status)], status, **top))


def am(body: Body, expect: frozenset[str], enqueue: int = 1, **kw: Any) -> Step:
    return Step("POST", AM_PATH, expect, body, auth="am", enqueue=enqueue, **kw)


def am_mutated(key: str, mutate: Callable[[dict[str, Any]], None]) -> Callable[[Ctx], bytes]:
    def body(ctx: Ctx) -> bytes:
        doc = am_doc(ctx, key, [alert(ctx, key)])
        mutate(doc)
        return P.dumps(doc)

    return body


def incident(ctx: Ctx, key: str) -> str:
    return "P" + P.uid(ctx, "hc6-incident:" + key, 6)


def pd_body(key: str, step: str, event_type: str = "incident.triggered", age_s: float = 5.0,
            mutate: Callable[[dict[str, Any]], None] | None = None) -> Callable[[Ctx], bytes]:
    """A v3 event for incident `key`; `step` makes its event id unique within the lifecycle."""

    def body(ctx: Ctx) -> bytes:
        doc = P.pd_event(ctx, f"hc6:{key}:{step}", event_type, age_s, incident=incident(ctx, key))
        if mutate is not None:
            mutate(doc)
        return P.dumps(doc)

    return body


def pd(body: Body, expect: frozenset[str], enqueue: int = 1, **kw: Any) -> Step:
    return Step("POST", PD_PATH, expect, body, auth="pd", enqueue=enqueue, **kw)


def mention_body(key: str, **top: Any) -> Callable[[Ctx], bytes]:
    """An app_mention with its own text and event id, memoised so a retry can resend it exactly."""

    def build(ctx: Ctx) -> bytes:
        ts = f"{int(ctx.now) - 2}.{P.uid(ctx, 'hc6ts:' + key, 6, '0123456789')}"
        event = {"type": "app_mention", "user": P.USER, "ts": ts, "channel": P.CHANNEL, "event_ts": ts,
                 "text": f"<@U0LAN0Z89> pods crashlooping in payments-{key.lower()}-{ctx.tag}"}
        return P.dumps(P.slack_event(ctx, "hc6:" + key, event, **top))

    return memo("mention:" + key, build)


def slash_body(key: str, text: str | None = None, **fields: str) -> Callable[[Ctx], bytes]:
    def build(ctx: Ctx) -> bytes:
        words = text if text is not None else f"investigate checkout-{key.lower()}-{ctx.tag} pods OOMKilled in shop"
        return P.form(P.slash_form(ctx, "hc6:" + key, words.replace("{tag}", ctx.tag), **fields))

    return build


def slack(body: Body, expect: frozenset[str], enqueue: int = 1, headers: Headers = JSON_CT, **kw: Any) -> Step:
    return Step("POST", SLACK_PATH, expect, body, headers=headers, auth="slack" if "sign" not in kw else None,
                enqueue=enqueue, **kw)


def const_value(value: str) -> Callable[[Ctx], str]:
    return lambda ctx: value.replace("{tag}", ctx.tag)


def click(value_of: Callable[[Ctx], str], action_id: str = "approve", **top: Any) -> Callable[[Ctx], bytes]:
    return lambda ctx: P.block_actions_body(ctx, value_of(ctx), action_id=action_id, **top)


def fixed_ts_signer(key: str, offset: int = 0, extra: tuple[tuple[str, str], ...] = ()) -> P_Signer:
    """Slack's v0 signature at a timestamp fixed for the whole case (so a retry can carry its original's
    exact signature), with extra unsigned headers such as X-Slack-Retry-Num."""
    def sign(body: bytes, ctx: Ctx) -> list[tuple[str, str]]:
        ts = _STAMPS.setdefault((ctx.tag, key), str(int(ctx.now) + offset))
        return [("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", P.slack_sig(ctx.keys.slack_secret, ts, body)),
                *extra]

    return sign


def slack_at(offset: int, extra: tuple[tuple[str, str], ...] = ()) -> P_Signer:
    def sign(body: bytes, ctx: Ctx) -> list[tuple[str, str]]:
        return [*P.slack_headers(body, ctx, offset), *extra]

    return sign


def mcp(msg: Any, expect: frozenset[str], headers: Headers = MCP_HEADERS, auth: str | None = "mcp_session",
        **kw: Any) -> Step:
    body = msg if isinstance(msg, bytes) or callable(msg) else P.dumps(msg)
    return Step("POST", MCP_PATH, expect, body, headers=headers, auth=auth, enqueue=0, **kw)


def call(arguments: Any, name: str = "investigate", id_: Any = 1) -> dict[str, Any]:
    return P.rpc("tools/call", {"name": name, "arguments": arguments}, id_)


def http_request(method: str, target: str, host: str, headers: list[tuple[str, str]], body: bytes = b"",
                 version: str = "HTTP/1.1", length: bool = True) -> bytes:
    lines = [f"{method} {target} {version}", f"Host: {host}", "Connection: close", *(f"{k}: {v}" for k, v in headers)]
    if length and (body or method in ("POST", "PUT", "PATCH")):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def failed(what: str, host: str) -> bytes:
    """The request a raw builder sends when its own side check failed: a 404 no such step allows."""
    return http_request("GET", f"/__hostile6_side_check_failed__/{what}", host, [])


def hostport(host: str) -> tuple[str, int]:
    name, _, port = host.rpartition(":")
    return name, int(port)


def jobs_now(host: str) -> int:
    """All jobs in the queue, in any state, from the server's own /metrics (the runner's measure too)."""
    name, port = hostport(host)
    reply = exchange(name, port, http_request("GET", "/metrics", host, []), timeout=10)
    total = 0.0
    for line in reply.body.decode("utf-8", "replace").splitlines():
        if line.startswith("vigil_jobs{"):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


# ----------------------------------------------------------------------------- approvals (raw: ids are seeded per run)

def approval_id(ctx: Ctx, role: str) -> str:
    return ctx.approvals.get(role, f"apr_unseeded_{role}")


def decide(role: str, verb: str, approver: str = "alice", token: str = "api", extra: dict[str, Any] | None = None,
           id_of: Callable[[Ctx], str] | None = None, suffix: str = "") -> Callable[[Ctx, str], bytes]:
    """POST /approvals/{id}/{verb} for a seeded request (by role), built when the step runs."""

    def build(ctx: Ctx, host: str) -> bytes:
        aid = id_of(ctx) if id_of is not None else approval_id(ctx, role)
        doc: dict[str, Any] = {"approver": approver, "note": "hostile catalogue 6"}
        doc.update({k: (v(ctx) if callable(v) else v) for k, v in (extra or {}).items()})
        headers = [("Content-Type", "application/json")]
        if token == "api":
            headers.append(("Authorization", f"Bearer {ctx.keys.api_token}"))
        elif token:
            headers.append(("Authorization", token))
        return http_request("POST", f"/approvals/{aid}/{verb}{suffix}", host, headers, P.dumps(doc))

    return build


def ap(build: Callable[[Ctx, str], bytes], expect: frozenset[str], status: frozenset[int] | None = None,
       enqueue: int = 1, **kw: Any) -> Step:
    """An approvals step: an approval may queue the job that opens its pull request (accepted, one job) or
    just record the decision (ignored); refusals are pinned to the documented status."""
    return Step("POST", "/approvals", expect, raw=build, status=status, enqueue=enqueue, **kw)


DECIDED_OK = frozenset({200, 201, 202, 204})


# ============================================================================= 1. Alertmanager lifecycles

add("am6-life-fire-refire-same-fingerprint", "alertmanager", "semantic",
    "A group re-notified every group_interval carries the same fingerprint: the second notification joins "
    "the first job (\"new\": false), a third too.",
    am(am_simple("Refire"), ACC),
    am(am_simple("Refire"), IGN),
    am(am_simple("Refire"), IGN))

add("am6-life-fire-resolve-resolve", "alertmanager", "semantic",
    "Resolved twice (Alertmanager re-sends resolved notifications until the group is gone): the second "
    "resolve must not queue a second 'Resolved' post (docs: once).",
    am(am_simple("ResTwice"), ACC),
    am(am_simple("ResTwice", "resolved"), ACC_OR_IGN),
    am(am_simple("ResTwice", "resolved"), IGN))

add("am6-life-resolve-before-fire-then-fire", "alertmanager", "semantic",
    "Out of order: a resolved notification for an incident Vigil never saw queues nothing; the late firing "
    "may start one investigation, and a redelivery of it joins.",
    am(am_simple("ResFirst", "resolved"), NOT_ACCEPTED),
    am(am_simple("ResFirst"), ACC_OR_IGN),
    am(am_simple("ResFirst"), IGN))

add("am6-life-fire-resolve-fire-again", "alertmanager", "semantic",
    "Firing again after resolved: a new episode may start a new job or join the finished one within the "
    "dedupe window, but a redelivery of the new firing never starts another.",
    am(am_simple("Again"), ACC),
    am(am_simple("Again", "resolved"), ACC_OR_IGN),
    am(am_simple("Again"), ACC_OR_IGN),
    am(am_simple("Again"), IGN),
    am(am_simple("Again"), IGN))

add("am6-life-resolved-only-twice", "alertmanager", "semantic",
    "Two resolved notifications for an unknown alert: neither starts anything.",
    am(am_simple("OnlyRes", "resolved"), NOT_ACCEPTED),
    am(am_simple("OnlyRes", "resolved"), NOT_ACCEPTED))


def group_body(key: str, members: list[tuple[str, str, str]], status: str = "firing") -> Callable[[Ctx], bytes]:
    """A group notification whose alerts are (name suffix, pod, status) triples; the group key is `key`'s."""

    def body(ctx: Ctx) -> bytes:
        alerts = []
        for suffix, pod, st in members:
            one = alert(ctx, key + suffix, st, pod=pod)
            one["fingerprint"] = hashlib.sha256(f"{an(ctx, key + suffix)}/{pod}".encode()).hexdigest()[:16]
            alerts.append(one)
        return P.dumps(am_doc(ctx, key, alerts, status))

    return body


add("am6-life-group-grows-and-shrinks", "alertmanager", "semantic",
    "One group over time: a second pod of the same alert name joins (one incident per alert name in a "
    "group), a new alert name is one new incident, the shrink reports it resolved, the last notification "
    "resolves all; a final redelivery of the grown group starts nothing.",
    am(group_body("Grow", [("", "checkout-0", "firing")]), ACC),
    am(group_body("Grow", [("", "checkout-0", "firing"), ("", "checkout-1", "firing")]), IGN),
    am(group_body("Grow", [("", "checkout-0", "firing"), ("", "checkout-1", "firing"), ("B", "checkout-0", "firing")]),
       ACC),
    am(group_body("Grow", [("", "checkout-0", "firing"), ("", "checkout-1", "firing"),
                           ("B", "checkout-0", "resolved")]), ACC_OR_IGN, enqueue_any=frozenset({0, 1})),
    am(group_body("Grow", [("", "checkout-0", "resolved"), ("", "checkout-1", "resolved"),
                           ("B", "checkout-0", "resolved")], "resolved"), ACC_OR_IGN, enqueue_any=frozenset({0, 1, 2})))

add("am6-life-group-one-of-two-resolves", "alertmanager", "semantic",
    "Two names fire in one group, one resolves while the other still fires: the firing one's job is not "
    "cancelled, so its redelivery joins it.",
    am(group_body("Pair", [("", "p0", "firing"), ("Other", "p0", "firing")]), ACC, enqueue=2),
    am(group_body("Pair", [("", "p0", "firing"), ("Other", "p0", "resolved")]), ACC_OR_IGN,
       enqueue_any=frozenset({0, 1})),
    am(group_body("Pair", [("", "p0", "firing")]), IGN))

def second_route(key: str) -> Callable[[Ctx], bytes]:
    return lambda ctx: P.dumps(am_doc(ctx, key, [alert(ctx, key)], receiver="vigil-sre",
                                      groupKey=f'{{}}/{{team="sre"}}:{{alertname="{an(ctx, key)}"}}'))


add("am6-life-same-fingerprint-other-group", "alertmanager", "semantic",
    "The same alert delivered through two routes (two groupKeys): the docs key an incident on the alert, "
    "'one incident per alert name in a group' leaves a second route open (join or one new job); the "
    "second route's own redelivery then joins whatever it made.",
    am(am_simple("TwoRoutes"), ACC),
    am(second_route("TwoRoutes"), ACC_OR_IGN),
    am(second_route("TwoRoutes"), IGN),
    am(am_simple("TwoRoutes"), IGN))

add("am6-life-startsat-moves-on-refire", "alertmanager", "semantic",
    "A re-fire whose startsAt moved (the alert flapped inside Alertmanager) keeps its fingerprint: it joins.",
    am(am_simple("Flap"), ACC),
    am(lambda ctx: P.dumps(am_doc(ctx, "Flap", [{**alert(ctx, "Flap"), "startsAt": P.rfc3339(-30)}])), IGN))

add("am6-life-resolved-endsat-zero", "alertmanager", "semantic",
    "A resolved alert whose endsAt is Go's zero time is still a resolve of a known incident (or a 422 "
    "naming endsAt); never a second investigation.",
    am(am_simple("ZeroEnd"), ACC),
    am(lambda ctx: P.dumps(am_doc(ctx, "ZeroEnd", [{**alert(ctx, "ZeroEnd", "resolved"),
                                                    "endsAt": "0001-01-01T00:00:00Z"}], "resolved")),
       frozenset({ACCEPTED, IGNORED, REFUSED})),
    am(am_simple("ZeroEnd"), ACC_OR_IGN))


# Malformed notifications between two valid ones of the same incident: each refused, and the state they
# would have changed is as it was (the redelivery still joins the first job).
BETWEEN: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("alerts-null", lambda d: d.__setitem__("alerts", None)),
    ("labels-list", lambda d: d["alerts"][0].__setitem__("labels", [["alertname", "x"]])),
    ("startsat-garbage", lambda d: d["alerts"][0].__setitem__("startsAt", "yesterday at noon")),
    ("startsat-number", lambda d: d["alerts"][0].__setitem__("startsAt", 1733400000)),
    ("status-pending", lambda d: d.__setitem__("status", "pending")),
    ("alert-status-silenced", lambda d: d["alerts"][0].__setitem__("status", "silenced")),
    ("truncated-negative", lambda d: d.__setitem__("truncatedAlerts", -1)),
    ("truncated-string", lambda d: d.__setitem__("truncatedAlerts", "0")),
    ("grouplabels-null-value", lambda d: d["groupLabels"].__setitem__("alertname", None)),
    ("annotations-list", lambda d: d["alerts"][0].__setitem__("annotations", ["summary"])),
    ("fingerprint-object", lambda d: d["alerts"][0].__setitem__("fingerprint", {"v": 1})),
    ("alert-labels-value-bool", lambda d: d["alerts"][0]["labels"].__setitem__("severity", True)),
]
for _label, _mutate in BETWEEN:
    _key = "Btw" + _label.replace("-", "").title()
    add(f"am6-between-{_label}", "alertmanager", "json",
        f"A malformed notification ({_label}) between two valid ones of the same incident is refused by "
        "the strict v4 model and changes nothing: the redelivery after it still joins the first job.",
        am(am_simple(_key), ACC),
        am(am_mutated(_key, _mutate), REFUSAL),
        am(am_simple(_key), IGN))


def am_resolved_mutated(key: str, mutate: Callable[[dict[str, Any]], None]) -> Callable[[Ctx], bytes]:
    def body(ctx: Ctx) -> bytes:
        doc = am_doc(ctx, key, [alert(ctx, key, "resolved")], "resolved")
        mutate(doc)
        return P.dumps(doc)

    return body


add("am6-between-resolve-with-dup-key-does-not-cancel", "alertmanager", "json",
    "A resolve whose body names `status` twice is a 400 and must not cancel the job: the next firing still "
    "joins it.",
    am(am_simple("DupRes"), ACC),
    am(lambda ctx: am_simple("DupRes", "resolved")(ctx).replace(b'"status":"resolved"', b'"status":"resolved",'
                                                                 b'"status":"firing"', 1), REFUSAL),
    am(am_simple("DupRes"), IGN))

add("am6-between-resolve-unauthorised-does-not-cancel", "alertmanager", "auth",
    "A resolve with a wrong token is 401 and cancels nothing.",
    am(am_simple("UnauthRes"), ACC),
    Step("POST", AM_PATH, REFUSAL, am_simple("UnauthRes", "resolved"), status=frozenset({401}),
         headers=(("Content-Type", "application/json"), ("Authorization", "Bearer not-the-token"))),
    am(am_simple("UnauthRes"), IGN))

add("am6-between-resolve-endsat-before-startsat", "alertmanager", "semantic",
    "A resolve whose endsAt precedes startsAt is a resolve with a clock problem or a 422; either way the "
    "firing that follows is at most one job.",
    am(am_simple("EndsBefore"), ACC),
    am(am_resolved_mutated("EndsBefore", lambda d: d["alerts"][0].__setitem__("endsAt", P.rfc3339(-3600))),
       ANY_ANSWER),
    am(am_simple("EndsBefore"), ACC_OR_IGN),
    am(am_simple("EndsBefore"), IGN))

def set_starts_at(value: str) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        doc["alerts"][0]["startsAt"] = value

    return mutate


for _label, _value in [("year-0001", "0001-01-01T00:00:00Z"), ("year-9999", "9999-12-31T23:59:59Z"),
                       ("leap-second", "2016-12-31T23:59:60Z"), ("lower-t-z", "2026-01-01t00:00:00z")]:
    _k = "Sa" + _label.replace("-", "")
    add(f"am6-startsat-{_label}", "alertmanager", "json",
        f"startsAt {_value!r}: a valid RFC 3339 instant may be accepted as one incident, anything else is a "
        "422; a redelivery then starts nothing.",
        am(am_mutated(_k, set_starts_at(_value)), ACC_OR_REF),
        am(am_mutated(_k, set_starts_at(_value)), frozenset({IGNORED, REFUSED})))


# ============================================================================= 2. Alertmanager load near the limits

def many_names(key: str, count: int) -> Callable[[Ctx], bytes]:
    def body(ctx: Ctx) -> bytes:
        alerts = [alert(ctx, f"{key}N{i:03d}") for i in range(count)]
        return P.dumps(am_doc(ctx, key, alerts))

    return memo(f"many:{key}:{count}", body)


add("am6-load-200-names-one-group", "alertmanager", "semantic",
    "200 distinct alert names in one group (a wide group_by) are 200 incidents, every one queued exactly "
    "once; the redelivery of the same notification adds none.",
    am(many_names("Wide", 200), ACC, enqueue=200),
    am(many_names("Wide", 200), IGN))

add("am6-load-grow-150-to-151", "alertmanager", "semantic",
    "A wide group that gains one alert name: exactly one new incident.",
    am(many_names("Wide2", 150), ACC, enqueue=150),
    am(many_names("Wide2", 151), ACC, enqueue=1))


def padded_to(size: int, key: str) -> Callable[[Ctx], bytes]:
    """A valid notification of one incident padded (in one annotation) to exactly `size` bytes."""

    def body(ctx: Ctx) -> bytes:
        doc = am_doc(ctx, key, [alert(ctx, key)])
        doc["alerts"][0]["annotations"]["runbook_pad"] = ""
        base = len(P.dumps(doc))
        doc["alerts"][0]["annotations"]["runbook_pad"] = "x" * (size - base)
        out = P.dumps(doc)
        assert len(out) == size, (len(out), size)
        return out

    return body


add("am6-load-body-1mib-minus-1", "alertmanager", "semantic",
    "One byte under max_body_bytes (1 MiB): accepted, one job.",
    am(padded_to(ONE_MIB - 1, "MibUnder"), ACC))
add("am6-load-body-exactly-1mib", "alertmanager", "semantic",
    "Exactly 1 MiB: docs refuse only bodies over the bound; a 413 here is an off-by-one but not unsafe.",
    am(padded_to(ONE_MIB, "MibExact"), ACC_OR_REF))
add("am6-load-body-1mib-plus-1", "alertmanager", "semantic",
    "One byte over 1 MiB: 413, nothing queued; the same incident under the bound afterwards is new.",
    am(padded_to(ONE_MIB + 1, "MibOver"), REFUSAL, status=frozenset({413})),
    am(am_simple("MibOver"), ACC))
add("am6-load-body-1mib-plus-1-chunked", "alertmanager", "semantic",
    "The same over-bound body chunked (no Content-Length to refuse up front): 413 or a closed connection.",
    am(padded_to(ONE_MIB + 1, "MibOverChunked"), FRAMING, framing="chunked"))


def many_labels(key: str, count: int, where: str) -> Callable[[Ctx], bytes]:
    def body(ctx: Ctx) -> bytes:
        one = alert(ctx, key)
        one[where].update({f"hc6_{where[:3]}_{i:04d}": f"value-{i}" for i in range(count)})
        return P.dumps(am_doc(ctx, key, [one]))

    return body


add("am6-load-1000-labels", "alertmanager", "semantic",
    "An alert with a thousand labels (valid names and string values, ~30 KB): one incident.",
    am(many_labels("Labels1k", 1000, "labels"), ACC))
add("am6-load-1000-annotations", "alertmanager", "semantic",
    "An alert with a thousand annotations: one incident.",
    am(many_labels("Ann1k", 1000, "annotations"), ACC))
add("am6-load-label-value-64kb", "alertmanager", "semantic",
    "A 64 KB label value (Alertmanager sets no bound): accepted as one incident or refused 4xx, never 5xx.",
    am(am_mutated("LongVal", lambda d: d["alerts"][0]["labels"].__setitem__("pod", "p" * 65536)), ACC_OR_REF))


def burst(door: str, count: int, key: str, final: Callable[[Ctx, str], bytes]) -> Callable[[Ctx, str], bytes]:
    """Send `count` distinct valid requests at once from 8 threads; each must be 2xx, or 429 with Retry-After
    and then accepted when retried after it (at most 5 tries, waits capped at 2 s). Afterwards the queue
    holds exactly `count` more jobs. Then the step's own request (`final`)."""

    def build(ctx: Ctx, host: str) -> bytes:
        name, port = hostport(host)
        bodies: list[bytes] = []
        for i in range(count):
            if door == "alertmanager":
                bodies.append(P.dumps(am_doc(ctx, f"{key}B{i:03d}", [alert(ctx, f"{key}B{i:03d}")])))
            elif door == "pagerduty":
                bodies.append(pd_body(f"{key}b{i}", "t")(ctx))
            else:
                bodies.append(mention_body(f"{key}b{i}")(ctx))
        before = jobs_now(host)
        problems: list[str] = []
        lock = threading.Lock()

        def send(body: bytes) -> None:
            for _ in range(5):
                if door == "alertmanager":
                    creds = [("Authorization", f"Bearer {ctx.keys.am_token}"), ("Content-Type", "application/json")]
                    path = AM_PATH
                elif door == "pagerduty":
                    creds = [*P.pd_headers(body, ctx), ("Content-Type", "application/json")]
                    path = PD_PATH
                else:
                    creds = [*P.slack_headers(body, ctx), ("Content-Type", "application/json")]
                    path = SLACK_PATH
                reply = exchange(name, port, http_request("POST", path, host, creds, body), timeout=20)
                status = reply.status or 0
                if 200 <= status < 300:
                    return
                if status == 429 and reply.header("retry-after"):
                    try:
                        wait = min(float(reply.header("retry-after") or "1"), 2.0)
                    except ValueError:
                        with lock:
                            problems.append("retry-after-not-seconds")
                        return
                    time.sleep(max(wait, 0.05))
                    continue
                with lock:
                    problems.append(f"status-{status}")
                return
            with lock:
                problems.append("still-429")

        queue = list(bodies)

        def worker() -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                send(body)

        threads = []
        for _ in range(8):
            thread = threading.Thread(target=worker)
            threads.append(thread)
            thread.start()
        for thread in threads:
            thread.join()
        if problems:
            return failed(f"{key}-{problems[0]}", host)
        added = jobs_now(host) - before
        if added != count:
            return failed(f"{key}-jobs-{added}-of-{count}", host)
        return final(ctx, host)

    return build


def am_redeliver_first(key: str) -> Callable[[Ctx, str], bytes]:
    def build(ctx: Ctx, host: str) -> bytes:
        body = P.dumps(am_doc(ctx, f"{key}B000", [alert(ctx, f"{key}B000")]))
        return http_request("POST", AM_PATH, host, [("Authorization", f"Bearer {ctx.keys.am_token}"),
                                                    ("Content-Type", "application/json")], body)

    return build


add("am6-burst-40-distinct", "alertmanager", "semantic",
    "40 distinct small notifications at once (8 connections): each 202 or 429 with Retry-After, all queued "
    "in the end; the redelivery of the first joins it.",
    Step("POST", AM_PATH, IGN, raw=burst("alertmanager", 40, "BurstAm", am_redeliver_first("BurstAm"))))


def pd_redeliver_first(key: str) -> Callable[[Ctx, str], bytes]:
    def build(ctx: Ctx, host: str) -> bytes:
        body = pd_body(f"{key}b0", "again")(ctx)
        return http_request("POST", PD_PATH, host, [*P.pd_headers(body, ctx), ("Content-Type", "application/json")],
                            body)

    return build


add("pd6-burst-25-distinct-incidents", "pagerduty", "semantic",
    "25 distinct incidents triggered at once: 202 or 429 with Retry-After, all queued; a second trigger "
    "event (new event id) for the first incident then joins its job.",
    Step("POST", PD_PATH, IGN, raw=burst("pagerduty", 25, "burstpd", pd_redeliver_first("burstpd"))))


def slack_retry_first(key: str) -> Callable[[Ctx, str], bytes]:
    def build(ctx: Ctx, host: str) -> bytes:
        body = mention_body(f"{key}b0")(ctx)
        return http_request("POST", SLACK_PATH, host, [*P.slack_headers(body, ctx), ("X-Slack-Retry-Num", "1"),
                                                       ("X-Slack-Retry-Reason", "http_timeout"),
                                                       ("Content-Type", "application/json")], body)

    return build


add("sl6-burst-15-mentions", "slack", "semantic",
    "15 distinct mentions at once: all acknowledged 2xx (Slack needs it within 3 s) and queued; Slack's "
    "retry of the first (same event_id, numbered) joins it.",
    Step("POST", SLACK_PATH, IGN, raw=burst("slack", 15, "burstsl", slack_retry_first("burstsl"))))


# ============================================================================= 3. PagerDuty lifecycles

add("pd6-life-full-lifecycle", "pagerduty", "semantic",
    "triggered starts one job; acknowledged, escalated, reassigned, priority_updated, unacknowledged are "
    "recorded or ignored (no job); resolved may queue one resolved post; a duplicate trigger event (new id) "
    "after all of it starts nothing new or at most one new episode.",
    pd(pd_body("Full", "1"), ACC),
    pd(pd_body("Full", "2", "incident.acknowledged"), IGN),
    pd(pd_body("Full", "3", "incident.escalated"), IGN),
    pd(pd_body("Full", "4", "incident.reassigned"), IGN),
    pd(pd_body("Full", "5", "incident.priority_updated"), IGN),
    pd(pd_body("Full", "6", "incident.unacknowledged"), IGN),
    pd(pd_body("Full", "7", "incident.resolved"), ACC_OR_IGN),
    pd(pd_body("Full", "8", "incident.resolved"), IGN))

add("pd6-life-resolved-before-triggered", "pagerduty", "semantic",
    "Webhooks arrive out of order: resolved for an incident not seen yet queues nothing; the late trigger "
    "is at most one job; its duplicate (new event id) joins.",
    pd(pd_body("ResFirst", "1", "incident.resolved"), NOT_ACCEPTED),
    pd(pd_body("ResFirst", "2"), ACC_OR_IGN),
    pd(pd_body("ResFirst", "3"), IGN))

add("pd6-life-ack-before-triggered", "pagerduty", "semantic",
    "acknowledged first (out of order): recorded nowhere, nothing queued; then the trigger starts one job.",
    pd(pd_body("AckFirst", "1", "incident.acknowledged"), NOT_ACCEPTED),
    pd(pd_body("AckFirst", "2"), ACC),
    pd(pd_body("AckFirst", "3", "incident.acknowledged"), IGN))

add("pd6-life-reopened", "pagerduty", "semantic",
    "triggered, resolved, reopened, then a redelivered trigger: reopened is a documented v3 type (ignored "
    "or a new episode, never a 422); the trigger after it joins whatever is current.",
    pd(pd_body("Reopen", "1"), ACC),
    pd(pd_body("Reopen", "2", "incident.resolved"), ACC_OR_IGN),
    pd(pd_body("Reopen", "3", "incident.reopened"), ACC_OR_IGN),
    pd(pd_body("Reopen", "4"), ACC_OR_IGN),
    pd(pd_body("Reopen", "5"), IGN))

add("pd6-life-duplicate-events-interleaved", "pagerduty", "semantic",
    "The same triggered event (same event id) delivered again after an acknowledged: 409 replay; the "
    "acknowledgement delivered twice: 409 too.",
    pd(pd_body("Dups", "t"), ACC),
    pd(pd_body("Dups", "a", "incident.acknowledged"), IGN),
    pd(pd_body("Dups", "a", "incident.acknowledged"), REFUSAL, status=frozenset({409})),
    pd(pd_body("Dups", "t"), REFUSAL, status=frozenset({409})))


def annotated(ctx: Ctx, key: str) -> bytes:
    """incident.annotated as PagerDuty sends it: `data` is the note, with the incident as a reference."""
    doc = P.pd_event(ctx, f"hc6:{key}:note", "incident.annotated", incident=incident(ctx, key))
    inc = doc["event"]["data"]
    doc["event"]["data"] = {
        "incident": {"html_url": inc["html_url"], "id": inc["id"], "self": inc["self"],
                     "summary": inc["title"], "type": "incident_reference"},
        "id": "P" + P.uid(ctx, f"note:{key}", 6), "content": "Restarted the checkout pods.",
        "trimmed": False, "type": "incident_note"}
    return P.dumps(doc)


add("pd6-life-annotated-real-shape", "pagerduty", "semantic",
    "incident.annotated in its real shape (data is a note referencing the incident): no job, and the "
    "incident's job is unaffected (a trigger afterwards joins).",
    pd(pd_body("Note", "1"), ACC),
    pd(lambda ctx: annotated(ctx, "Note"), NOT_ACCEPTED),
    pd(pd_body("Note", "2"), IGN))

add("pd6-life-priority-updated-priority-object", "pagerduty", "semantic",
    "priority_updated carrying a priority object (as PagerDuty does): ignored, no job.",
    pd(pd_body("Prio", "1"), ACC),
    pd(pd_body("Prio", "2", "incident.priority_updated", mutate=lambda d: d["event"]["data"].__setitem__(
        "priority", {"id": "PSO75BM", "type": "priority_reference", "summary": "P1",
                     "self": "https://api.pagerduty.com/priorities/PSO75BM", "html_url": None})), IGN))

add("pd6-life-trigger-other-service-same-incident-key", "pagerduty", "semantic",
    "Two incidents with the same incident_key but different ids are two incidents (the key is the id).",
    pd(pd_body("KeyA", "1", mutate=lambda d: d["event"]["data"].__setitem__("incident_key", "checkout-shared")), ACC),
    pd(pd_body("KeyB", "1", mutate=lambda d: d["event"]["data"].__setitem__("incident_key", "checkout-shared")), ACC))

for _tlabel, _etype in [("exploded", "incident.exploded"), ("triggered-v2", "incident.triggered.v2"),
                        ("bare-prefix", "incident."), ("upper-triggered", "incident.TRIGGERED"),
                        ("service-created", "service.created")]:
    add(f"pd6-type-unknown-{_tlabel}", "pagerduty", "semantic",
        f"event_type {_etype!r} is not a PagerDuty v3 type: refused 422 (or ignored), never queued.",
        pd(pd_body("Unk" + _etype, "1", _etype), NOT_ACCEPTED))

for _etype in ("incident.delegated", "incident.responder.added", "incident.status_update_published",
               "incident.custom_field_values.updated", "incident.workflow.started"):
    add(f"pd6-type-documented-{_etype.split('.', 1)[1].replace('.', '-').replace('_', '-')}", "pagerduty",
        "semantic", f"{_etype} is a documented v3 type Vigil does not act on: accepted and ignored (or refused "
        "4xx), never a job.",
        pd(pd_body("Doc" + _etype, "1", _etype), NOT_ACCEPTED))

_OCCURRED: list[tuple[str, Any]] = [("epoch-ms", 1733400000000), ("date-only", "2026-12-05"),
                                    ("offset-plus-0530", None), ("nanoseconds", None), ("null", "NULL"), ("empty", "")]
for _label, _occ_value in _OCCURRED:
    def _occ(d: dict[str, Any], v: Any = _occ_value, label: str = _label) -> None:
        now = time.time() - 5
        if label == "offset-plus-0530":
            v = time.strftime("%Y-%m-%dT%H:%M:%S+05:30", time.gmtime(now + 5.5 * 3600))
        elif label == "nanoseconds":
            v = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".123456789Z"
        elif v == "NULL":
            v = None
        d["event"]["occurred_at"] = v

    _ok = _label in ("offset-plus-0530", "nanoseconds", "null")
    add(f"pd6-occurred-{_label}", "pagerduty", "json",
        f"occurred_at as {_label}: a valid RFC 3339 instant with an offset or nanoseconds is accepted (or "
        "refused 4xx), and so may an explicit null (no age to check); anything else is refused, never queued.",
        pd(pd_body("Occ" + _label, "1", mutate=_occ), ACC_OR_REF if _ok else REFUSAL))

for _label, _mutate_pd in [
    ("data-null", lambda d: d["event"].__setitem__("data", None)),
    ("data-list", lambda d: d["event"].__setitem__("data", [])),
    ("data-id-missing", lambda d: d["event"]["data"].pop("id")),
    ("data-id-number", lambda d: d["event"]["data"].__setitem__("id", 12345)),
    ("data-id-lowercase-path", lambda d: d["event"]["data"].__setitem__("id", "../incidents/x")),
    ("event-type-null", lambda d: d["event"].__setitem__("event_type", None)),
    ("event-id-empty", lambda d: d["event"].__setitem__("id", "")),
    ("event-nested-twice", lambda d: d.__setitem__("event", {"event": d["event"]})),
]:
    add(f"pd6-data-{_label}", "pagerduty", "json",
        f"A signed triggered event with {_label}: 4xx (400/422), nothing queued; then the real event for the "
        "same incident is one job.",
        pd(pd_body("Data" + _label, "bad", mutate=_mutate_pd), REFUSAL),
        pd(pd_body("Data" + _label, "good"), ACC))


# ----------------------------------------------------------------------------- PagerDuty signatures across rotation

def pd_sign_with(*which: str) -> P_Signer:
    def sign(body: bytes, ctx: Ctx) -> list[tuple[str, str]]:
        parts = []
        for w in which:
            if w == "old":
                parts.append(P.pd_sig(ctx.keys.pd_secrets[0], body))
            elif w == "new":
                parts.append(P.pd_sig(ctx.keys.pd_secrets[1], body))
            else:
                parts.append("v1=" + hashlib.sha256(w.encode()).hexdigest())
        return [("X-PagerDuty-Signature", ",".join(parts))]

    return sign


add("pd6-sig-rotation-sequence", "pagerduty", "auth",
    "During rotation the same incident's events come signed by the old, then the new, then both secrets: "
    "every one verifies, each is its own event, the trigger is one job.",
    Step("POST", PD_PATH, ACC, pd_body("Rot", "1"), sign=pd_sign_with("old")),
    Step("POST", PD_PATH, IGN, pd_body("Rot", "2", "incident.acknowledged"), sign=pd_sign_with("new")),
    Step("POST", PD_PATH, IGN, pd_body("Rot", "3", "incident.escalated"), sign=pd_sign_with("garbage", "new")),
    Step("POST", PD_PATH, REFUSAL, pd_body("Rot", "4", "incident.reassigned"), sign=pd_sign_with("garbage", "other"),
         status=frozenset({401})))

add("pd6-sig-replay-under-other-secret", "pagerduty", "auth",
    "An accepted event re-signed with the other rotating secret is the same event id: 409, not a new job.",
    Step("POST", PD_PATH, ACC, pd_body("RotReplay", "1"), sign=pd_sign_with("old")),
    Step("POST", PD_PATH, REFUSAL, pd_body("RotReplay", "1"), sign=pd_sign_with("new"), status=frozenset({409})))

add("pd6-sig-list-a-b-invalid-then-valid", "pagerduty", "auth",
    "v1=a,v1=b (neither valid) is 401 and consumes nothing: the same event correctly signed is then accepted.",
    Step("POST", PD_PATH, REFUSAL, pd_body("AB", "1"), sign=lambda b, c: [("X-PagerDuty-Signature", "v1=a,v1=b")],
         status=frozenset({401})),
    pd(pd_body("AB", "1"), ACC))


# ============================================================================= 4. Slack sequences

add("sl6-seq-mention-retries-1-2-3", "slack", "semantic",
    "An event and Slack's three numbered retries (same body, fresh signatures, http_timeout): one job, every "
    "retry 2xx.",
    slack(mention_body("Retries"), ACC),
    *(slack(mention_body("Retries"), IGN, sign=slack_at(n, (("X-Slack-Retry-Num", str(n)),
                                                             ("X-Slack-Retry-Reason", reason))))
      for n, reason in ((1, "http_timeout"), (2, "http_error"), (3, "http_timeout"))))

add("sl6-seq-exact-copy-then-numbered-copy", "slack", "semantic",
    "The exact signed request twice without a retry number is a replay (409); the same bytes with "
    "X-Slack-Retry-Num 1 are Slack's retry (200, nothing more queued).",
    slack(mention_body("Copy"), ACC, sign=fixed_ts_signer("Copy")),
    slack(mention_body("Copy"), REFUSAL, sign=fixed_ts_signer("Copy"), status=frozenset({409})),
    slack(mention_body("Copy"), IGN, sign=fixed_ts_signer("Copy", 0, (("X-Slack-Retry-Num", "1"),))))

add("sl6-seq-retry-number-on-slash", "slack", "semantic",
    "Slack never retries slash commands: a signed copy of an accepted command with X-Slack-Retry-Num is "
    "still a 409 replay.",
    slack(slash_body("SlashRetry"), ACC, headers=FORM_CT, sign=fixed_ts_signer("SlashRetry")),
    slack(slash_body("SlashRetry"), REFUSAL, headers=FORM_CT, status=frozenset({409}),
          sign=fixed_ts_signer("SlashRetry", 0, (("X-Slack-Retry-Num", "1"),))))

add("sl6-seq-ts-at-window-edges", "slack", "auth",
    "Timestamps 290 s old and 290 s ahead are inside the five-minute window either way (accepted), 310 s "
    "old and ahead are not (401).",
    slack(mention_body("Edge1"), ACC, sign=slack_at(-290)),
    slack(mention_body("Edge2"), ACC, sign=slack_at(290)),
    slack(mention_body("Edge3"), REFUSAL, sign=slack_at(-310), status=frozenset({401})),
    slack(mention_body("Edge4"), REFUSAL, sign=slack_at(310), status=frozenset({401})))

add("sl6-seq-stale-then-fresh", "slack", "auth",
    "A stale copy refused 401 records nothing: the same body freshly signed is then accepted.",
    slack(mention_body("StaleFresh"), REFUSAL, sign=slack_at(-900), status=frozenset({401})),
    slack(mention_body("StaleFresh"), ACC))

add("sl6-seq-other-event-id-same-message", "slack", "semantic",
    "The same message delivered under a second event_id (two subscriptions: app_mention and message) is "
    "not undocumented behaviour to lean on: the second may join or start one job, never a 5xx or two.",
    slack(mention_body("TwoIds"), ACC),
    slack(lambda ctx: mention_body("TwoIds")(ctx).replace(b'"event_id":"Ev', b'"event_id":"EvZ', 1), ACC_OR_IGN))

for _label, _text in [("cancel-unknown-job", "cancel job_0000000000000000"),
                      ("status-unknown-job", "status job_ffffffffffffffff"),
                      ("retry-unknown-job", "retry job_deadbeefdeadbeef"),
                      ("approve-unknown", "approve apr_does_not_exist_{tag}"),
                      ("deny-traversal", "deny ../../etc/passwd"),
                      ("cancel-twice", "cancel job_0000000000000001")]:
    _steps = [slack(slash_body("Cmd" + _label, _text), ANY_ANSWER, headers=FORM_CT)]
    if _label == "cancel-twice":
        _steps.append(slack(slash_body("Cmd" + _label + "2", _text), ANY_ANSWER, headers=FORM_CT))
    add(f"sl6-cmd-{_label}", "slack", "semantic",
        f"`/vigil {_text}`: a subcommand on a job or approval that does not exist gets an answer (usage, "
        "not found, or an investigation of the words), never a 5xx and at most one job.", *_steps)

add("sl6-cmd-approve-seeded-by-slash", "slack", "semantic",
    "A slash command naming a pending approval's id must not decide it (only the buttons, the CLI and the "
    "API decide): the HTTP API can still approve it afterwards.",
    slack(lambda ctx: P.form(P.slash_form(ctx, "hc6:slashapprove", f"approve {approval_id(ctx, 'twice')}")),
          ANY_ANSWER, headers=FORM_CT),
    ap(decide("twice", "approve", "bob"), ACC_OR_IGN, status=DECIDED_OK),
    ap(decide("twice", "approve", "carol"), REFUSAL, status=frozenset({409})))

for _label, _value, _action in [("unknown-job", "job_0000000000000000", "cancel"),
                                ("unknown-approval", "apr_0000000000000000", "approve"),
                                ("empty-value", "", "approve"),
                                ("value-json", '{"approval":"x"}', "deny"),
                                ("unknown-action", "job_1", "rerun")]:
    add(f"sl6-click-{_label}", "slack", "semantic",
        f"A signed button click ({_action}, value {_value!r}) on nothing Vigil posted: 404 or an ephemeral "
        "'not recorded', nothing queued.",
        slack(click(const_value(_value), _action), NOT_ACCEPTED, headers=FORM_CT))

add("sl6-click-expired-then-http", "slack", "semantic",
    "A click on an expired approval decides nothing; the HTTP API then also refuses it 409.",
    slack(click(lambda ctx: approval_id(ctx, "expired")), NOT_ACCEPTED, headers=FORM_CT),
    slack(click(lambda ctx: approval_id(ctx, "expired"), "deny"), NOT_ACCEPTED, headers=FORM_CT),
    ap(decide("expired", "approve", "alice"), REFUSAL, status=frozenset({409})))

add("sl6-click-decided-and-used", "slack", "semantic",
    "Clicks on an already decided and an already used approval: refused (404/ephemeral), nothing queued.",
    slack(click(lambda ctx: approval_id(ctx, "decided")), NOT_ACCEPTED, headers=FORM_CT),
    slack(click(lambda ctx: approval_id(ctx, "used")), NOT_ACCEPTED, headers=FORM_CT),
    slack(click(lambda ctx: approval_id(ctx, "used"), "deny"), NOT_ACCEPTED, headers=FORM_CT))

add("sl6-click-two-ids-in-value", "slack", "semantic",
    "A click whose value names two approvals decides neither: each is still pending for the HTTP API.",
    slack(click(lambda ctx: f"{approval_id(ctx, 'slack_then_http')},{approval_id(ctx, 'approve_then_deny')}"),
          NOT_ACCEPTED, headers=FORM_CT),
    ap(decide("slack_then_http", "approve", "alice"), ACC_OR_IGN, status=DECIDED_OK),
    ap(decide("slack_then_http", "deny", "bob"), REFUSAL, status=frozenset({409})))

for _label, _payload_mut in [
    ("actions-value-number", lambda p: p["actions"][0].__setitem__("value", 12345)),
    ("actions-null", lambda p: p.__setitem__("actions", None)),
    ("user-string", lambda p: p.__setitem__("user", "U024BE7LH")),
    ("type-number", lambda p: p.__setitem__("type", 7)),
]:
    def _click_body(ctx: Ctx, mut: Callable[[dict[str, Any]], None] = _payload_mut) -> bytes:
        doc = P.block_actions(ctx, approval_id(ctx, "withdraw"))
        mut(doc)
        return P.form({"payload": json.dumps(doc)})

    add(f"sl6-payload-{_label}", "slack", "json",
        f"payload= with {_label}: a typed model refuses it (4xx) or it is ignored; nothing is decided.",
        slack(_click_body, NOT_ACCEPTED, headers=FORM_CT))

for _label, _challenge in [("number", 12345), ("null", None), ("crlf", "abc\r\nSet-Cookie: x=1"),
                           ("8kb", "c" * 8192)]:
    add(f"sl6-url-verification-{_label}", "slack", "json",
        f"A signed url_verification whose challenge is {_label}: echoed (a string) or refused 4xx, never a job "
        "and never a header injection.",
        slack(P.dumps({"token": "x", "challenge": _challenge, "type": "url_verification"}), NOT_ACCEPTED))

add("sl6-app-rate-limited-then-mention", "slack", "semantic",
    "app_rate_limited (Slack's notice that it dropped events) is acknowledged and queues nothing; the next "
    "real mention is accepted.",
    slack(lambda ctx: P.dumps({"token": "x", "type": "app_rate_limited", "team_id": P.TEAM,
                               "minute_rate_limited": int(ctx.now) // 60 * 60, "api_app_id": P.APP}), IGN),
    slack(mention_body("AfterRateLimit"), ACC))

add("sl6-form-repeated-keys", "slack", "json",
    "A slash command whose form repeats `text` and `user_id` with different values: refused, or one reading "
    "taken consistently (at most one job).",
    slack(lambda ctx: P.form([*P.slash_form(ctx, "hc6:rep").items(), ("text", f"investigate other-{ctx.tag}"),
                              ("user_id", "U0SOMEONE")]),
          frozenset({ACCEPTED, REFUSED}), headers=FORM_CT))


# ============================================================================= 5. Approvals sequences

add("ap6-cross-id-in-body", "approvals", "semantic",
    "Approving one request with another request's id in the body decides at most the one in the path: the "
    "other is still pending (bob can withdraw... deny it), and each is then decided once.",
    ap(decide("approve_then_deny", "approve", "alice",
              extra={"id": lambda c: approval_id(c, "deny_then_approve"),
                     "request_id": lambda c: approval_id(c, "deny_then_approve")}),
       ANY_ANSWER),
    ap(decide("deny_then_approve", "deny", "bob"), ACC_OR_IGN, status=DECIDED_OK),
    ap(decide("deny_then_approve", "approve", "alice"), REFUSAL, status=frozenset({409})),
    ap(decide("approve_then_deny", "approve", "bob"), ANY_ANSWER),
    ap(decide("approve_then_deny", "deny", "carol"), REFUSAL, status=frozenset({409})))

add("ap6-replay-decision-bytes", "approvals", "semantic",
    "An approval decided is replayed byte for byte (a client restarted its request sequence): 409 each time, "
    "and it queued at most one job.",
    ap(decide("withdraw", "deny", "carol"), ACC_OR_IGN, status=DECIDED_OK),
    Step("POST", "/approvals", REFUSAL, replay_previous=True, raw=decide("withdraw", "deny", "carol"),
         status=frozenset({409})),
    ap(decide("withdraw", "approve", "alice"), REFUSAL, status=frozenset({409})))

add("ap6-self-high-then-other", "approvals", "semantic",
    "alice cannot approve her own high-risk request under any spelling (403); bob then can, once.",
    ap(decide("self_high", "approve", "alice"), REFUSAL, status=frozenset({403})),
    ap(decide("self_high", "approve", "Alice"), REFUSAL, status=frozenset({403})),
    ap(decide("self_high", "approve", "ALICE\u0301"), REFUSAL, status=frozenset({403, 422})),
    ap(decide("self_high", "approve", "bob"), ACC_OR_IGN, status=DECIDED_OK),
    ap(decide("self_high", "deny", "alice"), REFUSAL, status=frozenset({409})))

add("ap6-expired-every-verb", "approvals", "semantic",
    "An expired request: approve and deny are 409 whoever asks, and a wrong token is 401 first.",
    ap(decide("expired", "approve", "bob"), REFUSAL, status=frozenset({409})),
    ap(decide("expired", "deny", "bob"), REFUSAL, status=frozenset({409})),
    ap(decide("expired", "approve", "bob", token="Bearer wrong"), REFUSAL, status=frozenset({401})))

add("ap6-used-and-decided", "approvals", "semantic",
    "A used and an already decided request: 409 for either verb.",
    ap(decide("used", "deny", "alice"), REFUSAL, status=frozenset({409})),
    ap(decide("used", "approve", "alice"), REFUSAL, status=frozenset({409})),
    ap(decide("decided", "deny", "carol"), REFUSAL, status=frozenset({409})))

for _label, _raw_id, _expect_id in [("dotdot", "../approvals", REFUSAL),
                                    ("dotdot-encoded", "..%2F..%2Fhealthz", REFUSAL),
                                    ("unknown", "apr_0000000000000000", REFUSAL), ("4kb", "a" * 4096, REFUSAL),
                                    ("percent-nul", "apr%00x", REFUSAL),
                                    ("unicode-raw-bytes", "apr_\u00e9t\u00e9", FRAMING),
                                    ("seeded-with-dot-segment", "", REFUSAL)]:
    _id_of = ((lambda ctx: f"{approval_id(ctx, 'decided')}/./..") if _label == "seeded-with-dot-segment"
              else (lambda ctx, r=_raw_id: r))
    add(f"ap6-id-{_label}", "approvals", "semantic",
        f"Approving id {_label}: 400/404/414 (or a closed connection for raw non-ASCII bytes in the target), "
        "nothing decided or queued.",
        ap(decide("", "approve", "alice", id_of=_id_of), _expect_id, enqueue=0))

add("ap6-wrong-token-after-decision", "approvals", "auth",
    "On a request approved earlier in the run (sl6-click-two-ids): a wrong, a missing and a Basic token are "
    "401 before anything else, and the right one is 409 (the decision stands).",
    ap(decide("slack_then_http", "deny", "bob", token="Bearer nope"), REFUSAL, status=frozenset({401})),
    ap(decide("slack_then_http", "deny", "bob", token=""), REFUSAL, status=frozenset({401})),
    ap(decide("slack_then_http", "deny", "bob", token="Basic YWxpY2U6cGFzcw=="), REFUSAL, status=frozenset({401})),
    ap(decide("slack_then_http", "deny", "bob"), REFUSAL, status=frozenset({409})))

add("ap6-list-after-decisions", "approvals", "semantic",
    "The list answers after all the decisions above (200, JSON), and with a query string it is 400.",
    Step("GET", "/approvals", IGN, auth="api", headers=(), enqueue=0),
    Step("GET", "/approvals", REFUSAL, auth="api", headers=(), query="?state=pending", enqueue=0))


# ============================================================================= 6. Body and media types

DOOR_CREDS: dict[str, tuple[str, str]] = {"alertmanager": (AM_PATH, "am"), "pagerduty": (PD_PATH, "pd"),
                                          "slack": (SLACK_PATH, "slack"), "mcp": (MCP_PATH, "mcp_session")}


PREFIX = {"alertmanager": "am", "pagerduty": "pd", "slack": "sl", "mcp": "mcp"}


def valid_body(door: str, key: str) -> Callable[[Ctx], bytes]:
    if door == "alertmanager":
        return am_simple(key)
    if door == "pagerduty":
        return pd_body(key, "1")
    if door == "slack":
        return mention_body(key)
    return lambda ctx: P.dumps(P.rpc("tools/list"))


def media(door: str, label: str, transform: Callable[[bytes], bytes], ctype: str, expect: frozenset[str],
          why: str, extra: Headers = (), **kw: Any) -> None:
    path, auth = DOOR_CREDS[door]
    key = f"Media{label.replace('-', '')}"
    base = valid_body(door, key)
    headers: Headers = ((("Content-Type", ctype),) if ctype else ()) + extra
    if door == "mcp":
        headers = (*headers, ("Accept", "application/json, text/event-stream"))
    add(f"{PREFIX[door]}6-media-{label}", door, "protocol", why,
        Step("POST", path, expect, lambda ctx: transform(base(ctx)), headers=headers, auth=auth,
             enqueue=0 if door == "mcp" else 1, **kw),
        outside="MCP SDK transport" if door == "mcp" else "")


def ndjson(body: bytes) -> bytes:
    return body + b"\n" + body + b"\n"


def yamlish(body: bytes) -> bytes:
    doc = json.loads(body)
    lines = ["---"] + [f"{k}: {json.dumps(v)}" for k, v in doc.items()]
    return "\n".join(lines).encode()


def multipart(body: bytes) -> bytes:
    return (b"--hc6b\r\nContent-Disposition: form-data; name=\"payload\"; filename=\"p.json\"\r\n"
            b"Content-Type: application/json\r\n\r\n" + body + b"\r\n--hc6b--\r\n")


for _door in ("alertmanager", "pagerduty", "slack", "mcp"):
    media(_door, "ndjson", ndjson, "application/x-ndjson", REFUSAL,
          "Two JSON documents, newline-delimited: not one JSON value (400/415), nothing queued.")
    media(_door, "yaml", yamlish, "application/yaml", REFUSAL,
          "A YAML rendering of a valid body: the doors speak JSON only (400/415).")
    media(_door, "multipart", multipart, "multipart/form-data; boundary=hc6b", REFUSAL,
          "A valid body as a multipart file upload: 400/415 at a JSON door.")
    media(_door, "charset-utf16-label-utf8-bytes", lambda b: b, "application/json; charset=utf-16",
          ACC_OR_REF,
          "UTF-8 bytes labelled utf-16: read as UTF-8 (RFC 8259 ignores the parameter) or refused 4xx.")
    media(_door, "bom-utf16le", lambda b: b"\xff\xfe" + b.decode().encode("utf-16-le"), "application/json", REFUSAL,
          "A UTF-16LE body with its BOM: RFC 8259 requires UTF-8 between systems (400/415).")
    media(_door, "content-encoding-br", lambda b: b, "application/json", REFUSAL,
          "Content-Encoding: br on an uncompressed body: a compressed body is 415 (or 400), nothing queued.",
          extra=(("Content-Encoding", "br"),))

for _door in ("alertmanager", "pagerduty", "slack"):
    media(_door, "text-plain-json", lambda b: b, "text/plain; charset=utf-8", ACC_OR_REF,
          "text/plain carrying valid JSON (curl's default, some proxies): accepted as JSON or 415, at most one job.")


def length_lie(door: str, delta: int) -> Callable[[Ctx, str], bytes]:
    path, auth = DOOR_CREDS[door]

    def build(ctx: Ctx, host: str) -> bytes:
        body = valid_body(door, f"Lie{door}{delta}")(ctx)
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body) + delta))]
        if auth == "am":
            headers.append(("Authorization", f"Bearer {ctx.keys.am_token}"))
        elif auth == "pd":
            headers += P.pd_headers(body, ctx)
        elif auth == "slack":
            headers += P.slack_headers(body, ctx)
        else:
            headers += [("Authorization", f"Bearer {ctx.keys.mcp_token}"), ("Mcp-Session-Id", ctx.mcp_session),
                        ("MCP-Protocol-Version", ctx.mcp_protocol), ("Accept", "application/json, text/event-stream")]
        return http_request("POST", path, host, headers, body, length=False)

    return build


for _door in ("pagerduty", "slack", "mcp"):
    add(f"{PREFIX[_door]}6-length-longer-half-closed", _door, "protocol",
        "Content-Length 50 bytes longer than the body, then the client half-closes: the server sees the end "
        "early and refuses or closes; nothing queued.",
        Step("POST", DOOR_CREDS[_door][0], FRAMING, raw=length_lie(_door, 50), half_close=True, enqueue=0))
    add(f"{PREFIX[_door]}6-length-shorter", _door, "protocol",
        "Content-Length 7 bytes shorter than the body (signature over the whole): truncated JSON or a bad "
        "signature, 4xx or closed; nothing queued.",
        Step("POST", DOOR_CREDS[_door][0], FRAMING, raw=length_lie(_door, -7), enqueue=0))


def chunked_ext(door: str) -> Callable[[Ctx, str], bytes]:
    path, auth = DOOR_CREDS[door]

    def build(ctx: Ctx, host: str) -> bytes:
        body = valid_body(door, f"ChunkExt{door}")(ctx)
        headers = [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked"), ("Trailer", "X-Hc6")]
        if auth == "pd":
            headers += P.pd_headers(body, ctx)
        elif auth == "slack":
            headers += P.slack_headers(body, ctx)
        half = len(body) // 2
        wire = (f"{half:x};hc6=1;name=\"v\"\r\n".encode() + body[:half] + b"\r\n"
                + f"{len(body) - half:x};hc6\r\n".encode() + body[half:] + b"\r\n0;last=1\r\nX-Hc6: trailer\r\n\r\n")
        return http_request("POST", path, host, headers, length=False) + wire

    return build


for _door in ("pagerduty", "slack"):
    add(f"{PREFIX[_door]}6-chunked-extensions-trailer-signed", _door, "protocol",
        "A correctly signed body in two chunks with extensions and a trailer field: RFC 9112 lets a server "
        "ignore unknown extensions; accepted as the same bytes, or refused 4xx; never 5xx.",
        Step("POST", DOOR_CREDS[_door][0], frozenset({ACCEPTED, REFUSED, CLOSED}), raw=chunked_ext(_door)))


def gzip_bomb_signed(door: str) -> Callable[[Ctx], bytes]:
    return lambda ctx: gzip.compress(b"{\"a\":\"" + b"0" * (32 * ONE_MIB) + b"\"}", 9)


for _door in ("pagerduty", "slack"):
    add(f"{PREFIX[_door]}6-gzip-bomb-signed", _door, "protocol",
        "A signed 32 KB gzip that inflates to 32 MiB, declared gzip: a compressed body is 415, never inflated.",
        Step("POST", DOOR_CREDS[_door][0], REFUSAL, gzip_bomb_signed(_door), auth=DOOR_CREDS[_door][1],
             headers=(("Content-Type", "application/json"), ("Content-Encoding", "gzip"))))


# ============================================================================= 7. JSON values at every door

JSON_EDGES: list[tuple[str, Callable[[bytes], bytes], frozenset[str]]] = [
    ("nan-extra", lambda b: b[:-1] + b',"hc6":NaN}', REFUSAL),
    ("neg-zero-extra", lambda b: b[:-1] + b',"hc6":-0}', ACC_OR_REF),
    ("huge-exponent-extra", lambda b: b[:-1] + b',"hc6":1e400}', REFUSAL),
    ("lone-surrogate-extra", lambda b: b[:-1] + b',"hc6":"\\ud800"}', REFUSAL),
    ("deep-array-40-extra", lambda b: b[:-1] + b',"hc6":' + b"[" * 40 + b"]" * 40 + b"}", REFUSAL),
    ("dup-extra-key", lambda b: b[:-1] + b',"hc6":1,"hc6":2}', REFUSAL),
]
for _door in ("pagerduty", "slack"):
    for _label, _tf, _expect in JSON_EDGES:
        media(_door, f"json-{_label}", _tf, "application/json", _expect,
              f"An extra top-level field carrying {_label}: the strict parser refuses NaN, Infinity, out-of-range "
              "numbers, lone surrogates, nesting past 32 and duplicate keys (400) wherever they are; valid "
              "values in an unknown field are ignored (accepted, one job).")


# ============================================================================= 8. Operational endpoints and routing

def op(name: str, method: str, path: str, expect: frozenset[str], why: str, status: frozenset[int] | None = None,
       contains: bytes | None = None, auth: str | None = None, body: bytes = b"", query: str = "",
       headers: Headers = ()) -> None:
    add(f"ops6-{name}", "approvals", "protocol", f"(vigil serve's operational routes) {why}",
        Step(method, path, expect, body, headers=(JSON_CT if body else ()) + headers, status=status, contains=contains,
             auth=auth, enqueue=0, query=query))


op("healthz-get", "GET", "/healthz", IGN, "The process lives: 200.", status=frozenset({200}))
op("healthz-post", "POST", "/healthz", REFUSAL, "A method the route does not take: 405.", status=frozenset({405}),
   body=b"{}")
op("healthz-query", "GET", "/healthz", frozenset({IGNORED, REFUSED}), "A query string on health: 200 or 400.",
   query="?verbose=1")
op("readyz-post", "POST", "/readyz", REFUSAL, "405, not a readiness answer.", status=frozenset({405}), body=b"{}")
op("metrics-get", "GET", "/metrics", IGN, "Prometheus text, 200.", status=frozenset({200}), contains=b"vigil_jobs")
op("metrics-put", "PUT", "/metrics", REFUSAL, "405.", status=frozenset({405}), body=b"{}")
op("metrics-openmetrics-accept", "GET", "/metrics", IGN, "An OpenMetrics Accept still gets the metrics (200).",
   status=frozenset({200}), headers=(("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8"),))
op("root-get", "GET", "/", REFUSAL, "Nothing is served at the root: 404 (JSON error).", status=frozenset({404}))
op("root-post", "POST", "/", REFUSAL, "POST to the root: 404 or 405.", status=frozenset({404, 405}), body=b"{}")
op("unknown-path", "GET", "/webhooks/grafana", REFUSAL, "An unknown webhook path: 404.", status=frozenset({404}))
op("unknown-deep-path", "GET", "/webhooks/alertmanager/extra/segment", REFUSAL, "404.",
   status=frozenset({404, 405}))
op("am-get", "GET", AM_PATH, REFUSAL, "GET on a POST-only webhook: 405 (with Allow).", status=frozenset({405}))
op("slack-get", "GET", SLACK_PATH, REFUSAL, "405.", status=frozenset({405}))
op("approvals-delete", "DELETE", "/approvals", REFUSAL, "405, JSON with error.", status=frozenset({405}),
   contains=b"error", auth="api")
op("approvals-patch-id", "PATCH", "/approvals/apr_x/approve", REFUSAL, "405 (or 404), JSON.",
   status=frozenset({404, 405}), contains=b"error", auth="api", body=b"{}")
op("docs-openapi", "GET", "/openapi.json", frozenset({IGNORED, REFUSED}),
   "A framework's schema page: served (200) or 404; never a 5xx.")
op("metrics-trailing-slash", "GET", "/metrics/", frozenset({IGNORED, REFUSED, REDIRECT}),
   "A trailing slash: 404, a redirect, or the metrics.")


# ============================================================================= 9. MCP: tools, resources, prompts

WRONG_TYPES: dict[str, list[tuple[str, Any]]] = {
    "question": [("number", 42), ("bool", True), ("null", None), ("list", ["pods crashlooping"]),
                 ("object", {"text": "pods crashlooping"})],
    "labels": [("string", "namespace=shop"), ("list", [["namespace", "shop"]]), ("number", 1),
               ("value-number", {"namespace": 1}), ("value-null", {"namespace": None}),
               ("value-object", {"namespace": {"name": "shop"}})],
    "output": [("number", 1), ("bool", False), ("list", ["json"]), ("object", {"format": "json"}),
               ("unknown-enum", "yaml")],
    "alertmanager_payload": [("string", "{\"alerts\": []}"), ("number", 4), ("list", [{}]), ("bool", True)],
}
for _arg, _variants in WRONG_TYPES.items():
    for _label, _value in _variants:
        _args: dict[str, Any] = {"question": "checkout pods OOMKilled in namespace shop"}
        _args[_arg] = _value
        add(f"mcp6-arg-{_arg.replace('_', '-')}-{_label}", "mcp", "json",
            f"tools/call investigate with `{_arg}` as {_label}: the input schema refuses it (tool error or "
            "JSON-RPC -32602); nothing is investigated.",
            mcp(call(_args), REFUSAL))

add("mcp6-arg-all-missing", "mcp", "json",
    "investigate with no arguments at all: a tool error (it needs a question or a payload).",
    mcp(call({}), REFUSAL))
add("mcp6-arg-arguments-null", "mcp", "json", "arguments: null: refused.", mcp(call(None), REFUSAL))
add("mcp6-arg-arguments-string", "mcp", "json", "arguments as a string: refused.",
    mcp(call("question=pods crashlooping"), REFUSAL))
add("mcp6-arg-name-number", "mcp", "json", "A tool name that is a number: refused.",
    mcp(P.rpc("tools/call", {"name": 7, "arguments": {}}), REFUSAL), outside="MCP SDK")
add("mcp6-arg-extra-huge-field", "mcp", "json",
    "An unknown 1 MB argument beside a question that is one past its bound: refused for the bound whatever "
    "the extra field does.",
    mcp(call({"question": "q" * 32001, "hc6_extra": "x" * ONE_MIB}), REFUSAL))

for _tool in ("k8s_list", "propose_change", "Investigate", "investigate\u200b", "../investigate"):
    add(f"mcp6-unknown-tool-{hashlib.sha256(_tool.encode()).hexdigest()[:6]}", "mcp", "semantic",
        f"tools/call of {_tool!r} on the investigate server (which serves only `investigate`): an error, "
        "never another server's tool.",
        mcp(call({"question": "x"}, name=_tool), REFUSAL))

for _label, _msg, _expect in [
    ("resources-list", P.rpc("resources/list"), ACC_OR_REF),
    ("resources-templates-list", P.rpc("resources/templates/list"), ACC_OR_REF),
    ("resources-read-file", P.rpc("resources/read", {"uri": "file:///etc/passwd"}), REFUSAL),
    ("resources-read-unknown-scheme", P.rpc("resources/read", {"uri": "vigil://jobs/job_0000"}), REFUSAL),
    ("prompts-list", P.rpc("prompts/list"), ACC_OR_REF),
    ("prompts-get-unknown", P.rpc("prompts/get", {"name": "hc6-nope", "arguments": {}}), REFUSAL),
    ("completion-unknown-ref", P.rpc("completion/complete", {"ref": {"type": "ref/prompt", "name": "nope"},
                                                            "argument": {"name": "a", "value": "b"}}), ACC_OR_REF),
    ("logging-set-level-bogus", P.rpc("logging/setLevel", {"level": "chatty"}), REFUSAL),
    ("tools-list-params-string", P.rpc("tools/list", "all"), REFUSAL),
]:
    add(f"mcp6-{_label}", "mcp", "semantic",
        f"{_msg['method']} ({_label}): what the server offers answers, what it does not is a JSON-RPC error; "
        "nothing outside the server is read.",
        mcp(_msg, _expect), outside="MCP SDK")

for _label, _msg in [
    ("cancel-unknown-request", P.rpc("notifications/cancelled", {"requestId": 987654, "reason": "user"}, None)),
    ("cancel-twice-same-id-1", P.rpc("notifications/cancelled", {"requestId": 424242}, None)),
    ("cancel-twice-same-id-2", P.rpc("notifications/cancelled", {"requestId": 424242}, None)),
    ("progress-unknown-token", P.rpc("notifications/progress", {"progressToken": "nope", "progress": 1}, None)),
]:
    add(f"mcp6-note-{_label}", "mcp", "semantic",
        "A notification naming a request that is not in flight (or twice): 202, or a 400; the session lives.",
        mcp(_msg, frozenset({IGNORED, REFUSED})),
        mcp(P.rpc("tools/list", id_=2), ACC), outside="MCP SDK")


def abandoned_call(ctx: Ctx, host: str) -> bytes:
    """Start an investigate call on its own connection, give up on it after half a second (the client
    died), cancel it, cancel it again; then ask for the tool list on the same session."""
    name, port = hostport(host)
    headers = [("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"),
               ("Authorization", f"Bearer {ctx.keys.mcp_token}"), ("Mcp-Session-Id", ctx.mcp_session),
               ("MCP-Protocol-Version", ctx.mcp_protocol)]
    body = P.dumps(call({"question": f"checkout pods OOMKilled in namespace shop-{ctx.tag}"}, id_="hc6-long-1"))
    try:
        with socket.create_connection((name, port), timeout=2) as sock:
            sock.sendall(http_request("POST", MCP_PATH, host, headers, body))
            sock.settimeout(0.5)
            try:
                sock.recv(1)
            except OSError:
                pass
    except OSError:
        return failed("mcp-long-call-connect", host)
    for _ in range(2):
        cancel = P.dumps(P.rpc("notifications/cancelled", {"requestId": "hc6-long-1", "reason": "client gone"}, None))
        reply = exchange(name, port, http_request("POST", MCP_PATH, host, headers, cancel), timeout=10)
        if reply.status is None or reply.status >= 500:
            return failed(f"mcp-cancel-{reply.status}", host)
    return http_request("POST", MCP_PATH, host, headers, P.dumps(P.rpc("tools/list", id_="hc6-after-cancel")))


add("mcp6-long-call-abandoned-and-cancelled", "mcp", "semantic",
    "A long investigate call whose client disconnects, then cancelled twice: the cancels are 202 (no 5xx) "
    "and the session still lists its tools.",
    Step("POST", MCP_PATH, ACC, raw=abandoned_call, enqueue=0))

for _label, _method in [("fullwidth", "ｔｏｏｌｓ/list"), ("combining", "tools/li\u0301st"),
                        ("turkish-i", "tools/lİst"), ("trailing-nbsp", "tools/list\u00a0")]:
    add(f"mcp6-method-unicode-{_label}", "mcp", "json",
        f"A method name spelled with {_label}: no method of that name (-32601), never folded to tools/list.",
        mcp(P.rpc(_method), REFUSAL), outside="MCP SDK")

for _label, _version in [("number-2", 2.0), ("string-2", "2"), ("missing", None), ("2.0-space", "2.0 ")]:
    def _rpc_version(ctx: Ctx, v: Any = _version) -> bytes:
        msg = P.rpc("tools/list", id_=3)
        if v is None:
            msg.pop("jsonrpc")
        else:
            msg["jsonrpc"] = v
        return P.dumps(msg)

    add(f"mcp6-jsonrpc-{_label}", "mcp", "json", f"jsonrpc {_version!r}: not \"2.0\", an invalid request.",
        mcp(_rpc_version, REFUSAL), outside="MCP SDK")

add("mcp6-batch-of-two-calls", "mcp", "json",
    "A batch array (removed in 2025-06-18) of two wrong-typed calls: refused, nothing investigated.",
    mcp([call({"question": 1}, id_=10), call({"labels": "x"}, id_=11)], REFUSAL), outside="MCP SDK")
add("mcp6-notification-with-id-call", "mcp", "json",
    "notifications/initialized carrying an id is a request for a method that does not exist, or ignored.",
    mcp(P.rpc("notifications/initialized", None, 77), frozenset({IGNORED, REFUSED})), outside="MCP SDK")
add("mcp6-unknown-session-delete", "mcp", "auth",
    "DELETE of a session id never issued: 404 (or 400); the real session still works.",
    Step("DELETE", MCP_PATH, REFUSAL, headers=(("Mcp-Session-Id", "hc6-not-a-session"),), auth="mcp", enqueue=0),
    mcp(P.rpc("tools/list", id_=4), ACC), outside="MCP SDK")
add("mcp6-get-sse-accept-json-only", "mcp", "protocol",
    "GET on the endpoint with Accept: application/json only: 405 or 406 (an SSE stream needs the "
    "event-stream Accept), never a hang or a 5xx.",
    Step("GET", MCP_PATH, REFUSAL, headers=(("Accept", "application/json"),), auth="mcp_session", enqueue=0),
    outside="MCP SDK")
add("mcp6-wrong-token-right-session", "mcp", "auth",
    "The live session id with a wrong bearer token: 401, and the session is not closed by it.",
    mcp(P.rpc("tools/list", id_=5), REFUSAL, auth=None,
        headers=(*MCP_HEADERS, ("Authorization", "Bearer wrong")),
        sign=lambda b, c: [("Mcp-Session-Id", c.mcp_session)]),
    mcp(P.rpc("tools/list", id_=6), ACC))


# ============================================================================= 10. HTTP versions and header counts

def http10(door: str, keep_alive: bool = False) -> Callable[[Ctx, str], bytes]:
    path, auth = DOOR_CREDS[door]

    def build(ctx: Ctx, host: str) -> bytes:
        body = valid_body(door, f"Http10{door}{keep_alive}")(ctx)
        headers = [("Content-Type", "application/json")]
        if auth == "slack":
            headers += P.slack_headers(body, ctx)
        elif auth == "pd":
            headers += P.pd_headers(body, ctx)
        else:
            headers += [("Authorization", f"Bearer {ctx.keys.mcp_token}"), ("Mcp-Session-Id", ctx.mcp_session),
                        ("MCP-Protocol-Version", ctx.mcp_protocol), ("Accept", "application/json, text/event-stream")]
        raw = http_request("POST", path, host, headers, body, version="HTTP/1.0")
        if keep_alive:
            raw = raw.replace(b"Connection: close", b"Connection: keep-alive", 1)
        return raw

    return build


for _door in ("slack", "mcp"):
    add(f"{PREFIX[_door]}6-http10-post", _door, "protocol",
        "An HTTP/1.0 request with Content-Length (valid credentials): served like 1.1, or refused 4xx.",
        Step("POST", DOOR_CREDS[_door][0], frozenset({ACCEPTED, REFUSED}), raw=http10(_door),
             enqueue=0 if _door == "mcp" else 1))
add("sl6-http10-keep-alive", "slack", "protocol",
    "HTTP/1.0 asking for keep-alive: the answer still comes (the runner half-closes), at most one job.",
    Step("POST", SLACK_PATH, frozenset({ACCEPTED, REFUSED, CLOSED}), raw=http10("slack", True), half_close=True))


def many_headers(count: int, size: int) -> Headers:
    return tuple((f"X-Hc6-{i:04d}", "v" * size) for i in range(count))


for _door, _count, _size, _expect in [("pagerduty", 600, 20, ACC_OR_REF), ("slack", 600, 20, ACC_OR_REF),
                                      ("pagerduty", 300, 120, REFUSAL), ("mcp", 600, 20, ACC_OR_REF)]:
    _path, _auth = DOOR_CREDS[_door]
    add(f"{PREFIX[_door]}6-headers-{_count}x{_size}", _door, "protocol",
        f"{_count} extra headers of {_size} bytes (~{_count * (_size + 14) // 1024} KiB, the documented bound is "
        "32 KiB): under it accepted or 431, over it 431; never 5xx.",
        Step("POST", _path, _expect, valid_body(_door, f"Hdr{_count}{_size}"),
             headers=(MCP_HEADERS if _door == "mcp" else JSON_CT) + many_headers(_count, _size), auth=_auth,
             enqueue=0 if _door == "mcp" else 1),
        outside="")


# ============================================================================= 11. Controls, and loss checks at the end

add("am6-ctl-plain", "alertmanager", "control", "A plain valid firing notification: one job.",
    am(am_simple("CtlPlain"), ACC))
add("pd6-ctl-triggered", "pagerduty", "control", "A plain triggered event: one job.",
    pd(pd_body("CtlTrig", "1"), ACC))
add("sl6-ctl-mention", "slack", "control", "A plain mention: one job.", slack(mention_body("CtlMention"), ACC))
add("sl6-ctl-slash", "slack", "control", "A plain slash command: one job.",
    slack(slash_body("CtlSlash"), ACC, headers=FORM_CT))
add("mcp6-ctl-tools-list", "mcp", "control", "tools/list on the session after everything: a result.",
    mcp(P.rpc("tools/list", id_="ctl"), ACC))
add("am6-ctl-after-all-redelivery", "alertmanager", "control",
    "The very first lifecycle's alert redelivered at the end: still joins its job (nothing accepted earlier "
    "was lost or duplicated by the 200-odd requests in between).",
    am(am_simple("Refire"), IGN))
add("pd6-ctl-after-all-redelivery", "pagerduty", "control",
    "A new trigger event for an incident triggered and acknowledged (never resolved) early in the run: "
    "joins its job.",
    pd(pd_body("AckFirst", "end"), IGN))

CASES: tuple[Case, ...] = tuple(CASES_LIST)
