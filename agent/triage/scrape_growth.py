"""A scrape config written shortly before the monitoring server's head series jumped and its memory ran out.

A Prometheus-compatible server (Prometheus, VictoriaMetrics, Mimir/Cortex, an agent) keeps every active series in
memory. A write to what it scrapes (a ServiceMonitor / PodMonitor / Probe / ScrapeConfig re-rendered without its
`metricRelabelings` drop rule, a new high-cardinality label kept, a new target added; or a scrape file in a
ConfigMap, as plain Prometheus and vmagent read it, whose `job_name` lost its `metric_relabel_configs`) multiplies
the series one job brings per scrape; `prometheus_tsdb_head_series` climbs, the server passes its memory limit and
is OOMKilled, then replays its WAL on every start (dashboards show gaps). The server looks broken; the monitor
object, written hours earlier in another namespace, is the cause, and the job whose samples per scrape dominate
names it.

The monitor is named only when (a) a monitoring server is OOMKilled or restarting, (b) the monitor was written
within LEAD before the alert, and (c) the server's own metrics say the job fed by that monitor is by far the largest
source of samples per scrape (STANDS_OUT times the next job). A monitor whose job is small (another job grew), a
monitor written after the alert, or a server that is healthy is not named. `read` queries the server's own
metrics; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.subject import Subject

CHECK = "change.scrape_cardinality"
WEIGHT = 0.95
"""The monitor write whose job dominates the series the server holds is the thing to undo: above the server's own
OOMKill (0.9), which is its consequence."""
STORE = "scrape_growth"
LEAD = timedelta(hours=24)
STANDS_OUT = 3.0
"""How many times the next job's samples per scrape the monitor's job must bring to be called the explosion."""

MONITOR_KINDS = {"ServiceMonitor", "PodMonitor", "Probe", "ScrapeConfig", "VMServiceScrape", "VMPodScrape",
                 "VMScrapeConfig", "VMStaticScrape", "VMProbe", "PodMonitoring", "ClusterPodMonitoring"}
_SERVER = re.compile(r"prometheus|victoria-?metrics|vmsingle|vmstorage|vmagent|vminsert|mimir|cortex|thanos-receive|"
                     r"grafana-agent|\balloy\b|otel-?collector", re.I)
_DOWN_CHECKS = ("pod.oomkilled", "pod.crashloop", "workload.unavailable")

Call = Callable[..., Awaitable[Any]]


@dataclass
class Explosion:
    """A monitor write whose job dominates the samples a failing monitoring server scrapes."""

    monitor: Ref
    written: datetime
    by: str
    job: str
    samples: float
    next_job: str
    next_samples: float
    head_first: float | None
    head_max: float | None
    relabel_gone: bool
    server: Ref
    server_said: str
    evidence: list[str] = field(default_factory=list)


def servers(facts: Facts) -> list[tuple[Ref, str]]:
    """Monitoring servers the scan finds OOMKilled, crash-looping or unavailable, with what it said of the first."""
    out: dict[Ref, str] = {}
    for finding in (facts.scan or {}).get("findings") or []:
        ref = Ref.of(finding.get("object"))
        if ref is None or not str(finding.get("check") or "").startswith(_DOWN_CHECKS):
            continue
        images = " ".join(map(str, (finding.get("details") or {}).get("images") or []))
        container = str((finding.get("details") or {}).get("container") or "")
        if _SERVER.search(f"{ref.name} {images} {container}") and ref not in out:
            out[ref] = str(finding.get("message") or "")[:160]
    return list(out.items())


_JOB_NAME = re.compile(r"""job_name\W{1,4}['"]?([\w./-]+)""")
"""A job of a Prometheus-format scrape config (`scrape_configs:` of prometheus.yml, the Helm chart's server
ConfigMap, vmagent's `-promscrape.config`, the OpenTelemetry Collector's prometheus receiver)."""


def _scrape_file(change: dict[str, Any]) -> bool:
    """Whether a ConfigMap write is a scrape config file's (its diff or summary names scrape jobs)."""
    text = " ".join([str(change.get("summary") or ""), *map(str, change.get("diff") or [])])
    return bool(re.search(r"scrape_configs|job_name|metric_relabel_configs", text))


def _writes(facts: Facts) -> list[tuple[dict[str, Any], str]]:
    at = facts.at
    out = []
    for change, evidence in facts.every_change():
        ref, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or when is None or not at - LEAD <= when <= at:
            continue
        if ref.kind in MONITOR_KINDS or (ref.kind == "ConfigMap" and _scrape_file(change)):
            out.append((change, evidence))
    return out


def _file_jobs(change: dict[str, Any]) -> set[str]:
    """The scrape jobs a config file's write names on its new side."""
    lines = [str(d).rsplit(" -> ", 1)[-1] for d in change.get("diff") or []]
    return set(_JOB_NAME.findall(" ".join(lines)))


def _relabel_gone(change: dict[str, Any]) -> bool:
    """Whether the write dropped the series-dropping rules: an operator monitor's endpoints rewritten without
    `metricRelabelings`, or a scrape file's job whose `metric_relabel_configs` the old side had and the new lacks."""
    diff = " ".join(map(str, change.get("diff") or []))
    if ("endpoints" in diff and "metricRelabelings" not in diff) or \
            re.search(r"metricRelabelings\S* (?:removed|deleted)|metric_relabel_configs\S* (?:removed|deleted)", diff):
        return True
    for line in map(str, change.get("diff") or []):
        if " -> " in line:
            old, new = line.split(" -> ", 1)
            if "metric_relabel_configs" in old and "metric_relabel_configs" not in new:
                return True
    return False


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, and only when a monitoring server is down and a monitor was written: the samples per scrape of
    each job and the server's head series over the window from the earliest write."""
    if STORE in facts.reads or not servers(facts):
        return
    writes = _writes(facts)
    if not writes:
        return
    start = min(parse_time(c.get("at")) or facts.at for c, _ in writes) - timedelta(minutes=30)
    window = {"start": start.isoformat().replace("+00:00", "Z"), "end": at, "step": "300s", "baseline": "none"}
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"jobs": [], "head": [], "evidence": []})
    jobs = await call("prom_query_range", {"query": "sum by (job, namespace) (scrape_samples_scraped)", "top_k": 10,
                                           **window}, "survey-scrape-growth-jobs")
    if jobs is not None and jobs.ok and isinstance(jobs.data, dict):
        store["jobs"] = jobs.data.get("series") or []
        store["evidence"].append(jobs.evidence_id)
    head = await call("prom_query_range", {"query": "max(prometheus_tsdb_head_series)", "top_k": 1, **window},
                      "survey-scrape-growth-head")
    if head is not None and head.ok and isinstance(head.data, dict):
        store["head"] = head.data.get("series") or []
        store["evidence"].append(head.evidence_id)


