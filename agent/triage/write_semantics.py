"""A writer's setting that is harmless on its face until the datastore's or algorithm's own semantics read it.

A reindex job that creates its indices with `number_of_replicas: 0`, a writer release whose object mapper saves
nulls, a producer that sends every message with one constant `MessageGroupId`, a password policy whose bcrypt cost
goes from 10 to 14: nothing fails at the write. The harm comes later, from what the software documents the value to
mean, and it shows on someone else (the search API, the feed reader, the queue's consumers, the login gateway):

* Elasticsearch/OpenSearch: an index with 0 replicas keeps each shard only as its primary; losing the node that
  holds one leaves that primary shard unassigned, the cluster red, the data gone (Elastic, "Cluster-level shard
  allocation" / "Red or yellow cluster health status").
* Cassandra: writing or binding a null is a delete, i.e. a tombstone; a read that scans more than
  `tombstone_failure_threshold` (100000 by default) tombstones is aborted, which clients see as a read failure
  (Apache Cassandra, cassandra.yaml reference; DataStax Java driver mapper `NullSavingStrategy.SET_TO_NULL`, the
  3.x mapper's `saveNullFields`, Spring Data Cassandra `insertNulls`).
* Amazon SQS FIFO: messages of one message group are delivered one at a time, in order; a constant
  `MessageGroupId` makes the whole queue one group, so one consumer works and the others receive nothing (AWS SQS
  Developer Guide, "Using the message group ID").
* Password hashing: bcrypt's cost is log2 of its rounds (each +1 doubles the CPU of every hash), PBKDF2's
  iterations and Argon2's time cost are linear; a login that rehashes a stored hash at the new cost pays it in the
  request, CPU-bound (a Node.js event loop blocked, a worker busy) (OWASP Password Storage Cheat Sheet; passlib and
  Django `needs_update`/`must_update`; bcrypt.js `getRounds`).

`SEMANTICS` is that table: each row the setting (its key in one normal form, so `number_of_replicas`,
`INDEX_NUMBER_OF_REPLICAS` and `index.number_of_replicas` match alike), the values that turn harmful, the
consequence in words, and the symptom it produces (the software's wording, the exporters' series). `read` takes the
workloads, CronJobs and ConfigMaps written in the last two days and reads what they write NOW: the change's diff,
their spec (env, args, command; a CronJob's job template; a ConfigMap's data, never a Secret's), one pod's lines
(a Job's pod for a CronJob, a consumer's for a ConfigMap), and the rows' series once. `found` (pure) names a writer
only when its written value is harmful by the row AND the row's symptom is seen: a replica count of 0 on a green
cluster, nulls saved with no tombstone in sight, or a constant group on a standard queue name nobody.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml

Call = Callable[..., Awaitable[Any]]

CHECK = "change.write_semantics"
WEIGHT = 0.93
"""The writer is what to undo: the reader's errors, the red cluster and the queue's age all follow from its value."""
READS = "write_semantics"
LEAD = timedelta(hours=48)
"""A writer's value harms later: a nightly job's index lives until a node is lost, tombstones pile up for hours."""
MAX_WRITERS = 6
KINDS = frozenset({"deployment", "statefulset", "daemonset", "cronjob", "configmap"})

_ASSIGN = re.compile(r"""(?P<key>[A-Za-z][\w.-]{2,80})["']?\s*(?:[=:]|\s(?:->|now)\s)\s*["']?"""
                     r"""(?P<value>[^\s"',;}\]\)]{1,80})""")
"""`KEY=value`, `"key": value`, `key: 'value'`, `KEY now 'value'`: a written setting and the value it holds."""
_FROM_TO = re.compile(r"(?P<key>[A-Za-z][\w.-]{2,60}?)\W{0,3}(?P<old>\d+)\W{0,3}->\W{0,3}(?:(?P=key)\W{0,3})?"
                      r"(?P<new>\d+)")
"""`BCRYPT_COST '10' -> '14'` or `BCRYPT_COST='10' -> BCRYPT_COST='14'` (a change diff's old and new)."""
_LOG_FROM_TO = re.compile(r"from_?(?P<word>cost|rounds|iterations|work_?factor)\W{1,4}(?P<old>\d+)\D{1,12}?"
                          r"to_?(?P=word)\W{1,4}(?P<new>\d+)", re.I)
"""A rehash line that names both costs: `"fromCost":10,"toCost":14`, `from_rounds=10 to_rounds=12`."""


def norm(key: str) -> str:
    """One normal form for a setting key: `INDEX.number-of_Replicas` -> `indexnumberofreplicas`."""
    return re.sub(r"[^a-z0-9]", "", key.lower())


