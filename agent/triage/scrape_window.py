"""A scrape interval raised to the rate() window of a consumer: the series it computes goes empty.

`rate()`/`increase()`/`irate()` need at least two samples inside their range. A consumer of a counter picks a range
for the interval it was scraped at: prometheus-adapter's `metricsQuery: sum(rate(<<.Series>>[2m]))` for a 30s
scrape, a recording or alerting rule's `rate(x[1m])`, a KEDA trigger's query. A write that raises the scrape
interval of the target's scrape object (a ServiceMonitor/PodMonitor endpoint's `interval: 30s -> 2m`, a
ScrapeConfig's `scrapeInterval`, a VictoriaMetrics VMServiceScrape, `scrape_interval` in prometheus.yml) to half the
range or more leaves one sample (or none) per window: the computed series is empty most of the time. The HPA reading
it through the custom metrics API fails with `FailedGetPodsMetric ... could not find the metric` and stays at its
replicas, a recording rule stops, an alert on it never fires. The HPA and the adapter are only where it shows; the
scrape write is what to undo.

The survey (`read`, reading only) reads each scrape object written in the LEAD before the incident and its
intervals; the consumers are the configs of the aggregated metrics API servers `api_server_of` found behind a
failing client (the adapter's rules with their ranges and the series they name). `found` (pure) names the write
when its new interval is at least half a range used for the client's metric (fewer than two samples per window),
the object scrapes the client's namespace, and the old interval (when the write says it) still gave two. Not
named: an interval well under the range (four samples of 30s in 2m), a range that was already too short before the
write, a scrape object in another namespace whose selector does not reach the client's.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml

from agent.triage import api_server_of
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "change.scrape_window"
WEIGHT = 0.95
"""The scrape write empties the series the failing client reads: above the adapter and the HPA it explains."""
STORE = "scrape_window"
LEAD = timedelta(hours=24)
MAX_OBJECTS = 3
SCRAPE_KINDS = {"ServiceMonitor", "PodMonitor", "ScrapeConfig", "VMServiceScrape", "VMPodScrape", "VMScrapeConfig",
                "ConfigMap"}
_RANGE = re.compile(r"(?:rate|increase|irate|deriv|delta|idelta|resets|changes|\w+_over_time)\s*\([^\[\]]*"
                    r"\[(\d+(?:\.\d+)?(?:ms|s|m|h))(?::[^\]]*)?\]", re.I)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
_INTERVAL_DIFF = re.compile(r"(?:interval|scrapeInterval|scrape_interval)\W{0,6}'?(\d+(?:ms|s|m|h))'?\s*->\s*"
                            r"'?(\d+(?:ms|s|m|h))", re.I)

Call = Callable[..., Awaitable[Any]]


def seconds(text: str) -> float | None:
    """A Prometheus duration in seconds (`30s`, `2m`, `1m30s`), None when it is not one."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", str(text or ""))
    if not parts or "".join(a + b for a, b in parts) != str(text).strip():
        return None
    return sum(float(a) * _UNITS[b] for a, b in parts)


def intervals(obj: dict[str, Any]) -> list[float]:
    """The scrape intervals an object sets: per endpoint, a ScrapeConfig's own, prometheus.yml's jobs and global."""
    spec = obj.get("spec") or {}
    found = [spec.get("scrapeInterval"), spec.get("interval")]
    for key in ("endpoints", "podMetricsEndpoints"):
        found += [e.get("interval") or e.get("scrape_interval") for e in spec.get(key) or [] if isinstance(e, dict)]
    for text in (obj.get("data") or {}).values():
        if "scrape_configs" not in str(text):
            continue
        try:
            config = yaml.safe_load(str(text))
        except yaml.YAMLError:
            continue
        if isinstance(config, dict):
            found.append((config.get("global") or {}).get("scrape_interval"))
            found += [j.get("scrape_interval") for j in config.get("scrape_configs") or [] if isinstance(j, dict)]
    return [s for s in (seconds(str(v)) for v in found if v) if s is not None]