def _feeds(job: str, job_ns: str, monitor: Ref) -> bool:
    """Whether a job's series come from the monitor: the operator names a ServiceMonitor's job after the Service
    (usually the monitor's name), a PodMonitor's `namespace/name`."""
    if job in (monitor.name, f"{monitor.namespace}/{monitor.name}"):
        return True
    return job_ns == monitor.namespace and (monitor.name in job or job in monitor.name)


def _fed_by(job: str, job_ns: str, monitor: Ref, named: set[str]) -> bool:
    """Whether the job's series come from the written object: a scrape file's jobs by name, a monitor's by the
    operator's naming."""
    return job in named if monitor.kind == "ConfigMap" else _feeds(job, job_ns, monitor)


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def found(facts: Facts) -> list[Explosion]:
    """The monitor write whose job stands out in samples per scrape while a monitoring server is down."""
    down = servers(facts)
    store = facts.reads.get(STORE) or {}
    jobs = [(str((s.get("labels") or {}).get("job") or ""), str((s.get("labels") or {}).get("namespace") or ""),
             _num(s.get("max")) or 0.0) for s in store.get("jobs") or []]
    jobs = sorted((j for j in jobs if j[0]), key=lambda j: -j[2])
    if not down or not jobs:
        return []
    head = (store.get("head") or [{}])[0] if store.get("head") else {}
    out = []
    for change, evidence in _writes(facts):
        monitor, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if monitor is None or when is None:
            continue
        named = _file_jobs(change) if monitor.kind == "ConfigMap" else set()
        if monitor.kind == "ConfigMap" and not named:
            continue
        mine = [j for j in jobs if _fed_by(j[0], j[1], monitor, named)]
        if not mine or mine[0] is not jobs[0]:
            continue  # its job is not the largest: another source grew
        rest = [j for j in jobs if not _fed_by(j[0], j[1], monitor, named)]
        if rest and mine[0][2] < STANDS_OUT * rest[0][2]:
            continue
        gone = _relabel_gone(change)
        first, peak = _num(head.get("first")), _num(head.get("max"))
        grew = first is not None and peak is not None and peak >= 1.2 * first
        if not rest and not gone and not grew:
            continue  # a lone job, no lost drop rule, no head growth: nothing says this write multiplied series
        by = re.search(r"written by ([\w.-]+)", str(change.get("summary") or ""))
        out.append(Explosion(monitor, when, by.group(1) if by else "", mine[0][0], mine[0][2],
                             rest[0][0] if rest else "", rest[0][2] if rest else 0.0,
                             first, peak, gone, down[0][0], down[0][1],
                             [e for e in [evidence, *store.get("evidence", [])] if e]))
    return out[:1]


