"""A store's resource alarm that a config write set off: the threshold itself is out of reach, not the resource.

Brokers and search engines stop taking writes on a threshold of their own before a resource runs out, and the
threshold is a setting. When a write puts it where the node can never be (a limit copied from a bigger
environment), the alarm fires as soon as the pods start with it and never clears, while the disk is as empty as
before:

- RabbitMQ: `disk_free_limit.absolute = 50GB` (or `.relative = N`, N times the memory limit) on a 40Gi volume:
  free space can never reach the limit, each node logs "Free disk space is insufficient" and "disk resource limit
  alarm set on node", and RabbitMQ blocks every publishing connection cluster-wide (`connection.blocked`);
  publishers hang or time out without an error of their own. The setting lives in a RabbitmqCluster's
  `spec.rabbitmq.additionalConfig`, a rabbitmq.conf ConfigMap or the `RABBITMQ_DISK_FREE_LIMIT` env.
- Elasticsearch/OpenSearch: `cluster.routing.allocation.disk.watermark.flood_stage` (or `.high`) lowered to a
  share the nodes already use ("50%"), or an absolute free-space floor above what the volume can hold: the node
  logs "flood stage disk watermark [50%] exceeded" and every index with a shard there becomes read-only
  (`index.blocks.read_only_allow_delete`), so writes are refused (FORBIDDEN/12, TOO_MANY_REQUESTS/12).

A real full disk says the same words; what tells the two apart is the threshold against the volume: a free-space
floor of at least half the volume, or a flood-stage share below the 85% Elasticsearch itself calls merely "high".
The alarm must first appear after the write (an alarm printed before it is not the write's doing).

`read` (reading only) finds the component's own alarm line, reads the objects written in its namespace in the
hours before (a custom resource, a ConfigMap, the workload) and keeps the setting's value and the volume size
they hold; `found` is pure over the facts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "config.alarm_threshold"
WEIGHT = 0.94
"""Above component_alarms' and full_volume's (0.93, 0.92): they read the same alarm words, the write is its cause."""
READS = "alarm_setting"
WINDOW = timedelta(hours=6)
"""How long before the alarm's first line the write may have been (an operator rolls nodes one by one)."""
SLACK = timedelta(minutes=2)
MAX_OBJECTS = 4
DEFAULT_HIGH_SHARE = 85.0
"""Elasticsearch's default high watermark: a flood stage at or below it calls a disk full that is not."""


@dataclass(frozen=True)
class Threshold:
    """One component's resource alarm, the setting that places it, and what the alarm does to its clients."""

    component: str
    words: tuple[str, ...]
    """Words of a pod's name, namespace or image that say it runs the component itself."""
    alarm: re.Pattern[str]
    setting: re.Pattern[str]
    """The setting and its value (groups `key`, `value`) in a config text, env or custom resource."""
    does: str
    own_line: re.Pattern[str]
    """What only the component's own log line carries (an Erlang process id, the monitor's logger), not a client."""


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("RabbitMQ", ("rabbitmq", "rabbit"),
              re.compile(r"disk resource limit alarm set on node|Free disk space is insufficient", re.I),
              re.compile(r"(?P<key>disk_free_limit(?:\.absolute|\.relative)?|RABBITMQ_DISK_FREE_LIMIT)"
                         r"[\"']?\s*(?:[=:]|,\s*\"?value\"?\s*:)\s*[\"']?(?P<value>[\d.]+[ \t]*[A-Za-z]*)", re.I),
              "RabbitMQ raises its disk alarm when a node's free disk is below that limit and then blocks every "
              "publishing connection cluster-wide (connection.blocked), so publishers hang until it clears",
              re.compile(r"<\d+\.\d+\.\d+>|\[(?:warning|info)\]\s+<")),
    Threshold("Elasticsearch", ("elasticsearch", "opensearch", "elastic"),
              re.compile(r"(?:flood[- ]stage|high) disk watermark \[[^\]]+\] exceeded", re.I),
              re.compile(r"(?P<key>cluster\.routing\.allocation\.disk\.watermark\.(?:flood_stage|high))"
                         r"[\"']?\s*[=:]\s*[\"']?(?P<value>[\d.]+[ \t]*(?:%|[A-Za-z]+)?)", re.I),
              "past the flood-stage watermark every index with a shard on the node is made read-only "
              "(index.blocks.read_only_allow_delete), so every writer's index and bulk requests are refused",
              re.compile(r"DiskThresholdMonitor|\[o\.[eo]\.c\.r\.a\.")),
)

