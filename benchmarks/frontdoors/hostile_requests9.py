"""The ninth blind hostile catalogue: what happens between requests and between doors, each step with
the classes of answer the public specifications and docs/frontdoors.md allow.

Written before reading agent/server/, guardrails/, mcp_servers/ or the tests, and knowing of rounds 1
to 8 only their module docstrings and case names. Those rounds sent most single-request framing, JSON,
signature and media-type tricks; this one is about state and sequences:

- one incident arriving at several doors in turn (Alertmanager, PagerDuty, Slack mention, slash
  command), with redeliveries and refused variants from the other doors interleaved: each door's first
  delivery queues one job (the docs key jobs by alert name and labels, or by PagerDuty incident id, so
  different doors do not join each other), each redelivery joins (no job), a replayed PagerDuty event is
  409, and nothing refused in between changes what was accepted;
- RFC 9112 9.6 at each webhook door: a request carrying `Connection: close` with a valid request
  pipelined behind it; the server MUST NOT process the second, so a separate delivery of it afterwards
  must queue a new job; a garbage request between two valid ones; chunked bodies announcing a trailer;
- the approvals API and Slack clicks on every seeded state (pending, expired, decided, used, a
  requester's own high-risk request): forged action ids, non-approvers, bad identities, wrong tokens and
  oversize bodies first (none may decide), then a real decision (which must still be possible), then a
  second decision (409); two decisions pipelined on one connection; ids with path metacharacters;
  conditional and range requests on the list;
- the jobs API: docs/frontdoors.md documents jobs only through the `vigil jobs` CLI, so every HTTP
  route under /jobs is an unknown route (404 JSON), whatever its id, pagination or filters;
- Slack: interactivity payloads with forged action ids, view submissions without state, payload fields
  holding nested JSON strings, text or a BOM; Events API callbacks of types Vigil does not act on,
  `app_rate_limited`, the bot's own messages, edits and deletions (200 ignored, nothing queued);
- PagerDuty v3: every documented incident event type with odd data (no service, unicode titles,
  large custom details): only `incident.triggered` queues a job;
- MCP streamable HTTP (2025-06-18): initialize with unknown or ill-typed protocol versions, initialize
  twice on a live session, session ids spelled with whitespace, flipped or listed, protocol-version
  headers that disagree with the negotiated one, tools/list cursors, resources/read of unknown URIs,
  logging/setLevel and completion, notifications carrying ids, ids of odd numeric spellings, batches
  (removed in 2025-06-18), GET streams refused before they open, a session DELETEd then DELETEd again,
  a DELETE refused for its Origin or token that must leave the session alive, and Origin checks
  (the transport spec: servers MUST validate Origin against DNS rebinding).

Side sessions (an MCP session made for one case) are opened in a step's `raw` builder on their own
socket; when that fails the builder returns the step's request without its token, whose 401 the step
does not allow (refusal steps pin their status), so the failure shows under the case's name.

Every body that should be accepted names a unique incident per case and per run (the run's tag is in
every alert name, PagerDuty incident id and Slack text). Where the sources leave the answer open a step
allows several classes; the runner still checks no 5xx, nothing enqueued unless accepted, and the exact
job count when accepted.

    CASES: tuple[Case, ...]   # .venv/bin/python benchmarks/frontdoors/run_hostile.py --catalogue 9
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from benchmarks.frontdoors import hostile_payloads as P
from benchmarks.frontdoors.hostile_client import encode, exchange
from benchmarks.frontdoors.hostile_model import (
    ACCEPTED,
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

AM, PD, SL, AP = "/webhooks/alertmanager", "/webhooks/pagerduty", "/slack/events", "/approvals"
JSON: Headers = (("Content-Type", "application/json"),)
FORM: Headers = (("Content-Type", "application/x-www-form-urlencoded"),)
MCP_H: Headers = (("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"))
OK = frozenset({ACCEPTED})
IGN = frozenset({IGNORED})
ACC_OR_IGN = frozenset({ACCEPTED, IGNORED})
ACC_OR_REF = frozenset({ACCEPTED, REFUSED})
IGN_OR_REF = NOT_ACCEPTED
SDK = "MCP SDK (JSON-RPC dispatch and transport)"
BodyFn = Callable[[Ctx], bytes]

# ----------------------------------------------------------------------------- bodies


def _an(ctx: Ctx, name: str) -> str:
    return "H9" + "".join(ch if ch.isalnum() else "_" for ch in name) + "_" + ctx.tag


def am(name: str, status: str = "firing", **labels: str) -> BodyFn:
    def build(ctx: Ctx) -> bytes:
        alertname = _an(ctx, name)
        return P.dumps(P.am_payload(alertname, status, alerts=[P.am_alert(alertname, status, **labels)]))
    return build


def _incident(ctx: Ctx, key: str) -> str:
    return "P" + P.uid(ctx, "incident9:" + key, 6)


def pd(name: str, event_type: str = "incident.triggered", incident: str | None = None,
       mutate: Callable[[dict[str, Any], Ctx], None] | None = None) -> BodyFn:
    """A v3 event; `name` fixes its event id, `incident` (a key) its incident id, shared across steps."""
    def build(ctx: Ctx) -> bytes:
        event = P.pd_event(ctx, "h9:" + name, event_type, incident=_incident(ctx, incident or name))
        event["event"]["data"]["title"] = f"checkout pods OOMKilled {name} {ctx.tag}"
        if mutate is not None:
            mutate(event, ctx)
        return P.dumps(event)
    return build


def _ts(ctx: Ctx, name: str) -> str:
    return f"{int(ctx.now) - 2}.{P.uid(ctx, 'ts9:' + name, 6, '0123456789')}"


def mention(name: str, text: str = "pods crashlooping in payments") -> BodyFn:
    def build(ctx: Ctx) -> bytes:
        ts = _ts(ctx, name)
        event = {"type": "app_mention", "user": P.USER, "text": f"<@U0LAN0Z89> {text} ({name} {ctx.tag})",
                 "ts": ts, "channel": P.CHANNEL, "event_ts": ts}
        return P.dumps(P.slack_event(ctx, "h9:" + name, event=event))
    return build


def slack_event(name: str, event: Callable[[Ctx], dict[str, Any]], **top: Any) -> BodyFn:
    def build(ctx: Ctx) -> bytes:
        return P.dumps(P.slack_event(ctx, "h9:" + name, event=event(ctx), **top))
    return build


def slash(name: str, text: str = "investigate checkout pods OOMKilled in namespace shop") -> BodyFn:
    def build(ctx: Ctx) -> bytes:
        return P.form(P.slash_form(ctx, "h9:" + name, text=f"{text} ({name} {ctx.tag})"))
    return build


def js(obj: Any) -> Body:
    return P.dumps(obj)


# ----------------------------------------------------------------------------- steps


def am_step(body: Body, expect: frozenset[str] = OK, **kw: Any) -> Step:
    return Step("POST", AM, expect, body, JSON, auth="am", **kw)


def pd_step(body: Body, expect: frozenset[str] = OK, **kw: Any) -> Step:
    return Step("POST", PD, expect, body, JSON, auth="pd", **kw)


def sl_step(body: Body, expect: frozenset[str] = OK, **kw: Any) -> Step:
    return Step("POST", SL, expect, body, JSON, auth="slack", **kw)


def sc_step(body: Body, expect: frozenset[str] = OK, **kw: Any) -> Step:
    return Step("POST", SL, expect, body, FORM, auth="slack", **kw)


def click_step(body: Body, expect: frozenset[str], **kw: Any) -> Step:
    return Step("POST", SL, expect, body, FORM, auth="slack", **kw)


def mcp_step(message: Any, expect: frozenset[str], auth: str | None = "mcp_session", headers: Headers = MCP_H,
             raw_body: bytes | None = None, **kw: Any) -> Step:
    body = raw_body if raw_body is not None else P.dumps(message)
    return Step("POST", "/mcp", expect, body, headers, auth=auth, **kw)


def _keep_alive(data: bytes) -> bytes:
    return data.replace(b"Connection: close\r\n", b"Connection: keep-alive\r\n", 1)


def pipelined(*steps: Step, close_first: bool = False) -> Callable[[Ctx, str], bytes]:
    """Several requests on one connection: every one keep-alive but the last (or, with `close_first`,
    the first says close and the rest follow anyway)."""
    def build(ctx: Ctx, host: str) -> bytes:
        parts = []
        for i, step in enumerate(steps):
            data = encode(step, ctx, host)
            last = i == len(steps) - 1
            if close_first:
                parts.append(data if i == 0 else _keep_alive(data))
            else:
                parts.append(data if last else _keep_alive(data))
        return b"".join(parts)
    return build


def ap_step(role: str | None, verb: str, approver: Any, expect: frozenset[str], *, raw_id: str = "",
            token: str = "api", body: Body | None = None, headers: Headers = JSON, method: str = "POST",
            status: frozenset[int] | None = None, enqueue_any: frozenset[int] | None = None) -> Step:
    """A decision on a seeded approval (by role) or on a literal id; the path is known only at run time."""
    payload: Body = body if body is not None else P.dumps({"approver": approver, "note": "catalogue 9"})
    inner = Step(method, "", expect, payload, headers, auth=None if token == "none" else token)

    def build(ctx: Ctx, host: str) -> bytes:
        ident = ctx.approvals.get(role, "appr_missing_role") if role else raw_id
        path = f"{AP}/{ident}/{verb}" if verb else f"{AP}/{ident}"
        return encode(replace(inner, path=path), ctx, host)
    if enqueue_any is None and ACCEPTED in expect:
        enqueue_any = frozenset({0, 1})
    return Step(method, AP, expect, raw=build, status=status, enqueue_any=enqueue_any, enqueue=0)


def approve_ok(role: str, approver: str = "bob") -> Step:
    """A real decision, allowed: an approved proposal may queue its pull-request job (docs), so 0 or 1."""
    return ap_step(role, "approve", approver, ACC_OR_IGN, enqueue_any=frozenset({0, 1}))


def decided(role: str, verb: str = "approve", approver: str = "bob") -> Step:
    return ap_step(role, verb, approver, REFUSAL, status=frozenset({409}))


# ----------------------------------------------------------------------------- MCP side sessions

SIDE: dict[str, str] = {}
"""Side sessions by case name, opened by a step's raw builder and used by its later steps."""


