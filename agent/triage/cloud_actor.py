"""A scheduled job that acts on cloud resources stopped (or deleted, scaled to zero) the datastore its callers need.

Cost schedulers and housekeeping CronJobs run a cloud CLI or SDK against managed services: `aws rds
stop-db-cluster` for every cluster a query selects, `aws ec2 stop-instances`, `gcloud sql instances patch
--activation-policy=NEVER`, `az postgres flexible-server stop`, boto3's `stop_db_instance`. Which resources they act
on is decided at run time by a selection (a tag filter, a name prefix, a label): widen it (tag `team=orders` instead of
`env=staging`) and the next run stops production too. The callers then fail to reach the datastore (connection
refused, timeouts) with nothing changed in their own namespace; the job ran in another one and finished Complete.

The evidence joins two places: the callers' errors name the managed resource by its endpoint hostname, whose first
label is the resource's identifier on every provider (`orders-prod-aurora.cluster-x.eu-west-1.rds.amazonaws.com`,
`cache-1.abc.cache.amazonaws.com`, `ledger.postgres.database.azure.com`), and the job run's own log prints the
identifiers it acted on (the CLI's `--query` output, a script's `stopping <id>`). This module reads, only when the
incident shows a called party unreached (`unreached_symptom`): the CronJobs of the cluster whose container command
calls a cloud CLI or SDK with a mutating verb (stop, delete, terminate, scale, deallocate, suspend...), and the logs
of their runs in the `LEAD` before the incident (a run's time is its Job name's suffix, the scheduled minute since
the epoch, as the CronJob controller names Jobs). The CronJob is named when a run's log names the callers' resource;
a run that acted only on other resources, a command that only reads (`describe-*`), or a run after the incident is
not. Reading only.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import pod_spec_words
from agent.triage.facts import Facts, Ref, minutes_text, said_by
from agent.triage.kube_reads import get_yaml
from agent.triage.shared_identifier import identifiers, outward_lines
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.cloud_actor"
WEIGHT = 0.94
"""Above the callers' own connection errors and any rollout nearby: the run's log says it acted on their store."""
STORE = "cloud_actor"
LEAD = timedelta(hours=24)
MAX_CRONJOBS = 8
MAX_RUNS = 2
MAX_HOLDER_READS = 8

Call = Callable[..., Awaitable[Any]]

_VERB = r"(?:stop|delete|terminate|shutdown|shut-down|deallocate|suspend|pause|hibernate|scale|reboot|failover|remove)"
MUTATING = (
    re.compile(rf"\baws\s+[a-z0-9-]+\s+(?P<verb>{_VERB}-[a-z0-9-]+)", re.I),
    re.compile(rf"\bgcloud\s+(?:[a-z0-9-]+\s+){{1,4}}(?P<verb>{_VERB}|patch\b[^;|&]*activation-policy[= ]never)",
               re.I),
    re.compile(rf"\baz\s+(?:[a-z0-9-]+\s+){{1,4}}(?P<verb>{_VERB})\b", re.I),
    re.compile(rf"\.(?P<verb>{_VERB}_[a-z0-9_]+)\s*\(", re.I),
    re.compile(rf"\b(?P<verb>{_VERB}(?:DB|Db)?[A-Z][A-Za-z]+)\b"),
)
"""A cloud CLI's (aws, gcloud, az) or an SDK's (boto3 `stop_db_cluster(`, the AWS API `StopDBCluster`) mutating
call in a container's command."""
def mutating_call(command: str) -> str:
    """The mutating cloud call a command makes (`stop-db-cluster`, `stop_db_instance`, `stop`), "" when none."""
    for pattern in MUTATING:
        m = pattern.search(command)
        if m:
            return m.group("verb").split()[0]
    return ""


def command_of(obj: dict[str, Any]) -> str:
    """A CronJob's (or Job's) containers' command and args, joined (the script its runs execute)."""
    spec = obj.get("spec") or {}
    template = ((spec.get("jobTemplate") or {}).get("spec") or spec).get("template") or {}
    parts: list[str] = []
    for c in (template.get("spec") or {}).get("containers") or []:
        parts += [str(x) for x in [*(c.get("command") or []), *(c.get("args") or [])]]
    return " ".join(parts)


def spec_words(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, text) of a workload's env values and args/command: where it names the endpoints it connects to. Secret
    references are names only; their values are never read."""
    return pod_spec_words.words(pod_spec_words.walk(pod_spec_words.template_spec(obj)))


def run_time(job: str, cronjob: str) -> datetime | None:
    """When a CronJob's run was scheduled: the CronJob controller names each Job `<cronjob>-<minutes since epoch>`."""
    suffix = job[len(cronjob) + 1:] if job.startswith(cronjob + "-") else ""
    return datetime.fromtimestamp(int(suffix) * 60, tz=UTC) if suffix.isdigit() and len(suffix) >= 7 else None


