"""A GitOps build-time substitution that emptied an application's own placeholder: the config it applied since
carries a blank where a host was.

Flux's Kustomization can substitute variables in everything it applies (`spec.postBuild.substitute` /
`substituteFrom`); an Argo CD config-management plugin running envsubst does the same from
`spec.source.plugin.env`. Turn it on, or point it at another variable source, and every `${NAME}` in the applied
manifests is replaced: an application's own placeholder that the substitution does not define (one its runtime
was meant to fill, `${DB_HOST}` in a Spring `application.yaml`) becomes an empty string. The ConfigMap rolled out
then says `jdbc:postgresql://:5432/orders`, `redis://:6379/0`, `amqp://@:5672`, and the pods connect to nothing
(`localhost`, `Connection refused`, `invalid URL`) or refuse to start: the rollout is only the moment it showed.

Held together from what the objects say: a GitOps object whose write touched its substitution, a ConfigMap that
object applied (Flux's `kustomize.toolkit.fluxcd.io/name` label, Argo CD's `argocd.argoproj.io/instance`) written
at or after that write, and in its data a connection string with an empty host. Not named: a blank in a ConfigMap
no substitution applied, a GitOps write that did not touch its substitution, a substitution written after the
ConfigMap, a ConfigMap whose connection strings all name their host.

The survey calls `read` (reading only); `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "gitops.substitution_emptied"
WEIGHT = 0.94
"""Above the crashing workload and its rollout (which only carried the emptied config) and a bare GitOps write."""
GITOPS_KINDS = ("Kustomization", "Application")
WITHIN = timedelta(hours=48)
MAX_CONFIGMAPS = 4
READS_KEY = "substitution_emptied"
SUBSTITUTION = re.compile(r"postBuild|substitut|envsubst|\bplugin\b", re.IGNORECASE)
"""A write's words that touched a build-time substitution (Flux's postBuild, an Argo CD plugin's env)."""
EMPTY_HOST = re.compile(r"[a-z][\w+.-]*://(?:[\w.%-]*@)?:\d+\b|[a-z][\w+.-]*://(?:/|@/|[;?]|\s|$)|"
                        r"\bhost(?:name)?\s*[=:]\s*(?:;|,|\s*$)|\bhost(?:name|addr)?=\s+[\w.-]+=|"
                        r"\b(?:server|data source|addr(?:ess)?)\s*=\s*[;,]", re.IGNORECASE | re.MULTILINE)
"""A connection string whose host is blank: `scheme://:5432`, `scheme://user@:5672`, `scheme:///db`, `host=;`; and in
other drivers' shapes: libpq's key/value `host= port=5432`, .NET/ADO `Server=;` and `Data Source=;`, JDBC SQL
Server's `jdbc:sqlserver://;databaseName=`. A blank database or user with its host present is not one."""
APPLIER_LABELS = (("kustomize.toolkit.fluxcd.io/name", "kustomize.toolkit.fluxcd.io/namespace", "Kustomization"),
                  ("argocd.argoproj.io/instance", "", "Application"))
TRACKING_ID = "argocd.argoproj.io/tracking-id"
"""Argo CD's annotation tracking: `<app>:<group>/<kind>:<namespace>/<name>`, the app `<app-namespace>_<app>` when
Applications live outside Argo CD's own namespace."""
LEGACY_LABEL = "app.kubernetes.io/instance"
"""Argo CD's older default tracking label (also Helm's release label: only read when nothing more specific is set,
and only matched against an Application whose substitution was written)."""


@dataclass
class Emptied:
    """A substitution write, the ConfigMap it applied since, and the blank slot in it."""

    owner: Ref
    configmap: Ref
    key: str
    line: str
    write: dict[str, Any]
    written_at: datetime
    evidence: list[str] = field(default_factory=list)


