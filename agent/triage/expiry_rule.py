"""Data that vanished because an expiry, retention or lifecycle rule written shortly before told it to.

Clients say the data is gone: S3's `NoSuchKey`, "cart not found", a 404, messages dead-lettered as expired,
an object count that fell. Nothing in the cluster is broken: the store did exactly what a rule said. The rule
was written by another actor shortly before: a migration Job that created a MongoDB TTL index
(`expireAfterSeconds`) on the wrong collection, a RabbitMQ operator Policy that gained `message-ttl` and a
dead-letter exchange, a Crossplane bucket lifecycle whose expiration lost its prefix filter, a Kafka topic's
`retention.ms` cut, a ConfigMap's `*_TTL`.

This module reads the "gone" signs (the software's own wording in logs, and exporter series that count TTL
deletions or expired dead-letters, or an object count that fell), then the writes of expiry semantics in the
hours before (timeline diffs of custom resources and ConfigMaps, read in full; completed Jobs' commands and
logs), and names a write only when it relates to what vanished (the rule's scope names the victim's data:
a bucket, a queue pattern, a collection, the workload a hook Job belongs to). Negative twins are kept out: a
rule on data the victim does not use, a TTL lengthened, not-found errors printed before the write.
Reading only; Secrets are never read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, error_words, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.expiry_rule"
WEIGHT = 0.93
"""A rule that told the store to delete the data clients miss: above the victim's errors and its own rollout."""
LOOK_BACK = timedelta(hours=48)
"""How long before the incident a rule's write still counts: a lifecycle runs once a day, a TTL after its age."""
STORE = "expiry_rule"
MAX_JOBS = 3
MAX_OBJECTS = 4
MAX_VICTIM_LOGS = 2

EXPIRY = re.compile(
    r"(?<![a-z])(?:expireafterseconds|expire_after|default_time_to_live|time[-_ ]?to[-_ ]?live|x-expires|"
    r"ttl(?![a-z])|expir(?:e|es|ation|y)|retention|lifecycle|delete[-_]?after|max[-_]?age(?![a-z]))",
    re.I)
"""Words that give a rule expiry semantics, as the stores and their operators spell them."""
GONE = re.compile(
    r"NoSuchKey|NoSuchBucket|specified key does not exist|no such (?:key|object|file|document|row|queue)|"
    r"\bnot[ _]found\b|NotFound|\b404\b|OffsetOutOfRange|out of range for partition|"
    r"\bexpired\b|dead[- _]?letter|\bvanish|\bdisappear|\bempty (?:cart|basket)",
    re.I)
"""How software says the data it asked for is not there (any more)."""
SAID_GONE = re.compile(r"disappear|vanish|missing|empty|\bgone\b|\blost\b|deleted|expired|not[- ]found|\b404\b|"
                       r"nosuchkey", re.I)
"""How an incident's own words (a question, an alert title) say data went missing."""
EXPIRED_SERIES = re.compile(r"ttl.*delet|delet.*(?:ttl|expir)|expired|dead_?letter", re.I)
"""Exporter counters of data a rule removed: MongoDB's ttl.deletedDocuments, RabbitMQ's dead_lettered_expired."""
COUNT_SERIES = re.compile(r"number_of_objects|object_count|objects_total|docs_count|documents_count", re.I)
"""Exporter gauges of how much data a store holds (an S3 bucket's objects): a fall is data gone."""
METRICS = r"(?i).*(ttl.*delet|delet.*(ttl|expir)|expired|dead_?letter|number_of_objects|object_count|docs_count).*"
FELL = 0.8
"""A count that ended under this share of its peak fell."""
_COMMON = {"prod", "production", "staging", "stage", "default", "queue", "queues", "policy", "bucket", "config",
           "service", "server", "lifecycle", "rule", "rules", "data", "cluster", "main", "primary", "api", "app",
           "worker", "expire", "index", "shop", "system", "messaging", "storage", "created", "events"}
