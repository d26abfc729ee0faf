"""A count or size limit that a recent change made reachable, read from the software's own limit error.

The errors say which limit was hit (agent.triage.limit_table): Redis "max number of clients reached", a
Kafka consumer's poll interval exceeded, Elasticsearch's "Limit of total fields [1000] has been exceeded".
The cause is the change that made the limit reachable, in one of three documented ways:

* `limit`: the limit itself was written lower (a `--maxclients 128` flag in a server's args, a
  `max_connections` line in its config) on the server the error names, or on the erroring client;
* `driver`: a setting that drives into the limit was written higher on the erroring workload or the
  config it reads (max.poll.records against max.poll.interval.ms; a prefetch against an ack timeout;
  a pool size against a server's connection cap): the changed key is not the key the error names;
* `sends`: the erroring client rolled out a revision that changes what it sends (env, args, image) and
  the limit is one the payload fills (dynamic mapping fields, message size).

Negative twins are kept out: a limit raised or a driver lowered (more room), an error first printed
before the write, a write on an object that relates neither to the server nor to the erroring client.
When the subject is unresolved (a page that names no workload), the logs of the workloads a recent
change touched are read here (a few pods, bounded), so a victim nobody named still speaks. An operator's resource
(an ECK `Elasticsearch`, a Strimzi `Kafka`) whose write the timeline shows as one truncated line is read back, and
a setting it holds counts only when the error prints that very value (`[10000]`): no value, no tie.
Reading only; Secrets are never read (their writes name keys only).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import value_diff
from agent.triage.arg_flags import flags
from agent.triage.changed_keys import keys_of
from agent.triage.facts import (
    Facts,
    LogEvidence,
    Ref,
    error_words,
    log_evidence,
    minutes_text,
    parse_time,
    said_by,
    workloads_touched,
)
from agent.triage.kube_reads import get_yaml, pod_of
from agent.triage.limit_table import LIMITS, Limit, key_form
from agent.triage.subject import workload_of_pod
from agent.triage.tightened import magnitude

CHECK = "change.limit_hit"
SENDS = "change.limit_sends"
WEIGHT = 0.93
"""A write that made the limit the errors name reachable: above the victim that prints the error."""
SENDS_WEIGHT = 0.9
"""A client revision whose payload now exceeds a server limit: no setting names it, so a little lower."""
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
READS = "limit_hit"
MAX_LOG_READS = 3
MAX_CONFIG_READS = 3
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout")

Call = Callable[..., Awaitable[Any]]

_ARGS_NOW = re.compile(r"^(?P<c>\S+) (?:args|command) now (?P<list>\[.*\])$")
_ARGS_DIFF = re.compile(r"^\S+ (?:args|command) (?P<old>\[.*\]|None) -> (?P<new>\[.*\]|None)$")
_ENV_NOW = re.compile(r"^\S+ env (?P<key>[A-Za-z_][\w.]*) now (?P<new>'.*'|\".*\")$")
_FIELD_DIFF = re.compile(r"^(?P<path>spec[\w.\[\]/-]*): (?P<old>[^\[{].*?|unset) -> (?P<new>[^\[{].*?|removed)$")
"""`spec.nodeSets[0].config.search.max_buckets: 65536 -> 10000`: a custom resource's leaf written (any_changes)."""
_FIELD_NOW = re.compile(r"^(?P<path>spec[\w.\[\]/-]*) = (?P<new>[^\[{].*?)$(?<!\(current\))")
"""`spec.config.max_buckets = 5000`: a leaf a new custom resource sets (a field marked `(current)` was not written)."""
_DATA_SET = re.compile(r"^(?:binary)?[dD]ata key (?P<key>\S+) (?:set|added|changed|written)\b")
_STAMP = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)")


