"""A pod that waits, before it starts, for a host that does not exist: the waiting workload is the cause.

Init containers (and entrypoint scripts) gate a start on a dependency: `until nslookup db; do echo
waiting for db; sleep 2; done`, `nc -z db 5432`, `pg_isready -h db`, `wait-for-it db:5432`. When the
dependency is renamed (a chart's fullnameOverride dropped, a Service re-created under a new name) the
loop never ends: the pods stay `Init:0/1`, the rollout stalls, and nothing is broken except the stale
name the workload still holds. The new Service, created at the same moment, looks like the change
that did it; it is the look-alike the reference should now name.

The survey reads the subject's pods that have not started (k8s_get YAML: which init container is still
running or failing, and its command), that container's log, and the namespace's Services. A host the
waiting container names (in its command or its output) which is an in-cluster name no Service answers
makes the workload the suspect, with the existing Service whose name is closest (the one the workload's
own settings already use, first).
"""

from __future__ import annotations

import asyncio
import difflib
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.kube_reads import get_yaml, list_names
from agent.triage.pointers import Call, Keep, Suspect, log_texts, meta, objects, service_of

CHECK = "pod.init_waits_missing_host"
WEIGHT = 0.9
MAX_PODS = 2
STUCK_AFTER = timedelta(minutes=3)
"""An init container still running after this long is waiting, not starting."""

LOG_KIND = "ContainerLogRef"
"""The record tying a log the survey read to the pod's container it came from:
{kind, metadata: {name: pod, namespace}, container, log: evidence id of the k8s_logs call}."""

_HOST = r"([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)"
_IN_COMMAND = [re.compile(p, re.I) for p in (
    rf"\b(?:nslookup|getent\s+hosts|host|dig(?:\s+\+short)?|ping(?:\s+-c\s*\d+)?)\s+{_HOST}",
    rf"\bnc\b(?:\s+-[a-z]+(?:\s+\d+)?)*\s+{_HOST}\s+\d+",
    rf"(?:\s-h\s*|--host[= ]){_HOST}",
    rf"\bwait-for(?:-it)?(?:\.sh)?\s+(?:-h\s+)?{_HOST}",
    rf"\b(?:tcp|http|https|postgres(?:ql)?|mysql|redis|amqp|mongodb)://(?:[^@/\s]+@)?{_HOST}",
    rf"/dev/tcp/{_HOST}/\d+",
    rf"\b{_HOST}:\d{{2,5}}\b",
)]
"""Where a wait loop names the host it waits for: the lookup or probe tool's argument, a URL, host:port."""

_IN_OUTPUT = [re.compile(p, re.I) for p in (
    rf"can't find {_HOST}\.?:",                                  # busybox nslookup: ** server can't find X: NXDOMAIN
    rf"can't resolve '?{_HOST}'?",                              # older busybox nslookup
    rf"bad address '{_HOST}'",                                   # busybox nc
    rf"getaddrinfo for host \"{_HOST}\"",                        # netcat-openbsd
    rf"could not translate host name \"{_HOST}\"",               # libpq (pg_isready, psql)
    rf"Unknown (?:MySQL server )?host '{_HOST}'",                # mysqladmin
    rf"lookup {_HOST} on [\d.:\[\]]+: no such host",             # Go (dockerize, wait4x)
    rf"UnknownHostException:?\s*{_HOST}",                        # Java
    rf"(?:ENOTFOUND|EAI_AGAIN)\s+{_HOST}",                       # Node.js
    rf"\bwaiting (?:\d+ seconds )?for {_HOST}",                  # echo "waiting for X", wait-for-it.sh
    rf"\b{_HOST}:\d{{2,5}} - no response",                       # pg_isready
)]
"""How the tools a wait loop runs say that a host does not resolve, or that they are still waiting for it."""

_WAITING = re.compile(r"\bwaiting\b|wait-for|\buntil\b|\bwhile\b|no response|can't find|bad address|NXDOMAIN|"
                      r"could not translate|no such host|Name or service not known", re.I)
_NOT_A_HOST = frozenset({"localhost", "sh", "bash", "echo", "sleep", "done", "do", "then", "true", "false",
                         "exit", "until", "while", "server", "address", "nxdomain",
                         # prose after "waiting for": client-go's "timed out waiting for the condition",
                         # "waiting for a lease", "waiting for all caches to sync"
                         "the", "a", "an", "all", "it", "any", "some"})


@dataclass
class Wait:
    workload: Ref
    pod: str
    container: str
    init: bool
    host: str
    service: str
    namespace: str
    command: str
    said: list[str]
    lookalike: str | None
    used_by_env: bool
    log: LogEvidence | None
    evidence: list[str]