_STAMP = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)")
_NAMESPACE_DOT = re.compile(r"\b([a-z][\w-]*)\.([a-z][\w-]*)\b")
_FILE_SUFFIXES = {"js", "ts", "py", "sql", "rb", "go", "java", "yaml", "yml", "json", "sh", "cql", "xml"}
"""A `20261122-session-expiry.js` in a migration's log is a file, not a `db.collection` the rule applies to."""
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)")


@dataclass
class Gone:
    """One sign that data vanished: where it was seen, the words or series, and when it began."""

    where: str
    said: str
    first: datetime | None
    names: set[str]
    """Names the sign speaks of (the pod's workload and namespace, the names its line quotes, a series'
    bucket/queue/namespace labels)."""
    evidence: str


@dataclass
class Rule:
    """A write that gave data an expiry: who wrote it, the rule's words, old -> new where known, its scope."""

    target: Ref
    at: datetime
    rule: str
    old: str | None
    new: str | None
    """The value written, where the diff says old -> new."""
    scope: str
    scope_names: set[str]
    patterns: list[str] = field(default_factory=list)
    """Regular expressions the rule applies to (a RabbitMQ policy's queue pattern)."""
    widened: str = ""
    """How the rule's reach grew, in words (an expiration whose filter has no prefix any more)."""
    manager: str = ""
    related: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


@dataclass
class Expiry:
    """A rule that explains the vanished data: the rule, the signs it explains, the victim."""

    rule: Rule
    signs: list[Gone]
    victim: Ref | None
    minutes_before: int

    @property
    def target(self) -> Ref:
        return self.rule.target

    @property
    def evidence(self) -> list[str]:
        return list(dict.fromkeys([*self.rule.evidence, *(g.evidence for g in self.signs if g.evidence)]))


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(STORE, {})  # type: ignore[no-any-return]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _line_time(line: str) -> datetime | None:
    m = _STAMP.search(line)
    return parse_time(f"{m.group(1)}T{m.group(2)}Z") if m else None


def tokens(*values: str) -> set[str]:
    """The distinctive parts of names (`acme-prod-documents` -> {acme, documents}): what relates a rule's scope
    to the victim's names when no reference links them."""
    out: set[str] = set()
    for v in values:
        for p in re.split(r"[^A-Za-z0-9]+", v.lower()):
            if len(p) >= 4 and not p.isdigit() and p not in _COMMON:
                out.add(p)
                if p.endswith("s") and len(p) >= 5:
                    out.add(p[:-1])  # carts ~ cart
    return out


# ---- the gone signs -----------------------------------------------------------------------------------


def _log_signs(log: LogEvidence) -> list[Gone]:
    out: list[Gone] = []
    entries = [log.top or {}, *log.more, *log.warnings]
    for e in entries:
        text = error_words(e)
        if GONE.search(text):
            said = " ".join(str(e.get("example") or e.get("message") or text).split())[:200]
            out.append(Gone(f"{log.namespace}/{log.pod}", said, parse_time(e.get("first_seen")),
                            tokens(workload_of_pod(log.pod), said) | {log.namespace}, log.evidence_id))
    for line in log.last_lines:
        if GONE.search(line):
            said = " ".join(line.split())[:200]
            out.append(Gone(f"{log.namespace}/{log.pod}", said, _line_time(line),
                            tokens(workload_of_pod(log.pod), said) | {log.namespace}, log.evidence_id))
    return out


def _text_signs(pod: str, namespace: str, text: str, evidence: str) -> list[Gone]:
    """The first gone line of a log read here (its time is when clients began to miss the data)."""
    for line in text.splitlines():
        if GONE.search(line) and not line.startswith("===="):
            said = " ".join(_STAMP.sub("", line, count=1).split())[:200]
            return [Gone(f"{namespace}/{pod}", said, _line_time(line), tokens(workload_of_pod(pod), said) | {namespace},
                         evidence)]
    return []


