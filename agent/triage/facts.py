"""The typed facts triage reads, gathered from the structured answers of the survey's tools.

Each tool answers with an MCP output schema (the scan's `ScanResult`, the change timeline's
`ChangesResult`, `Topology`, the log facts of `k8s_logs`); the hub hands them over as plain dicts.
Triage reads them through these small accessors rather than the servers' pydantic classes so it
also works with a Kubernetes server of an older or newer Vigil, whose models may carry more fields.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Ref:
    """One Kubernetes object, as findings and changes name it."""

    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, value: Any) -> Ref | None:
        if not isinstance(value, dict) or not value.get("name"):
            return None
        return cls(str(value.get("kind") or ""), str(value.get("namespace") or ""), str(value["name"]))

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}".strip()

    def same_object(self, other: Ref) -> bool:
        return (self.name == other.name and (not self.namespace or not other.namespace
                                             or self.namespace == other.namespace)
                and (not self.kind or not other.kind or self.kind.lower() == other.kind.lower()))


@dataclass
class LogEvidence:
    """The most telling error of one pod's logs, and the hosts its errors name."""

    pod: str
    namespace: str
    evidence_id: str
    top: dict[str, Any] | None
    hosts: list[str]
    error_classes: set[str]
    previous: bool
    more: list[dict[str, Any]] = field(default_factory=list)
    """The next errors of the same logs, error or fatal only."""
    warnings: list[dict[str, Any]] = field(default_factory=list)
    """The warnings of the same logs: a client often names the setting it trips in a warning before it fails."""
    last_lines: list[str] = field(default_factory=list)
    """The last lines the container printed: where a crashed or failed process says its final word
    (a `detail:` or `Caused by:` line that no error template carries)."""

    def entries(self) -> list[dict[str, Any]]:
        """The top error, the next errors, then the warnings: every classified entry of these logs."""
        return [self.top or {}, *self.more, *self.warnings]


def workloads_touched(change: dict[str, Any], target: Ref, kinds: tuple[str, ...]) -> list[Ref]:
    """The workloads (of `kinds`) one change touched: its object when it is one, then the workloads the timeline
    relates to it (the readers of a written ConfigMap), whose pods are where the write shows."""
    refs = [target] if target.kind in kinds else []
    return refs + [r for r in (Ref.of(x) for x in change.get("related") or []) if r is not None and r.kind in kinds]


def said_by(entry: dict[str, Any]) -> str:
    """The words a log entry printed: its example line, else its message, else its template ("" when none)."""
    return str(entry.get("example") or entry.get("message") or entry.get("template") or "")


def all_said(entry: dict[str, Any]) -> str:
    """What a log entry said in both its wordings, message and example line: a framework's header line may be the
    example while the message holds the words a check looks for."""
    return " ".join(dict.fromkeys(str(entry.get(k)) for k in ("message", "example") if entry.get(k))) \
        or said_by(entry)


def error_words(entry: dict[str, Any]) -> str:
    """Every word a log entry keeps of an error (its exception, message, example line and template) in one text:
    what a check searches when the words it needs may sit in any of them."""
    return " ".join(str(entry.get(k) or "") for k in ("exception", "message", "example", "template"))


def shortest_saying(log: LogEvidence, pattern: re.Pattern[str]) -> tuple[str, datetime | None]:
    """The shortest of a pod's log entries whose words match `pattern` (the clearest line to quote), and when such
    entries were first seen; ("", None) when none does."""
    hits = [e for e in log.entries() if pattern.search(all_said(e))]
    if not hits:
        return "", None
    first = min((t for t in (parse_time(e.get("first_seen")) for e in hits) if t is not None), default=None)
    return all_said(min(hits, key=lambda e: len(all_said(e)))), first


def written_by(change: dict[str, Any]) -> str:
    """The manager a timeline write's summary names (`ConfigMap shop/web written by kubectl-edit: data.x`,
    `... written by helm (now '3')`), "" when it names none: who made the write, for the finding to say."""
    summary = str(change.get("summary") or "")
    return summary.split(" written by ", 1)[1].split(":")[0].split(" (")[0] if " written by " in summary else ""


