"""A pod's own DNS settings, changed shortly before, that make the names it calls unresolvable.

A pod resolves names as its spec says, not as the cluster DNS would answer: `dnsPolicy` (ClusterFirst by default),
`hostNetwork` and `dnsConfig` (nameservers, searches, options such as `ndots`). Three settings break only the
cluster's own names while public names keep working, so the errors read like a DNS outage or a dead dependency:

- `dnsPolicy: Default` (or `hostNetwork: true` with ClusterFirst) gives the pod the node's resolv.conf: the node's
  (cloud) resolver knows no `*.svc.cluster.local` or short Service names and answers NXDOMAIN;
- `dnsPolicy: None` with a dnsConfig whose search list carries no cluster domain: short Service names are never
  expanded;
- `ndots` lowered below Kubernetes' 5: a relative name with at least that many dots (`ledger.payments`,
  `api.shop.svc`) is asked as an absolute name first, and resolvers that do not fall back to the search list
  (musl/Alpine, some Go and Java configurations) give up there. The failure itself proves no fallback happened.

The setting reaches the pod in one of two ways, and that is the culprit named:
- the workload's own rollout wrote it (its timeline diff names dnsPolicy, dnsConfig, ndots or hostNetwork);
- a mutating admission actor added it on the way in: Kyverno's `policies.kyverno.io/last-applied-patches` or
  Gatekeeper's `gatekeeper.sh/mutations` annotation on the pod names it, or a mutating object written shortly
  before the pod was created carries the setting in its spec. Then only pods created after that write fail.

Named only when a failing pod's resolver error names a host its settings cannot resolve (a cluster name for the
node's resolver; a relative cluster name with enough dots for ndots), and the write came within `LEAD` before the
failures (or, for admission, before the pod was created). Not named: an external host failing under dnsPolicy
Default, a fully qualified cluster name under a low ndots, a pod whose DNS settings are the defaults, a write that
does not touch DNS settings, a policy written after the pod was created.

`read` (reading only, when a pod's logs fail to resolve a host) fetches the failing pods, the namespaces their
hosts may name and the recently written mutating objects; `found` is pure over what was read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import admission_mutation
from agent.triage.dns_policy import RESOLVE, hosts_of
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.outbound import Line, lines
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.pod_dns_settings"
WEIGHT = 0.95
"""Above the resolver errors it explains and the rollouts of the dependency the victim cannot find."""
RECORD = "pod_dns_settings"
LEAD = timedelta(hours=6)
ADMISSION_LEAD = timedelta(hours=48)
SLACK = timedelta(minutes=2)
MAX_PODS = 3
MAX_OBJECTS = 4
DEFAULT_NDOTS = 5
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Rollout")

FAILED = re.compile(f"{RESOLVE.pattern}|(?:name|host(?:name)?) does not resolve|nodename nor servname|"
                    r"no address associated|NXDOMAIN|Unknown host|host not found", re.I)
"""Resolver failures: the wordings `dns_policy` knows plus musl's `Name does not resolve` (EAI_NONAME), BSD's
`nodename nor servname provided`, nginx/HAProxy `host not found`, NXDOMAIN as a client quotes it."""
_DNS_FIELD = re.compile(r"dnsPolicy|dnsConfig|ndots|hostNetwork|nameservers|searches", re.I)
_CLUSTER_SUFFIX = re.compile(r"\.(?:svc|svc\.cluster\.local|cluster\.local)\.?$", re.I)


@dataclass
class Broken:
    """A failing pod whose DNS settings cannot resolve the host it calls, and the write that gave it them."""

    culprit: Ref
    how: str
    pod: Ref
    workload: Ref
    setting: str
    reason: str
    host: str
    line: Line
    write: dict[str, Any]
    evidence: list[str] = field(default_factory=list)


def failures(facts: Facts) -> list[Line]:
    """Each pod's first resolver failure that names a host."""
    return [ln for ln in lines(facts, FAILED) if hosts_of(ln.text)][:MAX_PODS]


