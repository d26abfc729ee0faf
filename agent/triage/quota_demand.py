"""A replica floor raised just before the node provisioner hit the cloud account's quota: nobody gets a node.

Node provisioners (Karpenter, the cluster-autoscaler, a managed node pool's autoscaler) add nodes for Pending pods
by asking the cloud for instances. The account meters those per region (AWS On-Demand vCPU quota, GCE `CPUS` and
`INSTANCES` quotas, Azure cores quota per family); the quota is shared with everything else in the account. A write
that raises a workload's floor by a lot (an HPA's `minReplicas`, a KEDA `minReplicaCount`, `replicas` on a
Deployment or StatefulSet) asks for more instances than the quota has room for: every launch is refused
(`VcpuLimitExceeded`, `Quota 'CPUS' exceeded`, `QuotaExceeded`/`OperationNotAllowed ... quota`), no node is added,
and every Pending pod in the cluster waits, including another team's unrelated rollout that the page is about.
The rollout looks guilty (its pods are Pending and it changed); the floor write is what took the room.

Evidence any instance leaves: the provisioner's own log refusing launches for a quota (first such line), a write
of a replica floor in LEAD before it, and that write's workload holding most of the Pending pods (the `pod.pending`
findings). `read` (only when pods are Pending and such a write exists) greps the provisioner pods' logs; `found` is
pure. Not named: refusals for capacity rather than quota (`InsufficientInstanceCapacity`, a zone out of stock),
refusals that began before the write, a written workload with few or no Pending pods, no refusal at all.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import rows_of
from agent.triage.subject import Subject

CHECK = "change.quota_demand"
WEIGHT = 0.93
"""Above the Pending workloads (pod.pending) and a rollout among them: the floor write is what used the quota."""
RECORD = "quota_demand"
LEAD = timedelta(hours=2)
SLACK = timedelta(minutes=2)
MAX_PODS = 3
TAIL = 3000
NEEDLES = ("LimitExceeded", "quota")
"""What the provisioner's log is grepped for (the server filters by substring), so the first refusal is in view."""
KINDS = frozenset({"HorizontalPodAutoscaler", "ScaledObject", "Deployment", "StatefulSet"})
FLOOR = re.compile(r"\b(?:spec\.)?(?:minReplicas|minReplicaCount|replicas)\b")
"""A written replica floor, as the timeline's diff or summary names it."""
PROVISIONER = re.compile(r"karpenter|cluster-autoscaler|node-autoscaler", re.I)
"""Names of the node provisioners' own pods."""
QUOTA = re.compile(r"VcpuLimitExceeded|vCPU limit of \d+|InstanceLimitExceeded|Quota '[A-Z_0-9]+' exceeded|"
                   r"QUOTA_EXCEEDED|QuotaExceeded|exceeding (?:approved|the) [\w ]*quota|quota (?:limit )?exceeded|"
                   r"Insufficient regional quota", re.I)
"""A cloud's words for a launch refused by the account's quota (AWS, GCE, Azure)."""
STAMP = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?Z?)")
"""The line's time: its prefix, else the first timestamp in it (a JSON logger's `time` field)."""
Call = Callable[..., Awaitable[Any]]


@dataclass
class Demand:
    """A floor write before the provisioner's quota refusals, and the Pending pods of the workload it scaled."""

    target: Ref
    change: dict[str, Any]
    refused_at: datetime
    refusal: str
    pending: int
    total: int
    workload: str
    others: list[str]
    explains: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _pending(facts: Facts) -> dict[tuple[str, str], tuple[int, int]]:
    """(namespace, workload name) -> (Pending pods, pods in all) from the pod.pending findings."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for f in facts.findings():
        ref = Ref.of(f.get("owner")) or Ref.of(f.get("object"))
        if f.get("check") != "pod.pending" or ref is None:
            continue
        count = int(f.get("count") or len(f.get("pods") or []))
        out[(ref.namespace, ref.name)] = (count, int((f.get("details") or {}).get("pods_total") or count))
    return out


def _floor_writes(facts: Facts) -> list[tuple[dict[str, Any], str]]:
    return [(c, e) for c, e, _ in facts.writes_to(KINDS, within=LEAD, deletions=False)
            if FLOOR.search(f"{c.get('summary') or ''} {' '.join(str(d) for d in c.get('diff') or [])}")]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when pods are Pending and a replica floor was written: the provisioner pods' quota refusals."""
    if not _pending(facts) or not _floor_writes(facts):
        return
    pods = await call("k8s_list", {"kind": "Pod"}, "survey-quota-demand-pods")
    store = facts.reads.setdefault(RECORD, {"refusals": []})
    for row in [r for r in rows_of(pods) if PROVISIONER.search(str(r.get("name")))][:MAX_PODS]:
        for needle in NEEDLES:
            got = await call("k8s_logs", {"name": row["name"], "namespace": row.get("namespace") or "", "tail": TAIL,
                                          "grep": needle}, f"survey-quota-demand-log-{row['name']}-{needle}")
            if got is None or not got.ok:
                continue
            for line in str(getattr(got, "full_text", "") or got.text or "").splitlines():
                stamp = STAMP.search(line)
                match = QUOTA.search(line)
                if match and stamp:
                    store["refusals"].append({"at": stamp.group(1).replace(" ", "T"),
                                              "line": line[match.start():][:240], "evidence": got.evidence_id})
                    break


