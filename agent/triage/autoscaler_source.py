"""An autoscaler whose metric SOURCE fails after a write of its source settings: it cannot scale at all.

An autoscaler is only as good as the number it reads. KEDA's ScaledObject/ScaledJob triggers name where that
number comes from (a Prometheus `serverAddress`, a Kafka `bootstrapServers`, a RabbitMQ `host`, an SQS
`queueURL`, with auth from a TriggerAuthentication); an HPA's Pods/External/Object metric names a metric and a
label `selector` that the custom/external metrics API resolves to series. When the source cannot be read, the
autoscaler does not scale on load at all:

- KEDA marks the trigger `Failing` in `status.health`, sets `Ready False ScaledObjectCheckFailed`, logs
  `error requesting metrics endpoint ... dial tcp: lookup <host> ...: no such host` (or `connection refused`,
  `401 Unauthorized`, `i/o timeout`) in its operator log and as `KEDAScalerFailed` events, and, after
  `fallback.failureThreshold` failures, holds the workload at `fallback.replicas` (condition `Fallback True`)
  however high the load is;
- the HPA controller sets `ScalingActive False` with `FailedGetExternalMetric`/`FailedGetPodsMetric`/
  `FailedGetObjectMetric` and emits the same reason as an event (`unable to get external metric
  ns/name/&LabelSelector{...}: ... the server could not find the requested resource` / `no metrics returned`):
  a selector that matches no series (a consumer group renamed, a label typo) leaves it at its current replicas.

So: an autoscaler the survey read that says its source fails (KEDA health Failing / Ready False with a scaler
error, an HPA ScalingActive False on a FailedGet*Metric whose error says the metric was not found), whose source
settings (the triggers; the HPA's metrics) were written by someone other than its controller within `LEAD`, with
the failure not seen before the write. The finding names the autoscaler and says what the failure means early:
which setting (the trigger metadata key whose value the error names: `serverAddress X`), the error class
(`no such host`), and what the autoscaler holds instead (KEDA's fallback replicas). An autoscaler whose source
failed before the write, a write with a healthy source, or an HPA whose metrics API itself is down (`the server is
currently unable to handle the request`, no endpoints for the adapter: that is the adapter, not the selector) is
not named. `read` fetches objects, events and the selector's series, and only when the incident shows a scaling
symptom (its words, a backlog, a scan finding about an autoscaler, a write to one in a timeline read): the CRDs and
autoscaler lists are otherwise calls in every report for nothing; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from agent.triage import hpa_limited, hpa_unreachable
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "autoscaler.source_failing"
WEIGHT = 0.94
"""Above a bare write to the autoscaler (related_object) and a trigger target's change (0.91): the autoscaler's
own status says it cannot read its source, and the write came first."""
STORE = "autoscaler_source"
LEAD = hpa_limited.LEAD
MAX_READS = 8
SKEW = timedelta(minutes=2)
"""A failure first seen this long before the write still counts as after it (clocks, event batching)."""
KEDA_KINDS = {"scaledobjects.keda.sh": "ScaledObject", "scaledjobs.keda.sh": "ScaledJob"}
HPA_FAILURES = ("FailedGetExternalMetric", "FailedGetPodsMetric", "FailedGetObjectMetric",
                "FailedGetContainerResourceMetric")
"""ScalingActive reasons of a metric the HPA could not get (a resource metric comes from metrics-server, no
selector of the HPA's own)."""
KEDA_EVENTS = ("KEDAScalerFailed", "KEDAScaleTargetActivationFailed", "ScaledObjectCheckFailed",
               "ScaledJobCheckFailed")
ERRORS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("no such host", re.compile(r"no such host|NXDOMAIN|Name or service not known|could not resolve host", re.I)),
    ("connection refused", re.compile(r"connection refused|ECONNREFUSED", re.I)),
    ("401 Unauthorized", re.compile(r"\b401\b|unauthori[sz]ed|authentication failed|SASL authentication|"
                                    r"\bNOAUTH\b|\bWRONGPASS\b|ACCESS_REFUSED|InvalidClientTokenId|"
                                    r"security token included in the request is invalid", re.I)),
    ("403 Forbidden", re.compile(r"\b403\b|forbidden|access ?denied|not authorized to perform|"
                                 r"TopicAuthorizationFailed|GroupAuthorizationFailed|NOT_ALLOWED|"
                                 r"access to (?:vhost|\w+) \S+ refused|permission denied|PERMISSION_DENIED|"
                                 r"\bNOPERM\b|AuthorizationFailed", re.I)),
    ("TLS certificate error", re.compile(r"x509|certificate (?:signed|is not valid)|tls: ", re.I)),
    ("timeout", re.compile(r"i/o timeout|deadline exceeded|Client\.Timeout|timed out", re.I)),
    ("queue or topic not found", re.compile(r"NonExistentQueue|queue does not exist|NOT_FOUND - no queue|"
                                            r"UnknownTopicOrPartition|unknown topic|topic \S+ does not exist|"
                                            r"ResourceNotFoundException", re.I)),
    ("no matching series", re.compile(r"could not find the (?:requested resource|metric)|no metrics returned|"
                                      r"no matching metrics|empty result|NotFound", re.I)),
)
"""The scaler/metric error's class in the words an operator searches for, first match wins: Kafka (SASL, topic/
group authorization, UnknownTopicOrPartition), RabbitMQ (ACCESS_REFUSED, NOT_FOUND - no queue, and a user without
rights on the vhost: `530 NOT_ALLOWED - access to vhost 'x' refused for user 'y'`), Redis (NOAUTH, WRONGPASS,
NOPERM), PostgreSQL/MySQL (`permission denied`), AWS SQS (AccessDenied, InvalidClientTokenId, NonExistentQueue),
GCP (PERMISSION_DENIED), Azure (AuthorizationFailed) and the metrics APIs."""
ADAPTER_DOWN = re.compile(r"currently unable to handle the request|no endpoints available|service unavailable|"
                          r"connection refused|no such host", re.I)