def _split(host: str) -> tuple[str, int]:
    name, _, port = host.rpartition(":")
    return name, int(port)


def _open_side(ctx: Ctx, host: str) -> str:
    init = Step("POST", "/mcp", OK, P.dumps(P.initialize()), MCP_H, auth="mcp")
    name, port = _split(host)
    try:
        reply = exchange(name, port, encode(init, ctx, host), timeout=10)
    except OSError:
        return ""
    session = reply.header("mcp-session-id") or ""
    if reply.status != 200 or not session:
        return ""
    note = Step("POST", "/mcp", IGN, P.dumps(P.rpc("notifications/initialized", id_=None)), auth=None,
                headers=(*MCP_H, ("Authorization", f"Bearer {ctx.keys.mcp_token}"),
                                  ("Mcp-Session-Id", session), ("MCP-Protocol-Version", ctx.mcp_protocol)))
    try:
        exchange(name, port, encode(note, ctx, host), timeout=10)
    except OSError:
        return ""
    return session


def side(case: str, step: Step, *, fresh: bool = False, session: Callable[[str], str] = lambda s: s,
         token: bool = True, extra: Headers = (), before: Callable[[Ctx, str, str], None] | None = None,
         ) -> Callable[[Ctx, str], bytes]:
    """`step` sent on the case's side session (opened on first use, or anew with `fresh`), its session
    id passed through `session` (to spell it oddly); `before` runs on the side first (e.g. a DELETE)."""
    def build(ctx: Ctx, host: str) -> bytes:
        if fresh or case not in SIDE:
            SIDE[case] = _open_side(ctx, host)
        sid = SIDE[case]
        if not sid:
            return encode(replace(step, auth=None), ctx, host)  # 401: the side check failed
        if before is not None:
            before(ctx, host, sid)
        creds: Headers = ((("Authorization", f"Bearer {ctx.keys.mcp_token}"),) if token else ())
        creds += (("Mcp-Session-Id", session(sid)), ("MCP-Protocol-Version", ctx.mcp_protocol))
        return encode(replace(step, auth=None, headers=step.headers + creds + extra), ctx, host)
    return build


def _delete_side(ctx: Ctx, host: str, sid: str) -> None:
    name, port = _split(host)
    req = Step("DELETE", "/mcp", IGN, b"", auth=None,
               headers=(("Authorization", f"Bearer {ctx.keys.mcp_token}"), ("Mcp-Session-Id", sid),
                        ("MCP-Protocol-Version", ctx.mcp_protocol)))
    try:
        exchange(name, port, encode(req, ctx, host), timeout=10)
    except OSError:
        pass


def side_step(case: str, message: Any, expect: frozenset[str], *, status: frozenset[int] | None = None,
              method: str = "POST", headers: Headers = MCP_H, **kw: Any) -> Step:
    inner = Step(method, "/mcp", expect, P.dumps(message) if message is not None else b"", headers)
    return Step(method, "/mcp", expect, raw=side(case, inner, **kw), status=status)


def _forged_click(action_id: str) -> BodyFn:
    def build(ctx: Ctx) -> bytes:
        return P.block_actions_body(ctx, ctx.approvals.get("deny_then_approve", "x"), action_id=action_id)
    return build