def _series_signs(series: list[dict[str, Any]], evidence: str) -> list[Gone]:
    out: list[Gone] = []
    for s in series:
        labels = {str(k): str(v) for k, v in (s.get("labels") or {}).items()}
        name = labels.get("__name__", "")
        values = [float(x) for x in (s.get("first"), s.get("last"), s.get("max")) if isinstance(x, int | float)]
        if len(values) < 3:
            continue
        first, last, peak = values
        change = s.get("change") or {}
        when = parse_time(change.get("at")) if isinstance(change, dict) else None
        names = {v for k, v in labels.items() if k != "__name__" and not k.startswith("job")}
        names = tokens(*names) | {labels.get("namespace", "")} | set(names)
        if COUNT_SERIES.search(name) and peak > 0 and last < FELL * peak:
            out.append(Gone(f"series {name}", f"{name} fell from {peak:g} to {last:g}", when, names, evidence))
        elif EXPIRED_SERIES.search(name) and last > first:
            out.append(Gone(f"series {name}", f"{name} rose by {last - first:g} in the window", when, names,
                            evidence))
    return out


def signs(facts: Facts) -> list[Gone]:
    """Every gone sign the survey and this module read."""
    store = _store(facts)
    out = [g for log in facts.logs for g in _log_signs(log)]
    for pod, ns, text, evidence in store.get("victim_logs") or []:
        out += _text_signs(pod, ns, text, evidence)
    series, evidence = store.get("series") or ([], "")
    out += _series_signs(series, evidence)
    return out


