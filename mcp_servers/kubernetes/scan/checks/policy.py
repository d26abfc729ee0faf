"""Disruption and network policies that bite: PDBs allowing no disruption, NetworkPolicies that
select no pod, and egress policies that leave their pods without DNS.

A PDB whose selector matches no pod of its namespace (`pdb.selects_nothing`) protects nothing: the
disruption controller reports `expectedPods` 0 and every eviction of the pods it was meant to guard
is allowed, so a drain can take them all down at once. It is read from the selector against the
pods, not from status alone (a fresh PDB has no status yet), and only where the namespace has pods
and no workload's template matches the selector (one scaled to zero is at rest, not mis-selected).

A PDB with `status.disruptionsAllowed` 0 while it expects pods blocks every drain and node upgrade;
the finding says whether that is by configuration (every pod healthy: maxUnavailable 0, minAvailable =
replicas), the budget already spent by pods that are down, or pods unhealthy below what it requires.
When one of its pods still runs on a cordoned node, a drain is under way
and this PDB is what holds it (`pdb.blocks_drain`): the eviction API refuses that pod while every
other pod has left, so the node stays cordoned and the upgrade never finishes.

Two PDBs whose selectors both match one live pod overlap: the eviction API refuses that pod outright ("This pod
has more than one PodDisruptionBudget, which the eviction subresource does not support"), whatever either budget
allows, so `kubectl drain`, Karpenter and the cluster autoscaler can never move it. The finding goes to the newer
budget (the write that made them overlap); with a pod of theirs on a cordoned node it is `pdb.blocks_drain` (that
drain hangs), otherwise `pdb.overlapping` (the next one will).

For DNS, every pod's egress-isolating policies are taken together (they add up): the pod loses
DNS when none of them allows port 53 (UDP or TCP, by number, by a range, or by any-port rule). A
rule without `ports` is assumed to allow DNS, so the check never guesses about peers it cannot
resolve.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import label_match, name_of, ns_of, pod_is_terminal, ref
from mcp_servers.kubernetes.scan.model import ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("pdb.no_disruptions", "pdb.blocks_drain", "pdb.overlapping", "pdb.selects_nothing",
             "netpol.selects_nothing", "netpol.blocks_dns")
DNS_PORT = 53
DNS_PORT_NAMES = frozenset({"dns", "dns-tcp", "dns-udp", "domain"})


def _pdb(snap: Snapshot, pdb: dict[str, Any]) -> ScanFinding | None:
    spec, status = pdb.get("spec") or {}, pdb.get("status") or {}
    expected = int(status.get("expectedPods") or 0)
    if expected == 0 or int(status.get("disruptionsAllowed") or 0) > 0:
        return None
    subject = ref(pdb, "PodDisruptionBudget")
    healthy, desired = int(status.get("currentHealthy") or 0), int(status.get("desiredHealthy") or 0)
    by_config = healthy >= expected
    cause = _no_disruption_cause(healthy, desired, expected)
    budget = (f"minAvailable {spec['minAvailable']}" if spec.get("minAvailable") is not None
              else f"maxUnavailable {spec.get('maxUnavailable')}")
    details: dict[str, Any] = {"min_available": spec.get("minAvailable"), "max_unavailable": spec.get("maxUnavailable"),
                               "current_healthy": healthy, "desired_healthy": desired, "expected_pods": expected,
                               "by_configuration": by_config}
    evidence = [f"disruptionsAllowed 0, currentHealthy {healthy}, desiredHealthy {desired}, expectedPods {expected}"]
    stuck = _on_cordoned_nodes(snap, pdb)
    if stuck:
        nodes = sorted({node for _, node in stuck})
        details |= {"pods_on_cordoned_nodes": [pod for pod, _ in stuck][:5], "cordoned_nodes": nodes}
        return ScanFinding(
            check="pdb.blocks_drain", severity="critical", object=subject, reason="DisruptionsNotAllowed",
            message=(f"{subject}: allows no disruption ({budget}, {cause}) and its pod {stuck[0][0]} still runs on "
                     f"cordoned node {stuck[0][1]}: the eviction API refuses it (it would violate the pod's "
                     "disruption budget), so the drain of that node cannot finish"),
            details=details, evidence=[*evidence, *(f"pod {pod} on cordoned node {node}" for pod, node in stuck[:3])],
            pods=[pod for pod, _ in stuck][:5], count=len(stuck))
    return ScanFinding(
        check="pdb.no_disruptions", severity="warning" if healthy >= desired else "critical", object=subject,
        reason="DisruptionsNotAllowed",
        message=f"{subject}: allows no disruption ({cause}); node drains and upgrades will block",
        details=details, evidence=evidence)


def _no_disruption_cause(healthy: int, desired: int, expected: int) -> str:
    """Why a budget allows no disruption now. With every pod healthy it is the budget itself (maxUnavailable 0,
    minAvailable = replicas); with pods down it is spent, and saying "by configuration" there would hide that
    members are already unavailable (a quorum set with two of three gone reads exactly so)."""
    if healthy >= expected:
        return "by configuration"
    if healthy >= desired:
        return f"budget spent: {expected - healthy} of {expected} pods already unavailable, {desired} must stay"
    return f"only {healthy}/{expected} pods healthy, {desired} required"


def selector_text(selector: dict[str, Any]) -> str:
    """A label selector as kubectl writes it: `app=web,tier in (a,b)`."""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        values = ",".join(str(v) for v in expr.get("values") or [])
        op = str(expr.get("operator") or "")
        parts.append(f"{expr.get('key')} {op.lower()} ({values})" if values else
                     f"{'!' if op == 'DoesNotExist' else ''}{expr.get('key')}")
    return ",".join(parts)


def _pdb_selects_nothing(snap: Snapshot, pdb: dict[str, Any]) -> ScanFinding | None:
    ns = ns_of(pdb)
    selector = (pdb.get("spec") or {}).get("selector")
    live = [p for p in snap.pods_in(ns) if not pod_is_terminal(p)]
    if not selector or not snap.has("Pod") or not snap.in_scope(ns) or not live:
        return None
    if any(label_match(selector, (p.get("metadata") or {}).get("labels")) for p in live):
        return None
    # A workload scaled to zero whose template the selector matches is at rest, not mis-selected.
    for kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        for obj in snap.items(kind):
            template = ((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}
            if ns_of(obj) == ns and label_match(selector, template.get("labels")):
                return None
    subject = ref(pdb, "PodDisruptionBudget")
    text = selector_text(selector)
    keys = sorted((selector.get("matchLabels") or {}).keys())
    nearby = sorted({f"{k}={v}" for p in live for k, v in ((p.get("metadata") or {}).get("labels") or {}).items()
                     if k in keys})
    owners = sorted({str(o) for o in (snap.owner_of(p) for p in live) if o})
    hint = f"; pods in {ns} carry {', '.join(nearby[:4])}" if nearby else ""
    return ScanFinding(
        check="pdb.selects_nothing", severity="warning", object=subject, reason="NoPodsSelected",
        message=f"{subject}: selector {text} matches no pod, so it protects nothing and evictions (drains, "
                f"upgrades) may take every pod down at once{hint}",
        details={"selector": text, "labels_in_namespace": nearby[:8], "workloads_in_namespace": owners[:5]},
        evidence=[f"0 of {len(live)} pods in {ns} match {text}",
                  f"expectedPods {int((pdb.get('status') or {}).get('expectedPods') or 0)}"],
        since=(pdb.get("metadata") or {}).get("creationTimestamp"))


DRAIN_TAINTS = frozenset({"node.kubernetes.io/unschedulable", "karpenter.sh/disrupted", "karpenter.sh/disruption",
                          "ToBeDeletedByClusterAutoscaler"})
"""Taints a drain puts on the node it empties: kubectl drain's cordon, Karpenter's disruption taint (v1 and v0.3x; it
cordons by taint, not by `spec.unschedulable`) and cluster-autoscaler's scale-down. DeletionCandidateOfCluster-
Autoscaler (PreferNoSchedule) only marks a candidate: nothing is evicted yet."""


def draining(snap: Snapshot) -> set[str]:
    """Nodes a drain is emptying: marked unschedulable, or tainted by a drain (kubectl, Karpenter, autoscaler)."""
    return {name_of(n) for n in snap.items("Node") if (n.get("spec") or {}).get("unschedulable")
            or any(isinstance(t, dict) and t.get("key") in DRAIN_TAINTS
                   for t in (n.get("spec") or {}).get("taints") or [])}


def _ready(pod: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [] if isinstance(c, dict))


def _evictable_unhealthy(pdb: dict[str, Any]) -> bool:
    """Whether the eviction API lets a not-Ready pod of this PDB go now: always under `unhealthyPodEvictionPolicy:
    AlwaysAllow`, and under the default IfHealthyBudget while the budget's healthy pods meet its desired count."""
    policy = str((pdb.get("spec") or {}).get("unhealthyPodEvictionPolicy") or "IfHealthyBudget")
    status = pdb.get("status") or {}
    return policy == "AlwaysAllow" or int(status.get("currentHealthy") or 0) >= int(status.get("desiredHealthy") or 0)


