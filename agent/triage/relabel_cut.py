"""A Namespace relabelled shortly before the incident, and the NetworkPolicy whose namespaceSelector relied on it.

A NetworkPolicy admits callers by their Namespace's labels (`namespaceSelector: team: web`). When a GitOps sync
or a person rewrites the caller Namespace's labels (a new label scheme, a renamed team), nothing in the caller's
own namespace changes and nothing in the policy changes either: the policy simply stops selecting the callers,
and their connections to the protected pods are dropped (timeouts) from the relabel on. Namespace writes are
read from the change timeline (which reports a Namespace's managedFields writes, field by field) or, where a
server serves them, from the Namespace's own managedFields (an entry that wrote `f:labels`, manager and time).

The survey (`read`, reading only) runs only when some NetworkPolicy admits by a namespaceSelector: it reads the
Namespaces whose labels were written in the RECENT window, and for each policy peer that does not match such a
Namespace's labels now while its podSelector matches that Namespace's pods (or it has none), it asks the policy
decision engine (`agent.triage.policy_path.decide`) whether the caller pods are denied, and reads their logs
for a connection to the policy's namespace that did not open. A relabel whose callers still connect (another
peer admits them, or they never call) is no cause. `suspects` is pure over what `read` kept.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, log_evidence, parse_time
from agent.triage.kube_reads import get_yaml, object_of
from agent.triage.policy_cut import _UNREACHED
from agent.triage.policy_path import Endpoint, Port, decide
from agent.triage.subject import Subject, workload_of_pod

CHECK = "netpol.relabel_cut"
WEIGHT = 0.95
RECORD_KIND = "vigil.dev/RelabelCut"
RECENT = timedelta(hours=6)
"""How long before the incident a Namespace's label write still counts as what started it."""
MAX_NAMESPACES = 40
MAX_POLICIES = 30
MAX_PODS = 6

Call = Callable[..., Awaitable[Any]]


@dataclass
class RelabelCut:
    """A relabelled Namespace, the policy that stopped admitting it, and the caller that fails."""

    namespace: str
    labels: dict[str, str]
    written: str
    manager: str
    policy: Ref
    selector: dict[str, str]
    port: int
    caller: str
    said: str
    evidence: list[str] = field(default_factory=list)


