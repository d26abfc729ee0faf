"""One container failing the same way in several workloads: the platform write that configures it is the cause.

A mesh proxy (`istio-proxy`, `linkerd-proxy`), a secrets agent (`vault-agent`), a log or APM agent is injected
into many workloads by a platform, and configured by it: a mesh-wide Sidecar or MeshConfig, the injector's
ConfigMap, an EnvoyFilter, the agent's own settings object. When that configuration changes, the same
container fails in every workload at once (OOMKilled as it loads the whole mesh, crash-looping on a bad
filter, refusing to start) while the applications beside it are unchanged. Each workload's own finding is
true and says nothing about why; N application bugs at the same minute are one platform write.

`found` is pure over the facts: the scan's pod findings grouped by container name, and the change timeline
(the survey's and any longer history read). A container failing in two workloads or more, named after none
of them, whose name shares a distinctive word with the namespace or name of an object written before the
failures (`istio-proxy` and `istio-system`, `linkerd-proxy` and `linkerd`), makes that write the suspect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time

CHECK = "change.shared_container"
WEIGHT = 0.9
"""A platform write that explains the same container failing in several workloads outranks each workload's own
symptom, level with the other changes that say what to undo."""
LEAD = timedelta(hours=24)
"""How long before the alert the platform's write may have been made (proxies pick a new config up at once;
agents at their next restart)."""
POD_CHECKS = ("pod.oomkilled", "pod.crashloop", "pod.restarting", "pod.start_error", "pod.not_ready",
              "pod.init_failed")
GENERIC = frozenset({"proxy", "agent", "sidecar", "init", "container", "main", "app", "server", "system", "kube",
                     "default", "config", "controller", "manager", "operator", "injector", "envoy"})
"""Words of a container's name too common to tie it to a platform (`kube-proxy` is not Istio's)."""
_WORKLOAD_KINDS = frozenset({"deployment", "statefulset", "daemonset", "replicaset", "job", "cronjob", "pod"})


@dataclass
class SharedFailure:
    """A container failing in several workloads, and the platform write whose words it shares."""

    container: str
    reason: str
    workloads: list[Ref]
    target: Ref
    change: dict[str, Any]
    word: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if len(w) >= 4 and w not in GENERIC}


def failing_containers(facts: Facts) -> dict[str, tuple[str, list[Ref]]]:
    """Container name -> (the failure's reason, the workloads it fails in), for names shared by two or more."""
    seen: dict[str, tuple[str, dict[str, Ref]]] = {}
    for f in facts.findings():
        if str(f.get("check") or "") not in POD_CHECKS:
            continue
        container = str((f.get("details") or {}).get("container") or "")
        ref = Ref.of(f.get("owner")) or Ref.of(f.get("object"))
        if not container or ref is None or container == ref.name or container in ref.name:
            continue
        _, refs = seen.setdefault(container, (str(f.get("reason") or f.get("check")), {}))
        refs[str(ref)] = ref
    return {c: (reason, list(refs.values())) for c, (reason, refs) in seen.items() if len(refs) >= 2}




def found(facts: Facts) -> list[SharedFailure]:
    """Each container failing in several workloads with the latest platform write that shares its words."""
    out: list[SharedFailure] = []
    for container, (reason, workloads) in failing_containers(facts).items():
        words = _words(container)
        if not words:
            continue
        best: tuple[dict[str, Any], Ref, str, str] | None = None
        for change, evidence, target in facts.writes_to(None, within=LEAD):
            if target.kind.lower() in _WORKLOAD_KINDS or any(target.same_object(w) for w in workloads):
                continue
            shared = words & (_words(target.namespace) | _words(target.name) | _words(target.kind))
            if shared and (best is None or str(change.get("at")) > str(best[0].get("at"))):
                best = (change, target, evidence, sorted(shared)[0])
        if best is None:
            continue
        change, target, evidence, word = best
        at = parse_time(change.get("at"))
        out.append(SharedFailure(container, reason, workloads, target, change, word,
                                 int((facts.at - at).total_seconds() // 60) if at else 0,
                                 [e for e in (evidence, facts.scan_id) if e]))
    return out


def finding(s: SharedFailure) -> dict[str, Any]:
    """The suspect: the platform object, what its write set, and the container failing alike in each workload."""
    diff = "; ".join(str(d) for d in s.change.get("diff") or [] if "last-applied-configuration" not in str(d))[:240]
    names = ", ".join(w.name for w in s.workloads[:4]) + (f" and {len(s.workloads) - 4} more"
                                                         if len(s.workloads) > 4 else "")
    message = (f"{s.target} was written {s.minutes_before} min before the alert ({diff}); since then the injected "
               f"container {s.container} fails the same way ({s.reason}) in {len(s.workloads)} workloads ({names}) "
               f"while their applications are unchanged: one write to the {s.word} platform's configuration, not "
               f"{len(s.workloads)} application bugs. Revert it (or scope it), then restart one workload to confirm")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": s.target.kind, "namespace": s.target.namespace, "name": s.target.name},
            "reason": "SharedContainerConfigChanged", "message": message,
            "evidence": [diff[:200], f"{s.container} {s.reason} in {names}"],
            "details": {"change_at": s.change.get("at"), "container": s.container,
                        "workloads": [str(w) for w in s.workloads]}}