def _payload_field(raw: Callable[[Ctx], str]) -> BodyFn:
    def build(ctx: Ctx) -> bytes:
        return P.form({"payload": raw(ctx)})
    return build


def _plain_event(etype: str) -> Callable[[Ctx], dict[str, Any]]:
    def build(ctx: Ctx) -> dict[str, Any]:
        return {"type": etype, "user": P.USER, "channel": P.CHANNEL, "event_ts": _ts(ctx, etype)}
    return build


def _resources_read(uri: str | None) -> BodyFn:
    def build(ctx: Ctx) -> bytes:
        return P.dumps(P.rpc("resources/read", {"uri": uri if uri is not None else ctx.canary_url}))
    return build


# ----------------------------------------------------------------------------- cases

CASES_LIST: list[Case] = []


def case(name: str, door: str, group: str, why: str, *steps: Step, outside: str = "") -> None:
    CASES_LIST.append(Case(name, door, group, why, tuple(steps), outside=outside))


# Controls first: each door works before anything hostile is sent.
case("am9-ctl-plain", "alertmanager", "control", "a plain firing alert is queued once",
     am_step(am("ctl")), am_step(am("ctl"), IGN))
case("pd9-ctl-triggered", "pagerduty", "control", "incident.triggered is queued once",
     pd_step(pd("ctl")))
case("sl9-ctl-mention", "slack", "control", "an app_mention is queued once", sl_step(mention("ctl")))
case("sc9-ctl-slash", "slack", "control", "/vigil investigate is queued once", sc_step(slash("ctl")))
case("ap9-ctl-list", "approvals", "control", "GET /approvals lists pending requests",
     Step("GET", AP, IGN, auth="api", headers=()))
case("mcp9-ctl-tools-list", "mcp", "control", "tools/list on the runner's session",
     mcp_step(P.rpc("tools/list"), OK))

# --------------------------------------------------------------- one incident, several doors
for order in ("am-pd-sl", "pd-am-sl", "sl-pd-am", "sc-am-pd", "am-sc-sl"):
    n = f"mix9-{order}"
    first: dict[str, Step] = {
        "am": am_step(am(n)), "pd": pd_step(pd(n + ":t1", incident=n)),
        "sl": sl_step(mention(n, f"checkout OOMKilled {n}")), "sc": sc_step(slash(n)),
    }
    again: dict[str, Step] = {
        "am": am_step(am(n), IGN),
        "pd": pd_step(pd(n + ":t2", incident=n), IGN),
        "sl": sl_step(mention(n + ":again", f"checkout OOMKilled {n}"), ACC_OR_IGN),
        "sc": sc_step(slash(n + ":again"), ACC_OR_IGN),
    }
    doors = order.split("-")
    case(n, "alertmanager", "semantic",
         "the same incident at three doors: each door's first delivery is a job (keys differ by door per the "
         "docs), each redelivery joins",
         *[first[d] for d in doors], *[again[d] for d in doors])

case("mix9-refusals-between-then-redeliver", "alertmanager", "semantic",
     "an accepted alert, then refused requests at every other door naming it, then its redelivery joins",
     am_step(am("mixref")),
     pd_step(pd("mixref:bad", incident="mixref"), REFUSAL, sign=lambda b, c: [("X-PagerDuty-Signature", "v1=00")],
             status=frozenset({401})),
     sl_step(mention("mixref", "mixref"), REFUSAL, sign=lambda b, c: P.slack_headers(b, c, ts_offset=-900),
             status=frozenset({401})),
     am_step(am("mixref", "resolved"), REFUSAL, sign=lambda b, c: [("Authorization", "Bearer wrong")],
             status=frozenset({401})),
     am_step(lambda c: am("mixref", "resolved")(c)[:-1], REFUSAL, status=frozenset({400})),
     am_step(am("mixref"), IGN))
case("mix9-pd-ack-resolve-then-retrigger", "pagerduty", "semantic",
     "triggered is a job; acknowledged and resolved are recorded on it; a replay is 409",
     pd_step(pd("lc:t", incident="lc")),
     pd_step(pd("lc:a", "incident.acknowledged", incident="lc"), IGN, enqueue_any=frozenset({0})),
     pd_step(b"", REFUSAL, replay_previous=True, status=frozenset({409})),
     # A resolve may queue the small Slack "Resolved" job (docs/frontdoors.md, Resolution): accepted or ignored.
     pd_step(pd("lc:r", "incident.resolved", incident="lc"), ACC_OR_IGN, enqueue_any=frozenset({0, 1})),
     pd_step(pd("lc:t2", incident="lc"), ACC_OR_IGN))
case("mix9-pd-resolved-unknown-then-am", "pagerduty", "semantic",
     "a resolve for an incident never seen queues no investigation; an unrelated alert is unaffected",
     pd_step(pd("ru:r", "incident.resolved", incident="ru"), IGN_OR_REF, enqueue_any=frozenset({0, 1})),
     am_step(am("ru")), am_step(am("ru"), IGN))
case("mix9-am-resolved-then-pd-trigger", "alertmanager", "semantic",
     "an Alertmanager resolve does not swallow a PagerDuty trigger for another key",
     am_step(am("arp")), am_step(am("arp", "resolved"), ACC_OR_IGN, enqueue_any=frozenset({0, 1})),
     pd_step(pd("arp", incident="arp")))
case("mix9-pd-same-event-two-doors", "pagerduty", "semantic",
     "a PagerDuty body posted to the Alertmanager door is refused there and still accepted at its own",
     Step("POST", AM, REFUSAL, pd("twodoor"), JSON, auth="am", status=frozenset({422, 400})),
     pd_step(pd("twodoor")), pd_step(b"", REFUSAL, replay_previous=True, status=frozenset({409})))
case("mix9-slack-retry-after-other-doors", "slack", "semantic",
     "a Slack retry (same event_id, numbered) arriving after other doors' traffic joins its job",
     sl_step(mention("slr")), am_step(am("slr")), pd_step(pd("slr")),
     Step("POST", SL, IGN, mention("slr"), (*JSON, ("X-Slack-Retry-Num", "1"),
                                            ("X-Slack-Retry-Reason", "http_timeout")),
          auth="slack"))

# --------------------------------------------------------------- RFC 9112 9.6 and pipelining


def _chunked_with_trailer(step: Step) -> Callable[[Ctx, str], bytes]:
    """The step chunked, announcing a `Trailer` field and sending it after the last chunk."""
    def build(ctx: Ctx, host: str) -> bytes:
        data = encode(replace(step, framing="chunked"), ctx, host)
        head, _, rest = data.partition(b"\r\n\r\n")
        return head + b"\r\nTrailer: X-Hostile-Trace\r\n\r\n" + rest[:-2] + b"X-Hostile-Trace: 9\r\n\r\n"
    return build