def _mutating_writes(facts: Facts) -> list[tuple[dict[str, Any], str, Ref]]:
    return facts.writes_to(admission_mutation.MUTATING_KINDS, within=ADMISSION_LEAD, deletions=False)


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a pod fails to resolve a host: that pod, the namespaces its hosts may name (is
    `ledger.payments` a Service in namespace payments?) and the mutating objects written recently."""
    if RECORD in facts.reads:
        return
    seen = failures(facts)
    if not seen:
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"objects": {}, "evidence": {}, "namespaces": []})
    refs = [Ref("Pod", ln.namespace, ln.pod) for ln in seen]
    refs += [r for _, _, r in _mutating_writes(facts)][:MAX_OBJECTS]
    for ref in dict.fromkeys(refs):
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-pod-dns-{ref.kind.lower()}-{ref.name}")
        if got is not None:
            kept["objects"][str(ref)], kept["evidence"][str(ref)] = got
    names = {h.split(".")[1] for ln in seen for h in hosts_of(ln.text) if h.count(".") in (1, 2)}
    for name in sorted(names)[:MAX_OBJECTS]:
        if await get_yaml(call, "Namespace", name, "", f"survey-pod-dns-namespace-{name}") is not None:
            kept["namespaces"].append(name)


def _ndots(spec: dict[str, Any]) -> int | None:
    for option in (spec.get("dnsConfig") or {}).get("options") or []:
        if isinstance(option, dict) and option.get("name") == "ndots":
            try:
                return int(str(option.get("value")))
            except ValueError:
                return None
    return None


def cluster_name(host: str, namespaces: set[str]) -> bool:
    """Whether a host is one of the cluster's own names: under `.svc` / `cluster.local`, a single label (a Service
    in the pod's namespace), or `<service>.<namespace>` where that namespace exists."""
    host = host.rstrip(".")
    if _CLUSTER_SUFFIX.search(host) or "." not in host:
        return True
    labels = host.split(".")
    return len(labels) in (2, 3) and labels[1] in namespaces and (len(labels) == 2 or labels[2] == "svc")


def unresolvable(host: str, spec: dict[str, Any], namespaces: set[str]) -> tuple[str, str, str] | None:
    """(the DNS field, the setting in words, why it cannot resolve `host`) when the pod's settings explain a
    failure to resolve it; None when the host is one they resolve (or the settings are the defaults)."""
    if not cluster_name(host, namespaces):
        return None
    policy = str(spec.get("dnsPolicy") or "ClusterFirst")
    if policy == "Default" or (spec.get("hostNetwork") is True and policy == "ClusterFirst"):
        setting = "dnsPolicy Default" if policy == "Default" else "hostNetwork true with dnsPolicy ClusterFirst"
        return ("dnsPolicy" if policy == "Default" else "hostNetwork", setting,
                "the pod gets the node's resolv.conf, and the node's resolver knows no cluster names, so "
                f"{host} is not found")
    relative = not host.endswith(".") and not re.search(r"\.cluster\.local\.?$", host, re.I)
    if policy == "None":
        searches = [str(s) for s in (spec.get("dnsConfig") or {}).get("searches") or []]
        if relative and not any(re.search(r"(?:^|\.)(?:svc|cluster\.local)$", s) for s in searches):
            return ("dnsPolicy", f"dnsPolicy None with searches {searches or '(none)'}",
                    f"no search domain of the cluster is listed, so the relative name {host} is never expanded")
        return None
    ndots = _ndots(spec)
    if ndots is not None and ndots < DEFAULT_NDOTS and relative and host.count(".") >= max(ndots, 1):
        return ("ndots", f"dnsConfig ndots {ndots}",
                f"{host} has {host.count('.')} dot(s), at least ndots {ndots}, so it is asked as an absolute name "
                "first (NXDOMAIN); a resolver that does not fall back to the search list (musl/Alpine) gives up "
                "there")
    return None


def _owner(pod: dict[str, Any]) -> Ref:
    """The pod's workload: its controller, a ReplicaSet read as its Deployment (the name without the hash)."""
    meta = pod.get("metadata") or {}
    refs = [r for r in meta.get("ownerReferences") or [] if isinstance(r, dict)]
    owner = next((r for r in refs if r.get("controller")), refs[0] if refs else {})
    kind = str(owner.get("kind") or "Deployment")
    if not owner:
        name = workload_of_pod(str(meta.get("name") or ""))
    else:
        name = str(owner.get("name") or "").rsplit("-", 1)[0] if kind == "ReplicaSet" else str(owner.get("name"))
    return Ref("Deployment" if kind == "ReplicaSet" else kind, str(meta.get("namespace") or ""), name)


def _text(change: dict[str, Any]) -> str:
    return json.dumps([change.get("summary"), change.get("diff")])


def _own_rollout(facts: Facts, workload: Ref, key: str, until: datetime) -> tuple[Ref, dict[str, Any], str] | None:
    """The workload's own write within LEAD before `until` whose diff names the DNS field (`key`) or dnsConfig."""
    words = re.compile(rf"{key}|dnsConfig|dnsPolicy" if key == "ndots" else rf"{key}|dnsPolicy|dnsConfig", re.I)
    mine = [(c, e, r) for c, e, r in facts.writes_to(WORKLOAD_KINDS, within=LEAD, deletions=False, until=until)
            if r.namespace == workload.namespace and r.name == workload.name and words.search(_text(c))]
    if not mine:
        return None
    change, evidence, ref = max(mine, key=lambda w: str(w[0].get("at")))
    return ref, change, evidence