def _scaled(change: dict[str, Any], facts: Facts) -> tuple[str, str]:
    """The workload a floor write scales: its own object, or the one its HPA/ScaledObject rescaled in the timeline."""
    ref = Ref.of(change.get("object"))
    if ref is None:
        return "", ""
    if ref.kind in ("Deployment", "StatefulSet"):
        return ref.namespace, ref.name
    for c in facts.change_list():
        target = Ref.of(c.get("object"))
        if target is not None and target.namespace == ref.namespace and re.search(
                rf"\b(?:rescaled|scaled) by (?:HPA|{re.escape(ref.kind)}) {re.escape(ref.name)}\b",
                str(c.get("summary"))):
            return target.namespace, target.name
    return ref.namespace, ref.name  # an HPA is usually named after its target


def found(facts: Facts) -> list[Demand]:
    """Floor writes made before the first quota refusal whose workload holds most of the Pending pods."""
    refusals = [(t, r) for r in (facts.reads.get(RECORD) or {}).get("refusals") or []
                if (t := parse_time(r.get("at"))) is not None]
    pending = _pending(facts)
    if not refusals or not pending:
        return []
    first, refusal = min(refusals, key=lambda x: x[0])
    waiting = sum(p for p, _ in pending.values())
    out: list[Demand] = []
    for change, evidence in _floor_writes(facts):
        when, ref = parse_time(change.get("at")), Ref.of(change.get("object"))
        scaled = _scaled(change, facts)
        if when is None or ref is None or not timedelta(0) <= first + SLACK - when <= LEAD or scaled not in pending:
            continue
        count, total = pending[scaled]
        if 2 * count < waiting:
            continue
        others = [key[1] for key, (n, _) in pending.items() if key != scaled and n]
        explains = [r for r in (Ref.of(f.get("owner")) or Ref.of(f.get("object")) for f in facts.findings()
                                if f.get("check") == "pod.pending") if r is not None]
        out.append(Demand(ref, change, first, str(refusal["line"]), count, total, scaled[1], others, explains,
                          [e for e in (evidence, str(refusal.get("evidence") or "")) if e]))
    return out


def finding(d: Demand, at: datetime) -> dict[str, Any]:
    """The floor write and the quota refusal it ran into first, then the Pending pods it left everyone with."""
    when = parse_time(d.change.get("at"))
    ago = minutes_text(int((at - when).total_seconds() // 60)) if when else "?"
    diff = "; ".join(str(x) for x in d.change.get("diff") or []) or str(d.change.get("summary") or "")
    others = f"; the other Pending pods ({', '.join(d.others[:4])}) wait for the same nodes" if d.others else ""
    message = (f"{d.target} raised a replica floor ({diff[:160]}) {ago} ago, and since then the node provisioner's "
               f"launches are refused for the cloud account's quota ('{d.refusal[:200]}'): {d.workload} has "
               f"{d.pending}/{d.total} pods Pending and no node can be added{others}. Lower the floor "
               f"(minReplicas/replicas) or raise the quota")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": d.target.kind, "namespace": d.target.namespace, "name": d.target.name},
            "reason": "QuotaRefusesScaleOut", "message": message,
            "evidence": [str(d.change.get("summary") or "")[:300], d.refusal[:300]],
            "details": {"refused_at": d.refused_at.isoformat(), "pending": d.pending, "workload": d.workload,
                        "others": d.others}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the floor write's object, finding, evidence ids, the workloads whose Pending pods it explains)."""
    return [(d.target, finding(d, facts.at), d.evidence, d.explains) for d in found(facts)]
