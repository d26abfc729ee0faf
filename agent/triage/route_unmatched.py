"""A route's host or path rewritten while its clients keep the old one: the proxy answers them from no route (404).

An Ingress host renamed (`origin.shop.example.com` -> `www.shop.example.com`), an HTTPRoute's `hostnames` or a
VirtualService's `hosts` narrowed, a path prefix moved: the proxy in front (ingress-nginx, an Envoy-based gateway
such as Istio's ingress gateway, Contour or Envoy Gateway, HAProxy) rebuilds its routing table and every request
that still carries the old Host or path matches nothing. Those clients are often outside the cluster and did not
move with the write (a CDN's origin setting, a partner's integration, a shipped mobile app), so the alert is on
what they see (a CDN's 4xx ratio, a partner's failures) while every pod is healthy and the service logs nothing:
the requests never reach it.

The proxy says so in its own access log, in its own words, on each such request:

* ingress-nginx: the upstream of the request is `upstream-default-backend` (`$proxy_upstream_name`): no Ingress
  rule matched, the controller's default backend answered 404;
* Envoy (Istio, Contour, Envoy Gateway, Emissary): response flag `NR` / response details `route_not_found`;
* HAProxy: the backend/server is `<NOSRV>` (no backend selected).

The module reads, when the timelines show a write of an Ingress or route object's routing fields (rules, hosts,
hostnames, paths, routes, virtual host) in the `LEAD` before the incident: the proxies' logs (the pods whose image
is a proxy) grepped for their no-route wording. The write is the suspect when the no-route answers start within
`ONSET` of it, at least `MIN_LINES` of them, and the same span before it shows at most a fifth as many (scanners
hitting unknown hosts all day are no change). Among several route writes the one just before the onset is named.
Reading only.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import log_since
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.front_proxy import proxies
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.route_unmatched"
WEIGHT = 0.93
"""Above a rollout nearby (0.9 at most): the proxy's own log says the requests matched no route after the write."""
STORE = "route_unmatched"
LEAD = timedelta(hours=6)
ONSET = timedelta(minutes=30)
"""How soon after the write the no-route answers must start: a proxy reloads within seconds of a route write."""
MIN_LINES = 5
"""No-route answers after the write before it is blamed: one stray request is no pattern."""
SLACK = timedelta(minutes=1)
MAX_WRITES = 3

ROUTE_KINDS = ("Ingress", "HTTPRoute", "GRPCRoute", "TLSRoute", "VirtualService", "IngressRoute", "HTTPProxy",
               "Route", "Gateway")
"""Kinds whose spec decides which Host/path a proxy routes where (Kubernetes, Gateway API, Istio, Traefik, Contour,
OpenShift)."""
_ROUTING_FIELD = re.compile(r"\bspec\.(?:rules|hosts?|hostnames|paths?|routes|http|virtualhost|listeners)\b")
"""Written fields that change what a route matches (a summary or diff of the timeline names them)."""
_NAMED_FIELD = re.compile(r"\b(?:spec|metadata|status)\.[a-zA-Z]")
"""A write that names its fields: then only the routing ones count (annotations or labels alone move no host)."""


@dataclass(frozen=True)
class Wording:
    """How one proxy family says a request matched no route."""

    software: str
    images: tuple[str, ...]
    needle: str
    """Substring for the log grep (the server filters case-insensitively)."""
    words: re.Pattern[str]
    marker: str
    """The wording itself, as the finding quotes it."""
    answers: str
    """Who answers the unmatched requests, in the software's terms."""


WORDINGS = (
    Wording("ingress-nginx", ("ingress-nginx", "nginx-ingress"), "upstream-default-backend",
            re.compile(r"\[upstream-default-backend\]|\bupstream-default-backend\b"),
            "upstream-default-backend", "from its default backend"),
    Wording("Envoy", ("envoy", "proxyv2", "istio", "contour", "gateway", "emissary", "ambassador"), "route_not_found",
            re.compile(r"\broute_not_found\b|\s404\s+NR\s"),
            "NR route_not_found", "with no route"),
    Wording("HAProxy", ("haproxy",), "<NOSRV>", re.compile(r"<NOSRV>"),
            "<NOSRV>", "with no backend"),
)

_ISO = re.compile(r"\b(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)")
_CLF = re.compile(r"\[(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\]")
"""The common/combined log format's time (`[04/Dec/2026:11:52:02 +0000]`), which nginx and HAProxy print."""
_AGENT = re.compile(r'"[A-Z]+ [^"]*" \d{3} \S+ "[^"]*" "([^"]*)"')
"""The combined format's user agent: who sends the unmatched requests."""
_STATUS = re.compile(r'"[A-Z]+ [^"]*" (\d{3}) ')

Call = Callable[..., Awaitable[Any]]


def line_time(line: str) -> datetime | None:
    """When an access-log line was written: the CLF stamp nginx and HAProxy print, else an ISO stamp (Envoy's
    `[%START_TIME%]`, JSON formats), taken as UTC when it carries no offset."""
    c = _CLF.search(line)
    if c is not None:
        try:
            return datetime.strptime(c.group(1), "%d/%b/%Y:%H:%M:%S %z").astimezone(UTC)
        except ValueError:
            return None
    m = _ISO.search(line)
    return parse_time(m.group(1) + "Z") if m else None