def _admitted_by(facts: Facts, pod: dict[str, Any], key: str, objects: dict[str, Any],
                 evidence: dict[str, str]) -> tuple[Ref, dict[str, Any], str, str] | None:
    """(the mutating actor, its write, evidence, its words) that added the DNS setting to the pod at admission:
    named by the pod's annotation (its patched path a DNS field, or none given), or a mutating object written
    before the pod was created whose spec carries the setting."""
    created = parse_time((pod.get("metadata") or {}).get("creationTimestamp")) or facts.at
    writes = [(c, e, r) for c, e, r in _mutating_writes(facts)
              if (t := parse_time(c.get("at"))) is not None and created - ADMISSION_LEAD <= t <= created + SLACK]
    for actor, said, paths in admission_mutation.named_actors(pod):
        if paths and not any(_DNS_FIELD.search(p) for p in paths):
            continue
        mine = [(c, e) for c, e, r in writes if r.name == actor.name and
                (r.kind == actor.kind or (actor.kind == "ClusterPolicy" and r.kind == "Policy"))]
        if mine:
            change, ev = max(mine, key=lambda w: str(w[0].get("at")))
            return Ref.of(change.get("object")) or actor, change, ev, f"the pod's annotation says '{said}'"
    word = re.compile(rf"\b{key}\b|dnsConfig|dnsPolicy", re.I) if key != "hostNetwork" else re.compile(key)
    for change, ev, ref in writes:
        obj = objects.get(str(ref))
        if obj is not None and word.search(json.dumps(obj.get("spec") or obj.get("webhooks") or {})):
            ids = [i for i in (ev, evidence.get(str(ref), "")) if i]
            return ref, change, " ".join(ids), f"its spec sets {key} on the pods it admits"
    return None


def found(facts: Facts) -> list[Broken]:
    """Each failing pod whose DNS settings cannot resolve the host it calls, with the write that set them."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    objects: dict[str, Any] = kept.get("objects") or {}
    evidence: dict[str, str] = kept.get("evidence") or {}
    namespaces = set(kept.get("namespaces") or [])
    out: list[Broken] = []
    for line in failures(facts):
        ref = Ref("Pod", line.namespace, line.pod)
        pod = objects.get(str(ref))
        if pod is None:
            continue
        spec = pod.get("spec") or {}
        for host in hosts_of(line.text):
            why = unresolvable(host, spec, namespaces | {line.namespace})
            if why is None:
                continue
            key, setting, reason = why
            workload = _owner(pod)
            until = (line.first + SLACK) if line.first is not None else facts.at
            own = _own_rollout(facts, workload, key, until)
            admitted = None if own is not None else _admitted_by(facts, pod, key, objects, evidence)
            if own is not None:
                culprit, write, ev = own
                how, workload = "its own rollout wrote the setting into the pod template", own[0]
            elif admitted is not None:
                culprit, write, ev, said = admitted
                how = f"a mutating admission actor set it when the pod was created ({said})"
            else:
                continue
            if any(b.culprit.same_object(culprit) for b in out):
                break
            ids = [i for i in (line.evidence, evidence.get(str(ref), ""), *ev.split()) if i]
            out.append(Broken(culprit, how, ref, workload, setting, reason, host, line, write,
                              list(dict.fromkeys(ids))))
            break
    return out


def finding(b: Broken, at: datetime) -> dict[str, Any]:
    """The setting, why it fails the host, the victim's words, and the write that set it."""
    when = parse_time(b.write.get("at"))
    ago = f"{minutes_text(int((at - when).total_seconds() // 60))} before the incident" if when else "recently"
    wrote = "; ".join(str(d) for d in b.write.get("diff") or [])[:200] or str(b.write.get("summary") or "")[:200]
    message = (f"{b.culprit} gave {b.workload.name}'s pods {b.setting}: {b.reason}. Pod {b.pod.name} fails to "
               f"resolve {b.host}: its logs say '{b.line.text[:220]}'. {b.how[0].upper()}{b.how[1:]}, {ago} "
               f"({wrote}). The DNS servers are fine; restore the default DNS settings (dnsPolicy ClusterFirst, "
               f"no ndots override) or use fully qualified names, then recreate the pods")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": b.culprit.kind, "namespace": b.culprit.namespace, "name": b.culprit.name},
            "reason": "PodDnsSettings", "message": message, "evidence": [b.line.text[:200], b.setting],
            "details": {"pod": str(b.pod), "host": b.host, "setting": b.setting, "change_at": b.write.get("at"),
                        "own_cause": b.culprit.same_object(b.workload)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the write's object, its finding, evidence ids, the failing pod and workload) for the ranking."""
    return [(b.culprit, finding(b, facts.at), b.evidence, [b.pod, b.workload]) for b in found(facts)]