def _subject(facts: Facts) -> tuple[Ref, list[dict[str, Any]]] | None:
    if not facts.topologies:
        return None
    data = facts.topologies[0][0]
    ref = Ref.of(data.get("subject"))
    pods = [p for p in data.get("pods") or [] if isinstance(p, dict) and p.get("name")]
    return (ref, pods) if ref is not None and ref.kind else None


def _waiting_logs(facts: Facts, pods: list[dict[str, Any]]) -> list[LogEvidence]:
    """The main-container logs of the subject's unready pods that read like a startup wait loop (an entrypoint
    script waiting for a host); an init container's log is read with its pod's status instead."""
    unready = {str(p["name"]) for p in pods if not p.get("ready")}
    init_logs = {str(o.get("log")) for o, _ in objects(facts, LOG_KIND)}
    return [log for log in facts.logs if log.pod in unready and log.evidence_id not in init_logs
            and any(_WAITING.search(t) and any(p.search(t) for p in _IN_OUTPUT) for t in log_texts(log))]


async def read(facts: Facts, call: Call, keep: Keep) -> None:
    """Reading only: the subject's unstarted pods, their stuck init container's log, the namespace's Services."""
    found = _subject(facts)
    if found is None:
        return
    ref, pods = found
    pending = [p for p in pods if not p.get("ready") and (str(p.get("phase")) == "Pending" or "init" in str(
        p.get("reason") or "").lower())][:MAX_PODS]
    waiting = _waiting_logs(facts, pods)
    if not pending and not waiting:
        return
    namespace = ref.namespace or str((pending or [{}])[0].get("namespace") or "")
    got = await asyncio.gather(*(get_yaml(call, "Pod", str(p["name"]), str(p.get("namespace") or namespace),
                                          f"survey-init-pod-{p['name']}") for p in pending))
    reads = []
    for item in got:
        if item is None:
            continue
        facts.objects.append(item)
        stuck = _stuck_init(item[0], facts)
        if stuck is not None:
            name, previous = stuck
            reads.append((item[0], name, call("k8s_logs", {
                "name": meta(item[0]).get("name"), "namespace": meta(item[0]).get("namespace"), "container": name,
                "previous": previous, "tail": 200}, f"survey-init-logs-{meta(item[0]).get('name')}")))
    outcomes = await asyncio.gather(*(r for _, _, r in reads))
    for (pod, container, _), outcome in zip(reads, outcomes, strict=True):
        log = keep(outcome, facts)
        if log is not None:
            facts.objects.append(({"kind": LOG_KIND, "metadata": {"name": meta(pod).get("name"),
                                                                  "namespace": meta(pod).get("namespace")},
                                   "container": container, "log": log.evidence_id}, log.evidence_id))
    if (reads or waiting) and not any(meta(o).get("namespace") == namespace for o, _ in objects(facts, "ServiceList")):
        listed = await list_names(call, "Service", namespace, f"survey-services-{namespace}")
        if listed is not None:
            facts.objects.append(({"kind": "ServiceList", "metadata": {"namespace": namespace},
                                   "names": sorted(listed[0])}, listed[1]))


def _stuck_init(pod: dict[str, Any], facts: Facts) -> tuple[str, bool] | None:
    """The init container that keeps the pod from starting (name, whether its log is the previous one's)."""
    for status in (pod.get("status") or {}).get("initContainerStatuses") or []:
        state = status.get("state") or {}
        if "running" in state:
            started = parse_time((state["running"] or {}).get("startedAt"))
            if started is not None and facts.at - started >= STUCK_AFTER:
                return str(status.get("name")), False
            return None
        if "waiting" in state or ("terminated" in state and (state["terminated"] or {}).get("exitCode") not in (0,)):
            return str(status.get("name")), bool(status.get("restartCount"))
    return None


def _container(pod: dict[str, Any], name: str) -> dict[str, Any]:
    spec = pod.get("spec") or {}
    return next((c for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
                 if isinstance(c, dict) and c.get("name") == name), {})


def _hosts(texts: list[str], patterns: list[re.Pattern[str]]) -> list[str]:
    out: list[str] = []
    for text in texts:
        for pattern in patterns:
            out += [m.group(1).lower().rstrip(".") for m in pattern.finditer(text)]
    return [h for h in dict.fromkeys(out) if h not in _NOT_A_HOST and not h.isdigit() and not
            re.fullmatch(r"[\d.]+", h)]


