"""Pending pods that may no longer preempt what their workload's older pods could: the write that weakened them.

The scheduler frees room for a pod that does not fit by evicting pods of lower priority, if the pod's
`preemptionPolicy` allows it (`PreemptLowerPriority`, the default; `Never` waits in the queue instead). Both
the priority and the policy are copied into the pod at admission from its PriorityClass and never again. So when a
workload's new pods stay Pending for a resource fit (Insufficient cpu/memory, too many pods) while its older
pods run at a stronger stance (a higher priority, or a policy that preempts), the capacity is not the cause: the
old stance would have displaced the lower-priority pods that hold it. What weakened the new pods is one of two
writes, told apart by the class the pods name:

- the same class name on old and new pods: the PriorityClass itself was written (its `preemptionPolicy` and
  `value` are immutable, so it was deleted and created again: a copy of a batch class's `Never`, a value lowered);
- another class name (or none: priority 0): the workload's own template lost or renamed its
  `priorityClassName` (a chart upgrade dropping `system-node-critical` from an agent DaemonSet).

Two twins are refused: older pods at the same stance (nothing changed: a capacity problem), and a cluster with no
running pod below the old stance (the old stance could not have preempted either). The scheduler's own words
(`not eligible due to preemptionPolicy=Never`, `No preemption victims found`) are quoted when present but not
required: the pods' fields carry the split in any scheduler's version.

The survey calls `read` (reading only, when a Pending finding is a resource fit); `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.preemption_stance"
WEIGHT = 0.93
"""Above the Pending workload it explains (pod.pending) and the scale-up that asked for the pods: the stance
write is what to undo, the capacity is what it could have taken."""
RECORD = "preemption_stance"
RESOURCE_FIT = re.compile(r"insufficient|too many pods|free ports|exceeds? (?:the )?(?:node'?s? )?(?:allocatable|"
                          r"capacity)", re.I)
"""Scheduling failures preemption resolves: a resource the node lacks (not an affinity, a taint, a volume)."""
PREEMPTION_WORDS = re.compile(r"[^.]*preempt[^.]*", re.I)
NEVER = "Never"
MAX_WORKLOADS = 2
MAX_OWN = 2
"""Pending pods and older running pods read per workload."""
MAX_NEIGHBOURS = 8
"""Other workloads' running pods read to learn whether anything sits below the old stance (one per workload)."""

Call = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Stance:
    """What a pod was admitted with: its priority, whether it may preempt, the class it named."""

    priority: int
    policy: str
    klass: str

    def preempts(self) -> bool:
        return self.policy != NEVER

    def weaker_than(self, other: Stance) -> bool:
        return other.preempts() and (self.priority < other.priority or not self.preempts())


@dataclass
class Weakened:
    """A workload whose new Pending pods hold a weaker stance than its running ones, and the write behind it."""

    culprit: Ref
    workload: Ref
    new: Stance
    old: Stance
    pending: list[str]
    running: list[str]
    below: list[str]
    """Running pods of other workloads below the old stance (what preemption would have displaced)."""
    said: str
    change: dict[str, Any] | None
    klass: dict[str, Any] | None
    minutes_before: int | None = None
    evidence: list[str] = field(default_factory=list)


def stance(pod: dict[str, Any]) -> Stance | None:
    """A pod's admitted stance; None when it states no priority (admission without the Priority plugin)."""
    spec = pod.get("spec") or {}
    if not isinstance(spec.get("priority"), int):
        return None
    return Stance(int(spec["priority"]), str(spec.get("preemptionPolicy") or "PreemptLowerPriority"),
                  str(spec.get("priorityClassName") or ""))


def _texts(finding: dict[str, Any]) -> str:
    return " ".join([str(finding.get("message") or ""), *(str(e) for e in finding.get("evidence") or [])])


def pending_fits(facts: Facts) -> list[tuple[Ref, dict[str, Any]]]:
    """(workload, finding) for each Pending finding whose pods lack a resource preemption could free."""
    out: list[tuple[Ref, dict[str, Any]]] = []
    for finding in facts.findings():
        owner = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
        if finding.get("check") != "pod.pending" or owner is None or not RESOURCE_FIT.search(_texts(finding)):
            continue
        if not any(owner.same_object(o) for o, _ in out):
            out.append((owner, finding))
    return out[:MAX_WORKLOADS]


