"""A config server changed, and since then it serves the failing application nothing: the server's change is the cause.

Many services load their settings at start from a central config server rather than from their own objects: Spring
Cloud Config (a git repository, a `label`/branch, the app's profile), Nacos and Apollo (a namespace/cluster, an app
id), a Consul- or etcd-backed config service (a key prefix per environment). A change to the SERVER, not the app
(its default git label moved to a branch that lacks the app's profile, its search path or prefix re-pointed, its
environment switched), fails nothing at the write: the server keeps answering, but answers the app with no property
sources. The app's running pods keep what they loaded earlier; every pod that starts after the change (a rollout, a
scale-up, a crash) starts with no settings and fails in its own terms (`Failed to configure a DataSource: 'url'
attribute is not specified`, `missing required setting`, a nil connection string). The victim's own spec did not
change; the only place that ties the two is the server's log, which says it found nothing FOR THAT APPLICATION:
Spring's `Could not find profile 'prod' for application 'x' on label 'y'; returning 0 property sources`, Nacos'
`config data not exist, dataId=x`, a KV-backed service's `no keys under prefix config/x`, `404 ... /x/prod`.

So: a write to a workload (its rollout, or a ConfigMap the timeline relates to it) within LEAD before the incident; a
failing workload whose logs were read (errors, none first printed before the write) that is not that workload; and
in the written workload's own log, from the write on (never before it), a line that names the failing workload as a
whole word together with a nothing-found phrase. Twins: a server whose lines about the victim say it served
sources, a nothing-found line naming another application, such lines older than the write (the server lacked it
already), a victim failing since before the write.

`read` (reading only, and only when a read log shows a failing workload): the written workloads' pods (one listing
per namespace) and one log of each (up to MAX_SERVERS); when a log was read, the failing pods (up to MAX_VICTIMS),
for the name their application asks the server for when it is not the workload's (`spring.application.name`, an
Apollo app id, a name label). `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, workloads_touched
from agent.triage.kube_reads import get_yaml, has_run, rows_of
from agent.triage.subject import Subject, workload_of_pod
from agent.triage.time_limit import line_time

CHECK = "change.config_server_empty"
WEIGHT = 0.93
"""Above the victim's own crash (0.85) and the rollout or scale-up that merely started its pods: the server's own
line says it gave the victim nothing since its change."""
STORE = "config_server_empty"
LEAD = timedelta(hours=6)
SLACK = timedelta(minutes=2)
MAX_SERVERS = 3
MAX_VICTIMS = 2
_NAME_LABELS = ("app.kubernetes.io/name", "app", "k8s-app")
_NAME_VARS = re.compile(r"^(?:SPRING_APPLICATION_NAME|SPRING_CLOUD_CONFIG_NAME|APOLLO_APP_ID|APP_ID|APP_NAME|"
                        r"APPLICATION_NAME|NACOS_DATA_ID|CONFIG_APP_NAME)$", re.I)
_NAME_ARG = re.compile(r"(?:spring\.application\.name|spring\.cloud\.config\.name|app\.id|apollo\.app-?id)=([\w.-]+)",
                       re.I)
"""Where an application says the name it asks its config server for, when that is not its workload's name: Spring's
`spring.application.name` (env `SPRING_APPLICATION_NAME`, a `-D`/`--` argument), Apollo's `app.id`/`APP_ID`,
Nacos' data id, and the pod's own name labels."""
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout")
Call = Callable[..., Awaitable[Any]]
_STAMP = re.compile(r"^\S*\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\S*\s+")

EMPTY = re.compile(
    r"could not find|couldn't find|can ?not find|not found|no such|does not exist|not exist|"
    r"\breturning 0\b|\b0 property sources\b|no property sources|"
    r"\bno (?:config(?:uration)?s?|settings|properties|keys?|values?|data|profile|label|branch|entries|items)\b|"
    r"\b(?:0|zero) (?:keys|entries|items|files|configs?|documents|results)\b|\bnothing (?:found|to serve)\b|"
    r"could ?n[o']t load|failed to load|\bstatus(?: code)?[:= ]+404\b|\b404 (?:not found|for)\b|"
    r"empty (?:config(?:uration)?|response|result|property)|unknown (?:application|app|profile|label|branch|"
    r"environment|namespace|prefix)", re.I)
"""A server's words for having nothing to serve for a request: Spring Cloud Config (`Could not find profile ... on
label ...; returning 0 property sources`, `No such label`), Nacos (`config data not exist`), Apollo (`Could not load
config ... [status code: 404]`), Vault/Consul/etcd-backed services (`no value found at`, `no keys under prefix`, `0
keys`), generic (`not found`, `unknown profile`, `empty configuration`, `nothing found`)."""
PROFILE = ("prod", "production", "staging", "stage", "stg", "dev", "development", "qa", "test", "uat", "default",
           "local", "preprod", "sandbox", "live")
"""Profile/environment suffixes a config server joins to an application's name in what it looks up: Spring Cloud
Config's and Nacos' documented `{application}-{profile}.{ext}` (`billing-api-prod.yaml`). Another suffix
(`billing-api-v2`) is another application."""
_PROFILES = "|".join(PROFILE)


@dataclass
class Emptied:
    """A workload written before its log began to say it serves a failing workload nothing."""

    server: Ref
    written: datetime
    change: str
    victim: Ref
    said: str
    error: str
    evidence: list[str] = field(default_factory=list)


def _failing(facts: Facts) -> list[LogEvidence]:
    """The read logs that show an error (the victims a server may have starved)."""
    return [log for log in facts.logs if log.top]


def _victim_names(facts: Facts) -> set[str]:
    return {workload_of_pod(log.pod) for log in _failing(facts) if log.pod}


def _server_writes(facts: Facts) -> list[tuple[dict[str, Any], str, Ref]]:
    """(change, evidence, written workload) within LEAD, newest first: a workload's own write, or a write the
    timeline relates to a workload (its ConfigMap); the failing workloads themselves left out."""
    victims = _victim_names(facts)
    out: list[tuple[dict[str, Any], str, Ref]] = []
    for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False):
        for ref in workloads_touched(change, target, _WORKLOADS):
            if ref.name not in victims and all(ref != r for _, _, r in out):
                out.append((change, evidence, ref))
    out.sort(key=lambda w: str(w[0].get("at")), reverse=True)
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: one running pod's log of each written workload (up to MAX_SERVERS), when a read log fails."""
    if not _failing(facts):
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"logs": {}})
    pods_of: dict[str, list[dict[str, Any]]] = {}
    for _, _, ref in _server_writes(facts)[:MAX_SERVERS]:
        if str(ref) in store["logs"]:
            continue
        if ref.namespace not in pods_of:
            listed = await call("k8s_list", {"kind": "Pod", "namespace": ref.namespace},
                                f"survey-config-server-pods-{ref.namespace}")
            pods_of[ref.namespace] = rows_of(listed)
        pod = next((str(r.get("name")) for r in pods_of[ref.namespace]
                    if workload_of_pod(str(r.get("name") or "")) == ref.name and has_run(r)), "")
        if not pod:
            continue
        logs = await call("k8s_logs", {"name": pod, "namespace": ref.namespace, "tail": 300},
                          f"survey-config-server-logs-{ref.name}")
        if logs is not None and logs.ok:
            store["logs"][str(ref)] = (str(logs.full_text or "")[:40000], logs.evidence_id)
    if not store["logs"]:
        return
    names = store.setdefault("names", {})
    for victim in _failing(facts)[:MAX_VICTIMS]:
        key = f"{victim.namespace}/{victim.pod}"
        if key not in names:
            got = await get_yaml(call, "Pod", victim.pod, victim.namespace, f"survey-config-server-victim-{victim.pod}")
            names[key] = app_names(got[0] if got else {}, workload_of_pod(victim.pod))


def app_names(pod: dict[str, Any], workload: str) -> list[str]:
    """The other names a pod's application goes by at its config server (its name labels, its configured app
    name or id), the workload's own name left out."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    out = [str(labels[k]) for k in _NAME_LABELS if labels.get(k)]
    for c in (pod.get("spec") or {}).get("containers") or []:
        for e in (c or {}).get("env") or []:
            if isinstance(e, dict) and _NAME_VARS.match(str(e.get("name") or "")) and isinstance(e.get("value"), str):
                out.append(e["value"])
        words = [*((c or {}).get("command") or []), *((c or {}).get("args") or [])]
        out += _NAME_ARG.findall(" ".join(str(x) for x in words))
    return list(dict.fromkeys(n for n in out if len(n) >= 3 and n.lower() != workload.lower()))


def names_word(line: str, name: str) -> bool:
    """Whether a line names `name` as a whole word (not inside a longer name: `accounts` in `accounts-api`), or
    joined to a profile suffix the way config servers name what they look up (`accounts-prod.yaml`)."""
    return re.search(rf"(?<![\w-]){re.escape(name)}(?:[-_](?:{_PROFILES}))?(?![\w-])", line, re.I) is not None


def served_nothing(text: str, victim: str) -> tuple[str, datetime | None]:
    """(the shortest line naming `victim` with a nothing-found phrase, when the first such line was written) over a
    server's log text; lines without a time (the tool's `repeated Nx:` digests) cannot be placed and are left out."""
    hits = [(ln.strip(), t) for ln in text.splitlines()
            if names_word(ln, victim) and EMPTY.search(ln) and (t := line_time(ln)) is not None]
    if not hits:
        return "", None
    return min((h for h, _ in hits), key=len), min(t for _, t in hits)


def quoted(line: str, victim: str) -> str:
    """The words of a server's line worth quoting: without its time stamp, and past a `logger : ` prefix when the
    message after it still names the victim."""
    text = _STAMP.sub("", line)
    tail = text.split(" : ", 1)[1] if " : " in text else ""
    return (tail if tail and names_word(tail, victim) else text).strip()[:200]


def _first_error(log: LogEvidence) -> datetime | None:
    return min((t for t in (parse_time(e.get("first_seen")) for e in log.entries() if e) if t is not None),
               default=None)


def found(facts: Facts) -> list[Emptied]:
    """Each written workload whose own log, from its write on, says it serves a failing workload nothing."""
    logs: dict[str, tuple[str, str]] = (facts.reads.get(STORE) or {}).get("logs") or {}
    aliases = (facts.reads.get(STORE) or {}).get("names") or {}
    out: list[Emptied] = []
    for change, evidence, ref in _server_writes(facts):
        got = logs.get(str(ref))
        written = parse_time(change.get("at"))
        if got is None or written is None:
            continue
        text, log_id = got
        for victim in _failing(facts):
            name = workload_of_pod(victim.pod)
            said, first, called = "", None, name
            for called in [name, *aliases.get(f"{victim.namespace}/{victim.pod}", [])]:
                said, first = served_nothing(text, called)
                if said:
                    break
            if not said or first is None or first < written - SLACK:
                continue  # nothing said of it, or said before the write too: the server lacked it already
            began = _first_error(victim)
            if began is not None and began < written - SLACK:
                continue  # the victim failed before the server changed
            top = victim.top or {}
            error = (victim.last_lines[0] if victim.last_lines else
                     str(top.get("message") or top.get("example") or ""))[:160]
            what = "; ".join(str(d) for d in change.get("diff") or []) or str(change.get("summary") or "")
            out.append(Emptied(ref, written, what[:240],
                               Ref("", victim.namespace, name), quoted(said, called), error,
                               [i for i in (evidence, log_id, victim.evidence_id) if i]))
            break
    return out


def finding(e: Emptied, at: datetime) -> dict[str, Any]:
    """The server's change, its own line saying it serves the victim nothing, and the victim's failure."""
    ago = minutes_text(int((at - e.written).total_seconds() // 60))
    message = (f"{e.server} was changed {ago} before the alert ({e.change}); since then its own log says it serves "
               f"{e.victim.name} nothing: '{e.said}'. {e.victim.name} loads its settings from it at start, so its "
               f"pods started since come up without them and fail: '{e.error}'. Restore the server's previous "
               f"source (label, branch, profile, prefix) or add the missing configuration there.")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": e.server.kind, "namespace": e.server.namespace, "name": e.server.name},
            "reason": "ConfigServerServesNothing", "message": message, "evidence": [e.said, e.error],
            "details": {"written": e.written.isoformat(), "victim": e.victim.name}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the config server, its finding, evidence ids, the starved workload) for the ranking."""
    return [(e.server, finding(e, facts.at), e.evidence, [e.victim]) for e in found(facts)]