def label_write(ns_obj: dict[str, Any]) -> tuple[str, str]:
    """(time, manager) of the latest managedFields entry that wrote the Namespace's labels, or ("", "")."""
    best = ("", "")
    for entry in (ns_obj.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(entry, dict):
            continue
        labels = ((entry.get("fieldsV1") or {}).get("f:metadata") or {}).get("f:labels")
        if not isinstance(labels, dict):
            continue
        written = [k for k in labels if k.startswith("f:") and k != "f:kubernetes.io/metadata.name"]
        at = str(entry.get("time") or "")
        if written and at > best[0]:
            best = (at, str(entry.get("manager") or ""))
    return best


_WRITER = re.compile(r"written by (\S+?):")


def timeline_write(facts: Facts, namespace: str) -> tuple[str, str]:
    """(time, manager) of the latest timeline change that wrote the Namespace's labels, or ("", "")."""
    best = ("", "")
    for change, _, ref in facts.writes_to(("Namespace",)):
        if ref.name != namespace:
            continue
        fields = [str(d) for d in change.get("diff") or []] + [str(change.get("summary") or "")]
        if not any("metadata.labels." in f and "kubernetes.io/metadata.name" not in f for f in fields):
            continue
        at = str(change.get("at") or "")
        writer = _WRITER.search(str(change.get("summary") or ""))
        if at > best[0]:
            best = (at, writer.group(1) if writer else "")
    return best


def _match_labels(selector: Any) -> dict[str, str] | None:
    """A selector's matchLabels when that is all it says (matchExpressions are left to the engine)."""
    if not isinstance(selector, dict):
        return None
    return {str(k): str(v) for k, v in (selector.get("matchLabels") or {}).items()}


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def relied_peers(policy: dict[str, Any], namespace: str, ns_labels: dict[str, str],
                 pod_labels: list[dict[str, str]]) -> list[tuple[dict[str, str], dict[str, str], int]]:
    """(namespaceSelector, caller pod labels, port) for each ingress peer of `policy` that admits by a namespace
    label the Namespace no longer carries while its podSelector matches the Namespace's pods, when the policy
    engine then denies those pods: the peer was written for them and stopped matching."""
    meta, spec = policy.get("metadata") or {}, policy.get("spec") or {}
    if str(meta.get("namespace") or "") == namespace:
        return []
    dest_labels = _match_labels(spec.get("podSelector")) or {}
    own = {"kubernetes.io/metadata.name": namespace, **ns_labels}
    out = []
    for rule in spec.get("ingress") or []:
        ports = [int(p["port"]) for p in rule.get("ports") or [] if isinstance(p, dict)
                 and str(p.get("port", "")).isdigit()] or [0]
        for peer in rule.get("from") or []:
            ns_sel = _match_labels(peer.get("namespaceSelector")) if isinstance(peer, dict) else None
            if not ns_sel or _selects(ns_sel, own) or "kubernetes.io/metadata.name" in ns_sel:
                continue  # no label to lose, still matching, or selecting by name (a relabel cannot move it)
            pod_sel = _match_labels(peer.get("podSelector"))
            callers = [lab for lab in pod_labels if pod_sel and _selects(pod_sel, lab)] if pod_sel else pod_labels
            for lab in callers[:1]:
                client = Endpoint(namespace, lab, ns_labels)
                dest = Endpoint(str(meta.get("namespace") or ""), dest_labels)
                if not decide([policy], client, dest, Port(ports[0])).allowed:
                    out.append((ns_sel, lab, ports[0]))
    return out


def failing_line(data: Any, target_ns: str, names: list[str]) -> str:
    """A caller's log line that says a connection into `target_ns` (by a Service DNS name or a pod label
    value of the policy's pods) did not open, or ""."""
    found = log_evidence(data, "") if isinstance(data, dict) else None
    if found is None:
        return ""
    dns = re.compile(rf"\.{re.escape(target_ns)}(?:\.svc|[:/\s'\"]|$)")
    for e in [*([found.top] if found.top else []), *found.more]:
        line = str(e.get("example") or e.get("message") or "")
        if _UNREACHED.search(line) and (dns.search(line) or any(n and n in line for n in names)):
            return line[:240]
    return ""


def _rows(outcome: Any) -> list[dict[str, Any]]:
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return []
    return [r for r in outcome.data.get("rows") or [] if isinstance(r, dict) and r.get("name")]


def _recent(facts: Facts, when: str) -> bool:
    at = parse_time(when)
    return at is not None and -RECENT.total_seconds() <= (at - facts.at).total_seconds() <= 300


async def _policies(call: Call) -> tuple[list[dict[str, Any]], list[str]]:
    """Kubernetes NetworkPolicies that admit some caller by a namespaceSelector label, in full."""
    out, evidence = [], []
    for row in _rows(await call("k8s_list", {"kind": "networkpolicies"}, "survey-relabel-policies"))[:MAX_POLICIES]:
        got = await call("k8s_get", {"kind": "networkpolicies", "name": str(row["name"]),
                                     "namespace": str(row.get("namespace") or ""), "output": "yaml"},
                         f"survey-relabel-policy-{row['name']}")
        obj = object_of(got)
        if obj is not None and "namespaceSelector" in str((obj.get("spec") or {}).get("ingress") or ""):
            out.append(obj)
            evidence.append(got.evidence_id)
    return out, evidence


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: policies admitting by namespace labels, recently relabelled Namespaces, their callers' logs."""
    policies, evidence = await _policies(call)
    if not policies:
        return
    for row in _rows(await call("k8s_list", {"kind": "namespaces"}, "survey-relabel-namespaces"))[:MAX_NAMESPACES]:
        got = await get_yaml(call, "Namespace", str(row["name"]), "", f"survey-relabel-ns-{row['name']}")
        if got is None:
            continue
        ns_obj, ns_id = got
        written, manager = max(label_write(ns_obj), timeline_write(facts, str(row["name"])))
        if not written or not _recent(facts, written):
            continue
        name = str((ns_obj.get("metadata") or {}).get("name") or row["name"])
        labels = {str(k): str(v) for k, v in ((ns_obj.get("metadata") or {}).get("labels") or {}).items()}
        pods: dict[str, tuple[str, dict[str, str]]] = {}
        for p in _rows(await call("k8s_list", {"kind": "pods", "namespace": name}, f"survey-relabel-pods-{name}")):
            pods.setdefault(workload_of_pod(str(p["name"])), (str(p["name"]), {}))
        for workload, (pod, _) in list(pods.items())[:MAX_PODS]:
            pod_obj = await get_yaml(call, "Pod", pod, name, f"survey-relabel-pod-{pod}")
            if pod_obj is not None:
                pods[workload] = (pod, {str(k): str(v) for k, v in
                                        ((pod_obj[0].get("metadata") or {}).get("labels") or {}).items()})
        for policy in policies:
            meta = policy.get("metadata") or {}
            target_ns = str(meta.get("namespace") or "")
            dest_names = list(((policy.get("spec") or {}).get("podSelector") or {}).get("matchLabels", {}).values())
            for ns_sel, caller_labels, port in relied_peers(policy, name, labels, [lab for _, lab in pods.values()]):
                pod = next(p for p, lab in pods.values() if lab == caller_labels)
                logs = await call("k8s_logs", {"name": pod, "namespace": name, "grep": target_ns, "tail": 200},
                                  f"survey-relabel-caller-{pod}")
                said = failing_line(logs.data if logs is not None and logs.ok else None, target_ns,
                                    [str(v) for v in dest_names])
                if not said:
                    continue
                cut = RelabelCut(name, labels, written, manager, Ref("NetworkPolicy", target_ns,
                                                                     str(meta.get("name"))), ns_sel, port, pod, said,
                                 [ns_id, *evidence, logs.evidence_id])
                facts.objects.append(({"kind": RECORD_KIND, "cut": cut}, ""))
                break


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The relabelled Namespace, naming the policy whose namespaceSelector relied on the label it lost."""
    out, seen = [], set()
    for obj, _ in facts.objects:
        cut = obj.get("cut") if obj.get("kind") == RECORD_KIND else None
        if not isinstance(cut, RelabelCut) or (cut.namespace, str(cut.policy)) in seen:
            continue
        seen.add((cut.namespace, str(cut.policy)))
        when = parse_time(cut.written)
        ago = f", {int((facts.at - when).total_seconds() // 60)} min before the incident" if when else ""
        sel = ", ".join(f"{k}={v}" for k, v in cut.selector.items())
        now = ", ".join(f"{k}={v}" for k, v in cut.labels.items() if k != "kubernetes.io/metadata.name")
        message = (f"Namespace {cut.namespace} was relabelled (labels written by {cut.manager or 'unknown'} at "
                   f"{cut.written}{ago}) and NetworkPolicy {cut.policy.namespace}/{cut.policy.name} admits callers "
                   f"by namespaceSelector {sel}, which its labels ({now or 'none'}) no longer match: "
                   f"{workload_of_pod(cut.caller)}'s connections to port {cut.port} in {cut.policy.namespace} are "
                   f"dropped ('{cut.said[:160]}'); restore the label or fix the policy's selector")
        finding = {"check": CHECK, "severity": "critical",
                   "object": {"kind": "Namespace", "namespace": "", "name": cut.namespace},
                   "reason": "RelabelBreaksPolicySelector", "message": message,
                   "evidence": [f"{cut.policy} namespaceSelector {sel} no longer matches Namespace {cut.namespace}"],
                   "details": {"policy": str(cut.policy), "selector": cut.selector, "labels": cut.labels,
                               "written": cut.written, "manager": cut.manager, "caller": cut.caller}}
        explains = [cut.policy, Ref("Deployment", cut.namespace, workload_of_pod(cut.caller))]
        out.append((Ref("Namespace", "", cut.namespace), finding, list(dict.fromkeys(e for e in cut.evidence if e)),
                    explains))
    return out