async def newest_line(call: Call, row: dict[str, Any], incident: datetime, step: str) -> datetime:
    """When the proxy's log ends, read off its newest line (an access log of a serving proxy is written every few
    seconds): the end of the span counted after the write, so the span before it can be made as long. The log's own
    clock, right live and in a replay captured after the incident; the incident's time when the line carries none.
    Only the span's length comes from here: the counts themselves are taken since absolute moments (`since_time`),
    which the server judges on its own stamps."""
    got = await call("k8s_logs", {"name": row["name"], "namespace": row.get("namespace") or "", "tail": 1}, step)
    text = str(got.full_text or got.text or "") if got is not None and got.ok else ""
    stamps = [t for ln in text.splitlines() if (t := line_time(ln)) is not None]
    if stamps and timedelta(0) <= stamps[-1] - incident <= timedelta(hours=24):
        return stamps[-1]
    return incident


def wording_of(images: list[str]) -> list[Wording]:
    """The no-route wordings of a proxy pod, by its images (a generic `gateway` image may be any: all of them)."""
    text = " ".join(images).lower()
    found = [w for w in WORDINGS if any(i in text for i in w.images)]
    return found if found else list(WORDINGS)


def routing_write(change: dict[str, Any]) -> bool:
    """Whether a timeline write changed what the route matches: a created/deleted route, or written routing fields
    (a write of annotations or labels alone moves no host or path)."""
    if change.get("type") in ("created", "deleted"):
        return True
    text = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
    if _ROUTING_FIELD.search(text):
        return True
    return not _NAMED_FIELD.search(text)  # a write that names no field may have moved anything


def _route_writes(facts: Facts) -> list[tuple[dict[str, Any], str, Ref]]:
    return [(c, e, t) for c, e, t in facts.writes_to(ROUTE_KINDS, within=LEAD) if routing_write(c)]