# ---- reading (survey) -----------------------------------------------------------------------------------


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the exporter series of expired data and object counts, the subject's logs when the survey
    read none that says the data is gone, then (with a gone sign) a 48 h change history, the Jobs completed in
    it (command, logs) and the objects whose writes carry expiry words, read in full (facts.reads[STORE])."""
    store = _store(facts)
    store["subject"] = sorted(tokens(*subject.names, *subject.labelled_values, subject.namespace))
    start = _iso(facts.at - LOOK_BACK)
    outcome = await call("prom_query_range", {"query": f'{{__name__=~"{METRICS}"}}', "start": start, "end": at,
                                              "step": "30m", "baseline": "none", "top_k": 20}, "survey-expiry-series")
    if outcome is not None and outcome.ok and isinstance(outcome.data, dict):
        store["series"] = (outcome.data.get("series") or [], outcome.evidence_id)
    said = " ".join([*subject.names, *subject.phrases])
    if not any(g for log in facts.logs for g in _log_signs(log)) and (SAID_GONE.search(said) or signs(facts)):
        await _victim_logs(facts, call, store)  # only when the incident's words or a series say data went
    if not signs(facts):
        return
    if not facts.history_reaches(LOOK_BACK):
        got = await call("k8s_changes", {"at": at, "window": "48h"}, "survey-expiry-history")
        if got is not None and got.ok and isinstance(got.data, dict):
            facts.history.append((got.data, got.evidence_id))
    jobs = objects = 0
    for change, evidence in facts.every_change():
        ref = Ref.of(change.get("object"))
        when = parse_time(change.get("at"))
        if ref is None or when is None or not facts.at - LOOK_BACK <= when <= facts.at or ref.kind == "Secret":
            continue
        entry: dict[str, Any] = {"change": change, "evidence": [evidence], "object": None, "text": ""}
        if ref.kind == "Job" and jobs < MAX_JOBS:
            jobs += 1
            entry["text"] = await _job_text(ref, call, entry["evidence"])
        elif EXPIRY.search(_change_text(change)) and ref.kind != "Job" and objects < MAX_OBJECTS:
            objects += 1
            got_obj = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-expiry-{ref.name}")
            if got_obj is not None:
                entry["object"] = got_obj[0]
                entry["evidence"].append(got_obj[1])
        else:
            continue
        store.setdefault("writes", []).append(entry)


async def _victim_logs(facts: Facts, call: Call, store: dict[str, Any]) -> None:
    """The subject's own pods' logs (a couple), when the survey read none that says what clients miss."""
    for data, _ in facts.topologies[:1]:
        pods = [p for p in data.get("pods") or [] if isinstance(p, dict) and p.get("name")]
        for pod in pods[:MAX_VICTIM_LOGS]:
            ns = str(pod.get("namespace") or (data.get("subject") or {}).get("namespace") or "")
            got = await call("k8s_logs", {"name": str(pod["name"]), "namespace": ns, "tail": 300},
                             f"survey-expiry-logs-{pod['name']}")
            if got is not None and got.ok:
                store.setdefault("victim_logs", []).append((str(pod["name"]), ns, str(got.full_text or "")[:30000],
                                                            got.evidence_id))


async def _job_text(ref: Ref, call: Call, evidence: list[str]) -> str:
    """A Job's command and args and its pod's last lines: where a migration says which index or TTL it made."""
    text = ""
    got = await get_yaml(call, "Job", ref.name, ref.namespace, f"survey-expiry-job-{ref.name}")
    if got is not None:
        spec = (((got[0].get("spec") or {}).get("template") or {}).get("spec") or {})
        text = " ".join(json.dumps({k: c.get(k) for k in ("command", "args")}) for c in spec.get("containers") or []
                        if isinstance(c, dict))
        evidence.append(got[1])
    pods = await call("k8s_list", {"kind": "Pod", "namespace": ref.namespace, "label_selector": f"job-name={ref.name}"},
                      f"survey-expiry-job-pods-{ref.name}")
    rows = pods.data.get("rows") or [] if pods is not None and pods.ok and isinstance(pods.data, dict) else []
    for row in rows[:1]:
        logs = await call("k8s_logs", {"name": str(row.get("name")), "namespace": ref.namespace, "tail": 200},
                          f"survey-expiry-job-logs-{ref.name}")
        if logs is not None and logs.ok:
            text += "\n" + str(logs.full_text or "")[:20000]
            evidence.append(logs.evidence_id)
    return text


def _change_text(change: dict[str, Any]) -> str:
    return " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])


# ---- judging (rank) ---------------------------------------------------------------------------------------


def _leaves(node: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [x for k, v in node.items() for x in _leaves(v, f"{path}.{k}" if path else str(k))]
    if isinstance(node, list):
        return [x for i, v in enumerate(node) for x in _leaves(v, f"{path}[{i}]")]
    return [(path, node)]


def _seconds(key: str, value: Any) -> float | None:
    """A duration in seconds from an expiry setting's value, by the unit its key or value names."""
    m = _NUMBER.search(str(value))
    if m is None:
        return None
    n = float(m.group(1))
    unit = (str(key) + " " + str(value)).lower()
    if re.search(r"\bms\b|millis|message[-_]ttl|x-expires|\.ms\b", unit):
        return n / 1000
    if re.search(r"day|\.age\b", unit):
        return n * 86400
    if re.search(r"hour|\d+h\b", unit):
        return n * 3600
    if re.search(r"minute|\d+m\b", unit):
        return n * 60
    return n


def _duration(seconds: float) -> str:
    if seconds >= 86400 and seconds % 86400 == 0:
        return f"{seconds / 86400:g} day(s)"
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min" if seconds >= 60 and seconds % 60 == 0 else f"{seconds:g} s"