def reaches(obj: dict[str, Any], namespace: str) -> bool:
    """Whether a scrape object scrapes targets in `namespace`: its own namespace (the operator's default), its
    namespaceSelector (`any`, `matchNames`), or a whole Prometheus config (every job)."""
    if obj.get("kind") == "ConfigMap":
        return True
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    selector = spec.get("namespaceSelector") or {}
    if selector.get("any"):
        return True
    names = selector.get("matchNames") or []
    return namespace in names if names else str(meta.get("namespace") or "") == namespace


def windows(config_text: str, metric: str) -> list[float]:
    """The ranges (seconds) of the rules in a consumer's config that compute `metric` (a rule naming the metric or
    the series it derives from), else of every rule when none says which."""
    stem = re.sub(r"_(?:per_second|per_minute|rate|total|count|sum|bucket)$", "", metric)
    blocks = re.split(r"(?m)^\s*-\s+(?=seriesQuery|record|alert|name|expr)", config_text)
    mine = [b for b in blocks if stem and len(stem) >= 4 and stem in b]
    texts = mine or [config_text]
    return [s for t in texts for m in _RANGE.finditer(t) if (s := seconds(m.group(1))) is not None]


_CONSUMER_NAME = re.compile(r"adapter|rules?\b|recording|prometheus|metrics|keda", re.I)
"""ConfigMap names a metrics consumer's config goes by (adapter rules, rule files), read when no server was found."""
_CONSUMER_TEXT = re.compile(r"metricsQuery|seriesQuery|\brecord:|\balert:|\bexpr:|\bquery:")
MAX_CONSUMERS = 6


async def _consumers(facts: Facts, call: Call, metric: str) -> list[dict[str, Any]]:
    """The configs computing the failing client's metric: those of the API server api_server_of found, else the
    ConfigMaps (any namespace) named like a consumer's config whose rules name the metric or its series."""
    served = [cm for s in api_server_of.servers(facts) for cm in s.configmaps]
    if served:
        return served
    listed = await call("k8s_list", {"kind": "ConfigMap", "namespace": ""}, "survey-scrape-window-configmaps")
    if listed is None or not listed.ok or not isinstance(listed.data, dict):
        return []
    rows = [r for r in listed.data.get("rows") or [] if isinstance(r, dict) and _CONSUMER_NAME.search(
        str(r.get("name") or ""))]
    out: list[dict[str, Any]] = []
    for row in rows[:MAX_CONSUMERS]:
        got = await get_yaml(call, "ConfigMap", str(row.get("name")), str(row.get("namespace") or ""),
                             f"survey-scrape-window-cm-{row.get('name')}")
        text = " ".join(str(v) for v in ((got[0].get("data") or {}).values() if got else []))
        if got is not None and _CONSUMER_TEXT.search(text) and _RANGE.search(text) and windows_for(text, metric):
            out.append({**got[0], "_evidence": got[1]})
    return out


def windows_for(text: str, metric: str) -> bool:
    """Whether a config has rules for the metric itself (not only the catch-all of every rule)."""
    stem = re.sub(r"_(?:per_second|per_minute|rate|total|count|sum|bucket)$", "", metric)
    return len(stem) >= 4 and stem in text


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a metrics API's client failed on a metric: the scrape objects written in the LEAD (with
    their intervals) and the configs that compute the metric."""
    failed = [f for f in api_server_of.failures(facts) if f.metric]
    if STORE in facts.reads or not failed:
        return
    kept: dict[str, Any] = {"scrapes": [], "clients": [], "consumers": []}
    facts.reads[STORE] = kept
    for change, evidence, target in facts.writes_to(SCRAPE_KINDS, within=LEAD, deletions=False)[:20]:
        if len(kept["scrapes"]) >= MAX_OBJECTS:
            break
        said = " ".join([str(change.get("summary") or ""), *map(str, change.get("diff") or [])])
        if target.kind == "ConfigMap" and "scrape_" not in said:
            continue
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-scrape-window-{target.name}")
        if got is None or not intervals(got[0]):
            continue
        kept["scrapes"].append({"ref": [target.kind, target.namespace, target.name], "change": change,
                                "object": got[0], "evidence": [e for e in (evidence, got[1]) if e]})
    if not kept["scrapes"]:
        return
    item = failed[0]
    kept["clients"].append({"client": [item.client.kind, item.client.namespace, item.client.name]
                            if item.client else None, "metric": item.metric, "words": item.words,
                            "evidence": list(item.evidence)})
    kept["consumers"] = await _consumers(facts, call, item.metric)


@dataclass
class Emptied:
    """A scrape write whose interval leaves fewer than two samples in the range a failing client's metric uses."""

    scrape: Ref
    written: datetime
    by: str
    interval: float
    was: float | None
    window: float
    metric: str
    server: Ref | None
    config: str
    client: Ref | None
    words: str
    evidence: list[str] = field(default_factory=list)