def _garbage_between(first: Step, second: Step) -> Callable[[Ctx, str], bytes]:
    """A keep-alive valid request, bytes that are no HTTP request line, then a second valid request."""
    def build(ctx: Ctx, host: str) -> bytes:
        return (_keep_alive(encode(first, ctx, host)) + b"\x16\x03\x01 NOT HTTP\r\n\r\n"
                + encode(second, ctx, host))
    return build


_FIRST = {"am": am_step, "pd": pd_step, "sl": sl_step, "sc": sc_step}
_BODY: dict[str, Callable[[str], BodyFn]] = {"am": am, "pd": pd, "sl": mention, "sc": slash}
for door in ("am", "pd", "sl", "sc"):
    mk, bd = _FIRST[door], _BODY[door]
    a, b = f"{door}9-close-a", f"{door}9-close-b"
    case(f"{door}9-http-close-then-pipelined", "slack" if door in ("sl", "sc") else
         {"am": "alertmanager", "pd": "pagerduty"}[door], "protocol",
         "RFC 9112 9.6: after a request with Connection: close the server MUST NOT process the next one on "
         "that connection; so the second, sent again alone, is new",
         Step("POST", AM, OK, raw=pipelined(mk(bd(a)), mk(bd(b)), close_first=True), enqueue_any=frozenset({1})),
         mk(bd(b)))
    g1, g2 = f"{door}9-garb-a", f"{door}9-garb-b"
    case(f"{door}9-http-pipelined-garbage-between", "slack" if door in ("sl", "sc") else
         {"am": "alertmanager", "pd": "pagerduty"}[door], "protocol",
         "valid, a request line that is not HTTP, valid: the first is queued, the connection cannot be "
         "resynchronised after the garbage, and the third sent alone is then new (or joins)",
         Step("POST", AM, OK, raw=_garbage_between(mk(bd(g1)), mk(bd(g2))), enqueue_any=frozenset({1})),
         mk(bd(g2), ACC_OR_IGN))
for door in ("pd", "sl"):
    mk, bd = _FIRST[door], _BODY[door]
    case(f"{door}9-http-chunked-announced-trailer", "pagerduty" if door == "pd" else "slack", "protocol",
         "a chunked body announcing a harmless trailer (RFC 9112 7.1.2) is a normal signed delivery",
         Step("POST", PD if door == "pd" else SL, OK, raw=_chunked_with_trailer(mk(bd(f"{door}9-trailer")))))




def _list_close_then_approve(ctx: Ctx, host: str) -> bytes:
    listing = encode(Step("GET", AP, IGN, headers=(), auth="api"), ctx, host)
    ident = ctx.approvals.get("slack_then_http", "appr_missing_role")
    approve = Step("POST", f"{AP}/{ident}/approve", OK, P.dumps({"approver": "bob"}), JSON, auth="api")
    return listing + _keep_alive(encode(approve, ctx, host))


case("ap9-http-close-then-pipelined-approve", "approvals", "protocol",
     "a list request with Connection: close, then an approval pipelined behind it: not processed (9.6), so "
     "the request is still pending and a separate approval succeeds",
     Step("GET", AP, IGN, raw=_list_close_then_approve, enqueue_any=frozenset({0})),
     approve_ok("slack_then_http", "carol"), decided("slack_then_http", "deny", "alice"))

# --------------------------------------------------------------- approvals on every seeded state
case("ap9-twice-then-everyone", "approvals", "semantic",
     "approved once; every later decision, by anyone, either verb, is 409",
     approve_ok("twice"), decided("twice", "approve", "carol"), decided("twice", "deny", "alice"),
     decided("twice", "approve", "bob"), decided("twice", "deny", "bob"))
case("ap9-refusals-leave-pending", "approvals", "semantic",
     "non-approvers, bad identities, wrong tokens and bad bodies decide nothing; a real deny then works",
     ap_step("approve_then_deny", "approve", "mallory", REFUSAL, status=frozenset({403})),
     ap_step("approve_then_deny", "approve", "bob\u200b", REFUSAL, status=frozenset({422})),
     ap_step("approve_then_deny", "approve", "bob smith", REFUSAL, status=frozenset({422})),
     ap_step("approve_then_deny", "approve", "b" * 201, REFUSAL, status=frozenset({422})),
     ap_step("approve_then_deny", "approve", "bob\u202e", REFUSAL, status=frozenset({422})),
     ap_step("approve_then_deny", "approve", "bob", REFUSAL, token="am", status=frozenset({401})),
     ap_step("approve_then_deny", "approve", "bob", REFUSAL, token="none", status=frozenset({401})),
     ap_step("approve_then_deny", "approve", None, REFUSAL, status=frozenset({400, 422})),
     ap_step("approve_then_deny", "approve", "bob", REFUSAL,
             body=b'{"approver": "bob", "approver": "carol"}', status=frozenset({400})),
     ap_step("approve_then_deny", "approve", "bob", REFUSAL,
             body=lambda c: P.dumps({"approver": "bob", "note": "x" * (1024 * 1024 + 10)}),
             status=frozenset({413})),
     ap_step("approve_then_deny", "approve", "bob", REFUSAL, body=b"approver=bob", headers=FORM),
     ap_step("approve_then_deny", "APPROVE", "bob", REFUSAL),
     ap_step("approve_then_deny", "approve", "bob", REFUSAL, method="PUT", status=frozenset({405, 404})),
     ap_step("approve_then_deny", "deny", "carol", IGN),
     decided("approve_then_deny", "approve", "bob"))
case("ap9-forged-clicks-leave-pending", "approvals", "semantic",
     "Slack clicks with forged action ids or from a non-approver decide nothing; HTTP then approves",
     *[click_step(_forged_click(aid), IGN_OR_REF, enqueue_any=frozenset({0}))
       for aid in ("approve_all", "APPROVE", "approve\u200b", "approve;deny", "", "a" * 300)],
     click_step(lambda c: P.block_actions_body(
         c, c.approvals.get("deny_then_approve", "x"),
         user={"id": "U0EVIL0001", "username": "mallory", "team_id": P.TEAM}), IGN_OR_REF,
         enqueue_any=frozenset({0})),
     approve_ok("deny_then_approve"), decided("deny_then_approve", "deny", "carol"))
case("ap9-expired-every-refusal", "approvals", "semantic",
     "an expired request is 409 for approvers; non-approvers and bad names are refused either way",
     decided("expired"), decided("expired", "deny", "carol"),
     ap_step("expired", "approve", "mallory", REFUSAL, status=frozenset({403, 409})),
     ap_step("expired", "approve", "bob\u0000", REFUSAL, status=frozenset({400, 409, 422})))
case("ap9-decided-and-used", "approvals", "semantic", "decided and used requests are 409 to both verbs",
     decided("decided"), decided("decided", "deny", "carol"), decided("used"), decided("used", "deny"))