_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
          "ki": 1024, "kib": 1024, "mi": 1024 ** 2, "mib": 1024 ** 2, "gi": 1024 ** 3, "gib": 1024 ** 3,
          "ti": 1024 ** 4, "tib": 1024 ** 4}
_STORAGE = re.compile(r"[\"']?storage[\"']?\s*:\s*[\"']?(?P<size>\d+(?:\.\d+)?\s*[KMGT]i?)[\"']?", re.I)
_MEMORY = re.compile(r"[\"']?limits[\"']?\s*:\s*\{[^}]*[\"']?memory[\"']?\s*:\s*[\"']?(?P<size>\d+(?:\.\d+)?\s*"
                     r"[KMGT]i?)", re.I)
_FREE = re.compile(r"Free bytes:\s*(?P<free>\d+)", re.I)
_ERLANG = re.compile(r"\{\s*(?P<key>[a-z_]+)\s*,\s*(?:\{\s*(?P<form>mem_relative|absolute)\s*,\s*)?"
                     r"\"?(?P<value>[\d.]+[ \t]*[A-Za-z]*)\"?\s*\}")
"""A setting in Erlang terms (RabbitMQ's advanced.config / classic rabbitmq.config):
`{disk_free_limit, {mem_relative, 1.5}}`, `{disk_free_limit, {absolute, "50GB"}}`, `{disk_free_limit, 5000000}`."""


def _flat(node: Any, path: str = "") -> list[str]:
    """Nested settings as `dotted.key: value` lines (elasticsearch.yml, an ECK `config` or Helm values may nest
    `cluster: {routing: {allocation: ...}}` instead of writing the dotted key), config files held as strings
    parsed as YAML when they are a mapping."""
    if isinstance(node, dict):
        return [line for k, v in node.items() for line in _flat(v, f"{path}.{k}" if path else str(k))]
    if isinstance(node, list):
        return [line for v in node for line in _flat(v, path)]
    if isinstance(node, str) and "\n" in node and ":" in node:
        try:
            parsed = yaml.safe_load(node)
        except yaml.YAMLError:
            parsed = None
        return _flat(parsed, "") if isinstance(parsed, dict) else []
    return [f"{path}: {node}"] if path and node is not None and not isinstance(node, bool) else []


def settings_text(obj: dict[str, Any]) -> str:
    """An object's spec and data as text a setting pattern can read: the JSON itself (config files held as
    strings read as text), every nested key also written dotted, Erlang-term settings written `key.form = value`."""
    held = {k: obj.get(k) for k in ("spec", "data")}
    text = json.dumps(held, default=str).replace("\\n", "\n").replace('\\"', '"')
    erlang = [f"{m.group('key')}{'.relative' if m.group('form') == 'mem_relative' else ''} = {m.group('value')}"
              for m in _ERLANG.finditer(text)]
    return "\n".join([text, *_flat(held), *erlang])