@dataclass(frozen=True)
class Semantic:
    """One documented semantic pair: a setting, the values that turn it harmful, and the harm's signature."""

    name: str
    software: str
    key: re.Pattern[str]
    """Matched against the key's normal form (`norm`)."""
    harmful: Callable[[str, str], bool]
    """(new value, old value or "") -> whether the software's semantics make it harm."""
    consequence: str
    symptom: re.Pattern[str]
    """The harm's wording in logs, alerts and scan findings."""
    metric: re.Pattern[str]
    """Series names whose non-zero value (above `floor`) is the harm."""
    floor: float
    needles: tuple[str, ...]
    """Words a writer's log line naming the setting holds (`k8s_logs` grep is a substring): its startup banner
    may lie far behind the newest lines. Never the bare word `null`, which a tool argument reads as none."""
    context: re.Pattern[str] | None = None
    """A word the writer's own text must carry for the row to apply (an SQS FIFO queue's `.fifo` URL)."""
    fix: str = ""


def _zero(new: str, old: str) -> bool:
    return new.strip() == "0"


def _nulls(new: str, old: str) -> bool:
    return new.strip().upper() in ("SET_TO_NULL", "TRUE")


_PLACEHOLDER = re.compile(r"[$%{}<>]|\bper\b|random|uuid", re.I)


def _constant(new: str, old: str) -> bool:
    """A literal group id, not a template (`${customerId}`, `%s`, `{{ }}`) nor a generated one."""
    return bool(new.strip()) and not _PLACEHOLDER.search(new) and new.lower() not in ("none", "null", "unset")


BCRYPT_HEAVY = 13
"""bcrypt cost from which one hash takes ~0.5 s or more of a core (2^13 rounds; OWASP asks for >= 10): the floor used
when the old cost is unknown."""


def _raised(new: str, old: str) -> bool:
    if not new.strip().isdigit():
        return False
    if old.strip().isdigit():
        return int(new) > int(old)
    return BCRYPT_HEAVY <= int(new) <= 31


SEMANTICS: tuple[Semantic, ...] = (
    Semantic(
        "index-without-replicas", "Elasticsearch/OpenSearch",
        re.compile(r"(?:index)?numberofreplicas$"), _zero,
        "an index with number_of_replicas 0 has no replica: each shard lives only as its primary, so when the node "
        "holding a primary shard is lost that shard stays unassigned, the cluster turns red and its data is gone "
        "(searches on it fail: all shards failed / NoShardAvailableActionException)",
        re.compile(r"\[RED\]|health status changed .{0,40}red|unassigned|NoShardAvailableActionException|"
                   r"all shards failed|primary shard is not (?:allocated|active)|cluster (?:is )?red\b", re.I),
        re.compile(r"(?:elasticsearch|opensearch)_cluster_health_unassigned_shards|"
                   r"(?:elasticsearch|opensearch)_cluster_health_status"), 0.0, ("replicas",),
        fix="create the indices with number_of_replicas >= 1 (or set it back after the bulk load) and restore the "
            "lost primary from a snapshot or rebuild the index"),
    Semantic(
        "nulls-written-as-tombstones", "Cassandra",
        re.compile(r"nullsavingstrategy$|savenullfields$|insertnulls$|writenulls$"), _nulls,
        "the writer saves nulls: in Cassandra every null written is a delete, a tombstone, so each save of a "
        "partial entity leaves a tombstone per unset column; a read that scans more than tombstone_failure_threshold "
        "(100000 by default) tombstones is aborted, which the readers see as ReadFailureException / "
        "TombstoneOverwhelmingException",
        re.compile(r"tombstone|ReadFailure(?:Exception)?|Cassandra failure during read", re.I),
        re.compile(r"cassandra_[a-z_]*tombstone[a-z_]*"), 1000.0, ("nulls", "to_null"),
        fix="save with DO_NOT_SET (unset, not null) or roll the writer back, then compact the table once "
            "gc_grace_seconds allows"),
    Semantic(
        "fifo-single-message-group", "Amazon SQS FIFO",
        re.compile(r"messagegroupid$"), _constant,
        "every message carries one constant MessageGroupId: an SQS FIFO queue delivers the messages of one message "
        "group one at a time, in order, to one consumer, so the whole queue is a single line, the other consumers "
        "get empty receives and the oldest message ages",
        re.compile(r"empty receive|receive returned no messages|received 0 messages|no messages received|"
                   r"ApproximateAgeOfOldestMessage|oldest message", re.I),
        re.compile(r"aws_sqs_number_of_empty_receives[a-z_]*|aws_sqs_approximate_age_of_oldest_message[a-z_]*"), 60.0,
        ("group",),
        context=re.compile(r"\.fifo\b|fifo[_-]?queue|FifoQueue", re.I),
        fix="derive the MessageGroupId from the entity whose order matters (a customer or account id), so groups "
            "spread over the consumers"),
    Semantic(
        "password-hash-cost-raised", "password hashing (bcrypt/PBKDF2/Argon2)",
        re.compile(r"bcrypt(?:cost|rounds|workfactor|saltrounds|logrounds)$|^(?:password)?(?:hash)?saltrounds$|"
                   r"^(?:password)?hash(?:ing)?(?:cost|rounds|workfactor)$|pbkdf2iterations$|argon2timecost$"),
        _raised,
        "bcrypt's cost is a log2 work factor: each +1 doubles the CPU of every hash, so a login that hashes, or "
        "rehashes a stored password at the new cost (rehash on login), now holds a core for that long; CPU-bound "
        "hashing blocks the Node.js event loop (or a worker) and every other request waits behind it",
        re.compile(r"event ?loop (?:blocked|lag|delay)|eventloop_lag|WORKER TIMEOUT|cpu throttl", re.I),
        re.compile(r"nodejs_eventloop_lag[a-z0-9_]*"), 0.2, ("cost", "rounds"),
        fix="set the cost back (or raise it one step at a time) and move hashing off the request path (async "
            "hash, a worker pool)"),
)
"""The documented semantic pairs. Short on purpose: each row is one software's own documented meaning."""


