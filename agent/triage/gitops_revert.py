"""A field a person set by hand that a GitOps controller later wrote back: the controller's object is the culprit.

A hotfix made with a human tool (`kubectl set resources`, `kubectl edit`/`patch`, client-side apply, k9s,
Lens) lives only in the cluster. When the GitOps object that owns the workload (an Argo CD Application,
a Flux Kustomization or HelmRelease) syncs again, most often because someone turned on automated sync or
selfHeal, it writes git's value back: the rollout history shows revision N-1 `memory limit 512Mi ->
1536Mi` by kubectl and revision N `1536Mi -> 512Mi` by the controller, and the symptom the hotfix had
cured (OOMKilled, too few replicas, the old image's bug) comes back. The newest rollout is the symptom's
obvious suspect and the wrong one to undo (the next sync writes it again). This module reads the rollout
history of each workload a GitOps controller rolled out shortly before the incident, finds a field whose
value went manual -> git (the controller's value equals the one before the manual write), and ties it to
the GitOps object whose destination covers the workload and whose sync policy was changed or that
synced at that time. The fix belongs in git.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml

Call = Callable[..., Awaitable[Any]]

CHECK = "change.gitops_revert"
WEIGHT = 0.93
"""Above the rollout it caused (a bare revision, 0.9): the object that keeps writing the value is the cause."""
WINDOW = timedelta(hours=6)
"""How long before the incident the controller's write may be."""
STORE = "gitops_revert"
SYNC_LAG = timedelta(minutes=15)
"""How soon after a GitOps object's write its controller's rollout comes (Argo CD's default refresh is 3 min)."""
MAX_WORKLOADS = 3
MAX_OWNERS = 4

HUMAN_TOOLS = re.compile(r"\bkubectl(?:-(?:edit|patch|set|client-side-apply|scale|annotate|label))?\b|\bk9s\b|"
                         r"\blens\b|\bkubectl-rollout\b|\bmanual\b|\bhotfix\b", re.I)
"""Managers and change-causes of a person's write (kubectl's field managers are `kubectl-<verb>`)."""
CONTROLLERS = re.compile(r"\bargo(?:cd)?\b|argocd-(?:application-)?controller|\bflux\b|kustomize-controller|"
                         r"helm-controller|\bhelm\b|\bterraform\b|\bpulumi\b|\bspinnaker\b", re.I)
"""Managers and change-causes of a reconciler writing what a repository holds."""
GITOPS_KINDS = ("Application", "Kustomization", "HelmRelease")
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
_DIFF = re.compile(r"^(?P<field>.+?) (?P<old>\S+) -> (?P<new>\S+)$")
_SYMPTOMS = (("memory limit", "OOMKilled"), ("memory request", "evicted or OOMKilled"), ("cpu limit", "CPU throttling"),
             ("replicas", "too few replicas"), ("image", "the previous image's failures"),
             ("env", "the old configuration's failures"))
"""What a field's old value had cured, said in the finding (the symptom that returned)."""


@dataclass
class Revert:
    """A field a person set by hand and a GitOps controller wrote back, with the object that did it."""

    workload: Ref
    path: str
    """The field as the rollout history says it (`billing-worker memory limit`)."""
    manual: str
    git: str
    manual_by: str
    manual_at: str
    reverted_by: str
    reverted_at: str
    owner: Ref | None
    policy: str = ""
    """The owner's sync-policy write shortly before (`spec.syncPolicy.automated.selfHeal = true at 08:55`)."""
    evidence: list[str] = field(default_factory=list)


# ---- reading (survey) -------------------------------------------------------------------------


def _controller_rollouts(facts: Facts) -> list[Ref]:
    out: list[Ref] = []
    for c in facts.change_list():
        target, at = Ref.of(c.get("object")), parse_time(c.get("at"))
        if target is None or at is None or target.kind not in _WORKLOADS or c.get("type") != "rollout":
            continue
        synced = any(w <= at <= w + SYNC_LAG for w in _sync_times(facts))
        if facts.at - WINDOW <= at <= facts.at and (CONTROLLERS.search(str(c.get("summary") or "")) or synced) \
                and not any(o.same_object(target) for o in out):
            out.append(target)
    return out


def _sync_times(facts: Facts) -> list[datetime]:
    """When a GitOps object was written (a sync policy turned on, a Kustomization resumed): a rollout right after
    is its controller's even when no change-cause says so (Argo CD and Flux write none)."""
    return [t for c in _gitops_writes(facts) if (t := parse_time(c.get("at"))) is not None]


