"""A config write the running pods never see: the file reaches their container through a `subPath` mount, or the
value through an environment variable (`env[].valueFrom.configMapKeyRef`/`secretKeyRef`, `envFrom`).

The kubelet refreshes a ConfigMap or Secret volume in place (an atomic symlink swap), so a program that watches its
file (Envoy's file-based xDS, nginx or HAProxy reloaders, Prometheus and Alertmanager with a reloader, an app's
own file watcher) picks a write up within a minute. A `subPath` mount is different: the kubelet bind-mounts that
one file when the container starts and never updates it. A pod template that moved a config file to a subPath
mount (to place it beside other files in a directory) leaves every later edit of the ConfigMap invisible to the
pods already running: the object says the new value, the program keeps the old one, until a restart. When the
edit was made to move away from something (a backend renamed, an address retired, a credential rotated) and the
old thing is then removed, the workload starts failing against it (`503 UF`, `connection refused`, `no such
host`, `401`) although its config, as read from the cluster, is right.

Environment variables taken from a ConfigMap or Secret freeze the same way (the runtime sets them when the container
starts; Kubernetes documents that they are not updated), so a rotated password or a moved endpoint read from the
environment stays old in every running pod.

Named: the workload whose failing pods (the survey's logs) mount, by subPath (or read as env), a key of a ConfigMap
or Secret written in the LEAD after every one of its pods was created; when the write's diff names keys, a subPath
(or env) key must be among them (an envFrom takes every key). The finding names the workload (its template's subPath
mount or env reference is what froze the value) and explains the write. Not named: a mount of the whole volume
(refreshed in place); a pod created after the write (it read the new file); a write to keys the subPath mounts do
not carry; a workload whose pods are not failing, or whose top error was already printed before the write
(agent.triage.log_since, by the kubelet's stamps).

`read` (reading only, when a ConfigMap or Secret write related to a failing workload is in the timeline) reads the
workload and its pods' creation times; `found` is pure. Secrets are named, their values never read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import log_since, pod_spec_words
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by, workloads_touched
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.subject import Subject, workload_of_pod
from agent.triage.write_author import written_by

CHECK = "config.frozen_mount"
WEIGHT = 0.9
"""The mount that keeps the running pods on the old file: above the failing pods' own errors, which show where the
stale file bites, not why the edit meant to fix it never arrived."""
STORE = "frozen_mount"
LEAD = timedelta(hours=24)
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
MAX_WORKLOADS = 3
MIN_NEEDLE = 8
_PLACEHOLDER = re.compile(r"<\w+>|#+")
"""A template's placeholders (`<quoted>`, `<ip>`, a blurred number)."""
_PROBLEM = re.compile(r"(?i)error|fail|refused|denied|reset|timed? ?out|exception|invalid|unavailable|unreachable|"
                      r"no such|not found|forbidden|unauthori")
"""Words that make a literal run of a template the error itself, not the request it came with (a request line
`GET /api/x` is printed by the successes too, so it cannot date the failures)."""
_KEY = re.compile(r"\bkeys? ([\w.-]+(?:, [\w.-]+)*)")
"""The keys a config write's diff names (`data key cds.yaml set by kubectl-edit`, `keys a.yaml, b.yaml`)."""
Call = Callable[..., Awaitable[Any]]


def _failing(facts: Facts) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(namespace, workload) of the survey's failing pods -> (a pod, the words of its top error, a needle: the
    longest literal run of that error's template that holds a problem word, to count its lines before and after a
    moment; "" when none does)."""
    out: dict[tuple[str, str], tuple[str, str, str]] = {}
    for log in facts.logs:
        template = str((log.top or {}).get("template") or "")
        runs = sorted((r.strip() for r in _PLACEHOLDER.split(template) if _PROBLEM.search(r)), key=len, reverse=True)
        needle = runs[0] if runs and len(runs[0]) >= MIN_NEEDLE else ""
        out.setdefault((log.namespace, workload_of_pod(log.pod)), (log.pod, said_by(log.top or {}), needle))
    return out


def frozen_mounts(template: dict[str, Any], kind: str, name: str) -> list[tuple[str, str, str]]:
    """(container, mountPath, key) of the template's subPath mounts of the `kind` (ConfigMap/Secret) named `name`."""
    spec = template.get("spec") or {}
    volumes = set()
    for v in spec.get("volumes") or []:
        cm, sec = v.get("configMap") or {}, v.get("secret") or {}
        projected = [s.get("configMap" if kind == "ConfigMap" else "secret") or {}
                     for s in (v.get("projected") or {}).get("sources") or []]
        names = [cm.get("name")] if kind == "ConfigMap" else [sec.get("secretName")]
        if name in names + [p.get("name") for p in projected]:
            volumes.add(v.get("name"))
    out = []
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for m in c.get("volumeMounts") or []:
            sub = m.get("subPath") or m.get("subPathExpr")
            if m.get("name") in volumes and sub:
                out.append((str(c.get("name")), str(m.get("mountPath")), str(sub)))
        out += [(str(c.get("name")), where, key) for where, key in env_refs(c, kind, name)]
    return out