async def _count(call: Call, row: dict[str, Any], needle: str, since: datetime | None, step: str) -> tuple[int, str,
                                                                                                         str] | None:
    """(lines containing `needle`, the answer's text, evidence id) of one proxy pod's log, since a moment or all."""
    args: dict[str, Any] = {"name": row["name"], "namespace": row.get("namespace") or "", "grep": needle,
                            "tail": log_since.TAIL}
    if since is not None:
        args["since_time"] = log_since.stamp(since)
    got = await call("k8s_logs", args, step)
    if got is None or not got.ok:
        return None
    text = str(got.full_text or got.text or "")
    n = log_since.matching(text)
    return (n, text, got.evidence_id) if n is not None else None


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: when a route write is in the timelines, each proxy pod's log grepped for its no-route wording,
    counted (by the kubelet's stamps, `since_time=`) in the whole tail, since the write, since ONSET after it, and in
    the same span before it (facts.reads[STORE]); and the written route as it is now (its hosts)."""
    if STORE in facts.reads:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    writes = _route_writes(facts)[:MAX_WRITES]
    if not writes:
        return
    listed = await call("k8s_list", {"kind": "pods"}, "survey-route-proxy-pods")
    if listed is None or not listed.ok or not isinstance(listed.data, dict):
        return
    rows = [r for r in listed.data.get("rows") or [] if isinstance(r, dict)]
    for row in proxies(rows):
        for wording in wording_of([str(i) for i in row.get("images") or []]):
            step = f"survey-route-proxy-logs-{row['name']}-{wording.software}"
            whole = await _count(call, row, wording.needle, None, step)
            if whole is None or whole[0] < MIN_LINES:
                continue
            end = await newest_line(call, row, facts.at, f"{step}-newest")
            for change, evidence, target in writes:
                written = parse_time(change.get("at"))
                if written is None:
                    continue
                start = written - SLACK
                counts = [await _count(call, row, wording.needle, moment, f"{step}-{i}")
                          for i, moment in enumerate((start, start + ONSET, start - (end - start)))]
                if any(c is None for c in counts):
                    continue
                since, late, double = (c[0] for c in counts if c is not None)
                store.append({"pod": str(row["name"]), "namespace": str(row.get("namespace") or ""),
                              "software": wording.software, "text": whole[1], "change": change, "route": target,
                              "counts": {"all": whole[0], "since": since, "late": late, "span_before": double - since},
                              "evidence": [e for e in (evidence, whole[2]) if e]})
    seen: set[tuple[str, str, str]] = set()
    for entry in store:
        target = entry["route"]
        if (key := (target.kind, target.namespace, target.name)) in seen:
            continue
        seen.add(key)
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-route-{target.name}")
        if got is not None:
            facts.reads.setdefault(f"{STORE}_objects", []).append({"ref": target, "object": got[0],
                                                                   "evidence": got[1]})


# ---- judging (rank) ---------------------------------------------------------------------------


def hosts_of(obj: dict[str, Any]) -> list[str]:
    """The hosts a route object serves now: Ingress rules' `host`, Gateway API `hostnames`, Istio `hosts`,
    Contour's `virtualhost.fqdn`, OpenShift's `host`."""
    spec = obj.get("spec") or {}
    out = [str(r.get("host")) for r in spec.get("rules") or [] if isinstance(r, dict) and r.get("host")]
    out += [str(h) for h in spec.get("hostnames") or spec.get("hosts") or []]
    vhost = spec.get("virtualhost") or {}
    if isinstance(vhost, dict) and vhost.get("fqdn"):
        out.append(str(vhost["fqdn"]))
    if isinstance(spec.get("host"), str):
        out.append(spec["host"])
    return list(dict.fromkeys(out))


@dataclass
class Unmatched:
    """A route write after which a proxy answers requests from no route."""

    route: Ref
    change: dict[str, Any]
    written: datetime
    proxy: Ref
    software: str
    after: int
    before: int
    example: str
    agents: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[Unmatched]:
    """Each proxy's no-route answers paired with the route write just before they began: at least MIN_LINES since
    the write, some of them within ONSET of it, and the same span before the write showing at most a fifth as many
    (a constant trickle of unknown hosts is no change). The newest such write per proxy."""
    objects = {(o["ref"].kind, o["ref"].namespace, o["ref"].name): o for o in facts.reads.get(f"{STORE}_objects") or []}
    best: dict[tuple[str, str, str], Unmatched] = {}
    for entry in facts.reads.get(STORE) or []:
        counts = entry["counts"]
        written = parse_time(entry["change"].get("at"))
        if written is None or counts["since"] < MIN_LINES or counts["since"] - counts["late"] < 1 \
                or counts["span_before"] * 5 > counts["since"]:
            continue
        key = (entry["namespace"], entry["pod"], entry["software"])
        if key in best and best[key].written >= written:
            continue
        wording = next(w for w in WORDINGS if w.software == entry["software"])
        lines = [ln.strip() for ln in str(entry["text"]).splitlines() if wording.words.search(ln)]
        agents = Counter(m.group(1) for ln in lines for m in [_AGENT.search(ln)] if m and m.group(1) != "-")
        statuses = Counter(m.group(1) for ln in lines for m in [_STATUS.search(ln)] if m)
        if wording.software != "HAProxy" and statuses and statuses.most_common(1)[0][0].startswith("5"):
            continue  # a default backend answering 503: the rule matched, its Service or endpoints are missing
        target: Ref = entry["route"]
        obj = objects.get((target.kind, target.namespace, target.name))
        best[key] = Unmatched(target, entry["change"], written,
                              Ref("Deployment", entry["namespace"], workload_of_pod(entry["pod"])), wording.software,
                              counts["since"], counts["span_before"], lines[-1][:240] if lines else "",
                              [a for a, _ in agents.most_common(2)], [s for s, _ in statuses.most_common(2)],
                              hosts_of(obj["object"]) if obj else [],
                              [*entry["evidence"], *([obj["evidence"]] if obj and obj["evidence"] else [])])
    out: list[Unmatched] = []
    for u in best.values():
        if not any(o.route.same_object(u.route) for o in out):
            out.append(u)
    return out


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def finding(u: Unmatched, at: datetime) -> dict[str, Any]:
    """The route's finding: what its write means (the old Host/path now matches nothing), then the proxy's words."""
    ago = minutes_text(int((at - u.written).total_seconds() // 60))
    by = written_by(u.change)
    fields = ", ".join(dict.fromkeys(m.group(0) for m in _ROUTING_FIELD.finditer(str(u.change.get("summary") or ""))))
    what = f"routing ({fields})" if fields else "routing"
    status = u.statuses[0] if u.statuses else "404"
    wording = next(w for w in WORDINGS if w.software == u.software)
    client = f", sent by '{u.agents[0]}'" if u.agents else ""
    now = f" {u.route} now serves only host {', '.join(u.hosts[:3])}." if u.hosts else ""
    message = (
        f"{u.route}'s {what} rewritten{f' by {by}' if by else ''} at {_iso(u.written)} ({ago} before the alert): "
        f"clients still sending the old Host or path (a CDN origin, a partner, an app) match no rule, so the "
        f"{u.software} proxy {u.proxy} answers them {wording.answers} with {status} "
        f"({wording.marker}: {u.after} since, {u.before} in the same span before){client}.{now} The backends are "
        f"healthy: restore the old host/path on {u.route} (or serve it beside the new one), or repoint the client")
    return {"check": CHECK, "severity": "critical", "reason": "RouteNoLongerMatched",
            "object": {"kind": u.route.kind, "namespace": u.route.namespace, "name": u.route.name},
            "message": message, "evidence": [u.example] if u.example else [], "since": _iso(u.written),
            "details": {"proxy": str(u.proxy), "software": u.software, "lines_after": u.after,
                        "lines_before": u.before, "hosts": u.hosts}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The written route; it explains the proxy that answers the unmatched requests."""
    return [(u.route, finding(u, facts.at), u.evidence, [u.proxy]) for u in found(facts)]
