"""A shared NAT's source ports used up by a batch run's burst of new connections: other workloads cannot connect out.

Pods reach the internet through a NAT that every workload of the VPC/cluster shares (an AWS NAT gateway, a GCP
Cloud NAT, an Azure NAT gateway or load balancer's outbound SNAT). It maps each outbound connection to one of its
source ports, and it has only so many per destination (about 55,000 per destination address and port on AWS, the
ports allocated per VM on GCP, the SNAT ports per instance on Azure). A batch run that opens a new connection per
item (no pooled session, no keep-alive) with many workers spends them in minutes; every port stays held while its
connection lives and for a while after it closes. From then on the NAT refuses to map new connections, and the
provider counts it (CloudWatch `ErrorPortAllocation`, Cloud NAT `nat_allocation_failed` / drops for
OUT_OF_RESOURCES, Azure failed SNAT connections). Its victims are the OTHER workloads calling out the same way:
their connects time out (`HttpConnectTimeoutException`, `ConnectTimeout`, `dial tcp ...: i/o timeout`), and they
look guilty because nothing in them changed and the batch itself succeeds.

Evidence read generically: the provider's port-allocation failure series (read through the exporters' names:
YACE/cloudwatch_exporter `aws_natgateway_error_port_allocation_*`, Stackdriver's `..._nat_allocation_failed`, SNAT
failure counts) going from nothing to failures at an onset inside the window; a workload's outbound calls to a
host outside the cluster failing, not before that onset; and a Job (a CronJob's run or a one-off) started shortly
before the onset, still running then, whose spec or log names a host of the victims' destination domain or whose
log opens connection after connection. The finding names the Job's CronJob (the definition that runs it again) or
the Job. Twins: failures with no such series, port errors already there before the window, a Job started long
before or finished before the onset, a Job that neither opens connections in a burst nor calls that destination,
a victim whose failures began before the onset.

`read` (reading only, when a surveyed log shows outbound calls failing to a host outside the cluster): the failure
series, the Jobs listed, and for up to MAX_JOBS started near the onset their object and one pod's log tail.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, has_run, rows_of
from agent.triage.outbound import Line, lines
from agent.triage.pool_nat import OUTBOUND
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.nat_ports"
WEIGHT = 0.94
"""Above the connect timeouts it explains and a rollout nearby: the NAT's own count says why nobody connects."""
STORE = "nat_ports"
SPAN = timedelta(hours=3)
"""How far before the incident the failure series is read: its onset must lie inside, with quiet before."""
BURST_LEAD = timedelta(minutes=30)
"""How long before the first port failure the Job may have started: a burst fills the ports in minutes."""
SLACK = timedelta(minutes=3)
MAX_JOBS = 3
LOG_TAIL = 400
MIN_CHURN = 20
"""New-connection lines in the Job's log tail that make it a burst (a pooled client logs a handful)."""

FAILURES = (r"(?i).*(error_?port_?allocation|port_?allocation_?(error|fail)|nat_?allocation_?fail"
            r"|snat_?(port_?)?(exhaust|allocation_?fail)|snat_?connection_?fail).*")
"""Exporter names of a NAT's port-allocation failures: CloudWatch's `ErrorPortAllocation` as YACE and
cloudwatch_exporter spell it (`aws_natgateway_error_port_allocation_sum`), Stackdriver's Cloud NAT
`nat_allocation_failed`, and SNAT failure/exhaustion counts as Azure exporters
name them."""

CHURN = re.compile(r"starting new https? connection|opening (?:a )?(?:new )?connection|\bconnecting to\b|"
                   r"\bconnected to \S+ \(|\bnew (?:tcp |tls |https? )?connection\b|\bdialing\b|\bTrying \d", re.I)
"""A client opening a connection, in its own words: urllib3 `Starting new HTTPS connection (1): host:443`, Apache
HttpClient `Connecting to host/ip:443` / `Opening connection`, curl `Trying 1.2.3.4:443...` / `Connected to host
(ip)`, Go/gRPC `dialing`, generic `new connection`."""
_HOST = re.compile(r"(?<![\w.-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,})(?::\d+)?(?![\w-])", re.I)
_INSIDE = re.compile(r"\.(?:svc|cluster\.local|local)$")
_AWS = re.compile(r"^aws_nat_?gateway_(?P<name>.+?)_(?:sum|average|maximum|minimum|sample_?count|p\d+)$")

Call = Callable[..., Awaitable[Any]]


def outside(host: str) -> bool:
    """A DNS name outside the cluster: dotted, not a Service's `.svc`/`cluster.local` name."""
    host = host.lower().rstrip(".")
    return "." in host and not _INSIDE.search(host) and not re.fullmatch(r"[\d.]+", host)


def domain(host: str) -> str:
    """The name's last two labels (`api.partner.example` -> `partner.example`): the provider behind one edge."""
    return ".".join(host.lower().rstrip(".").split(".")[-2:])


def hosts_in(text: str) -> set[str]:
    """The outside DNS names a text names (args, env values, log lines)."""
    return {h.lower() for h in _HOST.findall(text) if outside(h)}