@dataclass
class Harm:
    """A writer whose written value the row's semantics turn into the symptom seen."""

    target: Ref
    change: dict[str, Any]
    row: Semantic
    key: str
    new: str
    old: str
    seen: str
    evidence: list[str] = field(default_factory=list)


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


def _change_text(change: dict[str, Any]) -> str:
    return "\n".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])


def _spec_text(obj: dict[str, Any]) -> str:
    """What the object writes now: a workload's or CronJob's containers' env/args/command, a ConfigMap's data."""
    if str(obj.get("kind") or "") == "Secret":
        return ""
    if str(obj.get("kind") or "") == "ConfigMap":
        return "\n".join(f"{k}: {v}" for k, v in (obj.get("data") or {}).items())
    spec = obj.get("spec") or {}
    template = ((spec.get("jobTemplate") or {}).get("spec") or spec).get("template") or {}
    lines: list[str] = []
    for c in (template.get("spec") or {}).get("containers") or []:
        if not isinstance(c, dict):
            continue
        for e in c.get("env") or []:
            if isinstance(e, dict) and isinstance(e.get("value"), str):
                lines.append(f"{e.get('name')}={e['value']}")
        lines += [" ".join(str(a) for a in c.get(k) or []) for k in ("command", "args") if c.get(k)]
    return "\n".join(lines)


def _writers(facts: Facts) -> list[tuple[Ref, dict[str, Any], str]]:
    """Workloads, CronJobs and ConfigMaps written within LEAD before the alert, those whose diff already names a
    row's setting first, then the newest."""
    out: list[tuple[Ref, dict[str, Any], str]] = []
    for change, evidence, ref in facts.writes_to(KINDS, within=LEAD, deletions=False):
        if not any(r.same_object(ref) for r, _, _ in out):
            out.append((ref, change, evidence))
    out.sort(key=lambda w: (not settings(_change_text(w[1])),
                            -(parse_time(w[1].get("at")) or facts.at).timestamp()))
    return out[:MAX_WRITERS]


async def _pod_of(call: Call, ref: Ref, change: dict[str, Any], step: str) -> tuple[str, str]:
    """(pod, namespace) whose lines say what `ref` writes: the workload's own, a CronJob's newest Job's, a
    ConfigMap consumer's; ("", "") when none runs."""
    target = ref
    if ref.kind == "ConfigMap":
        users = [Ref.of(r) for r in change.get("related") or []]
        target = next((u for u in users if u is not None and u.kind.lower() in KINDS - {"configmap"}), ref)
        if target is ref:
            return "", ""
    if target.kind == "CronJob":
        jobs = await call("k8s_list", {"kind": "Job", "namespace": target.namespace}, f"{step}-jobs")
        rows = [str(r.get("name")) for r in ((jobs.data or {}).get("rows") or []) if isinstance(r, dict)
                and str(r.get("name") or "").startswith(target.name + "-")] \
            if jobs is not None and jobs.ok and isinstance(jobs.data, dict) else []
        if not rows:
            return "", ""
        pods = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace,
                                       "label_selector": f"job-name={max(rows)}"}, f"{step}-job-pods")
        names = [str(r.get("name")) for r in ((pods.data or {}).get("rows") or []) if isinstance(r, dict)] \
            if pods is not None and pods.ok and isinstance(pods.data, dict) else []
        return (names[0], target.namespace) if names else ("", "")
    topo = await call("k8s_topology", {"name": target.name, "namespace": target.namespace}, f"{step}-topology")
    pods = [p for p in ((topo.data or {}).get("pods") or []) if isinstance(p, dict) and p.get("name")] \
        if topo is not None and topo.ok and isinstance(topo.data, dict) else []
    return (str(pods[0]["name"]), str(pods[0].get("namespace") or target.namespace)) if pods else ("", "")


