"""An Open Policy Agent policy (rego) was written and OPA began denying requests it allowed before: the policy.

OPA decides requests for a proxy: as Envoy's external authorizer (the `opa-envoy-plugin` sidecar, `envoy/authz/allow`;
Istio's `CUSTOM` AuthorizationPolicy provider), behind an ingress's forward-auth or a gateway plugin, or inside a
service. Its policies are rego files, usually a ConfigMap (kube-mgmt loads those labelled
`openpolicyagent.org/policy=rego`; a sidecar mounts one). Edit a rule so it needs something some callers never send
(a header, a claim, a path prefix) and nothing fails at the write: from the next decision on, OPA answers `false`
(or `{"allowed": false}`) for those callers, and the proxy refuses them with 403 (Envoy's access log flag `UAEX`,
response detail `ext_authz_denied`; a forward-auth 403). The callers see an unexplained Forbidden; the page is often
a business metric (a platform's checkouts at zero).

The evidence is OPA's own decision log (`"msg":"Decision Log"`, with `result` and the request `input`): denials that
begin at the write, where decisions before it were allowed. When every decision allowed after the write carries a
header that no denied one does, and the written rego names that header, the finding says which header the policy
now requires. Told apart from its twins: a write after which nothing is denied, and denials already as common before
the write (the kubelet-stamped counts of agent.triage.log_since), are not named; when those counts show nothing
before the write (a replay, a tail too short), only a header named by the written rego ties the denials to it.

`read` (reading only, only when the survey's timeline shows a write to a `.rego` data key in WINDOW): the written
ConfigMap (its rego), the pods of its namespace that run OPA, their OPA container's decision lines and their
proxy's 403 lines, counted by the result shape those lines show (a boolean, or an object's `allowed`). `found` is
pure over what was read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import log_since
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.rego_denials"
WEIGHT = 0.93
"""The policy write explains the proxy's 403s and whatever page they cause downstream."""
STORE = "rego_denials"
WINDOW = timedelta(hours=3)
SLACK = timedelta(seconds=30)
MIN_DENIALS = 3
MAX_POLICIES = 2
MAX_PODS = 2
TAIL = 3000

_REGO_KEY = re.compile(r"data key (\S+\.rego)\b")
_OPA_IMAGE = re.compile(r"openpolicyagent/opa|/opa:|opa-envoy|kube-mgmt|enterprise-opa|/eopa:", re.I)
_DENIED_BY_PROXY = re.compile(r"\b403\b[^\n]*(?:UAEX|ext_authz|forward[-_ ]?auth|opa)|(?:UAEX|ext_authz_denied)", re.I)
_ENVOY_AUTHZ = re.compile(r"UAEX|ext_authz", re.I)
DENIED = '"result":false'
ALLOWED = '"result":true'
"""What OPA's decision log prints for a boolean decision (`"result":false`), counted before and since the write by
the kubelet's stamps (agent.triage.log_since): the condensed answer of a long log keeps no time per line."""
DENIED_OBJECT = '"allowed":false'
ALLOWED_OBJECT = '"allowed":true'
"""The same for a policy that answers an object (`"result":{"allowed":false,"http_status":403}`: the opa-envoy
plugin's dynamic responses, a forward-auth policy): the boolean needles would count none of its decisions."""

Call = Callable[..., Awaitable[Any]]


@dataclass
class Decision:
    """One OPA decision: when, allowed or not, the request headers it saw."""

    at: datetime
    allowed: bool
    headers: dict[str, str]


@dataclass
class Denying:
    """A rego write after which OPA denies requests it allowed before."""

    policy: Ref
    key: str
    written: datetime
    by: str
    workload: Ref
    denied: int
    allowed: int
    header: str
    """The header every allowed decision carries and no denied one does, named by the rego ('' when none)."""
    agent: str
    """What the denied callers call themselves (their user-agent), or ''."""
    proxy_line: str
    evidence: list[str] = field(default_factory=list)