def _object_rule(entry: dict[str, Any], ref: Ref, when: datetime) -> Rule | None:
    """The expiry settings of a custom resource or ConfigMap in full, with what they apply to."""
    obj = entry.get("object") or {}
    change = entry.get("change") or {}
    body = {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}
    leaves = _leaves(body)
    expiry = [(p, v) for p, v in leaves if EXPIRY.search(p) or (isinstance(v, str) and EXPIRY.search(v) and len(v) < 80
                                                                  and not re.search(r"(?:^|\.)(?:id|name)$", p))]
    expiry = [(p, v) for p, v in expiry  # a value that bounds a lifetime, or says to delete (not a policy's name)
              if not isinstance(v, bool) and (isinstance(v, int | float) or _NUMBER.search(str(v))
                                              or re.search(r"delete|expire", str(v), re.I))]
    if not expiry:
        diff = [str(d) for d in change.get("diff") or [] if EXPIRY.search(str(d))]
        if not diff:
            return None
        return Rule(ref, when, "; ".join(diff)[:240], *_old_new(change), str(ref), tokens(ref.name), [],
                    manager=_manager(change), evidence=list(entry.get("evidence") or []))
    parts, widened = [], ""
    for p, v in expiry[:4]:
        secs = _seconds(p, v) if isinstance(v, int | float) or _NUMBER.search(str(v)) else None
        parts.append(f"{_short_path(p)} {v}" + (f" ({_duration(secs)})" if secs and not isinstance(v, str) else ""))
    siblings = {p: v for p, v in leaves if not EXPIRY.search(p)}
    dead = [f"{p.split('.')[-1]} {v}" for p, v in siblings.items() if re.search(r"dead[-_]?letter", p, re.I)]
    scope_values = [str(v) for p, v in siblings.items()
                    if re.search(r"pattern|prefix|bucket|topic|queue|collection|table|vhost", p, re.I) and v
                    and not re.search(r"providerconfig|secret|credential", p, re.I) and str(v) != "/"]
    patterns = [str(v) for p, v in siblings.items() if p.split(".")[-1] == "pattern" and v]
    for path, _ in expiry:  # a rule of a list whose filter selects nothing in particular applies to every object
        item = re.match(r"^.*?\[\d+\]", path)
        if item is None or not re.search(r"lifecycle|rule", item.group(0), re.I):
            continue
        root = item.group(0)
        inside = [(p, v) for p, v in leaves if p.startswith(root)]
        if not any(re.search(r"prefix|tag|suffix|match", p, re.I) and v not in ("", None) for p, v in inside):
            rid = next((str(v) for p, v in inside if p == f"{root}.id"), "")
            widened = (f"rule {rid + ' ' if rid else ''}has no prefix filter: its expiration now applies to "
                       f"every object")
            break
    rule = "; ".join(parts + dead)
    scope = ", ".join(dict.fromkeys(scope_values))[:160]
    return Rule(ref, when, rule, *_old_new(change), scope, tokens(ref.name, *scope_values), patterns, widened,
                _manager(change), evidence=list(entry.get("evidence") or []))


def _manager(change: dict[str, Any]) -> str:
    """Who wrote it: the change's managers, or the `written by M` its summary says."""
    if change.get("managers"):
        return ", ".join(str(m) for m in change["managers"])
    m = re.search(r"written by ([\w.:/-]+)", str(change.get("summary") or ""))
    return m.group(1) if m else ""


def _short_path(path: str) -> str:
    """The last two parts of a leaf's path, list indexes dropped: `expiration.days` of `rule[0].expiration[0].days`."""
    parts = [re.sub(r"\[\d+\]", "", x) for x in path.split(".")]
    return ".".join(parts[-2:]) if len(parts) > 1 else parts[0]


_ARROW = re.compile(r"('[^']*'|\"[^\"]*\"|[^\s:=]+)\s*->\s*('[^']*'|\"[^\"]*\"|\S+)")


def _old_new(change: dict[str, Any]) -> tuple[str | None, str | None]:
    """(old, new) of the first expiry line of a diff that says `old -> new` (a last-applied or ConfigMap diff)."""
    for d in change.get("diff") or []:
        m = _ARROW.search(str(d))
        if m and EXPIRY.search(str(d)):
            return m.group(1).strip("'\""), m.group(2).strip("'\"")
    return None, None


def _job_rule(entry: dict[str, Any], ref: Ref, when: datetime) -> Rule | None:
    """The lines of a Job's command or logs that created or set an expiry, and the collections they name."""
    lines = [" ".join(_STAMP.sub("", ln, count=1).split()) for ln in str(entry.get("text") or "").splitlines()]
    said = [ln for ln in lines if EXPIRY.search(ln) and not ln.startswith("====")]
    if not said:
        return None
    change = entry.get("change") or {}
    related = [r for r in (Ref.of(x) for x in change.get("related") or []) if r is not None]
    scope = [f"{a}.{b}" for ln in said for a, b in _NAMESPACE_DOT.findall(ln)
             if not b.isdigit() and b not in _FILE_SUFFIXES]
    rule = "; ".join(dict.fromkeys(said))[:260]
    return Rule(ref, when, rule, None, None, ", ".join(dict.fromkeys(scope))[:120],
                tokens(*scope, *(r.name for r in related)), [], "", "", related,
                list(entry.get("evidence") or []))


