"""Two installs of one controller reconcile the same objects and fight: the newer install is the cause.

A controller (an operator, a reconciler) is meant to run once per cluster or scope; its replicas agree through a
leader-election Lease. The Lease's name comes from the install (the Helm release or the chart's name): a chart
rename, a second Argo CD Application or a copy in another namespace installs the same controller again with a Lease
of another name, so both instances lead at once. If they differ in version or config, each rewrites the objects it
owns to its own idea (a StatefulSet/Deployment's image, a ConfigMap), and the owned workload rolls out again and
again, its fields flipping between two values. The rollouts are where it shows; the second install is what to
remove.

The survey (`read`, reading only) looks in the timeline for a workload rolled out MIN_ROLLOUTS times or more in the
LEAD whose diffs go back and forth (a value changed A -> B and later B -> A at least twice), takes the controller the
rollouts' change-cause names, and reads the Deployments across namespaces that are installs of it (the same name
once hyphens are dropped, or the same image repository as one that is) and the Leases of their namespaces (each
Lease's holder is a pod of one install). `found` (pure) names the newer install when two or more are running, with
their leases and versions. Not named: a flip-flopping workload with a single install of its controller (another
fight: GitOps against an autoscaler), two installs whose owned workload is steady.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.dueling_controllers"
WEIGHT = 0.95
"""A second install fighting the first explains every flip of the owned workload: above each rollout."""
STORE = "dueling_controllers"
LEAD = timedelta(hours=24)
MIN_ROLLOUTS = 4
MIN_REVERSALS = 2
MAX_INSTALLS = 4
MAX_LEASES = 8
_ARROW = re.compile(r"(?P<what>[\w./-]+(?: [\w./-]+)?) (?P<old>\S+) -> (?P<new>\S+)")
_CAUSE = re.compile(r"change-cause:\s*([^)]+)\)", re.I)

Call = Callable[..., Awaitable[Any]]


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _repo(image: str) -> str:
    return re.sub(r"[:@][^/]*$", "", image)


def fights(facts: Facts) -> list[tuple[Ref, int, int, str, str]]:
    """(workload, rollouts, reversals, the flipping field in words, the controller the change-cause names)."""
    runs: dict[str, list[dict[str, Any]]] = {}
    refs: dict[str, Ref] = {}
    for change, _, target in facts.writes_to({"Deployment", "StatefulSet", "DaemonSet"}, within=LEAD,
                                             deletions=False):
        runs.setdefault(str(target), []).append(change)
        refs[str(target)] = target
    out: list[tuple[Ref, int, int, str, str]] = []
    for key, changes in runs.items():
        if len(changes) < MIN_ROLLOUTS:
            continue
        seen: set[tuple[str, str, str]] = set()
        reversals, what = 0, ""
        for change in sorted(changes, key=lambda c: str(c.get("at"))):
            for d in change.get("diff") or []:
                m = _ARROW.search(str(d))
                if m is None:
                    continue
                if (m.group("what"), m.group("new"), m.group("old")) in seen:
                    reversals += 1
                    what = f"{m.group('what')} {m.group('old')} <-> {m.group('new')}"
                seen.add((m.group("what"), m.group("old"), m.group("new")))
        causes = [c.group(1).strip() for ch in changes if (c := _CAUSE.search(str(ch.get("summary") or "")))]
        cause = max(set(causes), key=causes.count) if causes else ""
        if reversals >= MIN_REVERSALS and cause:
            out.append((refs[key], len(changes), reversals, what, cause))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, for a workload whose fields flip back and forth: the installs of the controller its rollouts
    name, and the Leases of their namespaces."""
    found_fights = fights(facts)
    if STORE in facts.reads or not found_fights:
        return
    victim, count, reversals, what, cause = found_fights[0]
    kept: dict[str, Any] = {"victim": [victim.kind, victim.namespace, victim.name], "count": count,
                            "reversals": reversals, "what": what, "cause": cause, "installs": [], "leases": [],
                            "evidence": []}
    facts.reads[STORE] = kept
    listed = await call("k8s_list", {"kind": "Deployment", "namespace": ""}, "survey-dueling-deployments")
    if listed is None or not listed.ok or not isinstance(listed.data, dict):
        return
    kept["evidence"].append(listed.evidence_id)
    rows = [r for r in listed.data.get("rows") or [] if isinstance(r, dict) and r.get("name")]
    wanted = _key(cause.split()[0]) if cause.split() else ""
    named = [r for r in rows if wanted and len(wanted) >= 5 and (_key(str(r["name"])) == wanted)]
    if not named:
        return
    read_ns = {str(r.get("namespace") or "") for r in named}
    candidates = named + [r for r in rows if str(r.get("namespace") or "") in read_ns and r not in named]
    repos: set[str] = set()
    for row in candidates[:MAX_INSTALLS * 2]:
        got = await get_yaml(call, "Deployment", str(row["name"]), str(row.get("namespace") or ""),
                             f"survey-dueling-install-{row['name']}")
        if got is None:
            continue
        obj = got[0]
        containers = ((obj.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
        image = str((containers[0] if containers else {}).get("image") or "")
        if row in named:
            repos.add(_repo(image))
        elif _repo(image) not in repos:
            continue
        meta = obj.get("metadata") or {}
        kept["installs"].append({"ref": ["Deployment", str(meta.get("namespace") or row.get("namespace") or ""),
                                         str(meta.get("name") or row["name"])], "image": image,
                                 "created": meta.get("creationTimestamp")})
        kept["evidence"].append(got[1])
        if len(kept["installs"]) >= MAX_INSTALLS:
            break
    if len(kept["installs"]) < 2:
        return
    for ns in sorted(read_ns):
        leases = await call("k8s_list", {"kind": "Lease", "namespace": ns}, f"survey-dueling-leases-{ns}")
        if leases is None or not leases.ok or not isinstance(leases.data, dict):
            continue
        for row in (leases.data.get("rows") or [])[:MAX_LEASES]:
            name = str((row or {}).get("name") or "")
            got = await get_yaml(call, "Lease", name, ns, f"survey-dueling-lease-{name}") if name else None
            if got is None:
                continue
            spec = got[0].get("spec") or {}
            holder = str(spec.get("holderIdentity") or "").split("_")[0]
            kept["leases"].append({"name": name, "namespace": ns, "holder": holder,
                                   "acquired": spec.get("acquireTime")})
            kept["evidence"].append(got[1])


@dataclass
class Duel:
    """Two installs of one controller, each leading under its own Lease, fighting over one workload."""

    newer: Ref
    older: Ref
    newer_image: str
    older_image: str
    leases: list[str]
    since: datetime | None
    victim: Ref
    count: int
    what: str
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[Duel]:
    """The newer of two or more running installs of the controller whose owned workload flips back and forth."""
    kept = facts.reads.get(STORE)
    if not isinstance(kept, dict) or len(kept.get("installs") or []) < 2:
        return []
    installs = kept["installs"]
    held: dict[str, dict[str, Any]] = {}
    for lease in kept.get("leases") or []:
        owner = workload_of_pod(str(lease.get("holder") or ""))
        for inst in installs:
            if inst["ref"][2] == owner and inst["ref"][1] == lease.get("namespace"):
                held.setdefault(owner, lease)

    def started(inst: dict[str, Any]) -> datetime:
        lease = held.get(inst["ref"][2])
        return (parse_time((lease or {}).get("acquired")) or parse_time(inst.get("created"))
                or datetime.min.replace(tzinfo=facts.at.tzinfo))

    ordered = sorted(installs, key=started)
    newer, older = ordered[-1], ordered[0]
    leases = [f"{lease['name']} (held by {lease['holder']})" for lease in held.values()]
    since = started(newer)
    return [Duel(Ref(*newer["ref"]), Ref(*older["ref"]), str(newer.get("image") or ""),
                 str(older.get("image") or ""), leases, since if since.year > 1 else None, Ref(*kept["victim"]),
                 int(kept.get("count") or 0), str(kept.get("what") or ""), list(kept.get("evidence") or []))]


def finding(hit: Duel, at: datetime) -> dict[str, Any]:
    """What the second install means first (two operators lead at once and fight), then the flips it explains."""
    when = f", leading since {minutes_text(int((at - hit.since).total_seconds() // 60))} before the incident" \
        if hit.since else ""
    leases = f"; leader election holds two leases: {', '.join(hit.leases[:2])}" if len(hit.leases) >= 2 else \
        "; each install elects its own leader (a lease of its own name)"
    message = (f"{hit.newer} is a second install of the controller {hit.older} runs: two operators reconcile the "
               f"same objects and fight ({hit.newer_image} next to {hit.older_image}){when}{leases}: "
               f"{hit.victim} rolled out {hit.count} times, its {hit.what} flipping back and forth. Remove one "
               f"install (the newer one, or give both one lease name), then let the remaining one reconcile")
    return {"check": CHECK, "severity": "critical", "reason": "DuelingControllers",
            "object": {"kind": hit.newer.kind, "namespace": hit.newer.namespace, "name": hit.newer.name},
            "message": message, "evidence": [f"{hit.victim}: {hit.what}"],
            "details": {"older": str(hit.older), "rollouts": hit.count, "leases": hit.leases}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The newer install, explaining the workload the two fight over and the older install."""
    return [(h.newer, finding(h, facts.at), h.evidence, [h.victim, h.older]) for h in found(facts)]