async def _lines(call: Call, pod: str, namespace: str, grep: str, step: str) -> tuple[str, str]:
    arguments: dict[str, Any] = {"name": pod, "namespace": namespace, "tail": 400}
    if grep:
        arguments.update({"grep": grep, "tail": 10000, "budget_tokens": 1500})
    outcome = await call("k8s_logs", arguments, step)
    if outcome is None or not outcome.ok:
        return "", ""
    return str(outcome.full_text or "")[:20000], str(outcome.evidence_id)


def active(facts: Facts) -> list[Semantic]:
    """Rows whose symptom the survey already sees (its logs, the scan, the rows' series): only they are read."""
    series: list[dict[str, Any]] = (_store(facts).get("series") or ([], ""))[0]
    base = _symptom_texts(facts)
    return [row for row in SEMANTICS if _seen(row, base, series)[0]]


async def read(facts: Facts, call: Call, at: str) -> None:
    """Reading only: the rows' series; when a row's symptom shows, the last two days' writers' written values
    (diff, spec) and lines (the newest, and those naming the row's setting)."""
    store = _store(facts)
    names = "|".join(row.metric.pattern for row in SEMANTICS)
    outcome = await call("prom_query", {"query": f'{{__name__=~"{names}"}}', "time": at},
                         "survey-write-semantics-series")
    if outcome is not None and outcome.ok and isinstance(outcome.data, dict):
        store["series"] = (outcome.data.get("samples") or [], outcome.evidence_id)
    rows = active(facts)
    if not rows:
        return
    if not facts.history_reaches(LEAD):
        history = await call("k8s_changes", {"at": at, "window": "48h"}, "survey-write-semantics-history")
        if history is not None and history.ok and isinstance(history.data, dict):
            facts.history.append((history.data, history.evidence_id))
    for ref, change, evidence in _writers(facts):
        step = f"survey-write-semantics-{ref.name}"
        entry: dict[str, Any] = {"ref": [ref.kind, ref.namespace, ref.name], "at": change.get("at"),
                                 "text": _change_text(change), "evidence": [e for e in (evidence,) if e]}
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, step)
        if got is not None:
            entry["text"] += "\n" + _spec_text(got[0])
            entry["evidence"].append(got[1])
        pod, namespace = await _pod_of(call, ref, change, step)
        texts: list[str] = []
        for grep in ["", *dict.fromkeys(n for row in rows for n in row.needles)] if pod else []:
            text, evidence_id = await _lines(call, pod, namespace, grep, f"{step}-logs" + (f"-{grep}" if grep else ""))
            if text:
                texts.append(text)
                entry["evidence"].append(evidence_id)
        entry["lines"] = "\n".join(texts)
        store.setdefault("writers", []).append(entry)


def settings(text: str) -> list[tuple[Semantic, str, str, str]]:
    """(row, key, new value, old value or "") of every row setting `text` writes: env lines, JSON settings,
    ConfigMap keys, log fields, change diffs (`KEY '10' -> '14'`)."""
    out: list[tuple[Semantic, str, str, str]] = []
    olds: dict[str, str] = {}
    for m in _FROM_TO.finditer(text):
        olds[norm(m.group("key"))] = m.group("old")
    for m in _LOG_FROM_TO.finditer(text):
        olds.setdefault("logcost", m.group("old"))
        olds.setdefault("lognew", m.group("new"))
    written = "\n".join(line.rpartition("->")[2] for line in text.splitlines())  # a diff's new side only
    for m in _ASSIGN.finditer(written):
        key = m.group("key")
        for row in SEMANTICS:
            if not row.key.search(norm(key)):
                continue
            new = m.group("value")
            old = olds.get(norm(key), "")
            if not old and row.harmful is _raised and olds.get("lognew") == new:
                old = olds.get("logcost", "")
            if not any(o[0] is row and o[2] == new for o in out):
                out.append((row, key, new, old))
    return out