def rego_writes(facts: Facts) -> list[tuple[dict[str, Any], str, Ref, str]]:
    """(change, evidence, ConfigMap, rego key) of each write to a `.rego` data key in WINDOW, newest first."""
    out = []
    for change, evidence, target in facts.writes_to(("ConfigMap",), within=WINDOW, deletions=False,
                                                    timeline_only=True):
        key = _REGO_KEY.search(str(change.get("summary") or ""))
        if key:
            out.append((change, evidence, target, key.group(1)))
    return sorted(out, key=lambda w: str(w[0].get("at")), reverse=True)[:MAX_POLICIES]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: each written rego ConfigMap, and the decision and 403 lines of up to MAX_PODS OPA pods beside
    it."""
    writes = rego_writes(facts)
    if not writes:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"policies": {}, "pods": {}})
    for change, _, target, _ in writes:
        written_at = parse_time(change.get("at"))
        if written_at is None:
            continue
        got = await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-rego-{target.name}")
        store["policies"][str(target)] = got
        listed = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace},
                            f"survey-rego-pods-{target.namespace}")
        rows = [r for r in rows_of(listed) if _OPA_IMAGE.search(" ".join(str(i) for i in r.get("images") or []))]
        for row in rows[:MAX_PODS]:
            name = str(row.get("name") or "")
            if not name or name in store["pods"]:
                continue
            pod = await get_yaml(call, "Pod", name, target.namespace, f"survey-rego-pod-{name}")
            containers = [c for c in ((pod or ({}, ""))[0].get("spec") or {}).get("containers") or []
                          if isinstance(c, dict)]
            opa = [str(c.get("name")) for c in containers if _OPA_IMAGE.search(str(c.get("image") or ""))]
            others = [str(c.get("name")) for c in containers if str(c.get("name")) not in opa]
            owners = ((pod or ({}, ""))[0].get("metadata") or {}).get("ownerReferences") or [{}]
            kind = str(owners[0].get("kind") or "Deployment") if isinstance(owners[0], dict) else "Deployment"
            entry: dict[str, Any] = {"namespace": target.namespace, "decisions": "", "proxy": "", "evidence": [],
                                     "kind": "Deployment" if kind == "ReplicaSet" else kind}
            for container, grep, slot in ((opa[0] if opa else "", "Decision Log", "decisions"),
                                          (others[0] if others else "", "403", "proxy")):
                if not container:
                    continue
                logs = await call("k8s_logs", {"name": name, "namespace": target.namespace, "container": container,
                                               "tail": TAIL, "grep": grep}, f"survey-rego-logs-{name}-{container}")
                if logs is not None and logs.ok:
                    entry[slot] = str(getattr(logs, "full_text", "") or logs.text or "")
                    entry["evidence"].append(logs.evidence_id)
            if opa:
                for verdict, needle in zip(("denied", "allowed"), needles(str(entry["decisions"])), strict=True):
                    got_split = await log_since.split(call, name, target.namespace, opa[0], needle,
                                                      since_moment(written_at),
                                                      f"survey-rego-{verdict}-{name}")
                    entry[verdict] = [got_split.before, got_split.since] if got_split else None
                    entry["evidence"] += got_split.evidence if got_split else []
            store["pods"][name] = entry


MARGIN = timedelta(minutes=1)
"""How long before the write the "since" count starts: a decision stamped in the write's own minute (the ConfigMap
synced by kube-mgmt a few seconds later) counts as after it."""


def since_moment(written: datetime) -> datetime:
    """The moment the decisions are counted from. It goes to the server as an absolute time (log_since), so the
    count no longer depends on guessing the server's now: no reading of the newest decision line is needed, and the
    same bundle gives the same counts at any wall-clock time."""
    return written - MARGIN


# ---- judging (pure) -----------------------------------------------------------------------------


def decisions(text: str) -> list[Decision]:
    """OPA decision log lines as decisions (a line that is not one is skipped)."""
    out = []
    for line in text.splitlines():
        start = line.find("{")
        if start < 0 or "decision" not in line.lower():
            continue
        try:
            entry = json.loads(line[start:])
        except ValueError:
            continue
        if not isinstance(entry, dict) or "result" not in entry:
            continue
        result = entry.get("result")
        allowed = result.get("allowed") if isinstance(result, dict) else result
        at = parse_time(entry.get("time") or entry.get("timestamp"))
        if not isinstance(allowed, bool) or at is None:
            continue
        out.append(Decision(at, allowed, request_headers(entry)))
    return out


def needles(text: str) -> tuple[str, str]:
    """(denied, allowed) needles to count the decision lines by, from the shape of the results the read lines show:
    object results when any decision answered an object, else boolean ones."""
    for line in text.splitlines():
        start = line.find("{")
        if start < 0 or "decision" not in line.lower():
            continue
        try:
            entry = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("result"), dict):
            return DENIED_OBJECT, ALLOWED_OBJECT
    return DENIED, ALLOWED


def request_headers(entry: dict[str, Any]) -> dict[str, str]:
    """The HTTP request headers an Envoy-style decision input carries (`input.attributes.request.http.headers`)."""
    node: Any = entry.get("input")
    for step in ("attributes", "request", "http", "headers"):
        node = node.get(step) if isinstance(node, dict) else None
    return {str(k).lower(): str(v) for k, v in node.items()} if isinstance(node, dict) else {}


def missing_header(after: list[Decision], rego: str) -> str:
    """The header every allowed decision carries and no denied one does, when the rego names it; else ''."""
    allowed = [set(d.headers) for d in after if d.allowed]
    denied = [set(d.headers) for d in after if not d.allowed]
    if not allowed or not denied:
        return ""
    common = set.intersection(*allowed) - set().union(*denied)
    named = sorted(h for h in common if re.search(rf"[\"'`]{re.escape(h)}[\"'`]", rego, re.I))
    return named[0] if named else ""


def counted(entry: dict[str, Any], after: list[Decision]) -> tuple[int, int, int, int] | None:
    """(denied before, denied since, allowed before, allowed since) the write, from the kubelet-stamped counts; None
    when they were not read (then only the raw decisions after the write are in view)."""
    denied, allowed = entry.get("denied"), entry.get("allowed")
    if isinstance(denied, list) and isinstance(allowed, list):
        return int(denied[0]), int(denied[1]), int(allowed[0]), int(allowed[1])
    return None


def found(facts: Facts) -> list[Denying]:
    """Each rego write after which an OPA beside it began denying requests."""
    store = facts.reads.get(STORE) or {}
    out: list[Denying] = []
    for change, evidence, target, key in rego_writes(facts):
        written = parse_time(change.get("at"))
        if written is None:
            continue
        got = (store.get("policies") or {}).get(str(target))
        policy: dict[str, Any] = got[0] if got else {}
        rego = str((policy.get("data") or {}).get(key) or "")
        for pod, entry in (store.get("pods") or {}).items():
            if entry.get("namespace") != target.namespace:
                continue
            after = [d for d in decisions(str(entry.get("decisions") or "")) if d.at >= written - SLACK]
            header = missing_header(after, rego)
            counts = counted(entry, after)
            denied_before, denied_since, allowed_before, allowed_since = counts or (
                0, len([d for d in after if not d.allowed]), 0, len([d for d in after if d.allowed]))
            if denied_since < MIN_DENIALS:
                continue
            if not (denied_before or allowed_before):
                if not header:
                    continue  # nothing before the write in view, and nothing ties the denials to its rego
            elif not allowed_before or denied_before / (denied_before + allowed_before) >= \
                    denied_since / (denied_since + allowed_since) / 2:
                continue  # denials already as common before the write: not its doing
            agents = [d.headers.get("user-agent", "") for d in after if not d.allowed]
            agent = max(set(agents), key=agents.count) if any(agents) else ""
            proxy = next((ln for ln in str(entry.get("proxy") or "").splitlines()
                          if _DENIED_BY_PROXY.search(ln) and not ln.startswith(("repeated ", "logs of "))), "")
            by = str(change.get("summary") or "").split(f"data key {key} set by ", 1)
            out.append(Denying(target, key, written, by[1].split(";")[0].split(",")[0].strip() if len(by) > 1 else "",
                               Ref(str(entry.get("kind") or "Deployment"), target.namespace, workload_of_pod(pod)),
                               denied_since, allowed_since, header, agent,
                               re.sub(r"^\S+Z\s+", "", proxy.strip())[:200],
                               [x for x in (evidence, (got or ({}, ""))[1], *(entry.get("evidence") or [])) if x]))
            break
    return out


def finding(d: Denying, at: datetime) -> dict[str, Any]:
    """The write, OPA's denials since, the header the policy now requires, and the proxy's 403."""
    ago = minutes_text(int((at - d.written).total_seconds() // 60))
    who = f" by {d.by}" if d.by else ""
    need = (f"it now requires header {d.header}, which every denied request lacks"
            f"{f' (user-agent {d.agent})' if d.agent else ''}" if d.header else
            f"the denied requests{f' (user-agent {d.agent})' if d.agent else ''} no longer satisfy its rules")
    envoy = "Envoy's ext_authz filter" if _ENVOY_AUTHZ.search(d.proxy_line) else "the proxy that asks OPA"
    proxy = f": '{d.proxy_line}'" if d.proxy_line else ""
    message = (f"{d.policy}'s rego policy ({d.key}) was written{who} {ago} before the alert, and since then OPA in "
               f"{d.workload} denies requests ({d.denied} denied, {d.allowed} allowed in its decision log since): "
               f"{need}. {envoy} answers 403 for them{proxy}. Restore the previous rule or make "
               f"the callers send what it requires")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": d.policy.kind, "namespace": d.policy.namespace, "name": d.policy.name},
            "reason": "PolicyDenies", "message": message, "evidence": [d.proxy_line] if d.proxy_line else [],
            "details": {"key": d.key, "written": d.written.isoformat(), "header": d.header, "denied": d.denied}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the policy ConfigMap, its finding, evidence ids, the workload whose OPA denies) for the ranking."""
    return [(d.policy, finding(d, facts.at), d.evidence, [d.workload]) for d in found(facts)]
