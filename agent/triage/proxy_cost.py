"""A proxy's configuration now makes every request cost CPU in the proxy: the edge is slow, the backend is not.

A shared proxy (the ingress-nginx controller, Envoy, Traefik, HAProxy) does work of its own on each request, and a
configuration write can multiply it: a WAF switched on (ingress-nginx `enable-modsecurity`, an inline `SecRule`
in `modsecurity-snippet`, the OWASP CRS, Coraza), a rule whose regex backtracks catastrophically (nested `.*`
quantifiers: `(.*=.*)` inside a repeated group), Lua or snippet code, a maximum compression level. Nothing
errors: the proxy's pods burn their CPU limit (cgroup throttling), requests queue in the proxy, and clients see
seconds of latency, 499 (they gave up) and 504, while the backend answers in milliseconds and its own dashboards
are green. An SLO alert on the service is then answered by the proxy's config, not by the service.

The tell is the proxy's own time: the time it reports for the whole request (ingress-nginx
`nginx_ingress_controller_request_duration_seconds`, Envoy `envoy_http_downstream_rq_time`, Traefik
`traefik_entrypoint_request_duration_seconds`) against the time it waited for the upstream
(`..._response_duration_seconds`, `envoy_cluster_upstream_rq_time`, `traefik_service_request_duration_seconds`),
and its pods' CPU against their limit. When either shifted up after a write to the proxy's configuration
(a ConfigMap of the proxy's namespace, or the proxy's workload), that write is the suspect, with what it added.
A shift before the write, or no shift, names nothing. `read` queries the series; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import object_of
from agent.triage.subject import workload_of_pod
from agent.triage.subject_resolve import PROXY_IMAGES

Call = Callable[..., Awaitable[Any]]

CHECK = "config.proxy_cost"
WEIGHT = 0.9
"""A proxy write whose cost the proxy's own CPU and self-time show: above the slow service it explains."""
READS = "proxy_cost"
WINDOW = timedelta(hours=6)
"""How long before the incident the write may be (the timeline's window)."""
AFTER = timedelta(hours=2)
"""How long after the write the proxy's shift may come (the next traffic peak)."""
RATIO_MIN = 3.0
"""The proxy's time over the upstream's must have grown this many times, and reached it."""
CPU_SATURATED = 0.85
"""The share of its CPU limit a proxy pod uses when it is pinned (throttling sets in just below the limit)."""
THROTTLED = 2.0
"""Throttled CFS periods per second of a pod: 2 of the 10 periods a second (the default 100 ms period) hit the
quota. A pod with spare CPU is throttled in almost none."""
MAX_PODS = 2

PAIRS: tuple[tuple[str, str, str], ...] = (
    ("ingress-nginx", "nginx_ingress_controller_request_duration_seconds_sum",
     "nginx_ingress_controller_response_duration_seconds_sum"),
    ("Envoy", "envoy_http_downstream_rq_time_sum", "envoy_cluster_upstream_rq_time_sum"),
    ("Traefik", "traefik_entrypoint_request_duration_seconds_sum", "traefik_service_request_duration_seconds_sum"),
)
"""(proxy, the whole request's time, the upstream's part of it): their ratio is the time spent in the proxy."""

ADDED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"modsecurity|SecRule|owasp|coraza|\bwaf\b", re.I),
     "a WAF (ModSecurity) rule set matched against every request"),
    (re.compile(r"lua|snippet|wasm|ext_proc|plugin", re.I), "code (a snippet, Lua or a plugin) run on every request"),
    (re.compile(r"gzip[-_]level|brotli[-_]level|compression", re.I), "heavier compression of every response"),
)
"""What a proxy write added that costs CPU on each request, by the words of its keys and values."""

@dataclass
class Shift:
    """One proxy series that moved up: the proxy's time ratio or a pod's CPU share of its limit."""

    what: str
    """"ratio", "cpu" (share of the CPU limit) or "throttled" (throttled CFS periods per second)."""
    at: datetime
    before: float
    after: float
    pod: str = ""


@dataclass
class Costly:
    """A write to a proxy's configuration, after which the proxy's own time or CPU shifted up."""

    target: Ref
    change: dict[str, Any]
    proxy: str
    """The proxy workload (namespace/name)."""
    shifts: list[Shift]
    added: str
    regex: str
    """A regex of the write that can backtrack catastrophically, "" when none."""
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def backtracking(pattern: str) -> bool:
    """Whether a regex can backtrack catastrophically: a quantified group holding an unbounded quantifier
    (`(a+)+`, `(?:.*x)*`), or three or more `.*`/`.+` that can each take the same characters."""
    if re.search(r"\((?:\?:)?[^()]*[*+][^()]*\)[*+{]", pattern):
        return True
    return len(re.findall(r"\.[*+]", pattern)) >= 3


def regex_of(text: str) -> str:
    """The first regex the write's text holds that can backtrack catastrophically, "" when none."""
    text = text.replace('\\"', '"')
    for m in re.finditer(r"@rx\s+(\S.*?)\"\s", text):
        if backtracking(m.group(1)):
            return m.group(1)[:120]
    for m in re.finditer(r"(?:regex|pattern)\W{1,4}([^'\"\s]+)", text, re.I):
        if backtracking(m.group(1)):
            return m.group(1)[:120]
    return ""