def env_refs(container: dict[str, Any], kind: str, name: str) -> list[tuple[str, str]]:
    """(where, key) of the container's environment taken from the `kind` (ConfigMap/Secret) named `name`: one
    variable's `valueFrom` key reference (`env VAR`, its key), or an `envFrom` of the whole object (`envFrom`, ""
    for every key). The runtime sets a container's environment when it starts and never again, so an edit reaches
    these exactly as it reaches a subPath file: at the next restart."""
    ref_key, from_key = ("configMapKeyRef", "configMapRef") if kind == "ConfigMap" else ("secretKeyRef", "secretRef")
    out = []
    for e in container.get("env") or []:
        ref = (e.get("valueFrom") or {}).get(ref_key) or {} if isinstance(e, dict) else {}
        if ref.get("name") == name and ref.get("key"):
            out.append((f"env {e.get('name')}", str(ref["key"])))
    for e in container.get("envFrom") or []:
        if isinstance(e, dict) and (e.get(from_key) or {}).get("name") == name:
            out.append(("envFrom", ""))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: for config writes in the LEAD related to a failing workload, that workload's template and its
    pods' creation times."""
    if STORE in facts.reads:
        return
    failing = _failing(facts)
    if not failing:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    seen: set[str] = set()
    for change, evidence, target in facts.writes_to(("ConfigMap", "Secret"), within=LEAD, deletions=False):
        for w in workloads_touched(change, target, WORKLOADS):
            if (w.namespace, w.name) not in failing or str(w) in seen or len(seen) >= MAX_WORKLOADS:
                continue
            seen.add(str(w))
            got = await get_yaml(call, w.kind, w.name, w.namespace, f"survey-frozen-{w.name}")
            if got is None:
                continue
            mounts = frozen_mounts(pod_spec_words.pod_template(got[0]), target.kind, target.name)
            if not mounts:
                continue
            pod, said, needle = failing[(w.namespace, w.name)]
            written = parse_time(change.get("at"))
            seen_before = await log_since.split(call, pod, w.namespace, "", needle, written,
                                                f"survey-frozen-since-{w.name}") if needle and written else None
            pods = await call("k8s_list", {"kind": "Pod", "namespace": w.namespace}, f"survey-frozen-pods-{w.name}")
            store.append({"workload": [w.kind, w.namespace, w.name], "config": [target.kind, target.namespace,
                                                                                target.name],
                          "at": change.get("at"), "by": written_by(change),
                          "diff": [str(d)[:200] for d in change.get("diff") or []][:4], "mounts": mounts,
                          "created": [r.get("created") for r in rows_of(pods)
                                      if workload_of_pod(str(r.get("name"))) == w.name],
                          "said": said[:300], "before": seen_before.before if seen_before else None,
                          "evidence": [evidence, got[1], *(seen_before.evidence if seen_before else [])]})


@dataclass
class Frozen:
    """A workload whose running pods keep a subPath-mounted file from before a write to its ConfigMap/Secret."""

    workload: Ref
    config: Ref
    written: datetime
    by: str
    mounts: list[tuple[str, str, str]]
    newest_pod: datetime
    said: str
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[Frozen]:
    """The entries whose every pod predates the write and whose written keys (when named) reach a subPath mount."""
    out: list[Frozen] = []
    for e in facts.reads.get(STORE) or []:
        written = parse_time(e.get("at"))
        created = [t for t in (parse_time(c) for c in e.get("created") or []) if t is not None]
        if written is None or not created or max(created) >= written or e.get("before"):
            continue
        keys = {k for d in e.get("diff") or [] for m in _KEY.finditer(d) for k in m.group(1).split(", ")}
        mounts = [tuple(m) for m in e.get("mounts") or []]
        hit = [m for m in mounts if not keys or not m[2] or m[2] in keys]  # "": an envFrom takes every key
        if not hit:
            continue
        out.append(Frozen(Ref(*e["workload"]), Ref(*e["config"]), written, str(e.get("by") or ""),
                          [(str(a), str(b), str(c)) for a, b, c in hit], max(created), str(e.get("said") or ""),
                          [x for x in e.get("evidence") or [] if x]))
    return sorted(out, key=lambda f: f.written, reverse=True)[:1]


def finding(hit: Frozen, at: datetime) -> dict[str, Any]:
    """The frozen mount, the write it hides, and what the pods say since."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    files = [(c, path, key) for c, path, key in hit.mounts if not path.startswith("env")]
    env = [(c, path, key) for c, path, key in hit.mounts if path.startswith("env")]
    where = ", ".join([f"{key} at {path} (container {c})" for c, path, key in files[:3]]
                      + [(f"{path[4:]} from key {key}" if key else "all keys as envFrom") + f" (container {c})"
                         for c, path, key in env[:3]])
    said = f"; they now fail: '{hit.said[:200]}'" if hit.said else ""
    how = ("with subPath, which the kubelet never updates" if not env else
           "as environment variables, which are set only when a container starts" if not files else
           "with subPath and as environment variables, neither of which a running container ever re-reads")
    fix = ("mount the whole volume (no subPath) so later edits arrive" if not env else
           "roll the workload whenever the object changes (a checksum annotation on its template)")
    verb, old = ("mounts", "file") if not env else ("takes", "value")
    message = (f"{hit.workload} {verb} {hit.config}'s {where} {how}: the "
               f"write{' by ' + hit.by if hit.by else ''} {ago} before the alert never reached its running pods (all "
               f"created before it), so they still use the old {old} while the object shows the new one{said}. "
               f"Restart the pods to load the {old}, and {fix}")
    reason = "SubPathMountFrozen" if not env else "EnvFromConfigFrozen"
    return {"check": CHECK, "severity": "critical", "reason": reason,
            "object": {"kind": hit.workload.kind, "namespace": hit.workload.namespace, "name": hit.workload.name},
            "message": message, "evidence": [where],
            "details": {"config": str(hit.config), "written": hit.written.isoformat().replace("+00:00", "Z"),
                        "newest_pod": hit.newest_pod.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The workload with the frozen mount, explaining the write it hid and itself (its failing pods)."""
    return [(h.workload, finding(h, facts.at), h.evidence, [h.config]) for h in found(facts)]
