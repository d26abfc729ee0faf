"""A configuration or secret SOURCE re-pointed at another environment: the object that selects the source is the cause.

Settings and credentials often reach a workload from a store outside the cluster, through an object that says WHERE
in that store to read: an External Secrets ExternalSecret/ClusterExternalSecret's `remoteRef.key`, a Vault Secrets
Operator object's `path`, an Infisical `envSlug`/`secretsPath`, a Doppler `config`; or a one-shot import Job (a
CronJob run by hand, a Helm hook) whose environment variable picks the folder it copies into Consul KV, etcd or a
parameter store (`consul kv import @/kv/$(KV_ENV)/export.json`). Point that selector at another environment
(`staging/psp/payouts` for `prod/psp/payouts`, `KV_ENV=staging`) and nothing fails where the write happened: the
controller syncs happily (so agent.triage.secret_delivery, which needs a failing controller, stays silent), the
import Job completes. The workload then reloads (Reloader restarts it, consul-template/vault-agent/confd re-render
and signal it) and runs with THAT environment's values: a test-mode payment key the provider answers `No such
destination`, a staging timeout of 50 ms, a sandbox endpoint. Its own spec is unchanged; its errors are the symptom.

So, two shapes of one class:

- a delivery object (secret_delivery.DELIVERY_KINDS) written within WINDOW whose source fields (anything under its
  spec but its target/template/selector) now name a non-production environment as a path segment or a value, the
  write itself having written those fields; a workload in a namespace it delivers to reads the Secret it produces;
- a Job that ran within WINDOW with an environment variable naming a non-production environment that its own command
  uses (`$(KV_ENV)`), where the CronJob it was made from (owner or `cronjob.kubernetes.io/instantiate`) sets that
  variable otherwise (or there is no template to compare); its log lists the keys it wrote, and a path segment of
  those keys is the name of a running workload.

In both, the workload must not itself run in that environment (its namespace, labels and environment variables do
not name it), and its errors must begin after the write (none first printed before it). Twins: a source naming
`prod`; a staging workload reading a staging path; a Job whose variable equals its CronJob's; keys naming no
workload; errors older than the write.

`read` (reading only; no Secret's data is read): the written delivery objects, the workloads of the namespaces they
deliver to and one log of each consumer (secret_delivery's reader); the Jobs run in WINDOW, their CronJob, their
pod's log, the cluster's pods and one log of each workload the keys name. `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.environment_mixup import _word, victim_environment
from agent.triage.facts import Facts, Ref, log_evidence, minutes_text, parse_time, said_by, written_by
from agent.triage.kube_reads import get_yaml, has_run, rows_of
from agent.triage.secret_delivery import DELIVERY_KINDS, _consumers, _read_consumers, secret_names
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.source_environment"
WEIGHT = 0.94
"""Above credential_write (0.93) and the Reloader/consul-template restart it causes: the selector's write is what
brought another environment's values in; the consumer's errors and its restart are its effect."""
STORE = "source_environment"
WINDOW = timedelta(hours=24)
SLACK = timedelta(minutes=2)
MAX_OBJECTS = 3
MAX_JOBS = 3
MAX_NAMESPACES = 3
MAX_VICTIMS = 2
_NOT_SOURCE = ("target", "template", "secretObjects", "namespaceSelector", "namespaceSelectors", "namespaces",
               "destination", "managedSecret", "managedSecretReference", "refreshInterval", "refreshTime")
"""Spec fields that say where the Secret goes or when, not where it is read from."""
_SOURCE_FIELD = re.compile(r"data|remoteRef|dataFrom|path|key|mount|secretStoreRef|storeRef|envSlug|config|project|"
                           r"objects|environment|prefix", re.I)
"""Field names a write's diff shows when it touched where the source is read from."""
_WRITTEN_KEY = re.compile(r"(?<![\w/.-])/?([\w.-]+(?:/[\w.-]+)+)")
"""A key path a writer's log lists (`config/search-api/upstream_timeout_ms`, `secret/data/billing/api`)."""
_WRITE_WORDS = re.compile(r"import|written|wrote|write|set|put|upload|success|created|updated|\bok\b", re.I)
_RELOADER = re.compile(r"reloader|wave\.pusher|secret-reload|configmap-reload|"
                       r"checksum/[\w.-]+|\b[\w./-]*(?:secret|config|env)[\w.-]*?[-_.]?(?:hash|checksum|digest)\b",
                       re.I)