def _env_hosts(facts: Facts) -> set[str]:
    """The Services the subject's own settings use (the topology's dependencies): where a rename is already done."""
    if not facts.topologies:
        return set()
    return {str((d.get("target") or {}).get("name")) for d in facts.topologies[0][0].get("dependencies") or []
            if isinstance(d, dict) and str((d.get("target") or {}).get("kind") or "").lower() == "service"}


def _lookalike(missing: str, names: set[str], used: set[str]) -> tuple[str | None, bool]:
    """The existing Service whose name is closest to the missing one; those the workload already uses first."""
    def closeness(name: str) -> float:
        shared = set(missing.split("-")) & set(name.split("-"))
        return difflib.SequenceMatcher(None, missing, name).ratio() + 0.3 * len(shared)
    ranked = sorted(names, key=lambda n: (n not in used, -closeness(n)))
    best = next((n for n in ranked if closeness(n) >= 0.6), None)
    return best, best in used if best else False


def waits(facts: Facts) -> list[Wait]:
    """Each of the subject's containers waiting, before it starts, for an in-cluster host no Service answers."""
    found = _subject(facts)
    if found is None:
        return []
    ref, pods = found
    out: list[Wait] = []
    sources: list[tuple[str, str, bool, str, LogEvidence | None, list[str]]] = []
    for pod, pod_evidence in objects(facts, "Pod"):
        name = str(meta(pod).get("name"))
        if name not in {str(p["name"]) for p in pods}:
            continue
        stuck = _stuck_init(pod, facts)
        if stuck is None:
            continue
        container = _container(pod, stuck[0])
        command = " ".join(str(x) for x in [*(container.get("command") or []), *(container.get("args") or [])])
        marker = next((o for o, _ in objects(facts, LOG_KIND) if meta(o).get("name") == name
                       and o.get("container") == stuck[0]), None)
        log = next((lg for lg in facts.logs if marker is not None and lg.evidence_id == marker.get("log")), None)
        sources.append((name, stuck[0], True, command, log, [pod_evidence]))
    for log in _waiting_logs(facts, pods):
        sources.append((log.pod, "", False, "", log, []))
    for pod_name, container_name, init, command, log, evidence in sources:
        said = [t for t in (log_texts(log) if log else []) if _WAITING.search(t)]
        hosts = _hosts(said, _IN_OUTPUT) + _hosts([command], _IN_COMMAND)
        namespace = ref.namespace or (log.namespace if log else "")
        for host in dict.fromkeys(hosts):
            target = service_of(host, namespace)
            listed = next(((set(o.get("names") or []), e) for o, e in objects(facts, "ServiceList")
                           if target and meta(o).get("namespace") == target[1]), None)
            if target is None or listed is None or target[0] in listed[0] or (host.count(".") == 1 and not init):
                continue
            if not init and not said:
                continue
            used = _env_hosts(facts)
            lookalike, in_env = _lookalike(target[0], listed[0] if target[1] == namespace else set(), used)
            out.append(Wait(ref, pod_name, container_name, init, host, target[0], target[1], command[:200],
                            said[:3], lookalike, in_env, log,
                            [*evidence, listed[1], *([log.evidence_id] if log else [])]))
            break
        if out:
            break
    return out


def finding(w: Wait) -> dict[str, Any]:
    """The finding on the waiting workload; the facts first (the ranking quotes the first few hundred characters),
    the command and the container's words as evidence."""
    where = f"init container {w.container}" if w.init else "its startup script"
    message = f"{w.workload}: {where} waits for {w.host}, but no Service {w.service} exists in {w.namespace}"
    if w.lookalike:
        message += (f" (the Service now is {w.lookalike}" + (", which its env already uses" if w.used_by_env
                                                              else "") + ": a rename left this name behind)")
    message += (f", so its pods (e.g. {w.pod}) never start. Fix: name {w.lookalike or 'the Service that exists'} in "
                "the pod template's " + ("initContainers command" if w.init else "startup settings"))
    evidence = [f"no Service {w.service} in {w.namespace}"]
    evidence += [f"command: {' '.join(w.command.split())[:160]}"] if w.command else []
    evidence += [" ".join(s.split())[:160] for s in w.said[:2]]
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": w.workload.kind, "namespace": w.workload.namespace, "name": w.workload.name},
            "reason": "WaitsForMissingHost", "message": message, "evidence": evidence,
            "details": {"pod": w.pod, "container": w.container, "missing_host": w.host, "lookalike": w.lookalike}}


def suspects(facts: Facts) -> list[Suspect]:
    out: list[Suspect] = []
    for w in waits(facts):
        explains = [Ref("Service", w.namespace, w.lookalike)] if w.lookalike else []
        out.append(Suspect(w.workload, finding(w), w.log, list(dict.fromkeys(w.evidence)), explains))
    return out
