"""A component's own resource alarm: what its words mean, and the setting whose change let it fire.

Some datastores stop taking writes on a limit of their own, and say so with words that sound like a
full disk while the disk is fine:

- etcd: "etcdserver: mvcc: database space exceeded" and the `NOSPACE` alarm ("alarm raised ... NOSPACE").
  The backend database reached its quota (`--quota-backend-bytes`, `ETCD_QUOTA_BACKEND_BYTES`, 2 GiB by
  default), usually because nothing compacts the key history (`--auto-compaction-retention`/`-mode`).
  etcd stays read-only until the history is compacted, the database defragmented and the alarm disarmed
  (`etcdctl alarm disarm`); a bigger volume changes nothing.
- RabbitMQ: "memory resource limit alarm set on node" (`vm_memory_high_watermark`) blocks every publishing
  connection; "disk resource limit alarm set on node" (`disk_free_limit`) does the same for free disk.
- Elasticsearch: "flood stage disk watermark [95%] exceeded" makes indices read-only (a disk alarm, read by
  agent.triage.full_volume); "CircuitBreakingException: [parent] Data too large" is the heap's breaker
  (`indices.breaker.total.limit`, the JVM heap), not storage.
- Kafka: "Throttling ... quota" / `ThrottleTimeMs` is a client quota (`producer_byte_rate`), not the disk.

A quota alarm therefore never makes a full-volume finding by itself (`quota_alarm`, read by
agent.triage.full_volume's guard): the volume's own evidence (kubelet_volume_stats, "No space left on
device") must say so. The finding names the workload running the component, the alarm's meaning, its own
gauges (size against quota) and the rollout that removed the setting that kept it below the limit (a
ControllerRevision or ReplicaSet diff that dropped `auto-compaction` from the args or env).

The survey reads (`read`): the component's gauges and the workload's rollout history. `raised` is pure.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject, workload_of_pod

CHECK = "component.alarm"
WEIGHT = 0.93
"""Above a full volume's (0.92): when both read the same words, the component's own limit is the cause."""


@dataclass(frozen=True)
class Alarm:
    """One kind of resource alarm of one component, in its own words."""

    component: str
    name: str
    pattern: re.Pattern[str]
    meaning: str
    fix: str
    quota: bool
    """A limit of the component's own (not the volume): a "space"/"full" word here is no full disk."""
    settings: re.Pattern[str] | None = None
    """The settings (flags, env, config keys) that keep it below the limit or set the limit."""
    used: str = ""
    limit: str = ""
    in_use: str = ""
    """Gauges: what is used, the limit, and (etcd) the logical size still in use after compaction."""


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


ALARMS: tuple[Alarm, ...] = (
    Alarm("etcd", "NOSPACE", _re(r"mvcc: database space exceeded|\bNOSPACE\b|alarm:\s*NOSPACE"),
          "the backend database reached its quota (quota-backend-bytes), not the disk, so etcd rejects writes",
          "compaction, defrag of each member, `etcdctl alarm disarm`; restore auto-compaction",
          True, _re(r"auto[-_]compaction[-_](?:retention|mode)|quota[-_]backend[-_]bytes"),
          "etcd_mvcc_db_total_size_in_bytes", "etcd_server_quota_backend_bytes",
          "etcd_mvcc_db_total_size_in_use_in_bytes"),
    Alarm("RabbitMQ", "memory alarm", _re(r"memory resource limit alarm set on node|"
                                          r"vm_memory_high_watermark (?:set|exceeded)"),
          "RabbitMQ's memory alarm (vm_memory_high_watermark): the broker blocks every publishing connection "
          "until memory falls below the watermark", "let consumers drain the queues or raise the watermark",
          True, _re(r"vm_memory_high_watermark|RABBITMQ_VM_MEMORY_HIGH_WATERMARK|total_memory_available_override"),
          "rabbitmq_process_resident_memory_bytes", "rabbitmq_resident_memory_limit_bytes"),
    Alarm("RabbitMQ", "disk alarm", _re(r"disk resource limit alarm set on node|free disk space is insufficient"),
          "RabbitMQ's disk alarm (disk_free_limit): free disk fell below the limit and publishers are blocked",
          "free disk under the broker's data or lower disk_free_limit", False, _re(r"disk_free_limit"),
          "rabbitmq_disk_space_available_bytes", "rabbitmq_disk_space_available_limit_bytes"),
    Alarm("Elasticsearch", "circuit breaker", _re(r"CircuitBreakingException|\[parent\] Data too large|"
                                                  r"circuit_breaking_exception"),
          "Elasticsearch's parent circuit breaker tripped: the JVM heap is near indices.breaker.total.limit, so "
          "requests are refused (a heap limit, not storage)", "give the heap room (ES_JAVA_OPTS -Xmx) or shrink "
          "the requests", True, _re(r"indices\.breaker|-Xmx|ES_JAVA_OPTS|heap")),
    Alarm("Kafka", "client quota", _re(r"throttl\w* (?:due to|by) (?:a )?(?:client )?quota|quota violation"),
          "a Kafka client quota (producer_byte_rate/consumer_byte_rate) throttles the client, not the disk",
          "raise the client's quota or spread its load", True, _re(r"producer_byte_rate|consumer_byte_rate")),
)