"""A restart made because a Secret changed: by a controller that restarts its readers (Stakater Reloader, Wave, a
config reloader), or by a hash of the Secret kept in the pod template (Helm's documented `checksum/secret`
annotation, a `SECRET_HASH`/`config-hash` env or annotation a deploy tool or operator writes). A bare
`kubectl.kubernetes.io/restartedAt` restart says nothing of which Secret, so it ties nothing."""
FOLLOW = timedelta(minutes=10)
Call = Callable[..., Awaitable[Any]]


@dataclass
class Repointed:
    """A source selector written to another environment before the workload reading through it began failing."""

    source: Ref
    written: datetime
    by: str
    environment: str
    where: str
    """What names the environment: `remoteRef key staging/psp/payouts`, `env KV_ENV=staging (CronJob ...: prod)`."""
    wrote: str
    """What the write delivered: `Secret psp-credentials`, `config/search-api/upstream_timeout_ms, ...`."""
    victims: list[Ref]
    error: str
    evidence: list[str] = field(default_factory=list)


# ---- where a source reads from --------------------------------------------------------------------


def source_values(spec: Any, path: str = "spec", depth: int = 0) -> list[tuple[str, str]]:
    """(field path, value) of every string under a delivery object's spec that can say where it reads from."""
    if depth > 8:
        return []
    out: list[tuple[str, str]] = []
    if isinstance(spec, dict):
        for k, v in spec.items():
            if str(k) not in _NOT_SOURCE:
                out += source_values(v, f"{path}.{k}", depth + 1)
    elif isinstance(spec, list):
        for v in spec:
            out += source_values(v, path, depth + 1)
    elif isinstance(spec, str):
        out.append((path, spec))
    return out


def named_environment(values: list[tuple[str, str]]) -> tuple[str, str]:
    """(field and value, environment) of the first source value that names a non-production environment."""
    for where, value in values:
        if w := _word(value):
            return f"{where.rsplit('.', 1)[-1]} {value[:80]}", w
    return "", ""


def wrote_source(change: dict[str, Any], environment: str) -> bool:
    """Whether a timeline write touched the source: its diff names the environment, or a source field."""
    text = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
    if _word(text) == environment:
        return True
    fields = [str(d).split(" ")[0].split("=")[0] for d in change.get("diff") or []]
    return any(_SOURCE_FIELD.search(f) for f in fields)


def delivered_namespaces(obj: dict[str, Any]) -> list[str]:
    """Where a delivery object's Secret lands: its own namespace, or for a cluster-scoped one the namespaces its
    status says it provisioned."""
    meta, status = obj.get("metadata") or {}, obj.get("status") or {}
    if meta.get("namespace"):
        return [str(meta["namespace"])]
    return [str(n) for n in status.get("provisionedNamespaces") or [] if n][:MAX_NAMESPACES]


# ---- what a Job's environment selects ------------------------------------------------------------


def _env(containers: list[Any]) -> dict[str, str]:
    return {str(e.get("name")): str(e.get("value")) for c in containers for e in (c or {}).get("env") or []
            if isinstance(e, dict) and e.get("name") and isinstance(e.get("value"), str)}


def _containers(template_spec: dict[str, Any]) -> list[Any]:
    return list(template_spec.get("containers") or []) + list(template_spec.get("initContainers") or [])


def _command(containers: list[Any]) -> str:
    return " ".join(str(x) for c in containers for x in [*((c or {}).get("command") or []),
                                                         *((c or {}).get("args") or [])])


