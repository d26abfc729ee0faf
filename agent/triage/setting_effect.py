"""Which setting inside a changed config file changed, and what it did to the workload that reads it.

"ConfigMap listing-flags: data key flags.yaml set by kubectl-edit" names a file, not a setting, and
says nothing of the effect. The on-call needs the leaf (`seller_badges_enabled`, `db.pool_size`) and
the proof that it moved something: a series of the workload's namespace or of a dependency's that
stepped at that very minute (a per-row query's call rate, request duration, error rate,
connections). Three sources, each a real trace:

* the previous value, when the timeline has one (last-applied configuration): a leaf-level diff of
  the two versions through `agent.triage.value_diff`;
* the workload's own logs: software that hot-reloads a file says so and often names what changed
  ("feature flags reloaded ... changed: [x]", "config reloaded: x = 5"); a leaf of the file's current
  value named in a line from the change on is the setting that changed;
* the metrics: every series of the workload's (and its dependencies') namespaces is read as a rate
  or a level over the window around the change, and the ones whose biggest shift falls within
  minutes after it are the effect, with their before/after levels.

A single-row lookup statement (`WHERE id = $1`, `= ?`) whose call rate multiplies at the change is
the N+1 query pattern: one query per item of a page instead of one per page. When nothing names a
leaf, the file is reported as "set at T" with its settings' current values, never as "changed to".
Reading only; Secrets are never read (only `config` changes of ConfigMaps qualify).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import costly_setting, value_diff
from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml, pod_of
from agent.triage.subject import workload_of_pod

CHECK = "change.setting_effect"
WEIGHT = 0.9
"""A config write whose setting moved the workload's own series at that minute explains the symptom."""
LEAD = timedelta(hours=3)
"""How long before the alert a config write is read for its effect."""
SHIFT_AFTER = timedelta(minutes=10)
SHIFT_BEFORE = timedelta(minutes=3)
"""A series' biggest shift counts as the change's effect from 3 min before (scrape and rate windows) to 10 after."""
MIN_RATIO = 2.0
MAX_CHANGES = 2
MAX_METRICS = 8
MAX_LEAF_GREPS = 4
READS = "setting_effect"
"""The key of this module's reads in `Facts.reads`."""
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
_DATA_KEY = re.compile(r"\bdata key (\S+)")
_LOOKUP = re.compile(r"\bwhere\b.*?[\w\"`\]]\s*(?:=\s*(?:\$\d+|\?|:\w+|%s)|in\s*\(\s*(?:\$\d+|\?))", re.I | re.S)
"""A statement that fetches one row (or a few) by a bound parameter: the statement an N+1 pattern repeats."""
_ID = re.compile(r"-?[0-9a-f]{6,}|-?\d{6,}")
"""A label value that is an id (a query id, a digest): it tells series apart but says nothing to a reader."""
_PLATFORM = ("container_", "kube_", "kubelet_", "node_", "apiserver_", "coredns_", "machine_")
"""Series every namespace has (cAdvisor, kube-state-metrics): read after the application's own, when room is left."""
_SKIP_METRICS = ("up", "scrape_", "prometheus_", "go_", "process_", "promhttp_")

Call = Callable[..., Awaitable[Any]]


@dataclass
class Shift:
    """One series that stepped at the change: its name, labels that tell it apart, levels before and after."""

    metric: str
    labels: dict[str, str]
    at: str
    before: float
    after: float
    rate: bool

    def ratio(self) -> float:
        return self.after / self.before if self.before > 0 else float("inf")

    def text(self) -> str:
        shown = {k: (v if len(v) <= 40 else v[:37] + "...") for k, v in self.labels.items()
                 if k not in ("__name__", "namespace", "job", "instance", "pod") and not _ID.fullmatch(v)}
        label = "{" + ", ".join(f'{k}="{v}"' for k, v in shown.items()) + "}" if shown else ""
        how = "rate " if self.rate else ""
        times = f" (x{self.ratio():.0f})" if self.before > 0 else " (from none)"
        return f"{self.metric}{label} {how}{_num(self.before)} -> {_num(self.after)}{times} at {self.at[11:16]}"

    def is_lookup_query(self) -> bool:
        return any(_LOOKUP.search(v) for v in self.labels.values())


@dataclass
class SettingEffect:
    """A config write, the settings it changed (or set), and what moved when it landed."""

    target: Ref
    change: dict[str, Any]
    data_key: str
    users: list[Ref]
    leaves: list[value_diff.LeafChange]
    named_by: str
    """The log line that named the leaf ("" when the leaves come from a diff or are only the current values)."""
    shifts: list[Shift] = field(default_factory=list)
    minutes_before: int = 0
    evidence: list[str] = field(default_factory=list)