def _text(change: dict[str, Any], facts: Facts | None = None) -> str:
    """The write's diff and summary, and for a ConfigMap the current values of the keys it wrote (a timeline line
    often says only "data key X set")."""
    text = " ".join(str(d) for d in change.get("diff") or []) + " " + str(change.get("summary") or "")
    target = Ref.of(change.get("object"))
    if facts is not None and target is not None and target.kind == "ConfigMap":
        for key in dict.fromkeys(re.findall(r"data key ([\w.-]+)", text)):
            value = facts.configmap_value(target, key)
            if value is not None:
                text += f" {key}: {value}"
    return text


def _promql_name(name: str) -> str:
    """A workload name inside a PromQL regex string: a dot is the only metacharacter a Kubernetes name holds."""
    return name.replace(".", "\\\\.")


def _proxies(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(namespace, workload) of the running proxy pods, one per workload."""
    out: list[tuple[str, str]] = []
    for r in rows:
        images = " ".join(str(i) for i in r.get("images") or []).lower()
        if any(p in images for p in PROXY_IMAGES) and str(r.get("status")) == "Running":
            key = (str(r.get("namespace") or ""), workload_of_pod(str(r.get("name"))))
            if key not in out:
                out.append(key)
    return out


def candidates(facts: Facts, proxies: list[tuple[str, str]]) -> list[tuple[dict[str, Any], Ref, str]]:
    """Writes in the window to a proxy's workload or to a ConfigMap of a proxy's namespace, with the proxy."""
    out = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not timedelta(0) <= facts.at - at <= WINDOW:
            continue
        users = {(r.namespace, r.name) for r in (Ref.of(x) for x in change.get("related") or []) if r is not None}
        for ns, workload in proxies:
            if (target.namespace == ns and (target.kind == "ConfigMap" or target.name == workload)) or \
                    (ns, workload) in users:
                out.append((change, target, f"{ns}/{workload}"))
                break
    return out


def _series(outcome: Any) -> list[dict[str, Any]]:
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return []
    return [s for s in outcome.data.get("series") or [] if isinstance(s, dict)]


def _shift(series: dict[str, Any], what: str) -> Shift | None:
    change = series.get("change") if isinstance(series.get("change"), dict) else None
    at = parse_time((change or {}).get("at"))
    try:
        before, after = float((change or {})["before"]), float((change or {})["after"])
    except (KeyError, TypeError, ValueError):
        return None
    if at is None or after <= before:
        return None
    pod = str((series.get("labels") or {}).get("pod") or "")
    return Shift(what, at, before, after, pod)


async def read(facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a proxy's configuration was written in the window: the proxy's time over its upstreams'
    and its pods' CPU share of their limit, over the window (the range tool finds the shift and its time)."""
    end = parse_time(at)
    if end is None or not facts.change_list():
        return
    listed = await call("k8s_list", {"kind": "pods"}, "survey-proxy-cost-pods")
    rows = [r for r in ((listed.data or {}).get("rows") or []) if isinstance(r, dict)] \
        if listed is not None and listed.ok and isinstance(listed.data, dict) else []
    proxies = _proxies(rows)
    found = candidates(facts, proxies)
    if not found:
        return
    start = (end - WINDOW).isoformat().replace("+00:00", "Z")
    store = facts.reads.setdefault(READS, {"shifts": {}, "evidence": {}})
    for _, target, _ in found[:2]:  # the values the write set, read back from the ConfigMap itself
        if target.kind == "ConfigMap" and not any(
                o.get("kind") == "ConfigMap" and Ref.of({**(o.get("metadata") or {}), "kind": "ConfigMap"}) == target
                for o, _ in facts.objects):
            got = await call("k8s_get", {"kind": "ConfigMap", "name": target.name, "namespace": target.namespace,
                                         "output": "yaml"}, f"survey-proxy-cost-config-{target.name}")
            obj = object_of(got)
            if obj is not None and obj.get("kind") == "ConfigMap":
                facts.objects.append((obj, got.evidence_id))
    for proxy in list(dict.fromkeys(p for _, _, p in found))[:MAX_PODS]:
        ns, workload = proxy.split("/", 1)
        shifts: list[Shift] = []
        evidence: list[str] = []
        for name, total, upstream in PAIRS:
            query = f"sum(rate({total}[5m])) / sum(rate({upstream}[5m]))"
            got = await call("prom_query_range", {"query": query, "start": start, "end": at, "step": "60s",
                                                  "baseline": "none"}, f"survey-proxy-cost-{name}")
            for s in _series(got):
                shift = _shift(s, "ratio")
                if shift is not None:
                    shifts.append(shift)
                    evidence.append(got.evidence_id)
            if shifts:
                break
        sel = f'namespace="{ns}",pod=~"{_promql_name(workload)}-.*"'
        query = (f"sum by (pod) (rate(container_cpu_usage_seconds_total{{{sel},container!=\"\",container!=\"POD\"}}"
                 f"[5m])) / sum by (pod) (kube_pod_container_resource_limits{{{sel},resource=\"cpu\"}})")
        got = await call("prom_query_range", {"query": query, "start": start, "end": at, "step": "60s",
                                              "baseline": "none"}, f"survey-proxy-cost-cpu-{workload}")
        cpu = _series(got)
        for s in cpu:
            shift = _shift(s, "cpu")
            if shift is not None:
                shifts.append(shift)
                evidence.append(got.evidence_id)
        if not cpu:  # no CPU limit series: the cgroup's throttled periods per second say it is at its quota
            query = f"sum by (pod) (rate(container_cpu_cfs_throttled_periods_total{{{sel}}}[5m]))"
            got = await call("prom_query_range", {"query": query, "start": start, "end": at, "step": "60s",
                                                  "baseline": "none"}, f"survey-proxy-cost-throttled-{workload}")
            for s in _series(got):
                shift = _shift(s, "throttled")
                if shift is not None:
                    shifts.append(shift)
                    evidence.append(got.evidence_id)
        store["shifts"][proxy] = shifts
        store["evidence"][proxy] = list(dict.fromkeys(evidence))


def _telling(shift: Shift) -> bool:
    """Whether a shift says the proxy now does much more per request: its time ratio grew RATIO_MIN times (and
    reached it), or a pod went from spare CPU to its limit."""
    if shift.what == "ratio":
        return shift.after >= RATIO_MIN and shift.after >= RATIO_MIN * max(shift.before, 1e-9)
    if shift.what == "throttled":
        return shift.after >= THROTTLED and shift.before < THROTTLED / 4
    return shift.after >= CPU_SATURATED and shift.before < CPU_SATURATED * 0.75


def found(facts: Facts) -> list[Costly]:
    """Proxy writes followed, within AFTER, by the proxy's own time or CPU shifting up (none before them)."""
    store = facts.reads.get(READS) or {}
    shifts_of: dict[str, list[Shift]] = store.get("shifts") or {}
    if not shifts_of:
        return []
    proxies = [tuple(p.split("/", 1)) for p in shifts_of]
    out: list[Costly] = []
    for change, target, proxy in candidates(facts, [(a, b) for a, b in proxies]):
        at = parse_time(change.get("at"))
        shifts = [s for s in shifts_of.get(proxy) or [] if _telling(s)]
        if at is None or not shifts:
            continue
        if any(s.at < at - timedelta(minutes=5) for s in shifts):
            continue  # the proxy was already slow or pinned before the write
        if not any(s.at - at <= AFTER for s in shifts):
            continue
        text = _text(change, facts)
        added = next((words for pattern, words in ADDED if pattern.search(text)), "")
        out.append(Costly(target, change, proxy, shifts, added, regex_of(text),
                          int((facts.at - at).total_seconds() // 60),
                          [e for e in (facts.changes_id or "", *(store.get("evidence") or {}).get(proxy, [])) if e]))
    out.sort(key=lambda c: c.minutes_before)
    return out[:1]


def finding(c: Costly) -> dict[str, Any]:
    """What the write added, then the proxy's CPU and self-time it shifted, then what clients see."""
    keys = "; ".join(str(d) for d in (c.change.get("diff") or [])[:1])[:140]
    what = c.added or "more work on every request"
    rx = " with a regex prone to catastrophic backtracking (nested quantifiers)" if c.regex else ""
    cpu = max((s for s in c.shifts if s.what == "cpu"), key=lambda s: s.after, default=None)
    ratio = max((s for s in c.shifts if s.what == "ratio"), key=lambda s: s.after, default=None)
    seen = []
    if cpu is not None:
        seen.append(f"pins the proxy's CPU ({100 * cpu.after:.0f}% of its limit, was {100 * cpu.before:.0f}%)")
    throttled = max((s for s in c.shifts if s.what == "throttled"), key=lambda s: s.after, default=None)
    if cpu is None and throttled is not None:
        seen.append(f"pins the proxy's CPU at its quota ({throttled.after:.1f} throttled periods a second, was "
                    f"{throttled.before:.1f})")
    if ratio is not None:
        seen.append(f"requests spend {ratio.after:.0f}x the upstream's time in the proxy (was {ratio.before:.1f}x)")
    message = (f"{c.target} (configuration of proxy {c.proxy}) added {what}{rx}, "
               f"{minutes_text(c.minutes_before)} before the incident: the CPU cost per request {' and '.join(seen)}; "
               f"the backend stays fast while clients see seconds of latency, 499 and 504 at the edge"
               + (f". The regex: {c.regex[:100]}" if c.regex else "") + f" ({keys}). Revert the write or fix the rule")
    return {"check": CHECK, "severity": "critical", "object": c.change.get("object"), "reason": "ProxyCost",
            "message": message, "evidence": seen[:2],
            "details": {"proxy": c.proxy, "added": c.added, "regex": c.regex, "change_at": c.change.get("at"),
                        "shifts": [(s.what, s.at.isoformat(), s.before, s.after, s.pod) for s in c.shifts]}}