def template_write(obj: dict[str, Any]) -> tuple[str, str]:
    """(manager, time) of the newest write of the job template the object's managedFields record, ("", "") if none."""
    best = ("", "")
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(entry, dict) or "f:jobTemplate" not in str(entry.get("fieldsV1") or ""):
            continue
        when = str(entry.get("time") or "")
        if when > best[1]:
            best = (str(entry.get("manager") or ""), when)
    return best


UNREACHED_CLASSES = frozenset({"connection_refused", "connection_timeout", "dns_failure", "no_route", "unavailable",
                               "upstream_reset", "tls_error", "db_error"})
"""The log classifier's classes for a called party that is not there: what a stopped or deleted datastore leaves."""
JOB_KINDS = ("CronJob", "Job")


def unreached_symptom(subject: Subject, facts: Facts) -> bool:
    """Whether the incident shows what a stopped or deleted datastore leaves: a log of the incident failing to reach a
    called party (refused, timed out, unresolved, unavailable: shared_identifier.outward_lines, or such an error
    class), a write to a CronJob or Job in the timeline (a job's selection widened), or the incident's words for a
    job. Only then are the cluster's CronJobs listed and read: any other incident's report carries no call of this
    module."""
    if "job" in subject.problems or facts.writes_to(JOB_KINDS, within=LEAD):
        return True
    return any(log.error_classes & UNREACHED_CLASSES or outward_lines(log) for log in facts.logs)


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when the incident's callers fail to reach something (`unreached_symptom`): the CronJobs whose
    command makes a mutating cloud call (their YAML), and the logs of their newest runs within LEAD
    (facts.reads[STORE])."""
    if STORE in facts.reads or not unreached_symptom(subject, facts):
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    listed = await call("k8s_list", {"kind": "CronJob"}, "survey-cloud-actor-cronjobs")
    if listed is None or not listed.ok or not isinstance(listed.data, dict):
        return
    rows = [r for r in listed.data.get("rows") or [] if isinstance(r, dict) and r.get("name")][:MAX_CRONJOBS]
    pods_by_ns: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        name, ns = str(row["name"]), str(row.get("namespace") or "")
        got = await get_yaml(call, "CronJob", name, ns, f"survey-cloud-actor-{name}")
        if got is None:
            continue
        command = command_of(got[0])
        verb = mutating_call(command)
        if not verb:
            continue
        if ns not in pods_by_ns:
            pods = await call("k8s_list", {"kind": "Pod", "namespace": ns}, f"survey-cloud-actor-pods-{ns}")
            pods_by_ns[ns] = [r for r in (pods.data.get("rows") or []) if isinstance(r, dict)] \
                if pods is not None and pods.ok and isinstance(pods.data, dict) else []
        runs = []
        for pod in pods_by_ns[ns]:
            job = workload_of_pod(str(pod.get("name") or ""))
            when = run_time(job, name)
            if when is not None and timedelta(0) <= facts.at - when <= LEAD:
                runs.append((when, str(pod["name"]), job))
        for when, pod_name, job in sorted(runs, reverse=True)[:MAX_RUNS]:
            logs = await call("k8s_logs", {"name": pod_name, "namespace": ns, "tail": 2000},
                              f"survey-cloud-actor-run-{pod_name}")
            if logs is None or not logs.ok:
                continue
            store.append({"cronjob": Ref("CronJob", ns, name), "object": got[0], "command": command, "verb": verb,
                          "job": job, "pod": pod_name, "ran": when, "text": str(logs.full_text or ""),
                          "evidence": [e for e in (got[1], logs.evidence_id) if e]})
    if store:
        await _read_holders(subject, facts, call, {e["cronjob"].namespace for e in store})


async def _read_holders(subject: Subject, facts: Facts, call: Call, own: set[str]) -> None:
    """The workloads of the incident's namespaces (the subject's, its failing pods') with the identifiers their own
    spec holds (env values, args; Secrets by name only): who connects to a resource a run acted on."""
    holders: list[dict[str, Any]] = facts.reads.setdefault(f"{STORE}_holders", [])
    named = [subject.namespace, *(log.namespace for log in facts.logs)]
    spaces = [n for n in dict.fromkeys(named) if n and n not in own]
    reads = 0
    for ns in spaces[:2]:
        for kind in ("Deployment", "StatefulSet"):
            listed = await call("k8s_list", {"kind": kind, "namespace": ns}, f"survey-cloud-actor-{kind}-{ns}")
            if listed is None or not listed.ok or not isinstance(listed.data, dict):
                continue
            for row in listed.data.get("rows") or []:
                if reads >= MAX_HOLDER_READS or not isinstance(row, dict) or not row.get("name"):
                    continue
                reads += 1
                got = await get_yaml(call, kind, str(row["name"]), ns, f"survey-cloud-actor-holder-{row['name']}")
                if got is None:
                    continue
                holders.append({"ref": Ref(kind, ns, str(row["name"])), "words": spec_words(got[0]),
                                "evidence": got[1]})


# ---- judging (rank) ---------------------------------------------------------------------------


@dataclass
class CloudAct:
    """A CronJob run whose log names the managed resource the incident's callers fail to reach."""

    cronjob: Ref
    job: str
    ran: datetime
    verb: str
    resource: str
    line: str
    command: str
    others: list[str] = field(default_factory=list)
    """The other lines of the run naming what it acted on (the resources it meant to act on, often)."""
    written: tuple[str, str] = ("", "")
    evidence: list[str] = field(default_factory=list)
    victims: list[Ref] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    """Where the incident's side names the resource (`env DATABASE_HOST of Deployment orders/orders-api`)."""