def _n(value: float) -> str:
    return f"{value / 1e6:.1f}M" if value >= 1e6 else f"{value / 1e3:.0f}k" if value >= 1e4 else f"{value:.0f}"


def finding(hit: Explosion, at: datetime) -> dict[str, Any]:
    """The monitor's finding: what the write means for the series first, then the server's OOM it explains."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    rule = "metric_relabel_configs" if hit.monitor.kind == "ConfigMap" else "metricRelabelings"
    where = "its scrape job now carries" if hit.monitor.kind == "ConfigMap" else "its endpoints now carry"
    what = (f"{where} no {rule} drop rule, so every high-cardinality series the target exposes is ingested"
            if hit.relabel_gone else "it changed what is scraped")
    head = ""
    if hit.head_max is not None:
        head = (f"; head series (prometheus_tsdb_head_series) reached {_n(hit.head_max)}"
                + (f" from {_n(hit.head_first)}" if hit.head_first is not None and hit.head_first < hit.head_max
                   else ""))
    other = f" ({hit.next_job}: {_n(hit.next_samples)})" if hit.next_job else ""
    message = (f"{hit.monitor} was written{' by ' + hit.by if hit.by else ''} {ago} before the alert and {what}: a "
               f"cardinality explosion, job {hit.job} now brings {_n(hit.samples)} samples per scrape, the largest "
               f"job{other}{head}. {hit.server} holds every head series in memory and is OOMKilled at its limit, "
               f"replaying its WAL on each start ({hit.server_said[:100]}). Restore the {hit.monitor.kind}'s drop "
               f"rule ({rule}) or revert the write; the OOM is the symptom")
    return {"check": CHECK, "severity": "critical", "reason": "ScrapeCardinality",
            "object": {"kind": hit.monitor.kind, "namespace": hit.monitor.namespace, "name": hit.monitor.name},
            "message": message, "evidence": [f"job {hit.job}: {_n(hit.samples)} samples per scrape"],
            "details": {"job": hit.job, "samples": hit.samples, "server": str(hit.server),
                        "written": hit.written.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The monitor whose job's series explode; it explains the monitoring server's OOMKills."""
    return [(h.monitor, finding(h, facts.at), h.evidence, [h.server]) for h in found(facts)]
