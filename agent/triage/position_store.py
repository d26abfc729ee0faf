"""A log shipper whose read positions stopped surviving a restart: every restart re-ships every file.

An agent that tails files on a node keeps, on disk, how far it read each file (its offsets): Fluent Bit's tail
`DB`, Promtail's `positions.filename`, Vector's `data_dir` checkpoints, Filebeat's registry under `path.data`,
Fluentd's `pos_file`, Logstash's `sincedb_path`, the OpenTelemetry Collector filelog receiver's `storage` extension
directory. The store must outlive the pod (a hostPath, a claim). A change that puts it on an emptyDir (or a tmpfs
emptyDir), leaves it in the container's own filesystem, or drops the setting (offsets in memory only) is harmless
until the pods restart: each new pod then finds no offsets and, where the agent reads a file it has no offset for
from its start (Fluent Bit `Read_from_Head On`, Fluentd `read_from_head true`, filelog `start_at: beginning`; Promtail,
Vector and Filebeat by default), re-reads every log file on its node from the head. The burst arrives at the
receiver as a flood, which refuses it by its ingestion limits (Loki's 429 "ingestion rate limit exceeded",
Elasticsearch's `es_rejected_execution_exception`, Kafka quota throttling, Splunk HEC "server is busy"), so
everyone's fresh logs are delayed or dropped. The alerts are about the receiver; the cause is the shipper.

The survey (`read`, reading only) reads the workloads a change touched in the hours before (DaemonSets first),
the ConfigMaps they mount, and, when a config keeps its positions where a restart loses them and the agent
re-reads from the head, one pod's logs. `found` names the workload (or the ConfigMap that dropped the setting)
only when the agent's own logs (or the receiver's, read by the survey) show pushes refused for a limit. A
store on a hostPath or a claim, an agent that starts at a file's end, or no refusals: nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, log_evidence, minutes_text, parse_time, workloads_touched
from agent.triage.kube_reads import get_yaml, pod_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.positions_ephemeral"
WEIGHT = 0.93
"""The change that made a shipper forget its offsets outranks the receiver's refusals and its load."""
STORE = "position_store"
WINDOW = timedelta(hours=6)
"""How long before the alert the workload's restart (or its config's write) still counts."""
MAX_WORKLOADS = 3
MAX_CONFIGS = 2
WORKLOADS = ("DaemonSet", "Deployment", "StatefulSet")

Call = Callable[..., Awaitable[Any]]

REFUSED = re.compile(
    r"(?:status|code|http)\W{0,3}429\b|Code\(429\)|\b429 Too Many|too many requests|rate[- ]?limit(?:ed)?\b|"
    r"es_rejected_execution|rejected execution|throttl|server is busy|queue (?:is )?full|quota (?:exceeded|violat)|"
    r"circuit_breaking_exception|Too many parts|TOO_MANY_PARTS", re.I)
"""A receiver refusing a push for its ingestion limits, as the shipper or the receiver logs it: Loki's 429
("Ingestion rate limit exceeded", "Per stream rate limit exceeded"), Elasticsearch's bulk rejection, Kafka's
quota throttling, Splunk HEC's 503 "Server is busy", a generic 429 Too Many Requests, Elasticsearch/OpenSearch's
memory breaker (`circuit_breaking_exception`, "Data too large"), ClickHouse's `Too many parts` (TOO_MANY_PARTS)."""

_TELLING = tuple(re.compile(p, re.I) for p in (
    r"ingestion rate limit|per stream rate limit", r"es_rejected_execution", r"too many requests|server is busy|quota",
    r"(?:status|code)\W{0,3}429"))
"""The parts of a refusal line that say which limit, the most telling first: what the quote starts near."""

INGEST_LIMIT = re.compile(r"ingestion rate limit|per stream rate limit|stream limit exceeded|es_rejected_execution|"
                          r"indexer queue is full|server is busy|circuit_breaking_exception|Too many parts", re.I)
"""A log receiver's own words for refusing intake by its ingestion limits (Loki, Elasticsearch, Splunk HEC):
enough on the receiver's side when the shipper's own logs do not say it."""


@dataclass(frozen=True)
class Positions:
    """Where one agent's config keeps its read positions, and whether it re-reads a file it has none for."""

    software: str
    setting: str
    """The setting that places the store, as the agent's documentation names it."""
    path: str | None
    """The directory or file; None when the config keeps positions in memory only (the setting is absent)."""
    rereads: bool
    reread_said: str
    """Why a file without an offset is read from its start (the setting and its value, or the default)."""
    key: str = ""
    """The ConfigMap key the config came from."""