NO_SPACE = _re(r"No space left on device|\bENOSPC\b|Errcode: 28\b|OS errno 28\b")
"""The operating system's own words for a full filesystem: the volume's evidence."""


def alarm_of(line: str) -> Alarm | None:
    """The resource alarm a log line reports, or None."""
    return next((a for a in ALARMS if a.pattern.search(line)), None)


def quota_alarm(line: str) -> bool:
    """Whether the line is a component's own quota alarm (etcd NOSPACE...), whose space words are no full disk."""
    alarm = alarm_of(line)
    return alarm is not None and alarm.quota and NO_SPACE.search(line) is None


def _lines(log: LogEvidence) -> list[str]:
    out = [str(e.get(k)) for e in [log.top or {}, *log.more, *log.warnings] for k in ("message", "example")
           if e.get(k)]
    return out + list(log.last_lines)


def disk_said(logs: list[LogEvidence]) -> bool:
    """Whether any of these logs says the filesystem itself is full."""
    return any(NO_SPACE.search(line) for log in logs for line in _lines(log))


# ---- reading (the survey) ------------------------------------------------------------------------------


@dataclass
class Raised:
    """A component that raised a resource alarm: where, in which words, its gauges and the change behind it."""

    alarm: Alarm
    log: LogEvidence
    line: str
    workload: Ref
    used: float | None = None
    limit: float | None = None
    in_use: float | None = None
    removed: list[str] = field(default_factory=list)
    """The rollout's diff lines that dropped or changed the alarm's settings, with the revision first."""
    settings_now: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _first_alarm(log: LogEvidence) -> tuple[Alarm, str] | None:
    for line in _lines(log):
        alarm = alarm_of(line)
        if alarm is not None:
            return alarm, line
    return None


def _owner(facts: Facts, log: LogEvidence) -> Ref:
    """The workload running the pod, from its ownerReferences when the pod was read, else its name's shape."""
    for obj, _ in facts.objects:
        meta = obj.get("metadata") or {}
        if obj.get("kind") == "Pod" and meta.get("name") == log.pod:
            owner = next(iter(meta.get("ownerReferences") or []), None) or {}
            if owner.get("kind") in ("StatefulSet", "DaemonSet"):
                return Ref(str(owner["kind"]), log.namespace, str(owner.get("name")))
            if owner.get("kind") == "ReplicaSet":
                return Ref("Deployment", log.namespace, workload_of_pod(log.pod))
    kind = "StatefulSet" if re.fullmatch(r".+-\d{1,4}", log.pod) else "Deployment"
    return Ref(kind, log.namespace, workload_of_pod(log.pod))


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a log reports a resource alarm: the component's gauges (used against limit) and the
    rollout history of the workload running it (which revision dropped the setting)."""
    seen: set[tuple[str, str]] = set()
    for log in list(facts.logs):
        found = _first_alarm(log)
        if found is None or not log.namespace:
            continue
        alarm, _ = found
        if not runs_component(facts, log, alarm.component):
            continue
        ref = _owner(facts, log)
        if (ref.namespace, ref.name) in seen:
            continue
        seen.add((ref.namespace, ref.name))
        names = "|".join(n for n in (alarm.used, alarm.limit, alarm.in_use) if n)
        if names:
            query = f'{{__name__=~"{names}", namespace="{log.namespace}"}}'
            outcome = await call("prom_query", {"query": query, "time": at}, f"survey-alarm-gauges-{ref.name}")
            if outcome is not None and outcome.ok and isinstance(outcome.data, dict) and outcome.data.get("samples"):
                facts.metrics.append((outcome.data, outcome.evidence_id))
        history = await call("k8s_rollout_history", {"name": ref.name, "namespace": ref.namespace, "kind": ref.kind},
                             f"survey-alarm-history-{ref.name}")
        if history is not None and history.ok and isinstance(history.data, dict):
            facts.objects.append(({"kind": "RolloutHistory", "pod": log.pod, "history": history.data},
                                  history.evidence_id))


# ---- judging (the ranking) ----------------------------------------------------------------------------


def _gauges(facts: Facts, raised: Raised) -> None:
    """The largest used/limit/in-use values among the component's pods (the member nearest the limit)."""
    alarm = raised.alarm
    wanted = {alarm.used: "used", alarm.limit: "limit", alarm.in_use: "in_use"}
    wanted.pop("", None)
    for data, evidence_id in facts.metrics:
        for sample in data.get("samples") or []:
            if not isinstance(sample, dict) or not isinstance(sample.get("value"), (int, float)):
                continue
            labels = sample.get("labels") or {}
            which = wanted.get(str(labels.get("__name__") or ""))
            pod = str(labels.get("pod") or str(labels.get("instance") or "").split(":")[0])
            if which is None or workload_of_pod(pod) != raised.workload.name:
                continue
            value = float(sample["value"])
            if getattr(raised, which) is None or value > getattr(raised, which):
                setattr(raised, which, value)
                if evidence_id not in raised.evidence:
                    raised.evidence.append(evidence_id)


