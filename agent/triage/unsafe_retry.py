"""A route was given retries on a non-idempotent method: slow writes are sent twice, and both take effect.

A proxy or mesh retries a request on the caller's behalf when its route says so: Istio VirtualService `retries`
(`attempts`, `perTryTimeout`, `retryOn`), Envoy `retry_policy`, Linkerd ServiceProfile `isRetryable`, Traefik's
Retry middleware, Gateway API HTTPRoute `retry`, nginx `proxy_next_upstream ... non_idempotent`. For a POST that
charges a card, sends a message or creates an order, a retry after a per-try timeout or a reset re-sends a request
the backend is still working on: the first attempt completes anyway, the second does it again. The backend is
healthy and answers 200 twice; the symptom is a business count (duplicate charges, double emails). What any
instance leaves in the proxy's access log: a write method (POST/PUT/PATCH) whose request id appears on two or more
lines, the first attempt cut short (per-try timeout, reset, 0/DC/UT) and the retry answered.

So: a write within `LEAD` before the incident to a route object, whose current spec (read back) retries (attempts
above zero, `isRetryable`, a retry policy) on a route that matches write methods (a method match naming one, or no
method match at all), and an access log of the route's destination showing the same request id on a write method
at least `MIN_REPEATS` times. Not named: retries on a route limited to GET/HEAD, retries written off (attempts 0),
a retry write with no repeated write request in the logs. `read` (reading only) reads each recent route write's
object and one pod's log of its destination; `found` is pure over what was kept.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, pod_of
from agent.triage.subject import Subject

CHECK = "change.unsafe_retry"
WEIGHT = 0.92
"""The route write, above the healthy backend that answers every attempt."""
LEAD = timedelta(hours=12)
ROUTE_KINDS = ("VirtualService", "HTTPRoute", "GRPCRoute", "ServiceProfile", "Middleware", "EnvoyFilter",
               "HTTPProxy", "IngressRoute")
MAX_ROUTES = 3
MIN_REPEATS = 2
"""Distinct write requests seen sent twice: one could be a client's own resend."""

WRITE_METHOD = re.compile(r"\"(?:POST|PUT|PATCH|DELETE) /")
REQUEST_ID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
READ_ONLY = {"GET", "HEAD", "OPTIONS"}
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
"""A line that starts with its own time (the log reader's timestamps): only requests since the write count."""


@dataclass
class Unsafe:
    """The route write that added retries, and the write requests its destination saw twice."""

    target: Ref
    written: datetime
    retries: str
    repeated: list[str]
    evidence: list[str]


def _retries(rule: dict[str, Any]) -> str:
    """The rule's retry setting as written, when it retries (attempts above zero or a retryable flag)."""
    for key in ("retries", "retry", "retry_policy", "retryPolicy"):
        value = rule.get(key)
        if isinstance(value, dict) and int(value.get("attempts", value.get("num_retries", 1)) or 0) > 0:
            return json.dumps({key: value}, separators=(",", ":"))
    if rule.get("isRetryable") is True:
        return "isRetryable: true"
    return ""


def _methods(rule: dict[str, Any]) -> set[str]:
    """The methods a rule's matches name (empty: the rule matches every method)."""
    out: set[str] = set()
    for match in rule.get("match") or rule.get("matches") or []:
        method = match.get("method") if isinstance(match, dict) else None
        if isinstance(method, dict):
            out |= {str(v).upper() for v in method.values() if isinstance(v, str)}
        elif isinstance(method, str):
            out.add(method.upper())
    condition = rule.get("condition")
    if isinstance(condition, dict) and condition.get("method"):
        out.add(str(condition["method"]).upper())
    return out