def _on(value: str) -> bool:
    return value.strip().strip("\"'").lower() in ("on", "true", "yes", "1", "beginning")


def _fluent_bit(text: str) -> list[Positions]:
    """Fluent Bit tail inputs (classic `[INPUT]` sections or YAML `pipeline.inputs`): `DB`, `Read_from_Head`."""
    if re.search(r"(?im)^\s*\[INPUT\]", text):
        sections = [s for s in re.split(r"(?m)^\s*\[", text) if s.upper().startswith("INPUT]")]
        pairs = [dict((m.group(1).lower(), m.group(2).strip()) for m in re.finditer(r"(?m)^\s*([\w.]+)\s+(.+)$", s))
                 for s in sections]
    elif re.search(r"(?im)^\s*pipeline:\s*$", text) and re.search(r"(?im)^\s*inputs:\s*$", text):
        after = re.split(r"(?im)^\s*inputs:\s*$", text, maxsplit=1)[1]
        block = re.split(r"(?im)^\s*(?:filters|outputs):\s*$", after)[0]
        pairs = [dict((m.group(1).lower(), m.group(2).strip()) for m in re.finditer(r"(?m)^\s*([\w.]+):\s*(.+)$", s))
                 for s in re.split(r"(?m)^\s*-\s+", block) if s.strip()]
    else:
        return []
    out = []
    for p in pairs:
        if p.get("name", "").strip("\"'").lower() != "tail":
            continue
        head = p.get("read_from_head", "")
        out.append(Positions("Fluent Bit", "DB", p.get("db", "").strip("\"'") or None, _on(head) if head else False,
                             f"Read_from_Head {head or 'Off (default)'}"))
    return out


def _promtail(text: str) -> list[Positions]:
    """Promtail (and the Grafana Agent's static mode): `positions.filename`; a file without a position is read
    from its start."""
    if not re.search(r"(?m)^scrape_configs:\s*$", text) or not re.search(r"(?m)^clients:\s*$", text):
        return []
    block = re.search(r"(?m)^positions:\s*\n((?:[ \t]+.*\n?)*)", text)
    found = re.search(r"(?m)^\s+filename:\s*(\S+)", block.group(1)) if block else None
    path = found.group(1).strip("\"'") if found else "/var/log/positions.yaml"
    return [Positions("Promtail", "positions.filename", path, True,
                      "a file without a position read from its start (Promtail default)")]


def _vector(text: str) -> list[Positions]:
    """Vector: checkpoints of `file`/`kubernetes_logs` sources under `data_dir` (default /var/lib/vector);
    `read_from` defaults to `beginning`."""
    if not re.search(r"""(?m)^\s*type\s*[:=]\s*["']?(?:file|kubernetes_logs)["']?\s*$""", text) or \
            not re.search(r"(?m)^\[?sources", text):
        return []
    found = re.search(r"""(?m)^data_dir\s*[:=]\s*["']?([^"'\s]+)""", text)
    start = re.search(r"""(?m)^\s*read_from\s*[:=]\s*["']?(\w+)""", text)
    rereads = start is None or start.group(1).lower() == "beginning"
    return [Positions("Vector", "data_dir", found.group(1) if found else "/var/lib/vector", rereads,
                      f"read_from {start.group(1) if start else 'beginning (default)'}")]


def _filebeat(text: str) -> list[Positions]:
    """Filebeat: its registry under `path.data` (or `filebeat.registry.path`); new files are read from the start."""
    if not re.search(r"(?m)^filebeat\.(?:inputs|autodiscover):", text):
        return []
    found = re.search(r"""(?m)^\s*(?:filebeat\.registry\.path|path\.data)\s*:\s*["']?([^"'\s]+)""", text)
    tail = re.search(r"(?m)^\s*tail_files:\s*true\b", text)
    return [Positions("Filebeat", "path.data registry", found.group(1) if found else "/usr/share/filebeat/data",
                      tail is None, "tail_files true" if tail else "a new file is read from its start (default)")]