"""An HPA error that says the metrics API (the adapter) is down, not that the selector matches nothing."""
_HOST = re.compile(r"lookup ([A-Za-z0-9.-]+)|dial tcp ([A-Za-z0-9.-]+):\d+|https?://([A-Za-z0-9.-]+)")
Call = Callable[..., Awaitable[Any]]


@dataclass
class Failing:
    """An autoscaler that cannot read its metric source since its source settings were written."""

    autoscaler: Ref
    target: Ref
    error_class: str
    said: str
    """The scaler's or HPA's own error, shortened."""
    setting: str
    """What the write set that the error names: `prometheus serverAddress http://x:9090`, `External metric
    kafka_consumergroup_lag selector consumergroup=v2`."""
    holds: str
    """What the autoscaler does instead: `holds the fallback of 2 replicas`, `stays at 2 replicas`."""
    written_by: str
    written_at: datetime
    minutes_before: int
    failures: int = 0
    series_note: str = ""
    evidence: list[str] = field(default_factory=list)
    auth: Ref | None = None
    """The TriggerAuthentication written before an auth failure (401/403/TLS): the setting that changed is there,
    so it is named instead of the ScaledObject."""


def _classify(text: str) -> str:
    return next((name for name, pattern in ERRORS if pattern.search(text)), "")