def _gitops_writes(facts: Facts) -> list[dict[str, Any]]:
    return [c for c in facts.change_list() if str((c.get("object") or {}).get("kind")) in GITOPS_KINDS]


async def read(facts: Facts, call: Call) -> None:
    """Reading only: the rollout history of workloads a controller rolled out in WINDOW, and the GitOps objects
    the timeline saw written (facts.reads[STORE])."""
    workloads = _controller_rollouts(facts)[:MAX_WORKLOADS]
    if not workloads:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"histories": [], "owners": []})
    for w in workloads:
        history = await call("k8s_rollout_history", {"name": w.name, "namespace": w.namespace, "kind": w.kind},
                             f"survey-gitops-history-{w.name}")
        if history is not None and history.ok and isinstance(history.data, dict):
            store["histories"].append((w, history.data, history.evidence_id))
    for c in _gitops_writes(facts)[:4]:
        ref = Ref.of(c.get("object"))
        if ref is None:
            continue
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-gitops-owner-{ref.name}")
        if got is not None:
            store["owners"].append(got)
    await _find_owners(facts, store, call)


async def _find_owners(facts: Facts, store: dict[str, Any], call: Call) -> None:
    """A revert whose GitOps object the timeline did not see written (selfHeal on for months, a git push):
    list each GitOps kind and read those whose name or namespace names the workload's, up to MAX_OWNERS."""
    sync = _sync_times(facts)
    pending = [w for w, history, _ in store["histories"] if reverts(history, sync)
               and not any(_covers(o, w) for o, _ in store["owners"])]
    if not pending:
        return
    read = 0
    for kind in GITOPS_KINDS:
        listed = await call("k8s_list", {"kind": kind}, f"survey-gitops-list-{kind.lower()}")
        if listed is None or not listed.ok or not isinstance(listed.data, dict):
            continue  # the kind is not served here (no Argo CD, no Flux)
        for row in listed.data.get("rows") or []:
            name, ns = str((row or {}).get("name") or ""), str((row or {}).get("namespace") or "")
            if read >= MAX_OWNERS or not any(w.name in name or w.namespace in name for w in pending):
                continue
            got = await get_yaml(call, kind, name, ns, f"survey-gitops-owner-{name}")
            read += 1
            if got is not None and any(_covers(got[0], w) for w in pending):
                store["owners"].append(got)


# ---- judging (rank) ---------------------------------------------------------------------------


def _changes(rev: dict[str, Any]) -> dict[str, tuple[str, str]]:
    out = {}
    for line in rev.get("changes") or []:
        m = _DIFF.match(str(line).strip())
        if m:
            out[m.group("field")] = (m.group("old"), m.group("new"))
    return out


def _by_controller(later: dict[str, Any], earlier: dict[str, Any], synced: list[datetime]) -> bool:
    """Whether a revision was a controller's: its change-cause names one, or it was made within SYNC_LAG of a
    GitOps object's write and carries no cause of its own (none, or the earlier hand write's annotation left
    on the Deployment, which the deployment controller copies to every later ReplicaSet)."""
    cause = str(later.get("change_cause") or "")
    if CONTROLLERS.search(cause):
        return True
    at = parse_time(later.get("created"))
    fresh = at is not None and any(w <= at <= w + SYNC_LAG for w in synced)
    return fresh and (not cause or cause == str(earlier.get("change_cause") or ""))


def reverts(history: dict[str, Any], synced: list[datetime] | None = None
            ) -> list[tuple[str, str, str, dict[str, Any], dict[str, Any]]]:
    """(field, manual value, git value, manual revision, controller revision): a field a human tool's revision set
    that a later controller revision wrote back to the value before it (revisions oldest first)."""
    revs = [r for r in history.get("revisions") or [] if isinstance(r, dict)]
    out = []
    for i, later in enumerate(revs):
        for fld, (old, new) in _changes(later).items():
            for earlier in reversed(revs[:i]):
                was = _changes(earlier).get(fld)
                if was is None:
                    continue
                if HUMAN_TOOLS.search(str(earlier.get("change_cause") or "")) \
                        and not CONTROLLERS.search(str(earlier.get("change_cause") or "")) \
                        and was[1] == old and was[0] == new and _by_controller(later, earlier, synced or []):
                    out.append((fld, old, new, earlier, later))
                break
    return out


