"""A chart upgrade that no longer reads a values block: the feature those values turn on is gone from its output.

A Helm chart's values are an interface the chart's templates read by path. A new chart version (a major one most
often) may move or rename a block (`nats.jetstream` -> `config.jetstream`, `redis.auth` -> `auth`, `server.tls`
-> `tls`): Helm does not reject values no template reads, so the release upgrades cleanly with the old block
still in its values, and what it renders simply lacks the feature. The server starts and is healthy; its clients
then fail in the feature's own words: NATS `nats: jetstream not enabled`, `TLS not enabled` / `SSL is not
enabled on the server`, `authentication is disabled`, `streams are not enabled`, `plugin ... is not enabled`.
The rollout of the server is the moment; the release's chart version bump with stale values is the cause.

`found` is pure over the facts: an error or warning line that says a named feature is not enabled (or disabled,
unavailable), a GitOps release (Flux HelmRelease, Argo CD Application) whose chart version was written within
LEAD before the error was first seen and whose values still set that feature on (a values path holding the
feature's word, its `enabled` leaf, when there is one, true), and a ConfigMap its controller wrote right after in
the release's namespace whose data no longer mentions the feature (what the chart rendered). Twins: values that
turn the feature off (a values change, not an ignored block), a rendered config that still holds it, a release
whose chart version was not written, an error about another feature. `read` (reading only, only when such an
error is in view) fetches the written release objects and the ConfigMaps written in their namespaces; never
Secrets.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml

from agent.triage.facts import Facts, LogEvidence, Ref, all_said, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml

Call = Callable[..., Awaitable[Any]]

CHECK = "change.values_ignored"
WEIGHT = 0.94
"""Above the clients' errors and the server's own rollout (which only carried the chart's new output)."""
LEAD = timedelta(hours=24)
RENDER_LAG = timedelta(minutes=20)
"""How soon after the release's write its controller writes what the chart rendered."""
READS = "values_ignored"
MAX_READS = 6
RELEASE_KINDS = ("HelmRelease", "Application", "HelmChart")
CHART_VERSION = re.compile(r"chart\.spec\.version|\bchart\.version|targetRevision|spec\.chart\b|chartVersion|"
                           r"(?<![\w.])spec\.version\b|\bhelm\.version\b", re.I)
"""A release write that moved the chart's version (Flux `spec.chart.spec.version`, Argo CD `targetRevision`, the k3s/
RKE2 HelmChart's `spec.version`, a Fleet bundle's `helm.version`)."""
_OFF = r"(?:is |are |was )?(?:not enabled|disabled|not available|unavailable|not configured|not active)"
FEATURE_OFF = (
    re.compile(r"(?:feature|module|plugin|extension|subsystem|mode)s? ['\"`]?(?P<f>[A-Za-z][\w.-]{1,40})['\"`]? "
               + _OFF, re.I),
    re.compile(r"(?<![\w.-])(?P<f>[A-Za-z][\w-]{1,40})(?: support| mode| feature| module| plugin)? " + _OFF
               + r"(?: on (?:the |this )?server)?\b", re.I),
)
"""A line saying a named feature is off: `nats: jetstream not enabled`, `plugin rabbitmq_stream is not enabled`,
`SSL is not enabled on the server`, `streams are not enabled`."""
NOT_FEATURE = frozenset({"is", "are", "was", "it", "this", "that", "the", "service", "server", "client", "request",
                         "user", "account", "feature", "module", "plugin", "mode", "support", "endpoint", "option",
                         "method", "operation", "action", "function", "value", "key", "field", "config", "api"})
SEVERE = frozenset({"error", "fatal", "critical", "warning", "warn", "panic"})


@dataclass
class Ignored:
    """A release whose new chart version ignores the values block that turned a feature on."""

    release: Ref
    feature: str
    version: str
    by: str
    minutes: int
    paths: list[str]
    rendered: Ref
    said: str
    log: LogEvidence
    explains: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def features_off(log: LogEvidence) -> list[tuple[str, str, datetime | None]]:
    """(feature word, line, first seen) for each error or warning line of the log that says a feature is off."""
    out: list[tuple[str, str, datetime | None]] = []
    for entry in log.entries():
        said = all_said(entry)
        if not said or not (str(entry.get("severity") or "").lower() in SEVERE or entry.get("error_class")):
            continue
        for pattern in FEATURE_OFF:
            m = pattern.search(said)
            if m and m["f"].lower() not in NOT_FEATURE:
                out.append((m["f"].lower(), said, parse_time(entry.get("first_seen"))))
                break
    return out


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, child in value.items():
            out.update(_flat(child, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _yaml_values(text: Any) -> dict[str, Any]:
    """Values written as a YAML document inside a string field, as dotted paths ({} when it is not a mapping)."""
    if not isinstance(text, str) or not text.strip():
        return {}
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return _flat(doc) if isinstance(doc, dict) else {}


def _set_values(pairs: Any) -> dict[str, Any]:
    """`--set`-style values: Argo CD `helm.parameters` ([{name, value}]) or a HelmChart's `spec.set` map."""
    if isinstance(pairs, dict):
        return {str(k): v for k, v in pairs.items()}
    return {str(p["name"]): p.get("value") for p in pairs or [] if isinstance(p, dict) and p.get("name")}


def values_of(obj: dict[str, Any]) -> dict[str, Any]:
    """A release's inline values as dotted paths, in each product's fields: Flux `spec.values`, Argo CD
    `spec.source(s).helm.valuesObject`, `helm.values` (a YAML string) and `helm.parameters`, the k3s/RKE2
    HelmChart's `spec.valuesContent` (a YAML string) and `spec.set`. Values kept in other objects (Flux
    `valuesFrom`, Argo CD `valueFiles`) are not read here."""
    spec = obj.get("spec") or {}
    out = _flat(spec.get("values") or {}) if isinstance(spec.get("values"), dict) else {}
    out.update(_yaml_values(spec.get("valuesContent")))
    out.update(_set_values(spec.get("set")))
    for source in [spec.get("source") or {}, *(spec.get("sources") or [])]:
        helm = source.get("helm") if isinstance(source, dict) else None
        if not isinstance(helm, dict):
            continue
        out.update(_yaml_values(helm.get("values")))
        if isinstance(helm.get("valuesObject"), dict):
            out.update(_flat(helm["valuesObject"]))
        out.update(_set_values(helm.get("parameters")))
    return out


SAME_FEATURE = ({"ssl", "tls"}, {"auth", "authentication"})
"""Words products use for one feature: a client's `SSL is not enabled` is the chart's `tls` block (PostgreSQL,
Redis, MySQL speak of SSL, charts of TLS), `authentication is disabled` its `auth` block."""


def words_for(feature: str) -> set[str]:
    """The feature's word and the other words products use for it."""
    return set().union({feature}, *(group for group in SAME_FEATURE if feature in group))


def asks_for(values: dict[str, Any], feature: str) -> list[str]:
    """The values paths that set the feature (a path segment is one of the feature's words), when none turns it
    off."""
    words = words_for(feature)
    paths = [p for p in values if words & {s.lower() for s in p.split(".")}]
    switches = [values[p] for p in paths if p.lower().endswith(".enabled")]
    if not paths or any(v in (False, "false", "False", 0) for v in switches):
        return []
    return paths


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


def _releases(facts: Facts) -> list[tuple[dict[str, Any], Ref, datetime]]:
    """Release writes that moved the chart's version within LEAD before the incident."""
    out: list[tuple[dict[str, Any], Ref, datetime]] = []
    for change, _, target in facts.writes_to(RELEASE_KINDS, within=LEAD, deletions=False):
        said = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        at = parse_time(change.get("at"))
        if at is not None and CHART_VERSION.search(said) and not any(t.same_object(target) for _, t, _ in out):
            out.append((change, target, at))
    return out


def _destination(obj: dict[str, Any], target: Ref) -> str:
    spec = obj.get("spec") or {}
    return str((spec.get("destination") or {}).get("namespace") or spec.get("targetNamespace") or target.namespace)


def _rendered(facts: Facts, namespace: str, after: datetime) -> list[Ref]:
    """ConfigMaps written in the release's namespace within RENDER_LAG after its write."""
    out: list[Ref] = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is not None and at is not None and target.kind == "ConfigMap" and target.namespace == namespace \
                and after <= at <= after + RENDER_LAG and target not in out:
            out.append(target)
    return out


def _version(change: dict[str, Any], obj: dict[str, Any]) -> str:
    spec = obj.get("spec") or {}
    chart = ((spec.get("chart") or {}).get("spec") or {}) if isinstance(spec.get("chart"), dict) else {}
    source = spec.get("source") or {}
    return str(chart.get("version") or (source.get("targetRevision") if isinstance(source, dict) else "")
               or (spec.get("version") if isinstance(spec.get("version"), str) else "") or "")


def found(facts: Facts) -> list[Ignored]:
    """Releases whose chart upgrade left the values that turn on a feature unread, as their clients' errors say."""
    errors = [(f, said, first, log) for log in facts.logs for f, said, first in features_off(log)]
    if not errors:
        return []
    store = _store(facts)
    out: list[Ignored] = []
    for change, target, at in _releases(facts):
        obj, obj_evidence = store.get(f"{target.kind}/{target.namespace}/{target.name}", ({}, ""))
        if not obj:
            continue
        values = values_of(obj)
        texts = [(ref, *store.get(f"ConfigMap/{ref.namespace}/{ref.name}", ("", ""))) for ref in
                 _rendered(facts, _destination(obj, target), at)]
        texts = [(ref, text, ev) for ref, text, ev in texts if text]
        for feature, said, first, log in errors:
            if first is not None and first < at:
                continue  # the clients said it before the upgrade
            paths = asks_for(values, feature)
            if not paths:
                continue
            if not texts or any(w in text.lower() for w in words_for(feature) for _, text, _ in texts):
                continue  # nothing rendered in view, or the feature is still in what was rendered
            rendered, _, rendered_evidence = texts[0]
            victims = [Ref("Pod", log.namespace, log.pod)]
            out.append(Ignored(target, feature, _version(change, obj), written_by(change),
                               int((facts.at - at).total_seconds() // 60), paths[:3], rendered, said, log,
                               victims, [e for e in (facts.changes_id, obj_evidence, rendered_evidence,
                                                     log.evidence_id) if e]))
            break
    return out


def finding(ig: Ignored) -> dict[str, Any]:
    """The release as the suspect: the version it moved to, the values still asking for the feature, what rendered."""
    kind = {"HelmRelease": "Flux HelmRelease", "Application": "Argo CD Application",
            "HelmChart": "HelmChart"}.get(ig.release.kind, ig.release.kind)
    version = f" {ig.version}" if ig.version else ""
    by = f" by {ig.by}" if ig.by else ""
    message = (f"{kind} {ig.release.namespace}/{ig.release.name} moved to chart version{version} (written{by}, "
               f"{minutes_text(ig.minutes)} before the alert); its values still set {', '.join(ig.paths)}, yet "
               f"what the chart rendered ({ig.rendered}) has no {ig.feature}: the new chart no longer reads that "
               f"values block (Helm ignores values no template reads). Clients say: '{ig.said[:150]}'. Move the "
               f"values to the keys the new chart reads.")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": ig.release.kind, "namespace": ig.release.namespace, "name": ig.release.name},
            "reason": "ChartValuesIgnored", "message": message, "evidence": [ig.said[:200], ", ".join(ig.paths)],
            "details": {"feature": ig.feature, "version": ig.version, "minutes_before": ig.minutes}}


async def read(facts: Facts, call: Call) -> None:
    """Reading only, bounded, and only when a feature-off error is in view: the releases whose chart version was
    written, and the ConfigMaps written right after in their namespaces."""
    if not any(features_off(log) for log in facts.logs):
        return
    store = _store(facts)
    reads = 0
    for _, target, at in _releases(facts)[:3]:
        key = f"{target.kind}/{target.namespace}/{target.name}"
        if key not in store:
            got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-values-{target.name}")
            reads += 1
            store[key] = got if got is not None else ({}, "")
        obj = store[key][0]
        if not obj:
            continue
        for ref in _rendered(facts, _destination(obj, target), at):
            ckey = f"ConfigMap/{ref.namespace}/{ref.name}"
            if ckey in store or reads >= MAX_READS:
                continue
            got = await get_yaml(call, "ConfigMap", ref.name, ref.namespace, f"survey-values-{ref.name}")
            reads += 1
            data = (got[0].get("data") if got is not None else None) or {}
            text = "\n".join(str(v) for v in data.values()) if isinstance(data, dict) else ""
            store[ckey] = (text[:20000], got[1] if got is not None else "")