def _ref(obj: dict[str, Any], kind: str) -> Ref:
    meta = obj.get("metadata") or {}
    return Ref(kind, str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def _target(obj: dict[str, Any], ref: Ref) -> Ref:
    spec = obj.get("spec") or {}
    scale = spec.get("scaleTargetRef") or (spec.get("jobTargetRef") and {"kind": "Job", "name": ref.name}) or {}
    return Ref(str(scale.get("kind") or "Deployment"), ref.namespace, str(scale.get("name") or ref.name))


def _events_of(facts: Facts, ref: Ref) -> list[dict[str, Any]]:
    rows = ((facts.reads.get(STORE) or {}).get("events") or {}).get(ref.namespace) or []
    return [e for e in rows if isinstance(e, dict) and e.get("name") == ref.name
            and str(e.get("kind") or ref.kind) == ref.kind]


def _first_seen(events: list[dict[str, Any]], conditions: list[dict[str, Any]], reasons: tuple[str, ...],
                types: tuple[str, ...]) -> datetime | None:
    times = [parse_time(e.get("first_seen")) for e in events if e.get("reason") in reasons]
    times += [parse_time(c.get("lastTransitionTime")) for c in conditions
              if c.get("type") in types and c.get("status") == "False"]
    known = [t for t in times if t is not None]
    return min(known) if known else None


def _setting(triggers: list[dict[str, Any]], said: str) -> str:
    """The trigger metadata key and value the error names (its host), else the first trigger's source key."""
    hosts = {h for m in _HOST.finditer(said) for h in m.groups() if h}
    fallback = ""
    for trig in triggers:
        meta = {str(k): str(v) for k, v in (trig.get("metadata") or {}).items()}
        for key, value in meta.items():
            listed = [v.strip() for v in value.split(",") if v.strip()]  # Kafka's bootstrapServers a,b,c
            named = {urlparse(v).hostname if "://" in v else v.split(":")[0] for v in listed}
            if named & hosts:
                return f"{trig.get('type')} {key} {value}"
            if not fallback and re.search(r"address|host|server|url|endpoint|broker", key, re.I):
                fallback = f"{trig.get('type')} {key} {value}"
    return fallback or (f"{triggers[0].get('type')} trigger" if triggers else "trigger")


def _keda(facts: Facts, obj: dict[str, Any], evidence: str, kind: str) -> Failing | None:
    ref = _ref(obj, kind)
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    health = {str(k): v for k, v in (status.get("health") or {}).items() if isinstance(v, dict)}
    failing = [v for v in health.values() if v.get("status") == "Failing"]
    not_ready = any(c.get("type") == "Ready" and c.get("status") == "False" for c in conditions)
    if not failing and not not_ready:
        return None
    events = _events_of(facts, ref)
    logged = [str(line) for line in ((facts.reads.get(STORE) or {}).get("operator_lines") or {}).get(str(ref)) or []]
    said = next((str(e.get("message")) for e in events if e.get("reason") in KEDA_EVENTS and _classify(
        str(e.get("message")))), "") or next((line for line in logged if _classify(line)), "")
    error = _classify(said)
    if not error:
        return None
    triggers = [t for t in spec.get("triggers") or [] if isinstance(t, dict)]
    auth = _auth_write(facts, ref, triggers) if error in AUTH_ERRORS else None
    write = hpa_limited._written(facts, ref, obj, "triggers")
    if auth is not None and (write is None or auth[2] > write[1]):
        write = auth[1:]
    if write is None:
        return None
    by, at, write_evidence = write
    began = _first_seen(events, conditions, KEDA_EVENTS, ("Ready",))
    if began is not None and began < at - SKEW:
        return None  # the source failed before the write: the write did not do it
    fallback = spec.get("fallback") or {}
    in_fallback = any(c.get("type") == "Fallback" and c.get("status") == "True" for c in conditions)
    target = _target(obj, ref)
    if isinstance(fallback.get("replicas"), int) and (in_fallback or failing):
        holds = (f"KEDA holds the fallback of {fallback['replicas']} replicas for {target} (min "
                 f"{spec.get('minReplicaCount', 0)}, max {spec.get('maxReplicaCount', 100)}) whatever the load")
    else:
        holds = f"KEDA cannot scale {target} on load (no fallback: the HPA keeps its last replica count)"
    failures = max([int(v.get("numberOfFailures") or 0) for v in failing] or [0])
    named = auth[0] if auth is not None and write == auth[1:] else None
    setting = f"authenticationRef {named}" if named is not None else _setting(triggers, said)
    return Failing(ref, target, error, said[:240], setting, holds, by, at,
                   int((facts.at - at).total_seconds() // 60), failures, "",
                   [e for e in (evidence, write_evidence, *((facts.reads.get(STORE) or {}).get("evidence") or []))
                    if e], named)


AUTH_ERRORS = ("401 Unauthorized", "403 Forbidden", "TLS certificate error")
AUTH_KINDS = ("TriggerAuthentication", "ClusterTriggerAuthentication")


def _auth_write(facts: Facts, ref: Ref, triggers: list[dict[str, Any]]) -> tuple[Ref, str, datetime, str] | None:
    """(the TriggerAuthentication, who, when, evidence) of the newest write within LEAD to one a trigger uses."""
    wanted = [(str(a.get("kind") or "TriggerAuthentication"), str(a.get("name"))) for t in triggers
              for a in (t.get("authenticationRef"),) if isinstance(a, dict) and a.get("name")]
    best: tuple[Ref, str, datetime, str] | None = None
    for change, evidence, target in facts.writes_to(AUTH_KINDS, within=LEAD, deletions=False):
        at = parse_time(change.get("at"))
        if at is None or not any(target.name == name and target.kind.lower() == kind.lower() and (
                kind.startswith("Cluster") or target.namespace in ("", ref.namespace)) for kind, name in wanted):
            continue
        if best is None or at > best[2]:
            best = (Ref(target.kind, target.namespace if not target.kind.startswith("Cluster") else "", target.name),
                    written_by(change) or "a write", at, evidence)
    return best


def _selector(metric: dict[str, Any]) -> tuple[str, dict[str, str]]:
    body = metric.get(str(metric.get("type") or "")[:1].lower() + str(metric.get("type") or "")[1:]) or {}
    named = body.get("metric") or {}
    labels = ((named.get("selector") or {}).get("matchLabels") or {}) if isinstance(named, dict) else {}
    return str(named.get("name") or ""), {str(k): str(v) for k, v in labels.items()}


def _hpa(facts: Facts, obj: dict[str, Any], evidence: str) -> Failing | None:
    ref = _ref(obj, "HorizontalPodAutoscaler")
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    cond = next((c for c in conditions if c.get("type") == "ScalingActive" and c.get("status") == "False"
                 and c.get("reason") in HPA_FAILURES), None)
    if cond is None or hpa_unreachable.owner_of(ref, obj) is not None:
        return None  # a KEDA-generated HPA fails because its ScaledObject's scaler does: that one is judged
    said = str(cond.get("message") or "")
    if ADAPTER_DOWN.search(said) or _classify(said) != "no matching series":
        return None  # the metrics API is down, or another failure: not what the HPA's own selector says
    write = hpa_limited._written(facts, ref, obj, "metrics")
    if write is None:
        return None
    by, at, write_evidence = write
    events = _events_of(facts, ref)
    began = _first_seen(events, [cond], (*HPA_FAILURES, "FailedComputeMetricsReplicas"), ("ScalingActive",))
    if began is not None and began < at - SKEW:
        return None
    kind = str(cond.get("reason") or "").removeprefix("FailedGet").removesuffix("Metric")
    metric = next((m for m in spec.get("metrics") or [] if isinstance(m, dict)
                   and str(m.get("type")) == kind), None) or {}
    name, labels = _selector(metric)
    selector = ", ".join(f"{k}={v}" for k, v in labels.items())
    setting = f"{kind.lower()} metric {name}" + (f" selector {selector}" if selector else "")
    note = str(((facts.reads.get(STORE) or {}).get("series") or {}).get(str(ref)) or "")
    replicas = status.get("currentReplicas")
    holds = f"the HPA cannot compute replicas and stays at {replicas} replicas of {target_text(obj, ref)}" \
        f" (min {spec.get('minReplicas', 1)}, max {spec.get('maxReplicas')})"
    count = sum(int(e.get("count") or 1) for e in events if e.get("reason") == cond.get("reason"))
    return Failing(ref, _target(obj, ref), f"{cond.get('reason')}", said[:240], setting, holds, by, at,
                   int((facts.at - at).total_seconds() // 60), count, note,
                   [e for e in (evidence, write_evidence, *((facts.reads.get(STORE) or {}).get("evidence") or []))
                    if e])


def target_text(obj: dict[str, Any], ref: Ref) -> str:
    return str(_target(obj, ref))


def _relevant(subject: Subject, ref: Ref, obj: dict[str, Any]) -> bool:
    """In the incident's namespace, or scaling (or named as) one of the incident's names; anything when the
    incident names no namespace."""
    if not subject.namespace:
        return True
    return ref.namespace == subject.namespace or bool({ref.name, _target(obj, ref).name} & set(subject.names))


def _autoscalers(facts: Facts) -> list[tuple[dict[str, Any], str, str]]:
    out: list[tuple[dict[str, Any], str, str]] = []
    seen: set[str] = set()
    kinds = {*KEDA_KINDS.values(), "HorizontalPodAutoscaler"}
    for obj, evidence in facts.objects:
        kind = str(obj.get("kind") or "")
        if kind in kinds:
            key = str(_ref(obj, kind))
            if key not in seen:
                seen.add(key)
                out.append((obj, evidence, kind))
    return out


SCALING_KINDS = ("HorizontalPodAutoscaler", *KEDA_KINDS.values(), *AUTH_KINDS)
"""Kinds whose write in a timeline read makes the autoscalers worth reading: their source settings live there."""
_SCALING_WORDS = re.compile(r"\bhpa\b|HorizontalPodAutoscaler|ScaledObject|ScaledJob|\bKEDA\b|ScalingActive|"
                            r"FailedGet\w*Metric|FailedComputeMetricsReplicas|autoscal|fallback replicas", re.I)
"""A scan finding's words for an autoscaler in trouble (the scan's `hpa.*` checks, a KEDA condition)."""


def scaling_symptom(subject: Subject, facts: Facts) -> bool:
    """Whether the incident shows anything of scaling: its words (`scale`, `autoscal`, `hpa`: subject.problems), a
    backlog it reports (a consumer that cannot keep up is what a scaler that stopped scaling leaves), a scan
    finding about an autoscaler, or a write to an autoscaler or its TriggerAuthentication in a timeline read. Only
    then are the CRDs and autoscalers read: any other incident's report carries no call of this module."""
    if "hpa" in subject.problems or subject.backlog_said:
        return True
    for f in facts.findings():
        obj = f.get("object") or {}
        text = f"{f.get('check')} {f.get('reason')} {f.get('message')}"
        if str(f.get("check") or "").startswith("hpa.") or str(obj.get("kind") or "") in SCALING_KINDS \
                or _SCALING_WORDS.search(text):
            return True
    return bool(facts.writes_to(SCALING_KINDS, within=LEAD))


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when the incident shows a scaling symptom (`scaling_symptom`): the autoscalers of the
    incident's namespace (KEDA's when its CRDs are served, and HPAs), then for one whose status says its source
    fails, its namespace's events, KEDA's operator log lines about it, the write history when the survey's is
    short, and the series an HPA's selector matches."""
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"events": {}, "operator_lines": {}, "series": {},
                                                           "evidence": []})
    if not scaling_symptom(subject, facts):
        return  # nothing says scaling is involved: the CRD and autoscaler lists would be calls for nothing
    crds = await call("k8s_list", {"kind": "customresourcedefinitions"}, "survey-autoscaler-source-crds")
    served = {str(r.get("name")) for r in ((crds.data or {}).get("rows") or [] if crds is not None and crds.ok
                                           and isinstance(crds.data, dict) else []) if isinstance(r, dict)}
    reads = 0
    for plural in [k for k in KEDA_KINDS if k in served] + ["HorizontalPodAutoscaler"]:
        kind = KEDA_KINDS.get(plural, plural)
        listed = await call("k8s_list", {"kind": plural}, f"survey-autoscaler-source-{kind.lower()}")
        rows = [r for r in ((listed.data or {}).get("rows") or [] if listed is not None and listed.ok
                            and isinstance(listed.data, dict) else []) if isinstance(r, dict) and r.get("name")]
        rows = [r for r in rows if not subject.namespace or str(r.get("namespace") or "") == subject.namespace
                or str(r.get("name")) in subject.names]
        for row in rows:
            ns, name = str(row.get("namespace") or ""), str(row["name"])
            if facts.object_named(kind, ns, name) is not None or reads >= MAX_READS:
                continue
            reads += 1
            got = await get_yaml(call, plural, name, ns, f"survey-autoscaler-source-{name}")
            if got is not None:
                got[0].setdefault("kind", kind)
                facts.objects.append(got)
    sick = [(o, e, k) for o, e, k in _autoscalers(facts) if _relevant(subject, _ref(o, k), o) and _sick(o)]
    if not sick:
        return
    if not facts.history_reaches(LEAD):
        got = await call("k8s_changes", {"at": at, "window": f"{int(LEAD.total_seconds() // 3600)}h"},
                         "survey-autoscaler-source-history")
        if got is not None and got.ok and isinstance(got.data, dict):
            facts.history.append((got.data, got.evidence_id))
    for obj, _, kind in sick[:3]:
        ref = _ref(obj, kind)
        if ref.namespace not in store["events"]:
            got = await call("k8s_events", {"namespace": ref.namespace}, f"survey-autoscaler-source-events-{ref.name}")
            ok = got is not None and got.ok and isinstance(got.data, dict)
            store["events"][ref.namespace] = [r for r in (got.data.get("events") or []) if isinstance(r, dict)] \
                if ok else []
            if ok:
                store["evidence"].append(got.evidence_id)
        if kind in KEDA_KINDS.values():
            await _operator_lines(call, ref, store)
        else:
            await _series(call, obj, ref, at, store)