@dataclass(frozen=True)
class Setting:
    """One setting a write touched: key, old value (None: not recorded), new value."""

    key: str
    old: str | None
    new: str | None
    read_back: bool = False
    """Read from the object as it is now, not from the write's diff: it counts only when the error prints it."""
    nodes: int = 0
    """For a per-node setting read back from a resource: the resource's node count, since a cluster-wide error
    prints the per-node value times the nodes (`max_shards_per_node` 300 on 3 nodes: `[900]`)."""

    def printed_by(self, printed: set[float]) -> bool:
        """Whether an error printing `printed` prints this setting's value (or, per node, its cluster total)."""
        value = _number(self.new)
        return value is not None and (value * self.nodes if self.nodes > 0 else value) in printed

    def text(self) -> str:
        if self.old is None:
            return f"{self.key} now {self.new}" if self.new is not None else f"{self.key} written"
        return f"{self.key}: {self.old} -> {self.new}"


@dataclass
class Hit:
    """A limit error, the change that made it reachable, and how."""

    target: Ref
    family: Limit
    how: str
    """`limit`, `driver` or `sends`."""
    setting: Setting | None
    error: str
    victim: Ref | None
    at: str
    minutes_before: int
    relation: str
    changed: str = ""
    """What a `sends` revision changed (its diff's first lines)."""
    evidence: list[str] = field(default_factory=list)


# ---- what the errors say ---------------------------------------------------------------------------------


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})  # type: ignore[no-any-return]


def all_logs(facts: Facts) -> list[LogEvidence]:
    """The survey's logs, then those `read` took from workloads a recent change touched (the writer is often
    one): every class that looks for an error a write started reads both."""
    more = (facts.reads.get(READS) or {}).get("logs") or []  # reading only: no store made here
    return [*facts.logs, *(log for log in more if isinstance(log, LogEvidence))]


def logs_saying(facts: Facts, pattern: re.Pattern[str]) -> list[tuple[LogEvidence, str, datetime | None]]:
    """(the log, its first error whose words match `pattern`, when such errors were first seen) for each of
    `all_logs` that says it in an error (or, with no such error kept, in its last lines, then with no time): the
    refusals a class ties to a write that came before them."""
    out = []
    for log in all_logs(facts):
        first: datetime | None = None
        said = ""
        for entry in log.entries():
            text = error_words(entry)
            if pattern.search(text):
                when = parse_time(entry.get("first_seen"))
                said = said or text
                first = when if first is None or (when is not None and when < first) else first
        said = said or next((ln for ln in log.last_lines if pattern.search(ln)), "")
        if said:
            out.append((log, said, first))
    return out


def _entries(log: LogEvidence) -> list[tuple[str, str, datetime | None]]:
    """(every word of an error, the error as printed, when first seen) of one pod's log facts and last lines."""
    out: list[tuple[str, str, datetime | None]] = []
    for e in log.entries():
        text = error_words(e)
        out.append((text, said_by(e), parse_time(e.get("first_seen"))))
    out += [(line, line, _line_time(line)) for line in log.last_lines]
    return out


def _quote(family: Limit, said: str) -> str:
    """The error as printed, starting near the words that name the limit (a long Java line names it late)."""
    said = " ".join(said.split())
    m = family.error.search(said)
    start = m.start() if m and m.start() > 40 else 0
    return ("..." if start else "") + said[start:start + 200]


def _line_time(line: str) -> datetime | None:
    m = _STAMP.search(line)
    return parse_time(f"{m.group(1)}T{m.group(2)}Z") if m else None


@dataclass
class _Error:
    family: Limit
    text: str
    log: LogEvidence
    first: datetime | None


def _errors(facts: Facts) -> list[_Error]:
    """Each (family, pod) whose logs print the family's wording, with the earliest time it was seen."""
    out: dict[tuple[str, str], _Error] = {}
    for log in all_logs(facts):
        for text, said, when in _entries(log):
            for family in LIMITS:
                if not family.error.search(text):
                    continue
                key = (family.name, f"{log.namespace}/{log.pod}")
                seen = out.get(key)
                if seen is None:
                    out[key] = _Error(family, _quote(family, said or text), log, when)
                elif when is not None and (seen.first is None or when < seen.first):
                    seen.first = when
    return list(out.values())


# ---- what the changes set --------------------------------------------------------------------------------