case("ap9-self-approval-spellings", "approvals", "semantic",
     "alice cannot approve her own high-risk request under any spelling; bob then can",
     *[ap_step("self_high", "approve", who, REFUSAL, status=frozenset({403, 422}))
       for who in ("alice", "Alice", "alice\u0301", "\u0430lice")],
     approve_ok("self_high"))
case("ap9-withdraw-then-approve", "approvals", "semantic",
     "the requester may withdraw (deny) its own request; approving after is 409",
     ap_step("withdraw", "deny", "carol", IGN), decided("withdraw", "approve", "bob"))
for i, ident in enumerate(("..", "...", "%2e%2e", "*", "%2a", "{id}", "$(id)", "'%20OR%201=1--", "~root",
                           "%252f", "appr%00", "%E2%80%AE", "a" * 4000, "a" * 9000, "apr;x=1", "apr%3Bx",
                           "%20", "%09")):
    case(f"ap9-id-meta-{i:02d}", "approvals", "semantic",
         f"an approval id spelled {ident[:24]!r}: no such request (404), a bad target (400) or too long (414)",
         ap_step(None, "approve", "bob", REFUSAL, raw_id=ident))
case("ap9-list-if-none-match", "approvals", "protocol", "a conditional GET: 200 or 304, nothing else",
     Step("GET", AP, frozenset({IGNORED, REDIRECT}), headers=(("If-None-Match", "*"),), auth="api"))
case("ap9-list-if-modified-since", "approvals", "protocol", "a conditional GET by date: 200 or 304",
     Step("GET", AP, frozenset({IGNORED, REDIRECT}),
          headers=(("If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"),), auth="api"))
case("ap9-list-range", "approvals", "protocol", "a Range request: the server may ignore it (200) or 206/416",
     Step("GET", AP, IGN_OR_REF, headers=(("Range", "bytes=0-5"),), auth="api"))
case("ap9-approve-if-match", "approvals", "protocol", "If-Match on an unknown id: 404 or 412, never a decision",
     ap_step(None, "approve", "bob", REFUSAL, raw_id="appr_unknown9",
             headers=(*JSON, ("If-Match", '"nope"'))))
case("ap9-list-query-pagination", "approvals", "semantic",
     "GET /approvals takes no query parameters (400 by the docs)",
     Step("GET", AP, REFUSAL, headers=(), auth="api", query="?limit=999999999999&offset=-1",
          status=frozenset({400})),
     Step("GET", AP, REFUSAL, headers=(), auth="api", query="?state[]=pending&state[$ne]=x",
          status=frozenset({400})))

# --------------------------------------------------------------- the jobs API (undocumented over HTTP)
for i, (method, path, query) in enumerate((
        ("GET", "/jobs", ""), ("GET", "/jobs", "?limit=99999999999999999999"), ("GET", "/jobs", "?state=1&state=["),
        ("GET", "/jobs/job_5f1c2a9e0b7d4c11", ""), ("GET", "/jobs/..%2f..%2fetc%2fpasswd", ""),
        ("GET", "/jobs/job_%00", ""), ("POST", "/jobs/job_5f1c2a9e0b7d4c11/retry", ""),
        ("DELETE", "/jobs/job_5f1c2a9e0b7d4c11", ""), ("GET", "/api/v1/jobs", "?page=-1"),
        ("GET", "/jobs/" + "9" * 5000, ""))):
    case(f"jobs9-undocumented-{i:02d}", "approvals", "semantic",
         f"{method} {path[:40]}: docs/frontdoors.md offers jobs only through the CLI, so an unknown route "
         "(404 JSON) or a bad target (400)",
         Step(method, path, REFUSAL, b"", (), auth="api", query=query))

# --------------------------------------------------------------- Slack interactivity
_VIEW: dict[str, Any] = {"type": "view_submission", "team": {"id": P.TEAM, "domain": "acme"},
         "user": {"id": P.USER, "username": "steve", "team_id": P.TEAM}, "api_app_id": P.APP,
         "token": "x", "trigger_id": "1.2.abc",
         "view": {"id": "V0HOSTILE9", "type": "modal", "callback_id": "vigil_investigate", "blocks": []}}
for label, payload in (
        ("view-submission-no-state", _VIEW),
        ("view-submission-no-view", {k: v for k, v in _VIEW.items() if k != "view"}),
        ("view-submission-state-null", {**_VIEW, "view": {**_VIEW["view"], "state": None}}),
        ("view-submission-state-values-list", {**_VIEW, "view": {**_VIEW["view"], "state": {"values": []}}}),
):
    case(f"sl9-ia-{label}", "slack", "semantic",
         "a view Vigil never opened: acknowledged and ignored, or refused; nothing queued",
         click_step(P.form({"payload": json.dumps(payload)}), IGN_OR_REF))
for label, raw in (
        ("payload-nested-json-string", lambda c: json.dumps(json.dumps(P.block_actions(c, "appr_x")))),
        ("payload-trailing-data", lambda c: json.dumps(P.block_actions(c, "appr_x")) + " {}"),
        ("payload-text", lambda c: "approve appr_x please"),
        ("payload-empty", lambda c: ""),
        ("payload-urlencoded-twice", lambda c: P.form({"payload": json.dumps(P.block_actions(c, "appr_x"))})
         .decode()),
        ("payload-jsonp", lambda c: "cb(" + json.dumps(P.block_actions(c, "appr_x")) + ")"),
):
    case(f"sl9-ia-{label}", "slack", "json",
         "the payload form field is not one JSON object: 400 or 422, nothing decided",
         click_step(_payload_field(raw), REFUSAL))
case("sl9-ia-payload-bom", "slack", "json",
     "a UTF-8 mark before the payload's JSON (tolerated on bodies by the docs): a click on a button Vigil did "
     "not post either way, so refused or acknowledged; nothing decided or queued",
     click_step(_payload_field(lambda c: "\ufeff" + json.dumps(P.block_actions(c, "appr_x"))), IGN_OR_REF))
case("sl9-ia-value-nested-json", "slack", "semantic",
     "a button value that is JSON naming a seeded approval: Vigil did not post it (404) or not approver",
     click_step(lambda c: P.block_actions_body(c, json.dumps({"id": c.approvals.get("twice", "x"),
                                                              "decision": "approve"})), IGN_OR_REF,
                enqueue_any=frozenset({0})))
case("sl9-ia-payload-and-body-json", "slack", "json",
     "a payload field beside a second, different payload in the query: only the signed body counts",
     click_step(P.form({"payload": "not json"}), REFUSAL, query="?payload=%7B%7D"))
case("sl9-ia-block-actions-no-actions-key", "slack", "semantic",
     "block_actions without actions: refused or ignored, nothing queued",
     click_step(lambda c: P.form({"payload": json.dumps({k: v for k, v in P.block_actions(c, "x").items()
                                                         if k != "actions"})}), IGN_OR_REF))