def _sick(obj: dict[str, Any]) -> bool:
    status = obj.get("status") or {}
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    return any(isinstance(v, dict) and v.get("status") == "Failing" for v in (status.get("health") or {}).values()) \
        or any(c.get("type") in ("Ready", "ScalingActive") and c.get("status") == "False" for c in conditions)


async def _operator_lines(call: Call, ref: Ref, store: dict[str, Any]) -> None:
    """KEDA's operator log lines that name the object (its scaler errors), when the operator pod is found."""
    listed = await call("k8s_list", {"kind": "Pod"}, "survey-autoscaler-source-operator")
    rows = [r for r in ((listed.data or {}).get("rows") or [] if listed is not None and listed.ok
                        and isinstance(listed.data, dict) else [])
            if isinstance(r, dict) and "keda-operator" in str(r.get("name")) and "metrics" not in str(r.get("name"))]
    for row in rows[:1]:
        got = await call("k8s_logs", {"name": row["name"], "namespace": row.get("namespace") or "", "tail": 200,
                                      "grep": ref.name}, f"survey-autoscaler-source-operator-log-{ref.name}")
        if got is None or not got.ok:
            continue
        text = str(got.full_text or got.text or "")
        store["operator_lines"][str(ref)] = [ln for ln in text.splitlines() if ref.name in ln][-20:]
        store["evidence"].append(got.evidence_id)