def size_bytes(text: str) -> float | None:
    """`50GB`, `40Gi`, `512MiB` as bytes; None when not a size."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    if found is None or found.group(2).lower() not in _UNITS:
        return None
    return float(found.group(1)) * _UNITS[found.group(2).lower()]


def _gib(value: float) -> str:
    return f"{value / 1024 ** 3:.1f}".rstrip("0").rstrip(".") + "GiB"


@dataclass
class Hit:
    """A write that set a component's alarm threshold where its node cannot be, and the alarm that followed."""

    threshold: Threshold
    target: Ref
    change: dict[str, Any]
    key: str
    value: str
    alarm_at: datetime
    line: str
    pods: list[str]
    volume: float | None = None
    free: float | None = None
    memory: float | None = None
    evidence: list[str] = field(default_factory=list)

    def why(self) -> str:
        """Why the threshold is out of reach, or "" when the values do not show it (a real full disk)."""
        value = self.value.strip()
        if self.threshold.component == "RabbitMQ":
            limit = size_bytes(value) if not self.key.lower().endswith("relative") else None
            if self.key.lower().endswith("relative") and self.memory is not None:
                try:
                    limit = float(value) * self.memory
                except ValueError:
                    limit = None
            if limit is None:
                return ""
            if self.volume is not None and limit >= self.volume:
                return (f"above the {_gib(self.volume)} volume itself: a node can never have that much free, so the "
                        "alarm is set from the first boot and never clears")
            if self.volume is not None and limit >= self.volume / 2:
                return (f"more than half of the {_gib(self.volume)} volume must stay free, so the alarm is set "
                        "with the disk mostly empty")
            if self.free is not None and limit > self.free and self.volume is None and self.free >= 5 * 1024 ** 3:
                return f"above the {_gib(self.free)} the node has free, so the alarm is set at boot"
            return ""
        if value.endswith("%"):
            try:
                share = float(value[:-1])
            except ValueError:
                return ""
            return (f"below the {DEFAULT_HIGH_SHARE:g}% Elasticsearch itself calls only 'high': a disk {value} used "
                    "now counts as full") if share < DEFAULT_HIGH_SHARE else ""
        floor = size_bytes(value)
        if floor is not None and self.volume is not None and floor >= self.volume / 2:
            return (f"a free-space floor of at least half the {_gib(self.volume)} volume, so a mostly empty disk "
                    "counts as full")
        return ""


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


def _runs(facts: Facts, log: LogEvidence, threshold: Threshold) -> bool:
    """Whether the log's pod is the component itself (its name, namespace or image), not a client quoting it."""
    images = " ".join(str(c.get("image")) for o, _ in facts.objects if o.get("kind") == "Pod" and
                      (o.get("metadata") or {}).get("name") == log.pod
                      for c in (o.get("spec") or {}).get("containers") or [])
    where = f"{log.pod} {log.namespace} {images}".lower()
    return any(w in where for w in threshold.words) or any(
        threshold.alarm.search(t) and threshold.own_line.search(t) for t in
        [str(e.get("example") or e.get("message") or "") for e in log.entries() if e] + log.last_lines)


def _alarm(log: LogEvidence) -> tuple[Threshold, datetime | None, str, float | None] | None:
    """The first alarm line of a log: (threshold, when first seen, the line, free bytes it states)."""
    best: tuple[Threshold, datetime | None, str, float | None] | None = None
    free: float | None = None
    texts = [(str(e.get("example") or e.get("message") or ""), parse_time(e.get("first_seen")))
             for e in log.entries() if e] + [(ln, None) for ln in log.last_lines]
    for text, when in texts:
        said = _FREE.search(text)
        free = float(said.group("free")) if said else free
        for threshold in THRESHOLDS:
            if threshold.alarm.search(text) and (best is None or (when is not None and (best[1] is None or
                                                                                       when < best[1]))):
                best = (threshold, when, " ".join(text.split())[:160], None)
    return (best[0], best[1], best[2], free) if best is not None else None