def _strip(line: str) -> str:
    return re.sub(r"^\d{4}-\d\d-\d\dT\S+\s+", "", line).replace("\t", " ").strip()


def _holding(facts: Facts, resource: str) -> list[tuple[Ref, str]]:
    """(workload or pod, where) of the incident's side that names `resource`: a workload's own spec, a failing log."""
    out: list[tuple[Ref, str]] = []
    for h in facts.reads.get(f"{STORE}_holders") or []:
        where = next((w for w, text in h["words"] if resource in identifiers(text)), "")
        if where:
            out.append((h["ref"], f"{where} of {h['ref']}"))
    for log in facts.logs:
        if any(resource in identifiers(t) for t in [*log.hosts, *(said_by(e) for e in log.entries() if e)]):
            out.append((Ref("Pod", log.namespace, log.pod), f"the errors of {log.namespace}/{log.pod}"))
    return out


def found(facts: Facts) -> list[CloudAct]:
    """Each read run whose log names an identifier the incident's workloads connect to (their spec or their errors),
    one per CronJob (its newest such run)."""
    out: list[CloudAct] = []
    for entry in sorted(facts.reads.get(STORE) or [], key=lambda e: e["ran"], reverse=True):
        cronjob: Ref = entry["cronjob"]
        if any(a.cronjob.same_object(cronjob) for a in out):
            continue
        own = identifiers(f"{cronjob.name} {cronjob.namespace} {entry['job']} {entry['pod']}")
        lines = [_strip(ln) for ln in str(entry["text"]).splitlines()
                 if ln.strip() and not ln.startswith(("logs of ", "===="))]
        for line in lines:
            named = sorted(identifiers(line) - own, key=len, reverse=True)
            hit = next(((r, held) for r in named if (held := _holding(facts, r))), None)
            if hit is None:
                continue
            resource, held = hit
            out.append(CloudAct(cronjob, entry["job"], entry["ran"], entry["verb"], resource, line, entry["command"],
                                [ln for ln in lines if ln != line][:3], template_write(entry["object"]),
                                list(entry["evidence"]) + [e for h in facts.reads.get(f"{STORE}_holders") or []
                                                           if any(h["ref"] == r for r, _ in held)
                                                           for e in [h["evidence"]] if e],
                                [r for r, _ in held], [w for _, w in held]))
            break
    return out


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def finding(a: CloudAct, at: datetime) -> dict[str, Any]:
    """The CronJob's finding: its run acted on the callers' datastore (the verb, the log line), then its selection."""
    ago = minutes_text(int((at - a.ran).total_seconds() // 60))
    verb = a.verb.lower().replace("_", "-")
    state = "stopped" if "stop" in verb or "shut" in verb or "never" in verb else \
        "deleted" if "delet" in verb or "terminat" in verb or "remov" in verb else "changed"
    also = f"; it also acted on {', '.join(a.others)}" if a.others else ""
    manager, when = a.written
    wrote = f" Its job template was last written by {manager} at {when}: check what its selection now matches." \
        if manager else ""
    try:
        words = " ".join(shlex.split(a.command))
    except ValueError:
        words = a.command
    message = (f"{a.cronjob}'s run {a.job} at {_iso(a.ran)} ({ago} before the alert) called {a.verb} on "
               f"{a.resource}, the managed datastore {a.where[0] if a.where else 'its callers'} names, so it is "
               f"{state}: its log says '{a.line[:120]}'{also}. The callers' connection errors follow from the "
               f"{state} resource, not from their own change.{wrote} Start {a.resource} again and narrow the job's "
               f"selection (its command: {words[:220]})")
    return {"check": CHECK, "severity": "critical", "reason": "CloudResourceActedOn",
            "object": {"kind": "CronJob", "namespace": a.cronjob.namespace, "name": a.cronjob.name},
            "message": message, "evidence": [a.line[:240]], "since": _iso(a.ran),
            "details": {"job": a.job, "verb": a.verb, "resource": a.resource, "written": list(a.written)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The CronJob; it explains the workloads that name the resource it acted on."""
    return [(a.cronjob, finding(a, facts.at), a.evidence, a.victims) for a in found(facts)]