def _fluentd(text: str) -> list[Positions]:
    """Fluentd `in_tail` sources: `pos_file`, `read_from_head` (default false)."""
    out = []
    for block in re.findall(r"(?s)<source>(.*?)</source>", text):
        if not re.search(r"(?m)^\s*@?type\s+tail\b", block):
            continue
        pos = re.search(r"(?m)^\s*pos_file\s+(\S+)", block)
        head = re.search(r"(?m)^\s*read_from_head\s+(\S+)", block)
        out.append(Positions("Fluentd", "pos_file", pos.group(1) if pos else None,
                             bool(head and _on(head.group(1))),
                             f"read_from_head {head.group(1) if head else 'false (default)'}"))
    return out


def _otel(text: str) -> list[Positions]:
    """The OpenTelemetry Collector's filelog receiver: offsets kept by a `storage` extension (file_storage
    `directory`), in memory without one; `start_at` defaults to `end`."""
    receiver = re.search(r"(?m)^(\s+)filelog(?:/\S*)?:\s*\n((?:\1\s+.*\n?)*)", text)
    if receiver is None or not re.search(r"(?m)^receivers:\s*$", text):
        return []
    body = receiver.group(2)
    start = re.search(r"(?m)^\s*start_at:\s*(\w+)", body)
    uses = re.search(r"(?m)^\s*storage:\s*(\S+)", body)
    path = None
    if uses:
        ext = re.search(r"(?m)^\s+" + re.escape(uses.group(1)) + r":\s*\n((?:\s{4,}.*\n?)*)", text)
        directory = re.search(r"(?m)^\s*directory:\s*(\S+)", ext.group(1)) if ext else None
        path = directory.group(1).strip("\"'") if directory else "/var/lib/otelcol/file_storage"
    return [Positions("OpenTelemetry Collector filelog", "storage (file_storage directory)", path,
                      bool(start and start.group(1).lower() == "beginning"),
                      f"start_at {start.group(1) if start else 'end (default)'}")]


def _logstash(text: str) -> list[Positions]:
    """Logstash `file` inputs: `sincedb_path` (default under path.data, /usr/share/logstash/data in its image;
    `/dev/null` keeps none), `start_position` (default `end`; it applies only to files with no sincedb entry)."""
    out = []
    for block in re.findall(r"(?s)\bfile\s*\{(.*?)\}", text):
        if not re.search(r"\bpath\s*=>", block):
            continue
        since = re.search(r"""\bsincedb_path\s*=>\s*["']?([^"'\s]+)""", block)
        start = re.search(r"""\bstart_position\s*=>\s*["']?(\w+)""", block)
        path = since.group(1) if since else "/usr/share/logstash/data/plugins/inputs/file"
        out.append(Positions("Logstash", "sincedb_path", None if path == "/dev/null" else path,
                             bool(start and start.group(1).lower() == "beginning"),
                             f"start_position {start.group(1) if start else 'end (default)'}"))
    return out


PARSERS = (_fluent_bit, _promtail, _vector, _filebeat, _fluentd, _otel, _logstash)


def positions_in(data: dict[str, Any]) -> list[Positions]:
    """Every tail input's position store the files of a ConfigMap's data declare."""
    out: list[Positions] = []
    for key, value in data.items():
        for parse in PARSERS:
            out += [Positions(p.software, p.setting, p.path, p.rereads, p.reread_said, str(key))
                    for p in parse(str(value))]
    return out


@dataclass(frozen=True)
class Place:
    """Where a path lands in a pod: the volume (or none) and whether it survives the pod."""

    volume: str
    what: str
    lasting: bool


def place_of(spec: dict[str, Any], path: str) -> Place:
    """The volume whose mount holds `path` in any container of the pod spec (the longest mount path wins)."""
    volumes = {str(v.get("name")): v for v in spec.get("volumes") or [] if isinstance(v, dict)}
    best: tuple[int, str] | None = None
    for container in spec.get("containers") or []:
        for mount in container.get("volumeMounts") or [] if isinstance(container, dict) else []:
            where = str(mount.get("mountPath") or "").rstrip("/")
            covers = path == where or path.startswith(where + "/") or where == ""
            if covers and (best is None or len(where) > best[0]):
                best = (len(where), str(mount.get("name")))
    if best is None:
        return Place("", "the container's own filesystem (no volume mounts it)", False)
    volume = volumes.get(best[1]) or {}
    if "emptyDir" in volume:
        medium = str((volume.get("emptyDir") or {}).get("medium") or "")
        return Place(best[1], "an emptyDir (tmpfs)" if medium == "Memory" else "an emptyDir", False)
    lasting = any(k in volume for k in ("hostPath", "persistentVolumeClaim", "ephemeral", "csi", "nfs"))
    kind = next((k for k in volume if k != "name"), "volume")
    return Place(best[1], f"a {kind} volume", lasting)