def _lengthened(rule: Rule) -> bool:
    """An old -> new where the expiry grew: more time to live cannot make data vanish."""
    if rule.old is None or rule.new is None:
        return False
    old, new = _NUMBER.search(rule.old), _NUMBER.search(rule.new)
    return bool(old and new and float(new.group(1)) >= float(old.group(1)))


def _relates(rule: Rule, sign: Gone, subject: set[str]) -> bool:
    """Whether the rule's scope names what the sign speaks of: a shared distinctive name, a pattern that matches
    a series' queue, the workload a hook Job belongs to; or the store's own count of expired data, exported in
    the rule's namespace, when the rule's scope is what the incident is about (its words name it)."""
    if (sign.where.startswith("series") and EXPIRED_SERIES.search(sign.where) and rule.target.namespace
            and rule.target.namespace in sign.names and rule.scope_names & subject):
        return True
    if any(r.name and tokens(r.name) & sign.names for r in rule.related):
        return True
    for pattern in rule.patterns:
        try:
            if any(re.search(pattern, n) for n in sign.names):
                return True
        except re.error:
            continue
    return bool(rule.scope_names & sign.names)


def found(facts: Facts) -> list[Expiry]:
    """Each write whose expiry explains a gone sign that began after it; the victim is the workload that says so."""
    all_signs = signs(facts)
    subject = set(_store(facts).get("subject") or [])
    out: list[Expiry] = []
    for entry in _store(facts).get("writes") or []:
        change = entry.get("change") or {}
        ref, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or when is None:
            continue
        rule = _job_rule(entry, ref, when) if ref.kind == "Job" else _object_rule(entry, ref, when)
        if rule is None or _lengthened(rule):
            continue
        related = [g for g in all_signs if _relates(rule, g, subject)]
        if any(g.first is not None and g.first < rule.at for g in related if not g.where.startswith("series")):
            continue  # clients missed the data before the rule was written
        if not related:
            continue
        victim = next((Ref("", g.where.split("/")[0], workload_of_pod(g.where.split("/")[1])) for g in related
                       if not g.where.startswith("series")), None)
        out.append(Expiry(rule, related, victim, int((facts.at - rule.at).total_seconds() // 60)))
    out.sort(key=lambda x: (-len(x.signs), x.minutes_before))
    return out[:1]


def finding(x: Expiry) -> dict[str, Any]:
    """The suspect's finding: the rule first (what expires, how soon, what it now reaches), then the signs."""
    r = x.rule
    said = "; ".join(dict.fromkeys(g.said for g in x.signs))[:220]
    old = f" ({r.old} -> {r.new})" if r.old and r.new else ""
    wrote = f" by {r.manager}" if r.manager else ""
    reach = f"; {r.widened}" if r.widened else ""
    scope = f" on {r.scope}" if r.scope else ""
    did = "ran" if r.target.kind == "Job" else "written"
    message = (f"{r.target} set an expiry/TTL rule{scope} ({did}{wrote} {minutes_text(x.minutes_before)} before "
               f"the alert): {r.rule[:200]}{old}{reach}. The store now deletes or expires that data (lifecycle "
               f"expiration, TTL, dead-letter) and clients find it gone: {said}. Restore the rule's previous "
               f"scope/TTL; the data was removed by the rule, not lost by the client")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": r.target.kind, "namespace": r.target.namespace, "name": r.target.name},
            "reason": "ExpiryRuleWritten", "message": message, "evidence": [r.rule[:200], said],
            "details": {"rule": r.rule[:300], "old": r.old, "scope": r.scope, "widened": r.widened,
                        "written_at": _iso(r.at), "signs": [g.said for g in x.signs][:4]}}