async def _series(call: Call, obj: dict[str, Any], ref: Ref, at: str, store: dict[str, Any]) -> None:
    """Whether the HPA's selector matches any series in Prometheus, and which values its labels do have."""
    for metric in (obj.get("spec") or {}).get("metrics") or []:
        if not isinstance(metric, dict):
            continue
        name, labels = _selector(metric)
        if not name or not labels or not re.fullmatch(r"[A-Za-z_:][A-Za-z0-9_:]*", name):
            continue
        for key, value in labels.items():
            others = ", ".join(f'{k}="{v}"' for k, v in labels.items() if k != key and '"' not in v)
            got = await call("prom_query", {"query": f"count by ({key}) ({name}{{{others}}})", "time": at},
                             f"survey-autoscaler-source-series-{ref.name}-{key}")
            if got is None or not got.ok or not isinstance(got.data, dict):
                continue
            have = sorted({str((s.get("labels") or {}).get(key)) for s in got.data.get("samples") or []
                           if isinstance(s, dict) and (s.get("labels") or {}).get(key)})
            if have and value not in have:
                store["series"][str(ref)] = (f"Prometheus has {name} series for {key}={', '.join(have[:3])} but none "
                                             f"for {key}={value}")
                store["evidence"].append(got.evidence_id)
                return