# --------------------------------------------------------------- Slack Events API
for etype in ("pin_added", "star_added", "channel_rename", "file_created", "link_shared", "app_home_opened",
              "subteam_updated", "dnd_updated", "user_status_changed", "im_created", "call_rejected",
              "grid_migration_started", "scope_granted", "channel_archive", "reaction_removed",
              "shared_channel_invite_received", "function_executed", "hostile_type_9"):
    case(f"sl9-ev-ignored-{etype}", "slack", "semantic",
         "a signed event of a type Vigil does not act on: 200 ignored, nothing queued (docs)",
         sl_step(slack_event(etype, _plain_event(etype)), IGN))
for i, minute in enumerate((1518467820, 0, -1)):
    case(f"sl9-ev-app-rate-limited-{i}", "slack", "semantic", "app_rate_limited: 200 ignored (docs)",
         sl_step(js({"token": "x", "type": "app_rate_limited", "team_id": P.TEAM,
                     "minute_rate_limited": minute, "api_app_id": P.APP}), IGN if minute >= 0 else IGN_OR_REF))


def _own_message(name: str, **extra: Any) -> Callable[[Ctx], dict[str, Any]]:
    def build(ctx: Ctx) -> dict[str, Any]:
        ts = _ts(ctx, name)
        return {"type": "message", "channel": P.CHANNEL, "ts": ts, "event_ts": ts,
                "text": f"<@U0LAN0Z89> investigate {name} {ctx.tag}", **extra}
    return build


for label, extra in (
        ("own-bot-message", {"subtype": "bot_message", "bot_id": "B0HOSTILE9", "app_id": P.APP}),
        ("own-bot-in-thread", {"bot_id": "B0HOSTILE9", "app_id": P.APP, "user": "U0LAN0Z89",
                               "thread_ts": "1548261231.000200"}),
        ("own-user-id-mention", {"user": "U0LAN0Z89"}),
        ("edited", {"subtype": "message_changed", "hidden": True,
                    "message": {"type": "message", "user": P.USER, "text": "<@U0LAN0Z89> edited",
                                "ts": "1548261231.000200", "edited": {"user": P.USER, "ts": "1548261232.0"}},
                    "previous_message": {"type": "message", "user": P.USER, "text": "old",
                                         "ts": "1548261231.000200"}}),
        ("deleted", {"subtype": "message_deleted", "hidden": True, "deleted_ts": "1548261231.000200",
                     "previous_message": {"type": "message", "user": P.USER, "text": "<@U0LAN0Z89> x",
                                          "ts": "1548261231.000200"}}),
        ("replied", {"subtype": "message_replied", "hidden": True,
                     "message": {"type": "message", "user": P.USER, "text": "x", "thread_ts": "1.2",
                                 "reply_count": 1, "ts": "1.2"}}),
        ("channel-topic", {"subtype": "channel_topic", "user": P.USER, "topic": "incident"}),
):
    case(f"sl9-ev-{label}", "slack", "semantic",
         "a message the bot posted itself, an edit, a deletion or a channel notice: 200, nothing queued",
         sl_step(slack_event(label, _own_message(label, **extra)), IGN))
case("sl9-ev-edit-then-original-mention", "slack", "semantic",
     "an edit event first, then the original mention: the edit queues nothing, the mention one job",
     sl_step(slack_event("edit-first", _own_message("edit-first", subtype="message_changed", hidden=True,
                                                    message={"type": "message", "user": P.USER, "text": "x",
                                                             "ts": "1548261231.000300"})), IGN),
     sl_step(mention("edit-first")))

# --------------------------------------------------------------- PagerDuty: documented types, odd data
PD_TYPES = ("incident.acknowledged", "incident.annotated", "incident.conference_bridge.updated",
            "incident.custom_field_values.updated", "incident.delegated", "incident.escalated",
            "incident.incident_type.changed", "incident.priority_updated", "incident.reassigned",
            "incident.reopened", "incident.resolved", "incident.responder.added", "incident.responder.replied",
            "incident.service_updated", "incident.status_update_published", "incident.title_updated",
            "incident.unacknowledged", "incident.urgency_updated", "incident.workflow.started",
            "incident.workflow.completed")


def _unicode_title(event: dict[str, Any], ctx: Ctx) -> None:
    event["event"]["data"]["title"] = f"結帳 pods OOMKilled — ünïcödé 🚨 {ctx.tag}"


def _no_service(event: dict[str, Any], ctx: Ctx) -> None:
    event["event"]["data"].pop("service", None)


for etype in PD_TYPES:
    short = etype.removeprefix("incident.").replace(".", "-").replace("_", "-")
    case(f"pd9-type-{short}-unicode", "pagerduty", "semantic",
         f"{etype} with a unicode title for an incident never triggered: accepted and ignored or recorded; "
         "no new investigation (only triggered starts one)",
         pd_step(pd("ty:" + etype, etype, mutate=_unicode_title), IGN, enqueue_any=frozenset({0, 1})
                 if etype == "incident.resolved" else None))
    case(f"pd9-type-{short}-no-service", "pagerduty", "semantic",
         f"{etype} without data.service: ignored, or refused for its shape; never a job",
         pd_step(pd("ns:" + etype, etype, mutate=_no_service), IGN_OR_REF,
                 enqueue_any=frozenset({0, 1}) if etype == "incident.resolved" else None))


def _details(size: int) -> Callable[[dict[str, Any], Ctx], None]:
    def mutate(event: dict[str, Any], ctx: Ctx) -> None:
        event["event"]["data"]["body"] = {"type": "incident_body", "details": "x" * size}
        event["event"]["data"]["custom_details"] = {"blob": "y" * size}
    return mutate


for label, mutate, expect in (
        ("unicode-title", _unicode_title, OK),
        ("no-service", _no_service, ACC_OR_REF),
        ("service-null", lambda e, c: e["event"]["data"].__setitem__("service", None), ACC_OR_REF),
        ("custom-details-200kb", _details(100_000), OK),
        ("custom-details-over-1mib", _details(600_000), REFUSAL),
        ("title-empty", lambda e, c: e["event"]["data"].__setitem__("title", ""), ACC_OR_REF),
        ("priority-object", lambda e, c: e["event"]["data"].__setitem__(
            "priority", {"id": "PSO4CTX", "type": "priority_reference", "summary": "P1"}), OK),
        ("200-assignees", lambda e, c: e["event"]["data"].__setitem__(
            "assignees", [{"id": f"PU{i:05d}", "type": "user_reference", "summary": "u"} for i in range(200)]), OK),
        ("title-rtl-controls", lambda e, c: e["event"]["data"].__setitem__(
            "title", f"\u202eoom\u202c checkout {c.tag}"), ACC_OR_REF),
):
    case(f"pd9-triggered-{label}", "pagerduty", "semantic",
         "incident.triggered with odd but well-typed data: a job, or a 4xx naming the field",
         pd_step(pd("tr:" + label, mutate=mutate), expect))

