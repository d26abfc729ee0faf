"""A GitOps source object changed what it renders, and its own sync rewrote the workload: the source is the culprit.

An Argo CD Application, a Flux HelmRelease or Kustomization says WHAT to render: the repository revision
(`targetRevision`, `ref`, `chart.spec.version`), the path or chart, the Helm values (`helm.valueFiles`,
`helm.parameters`, `values`, `valuesFrom`), patches and image overrides. Edit one of those (drop
`values-prod.yaml` from `helm.valueFiles`, point `spec.path` at the staging overlay, bump the chart version) and
the next sync re-renders every object of the release from the new input: the chart's defaults come back
(replicas 6 -> 1), another image or env lands, and the workload's own timeline shows a scale-down or a rollout
written by the controller (`argocd-controller`, `helm-controller`, `kustomize-controller`) a minute later.
That workload change is the visible suspect and the wrong one to undo: the controller writes it again on the
next sync. The fix is the source object (in git).

Told apart from its twins: the source write must touch a rendering field (a sync-policy or suspend write is
agent.triage.gitops_revert's class, a pruned object agent.triage.gitops_prune's), the workload write must come
after it within SYNC_LAG, be a controller's (a person's `kubectl scale` after it is their own act), and land in
the namespace the source deploys to. What the source lost is read from the object itself where it keeps a
history (Argo CD's `status.history[].source`), else quoted from the timeline's diff of the write.

`read` reads the written GitOps objects (reading only); `found` is pure over the facts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.gitops_revert import CONTROLLERS, GITOPS_KINDS, HUMAN_TOOLS
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "change.gitops_source"
WEIGHT = 0.93
"""As gitops_revert: the object whose sync keeps writing the workload outranks the scale-down or rollout it wrote."""
STORE = "gitops_source"
WINDOW = timedelta(hours=6)
SYNC_LAG = timedelta(minutes=15)
"""How soon after the source's write its controller's write to the workload comes (Argo CD refreshes every 3 min,
Flux at its interval)."""
MAX_SOURCES = 4

SOURCE_FIELD = re.compile(r"\bspec\.(?:source|sources|path|chart|values|valuesFrom|valuesFiles|targetRevision|ref|"
                          r"postRenderers|sourceRef|postBuild|patches|patchesStrategicMerge|images|kustomize|helm|"
                          r"generators|template|fetch|packageRef)\b")
"""Fields of a GitOps object that decide what is rendered (not when or whether it syncs): Argo CD's and Flux's, and
Carvel kapp-controller's App `spec.fetch` (git ref, image tag) / `spec.template` (ytt, helmTemplate values) and
PackageInstall `spec.packageRef` (version constraint) / `spec.values`."""
SOURCE_KINDS = (*GITOPS_KINDS, "App", "PackageInstall")
"""GitOps objects that render what a controller applies: Argo CD, Flux, Carvel kapp-controller (App,
PackageInstall)."""
SYNCERS = re.compile(CONTROLLERS.pattern + r"|\bkapp(?:-controller)?\b", re.I)
"""Managers of a reconciler's write: gitops_revert's, and kapp (what kapp-controller deploys with)."""
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
_SCALED = re.compile(r"Scaled (?:down|up) replica set \S+ to (\d+) from (\d+)")
_NOW = re.compile(r"(spec\.replicas) written by [\w.-]+ \(now (\d+)\)")

Call = Callable[..., Awaitable[Any]]


@dataclass
class SourceSync:
    """A GitOps object's rendering input written, and the workload its controller rewrote right after."""

    source: Ref
    written: datetime
    by: str
    what: list[str]
    """The source fields as written (the timeline's diff lines)."""
    lost: str
    """What the object's own history says changed (`helm.valueFiles dropped values-prod.yaml`), or ''."""
    wide: str
    """A patch of the object whose target matches every object of a kind (wide_patches), or ''."""
    workload: Ref
    synced: datetime
    effect: str
    """What the sync did to the workload (`replicas 6 -> 1`, or the timeline's words)."""
    evidence: list[str] = field(default_factory=list)