@dataclass
class Facts:
    """Everything the survey learned, each piece with the evidence id that proves it."""

    at: datetime
    scan: dict[str, Any] | None = None
    scan_id: str | None = None
    changes: dict[str, Any] | None = None
    changes_id: str | None = None
    topologies: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    logs: list[LogEvidence] = field(default_factory=list)
    metrics: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    """`prom_query` answers the survey asked for a suspect (a datastore's connection gauges)."""
    objects: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    """Objects a suspect check read one by one (a PeerAuthentication, a pod's containers), in Kubernetes' shape."""
    history: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    """Longer change timelines (`k8s_changes` answers) a suspect check asked for (a retention edited weeks ago)."""
    reads: dict[str, Any] = field(default_factory=dict)
    """What a suspect check read that fits no field above (grepped log lines, range series), keyed by its module."""

    def findings(self) -> list[dict[str, Any]]:
        return [f for f in (self.scan or {}).get("findings") or [] if isinstance(f, dict)]

    def change_list(self) -> list[dict[str, Any]]:
        return [c for c in (self.changes or {}).get("changes") or [] if isinstance(c, dict)]

    def recent_writes(self, kinds: tuple[str, ...], lead: timedelta) -> list[tuple[dict[str, Any], Ref]]:
        """The survey timeline's writes (deletions left out) to objects of `kinds` made within `lead` before the
        incident, the first listed per object: what a module that suspects a recent edit of one kind reads."""
        out: list[tuple[dict[str, Any], Ref]] = []
        for change, _, target in self.writes_to(kinds, within=lead, deletions=False, timeline_only=True):
            if not any(t.same_object(target) for _, t in out):
                out.append((change, target))
        return out

    def configmap_value(self, target: Ref, key: str) -> str | None:
        """A ConfigMap data key's current value, from the objects the survey read (None: not read or no such key).

        A change line often says only "key set"; the value it was set to is read back from the object itself."""
        obj = self.object_named("ConfigMap", target.namespace, target.name)
        value = (obj.get("data") or {}).get(key) if obj is not None else None
        return str(value) if value is not None else None

    def object_named(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        """The object of that kind, namespace and name the survey read (the first), or None when none was read.

        An answer that leaves `kind` out counts: a built-in kind's `k8s_get` answer may, and it was asked for by
        kind, so its name and namespace say which object it is."""
        for obj, _ in self.objects:
            meta = obj.get("metadata") or {}
            if obj.get("kind", kind) == kind and meta.get("name") == name \
                    and (meta.get("namespace") or "") == namespace:
                return obj
        return None

    def history_reaches(self, span: timedelta) -> bool:
        """Whether a change history already read reaches `span` back from the incident (no need to read another)."""
        for data, _ in self.history:
            start = parse_time(data.get("window_start"))
            if start is not None and self.at - start >= span - timedelta(minutes=1):
                return True
        return False

    def writes_to(self, kinds: Collection[str] | None, within: timedelta | None = None, deletions: bool = True,
                  until: datetime | None = None, timeline_only: bool = False) -> list[tuple[dict[str, Any], str, Ref]]:
        """`every_change()`'s writes to objects of `kinds` (any case), in its order, each with the evidence id of the
        read that shows it and its target. The one filter of the modules that suspect a write to a few kinds.

        `kinds=None`: writes to any kind (a module that judges a write by what it wrote, not by what it wrote to).
        `within`: only writes made at most that long before `until` (the incident unless given: a module that times
        its suspects from when a symptom was first seen passes that moment). `deletions=False` leaves deletions out.
        `timeline_only`: only the survey's own timeline, not the longer histories other modules read (a module
        whose window is the survey's, and whose answer must not depend on which other modules looked further back)."""
        wanted = None if kinds is None else {k.lower() for k in kinds}
        end = self.at if until is None else until
        changes = [(c, self.changes_id or "") for c in self.change_list()] if timeline_only else self.every_change()
        out: list[tuple[dict[str, Any], str, Ref]] = []
        for change, evidence in changes:
            target = Ref.of(change.get("object"))
            if target is None or (wanted is not None and target.kind.lower() not in wanted):
                continue
            if not deletions and change.get("type") == "deleted":
                continue
            if within is not None:
                at = parse_time(change.get("at"))
                if at is None or not timedelta(0) <= end - at <= within:
                    continue
            out.append((change, evidence, target))
        return out

    def newest_write(self, kind: str, name: str, obj: dict[str, Any] | None = None,
                     created: str = "created") -> tuple[dict[str, Any], str] | None:
        """The newest write of the `kind` object named `name` in the timelines read, with its evidence id; else, when
        `obj` (the object as read) records its creation, that creation as a write by its managers (evidence ""):
        an object whose fields cannot be edited (a StorageClass's parameters) shows a new value only by being
        deleted and created again. `created` is the word the made-up summary says it with."""
        writes = [(c, e) for c, e, r in self.writes_to((kind,)) if r.name == name]
        if writes:
            return max(writes, key=lambda w: str(w[0].get("at")))
        meta = (obj or {}).get("metadata") or {}
        if not meta.get("creationTimestamp"):
            return None
        managers = sorted({str(m.get("manager")) for m in meta.get("managedFields") or [] if isinstance(m, dict)})
        who = f" by {', '.join(managers)}" if managers else ""
        return ({"at": meta["creationTimestamp"], "type": "create",
                 "object": {"kind": kind, "namespace": "", "name": name},
                 "summary": f"{kind} {name} {created}{who}", "diff": []}, "")

    def every_change(self) -> list[tuple[dict[str, Any], str]]:
        """The survey's timeline, then every longer history a module read, each write once (by time and object),
        with the evidence id of the read that shows it: modules that look further back than 6 h share one view."""
        seen: set[tuple[str, str]] = set()
        out: list[tuple[dict[str, Any], str]] = []
        sources = [(c, self.changes_id or "") for c in self.change_list()]
        sources += [(c, e) for h, e in self.history for c in h.get("changes") or [] if isinstance(c, dict)]
        for change, evidence in sources:
            key = (str(change.get("at")), str(change.get("object")))
            if key not in seen:
                seen.add(key)
                out.append((change, evidence))
        return out


def last_lines(text: str, count: int = 2) -> list[str]:
    """The last `count` non-empty lines of a rendered log answer, without its header line."""
    lines = [ln.strip() for ln in text.splitlines()[1:] if ln.strip() and not ln.startswith(("====", "("))]
    return lines[-count:]


def log_evidence(data: dict[str, Any], evidence_id: str) -> LogEvidence | None:
    """The log facts of one `k8s_logs`/`loki_query` answer (its `facts` field), or None without any."""
    facts = data.get("facts") if isinstance(data.get("facts"), dict) else data
    if not isinstance(facts, dict) or "errors" not in facts:
        return None
    errors = [e for e in facts.get("errors") or [] if isinstance(e, dict)]
    top = errors[0] if errors else None
    return LogEvidence(pod=str(data.get("pod") or ""), namespace=str(data.get("namespace") or ""),
                       evidence_id=evidence_id, top=top,
                       hosts=[str(h) for h in facts.get("hosts") or []],
                       error_classes={str(e.get("error_class")) for e in errors if e.get("error_class")},
                       previous=bool(data.get("previous")),
                       more=[e for e in errors[1:] if e.get("severity") in ("error", "fatal")],
                       warnings=[e for e in errors if e.get("severity") == "warning"][:10])


def minutes_text(minutes: int) -> str:
    """`95 min`, or `15 h 40 min` from two hours on: how long before the alert, as a finding says it."""
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 120 else f"{minutes} min"


_EPOCH = re.compile(r"(\d+)(\.\d+)?$")
_EPOCH_SCALE = {10: 1, 13: 1_000, 16: 1_000_000, 19: 1_000_000_000}
"""Epoch digit counts (for the years 2001-2286) and their divisor to seconds; a fraction is read on seconds only."""


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time, or an epoch as JSON loggers print it, which the log facts keep as the entry's first_seen:
    seconds (logrus/structlog `"ts": 1796207460`, with a fraction as zap's and Python's `"ts": 1796207460.123`),
    milliseconds (pino's and bunyan's `"time": 1796207460000`), microseconds, or nanoseconds (OpenTelemetry's
    `timeUnixNano`, zap's epochnanos). The digit count before any fraction says the unit."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = repr(value) if isinstance(value, float) else str(value)
    if not isinstance(value, str) or not value:
        return None
    epoch = _EPOCH.match(value.strip())
    if epoch:
        scale = _EPOCH_SCALE.get(len(epoch.group(1)))
        if scale is not None and (scale == 1 or not epoch.group(2)):
            return datetime.fromtimestamp(int(epoch.group(1)) / scale + float(f"0{epoch.group(2) or ''}"), tz=UTC)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