def _seen(row: Semantic, texts: list[tuple[str, str]], series: list[dict[str, Any]]) -> tuple[str, str]:
    """The row's symptom: a line that says it (quoted) or a series above its floor; with the evidence id."""
    for text, evidence in texts:
        for line in text.splitlines():
            m = row.symptom.search(line)
            if m is not None:
                said = _message(line)
                if not row.symptom.search(said):
                    said = line[max(0, m.start() - 60):][:200]
                return f"'{said.strip()[:200]}'", evidence
    for s in series:
        labels = (s.get("labels") or {}) if isinstance(s, dict) else {}
        name, value = str(labels.get("__name__") or ""), s.get("value") if isinstance(s, dict) else None
        if not isinstance(value, (int, float)) or not row.metric.fullmatch(name):
            continue
        if name.endswith("_status") and str(labels.get("color") or "") != "red":
            continue
        if value > row.floor:
            return f"{name} {value:g}", ""
    return "", ""


_MESSAGE = re.compile(r'"(?:message|msg)"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _message(line: str) -> str:
    """A structured line's message field (`message`, `msg`), else the line."""
    m = _MESSAGE.search(line)
    return m.group(1) if m else line


def _symptom_texts(facts: Facts) -> list[tuple[str, str]]:
    """The survey's log lines (errors, warnings, last words) and the scan's findings, each with its evidence id."""
    out: list[tuple[str, str]] = []
    for log in facts.logs:
        entries = [log.top or {}, *log.more, *log.warnings]
        text = "\n".join(" ".join(str(e.get(k) or "") for k in ("example", "message")) for e in entries if e)
        out.append(("\n".join([text, *log.last_lines]), log.evidence_id))
    out += [(str(f.get("message") or ""), facts.scan_id or "") for f in facts.findings()]
    return out


def found(facts: Facts) -> list[Harm]:
    """Writers whose written value is harmful by a row's semantics, with that row's symptom seen."""
    store = _store(facts)
    series, series_id = store.get("series") or ([], "")
    base = _symptom_texts(facts)
    out: list[Harm] = []
    for entry in store.get("writers") or []:
        kind, namespace, name = entry["ref"]
        ref = Ref(kind, namespace, name)
        text, lines = str(entry.get("text") or ""), str(entry.get("lines") or "")
        change = next((c for c, _ in facts.every_change() if Ref.of(c.get("object")) is not None
                       and Ref.of(c.get("object")) == ref and c.get("at") == entry.get("at")), None)
        if change is None:
            continue
        for row, key, new, old in settings(text + "\n" + lines):
            if not row.harmful(new, old) or (row.context is not None and not row.context.search(text + lines)):
                continue
            seen, evidence = _seen(row, [*base, (lines, (entry.get("evidence") or [""])[-1])], series)
            if not seen:
                continue
            if any(h.target.same_object(ref) for h in out):
                continue
            ids = [*(entry.get("evidence") or []), evidence or series_id]
            out.append(Harm(ref, change, row, key, new, old, seen, [i for i in dict.fromkeys(ids) if i]))
    return out


def finding(h: Harm, at: datetime | None = None) -> dict[str, Any]:
    """The writer, the value (old -> new) and what the software makes of it first; then when, and the symptom."""
    when = parse_time(h.change.get("at"))
    ahead = f", {minutes_text(int((at - when).total_seconds() // 60))} before the alert" \
        if at is not None and when is not None and when <= at else ""
    value = f"{h.key} {h.old} -> {h.new}" if h.old else f"{h.key}={h.new}"
    message = (f"{h.target} writes {value} ({h.row.software}): {h.row.consequence}. Seen: {h.seen}. "
               f"Written at {str(h.change.get('at'))[11:16]}{ahead} ({str(h.change.get('summary') or '')[:120]}). "
               f"Fix: {h.row.fix}.")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": h.target.kind, "namespace": h.target.namespace, "name": h.target.name},
            "reason": "WrittenValueHarmsBySemantics", "message": message,
            "evidence": [x for x in (str(h.change.get("summary") or "")[:300], h.seen) if x],
            "details": {"semantic": h.row.name, "key": h.key, "new": h.new, "old": h.old,
                        "changed_at": h.change.get("at")}}


def as_json(h: Harm) -> str:
    """A compact record of one harm (for logs and tests)."""
    return json.dumps({"target": str(h.target), "row": h.row.name, "key": h.key, "new": h.new, "old": h.old})