def _covers(owner: dict[str, Any], workload: Ref) -> bool:
    """Whether a GitOps object deploys the workload: its sync result or resource list names it, else its
    destination (Argo CD) or target namespace (Flux) is the workload's and its path or name names it."""
    spec, status = owner.get("spec") or {}, owner.get("status") or {}
    listed = [*(status.get("resources") or []),
              *(((status.get("operationState") or {}).get("syncResult") or {}).get("resources") or []),
              *((status.get("inventory") or {}).get("entries") or [])]
    for r in listed:
        if isinstance(r, dict) and r.get("name") == workload.name and r.get("kind") == workload.kind \
                and (r.get("namespace") or workload.namespace) == workload.namespace:
            return True
        if isinstance(r, dict) and str(r.get("id") or "").startswith(f"{workload.namespace}_{workload.name}_"):
            return True  # Flux inventory ids: <namespace>_<name>_<group>_<Kind>
    ns = str((spec.get("destination") or {}).get("namespace") or spec.get("targetNamespace")
             or (owner.get("metadata") or {}).get("namespace") or "")
    named = " ".join([str((spec.get("source") or {}).get("path") or ""), str(spec.get("path") or ""),
                      str((owner.get("metadata") or {}).get("name") or ""),
                      str(((spec.get("chart") or {}).get("spec") or {}).get("chart") or "")])
    return ns == workload.namespace and workload.name in named


def _policy(facts: Facts, owner: Ref, before: datetime | None) -> str:
    for c in _gitops_writes(facts):
        ref, at = Ref.of(c.get("object")), parse_time(c.get("at"))
        if ref is None or not ref.same_object(owner) or at is None or (before and at > before + timedelta(minutes=5)):
            continue
        said = [str(d) for d in c.get("diff") or [] if re.search(r"selfHeal|automated|prune|suspend|interval", str(d))]
        if said:
            return f"{'; '.join(said[:2])} at {str(c.get('at'))[11:16]}"
    return ""


def found(facts: Facts) -> list[Revert]:
    """Each manual value a controller wrote back, with the GitOps object that covers the workload."""
    store = facts.reads.get(STORE) or {}
    out: list[Revert] = []
    for workload, history, evidence in store.get("histories") or []:
        for fld, manual, git, earlier, later in reverts(history, _sync_times(facts)):
            at = parse_time(later.get("created"))
            if at is None or not facts.at - WINDOW <= at <= facts.at:
                continue
            owner = next((o for o, _ in store.get("owners") or [] if _covers(o, workload)), None)
            owner_ref = None
            if owner is not None:
                meta = owner.get("metadata") or {}
                owner_ref = Ref(str(owner.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))
            ids = [evidence, *(e for o, e in store.get("owners") or [] if o is owner), facts.changes_id]
            out.append(Revert(workload, fld, manual, git, str(earlier.get("change_cause") or ""),
                              str(earlier.get("created") or ""), _who(later),
                              str(later.get("created") or ""), owner_ref,
                              _policy(facts, owner_ref, at) if owner_ref else "", [e for e in ids if e]))
    return out


def _who(later: dict[str, Any]) -> str:
    cause = str(later.get("change_cause") or "")
    return cause if CONTROLLERS.search(cause) else f"revision {later.get('revision')}, a sync right after its write"


def symptom(fld: str) -> str:
    """What the manual value had cured and the git value brings back."""
    return next((s for key, s in _SYMPTOMS if key in fld.lower()), "the symptom the manual value had cured")


def finding(x: Revert) -> dict[str, Any]:
    """The suspect's finding, on the GitOps object (or, when none covers the workload, on the workload)."""
    culprit = x.owner or x.workload
    since = f" ({x.policy})" if x.policy else ""
    message = (f"{culprit} reverted {x.workload} {x.path} {x.manual} -> {x.git} at {x.reverted_at[11:16]}"
               f"{since}; {symptom(x.path)} returned. Put the fix in git: the hand hotfix "
               f"`{x.manual_by[:70]}` ({x.manual_at[:16]}) was never committed, and the controller "
               f"({x.reverted_by[:40]}) writes git's value back over any edit")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": culprit.kind, "namespace": culprit.namespace, "name": culprit.name},
            "reason": "ManualChangeReverted", "message": message, "evidence": [x.manual_by, x.reverted_by],
            "details": {"workload": str(x.workload), "field": x.path, "manual": x.manual, "git": x.git,
                        "manual_at": x.manual_at, "reverted_at": x.reverted_at, "policy": x.policy}}