def _text(seconds_: float) -> str:
    return f"{int(seconds_ // 60)}m" if seconds_ >= 60 and seconds_ % 60 == 0 else f"{int(seconds_)}s"


def found(facts: Facts) -> list[Emptied]:
    """Scrape writes whose new interval is at least half the range the failing client's metric is computed over."""
    out: list[Emptied] = []
    kept = facts.reads.get(STORE)
    if not isinstance(kept, dict):
        return []
    servers = {str(s.workload): s.workload for s in api_server_of.servers(facts) if s.workload is not None}
    for entry in kept.get("scrapes") or []:
        obj, change = entry["object"], entry["change"]
        interval = max(intervals(obj))
        said = " ".join([str(change.get("summary") or ""), *map(str, change.get("diff") or [])])
        old = _INTERVAL_DIFF.search(said)
        was = seconds(old.group(1)) if old else None
        when = parse_time(change.get("at"))
        if when is None:
            continue
        for item in kept.get("clients") or []:
            client = Ref(*item["client"]) if item.get("client") else None
            if client is not None and client.namespace and not reaches(obj, client.namespace):
                continue
            for cm in kept.get("consumers") or []:
                text = " ".join(str(v) for v in (cm.get("data") or {}).values())
                ranges = windows(text, str(item.get("metric") or ""))
                if not ranges:
                    continue
                window = min(ranges)
                if interval * 2 <= window - 1e-9:
                    continue  # two or more samples per window: the range still works
                if was is not None and was * 2 > window:
                    continue  # already too few before the write: not what the write changed
                meta = cm.get("metadata") or {}
                server = next(iter(servers.values()), None)
                out.append(Emptied(Ref(*entry["ref"]), when, written_by(change), interval, was, window,
                                   str(item.get("metric") or ""), server,
                                   f"ConfigMap {meta.get('namespace')}/{meta.get('name')}", client,
                                   str(item.get("words") or ""),
                                   [*entry["evidence"], *item.get("evidence", []),
                                    *([cm["_evidence"]] if cm.get("_evidence") else [])]))
                break
    out.sort(key=lambda e: e.written, reverse=True)
    return out[:1]


def finding(hit: Emptied, at: datetime) -> dict[str, Any]:
    """What the write means first (the scrape interval reaches the rate window: the series goes empty), then who
    fails by it."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    was = f" (was {_text(hit.was)})" if hit.was else ""
    server = f"{hit.server.name}'s" if hit.server else "the metrics consumer's"
    client = f"{hit.client} " if hit.client else "its client "
    metric = f" {hit.metric}" if hit.metric else ""
    message = (f"{hit.scrape} was written{' by ' + hit.by if hit.by else ''} {ago} before the incident: its scrape "
               f"interval is now {_text(hit.interval)}{was}, at least half the {_text(hit.window)} rate() window of "
               f"{server} rule ({hit.config}), so each window holds fewer than two samples and rate() is empty: the "
               f"metric{metric} disappears and {client}fails ({hit.words[:160]}). Restore the scrape interval (or "
               f"widen the rate window to 4x the interval)")
    return {"check": CHECK, "severity": "critical", "reason": "ScrapeIntervalAboveRateWindow",
            "object": {"kind": hit.scrape.kind, "namespace": hit.scrape.namespace, "name": hit.scrape.name},
            "message": message, "evidence": [hit.words[:240]],
            "details": {"interval_s": hit.interval, "window_s": hit.window, "metric": hit.metric,
                        "written": hit.written.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The scrape write that empties the failing client's metric, explaining the client and the server."""
    return [(h.scrape, finding(h, facts.at), list(dict.fromkeys(h.evidence)),
             [r for r in (h.client, h.server) if r is not None]) for h in found(facts)]