def _on_cordoned_nodes(snap: Snapshot, pdb: dict[str, Any]) -> list[tuple[str, str]]:
    """(pod, node) for the PDB's live pods on nodes a drain is emptying that the eviction API refuses (a not-Ready
    pod it would let go, per the unhealthy pod eviction policy, holds no drain)."""
    cordoned = draining(snap)
    if not cordoned:
        return []
    selector = (pdb.get("spec") or {}).get("selector")
    if not selector:
        return []
    loose = _evictable_unhealthy(pdb)
    return [(name_of(p), str((p.get("spec") or {}).get("nodeName"))) for p in snap.pods_in(ns_of(pdb))
            if not pod_is_terminal(p) and (p.get("spec") or {}).get("nodeName") in cordoned
            and label_match(selector, (p.get("metadata") or {}).get("labels"))
            and not (loose and (p.get("status") or {}).get("conditions") is not None and not _ready(p))]


def _created(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("creationTimestamp") or "")


def _overlaps(snap: Snapshot) -> list[ScanFinding]:
    """Pods selected by more than one PDB, the finding on the newest budget selecting them."""
    cordoned = draining(snap)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    budgets: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    pdbs = [p for p in snap.items("PodDisruptionBudget") if (p.get("spec") or {}).get("selector") is not None]
    for pod in snap.items("Pod"):
        if pod_is_terminal(pod):
            continue
        labels = (pod.get("metadata") or {}).get("labels")
        over = sorted((p for p in pdbs if ns_of(p) == ns_of(pod) and label_match((p.get("spec") or {}).get("selector"),
                                                                                  labels)),
                      key=lambda p: (_created(p), name_of(p)))
        if len(over) < 2:
            continue
        key = (ns_of(pod), *(name_of(p) for p in over))
        groups.setdefault(key, []).append(pod)
        budgets[key] = over
    out: list[ScanFinding] = []
    for key, pods in groups.items():
        newest, older = budgets[key][-1], budgets[key][:-1]
        subject = ref(newest, "PodDisruptionBudget")
        others = ", ".join(f"{ns_of(p)}/{name_of(p)}" for p in older)
        selectors = "; ".join(f"{name_of(p)}: {selector_text((p.get('spec') or {}).get('selector') or {})}"
                              for p in budgets[key])
        stuck = [(name_of(p), str((p.get("spec") or {}).get("nodeName"))) for p in pods
                 if (p.get("spec") or {}).get("nodeName") in cordoned]
        names = [name_of(p) for p in pods]
        details: dict[str, Any] = {"overlapping_budgets": [name_of(p) for p in budgets[key]], "pods": names[:5],
                                   "selectors": selectors}
        evidence = [f"pod {names[0]} selected by {len(budgets[key])} PodDisruptionBudgets ({selectors})"]
        refusal = "the eviction API refuses any pod with more than one PodDisruptionBudget"
        if stuck:
            nodes = sorted({node for _, node in stuck})
            details |= {"pods_on_cordoned_nodes": [pod for pod, _ in stuck][:5], "cordoned_nodes": nodes}
            out.append(ScanFinding(
                check="pdb.blocks_drain", severity="critical", object=subject, reason="OverlappingBudgets",
                message=(f"{subject}: overlapping PDBs block the drain of cordoned node {stuck[0][1]}: it selects "
                         f"the same pods as {others}, and {refusal}, so the eviction of its pod {stuck[0][0]} fails "
                         f"and the node never empties; this budget was created {_created(newest) or 'later'}: "
                         "delete one of the overlapping budgets"),
                details=details,
                evidence=[*evidence, *(f"pod {pod} on cordoned node {node}" for pod, node in stuck[:3])],
                pods=[pod for pod, _ in stuck][:5], count=len(stuck), since=_created(newest) or None))
        else:
            out.append(ScanFinding(
                check="pdb.overlapping", severity="warning", object=subject, reason="OverlappingBudgets",
                message=(f"{subject}: overlapping PDBs: it selects the same pods as {others}, and {refusal}: the next "
                         "drain, node upgrade or consolidation hangs on them"),
                details=details, evidence=evidence, pods=names[:5], count=len(pods), since=_created(newest) or None))
    return out