def settings_of(change: dict[str, Any]) -> list[Setting]:
    """Every setting a timeline change shows, with old and new values where the diff has them: flags of args
    lists (`--maxclients 128`, `--timeout=5`), env values, the leaves of changed data files."""
    out: list[Setting] = []
    for line in (str(d) for d in change.get("diff") or []):
        if m := _ARGS_DIFF.match(line):
            old, new = (flags(value_diff.literal_list(m[side]), bare="true") for side in ("old", "new"))
            out += [Setting(k, old.get(k), new.get(k)) for k in {**old, **new} if old.get(k) != new.get(k)]
        elif m := _ARGS_NOW.match(line):
            out += [Setting(k, None, v) for k, v in flags(value_diff.literal_list(m["list"]), bare="true").items()]
        elif m := _ENV_NOW.match(line):
            out.append(Setting(m["key"], None, m["new"][1:-1]))
        elif m := _FIELD_DIFF.match(line):
            old_value = None if m["old"] == "unset" else m["old"].strip("'")
            out.append(Setting(m["path"], old_value, None if m["new"] == "removed" else m["new"].strip("'")))
        elif m := _FIELD_NOW.match(line):
            out.append(Setting(m["path"], None, m["new"].strip("'")))
    for k in keys_of(change):
        directives = _directive_diff(k.old, k.new)
        out += directives if directives else [Setting(k.key, k.old, k.new)]
    return out


_DIRECTIVE = re.compile(r"^\s*(?P<key>[A-Za-z][\w.-]*)\s+(?P<value>[^\s=:#;][^#;]*?)\s*;?\s*$")
"""`maxclients 128`, `max_connections 200;`: a space-separated directive (redis.conf, nginx.conf, haproxy.cfg)."""


def _directives(text: str | None) -> dict[str, str]:
    text = (text or "").replace("\\n", "\n")
    return {m["key"]: m["value"] for line in text.splitlines() if (m := _DIRECTIVE.match(line))}


def _directive_diff(old: str | None, new: str | None) -> list[Setting]:
    """The directives that differ between two versions of a space-separated config file (none: not such a file)."""
    before, after = _directives(old), _directives(new)
    if len(after) < 2 and len(before) < 2:
        return []
    return [Setting(k, before.get(k), after.get(k)) for k in {**before, **after} if before.get(k) != after.get(k)]


def _config_now(facts: Facts, target: Ref, change: dict[str, Any]) -> list[Setting]:
    """A ConfigMap written with no values in the diff: the leaves its written keys hold now (read objects)."""
    keys = [m["key"] for d in change.get("diff") or [] if (m := _DATA_SET.match(str(d)))]
    out: list[Setting] = []
    for obj, _ in facts.objects:
        meta = obj.get("metadata") or {}
        if obj.get("kind") != "ConfigMap" or meta.get("name") != target.name \
                or (meta.get("namespace") or "") != target.namespace:
            continue
        for key in keys:
            text = (obj.get("data") or {}).get(key)
            if not isinstance(text, str):
                continue
            leaves = value_diff.leaves(text, key)
            out += [Setting(p, None, v) for p, v in (leaves or {key: text}).items()]
        break
    return out


def _resource_now(facts: Facts, target: Ref) -> list[Setting]:
    """The spec leaves of an operator's resource (an `Elasticsearch`, a `Kafka`) as read now: its write's diff
    is one truncated line (`spec.nodeSets = [{...`), so the settings it holds are read back; each counts only
    where the error prints that very value (`read_back`)."""
    for obj, _ in facts.objects:
        meta = obj.get("metadata") or {}
        if obj.get("kind") != target.kind or meta.get("name") != target.name \
                or (meta.get("namespace") or "") != target.namespace or not isinstance(obj.get("spec"), dict):
            continue
        leaves = value_diff.leaves(json.dumps(obj["spec"])) or {}
        embedded = {f"{path}.{k}": v for path, text in _texts(obj["spec"], "spec") for k, v in _lines(text).items()}
        nodes = _node_count(leaves)
        return [Setting(k, None, v, read_back=True, nodes=nodes if _PER_NODE.search(key_form(k)) else 0)
                for k, v in {**leaves, **embedded}.items()]
    return []