# --------------------------------------------------------------- MCP
case("mcp9-initialize-future-version", "mcp", "semantic",
     "an unknown protocol version: the server answers with one it supports (lifecycle spec)",
     mcp_step(P.initialize("2099-01-01"), OK, auth="mcp"))
case("mcp9-initialize-version-empty", "mcp", "semantic", "an empty version string: another version or -32602",
     mcp_step(P.initialize(""), ACC_OR_REF, auth="mcp"), outside=SDK)
case("mcp9-initialize-version-number", "mcp", "json", "protocolVersion as a number: invalid params",
     mcp_step(P.rpc("initialize", {"protocolVersion": 20250618, "capabilities": {},
                                   "clientInfo": {"name": "x", "version": "1"}}), REFUSAL, auth="mcp"), outside=SDK)
case("mcp9-initialize-no-client-info", "mcp", "json", "initialize without clientInfo (required): invalid params",
     mcp_step(P.rpc("initialize", {"protocolVersion": "2025-06-18", "capabilities": {}}), REFUSAL, auth="mcp"),
     outside=SDK)
case("mcp9-initialize-twice-on-side-session", "mcp", "semantic",
     "initialize again on a live session: refused or re-answered; the session keeps working",
     side_step("mcp9-init-twice", P.initialize(), ACC_OR_REF, fresh=True),
     side_step("mcp9-init-twice", P.rpc("tools/list"), OK), outside=SDK)
case("mcp9-delete-twice", "mcp", "semantic",
     "a DELETEd session is gone: a second DELETE and a call on it are 404 (or 405 if DELETE is not offered)",
     side_step("mcp9-del2", None, REFUSAL, method="DELETE", headers=(), fresh=True, before=_delete_side,
               status=frozenset({404, 405})),
     side_step("mcp9-del2", P.rpc("ping"), frozenset({REFUSED, ACCEPTED})))
case("mcp9-delete-wrong-token-keeps-session", "mcp", "auth",
     "a DELETE without the token is 401 and the session survives",
     Step("DELETE", "/mcp", REFUSAL, raw=side("mcp9-delkeep", Step("DELETE", "/mcp", REFUSAL, b"", ()),
                                               fresh=True, token=False), status=frozenset({401})),
     side_step("mcp9-delkeep", P.rpc("tools/list"), OK))
case("mcp9-delete-evil-origin-keeps-session", "mcp", "auth",
     "a DELETE from a foreign Origin is refused (DNS-rebinding defence) and the session survives",
     Step("DELETE", "/mcp", REFUSAL, raw=side("mcp9-delorigin", Step("DELETE", "/mcp", REFUSAL, b"", ()),
                                               fresh=True, extra=(("Origin", "http://evil.example"),))),
     side_step("mcp9-delorigin", P.rpc("tools/list"), OK), outside=SDK)
case("mcp9-two-sessions-interleaved", "mcp", "semantic",
     "two live sessions used alternately: each answers on its own id",
     side_step("mcp9-a", P.rpc("ping", id_=1), OK, fresh=True),
     mcp_step(P.rpc("ping", id_=1), OK),
     side_step("mcp9-a", P.rpc("tools/list", id_=2), OK))
for label, spell, expect in (
        ("session-id-ows", lambda s: f"  {s}  ", OK),
        ("session-id-flipped", lambda s: s[:-1] + ("0" if s[-1:] != "0" else "1"), REFUSAL),
        ("session-id-upper", lambda s: s.upper() if s.upper() != s else s + "X", REFUSAL),
        ("session-id-list", lambda s: f"{s}, {s}", REFUSAL),
        ("session-id-quoted", lambda s: f'"{s}"', REFUSAL),
):
    case(f"mcp9-{label}", "mcp", "protocol",
         "a session id spelled oddly: whitespace around a field value is not part of it (RFC 9110 5.5); any "
         "other change names a session that does not exist",
         side_step(f"mcp9-{label}", P.rpc("ping"), expect, fresh=True, session=spell), outside=SDK)
for label, value, expect in (
        ("2025-03-26", "2025-03-26", ACC_OR_REF), ("2024-11-05", "2024-11-05", ACC_OR_REF),
        ("latest", "latest", REFUSAL), ("list", "2025-06-18, 2025-03-26", REFUSAL),
        ("future", "2099-12-31", REFUSAL), ("ows", " 2025-06-18 ", OK), ("empty", "", ACC_OR_REF)):
    case(f"mcp9-protocol-header-{label}", "mcp", "protocol",
         "MCP-Protocol-Version other than the negotiated one: an unsupported value is 400 (transport spec); "
         "surrounding whitespace is not part of the value",
         mcp_step(P.rpc("ping"), expect, auth=None,
                  sign=lambda b, c, v=value: [("Authorization", f"Bearer {c.keys.mcp_token}"),
                                              ("Mcp-Session-Id", c.mcp_session), ("MCP-Protocol-Version", v)]),
         outside=SDK)
case("mcp9-protocol-header-missing", "mcp", "protocol",
     "no MCP-Protocol-Version: the server SHOULD assume 2025-03-26 and answer",
     mcp_step(P.rpc("ping"), ACC_OR_REF, sign=lambda b, c: [("Authorization", f"Bearer {c.keys.mcp_token}"),
                                                          ("Mcp-Session-Id", c.mcp_session)]), outside=SDK)
for label, cursor in (("empty", ""), ("garbage", "not-a-cursor"), ("number", 7), ("null", None),
                      ("object", {"page": 2}), ("10kb", "c" * 10_000)):
    case(f"mcp9-tools-list-cursor-{label}", "mcp", "semantic",
         "tools/list with a cursor the server never issued: -32602 (SHOULD) or the list",
         mcp_step(P.rpc("tools/list", {"cursor": cursor}), ACC_OR_REF), outside=SDK)
for label, uri in (("unknown-scheme", "vigil://jobs/job_5f1c2a9e0b7d4c11"), ("metadata", "http://169.254.169.254/"),
                   ("traversal", "file:///../../etc/shadow"), ("empty", ""), ("data", "data:text/plain,hi"),
                   ("canary", None)):
    case(f"mcp9-resources-read-{label}", "mcp", "semantic",
         "resources/read of a URI the server never listed: a JSON-RPC error (-32002 or -32601), never content",
         Step("POST", "/mcp", REFUSAL, _resources_read(uri), MCP_H, auth="mcp_session"), outside=SDK)