def _history(facts: Facts, raised: Raised) -> None:
    """The newest revision whose diff touched the alarm's settings, and the settings the newest revision keeps."""
    settings = raised.alarm.settings
    if settings is None:
        return
    for obj, evidence_id in facts.objects:
        history = obj.get("history") if obj.get("kind") == "RolloutHistory" else None
        if not isinstance(history, dict) or history.get("name") != raised.workload.name or \
                (history.get("namespace") or "") != raised.workload.namespace:
            continue
        raised.workload = Ref(str(history.get("kind") or raised.workload.kind), raised.workload.namespace,
                              raised.workload.name)
        revisions = [r for r in history.get("revisions") or [] if isinstance(r, dict)]
        for rev in reversed(revisions):
            lines = [str(c) for c in rev.get("changes") or [] if settings.search(str(c))]
            if lines:
                cause = str(rev.get("change_cause") or "")
                raised.removed = [f"revision {rev.get('revision')} at {rev.get('created') or '?'}"
                                  + (f" ({cause[:60]})" if cause else ""), *(ln[:600] for ln in lines[:3])]
                raised.evidence.append(evidence_id)
                return


COMPONENT_WORDS = {"etcd": ("etcd",), "RabbitMQ": ("rabbitmq", "rabbit"),
                   "Elasticsearch": ("elasticsearch", "opensearch", "elastic"), "Kafka": ("kafka",)}
"""Words of a pod's name or image that say it runs the component (its clients relay the same words)."""


def runs_component(facts: Facts, log: LogEvidence, component: str) -> bool:
    """Whether the log's pod runs the component itself (name or image), not a client relaying its words."""
    words = COMPONENT_WORDS.get(component, (component.lower(),))
    images = " ".join(str(c.get("image")) for o, _ in facts.objects if o.get("kind") == "Pod" and
                      (o.get("metadata") or {}).get("name") == log.pod
                      for c in (o.get("spec") or {}).get("containers") or [])
    return any(w in log.pod.lower() or w in images.lower() for w in words)


def raised(facts: Facts) -> list[Raised]:
    """Each workload whose own logs report a resource alarm, with its gauges and the change that let it fire.
    A disk alarm (not a quota) is left to agent.triage.full_volume; a client quoting the alarm is a victim."""
    out: list[Raised] = []
    for log in facts.logs:
        found = _first_alarm(log)
        if found is None or not found[0].quota or not runs_component(facts, log, found[0].component):
            continue
        alarm, line = found
        ref = _owner(facts, log)
        if any(r.workload.same_object(ref) or (r.workload.namespace, r.workload.name) == (ref.namespace, ref.name)
               for r in out):
            continue
        item = Raised(alarm, log, line, ref, evidence=[log.evidence_id])
        _gauges(facts, item)
        _history(facts, item)
        out.append(item)
    return out


