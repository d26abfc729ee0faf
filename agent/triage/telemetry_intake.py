"""Telemetry gone missing because its store refuses it at a limit: the limit's write, or the workload that used it up.

A log, metric or trace store (Loki, Mimir, Cortex, Thanos Receive, VictoriaMetrics, Tempo) enforces per-tenant
intake limits. Past them it refuses pushes: Loki answers 429 `Ingestion rate limit exceeded` (or `Per stream rate
limit exceeded`, `Maximum active stream limit exceeded`), Mimir/Cortex `per-user series limit ... exceeded
(err-mimir-max-series-per-user)` or `err-mimir-ingestion-rate`, Tempo `RATE_LIMITED` / `LIVE_TRACES_EXCEEDED`.
The shippers retry and then drop (promtail `final error sending batch`, Prometheus remote write `non-recoverable
error`), and a team finds its logs missing, its metrics absent. Two causes stand behind such a refusal:

- a rate (volume) limit: the store's own limit, set too low for the peak (`-distributor.ingestion-rate-limit-mb`,
  `limits_config.ingestion_rate_mb`, a runtime overrides file). The write that set it is named; with no such write
  in view, the store itself with the limit its args or config hold (weighed below change-based suspects: a
  shipper's flood, position_store's class, outranks it);
- a series (cardinality) limit of a shared tenant: whoever creates new series next is refused, often a team that
  changed nothing. The cause is the workload whose change multiplied its series: the scrape job whose samples per
  scrape grew by far the most (`scrape_samples_scraped`), and the rollout of its workload before that growth.

The survey (`read`, reading only) acts only when the incident says telemetry is missing (logs, metrics, series,
traces with missing, absent, gaps, stopped...); it lists the cluster's pods, reads the logs of one pod of each
telemetry store or shipper (by image), and for a series limit the samples per scrape of each job. `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.telemetry_limit"
WEIGHT = 0.93
"""The write of a store's intake limit, or the rollout whose series filled a shared tenant's: the cause to undo."""
CHECK_AT_LIMIT = "telemetry.store_at_limit"
EXTRA_WEIGHTS = {CHECK_AT_LIMIT: 0.86}
"""The store refusing at a limit no write in view set: below change-based suspects (a shipper's flood)."""
STORE = "telemetry_intake"
LEAD = timedelta(hours=24)
MAX_PODS = 10
LOG_TAIL = 300
GROWTH = 3.0
"""How many times its samples per scrape before the write a job must bring to be the cardinality explosion."""
STANDS_OUT = 3.0
"""How many times the next job's samples per scrape the largest must bring when its growth began before the window."""
HIGH = 100_000.0
"""Samples per scrape past which one job is high-cardinality by itself (a service exposes a few thousand)."""

_NOUN = re.compile(r"\b(?:logs?|metrics?|series|traces?|spans?|telemetry|samples?|dashboards?)\b", re.I)
_GONE = re.compile(r"\b(?:missing|absent|absence|gaps?|stop(?:s|ped)?|showing|disappear\w*|vanish\w*|dropp?\w*|"
                   r"no data|empty|lost|fragment\w*|incomplete|where did)\b", re.I)

STORE_IMAGE = re.compile(r"grafana/(?:loki|mimir|tempo|enterprise-metrics)|cortexproject/cortex|/cortex:|"
                         r"thanos|victoria-?metrics|vminsert|vmstorage|vmsingle|victoria-?logs|/loki:|/mimir:|/tempo:|"
                         r"elasticsearch/elasticsearch|/elasticsearch:|opensearchproject/opensearch:", re.I)
SHIPPER_IMAGE = re.compile(r"promtail|fluent-?bit|fluentd|timberio/vector|/vector:|otel|opentelemetry-collector|"
                           r"grafana/(?:agent|alloy)|/alloy:|prom/prometheus|prometheus/prometheus|vmagent|"
                           r"beats/(?:filebeat|metricbeat)|/filebeat:|logstash|datadog/agent|datadoghq/agent|"
                           r"/datadog-agent:", re.I)

RATE = re.compile(r"ingestion rate limit|per stream rate limit|err-(?:mimir|cortex)-(?:tenant-max-)?ingestion-rate|"
                  r"ingestion_rate|RATE_LIMITED|rate[_ ]limited|rate limit exceeded|es_rejected_execution_exception|"
                  r"rejected execution of (?:coordinating|primary|replica)|maxIngestionRate|"
                  r"max(?:Concurrent)?InsertRequests|too many concurrent insert", re.I)
"""A store refusing intake for its volume (bytes or samples per second): Loki, Mimir/Cortex, Tempo, an
Elasticsearch/OpenSearch write queue rejecting bulk requests (`es_rejected_execution_exception`, answered 429),
VictoriaMetrics' insert limits (`-maxIngestionRate`, `-maxConcurrentInserts`)."""
SHIPPER_RATE = re.compile(RATE.pattern + r"|\b429\b|too many requests", re.I)
"""A shipper relaying the refusal: the store's words, or only the HTTP status (429 Too Many Requests)."""
SERIES = re.compile(r"series limit|err-(?:mimir|cortex)-max-series|max[-_](?:global[-_])?series[-_]per|"
                    r"maximum active stream limit|stream limit exceeded|max[-_]streams|too many active series|"
                    r"cardinality limit|LIVE_TRACES_EXCEEDED|max live traces|max(?:Hourly|Daily)Series|"
                    r"unique series per (?:hour|day)|too many unique series|too many (?:active |head )?series|"
                    r"total fields limit|Limit of total fields", re.I)
"""A store refusing new series (streams, live traces, fields) at a count limit: a cardinality limit (Loki, Mimir,
Cortex, Tempo, Thanos Receive, VictoriaMetrics `-storage.maxHourlySeries`, an Elasticsearch index's
`Limit of total fields [1000] has been exceeded` from dynamic mapping of ever-new keys)."""

_LIMIT_ARG = re.compile(r"(-{1,2}(?:distributor\.)?ingestion[-.](?:rate|burst)[-\w.]*=\S+|"
                        r"-{1,2}ingester\.max-[-\w.]*series[-\w.]*=\S+|"
                        r"-{1,2}(?:storage\.max(?:Hourly|Daily)Series|maxIngestionRate|maxConcurrentInserts)=\S+|"
                        r"(?:ingestion_rate_mb|ingestion_burst_size_mb|ingestion_rate|max_global_series_per_user|"
                        r"max_series_per_user|per_stream_rate_limit|max_global_streams_per_user)\s*:\s*\S+)")
"""A store's intake limit as its args or config file say it (Loki, Mimir, Cortex)."""

Call = Callable[..., Awaitable[Any]]


def telemetry_missing(subject: Subject) -> bool:
    """Whether the incident says telemetry is missing: a telemetry noun and a word of absence."""
    words = " ".join([*subject.labelled_values, *subject.phrases, *subject.names]).replace("-", " ")
    return bool(_NOUN.search(words) and _GONE.search(words))


def _line(text: str, pattern: re.Pattern[str]) -> str:
    """The last line saying it, from a little before the telling words (a timestamp and caller say nothing)."""
    said = [ln for ln in text.splitlines() if pattern.search(ln)]
    if not said:
        return ""
    line = " ".join(said[-1].split())
    m = pattern.search(line)
    start = max(0, (m.start() if m else 0) - 60)
    return ("..." if start else "") + line[start:start + 340]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, for missing telemetry: the stores' and shippers' refusals, the store's limit, the jobs' growth."""
    if STORE in facts.reads or not telemetry_missing(subject):
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"pods": [], "evidence": []})
    listed = await call("k8s_list", {"kind": "Pod"}, "survey-telemetry-pods")
    if listed is None or not listed.ok or not isinstance(listed.data, dict):
        return
    seen: set[tuple[str, str]] = set()
    picked = []
    for row in listed.data.get("rows") or []:
        if not isinstance(row, dict):
            continue
        images = " ".join(map(str, row.get("images") or []))
        role = "store" if STORE_IMAGE.search(images) else "shipper" if SHIPPER_IMAGE.search(images) else ""
        key = (str(row.get("namespace") or ""), workload_of_pod(str(row.get("name") or "")))
        if role and key not in seen:
            seen.add(key)
            picked.append((role, str(row.get("namespace") or ""), str(row.get("name") or ""), images))
    picked.sort(key=lambda p: p[0] != "store")
    for role, ns, pod, images in picked[:MAX_PODS]:
        logs = await call("k8s_logs", {"name": pod, "namespace": ns, "tail": LOG_TAIL}, f"survey-telemetry-log-{pod}")
        text = str(getattr(logs, "full_text", "") or "") if logs is not None and logs.ok else ""
        rate, series = _line(text, RATE if role == "store" else SHIPPER_RATE), _line(text, SERIES)
        if logs is None or not (rate or series):
            continue
        entry: dict[str, Any] = {"role": role, "namespace": ns, "pod": pod, "images": images, "rate": rate,
                                 "series": series, "evidence": [listed.evidence_id, logs.evidence_id]}
        if role == "store":
            got = await get_yaml(call, "Pod", pod, ns, f"survey-telemetry-pod-{pod}")
            if got is not None:
                owner: dict[str, Any] = next(iter((got[0].get("metadata") or {}).get("ownerReferences") or []), {})
                kind = str(owner.get("kind") or "")
                entry["workload"] = ["Deployment" if kind == "ReplicaSet" else kind or "Deployment", ns,
                                     workload_of_pod(pod)]
                spec = got[0].get("spec") or {}
                args = [str(a) for c in spec.get("containers") or [] for a in [*(c.get("args") or []),
                                                                                *(c.get("command") or [])]]
                entry["limits"] = [m.group(1) for a in args for m in [_LIMIT_ARG.search(a)] if m][:3]
                entry["configmaps"] = [str((v.get("configMap") or {}).get("name")) for v in spec.get("volumes") or []
                                       if isinstance(v, dict) and (v.get("configMap") or {}).get("name")]
                entry["evidence"].append(got[1])
        store["pods"].append(entry)
    if any(p["series"] for p in store["pods"]):
        start = facts.at - timedelta(hours=6)
        jobs = await call("prom_query_range", {"query": "sum by (job, namespace) (scrape_samples_scraped)",
                                               "start": start.isoformat().replace("+00:00", "Z"), "end": at,
                                               "step": "300s", "baseline": "none", "top_k": 10},
                          "survey-telemetry-jobs")
        if jobs is not None and jobs.ok and isinstance(jobs.data, dict):
            store["jobs"] = jobs.data.get("series") or []
            store["evidence"].append(jobs.evidence_id)


@dataclass
class Refused:
    """A telemetry store refusing intake at a limit, and what stands behind it."""

    culprit: Ref
    check: str
    kind: str
    """`rate` or `series`."""
    store_ref: Ref | None
    said: str
    shipper_said: str
    limits: list[str]
    change: dict[str, Any] | None
    job: str = ""
    before: float = 0.0
    after: float = 0.0
    evidence: list[str] = field(default_factory=list)


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _grower(facts: Facts, jobs: list[dict[str, Any]]) -> tuple[dict[str, Any], str, Ref, float, float] | None:
    """The rollout (in the LEAD) of the workload whose scrape job's samples per scrape exploded: grown GROWTH times
    within the window read, or (grown before it) the largest job by STANDS_OUT times the next and still rising or
    past HIGH samples per scrape, far beyond what a service exposes."""
    rows = []
    for s in jobs:
        labels = s.get("labels") or {}
        first, peak = _num(s.get("first")), _num(s.get("max"))
        if first is not None and peak is not None:
            rows.append((peak, first, str(labels.get("job") or ""), str(labels.get("namespace") or ""),
                         str(s.get("trend") or "")))
    rows.sort(reverse=True)
    picked = [r for r in rows if r[0] >= GROWTH * max(r[1], 1.0)]
    if not picked and rows:
        peak, first, job, ns, trend = rows[0]
        runner_up = rows[1][0] if len(rows) > 1 else 0.0
        if peak >= STANDS_OUT * max(runner_up, 1.0) and (trend == "rising" or peak >= HIGH):
            picked = [rows[0]]
    for peak, first, job, ns, _ in picked[:1]:
        base = job.rsplit("/", 1)[-1]
        for change, evidence, target in facts.writes_to(("Deployment", "StatefulSet", "DaemonSet"), within=LEAD,
                                                        deletions=False):
            if (not ns or target.namespace == ns) and (target.name == base or base.startswith(target.name)
                                                       or target.name.startswith(base)):
                return change, evidence, target, first, peak
    return None


def found(facts: Facts) -> list[Refused]:
    """The cause behind a telemetry store's refusals: the limit's write, the series grower, else the store."""
    data = facts.reads.get(STORE) or {}
    pods = data.get("pods") or []
    stores = [p for p in pods if p["role"] == "store" and p.get("workload")]
    shippers = [p for p in pods if p["role"] == "shipper"]
    said_by = stores + shippers
    if not said_by:
        return []
    series = next((p for p in said_by if p["series"]), None)
    rate = next((p for p in said_by if p["rate"]), None)
    evidence = [e for p in pods for e in p["evidence"]] + list(data.get("evidence") or [])
    store = stores[0] if stores else None
    store_ref = Ref(*store["workload"]) if store else None
    shipper_said = next((p["series"] or p["rate"] for p in shippers), "")
    if series is not None:
        grew = _grower(facts, data.get("jobs") or [])
        if grew is not None:
            change, ev, target, first, peak = grew
            job = next((str((s.get("labels") or {}).get("job")) for s in data.get("jobs") or []
                        if _num(s.get("max")) == peak), "")
            return [Refused(target, CHECK, "series", store_ref, series["series"], shipper_said,
                            list(store.get("limits") or []) if store else [], change, job, first, peak,
                            [e for e in [ev, *evidence] if e])]
    hit = rate or series
    if store is None or hit is None:
        return []
    kind = "rate" if rate is not None else "series"
    names = {store_ref.name if store_ref else "", *store.get("configmaps", [])}
    writes = [(c, e, t) for c, e, t in facts.writes_to(("StatefulSet", "Deployment", "ConfigMap"), within=LEAD,
                                                       deletions=False)
              if t.namespace == store["namespace"] and t.name in names]
    if writes:
        change, ev, target = writes[0]
        return [Refused(target, CHECK, kind, store_ref, hit[kind], shipper_said, list(store.get("limits") or []),
                        change, evidence=[e for e in [ev, *evidence] if e])]
    assert store_ref is not None
    return [Refused(store_ref, CHECK_AT_LIMIT, kind, store_ref, hit[kind], shipper_said,
                    list(store.get("limits") or []), None, evidence=evidence)]


def _software(refused: Refused) -> str:
    low = refused.said.lower()
    for word, name in (("mimir", "Mimir"), ("cortex", "Cortex"), ("loki", "Loki"), ("tempo", "Tempo"),
                       ("es_rejected", "Elasticsearch"), ("elasticsearch", "Elasticsearch"),
                       ("opensearch", "OpenSearch"), ("vminsert", "VictoriaMetrics"), ("maxhourlyseries",
                                                                                         "VictoriaMetrics"),
                       ("victoria", "VictoriaMetrics"), ("thanos", "Thanos Receive")):
        if word in low or (refused.store_ref is not None and word in refused.store_ref.name.lower()):
            return name
    return "the telemetry store"


def finding(hit: Refused, at: datetime) -> dict[str, Any]:
    """What the limit means first (intake refused, telemetry dropped), then the store's and shippers' words."""
    software = _software(hit)
    limit = f" ({', '.join(hit.limits)})" if hit.limits else ""
    shipper = f"; shippers drop what it refuses: {hit.shipper_said[:160]}" if hit.shipper_said else ""
    when = ""
    if hit.change is not None:
        written = parse_time(hit.change.get("at"))
        by = written_by(hit.change)
        verb = "rolled out" if hit.change.get("type") == "rollout" else "was written"
        when = (f" {verb}{' by ' + by if by else ''} "
                f"{minutes_text(int((at - written).total_seconds() // 60)) if written else ''} before the alert")
    if hit.kind == "series" and hit.job:
        message = (f"{hit.culprit}{when or ' rolled out'}: a cardinality explosion, its scrape job {hit.job} grew "
                   f"from {hit.before:.0f} to {hit.after:.0f} samples per scrape and filled the shared {software} "
                   f"tenant's series limit{limit}, so the store refuses every new series: {hit.said[:220]}"
                   f"{shipper}. Workloads whose series are new (a rollout's new pods) lose their metrics; revert the "
                   f"rollout's new label (or drop it by relabelling)")
    elif hit.kind == "rate":
        message = (f"{hit.culprit}{when} sets {software}'s ingestion rate limit{limit}: at the peak {software} "
                   f"refuses pushes with 429 (ingestion rate limit exceeded) and what is pushed is dropped: "
                   f"{hit.said[:200]}{shipper}. Raise the limit (or revert the write)")
    else:
        message = (f"{hit.culprit}{when} holds {software}'s series limit{limit}; the store refuses new series: "
                   f"{hit.said[:220]}{shipper}. Find the workload whose series grew, or raise the limit")
    return {"check": hit.check, "severity": "critical", "reason": "TelemetryIntakeLimit",
            "object": {"kind": hit.culprit.kind, "namespace": hit.culprit.namespace, "name": hit.culprit.name},
            "message": message, "evidence": [hit.said[:200]],
            "details": {"limit": hit.kind, "limits": hit.limits}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The limit's write, the series grower, or the store at its limit; the store's refusals are what it explains."""
    return [(h.culprit, finding(h, facts.at), h.evidence,
             [h.store_ref] if h.store_ref is not None and h.store_ref != h.culprit else []) for h in found(facts)]