def provider_name(metric: str) -> str:
    """The provider's own name for a failure series: CloudWatch's CamelCase for a YACE/cloudwatch_exporter name
    (`aws_natgateway_error_port_allocation_sum` -> `ErrorPortAllocation`), else the series name."""
    m = _AWS.match(metric)
    if m is None:
        return metric
    return "".join(part.capitalize() for part in m["name"].split("_"))


# ---- reading (survey) -------------------------------------------------------------------------


def _victims(facts: Facts) -> list[tuple[Line, list[str]]]:
    """Each pod's outbound failure line that names a host outside the cluster, with those hosts."""
    out = []
    by_pod = {log.pod: log for log in facts.logs}
    for line in lines(facts, OUTBOUND):
        log = by_pod.get(line.pod)
        named = sorted({h.lower() for h in (log.hosts if log else []) if outside(h)} | hosts_in(line.text))
        if named:
            out.append((line, named))
    return out


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a surveyed pod fails outbound to a host outside the cluster: the NAT's port-allocation
    failure series around the incident, the Jobs, and the Jobs started just before the failures began."""
    if STORE in facts.reads or not _victims(facts):
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"series": [], "jobs": []})
    start, end = facts.at - SPAN, facts.at + timedelta(minutes=30)
    got = await call("prom_query_range", {"query": f'{{__name__=~"{FAILURES}"}} > 0', "start": _iso(start),
                                          "end": _iso(end), "step": "60s", "baseline": "none", "top_k": 5},
                     "survey-nat-ports-failures")
    if got is None or not got.ok or not isinstance(got.data, dict):
        return
    store["window_start"] = _iso(start)
    store["series"] = [{"name": str((s.get("labels") or {}).get("__name__") or ""), "start": s.get("start"),
                        "max": s.get("max"), "evidence": got.evidence_id}
                       for s in got.data.get("series") or [] if isinstance(s, dict)]
    onset = onset_of(store)
    if onset is None:
        return
    listed = await call("k8s_list", {"kind": "Job"}, "survey-nat-ports-jobs")
    near = [r for r in rows_of(listed) if (t := parse_time(r.get("created"))) is not None
            and onset - BURST_LEAD <= t <= onset + SLACK]
    near.sort(key=lambda r: str(r.get("created")), reverse=True)
    for row in near[:MAX_JOBS]:
        name, ns = str(row.get("name")), str(row.get("namespace") or "")
        job = await get_yaml(call, "Job", name, ns, f"survey-nat-ports-job-{name}")
        if job is None:
            continue
        entry: dict[str, Any] = {"object": job[0], "evidence": [job[1]], "log": ""}
        pods = await call("k8s_list", {"kind": "Pod", "namespace": ns, "label_selector": f"job-name={name}"},
                          f"survey-nat-ports-pods-{name}")
        pod = next((str(p.get("name")) for p in rows_of(pods) if has_run(p)), "")
        if pod:
            logs = await call("k8s_logs", {"name": pod, "namespace": ns, "tail": LOG_TAIL},
                              f"survey-nat-ports-logs-{name}")
            if logs is not None and logs.ok:
                entry["log"] = str(logs.full_text or "")[:60000]
                entry["evidence"].append(logs.evidence_id)
        store["jobs"].append(entry)


def onset_of(store: dict[str, Any]) -> datetime | None:
    """When the NAT began failing port allocations: the earliest first failure of a series that was quiet at the
    window's start (a series failing from the start has no onset this window can date)."""
    begin = parse_time(store.get("window_start"))
    starts = [t for s in store.get("series") or [] if (t := parse_time(s.get("start"))) is not None]
    if begin is None or not starts or min(starts) <= begin + timedelta(minutes=2):
        return None
    return min(starts)


# ---- judging (rank) ---------------------------------------------------------------------------


@dataclass
class Burst:
    """A Job started just before a shared NAT ran out of ports, and the workloads whose connects fail since."""

    target: Ref
    job: Ref
    started: datetime
    onset: datetime
    metric: str
    peak: float
    churn: int
    their_host: str
    victim_host: str
    victims: list[Ref]
    said: str
    evidence: list[str] = field(default_factory=list)


def _job_text(obj: dict[str, Any]) -> str:
    """The Job's containers' command, args and env values: where it names what it calls."""
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    words: list[str] = []
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        words += [str(x) for x in [*(c.get("command") or []), *(c.get("args") or [])]]
        words += [str(e.get("value")) for e in c.get("env") or [] if isinstance(e, dict) and e.get("value")]
    return " ".join(words)


_REPEATED = re.compile(r"^repeated (\d+)x: ")


def churn_of(log: str) -> int:
    """How many new-connection lines a log answer shows: its own lines, or the counts of its `repeated Nx:` shape
    lines (the log tool folds a loop of near-identical lines into one counted shape), whichever is more."""
    direct = folded = 0
    for ln in log.splitlines():
        if not CHURN.search(ln):
            continue
        m = _REPEATED.match(ln)
        if m:
            folded += int(m.group(1))
        else:
            direct += 1
    return max(direct, folded)