for label, method, params, expect in (
        ("resources-list", "resources/list", {}, ACC_OR_REF),
        ("resources-subscribe", "resources/subscribe", {"uri": "vigil://x"}, REFUSAL),
        ("prompts-list", "prompts/list", {}, ACC_OR_REF),
        ("logging-debug", "logging/setLevel", {"level": "debug"}, ACC_OR_REF),
        ("logging-upper", "logging/setLevel", {"level": "DEBUG"}, REFUSAL),
        ("logging-number", "logging/setLevel", {"level": 7}, REFUSAL),
        ("logging-no-params", "logging/setLevel", None, REFUSAL),
        ("completion-tool-ref", "completion/complete",
         {"ref": {"type": "ref/prompt", "name": "nope"}, "argument": {"name": "q", "value": "a"}}, ACC_OR_REF),
        ("sampling-from-client", "sampling/createMessage", {"messages": [], "maxTokens": 1}, REFUSAL),
        ("roots-list-from-client", "roots/list", {}, REFUSAL),
        ("elicitation-from-client", "elicitation/create", {"message": "x", "requestedSchema": {}}, REFUSAL),
):
    case(f"mcp9-method-{label}", "mcp", "semantic",
         f"{method}: answered if offered, else -32601; a client-side method sent to the server is an error",
         mcp_step(P.rpc(method, params), expect), outside=SDK)
for label, msg, expect in (
        ("initialized-with-id", P.rpc("notifications/initialized", id_=9), REFUSAL),
        ("cancelled-with-id", P.rpc("notifications/cancelled", {"requestId": 1}, id_=10), REFUSAL),
        ("roots-changed", P.rpc("notifications/roots/list_changed", id_=None), IGN),
        ("progress-no-token", P.rpc("notifications/progress", {"progress": 1}, id_=None), IGN_OR_REF),
        ("unknown-notification", P.rpc("notifications/hostile9", {"x": 1}, id_=None), IGN_OR_REF),
):
    case(f"mcp9-notification-{label}", "mcp", "semantic",
         "a message with an id is a request whatever its method (JSON-RPC 2.0) and gets a response; "
         "without one it is a notification (202)",
         mcp_step(msg, expect), outside=SDK)
for label, raw_id, expect in (
        ("zero", b"0", OK), ("minus-zero", b"-0", OK), ("float-one", b"1.0", REFUSAL), ("exp", b"1e2", REFUSAL),
        ("2-63", str(2 ** 63).encode(), ACC_OR_REF), ("string-unicode", '"\u00e9\u2603"'.encode(), OK),
        ("string-space", b'" "', OK)):
    case(f"mcp9-id-{label}", "mcp", "json",
         "docs: request ids must be strings or integers (400, -32600); other spellings of integers are ints",
         mcp_step(None, expect, raw_body=b'{"jsonrpc":"2.0","method":"ping","id":' + raw_id + b"}"), outside=SDK)
for label, batch, expect in (
        ("ping-and-notification", [P.rpc("ping", id_=1), P.rpc("notifications/hostile9", id_=None)], ACC_OR_REF),
        ("notifications-only", [P.rpc("notifications/hostile9", id_=None)] * 2, IGN_OR_REF),
        ("responses-only", [{"jsonrpc": "2.0", "id": 5, "result": {}}], IGN_OR_REF),
        ("tools-list-twice-same-id", [P.rpc("tools/list", id_=3), P.rpc("tools/list", id_=3)], ACC_OR_REF)):
    case(f"mcp9-batch-{label}", "mcp", "json",
         "a JSON-RPC batch: 2025-06-18 removed batching, so refused, or answered by an older-version server",
         mcp_step(batch, expect), outside=SDK)
def _bogus_session(body: bytes, ctx: Ctx) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {ctx.keys.mcp_token}"), ("Mcp-Session-Id", "0" * 32),
            ("MCP-Protocol-Version", ctx.mcp_protocol)]


def _session_no_token(body: bytes, ctx: Ctx) -> list[tuple[str, str]]:
    return [("Mcp-Session-Id", ctx.mcp_session), ("MCP-Protocol-Version", ctx.mcp_protocol)]


for label, headers, auth, status in (
        ("bogus-session", (("Accept", "text/event-stream"),), "bogus", frozenset({404, 400})),
        ("json-accept", (("Accept", "application/json"),), "mcp_session", frozenset({405, 406, 400})),
        ("no-token", (("Accept", "text/event-stream"),), "none", frozenset({401})),
):
    sign = {"bogus": _bogus_session, "none": _session_no_token}.get(auth)
    case(f"mcp9-get-stream-{label}", "mcp", "protocol",
         "a GET event stream refused before it opens: unknown session 404, no event-stream Accept 405/406, "
         "no token 401",
         Step("GET", "/mcp", REFUSAL, b"", headers, auth="mcp_session" if sign is None else None, sign=sign,
              status=status), outside=SDK)
for label, origin in (("lookalike", "http://127.0.0.1.evil.example"), ("null", "null"),
                      ("file", "file://"), ("userinfo", "http://127.0.0.1@evil.example"),
                      ("two-origins", None)):
    hdrs = MCP_H + ((("Origin", origin),) if origin is not None else
                    (("Origin", "http://evil.example"), ("Origin", "http://127.0.0.1")))
    case(f"mcp9-origin-{label}", "mcp", "auth",
         "transport spec: servers MUST validate Origin (DNS rebinding); a foreign one is refused",
         mcp_step(P.rpc("tools/list"), REFUSAL, headers=hdrs), outside=SDK)
case("mcp9-origin-evil-then-session-alive", "mcp", "auth",
     "a refused foreign-Origin request leaves the runner's session working",
     mcp_step(P.rpc("ping"), REFUSAL, headers=(*MCP_H, ("Origin", "https://attacker.example"))),
     mcp_step(P.rpc("ping"), OK), outside=SDK)
case("mcp9-host-rebinding-name", "mcp", "auth",
     "a Host naming another machine (DNS rebinding): refused by a server that checks Host, else answered",
     Step("POST", "/mcp", ACC_OR_REF, raw=lambda c, h: encode(
         Step("POST", "/mcp", OK, P.dumps(P.rpc("ping")), MCP_H, auth="mcp_session"), c, "rebind.evil.example")),
     outside=SDK)
case("mcp9-session-survives", "mcp", "control", "after everything, the runner's session still answers",
     mcp_step(P.rpc("tools/list"), OK))

# Final controls: the doors still accept fresh work after all of the above.
case("am9-ctl-after-all", "alertmanager", "control", "a fresh alert after the catalogue", am_step(am("after")))
case("pd9-ctl-after-all", "pagerduty", "control", "a fresh trigger after the catalogue", pd_step(pd("after")))
case("sl9-ctl-after-all", "slack", "control", "a fresh mention after the catalogue", sl_step(mention("after")))

CASES: tuple[Case, ...] = tuple(CASES_LIST)