def source_writes(facts: Facts) -> list[tuple[dict[str, Any], str]]:
    """Writes in WINDOW to a GitOps object's rendering fields, with their evidence ids."""
    out = []
    for change, evidence, _ in facts.writes_to(SOURCE_KINDS, within=WINDOW):
        said = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        if SOURCE_FIELD.search(said):
            out.append((change, evidence))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: each GitOps object whose rendering fields the timeline saw written (its destination and
    history)."""
    store: list[tuple[dict[str, Any], str]] = facts.reads.setdefault(STORE, [])
    for change, _ in source_writes(facts)[:MAX_SOURCES]:
        ref = Ref.of(change.get("object"))
        if ref is None:
            continue
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-gitops-source-{ref.name}")
        if got is not None:
            store.append(got)


def destination(obj: dict[str, Any]) -> str:
    """The namespace a GitOps object deploys to: Argo CD's `spec.destination.namespace`, Flux's `targetNamespace`
    (HelmRelease, Kustomization), kapp-controller's `spec.deploy[].kapp.intoNs`, else the object's own namespace
    (Flux's and kapp-controller's default)."""
    spec = obj.get("spec") or {}
    into = next((str((d.get("kapp") or {}).get("intoNs")) for d in spec.get("deploy") or []
                 if isinstance(d, dict) and isinstance(d.get("kapp"), dict) and d["kapp"].get("intoNs")), "")
    return str((spec.get("destination") or {}).get("namespace") or spec.get("targetNamespace") or into
               or (obj.get("metadata") or {}).get("namespace") or "")


def _flat(value: Any, prefix: str = "") -> dict[str, str]:
    """A nested source as dotted paths -> JSON text of the leaf (lists kept whole)."""
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, child in value.items():
            out.update(_flat(child, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: json.dumps(value)}


def lost(obj: dict[str, Any]) -> str:
    """What the object's last sync changed in its source, from Argo CD's `status.history` (the last two entries'
    `source`): a list that lost entries is said as the entries dropped, other fields as old -> new."""
    history = [h for h in (obj.get("status") or {}).get("history") or [] if isinstance(h, dict)]
    if len(history) < 2:
        return ""
    before, after = _flat(history[-2].get("source") or {}), _flat(history[-1].get("source") or {})
    out = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        was, now = json.loads(old) if old else None, json.loads(new) if new else None
        if isinstance(was, list) and isinstance(now, list) and (gone := [x for x in was if x not in now]):
            out.append(f"{path} dropped {', '.join(str(x) for x in gone)} (was {was}, now {now})")
        else:
            out.append(f"{path} {old or 'unset'} -> {new or 'unset'}")
    return "; ".join(out[:3])


SELECTS = ("name", "labelSelector", "annotationSelector")
"""What narrows a kustomize patch target to some objects; a target with none of them matches every object of its
kind (and group/version) the render produces."""
MATCHES_ALL = re.compile(r"^\^?(?:\.\*|\.\+|\*)\$?$")
"""A target name that is a regex matching every name (kustomize's selectors are anchored regexes): `.*`, `^.*$`."""


def _patches(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The kustomize patches a GitOps object applies to what it renders: a HelmRelease's
    `postRenderers[].kustomize.patches`, a Flux Kustomization's `patches`, an Argo CD Application's
    `source(s).kustomize.patches`."""
    spec = obj.get("spec") or {}
    sources = [spec.get("source") or {}, *(spec.get("sources") or [])]
    lists = [(r.get("kustomize") or {}).get("patches") for r in spec.get("postRenderers") or [] if isinstance(r, dict)]
    lists += [spec.get("patches"), spec.get("patchesJson6902")]  # Flux Kustomization (v1beta2 kept the old name)
    lists += [(x.get("kustomize") or {}).get(key) for x in sources if isinstance(x, dict)
              for key in ("patches", "patchesJson6902")]
    return [p for group in lists if isinstance(group, list) for p in group if isinstance(p, dict)]


def wide_patches(obj: dict[str, Any]) -> str:
    """A patch whose target names a kind but no name or selector, said in words: it is applied to every object of
    that kind the release renders, not the one it was written for."""
    for patch in _patches(obj):
        target = patch.get("target")
        if not isinstance(target, dict) or not target.get("kind") or any(
                target.get(k) and not (k == "name" and MATCHES_ALL.match(str(target[k]).strip())) for k in SELECTS):
            continue
        body = " ".join(str(patch.get("patch") or "").split())[:90]
        where = "postRenderers kustomize" if (obj.get("spec") or {}).get("postRenderers") else "kustomize"
        return (f"its {where} patch target is kind {target['kind']} with no name or selector, so the patch "
                f"({body}) applies to every {target['kind']} it renders")
    return ""


def _controller_writes(facts: Facts, ns: str, after: datetime) -> list[tuple[Ref, datetime, str, str]]:
    """Workload writes in `ns` within SYNC_LAG after `after`: (workload, when, words, evidence id), for workloads
    a controller wrote and no person did in that span."""
    spans: dict[Ref, list[tuple[datetime, str, str]]] = {}
    # every_change keeps one write per (time, object): the event's words and the managedFields write of the same
    # minute are both needed (who wrote it, and what it did), so the survey's own timeline is read whole first
    for change, evidence in [(c, facts.changes_id or "") for c in facts.change_list()] + facts.every_change():
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or at is None or ref.kind not in _WORKLOADS or ref.namespace != ns \
                or not after <= at <= min(after + SYNC_LAG, facts.at):
            continue
        said = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        spans.setdefault(Ref(ref.kind, ref.namespace, ref.name), []).append((at, said, evidence))
    out = []
    for ref, writes in spans.items():
        managers = " ".join(w.split(" written by ", 1)[1].split(":")[0] for _, w, _ in writes if " written by " in w)
        causes = " ".join(w for _, w, _ in writes)
        if SYNCERS.search(causes) and not HUMAN_TOOLS.search(managers):
            writes.sort(key=lambda w: w[0])
            out.append((ref, writes[0][0], effect(" ".join(w for _, w, _ in writes)), writes[0][2]))
    return out


def effect(said: str) -> str:
    """What the sync did to the workload, in words: a replica count old -> new when the timeline says it, else the
    first write's own words."""
    scaled = _SCALED.search(said)
    if scaled:
        return f"replicas {scaled.group(2)} -> {scaled.group(1)}"
    now = _NOW.search(said)
    if now:
        return f"replicas set to {now.group(2)}"
    return said[:160]


def found(facts: Facts) -> list[SourceSync]:
    """Each rendering write to a GitOps object followed by its controller's write to a workload it deploys."""
    objects = facts.reads.get(STORE) or []
    out: list[SourceSync] = []
    for change, evidence in source_writes(facts):
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or at is None:
            continue
        got = next(((o, e) for o, e in objects if Ref(str(o.get("kind") or ref.kind),
                                                      str((o.get("metadata") or {}).get("namespace") or ""),
                                                      str((o.get("metadata") or {}).get("name") or "")
                                                      ).same_object(ref)), None)
        if got is None:
            continue  # without the object its destination is unknown: no claim
        obj, obj_evidence = got
        summary = str(change.get("summary") or "")
        by = written_by(change)
        what = [str(d) for d in change.get("diff") or [] if SOURCE_FIELD.search(str(d))] or [summary]
        for workload, synced, words, w_evidence in _controller_writes(facts, destination(obj), at):
            out.append(SourceSync(ref, at, by, what, lost(obj), wide_patches(obj), workload, synced, words,
                                  [e for e in (evidence, obj_evidence, w_evidence) if e]))
    return out


def _kind_words(ref: Ref) -> str:
    return {"Application": "Argo CD Application", "HelmRelease": "Flux HelmRelease",
            "Kustomization": "Flux Kustomization", "App": "kapp-controller App",
            "PackageInstall": "kapp-controller PackageInstall"}.get(ref.kind, ref.kind)


def finding(s: SourceSync, at: datetime) -> dict[str, Any]:
    """The suspect's finding: what the source now renders, what it dropped, and what its sync did to the workload."""
    ago = minutes_text(int((at - s.written).total_seconds() // 60))
    lag = minutes_text(max(0, int((s.synced - s.written).total_seconds() // 60)))
    dropped = "dropped" in s.lost
    meaning = (" so the sync rendered the chart without it (its defaults)" if dropped
               else " so the sync rendered from the changed source")
    said = s.lost or "; ".join(s.what[:2])[:200]  # the object's own before/after first, else the write's fields
    if s.wide:  # what in the written object made the write reach this workload
        said = f"{s.wide}; {said[:120]}"
    who = f" (by {s.by})" if s.by else ""
    message = (f"{_kind_words(s.source)} {s.source.namespace}/{s.source.name} changed what it renders {ago} before "
               f"the alert{who}: {said},{meaning}; {lag} later its controller rewrote "
               f"{s.workload}: {s.effect}. The workload change is the sync's, not a rollout of its own: restore the "
               f"source in the {s.source.kind} (git), not the {s.workload.kind}, or the next sync writes it again")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": s.source.kind, "namespace": s.source.namespace, "name": s.source.name},
            "reason": "GitOpsSourceChanged", "message": message, "evidence": [*s.what[:2], s.effect],
            "details": {"workload": str(s.workload), "written": s.written.isoformat(), "synced": s.synced.isoformat(),
                        "lost": s.lost, "wide": s.wide, "effect": s.effect}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the GitOps object, its finding, evidence ids, the workload its sync rewrote) for the ranking."""
    return [(s.source, finding(s, facts.at), s.evidence, [s.workload]) for s in found(facts)]