def _selected(snap: Snapshot, policy: dict[str, Any]) -> list[dict[str, Any]]:
    selector = (policy.get("spec") or {}).get("podSelector") or {}
    return [p for p in snap.pods_in(ns_of(policy)) if not pod_is_terminal(p)
            and label_match(selector, (p.get("metadata") or {}).get("labels"))]


def isolates_egress(policy: dict[str, Any]) -> bool:
    """Whether a NetworkPolicy isolates egress: `policyTypes` names Egress, or (without it) an `egress` list."""
    spec = policy.get("spec") or {}
    types = spec.get("policyTypes")
    return "Egress" in types if types else "egress" in spec


def _allows_dns(policy: dict[str, Any]) -> bool:
    for rule in (policy.get("spec") or {}).get("egress") or []:
        ports = rule.get("ports")
        if not ports:
            return True
        for port in ports:
            number = port.get("port")
            if number is None:
                return True
            if isinstance(number, str) and not number.isdigit():
                if number.lower() in DNS_PORT_NAMES:
                    return True
                continue
            low, high = int(number), int(port.get("endPort") or number)
            if low <= DNS_PORT <= high:
                return True
    return False


def _netpols(snap: Snapshot) -> list[ScanFinding]:
    out: list[ScanFinding] = []
    if not snap.has("Pod"):
        return out
    egress: dict[str, list[dict[str, Any]]] = {}
    for policy in snap.items("NetworkPolicy"):
        ns = ns_of(policy)
        if not snap.in_scope(ns):
            continue
        pods = _selected(snap, policy)
        subject = ref(policy, "NetworkPolicy")
        selector = (policy.get("spec") or {}).get("podSelector") or {}
        if not pods and selector and snap.pods_in(ns):
            out.append(ScanFinding(
                check="netpol.selects_nothing", severity="info", object=subject, reason="NoPodsSelected",
                message=f"{subject}: podSelector {selector.get('matchLabels') or selector} selects no pod",
                details={"pod_selector": selector}, evidence=[f"0 pods in {ns} match the podSelector"]))
        if isolates_egress(policy):
            for pod in pods:
                egress.setdefault(f"{ns}/{name_of(pod)}", []).append(policy)
    blocked: dict[tuple[str, ...], list[str]] = {}
    for pod_key, policies in egress.items():
        if not any(_allows_dns(p) for p in policies):
            blocked.setdefault(tuple(sorted(f"{ns_of(p)}/{name_of(p)}" for p in policies)), []).append(pod_key)
    for names, pod_keys in blocked.items():
        ns, name = names[0].split("/", 1)
        subject = ref(snap.get("NetworkPolicy", ns, name) or {"metadata": {"namespace": ns, "name": name}},
                      "NetworkPolicy")
        pod_objs = [snap.get("Pod", *key.split("/", 1)) for key in pod_keys]
        owners = sorted({str(o) for o in (snap.owner_of(p) for p in pod_objs if p) if o})
        out.append(ScanFinding(
            check="netpol.blocks_dns", severity="critical", object=subject, reason="EgressDNSBlocked",
            message=f"{subject}: egress policy leaves {len(pod_keys)} pods without DNS (no rule allows port 53)"
                    + (f" ({', '.join(owners[:3])})" if owners else ""),
            details={"policies": list(names), "backends": owners}, evidence=[
                f"policies {', '.join(names)} isolate egress; none allows UDP/TCP 53"],
            pods=sorted(p.split("/", 1)[1] for p in pod_keys)[:5], count=len(pod_keys)))
    return out


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    out = [f for f in (_pdb(snap, p) for p in snap.items("PodDisruptionBudget")) if f]
    out.extend(f for f in (_pdb_selects_nothing(snap, p) for p in snap.items("PodDisruptionBudget")) if f)
    overlapping = _overlaps(snap)
    blamed = {str(f.object) for f in overlapping}
    out = [f for f in out if str(f.object) not in blamed or f.check == "pdb.selects_nothing"] + overlapping
    out.extend(_netpols(snap))
    return out