def _name(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, for Pending resource fits: a few of the workload's Pending and running pods; when the
    Pending ones hold a weaker stance, other workloads' running pods (one each) and the class the pods name."""
    fits = pending_fits(facts)
    if not fits:
        return
    kept: dict[str, Any] = {"pods": {}, "classes": {}, "evidence": {}}
    facts.reads[RECORD] = kept
    rows = rows_of(await call("k8s_list", {"kind": "pods"}, "survey-node-split-pods"))

    async def pod(row: dict[str, Any]) -> dict[str, Any] | None:
        key = f"{row.get('namespace')}/{row.get('name')}"
        if key not in kept["pods"]:
            got = await get_yaml(call, "Pod", str(row.get("name")), str(row.get("namespace") or ""),
                                 f"survey-preemption-pod-{row.get('name')}")
            if got is None:
                return None
            kept["pods"][key], kept["evidence"][key] = got
        return dict(kept["pods"][key])

    weaker = False
    for workload, finding in fits:
        mine = [r for r in rows if str(r.get("namespace")) == workload.namespace
                and workload_of_pod(str(r.get("name"))) == workload.name]
        named = {str(p) for p in finding.get("pods") or []}
        pending = [r for r in mine if r.get("status") == "Pending" or str(r.get("name")) in named][:MAX_OWN]
        running = sorted((r for r in mine if r.get("status") == "Running"), key=lambda r: str(r.get("created")))
        running = running[:MAX_OWN] + running[MAX_OWN:][-1:]  # the oldest (before any write) and the newest
        new = [s for r in pending if (p := await pod(r)) is not None and (s := stance(p)) is not None]
        old = [s for r in running if (p := await pod(r)) is not None and (s := stance(p)) is not None]
        if new and old and any(n.weaker_than(o) for n in new for o in old):
            weaker = True
            for klass in {s.klass for s in new if s.klass}:
                if klass not in kept["classes"]:
                    got = await get_yaml(call, "PriorityClass", klass, "", f"survey-preemption-class-{klass}")
                    if got is not None:
                        kept["classes"][klass], kept["evidence"][f"class/{klass}"] = got
    if not weaker:
        return
    own = {(w.namespace, w.name) for w, _ in fits}
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (str(row.get("namespace")), workload_of_pod(str(row.get("name"))))
        if row.get("status") != "Running" or key in own or key in seen:
            continue
        seen.add(key)
        await pod(row)
        if len(seen) >= MAX_NEIGHBOURS:
            break


def _created(pod: dict[str, Any]) -> str:
    return str((pod.get("metadata") or {}).get("creationTimestamp") or "")


def _split(pods: dict[str, dict[str, Any]], strong: list[str], weak: list[str]) -> bool:
    """Whether every pod at the stronger stance was created before every pod at the weaker one: the stance changed
    once, between them (pods of mixed stances over time are a mix of classes, not a write)."""
    first_weak = min((_created(pods[k]) for k in weak), default="")
    last_strong = max((_created(pods[k]) for k in strong), default="")
    return bool(first_weak and last_strong) and last_strong < first_weak


def _write_of(facts: Facts, target: Ref, obj: dict[str, Any] | None, words: re.Pattern[str]) -> \
        tuple[dict[str, Any], str] | None:
    """The newest timeline write of the target whose diff or summary names the stance (for a class: any write, or
    its (re)creation as the object records it)."""
    if target.kind == "PriorityClass":
        return facts.newest_write("PriorityClass", target.name, obj, created="(re)created")
    writes = [(c, e) for c, e, r in facts.writes_to((target.kind,)) if r.same_object(target)
              and words.search(" ".join([str(c.get("summary") or ""), *(str(d) for d in c.get("diff") or [])]))]
    return max(writes, key=lambda w: str(w[0].get("at"))) if writes else None


def found(facts: Facts) -> list[Weakened]:
    """Each Pending workload whose new pods are weaker than its running ones while lower pods hold the cluster."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    pods: dict[str, dict[str, Any]] = kept.get("pods") or {}
    evidence: dict[str, str] = kept.get("evidence") or {}
    out: list[Weakened] = []
    for workload, finding in pending_fits(facts):
        named = {str(p) for p in finding.get("pods") or []}
        mine = {k: p for k, p in pods.items() if k.split("/", 1)[0] == workload.namespace
                and workload_of_pod(k.split("/", 1)[1]) == workload.name}
        new = {k: s for k, p in mine.items() if ((p.get("status") or {}).get("phase") == "Pending"
                                                  or k.split("/", 1)[1] in named) and (s := stance(p)) is not None}
        running = {k: s for k, p in mine.items() if (p.get("status") or {}).get("phase") == "Running"
                   and (s := stance(p)) is not None}
        old = {k: s for k, s in running.items() if new and all(n.weaker_than(s) for n in new.values())}
        weak = [k for k in [*new, *running] if k not in old]
        if not new or not old or not _split(mine, list(old), weak):
            continue  # no running pod stronger than every Pending one, or the stances do not split in time
        new_stance, old_stance = next(iter(new.values())), next(iter(old.values()))
        below = [k for k, p in pods.items() if k not in mine and (p.get("status") or {}).get("phase") == "Running"
                 and (s := stance(p)) is not None and s.priority < old_stance.priority]
        if not below:
            continue  # nothing runs below the old stance: it could not have preempted either
        said = next((m.group(0).strip() for m in PREEMPTION_WORDS.finditer(_texts(finding))), "")
        if new_stance.klass and new_stance.klass == old_stance.klass:
            culprit = Ref("PriorityClass", "", new_stance.klass)
            klass = (kept.get("classes") or {}).get(new_stance.klass)
        else:
            culprit, klass = workload, None
        change = _write_of(facts, culprit, klass, re.compile(r"priority|preempt", re.I))
        ids = [evidence.get(k, "") for k in [*new, *old, *below[:2]]]
        ids += [evidence.get(f"class/{new_stance.klass}", "")] + ([change[1]] if change else [])
        written = parse_time(change[0].get("at")) if change else None
        minutes = int((facts.at - written).total_seconds() // 60) if written is not None else None
        out.append(Weakened(culprit, workload, new_stance, old_stance, sorted(new), sorted(old), below,
                            said, change[0] if change else None, klass, minutes,
                            [e for e in dict.fromkeys(ids) if e]))
    return out


def _label(s: Stance, policy_always: bool = False) -> str:
    policy = "" if s.preempts() and not policy_always else f", preemptionPolicy {s.policy}"
    return f"priority {s.priority}{policy} ({'priorityClassName ' + s.klass if s.klass else 'no priorityClassName'})"


def _below_text(facts_pods: list[str], kept: dict[str, Any]) -> str:
    """The first lower pods, with the class and priority they run at (the victims the old stance had)."""
    out = []
    for key in facts_pods[:2]:
        s = stance((kept.get("pods") or {}).get(key) or {})
        if s is not None:
            out.append(f"{key} (priority {s.priority}{', ' + s.klass if s.klass else ''})")
    more = f" and {len(facts_pods) - 2} more" if len(facts_pods) > 2 else ""
    return ", ".join(out) + more


def finding(w: Weakened, kept: dict[str, Any]) -> dict[str, Any]:
    """The write and what it did to the stance first (the headline is cut), then the lower pods that hold the room,
    the scheduler's words and the fix."""
    when = ""
    if w.change is not None and w.minutes_before is not None:
        made = str(w.change.get("type") or "").startswith("create")
        when = f" ({'created' if made else 'written'} {minutes_text(w.minutes_before)} before the alert)"
    if w.culprit.kind == "PriorityClass":
        now = w.klass or {}
        what = (f"{w.culprit}{when} admits pods with preemptionPolicy {now.get('preemptionPolicy', w.new.policy)}, "
                f"value {now.get('value', w.new.priority)}: {w.workload}'s Pending pods carry {_label(w.new, True)}, "
                f"its older running pods {_label(w.old, True)}")
        fix = f"Restore preemptionPolicy PreemptLowerPriority (and the value) on {w.culprit}, then recreate the pods"
    else:
        lost = w.old.klass if not w.new.klass else f"{w.old.klass} (now {w.new.klass})"
        what = (f"{w.workload}'s template dropped priorityClassName {lost}{when}: its Pending pods carry "
                f"{_label(w.new)}, its older running pods {_label(w.old)}")
        fix = f"Restore priorityClassName {w.old.klass} in {w.workload}'s template"
    message = (f"{what}. They wait for a resource fit and cannot take it by preemption, though lower-priority pods "
               f"hold it: {_below_text(w.below, kept)}"
               + (f"; the scheduler says '{w.said[:160]}'" if w.said else "") + f". {fix}.")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": w.culprit.kind, "namespace": w.culprit.namespace, "name": w.culprit.name},
            "reason": "PreemptionStanceWeakened", "message": message,
            "evidence": [f"{p}: {_label(w.new)}" for p in w.pending[:2]] + [f"{p}: {_label(w.old)}"
                                                                        for p in w.running[:1]],
            "details": {"workload": str(w.workload), "new": _label(w.new), "old": _label(w.old),
                        "below": w.below[:5], "change_at": (w.change or {}).get("at"),
                        "minutes_before": w.minutes_before}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The write that weakened the Pending pods' stance; it explains the Pending workload."""
    kept = facts.reads.get(RECORD) or {}
    return [(w.culprit, finding(w, kept), w.evidence, [w.workload] if w.culprit != w.workload else [])
            for w in found(facts)]