def _bytes(value: float) -> str:
    for unit, size in (("TiB", 1024 ** 4), ("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if value >= size:
            return f"{value / size:.2f}".rstrip("0").rstrip(".") + unit
    return f"{value:g}B"


def _quote(line: str, alarm: Alarm, width: int = 90) -> str:
    text = " ".join(line.split())
    found = alarm.pattern.search(text)
    start = max(0, (found.start() if found else 0) - 30)
    return ("..." if start else "") + text[start:start + width]


MESSAGE_BUDGET = 390
"""The ranking quotes about 400 characters: the alarm, the gauges and the change come first."""


def _list_diff(line: str) -> str:
    """`etcd args [a, b, c] -> [a]` as `args dropped b c` (and what was added), or "" when not a list diff."""
    found = re.match(r"^\S+ (args|command) (\[.*\]) -> (\[.*\])$", line.strip())
    if found is None:
        return ""
    try:
        old, new = ast.literal_eval(found.group(2)), ast.literal_eval(found.group(3))
    except (ValueError, SyntaxError):
        return ""
    if not isinstance(old, list) or not isinstance(new, list):
        return ""
    dropped = [str(x) for x in old if x not in new]
    added = [str(x) for x in new if x not in old]
    parts = ([f"{found.group(1)} dropped {' '.join(dropped)}"] if dropped else []) + \
        ([f"added {' '.join(added)}"] if added else [])
    return ", ".join(parts)


def _settings_changed(item: Raised) -> str:
    """The settings the revision touched, shortly: `dropped ETCD_AUTO_COMPACTION_RETENTION=1` or the diff line."""
    settings = item.alarm.settings
    parts: list[str] = []
    for line in item.removed[1:]:
        names = list(dict.fromkeys(m.group(0) for m in settings.finditer(line))) if settings else []
        gone = line.rstrip().endswith(("-> unset", "-> None", "removed", "-> []"))
        before = line.split("->")[0].split(" env ")[-1].strip()
        listed = _list_diff(line)
        if listed:
            parts.append(listed[:160])
        elif gone and names:
            parts.append(f"dropped {before[:60]}")
        else:
            parts.append(line[:100])
    return "; ".join(dict.fromkeys(parts))


def finding(item: Raised) -> dict[str, Any]:
    """The workload running the component, as a scan-shaped finding: the alarm and its gauges, the change that
    removed its safeguard, the component's words, then what it means and the fix (about 400 characters quoted)."""
    alarm = item.alarm
    gauges = ""
    if item.used is not None and item.limit:
        bound = "quota" if alarm.quota else "limit"
        gauges = f" ({_bytes(item.used)} of its {_bytes(item.limit)} {bound}, {100 * item.used / item.limit:.0f}%)"
    change = ""
    if item.removed:
        change = f"; {item.removed[0].split(' (')[0]} {_settings_changed(item)}"
        if any(re.search(r"compaction", ln, re.I) for ln in item.removed[1:]):
            change += ", so nothing compacts the key history"
    message = f"{item.workload}: {alarm.component} {alarm.name} alarm{gauges}: {alarm.meaning}{change}"
    for more in (f"Fix: {alarm.fix}", f"{item.log.pod}: '{_quote(item.line, alarm, 70)}'"):
        if len(message) + len(more) + 2 <= MESSAGE_BUDGET:
            message += f". {more}"
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": item.workload.kind, "namespace": item.workload.namespace, "name": item.workload.name},
            "reason": "ComponentAlarm", "message": message.strip(),
            "evidence": [_quote(item.line, alarm), *(ln[:200] for ln in item.removed[:3])],
            "details": {"component": alarm.component, "alarm": alarm.name, "pod": item.log.pod,
                        "used": item.used, "limit": item.limit, "removed": item.removed}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(workload, finding, evidence ids, what it explains) for each raised quota alarm: the ranking's hook."""
    out = []
    for r in raised(facts):
        clients = [Ref("", log.namespace, workload_of_pod(log.pod)) for log in facts.logs
                   if log is not r.log and (found := _first_alarm(log)) is not None and found[0] is r.alarm and
                   not runs_component(facts, log, r.alarm.component)]
        out.append((r.workload, finding(r), r.evidence, [Ref("Pod", r.workload.namespace, r.log.pod), *clients]))
    return out
