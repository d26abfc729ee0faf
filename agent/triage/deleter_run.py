"""A cleanup job that left no log: its own template says it deletes objects of a kind, and a run of it is dated.

agent.triage.deleted_dependency names the actor whose log says it deleted the object the victims need. A cleanup
CronJob's Job pods are often gone by the time anyone looks (`ttlSecondsAfterFinished`, a pruned history, a dump
that kept no completed pods), so no line says it. What stays is the job's template and its Jobs' status: a command
that deletes objects of the missing kind by selector or by enumeration (`kubectl delete secret -n "$ns" "$name"`
in a loop over `kubectl get secrets -l "$SELECTOR"`, `kubectl delete configmaps -l team=ci`, `oc delete pvc
--all`, the Python client's `delete_namespaced_secret`), and a Job of it that started after the template's write
and before the incident. That is evidence of the same deletion, one step weaker than the log line.

Not matched: a template that only reads (`kubectl get secrets`), one that deletes another kind, one that deletes
only objects named literally in it (`kubectl delete secret old-token`) unless the missing object is among them.
`read_runs` reads (the actor's template and its newest Jobs); the rest is pure.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from agent.triage.facts import Ref, parse_time
from agent.triage.kube_reads import get_yaml, rows_of

MAX_RUNS = 2
KIND_WORDS = {"secret": "Secret", "configmap": "ConfigMap", "cm": "ConfigMap", "pvc": "PersistentVolumeClaim",
              "persistentvolumeclaim": "PersistentVolumeClaim", "service": "Service", "svc": "Service",
              "serviceaccount": "ServiceAccount", "sa": "ServiceAccount", "config_map": "ConfigMap",
              "persistent_volume_claim": "PersistentVolumeClaim", "service_account": "ServiceAccount"}
_KUBECTL_DELETE = re.compile(
    r"\b(?:kubectl|oc)\b[^|;&\n]*?\bdelete\s+(?P<kind>secrets?|configmaps?|cm|pvc|persistentvolumeclaims?|"
    r"services?|svc|serviceaccounts?|sa)\b(?P<rest>[^|;&\n)]*)", re.I)
"""kubectl's (or oc's) delete of a kind, and what follows it up to the end of that command."""
_SUBSTITUTED = re.compile(r"\bdelete\s+[\"']?\$\(\s*(?:kubectl|oc)\s+get\s+(?P<kind>[a-z]+)", re.I)
"""`kubectl delete $(kubectl get secrets -l x -o name)`: the kind is the inner get's."""
_CLIENT_DELETE = re.compile(r"\bdelete_(?:collection_)?namespaced_(?P<kind>secret|config_map|"
                            r"persistent_volume_claim|service_account|service)\b")
"""The Kubernetes Python client's delete calls."""
_VALUED_FLAGS = frozenset({"-n", "--namespace", "-l", "--selector", "-o", "--output", "--field-selector",
                           "--grace-period", "--timeout", "--context", "--cascade"})


def _kind(word: str) -> str:
    low = word.lower()
    return KIND_WORDS.get(low) or KIND_WORDS.get(low[:-1] if low.endswith("s") else low, "")


def _literal_names(rest: str) -> list[str]:
    """The object names a kubectl delete spells out (not flags, their values, or shell variables)."""
    try:
        tokens = shlex.split(rest, posix=True)
    except ValueError:
        tokens = rest.split()
    names: list[str] = []
    skip = False
    for token in tokens:
        if skip:
            skip = False
            continue
        if token in _VALUED_FLAGS:
            skip = True
            continue
        if token.startswith("-") or "$" in token or "`" in token:
            continue
        names.append(token.lstrip("/"))
    return names


def deletes(text: str, gone: Ref) -> str:
    """The snippet of a job's command that deletes objects of `gone`'s kind and may reach `gone` (by selector,
    enumeration or its own name); "" when none does."""
    for m in _KUBECTL_DELETE.finditer(text):
        if _kind(m.group("kind")) != gone.kind:
            continue
        names = _literal_names(m.group("rest"))
        if names and gone.name not in names:
            continue  # it deletes other objects, named
        return " ".join(m.group(0).split())[:200]
    for m in [*_SUBSTITUTED.finditer(text), *_CLIENT_DELETE.finditer(text)]:
        if _kind(m.group("kind")) == gone.kind:
            return " ".join(text[max(0, m.start() - 40):m.end() + 80].split())[:200]
    return ""


def template_text(obj: dict[str, Any]) -> str:
    """A CronJob's or Job's containers' command, args and literal env (`NAME=value`), one line each."""
    spec = obj.get("spec") or {}
    job = ((spec.get("jobTemplate") or {}).get("spec")) or spec
    pod = (job.get("template") or {}).get("spec") or {}
    lines: list[str] = []
    for c in [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]:
        lines += [" ".join(str(x) for x in c.get("command") or []), " ".join(str(x) for x in c.get("args") or [])]
        lines += [f"{e.get('name')}={e['value']}" for e in c.get("env") or []
                  if isinstance(e, dict) and isinstance(e.get("value"), str)]
    return "\n".join(x for x in lines if x)


def runs_of(actor: Ref, jobs: list[dict[str, Any]]) -> list[tuple[str, datetime, datetime | None]]:
    """(Job name, start, completion) of the actor's Jobs (its own, for a Job), newest first."""
    out: list[tuple[str, datetime, datetime | None]] = []
    for job in jobs:
        meta, status = job.get("metadata") or {}, job.get("status") or {}
        name = str(meta.get("name") or "")
        owned = any(o.get("kind") == actor.kind and o.get("name") == actor.name
                    for o in meta.get("ownerReferences") or [] if isinstance(o, dict))
        named = name == actor.name if actor.kind == "Job" else name.startswith(f"{actor.name}-")
        if not (owned or named):
            continue
        start = parse_time(status.get("startTime") or meta.get("creationTimestamp"))
        if start is not None:
            out.append((name, start, parse_time(status.get("completionTime"))))
    return sorted(out, key=lambda r: r[1], reverse=True)


Call = Callable[..., Awaitable[Any]]


async def read_runs(call: Call, actor: Ref) -> dict[str, Any]:
    """The actor's template text and its newest Jobs as read (`{"template", "jobs", "evidence"}`)."""
    got = await get_yaml(call, actor.kind, actor.name, actor.namespace, f"survey-deleter-template-{actor.name}")
    if got is None:
        return {}
    kept: dict[str, Any] = {"template": template_text(got[0]), "jobs": [], "evidence": [got[1]]}
    if actor.kind == "Job":
        kept["jobs"].append(got[0])
        return kept
    listed = await call("k8s_list", {"kind": "Job", "namespace": actor.namespace},
                        f"survey-deleter-jobs-{actor.namespace}")
    rows = sorted((r for r in rows_of(listed) if str(r.get("name") or "").startswith(f"{actor.name}-")),
                  key=lambda r: str(r.get("created") or ""), reverse=True)
    for row in rows[:MAX_RUNS]:
        job = await get_yaml(call, "Job", str(row["name"]), actor.namespace, f"survey-deleter-job-{row['name']}")
        if job is not None:
            kept["jobs"].append(job[0])
            kept["evidence"].append(job[1])
    return kept