def _num(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, list[str], list[Ref]]]:
    """(change, ConfigMap, data keys, workloads using it) for config writes within LEAD before the alert."""
    out = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or str(change.get("type")) != "config" or target.kind != "ConfigMap" \
                or not facts.at - LEAD <= at <= facts.at:
            continue
        keys = list(dict.fromkeys(m.group(1) for d in change.get("diff") or [] for m in [_DATA_KEY.search(str(d))]
                                  if m))
        users = [r for r in (Ref.of(x) for x in change.get("related") or []) if r and r.kind in WORKLOADS]
        if keys and users:
            out.append((change, target, keys, users))
    return sorted(out, key=lambda c: str(c[0].get("at")), reverse=True)[:MAX_CHANGES]


def _reads(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


async def _pod_of(facts: Facts, call: Call, user: Ref) -> str:
    """One pod of the workload: from the survey's topology or logs, else listed."""
    for data, _ in facts.topologies:
        for pod in data.get("pods") or []:
            name = str(pod.get("name") or "") if isinstance(pod, dict) else ""
            if name and workload_of_pod(name) == user.name:
                return name
    for log in facts.logs:
        if workload_of_pod(log.pod) == user.name and log.namespace == user.namespace:
            return log.pod
    return await pod_of(call, user, f"survey-setting-pods-{user.name}")


async def _grep(call: Call, pod: str, namespace: str, word: str, step: str) -> tuple[list[str], str] | None:
    outcome = await call("k8s_logs", {"name": pod, "namespace": namespace, "grep": word, "tail": 10000,
                                      "budget_tokens": 1500}, step)
    if outcome is None or not outcome.ok:
        return None
    lines = [ln for ln in str(outcome.full_text or outcome.text).splitlines() if word.lower() in ln.lower()]
    return lines, outcome.evidence_id


DB_LABELS = ("datname", "database", "db", "schema", "application_name")
"""Labels database exporters put the database (or client application) name in: postgres_exporter and
pg_stat_statements `datname`, pgbouncer and MongoDB `database`, mysqld_exporter `schema`."""


async def _names(call: Call, match: str, start: datetime, end: datetime, step: str) -> list[tuple[str, str]]:
    """(metric name, selector) of the application series `match` selects in the window."""
    page = await call("prom_series", {"match": match, "start": _iso(start), "end": _iso(end), "limit": 500}, step)
    if page is None or not page.ok or not isinstance(page.data, dict):
        return []
    out: list[tuple[str, str]] = []
    for labels in page.data.get("series") or []:
        labels = labels if isinstance(labels, dict) else {}
        name = str(labels.get("__name__") or "")
        if not name or name.startswith(_SKIP_METRICS) or name.endswith("_bucket"):
            continue
        inner = match[match.index("{"):] if "{" in match else "{}"
        if (name, inner) not in out:
            out.append((name, inner))
    return out


async def _series(facts: Facts, call: Call, namespaces: list[str], apps: list[str], at: datetime,
                  step: str) -> None:
    """The application series of `namespaces`, and the database series labelled with one of `apps` (a service's
    database is usually named after it or its namespace, and its exporter may run anywhere), each as a rate
    (counters) or a level over the window around `at`."""
    store = _reads(facts).setdefault("ranges", [])
    start, end = at - timedelta(minutes=45), min(facts.at, at + timedelta(minutes=30))
    names: list[tuple[str, str]] = []
    for ns in namespaces:
        names += await _names(call, f'{{namespace="{ns}"}}', start, end, f"{step}-series-{ns}")
    values = "|".join(a.replace(".", "\\\\.") for a in dict.fromkeys(apps) if re.fullmatch(r"[a-z0-9][a-z0-9.-]*", a))
    for label in DB_LABELS if values else ():
        names += await _names(call, f'{{{label}=~"{values}"}}', start, end, f"{step}-series-{label}")
    ordered = sorted(dict.fromkeys(names), key=lambda n: n[0].startswith(_PLATFORM))  # the application's own first
    for name, selector in ordered[:MAX_METRICS]:
        counter = name.endswith(("_total", "_count", "_sum"))
        expr = f"{name}{selector}"
        query = f"sum without (pod, instance) (rate({expr}[5m]))" if counter else \
            f"sum without (pod, instance) ({expr})"
        outcome = await call("prom_query_range", {"query": query, "start": _iso(start), "end": _iso(end),
                                                  "step": "60s", "baseline": "none", "top_k": 5},
                             f"{step}-range-{name}")
        if outcome is not None and outcome.ok and isinstance(outcome.data, dict):
            store.append(({**outcome.data, "metric": name, "rate": counter}, outcome.evidence_id))


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


async def read(facts: Facts, call: Call) -> None:
    """Reading only: for each recent config write used by a workload, the ConfigMap, the workload's log lines
    naming the file or its settings, and the series of its namespaces around the write."""
    for change, target, keys, users in _candidates(facts):
        at = parse_time(change.get("at"))
        if at is None:
            continue
        step = f"survey-setting-{target.name}"
        got = await get_yaml(call, "ConfigMap", target.name, target.namespace, step)
        if got is not None and got[0].get("kind") == "ConfigMap":
            facts.objects.append(got)
        user = users[0]
        pod = await _pod_of(facts, call, user)
        logs = _reads(facts).setdefault("lines", [])
        if pod:
            for key in keys[:2]:
                found = await _grep(call, pod, user.namespace, key, f"{step}-log")
                if found and found[0]:
                    logs.append(({"object": str(target), "pod": pod, "word": key, "lines": found[0][-20:]}, found[1]))
            current = value_diff.leaves(facts.configmap_value(target, keys[0]), keys[0]) or {}
            if not _named(facts, target, at, current)[0] and current:
                for leaf in list(current)[:MAX_LEAF_GREPS]:
                    word = leaf.rsplit(".", 1)[-1]
                    found = await _grep(call, pod, user.namespace, word, f"{step}-leaf")
                    if found and found[0]:
                        logs.append(({"object": str(target), "pod": pod, "word": word, "lines": found[0][-10:]},
                                     found[1]))
        namespaces = [user.namespace]
        for data, _ in facts.topologies:
            subject = Ref.of(data.get("subject"))
            if subject is not None and subject.name == user.name:
                namespaces += [str((d.get("target") or {}).get("namespace") or "") for d in data.get("dependencies")
                               or [] if isinstance(d, dict)]
        await _series(facts, call, [n for n in dict.fromkeys(namespaces) if n][:3], [user.namespace, user.name], at,
                      step)



def _line_time(line: str) -> datetime | None:
    m = re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?", line)
    if not m:
        return None
    stamp = re.sub(r"(\.\d{6})\d+", r"\1", m.group(0))
    return parse_time(stamp if stamp[-1] == "Z" or "+" in stamp[19:] or "-" in stamp[19:] else stamp + "Z")


def _named(facts: Facts, target: Ref, at: datetime, current: dict[str, str]) -> tuple[list[str], str]:
    """The leaves of the file that the workload's lines from the write on name, and the first such line."""
    leaves: list[str] = []
    said = ""
    for data, _ in _reads(facts).get("lines") or []:
        if data.get("object") != str(target):
            continue
        for line in data.get("lines") or []:
            t = _line_time(line)
            if t is None or t < at - SHIFT_BEFORE:
                continue
            for path in current:
                last = path.rsplit(".", 1)[-1]
                words = [path] + ([last] if last != path and (len(last) >= 8 or "_" in last) else [])
                if path not in leaves and any(re.search(rf"(?<![\w]){re.escape(w)}(?![\w])", line) for w in words):
                    leaves.append(path)
                    said = said or line
    return leaves, said


def _shifts(facts: Facts, at: datetime) -> list[Shift]:
    out: list[Shift] = []
    for data, _ in _reads(facts).get("ranges") or []:
        for s in data.get("series") or []:
            change = s.get("change") if isinstance(s, dict) else None
            when = parse_time((change or {}).get("at"))
            if not change or when is None or not at - SHIFT_BEFORE <= when <= at + SHIFT_AFTER:
                continue
            before, after = change.get("before"), change.get("after")
            if not isinstance(before, (int, float)) or not isinstance(after, (int, float)) or after <= 0:
                continue
            if after < before * MIN_RATIO and not (before > 0 and after <= before / MIN_RATIO):
                continue
            out.append(Shift(str(data.get("metric")), dict(s.get("labels") or {}), str(change.get("at")),
                             float(max(before, 0.0)), float(after), bool(data.get("rate"))))
    return sorted(out, key=lambda x: -min(x.ratio(), 1e9))


def effects(facts: Facts) -> list[SettingEffect]:
    """Each recent config write a workload reads, with the leaves it changed and the series that stepped with it;
    only writes with some proof of effect (a shifted series, or a log line naming a leaf) are kept."""
    out: list[SettingEffect] = []
    for change, target, keys, users in _candidates(facts):
        at = parse_time(change.get("at"))
        if at is None:
            continue
        key = keys[0]
        diffed = _diffed(change, key)
        current = value_diff.leaves(facts.configmap_value(target, key), key) or {}
        named, said = _named(facts, target, at, current)
        leaves = diffed or [value_diff.LeafChange(p, None, current[p]) for p in named]
        shifts = _shifts(facts, at)
        if not shifts or not (leaves or current):
            continue
        evidence = [e for e in (facts.changes_id,) if e]
        evidence += [e for _, e in _reads(facts).get("lines") or []] + [e for _, e in _reads(facts).get("ranges") or []]
        effect = SettingEffect(target, change, key, users, leaves, said[:240], shifts[:3],
                               int((facts.at - at).total_seconds() // 60), list(dict.fromkeys(evidence)))
        if not leaves:
            effect.leaves = [value_diff.LeafChange(p, None, v) for p, v in _costly_first(current)[:6]]
        out.append(effect)
    return out


def _costly_first(current: dict[str, str]) -> list[tuple[str, str]]:
    """A file's settings with those known to cost on every operation (costly_setting's catalogue) first: with no
    previous value and no log naming a leaf, the finding can show only a few, and a file's order (bind address,
    buffer sizes first) says nothing of which one matters."""
    items = list(current.items())
    return sorted(items, key=lambda kv: costly_setting.cost_of(f"{kv[0].rsplit('.', 1)[-1]}={kv[1]}") is None)


def _diffed(change: dict[str, Any], key: str) -> list[value_diff.LeafChange]:
    """Leaves that differ between the last-applied and the current value, when the timeline's diff carries both."""
    for line in (str(d) for d in change.get("diff") or []):
        m = re.search(rf"\bdata key {re.escape(key)} '(.*)' -> '(.*)'", line)
        if m:
            return value_diff.diff(m.group(1), m.group(2), key) or []
    return []


def _held(leaf: value_diff.LeafChange) -> str:
    """`path=value`, with what it costs on every operation when it is a known costly setting."""
    text = f"{leaf.path}={leaf.new}"
    cost = costly_setting.cost_of(f"{leaf.path.rsplit('.', 1)[-1]}={leaf.new}")
    return f"{text} ({cost})" if cost else text


def finding(e: SettingEffect) -> dict[str, Any]:
    """The suspect's finding: the write, the leaf and its values, the series that moved (first 400 characters
    carry all three: the ranking quotes no more), then the log line that named the leaf as evidence."""
    users = ", ".join(str(u) for u in e.users[:2])
    at = str(e.change.get("at") or "")
    if e.named_by or any(leaf.old is not None for leaf in e.leaves):
        what = "; ".join(leaf.text(e.data_key) if leaf.old is not None or leaf.new is None
                         else f"{e.data_key}: {leaf.path} set to {leaf.new}" for leaf in e.leaves[:3])
    else:
        what = (f"{e.data_key} set at {at[11:16]} (previous value not recorded; it now holds "
                + ", ".join(_held(leaf) for leaf in e.leaves[:4]) + ")")
    lookups = [s for s in e.shifts if s.is_lookup_query() and s.after > s.before]
    pattern = (", turning on an N+1 query pattern (one lookup query per item: queries per request multiply)"
               if lookups else "")
    first = (lookups or e.shifts)[0]
    moved = first.text() + (f" (+{len(e.shifts) - 1} series)" if len(e.shifts) > 1 else "")
    leaf = e.leaves[0].path if e.leaves and (e.named_by or e.leaves[0].old is not None) else e.data_key
    message = (f"{e.target} (used by {users}): {what}, {e.minutes_before} min before the alert{pattern}. Then "
               f"{moved}. Revert {leaf} in {e.data_key} (or fix what it turns on) and watch these series return")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": e.target.kind, "namespace": e.target.namespace, "name": e.target.name},
            "reason": "ChangedSettingMovedMetrics", "message": message,
            "evidence": [x for x in (e.named_by[:200], *(s.text() for s in e.shifts)) if x],
            "details": {"data_key": e.data_key, "change_at": at, "minutes_before": e.minutes_before,
                        "leaves": [{"path": x.path, "old": x.old, "new": x.new} for x in e.leaves[:6]],
                        "shifts": [{"metric": s.metric, "labels": s.labels, "at": s.at, "before": s.before,
                                    "after": s.after} for s in e.shifts],
                        "n_plus_one": bool(lookups)}}