def _related(name: str, workload: str, kind: str) -> bool:
    """A written object that configures the component's workload: the workload, its owner (`notify-bus` of
    `notify-bus-server`) or, for a pod known to run the component, a ConfigMap in its namespace."""
    return kind == "ConfigMap" or workload.startswith(name) or name.startswith(workload)


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a component's own log reports its resource alarm: the objects written in its namespace
    before the alarm, as YAML, with the threshold setting and volume size they hold."""
    store = _store(facts)
    seen: set[tuple[str, str, str]] = set()
    for log in facts.logs:
        found = _alarm(log)
        if found is None or not log.namespace:
            continue
        own = _runs(facts, log, found[0])
        threshold, when, line, free = found
        alarm_at = when or facts.at
        workload = workload_of_pod(log.pod)
        for entry in store.get("hits") or []:
            if entry["ref"][1] == log.namespace and entry["threshold"] == threshold.component:
                entry["pods"] = sorted(set(entry["pods"]) | {log.pod})
        written = []
        for change, evidence in facts.every_change():
            ref, at_ = Ref.of(change.get("object")), parse_time(change.get("at"))
            if ref is None or at_ is None or ref.namespace != log.namespace or ref.kind == "Pod" or \
                    str(change.get("type") or "") == "deleted" or not alarm_at - WINDOW <= at_ <= alarm_at + SLACK \
                    or not _related(ref.name, workload, ref.kind if own else ""):
                continue  # a pod not named for the component counts as its own only by its owner's write
            if (ref.kind, ref.namespace, ref.name) not in seen:
                seen.add((ref.kind, ref.namespace, ref.name))
                written.append((ref, change, evidence))
        for ref, change, evidence in written[:MAX_OBJECTS]:
            got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-alarm-setting-{ref.name}")
            if got is None:
                continue
            text = settings_text(got[0])
            volume = _STORAGE.search(text)
            memory = _MEMORY.search(text)
            settings = {(m.group("key"), m.group("value").strip()): m for m in threshold.setting.finditer(text)}
            for setting in list(settings.values())[:4]:  # a file may set high and flood_stage: each is read
                store.setdefault("hits", []).append({
                    "threshold": threshold.component, "ref": [ref.kind, ref.namespace, ref.name], "change": change,
                    "key": setting.group("key"), "value": setting.group("value").strip(),
                    "alarm_at": alarm_at.isoformat(), "line": line, "pods": [log.pod], "free": free,
                    "volume": size_bytes(volume.group("size")) if volume else None,
                    "memory": size_bytes(memory.group("size")) if memory else None,
                    "evidence": [e for e in (evidence, got[1], log.evidence_id) if e]})


def found(facts: Facts) -> list[Hit]:
    """Writes that set an alarm threshold out of the node's reach, each followed (not preceded) by the alarm."""
    out: list[Hit] = []
    for entry in _store(facts).get("hits") or []:
        threshold = next((t for t in THRESHOLDS if t.component == entry["threshold"]), None)
        when, alarm_at = parse_time(entry["change"].get("at")), parse_time(entry["alarm_at"])
        if threshold is None or when is None or alarm_at is None or alarm_at < when - SLACK:
            continue  # the alarm was up before the write: not its doing
        hit = Hit(threshold, Ref(*entry["ref"]), entry["change"], entry["key"], entry["value"], alarm_at,
                  entry["line"], entry["pods"], entry.get("volume"), entry.get("free"), entry.get("memory"),
                  list(entry["evidence"]))
        if hit.why() and not any(h.target.same_object(hit.target) for h in out):
            out.append(hit)
    return out


def finding(hit: Hit) -> dict[str, Any]:
    """The written object and the threshold's meaning first (the ranking quotes ~400 characters), then the alarm."""
    when = parse_time(hit.change.get("at"))
    ahead = minutes_text(int((hit.alarm_at - when).total_seconds() // 60)) if when else "?"
    alarm = "disk alarm" if hit.threshold.component == "RabbitMQ" else "flood-stage disk watermark"
    message = (f"{hit.target} set {hit.key} = {hit.value}, {hit.why()}: {hit.threshold.does}. "
               f"The {alarm} followed the write by {ahead} on {len(hit.pods)} node(s): '{hit.line[:110]}'. "
               f"Set {hit.key} back to a value the volume can hold")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": hit.target.kind, "namespace": hit.target.namespace, "name": hit.target.name},
            "reason": "AlarmThresholdOutOfReach", "message": message,
            "evidence": [str(hit.change.get("summary") or "")[:200], hit.line],
            "details": {"component": hit.threshold.component, "key": hit.key, "value": hit.value,
                        "volume": hit.volume, "alarm_at": hit.alarm_at.isoformat()}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the written object, finding, evidence ids, the component's pods and workload it explains)."""
    out = []
    for hit in found(facts):
        pods = [Ref("Pod", hit.target.namespace, p) for p in hit.pods]
        workloads = list(dict.fromkeys(Ref("StatefulSet", hit.target.namespace, workload_of_pod(p))
                                       for p in hit.pods))
        out.append((hit.target, finding(hit), hit.evidence, [*pods, *workloads]))
    return out