def found(facts: Facts) -> list[Failing]:
    """Each autoscaler read whose source fails since a write of its source settings."""
    out: list[Failing] = []
    for obj, evidence, kind in _autoscalers(facts):
        got = _hpa(facts, obj, evidence) if kind == "HorizontalPodAutoscaler" else _keda(facts, obj, evidence, kind)
        if got is not None:
            out.append(got)
    return out


def finding(f: Failing) -> dict[str, Any]:
    """What the failure means first (the autoscaler cannot read its source, so it does not scale on load), then the
    error, the setting and the write."""
    name = f"{f.autoscaler.namespace}/{f.autoscaler.name}"
    seen = f" ({f.failures} failures)" if f.failures else ""
    if f.autoscaler.kind == "HorizontalPodAutoscaler":
        head = (f"HPA {name} cannot get its {f.setting}: {f.error_class} (ScalingActive False), the selector "
                f"matches no series{'; ' + f.series_note if f.series_note else ''}; {f.holds}{seen}")
    else:
        head = (f"KEDA {f.autoscaler.kind} {name} cannot reach its scaler source ({f.setting}: {f.error_class})"
                f"{seen}; {f.holds}")
    if f.auth is not None:
        head = (f"{f.auth} (the credentials of KEDA {f.autoscaler.kind} {name}'s trigger) was written and KEDA's "
                f"scaler is now refused ({f.error_class}){seen}; {f.holds}")
    message = (f"{head}. Its source settings were written by {f.written_by} {minutes_text(f.minutes_before)} "
               f"before the incident and the source fails since: restore the previous value. Error: {f.said}")
    named = f.auth or f.autoscaler
    return {"check": CHECK, "severity": "critical", "reason": "AutoscalerSourceFailing",
            "object": {"kind": named.kind, "namespace": named.namespace, "name": named.name},
            "message": message, "evidence": [f.said],
            "details": {"error_class": f.error_class, "setting": f.setting, "written_by": f.written_by,
                        "written_at": f.written_at.isoformat()},
            "since": f.written_at.isoformat()}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the autoscaler, its finding, evidence ids, the workload it cannot scale) for `agent.triage.behind`."""
    return [(f.auth or f.autoscaler, finding(f), f.evidence, [f.target]) for f in found(facts)]