def _substitutions(facts: Facts) -> list[tuple[dict[str, Any], str, Ref]]:
    return [(c, e, r) for c, e, r in facts.writes_to(GITOPS_KINDS, within=WITHIN, deletions=False)
            if SUBSTITUTION.search(" ".join(str(d) for d in c.get("diff") or []) + " " + str(c.get("summary") or ""))]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a GitOps object's substitution was written: the ConfigMaps written since (a few)."""
    subs = _substitutions(facts)
    if not subs:
        return
    times = [t for c, _, _ in subs if (t := parse_time(c.get("at"))) is not None]
    first = min(times, default=None)
    kept: list[tuple[dict[str, Any], str]] = facts.reads.setdefault(READS_KEY, [])
    seen: set[str] = set()
    for change, _, ref in facts.writes_to(("ConfigMap",), within=WITHIN, deletions=False):
        when = parse_time(change.get("at"))
        if str(ref) in seen or len(seen) >= MAX_CONFIGMAPS or (first and when and when < first):
            continue
        seen.add(str(ref))
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-substitution-{ref.name}")
        if got is not None:
            kept.append(got)


def _applier(configmap: dict[str, Any]) -> Ref | None:
    """The GitOps object that applied the ConfigMap, as its tracking label or annotation names it."""
    meta = configmap.get("metadata") or {}
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    for name_key, ns_key, kind in APPLIER_LABELS:
        name = str(labels.get(name_key) or "")
        if name:
            return Ref(kind, str(labels.get(ns_key) or "") if ns_key else "", name)
    app = str(annotations.get(TRACKING_ID) or "").split(":", 1)[0]
    if app:
        namespace, _, name = app.rpartition("_")  # Kubernetes names hold no `_`: it only parts namespace and name
        return Ref("Application", namespace, name)
    legacy = str(labels.get(LEGACY_LABEL) or "")
    return Ref("Application", "", legacy) if legacy else None


def _written(configmap: dict[str, Any]) -> datetime | None:
    meta = configmap.get("metadata") or {}
    stamps = [m.get("time") for m in meta.get("managedFields") or [] if isinstance(m, dict)]
    times = [t for s in [*stamps, meta.get("creationTimestamp")] if (t := parse_time(s)) is not None]
    return max(times, default=None)


def found(facts: Facts) -> list[Emptied]:
    """ConfigMaps applied by a GitOps object after its substitution was written, with a blank host in their data."""
    subs = _substitutions(facts)
    out: list[Emptied] = []
    for configmap, c_evidence in facts.reads.get(READS_KEY) or []:
        applier, written = _applier(configmap), _written(configmap)
        data = configmap.get("data") or {}
        hit = next(((k, m) for k, v in sorted(data.items()) for m in [EMPTY_HOST.search(str(v))] if m), None)
        if applier is None or written is None or written > facts.at or hit is None:
            continue
        key, m = hit
        text = str(data[key])
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        line = text[start:end if end >= 0 else len(text)].strip()[:160]
        meta = configmap.get("metadata") or {}
        for change, w_evidence, ref in subs:
            at = parse_time(change.get("at"))
            same = ref.kind == applier.kind and ref.name == applier.name and applier.namespace in ("", ref.namespace)
            if not same or at is None or at > written + timedelta(minutes=1):
                continue
            out.append(Emptied(ref, Ref("ConfigMap", str(meta.get("namespace") or ""), str(meta.get("name") or "")),
                               key, line, change, at, [e for e in (w_evidence, c_evidence) if e]))
            break
    return out


def finding(e: Emptied, at: datetime) -> dict[str, Any]:
    """The GitOps object, its substitution write, and the blank it left in the config it applied."""
    ago = minutes_text(int((at - e.written_at).total_seconds() // 60))
    diff = "; ".join(str(d) for d in e.write.get("diff") or [])[:200] or str(e.write.get("summary") or "")[:200]
    message = (f"{e.owner} was written {ago} before the incident to substitute variables at build time ({diff}); "
               f"{e.configmap} it applied since carries a blank host in {e.key} ('{e.line}'): an application "
               "placeholder (${NAME}) the substitution does not define was replaced with an empty string, so the "
               "pods using it connect to nothing. Escape the application's own placeholders ($${NAME}) or turn "
               "substitution off for that object, then let it reconcile")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": e.owner.kind, "namespace": e.owner.namespace, "name": e.owner.name},
            "reason": "SubstitutionEmptiedPlaceholder", "message": message, "evidence": [e.line],
            "details": {"configmap": str(e.configmap), "key": e.key}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the GitOps object, its finding, evidence ids, the ConfigMap it explains) for the ranking."""
    return [(e.owner, finding(e, facts.at), e.evidence, [e.configmap]) for e in found(facts)]