def unsafe_rules(obj: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(retry setting, destination hosts) of each rule that retries write methods."""
    spec = obj.get("spec") or {}
    rules = [r for key in ("http", "rules", "routes") for r in spec.get(key) or [] if isinstance(r, dict)]
    out = []
    for rule in rules:
        retries = _retries(rule)
        methods = _methods(rule)
        if not retries or (methods and methods <= READ_ONLY):
            continue
        hosts = [str((d.get("destination") or {}).get("host") or d.get("name") or "")
                 for d in rule.get("route") or rule.get("backendRefs") or [] if isinstance(d, dict)]
        out.append((retries, [h for h in hosts if h]))
    return out


def _reads(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(CHECK, {"routes": [], "logs": {}})


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only: each recent route write's object, and one pod's log of a destination of a retrying rule."""
    del subject, at
    store = _reads(facts)
    for change, _, target in facts.writes_to(ROUTE_KINDS, within=LEAD, deletions=False)[:MAX_ROUTES]:
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-unsafe-retry-{target.name}")
        if got is None:
            continue
        store["routes"].append((change, got[0], got[1]))
        for _, hosts in unsafe_rules(got[0]):
            for host in hosts[:2]:
                parts = host.split(".")
                name, ns = parts[0], parts[1] if len(parts) >= 2 else target.namespace
                key = f"{ns}/{name}"
                if key in store["logs"]:
                    continue
                pod = await pod_of(call, Ref("Deployment", ns, name), f"survey-unsafe-retry-pods-{name}")
                if not pod:
                    continue
                log = await call("k8s_logs", {"name": pod, "namespace": ns, "tail": 400},
                                 f"survey-unsafe-retry-log-{pod}")
                if log is not None and log.ok:
                    store["logs"][key] = (str(log.full_text or ""), log.evidence_id)


def _repeated(text: str, since: datetime) -> list[str]:
    """Request ids done twice: on two write-method access-log lines, or on two application lines that say the same
    thing once numbers and ids are set aside (`charge captured` twice; `received` then `done` is one request)."""
    by_id: dict[str, list[str]] = {}
    for line in text.splitlines():
        found = REQUEST_ID.search(line)
        stamp = parse_time(line.split(" ", 1)[0]) if STAMP.match(line) else None
        if found is not None and (stamp is None or stamp >= since):
            by_id.setdefault(found.group(0).lower(), []).append(line)
    out = []
    for request, lines in by_id.items():
        writes = [ln for ln in lines if WRITE_METHOD.search(ln)]
        said = Counter(_shape(ln) for ln in lines if not WRITE_METHOD.search(ln))
        if len(writes) >= 2 or any(n >= 2 for n in said.values()):
            out.append(request)
    return out


def _shape(line: str) -> str:
    """A line with every token holding a digit left out: what it says, not which request or when."""
    return " ".join(t for t in re.split(r"[\s,:{}\"]+", line) if t and not re.search(r"\d", t))


def found(facts: Facts) -> list[Unsafe]:
    """The newest route write whose object retries write methods toward a destination that saw them twice."""
    store = facts.reads.get(CHECK) or {}
    out: list[Unsafe] = []
    for change, obj, evidence in store.get("routes") or []:
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None:
            continue
        for retries, hosts in unsafe_rules(obj):
            for host in hosts:
                name = host.split(".")[0]
                for key, (text, log_id) in (store.get("logs") or {}).items():
                    if key.split("/", 1)[1] != name:
                        continue
                    repeated = _repeated(text, at)
                    if len(repeated) >= MIN_REPEATS:
                        out.append(Unsafe(target, at, retries, repeated, [e for e in (evidence, log_id) if e]))
    return sorted(out, key=lambda u: -u.written.timestamp())[:1]


def finding(u: Unsafe, at: datetime) -> dict[str, Any]:
    """The write and its retry setting first (the headline is cut), then the repeated requests."""
    ago = minutes_text(int((at - u.written).total_seconds() // 60))
    message = (f"{u.target} was written {ago} before the incident to retry a route that carries non-idempotent "
               f"writes (POST) ({u.retries[:160]}): an attempt slower than the per-try timeout, or reset, is sent "
               f"again while the first still completes, so the backend performs it twice ({len(u.repeated)} write "
               f"requests seen twice by the same request id, e.g. {u.repeated[0]}). Remove the retries from write "
               f"methods (or make the endpoint idempotent on the request id)")
    return {"check": CHECK, "severity": "critical", "reason": "RetriedNonIdempotentWrites",
            "object": {"kind": u.target.kind, "namespace": u.target.namespace, "name": u.target.name},
            "message": message, "evidence": [u.retries[:200], *u.repeated[:3]],
            "details": {"written": u.written.isoformat(), "repeated": len(u.repeated)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The route write; it explains nothing else in view (the backend answered every attempt)."""
    return [(u.target, finding(u, facts.at), u.evidence, []) for u in found(facts)]