def job_selector(job: dict[str, Any], cronjob: dict[str, Any] | None) -> tuple[str, str]:
    """(`env NAME=value` and what the CronJob sets, environment) of a Job variable that names a non-production
    environment, that its command uses, and that its CronJob's template sets otherwise; ("", "") when none."""
    containers = _containers(((job.get("spec") or {}).get("template") or {}).get("spec") or {})
    command = _command(containers)
    template: dict[str, str] = {}
    if cronjob is not None:
        spec = ((((cronjob.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}).get("template") or {})
        template = _env(_containers(spec.get("spec") or {}))
    for name, value in _env(containers).items():
        w = _word(value)
        used = re.search(rf"\$\(?\{{?{re.escape(name)}\b", command) or (value and value in command)
        if not w or not used:
            continue
        if cronjob is not None:
            other = template.get(name)
            if other is None or other == value or _word(other) == w:
                continue  # the template runs the same environment: a scheduled run, not a re-pointed one
            cj = (cronjob.get("metadata") or {}).get("name")
            return f"env {name}={value} (its CronJob {cj} sets {name}={other})", w
        return f"env {name}={value}", w
    return "", ""


def cronjob_of(job: dict[str, Any]) -> str:
    """The CronJob a Job was made from: its owner, else (`kubectl create job --from=cronjob/x`) its name less the
    run suffix when the instantiate annotation says so."""
    meta = job.get("metadata") or {}
    for owner in meta.get("ownerReferences") or []:
        if isinstance(owner, dict) and owner.get("kind") == "CronJob" and owner.get("name"):
            return str(owner["name"])
    if "cronjob.kubernetes.io/instantiate" in (meta.get("annotations") or {}):
        m = re.fullmatch(r"(.+)-\d+", str(meta.get("name") or ""))
        return m.group(1) if m else ""
    return ""


def written_keys(text: str) -> list[str]:
    """The key paths a writer's log says it wrote (a line with a write word and a path)."""
    out: list[str] = []
    for line in text.splitlines():
        if _WRITE_WORDS.search(line):
            for key in _WRITTEN_KEY.findall(line):
                if "://" not in key and key not in out:
                    out.append(key)
    return out


def keyed_workloads(keys: list[str], workloads: dict[str, str]) -> list[str]:
    """The workloads (name -> namespace) whose name is a whole segment of a written key path."""
    segments = {s for k in keys for s in k.split("/")}
    return [w for w in workloads if w in segments]


def reloaded(facts: Facts, ns: str, secrets: list[str], since: datetime) -> list[str]:
    """Workloads of `ns` that a reloader restarted within FOLLOW after one of `secrets` was written (at or after
    `since`): Reloader restarts exactly the readers of the Secret it saw change, whatever way they read it."""
    out: list[str] = []
    rolls = facts.writes_to(("Deployment", "StatefulSet", "DaemonSet"), deletions=False)
    for change, _, ref in facts.writes_to(("Secret",), deletions=False):
        at = parse_time(change.get("at"))
        if ref.namespace != ns or ref.name not in secrets or at is None or at < since - SLACK:
            continue
        for other, _, target in rolls:
            when = parse_time(other.get("at"))
            text = " ".join([str(other.get("summary") or ""), *(str(d) for d in other.get("diff") or [])])
            if target.namespace == ns and when is not None and timedelta(0) <= when - at <= FOLLOW \
                    and _RELOADER.search(text) and target.name not in out:
                out.append(target.name)
    return out


def readers(facts: Facts, store: dict[str, Any], ns: str, secrets: list[str], since: datetime
            ) -> list[tuple[str, str, list[str], str, str]]:
    """The workloads of `ns` that read one of `secrets`: by reference or name (secret_delivery), else restarted by a
    reloader right after the Secret was written."""
    workloads = (store.get("workloads") or {}).get(ns) or []
    found_ = _consumers(workloads, secrets)
    if found_:
        return found_
    names = reloaded(facts, ns, secrets, since)
    return [w for w in workloads if w[1] in names]


# ---- reading ----------------------------------------------------------------------------------------


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the written delivery objects with their consumers, and the Jobs run in WINDOW with what their
    keys name."""
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"objects": [], "workloads": {}, "logs": {}, "jobs": []})
    seen: set[Ref] = set()
    for change, _, ref in facts.writes_to(DELIVERY_KINDS, within=WINDOW, deletions=False):
        if ref in seen or len(seen) >= MAX_OBJECTS:
            continue
        seen.add(ref)
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-source-env-{ref.name}")
        if got is None or not named_environment(source_values(got[0].get("spec") or {}))[1]:
            continue
        store["objects"].append((got[0], got[1], change))
        written = parse_time(change.get("at")) or facts.at
        secrets = secret_names(got[0])
        for ns in delivered_namespaces(got[0]):
            await _read_consumers(call, store, ns, secrets)
            for _, _, _, pod, _ in readers(facts, store, ns, secrets, written)[:MAX_VICTIMS]:
                if pod not in store["logs"]:
                    logs = await call("k8s_logs", {"name": pod, "namespace": ns, "tail": 300},
                                      f"survey-source-env-logs-{pod}")
                    store["logs"][pod] = (logs.data, logs.evidence_id) if logs is not None and logs.ok \
                        and isinstance(logs.data, dict) else None
    await _read_jobs(facts, call, store)


async def _read_jobs(facts: Facts, call: Call, store: dict[str, Any]) -> None:
    jobs = [(c, e, r) for c, e, r in facts.writes_to(("Job",), within=WINDOW, deletions=False)][:MAX_JOBS]
    pods: list[dict[str, Any]] | None = None
    for change, evidence, ref in jobs:
        got = await get_yaml(call, "Job", ref.name, ref.namespace, f"survey-source-env-job-{ref.name}")
        if got is None:
            continue
        job = got[0]
        containers = _containers(((job.get("spec") or {}).get("template") or {}).get("spec") or {})
        if not any(_word(v) for v in _env(containers).values()):
            continue
        cj_name = cronjob_of(job)
        cronjob = await get_yaml(call, "CronJob", cj_name, ref.namespace,
                                 f"survey-source-env-cronjob-{cj_name}") if cj_name else None
        if not job_selector(job, cronjob[0] if cronjob else None)[1]:
            continue
        listed = await call("k8s_list", {"kind": "Pod", "namespace": ref.namespace,
                                         "label_selector": f"job-name={ref.name}"},
                            f"survey-source-env-jobpods-{ref.name}")
        text, log_id = "", ""
        for row in rows_of(listed)[:1]:
            logs = await call("k8s_logs", {"name": str(row.get("name")), "namespace": ref.namespace, "tail": 200},
                              f"survey-source-env-joblog-{ref.name}")
            if logs is not None and logs.ok:
                text, log_id = str(logs.full_text or "")[:20000], logs.evidence_id
        keys = written_keys(text)
        if not keys:
            continue
        if pods is None:
            pods = [r for r in rows_of(await call("k8s_list", {"kind": "Pod"}, "survey-source-env-pods"))
                    if has_run(r)]
        running: dict[str, str] = {}
        first_pod: dict[str, str] = {}
        for r in pods:
            w = workload_of_pod(str(r.get("name") or ""))
            running.setdefault(w, str(r.get("namespace") or ""))
            first_pod.setdefault(w, str(r.get("name") or ""))
        victims = []
        for name in keyed_workloads(keys, running)[:MAX_VICTIMS]:
            ns, pod = running[name], first_pod[name]
            logs = await call("k8s_logs", {"name": pod, "namespace": ns, "tail": 300}, f"survey-source-env-logs-{pod}")
            data = (logs.data, logs.evidence_id) if logs is not None and logs.ok and isinstance(logs.data, dict) \
                else None
            victims.append((name, ns, pod, data))
        store["jobs"].append({"job": job, "job_id": got[1], "cronjob": cronjob[0] if cronjob else None,
                              "change": change, "change_id": evidence, "keys": keys, "log_id": log_id,
                              "victims": victims})


# ---- judging (pure) ---------------------------------------------------------------------------------


def errors_since(data: Any, evidence: str, written: datetime) -> tuple[str, bool]:
    """(the first error line, whether errors all began at or after the write) of one log answer; ('', False) when it
    shows no timed error."""
    log = log_evidence(data, evidence) if isinstance(data, dict) else None
    if log is None:
        return "", False
    errors = [e for e in [log.top or {}, *log.more] if e]
    times = [t for t in (parse_time(e.get("first_seen")) for e in errors) if t is not None]
    if not times:
        return "", False
    text = re.sub(r"^\S*\d{4}-\d\d-\d\d[T ]\d\d:\d\d\S*\s+", "", said_by(errors[0])).strip()[:200]
    return text, min(times) >= written - SLACK


def _delivery_found(facts: Facts, store: dict[str, Any]) -> list[Repointed]:
    out: list[Repointed] = []
    for obj, obj_id, change in store.get("objects") or []:
        meta = obj.get("metadata") or {}
        ref = Ref(str(obj.get("kind") or ""), str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        written = parse_time(change.get("at"))
        where, env = named_environment(source_values(obj.get("spec") or {}))
        if written is None or not env or not wrote_source(change, env):
            continue
        secrets = secret_names(obj)
        victims: list[Ref] = []
        error, ids = "", [facts.changes_id or "", obj_id]
        for ns in delivered_namespaces(obj):
            for kind, name, _, pod, w_id in readers(facts, store, ns, secrets, written):
                if env in victim_environment({}, ns):
                    continue
                got = (store.get("logs") or {}).get(pod)
                said, after = errors_since(got[0], got[1], written) if got else ("", False)
                if not after:
                    continue
                victims.append(Ref(kind, ns, name))
                error = error or said
                ids += [w_id, got[1] if got else ""]
        if victims:
            out.append(Repointed(ref, written, written_by(change), env, where,
                                 f"Secret {secrets[0] if secrets else ref.name}", victims, error,
                                 list(dict.fromkeys(i for i in ids if i))))
    return out


def _job_found(store: dict[str, Any]) -> list[Repointed]:
    out: list[Repointed] = []
    for entry in store.get("jobs") or []:
        job, change = entry["job"], entry["change"]
        meta = job.get("metadata") or {}
        written = parse_time(change.get("at"))
        where, env = job_selector(job, entry.get("cronjob"))
        if written is None or not env:
            continue
        victims: list[Ref] = []
        error, ids = "", [entry.get("change_id") or "", entry.get("job_id") or "", entry.get("log_id") or ""]
        for name, ns, _, data in entry.get("victims") or []:
            if data is None or env in victim_environment({}, ns) or env == _word(name):
                continue
            said, after = errors_since(data[0], data[1], written)
            if after:
                victims.append(Ref("", ns, name))
                error = error or said
                ids.append(data[1])
        if victims:
            mine = [k for k in entry["keys"] if any(v.name in k.split("/") for v in victims)]
            out.append(Repointed(Ref("Job", str(meta.get("namespace") or ""), str(meta.get("name") or "")),
                                 written, "", env, where, ", ".join(mine[:4]), victims, error,
                                 list(dict.fromkeys(i for i in ids if i))))
    return out


def found(facts: Facts) -> list[Repointed]:
    """Each source selector written to another environment before the workloads reading through it began failing."""
    store = facts.reads.get(STORE) or {}
    return _delivery_found(facts, store) + _job_found(store)


def finding(r: Repointed, at: datetime) -> dict[str, Any]:
    """The selector's write, the environment it now names, what it delivered and the consumers' errors since."""
    ago = minutes_text(int((at - r.written).total_seconds() // 60))
    who = f" by {r.by}" if r.by else ""
    victims = ", ".join(str(v).strip() for v in r.victims[:2])
    said = f": '{r.error}'" if r.error else ""
    if r.source.kind == "Job":
        act = f"{r.source} ran {ago} before the alert with {r.where} and wrote {r.wrote}"
    else:
        act = f"{r.source} was written {ago} before the alert{who}: it now reads {r.where}, and delivers {r.wrote}"
    message = (f"{act}: {r.environment} values, not this environment's. {victims} reloaded them and began failing "
               f"after the write{said}. Point the source back at this environment's path (and re-sync/re-import).")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": r.source.kind, "namespace": r.source.namespace, "name": r.source.name},
            "reason": "SourceOfAnotherEnvironment", "message": message,
            "evidence": [x for x in (r.where, r.error) if x],
            "details": {"environment": r.environment, "written": r.written.isoformat(),
                        "victims": [str(v) for v in r.victims]}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the selector object, its finding, evidence ids, the consumers) for the ranking."""
    return [(r.source, finding(r, facts.at), r.evidence, list(r.victims)) for r in found(facts)]