def _owner(obj: dict[str, Any], ns: str) -> Ref | None:
    owner = next((o for o in (obj.get("metadata") or {}).get("ownerReferences") or []
                  if isinstance(o, dict) and o.get("kind") == "CronJob" and o.get("name")), None)
    return Ref("CronJob", ns, str(owner["name"])) if owner else None


def _finished_before(obj: dict[str, Any], onset: datetime) -> bool:
    status = obj.get("status") or {}
    done = parse_time(status.get("completionTime"))
    failed = next((parse_time(c.get("lastTransitionTime")) for c in status.get("conditions") or []
                   if isinstance(c, dict) and c.get("type") == "Failed" and c.get("status") == "True"), None)
    end = done or failed
    return end is not None and end < onset


def found(facts: Facts) -> list[Burst]:
    """The Job (or its CronJob) whose run began just before the NAT's port failures, when a workload's outbound
    calls fail since and the Job calls their destination or opens connection after connection."""
    store = facts.reads.get(STORE)
    if not isinstance(store, dict):
        return []
    onset = onset_of(store)
    if onset is None:
        return []
    victims = [(line, named) for line, named in _victims(facts)
               if line.first is None or line.first >= onset - SLACK]
    if not victims:
        return []
    mine = {(line.namespace, workload_of_pod(line.pod)) for line, _ in victims}
    domains = {domain(h): h for _, named in victims for h in named}
    series = max(store.get("series") or [{}], key=lambda s: float(s.get("max") or 0))
    best: tuple[tuple[bool, bool, datetime], Burst] | None = None
    for entry in store.get("jobs") or []:
        obj = entry.get("object") or {}
        meta = obj.get("metadata") or {}
        name, ns = str(meta.get("name") or ""), str(meta.get("namespace") or "")
        started = parse_time((obj.get("status") or {}).get("startTime")) or parse_time(meta.get("creationTimestamp"))
        if not name or started is None or not onset - BURST_LEAD <= started <= onset + SLACK:
            continue
        if _finished_before(obj, onset) or (ns, workload_of_pod(name)) in mine:
            continue
        log = str(entry.get("log") or "")
        churn = churn_of(log)
        theirs = next((h for h in sorted(hosts_in(_job_text(obj) + "\n" + log)) if domain(h) in domains), "")
        if not theirs and churn < MIN_CHURN:
            continue
        job = Ref("Job", ns, name)
        line = victims[0][0]
        burst = Burst(_owner(obj, ns) or job, job, started, onset, str(series.get("name") or ""),
                      float(series.get("max") or 0), churn, theirs, domains.get(domain(theirs), victims[0][1][0]),
                      [Ref("", v.namespace, workload_of_pod(v.pod)) for v, _ in victims], line.text[:200],
                      [e for e in (series.get("evidence"), *(entry.get("evidence") or []), line.evidence) if e])
        key = (bool(theirs), churn >= MIN_CHURN, started)
        if best is None or key > best[0]:
            best = (key, burst)
    return [best[1]] if best else []


def finding(b: Burst, at: datetime) -> dict[str, Any]:
    """The Job's finding: the NAT's port failures and their onset first, then the Job's burst, then the victims."""
    lead = minutes_text(max(0, int((b.onset - b.started).total_seconds() // 60)))
    run = f"its run {b.job.name}" if b.target != b.job else "it"
    calls = f" to {b.their_host}" if b.their_host else ""
    burst = (f"its log opens a new connection per item ({b.churn} new-connection lines in its last {LOG_TAIL} "
             "log lines)" if b.churn >= MIN_CHURN else "it calls the same destination")
    same = (f", the same destination as the victims' {b.victim_host}" if b.their_host else "")
    victims = ", ".join(sorted({v.name for v in b.victims}))
    message = (f"{b.target}: {run} started {lead} before the NAT gateway began failing to allocate source ports "
               f"({provider_name(b.metric)}, up to {b.peak:.0f} per sample from {b.onset:%H:%M} on): {burst}{calls}"
               f"{same}. Each new outbound connection holds one of the NAT's ports per destination, so the batch "
               f"exhausts them and other workloads' outbound connection attempts time out: {victims} "
               f"('{b.said[:160]}'). Make the batch reuse connections (a pooled session, keep-alive) or cap its "
               f"workers; more NAT addresses raise the ceiling")
    return {"check": CHECK, "severity": "critical", "reason": "NatPortsExhaustedByBatch",
            "object": {"kind": b.target.kind, "namespace": b.target.namespace, "name": b.target.name},
            "message": message, "evidence": [b.said[:200]],
            "details": {"job": b.job.name, "metric": b.metric, "onset": _iso(b.onset), "churn": b.churn},
            "since": _iso(b.started)}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The batch whose connection burst took the shared NAT's ports; it explains the failing outbound calls."""
    return [(b.target, finding(b, facts.at), b.evidence, b.victims) for b in found(facts)]