def _configmaps(spec: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for v in spec.get("volumes") or []:
        if not isinstance(v, dict):
            continue
        sources = [v] + [s for s in (v.get("projected") or {}).get("sources") or [] if isinstance(s, dict)]
        for s in sources:
            name = str((s.get("configMap") or {}).get("name") or "")
            if name and name not in names:
                names.append(name)
    return names


def _recent(facts: Facts) -> list[tuple[Ref, dict[str, Any], str]]:
    """Workloads restarted, rolled out or reading a ConfigMap written within WINDOW before the alert: (workload,
    change, evidence id), DaemonSets (node agents) first, newest first."""
    out: list[tuple[Ref, dict[str, Any], str]] = []
    changes = sorted(facts.every_change(), key=lambda c: str(c[0].get("at") or ""), reverse=True)
    for change, evidence in changes:
        at, target = parse_time(change.get("at")), Ref.of(change.get("object"))
        if at is None or target is None or not facts.at - WINDOW <= at <= facts.at or change.get("type") == "secret":
            continue
        refs = workloads_touched(change, target, WORKLOADS)
        out += [(r, change, evidence) for r in refs if not any(o.same_object(r) for o, _, _ in out)]
    return sorted(out, key=lambda w: w[0].kind != "DaemonSet")


async def _pod_logs(call: Call, workload: Ref, step: str) -> LogEvidence | None:
    pod = await pod_of(call, workload, f"{step}-pods")
    if not pod:
        return None
    outcome = await call("k8s_logs", {"name": pod, "namespace": workload.namespace, "tail": 300}, f"{step}-log")
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return None
    log = log_evidence(outcome.data, outcome.evidence_id)
    if log is not None:
        log.pod, log.namespace = log.pod or pod, log.namespace or workload.namespace
    return log


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only (facts.reads[STORE]): recently touched workloads, their ConfigMaps, and, when a position store
    is lost on restart by an agent that re-reads from the head, one pod's logs."""
    if STORE in facts.reads:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    refusing = refused_line(facts.logs) is not None
    # Node agents (DaemonSets) are read whenever one was touched; another workload only once a refusal is in view.
    touched = [w for w in _recent(facts) if w[0].kind == "DaemonSet" or refusing]
    for workload, change, change_id in touched[:MAX_WORKLOADS]:
        step = f"survey-positions-{workload.name}"
        got = await get_yaml(call, workload.kind, workload.name, workload.namespace, step)
        if got is None:
            continue
        spec = ((got[0].get("spec") or {}).get("template") or {}).get("spec") or {}
        lost: list[dict[str, Any]] = []
        evidence = [change_id, got[1]]
        for name in _configmaps(spec)[:MAX_CONFIGS]:
            cm = await get_yaml(call, "ConfigMap", name, workload.namespace, f"{step}-cm-{name}")
            if cm is None:
                continue
            for p in positions_in(cm[0].get("data") or {}):
                where = place_of(spec, p.path) if p.path else None
                if p.rereads and (where is None or not where.lasting):
                    lost.append({"positions": p, "place": where, "configmap": Ref("ConfigMap", workload.namespace,
                                                                                  name)})
                    evidence.append(cm[1])
        if not lost:
            continue
        logs = [log for log in facts.logs if log.namespace == workload.namespace
                and workload_of_pod(log.pod) == workload.name]
        if not logs:
            own = await _pod_logs(call, workload, step)
            logs = [own] if own is not None else []
        store.append({"workload": workload, "change": change, "lost": lost, "logs": logs,
                      "evidence": list(dict.fromkeys(e for e in evidence if e))})


def refused_line(logs: list[LogEvidence], wording: re.Pattern[str] | None = None) -> tuple[str, str] | None:
    """The first refusal-for-a-limit line of these logs (as printed), with its evidence id; with `wording`, only a
    line that says it so."""
    for log in logs:
        for error in [log.top or {}, *log.more, *log.warnings]:
            text = " ".join(str(error.get(k) or "") for k in ("example", "message", "template"))
            if wording.search(text) if wording is not None else \
                    error.get("error_class") == "rate_limited" or REFUSED.search(text):
                return str(error.get("example") or error.get("message") or error.get("template") or "")[:220], \
                    log.evidence_id
    return None

_STAMP = re.compile(r"^\[?\d{4}[-/]\d\d[-/]\d\d[ T][\d:.]+Z?\]?\s*")
"""A line's leading timestamp, left out of the quote (the finding says when)."""


@dataclass
class PositionsLost:
    """A shipper whose offsets a restart loses, the change that restarted it, and the refusals that followed."""

    workload: Ref
    culprit: Ref
    positions: Positions
    place: Place | None
    changed: datetime
    change_summary: str
    refused: str
    receiver_said: str = ""
    evidence: list[str] = field(default_factory=list)


def _config_written(facts: Facts, configmap: Ref) -> bool:
    return any(Ref.of(c.get("object")) == configmap and (t := parse_time(c.get("at"))) is not None
               and facts.at - WINDOW <= t <= facts.at for c, _ in facts.every_change())


def found(facts: Facts) -> list[PositionsLost]:
    """Each recently restarted shipper whose offsets do not survive the restart, that re-reads from the head, and
    whose pushes (or whose receiver's intake) are refused for a limit."""
    out: list[PositionsLost] = []
    for entry in facts.reads.get(STORE) or []:
        workload, change = entry["workload"], entry["change"]
        others = [log for log in facts.logs if workload_of_pod(log.pod) != workload.name]
        receiver = refused_line(others, INGEST_LIMIT)
        # Its own pushes refused; or, when its logs say nothing of it, a receiver's own ingestion-limit refusals.
        own = refused_line(entry.get("logs") or []) or receiver
        if own is None:
            continue  # nothing refused for a limit: whatever the store, this shipper floods nobody
        receiver = receiver if receiver != own else None
        changed = parse_time(change.get("at"))
        lost = entry["lost"][0]
        p, configmap = lost["positions"], lost["configmap"]
        # The setting dropped from the file: its write is the change (when in view); a volume: the workload's spec.
        culprit = configmap if p.path is None and _config_written(facts, configmap) else workload
        evidence = [*(entry.get("evidence") or []), own[1], *([receiver[1]] if receiver else [])]
        out.append(PositionsLost(workload, culprit, p, lost["place"], changed or facts.at,
                                 str(change.get("summary") or "")[:160], own[0],
                                 receiver[0] if receiver else "", list(dict.fromkeys(e for e in evidence if e))))
    return out


def finding(x: PositionsLost, at: datetime) -> dict[str, Any]:
    """The culprit's finding: where the offsets go, why a restart re-reads everything, and the refusals."""
    p = x.positions
    ago = minutes_text(max(0, int((at - x.changed).total_seconds() // 60)))
    if x.place is None:
        where = f"in memory only (no {p.setting} in {p.key})"
    else:
        volume = f" volume `{x.place.volume}`" if x.place.volume else ""
        where = f"on {x.place.what}{volume} ({p.setting} {p.path})"
    refused = _STAMP.sub("", x.refused)
    hit = next((m for t in _TELLING for m in [t.search(refused)] if m), None) or REFUSED.search(refused)
    refused = refused[max(0, hit.start() - 30):hit.start() + 60] if hit and len(refused) > 90 else refused[:90]
    message = (f"{x.workload} keeps its {p.software} read offsets {where}, lost on restart: restarted "
               f"{x.changed.isoformat().replace('+00:00', 'Z')[11:16]} ({ago} before the alert) with {p.reread_said}, "
               f"its pods re-read every log file from the head and the receiver refuses the flood: '{refused}'. "
               f"Keep {p.setting} on a hostPath or claim")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": x.culprit.kind, "namespace": x.culprit.namespace, "name": x.culprit.name},
            "reason": "PositionsLostOnRestart", "message": message,
            "evidence": [f"{p.setting}: {p.path or 'none'}", x.refused,
                         *([x.receiver_said] if x.receiver_said else [])],
            "details": {"software": p.software, "setting": p.setting, "path": p.path or "",
                        "volume": x.place.volume if x.place else "", "workload": str(x.workload)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The shipper (or the ConfigMap that dropped its store); it explains itself and the workload it configures."""
    return [(x.culprit, finding(x, facts.at), x.evidence, [x.workload] if x.culprit != x.workload else [])
            for x in found(facts)]