_PER_NODE = re.compile(r"(?:^|_)per_node(?:_|$)")
_COUNT = re.compile(r"(?:^|_)(?:count|replicas|node_count|nodes)$")


def _node_count(leaves: dict[str, str]) -> int:
    """The nodes an operator's resource runs: the sum of its node groups' `count` / `replicas` leaves."""
    return sum(int(v) for k, v in leaves.items() if _COUNT.search(key_form(k)) and str(v).isdigit())


_ASSIGN = re.compile(r"^\s*(?P<key>[A-Za-z][\w.-]*)\s*(?:=|:(?=\s))\s*(?P<value>[^#;\n]*?)\s*$")
"""`consumer_timeout = 300000` (rabbitmq.conf, postgresql.conf, my.cnf) or `search.max_buckets: 10000` (a flat
YAML file such as elasticsearch.yml): a line of a config file embedded in a resource."""


def _texts(node: Any, path: str) -> list[tuple[str, str]]:
    """Every multi-line string of a resource's spec with its path: an operator resource often carries the
    server's own config file as one string (a RabbitmqCluster's `additionalConfig`, a MySQL `myCnf`)."""
    if isinstance(node, dict):
        return [t for k, v in node.items() for t in _texts(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [t for i, v in enumerate(node) for t in _texts(v, f"{path}[{i}]")]
    return [(path, node)] if isinstance(node, str) and "\n" in node.strip() else []


def _lines(text: str) -> dict[str, str]:
    """The settings of an embedded config file: `key = value` lines, else space-separated directives."""
    assigned = {m["key"]: m["value"] for line in text.splitlines() if (m := _ASSIGN.match(line))}
    return assigned or _directives(text)


def _is_resource(target: Ref) -> bool:
    """A custom resource (an operator's datastore or broker), whose writes the timeline shows only in part."""
    return target.kind not in (*WORKLOADS, "ConfigMap", "Secret", "Service", "Pod", "ReplicaSet", "Job", "CronJob",
                               "HorizontalPodAutoscaler", "Ingress", "NetworkPolicy", "Namespace", "Node")


_PRINTED = re.compile(r"\[(\d[\d,_]*)\]|(?:less than or equal to|must be <=|limit of|max(?:imum)? of|is set to|"
                      r"(?:value|timeout) used:?)"
                      r"\W{0,3}(\d[\d,_]*)", re.I)


def _printed_values(error: str) -> set[float]:
    """The numbers an error prints as its limit (`[10000]`, `less than or equal to: 10000`)."""
    return {float(re.sub(r"[,_]", "", m[1] or m[2])) for m in _PRINTED.finditer(error)}


def _number(value: str | None) -> float | None:
    return magnitude(value, "size") if value is not None else None


def _direction(kind: str, setting: Setting) -> bool:
    """Whether the write moved the setting the harmful way (or its old value is unknown): a limit lowered,
    a driver raised. A limit raised or a driver lowered gives more room and is no cause."""
    old, new = _number(setting.old), _number(setting.new)
    if setting.old is None or old is None or new is None:
        return setting.new is not None or setting.old is None
    return new < old if kind == "limit" else new > old


# ---- relating the write to the error --------------------------------------------------------------------


def _victim(error: _Error) -> Ref:
    return Ref("", error.log.namespace, workload_of_pod(error.log.pod))


def _is_client(target: Ref, change: dict[str, Any], victim: Ref) -> str:
    """How the written object is the erroring client (its workload, or config its workload reads), or ""."""
    if target.kind in WORKLOADS and target.namespace == victim.namespace and target.name == victim.name:
        return "is the erroring workload itself"
    users = [r for r in (Ref.of(x) for x in change.get("related") or []) if r is not None]
    if any(u.namespace == victim.namespace and u.name == victim.name for u in users):
        return f"is read by {victim.namespace}/{victim.name}, the workload that prints the error"
    return ""


def _is_server(family: Limit, target: Ref, facts: Facts) -> str:
    """How the written object is the server that enforces the limit, or ""."""
    if family.engine is None or target.kind == "Secret":
        return ""
    if family.engine.search(target.name) or family.engine.search(target.kind):
        return "runs the server software whose limit the error names (by its name)"
    for data, _ in facts.topologies:
        for dep in data.get("dependencies") or []:
            ref = Ref.of((dep or {}).get("target")) if isinstance(dep, dict) else None
            if ref is not None and ref.same_object(target):
                return "is a dependency of the subject (topology)"
    return ""


def _recent(facts: Facts, change: dict[str, Any]) -> tuple[Ref, datetime] | None:
    target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
    if target is None or at is None or not timedelta(0) <= facts.at - at <= LEAD:
        return None
    return target, at


def found(facts: Facts) -> list[Hit]:
    """Each recent change that made a limit the logs name reachable, one per changed object, newest first."""
    errors = _errors(facts)
    if not errors:
        return []
    out: list[Hit] = []
    changes = sorted(facts.every_change(), key=lambda c: str(c[0].get("at") or ""), reverse=True)
    for change, evidence in changes:
        recent = _recent(facts, change)
        if recent is None or change.get("type") == "secret":
            continue
        target, at = recent
        if any(h.target.same_object(target) for h in out):
            continue
        settings = settings_of(change) or (_config_now(facts, target, change) if target.kind == "ConfigMap" else [])
        if _is_resource(target):
            settings = [*settings, *_resource_now(facts, target)]
        hit = _first_hit(facts, errors, change, target, at, settings)
        if hit is not None:
            hit.evidence = [e for e in (evidence, hit.evidence[0] if hit.evidence else "") if e]
            out.append(hit)
    return out


def _first_hit(facts: Facts, errors: list[_Error], change: dict[str, Any], target: Ref, at: datetime,
               settings: list[Setting]) -> Hit | None:
    minutes = int((facts.at - at).total_seconds() // 60)
    for error in errors:
        if error.first is not None and error.first < at - SLACK:
            continue  # the error was printed before the write: the write did not start it
        family, victim = error.family, _victim(error)
        client = _is_client(target, change, victim)
        printed = _printed_values(error.text)
        for setting in settings:
            if setting.read_back and not setting.printed_by(printed):
                continue  # a value read back is tied to the error only by the number the error prints
            form = key_form(setting.key)
            for kind, pattern in (("limit", family.limit), ("driver", family.driver)):
                if pattern is None or not pattern.search(form) or not _direction(kind, setting):
                    continue
                how = client or (_is_server(family, target, facts) if kind == "limit" else "")
                if how:
                    return Hit(target, family, kind, setting, error.text[:220], victim, str(change.get("at")),
                               minutes, how, evidence=[error.log.evidence_id])
        server = family.engine is not None and bool(family.engine.search(victim.name))
        if family.sends and not server and change.get("type") == "rollout" \
                and client.startswith("is the erroring workload") and change.get("diff"):
            return Hit(target, family, "sends", None, error.text[:220], victim, str(change.get("at")), minutes,
                       client, "; ".join(str(d) for d in change["diff"][:2]), [error.log.evidence_id])
    return None


def finding(h: Hit) -> dict[str, Any]:
    """The finding: the write, what the limit error means, and the victim; the meaning early (headline)."""
    when = f"{minutes_text(h.minutes_before)} before the incident"
    victim = f"{h.victim.namespace}/{h.victim.name}" if h.victim else "the callers"
    said = f"'{h.error[:160]}'"
    if h.how == "sends":
        message = (f"{h.target} rolled out a revision that changes what it sends {when} ({h.changed[:120]}): "
                   f"{h.family.short}. It logs {said}. {h.family.meaning}. Roll back the revision (or bound what "
                   "it sends), not the server")
    else:
        role = "lowered the limit" if h.how == "limit" else "raised a setting that drives into the limit"
        assert h.setting is not None
        message = (f"{h.target} {role} the errors name ({h.setting.text()}, {when}): {h.family.short}. {victim} "
                   f"logs {said}; {h.target.name} {h.relation}. {h.family.meaning}. Restore {h.setting.key} on "
                   f"{h.target.name}")
    return {"check": SENDS if h.how == "sends" else CHECK, "severity": "critical",
            "object": {"kind": h.target.kind, "namespace": h.target.namespace, "name": h.target.name},
            "reason": "LimitMadeReachable", "message": message, "evidence": [h.error[:200]],
            "details": {"family": h.family.name, "how": h.how, "setting": h.setting.key if h.setting else None,
                        "old": h.setting.old if h.setting else None, "new": h.setting.new if h.setting else None,
                        "change_at": h.at, "victim": victim}}


# ---- reading ---------------------------------------------------------------------------------------------


def _touched(facts: Facts) -> list[Ref]:
    """Workloads a recent change touched: rolled out or written, or reading a written ConfigMap; newest first."""
    out: list[Ref] = []
    for change, _ in sorted(facts.every_change(), key=lambda c: str(c[0].get("at") or ""), reverse=True):
        recent = _recent(facts, change)
        if recent is None or change.get("type") == "secret":
            continue
        target, _ = recent
        refs = workloads_touched(change, target, WORKLOADS)
        out += [r for r in refs if not any(o.same_object(r) for o in out)]
    return out


async def read(facts: Facts, call: Call) -> None:
    """Reading only: the logs of workloads a recent change touched that the survey did not read (bounded), and
    the current text of ConfigMaps written with no values in the diff, when a limit error is in view."""
    store = _store(facts)
    seen = {(log.namespace, workload_of_pod(log.pod)) for log in facts.logs}
    reads = 0
    for workload in [] if _errors(facts) else _touched(facts):  # a limit error already in view: no more reads
        if reads >= MAX_LOG_READS:
            break
        if (workload.namespace, workload.name) in seen:
            continue
        seen.add((workload.namespace, workload.name))
        step = f"survey-limit-{workload.name}"
        pod = await pod_of(call, workload, f"{step}-pods")
        reads += 1
        if not pod:
            continue
        outcome = await call("k8s_logs", {"name": pod, "namespace": workload.namespace, "tail": 300}, f"{step}-log")
        if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
            continue
        log = log_evidence(outcome.data, outcome.evidence_id)
        if log is None:
            continue
        log.pod, log.namespace = log.pod or pod, log.namespace or workload.namespace
        log.last_lines = [ln for ln in str(outcome.full_text or "").splitlines()[1:] if ln.strip()][-5:]
        store.setdefault("logs", []).append(log)
    if not _errors(facts):
        return
    have = {(str((o.get("metadata") or {}).get("namespace") or ""), str((o.get("metadata") or {}).get("name")))
            for o, _ in facts.objects if o.get("kind") == "ConfigMap"}
    configs = 0
    for change, _ in facts.every_change():
        recent = _recent(facts, change)
        if recent is None or configs >= MAX_CONFIG_READS:
            continue
        target, _ = recent
        if target.kind != "ConfigMap" or (target.namespace, target.name) in have or settings_of(change):
            continue
        got = await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-limit-config-{target.name}")
        configs += 1
        have.add((target.namespace, target.name))
        if got is not None and got[0].get("kind", "ConfigMap") == "ConfigMap":
            facts.objects.append(got)
    await _read_resources(facts, call)


async def _read_resources(facts: Facts, call: Call) -> None:
    """The current spec of operator resources written recently whose kind or name is the software an error in
    view names (an `Elasticsearch` resource for a too_many_buckets_exception): bounded, reading only."""
    engines = [f.engine for f in {e.family.name: e.family for e in _errors(facts)}.values() if f.engine is not None]
    have = {(str(o.get("kind")), str((o.get("metadata") or {}).get("namespace") or ""),
             str((o.get("metadata") or {}).get("name"))) for o, _ in facts.objects}
    reads = 0
    for change, _ in facts.every_change():
        recent = _recent(facts, change)
        if recent is None or reads >= MAX_CONFIG_READS:
            continue
        target, _ = recent
        if not _is_resource(target) or (target.kind, target.namespace, target.name) in have \
                or not any(e.search(target.kind) or e.search(target.name) for e in engines):
            continue
        have.add((target.kind, target.namespace, target.name))
        reads += 1
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-limit-resource-{target.name}")
        if got is not None:
            facts.objects.append(got)
