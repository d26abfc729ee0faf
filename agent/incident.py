"""One model for every trigger: the `Incident`, and the normalisers that build it.

Whatever wakes Vigil up (an Alertmanager webhook, a PagerDuty webhook, a question typed at the
terminal, a Slack mention, the `investigate` MCP tool), the rest of the agent sees one shape. That
keeps runbook matching, templating and reporting free of per-source special cases.

Two rules hold for every normaliser:

* The original payload is kept in `raw` as untrusted data. Label values, annotations and titles
  are written by whoever can fire an alert; they are matched and substituted as *values*, never
  read as instructions or template code.
* A payload that cannot be read raises `IncidentError` naming the field (`alerts[2].startsAt`), so
  a webhook sender gets a 4xx that says what to fix, and nothing is half-created.

Decisions worth knowing (see docs/runbooks.md):

* An Alertmanager notification carries a *group* of alerts. Vigil makes one incident per distinct
  `alertname` in the group: alerts of one name share a runbook and are one investigation, while a
  group that mixes names (``group_by: [namespace]``) needs one runbook per name. The incident's
  labels are the labels all its alerts share; each alert is kept in `alerts`.
* The fingerprint hashes the alert name and its *identifying* labels: every label except the
  per-replica ones in `VOLATILE_LABELS` (a pod name changes each time a crash-looping pod is
  replaced; the incident does not). Repeated notifications for the same problem dedupe.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Source = Literal["alertmanager", "pagerduty", "cli", "slack", "mcp"]
Status = Literal["firing", "resolved"]
Severity = Literal["critical", "warning", "info", "unknown"]

VOLATILE_LABELS = frozenset(
    {
        "pod",
        "instance",
        "pod_ip",
        "uid",
        "container_id",
        "image_id",
        "pod_template_hash",
        "controller_revision_hash",
        "prometheus_replica",
        "replica",
        "endpoint",
        "receive",
        "tenant_id",
    }
)
"""Labels left out of the fingerprint: they name one replica, not the problem."""

_SEVERITY_WORDS: dict[str, Severity] = {
    "critical": "critical",
    "crit": "critical",
    "page": "critical",
    "high": "critical",
    "error": "critical",
    "emergency": "critical",
    "p1": "critical",
    "p2": "critical",
    "sev1": "critical",
    "sev2": "critical",
    "warning": "warning",
    "warn": "warning",
    "medium": "warning",
    "p3": "warning",
    "sev3": "warning",
    "info": "info",
    "informational": "info",
    "low": "info",
    "none": "info",
    "p4": "info",
    "p5": "info",
    "sev4": "info",
}


class IncidentError(ValueError):
    """A payload that cannot become an incident; the message names the field and the fix."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        super().__init__(f"{field}: {problem}")


class AlertInstance(BaseModel):
    """One alert of a group, as Alertmanager sent it (labels and annotations are untrusted)."""

    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    status: Status = "firing"
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    fingerprint: str = ""
    generator_url: str = ""


class Incident(BaseModel):
    """What Vigil investigates. Every field except `raw` is normalised; `raw` is untrusted data."""

    id: str = Field(default_factory=lambda: f"inc_{uuid.uuid4().hex[:16]}")
    fingerprint: str
    """Stable across repeats of the same problem; one pull request per fingerprint."""
    title: str
    severity: Severity = "unknown"
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    source: Source
    started_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    status: Status = "firing"
    question: str = ""
    """The free-text question, or the alert's summary; shown to the model fenced as data."""
    alerts: list[AlertInstance] = Field(default_factory=list)
    """The individual alerts behind a grouped incident (Alertmanager only)."""
    raw: Any = None
    """The original payload, kept for the audit trail. Untrusted: never interpolated into prompts."""

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")

    def text_for_matching(self) -> str:
        """The words a runbook's keywords are searched in: title, question, name, summaries."""
        parts = [self.title, self.question, self.alertname]
        parts.extend(self.annotations.get(k, "") for k in ("summary", "description", "message"))
        parts.extend(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return "\n".join(p for p in parts if p)


def fingerprint(alertname: str, labels: Mapping[str, str]) -> str:
    """A short stable hash of the alert name and its identifying (non-volatile) labels."""
    identity = {k: str(v) for k, v in labels.items() if k not in VOLATILE_LABELS and k != "alertname"}
    blob = json.dumps([alertname, sorted(identity.items())], separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def normalise_severity(value: object) -> Severity:
    """Map the many spellings of severity (labels, PagerDuty urgency and priority) onto four."""
    if not isinstance(value, str):
        return "unknown"
    return _SEVERITY_WORDS.get(value.strip().lower(), "unknown")


# --------------------------------------------------------------------------- Alertmanager v4


def from_alertmanager(payload: Mapping[str, Any]) -> list[Incident]:
    """Incidents from an Alertmanager webhook (version 4): one per alert name in the group.

    The notification's own fields are checked first so that a wrong sender gets a precise error.
    """
    if not isinstance(payload, Mapping):
        raise IncidentError("payload", "expected a JSON object (the Alertmanager webhook body)")
    version = payload.get("version")
    if version is not None and str(version) != "4":
        raise IncidentError("version", f"webhook version {version!r} is not supported; Alertmanager sends '4'")
    raw_alerts = payload.get("alerts")
    if not isinstance(raw_alerts, list) or not raw_alerts:
        raise IncidentError("alerts", "expected a non-empty list of alerts")
    alerts = [_read_alert(a, f"alerts[{i}]") for i, a in enumerate(raw_alerts)]
    common_annotations = _str_map(payload.get("commonAnnotations"), "commonAnnotations")
    group_labels = _str_map(payload.get("groupLabels"), "groupLabels")

    by_name: dict[str, list[AlertInstance]] = {}
    for alert in alerts:
        by_name.setdefault(alert.labels.get("alertname", ""), []).append(alert)

    incidents = []
    for name, members in by_name.items():
        labels = _shared(a.labels for a in members)
        annotations = _shared(a.annotations for a in members) or dict(common_annotations)
        firing = [a for a in members if a.status == "firing"]
        starts = [a.starts_at for a in members if a.starts_at]
        summary = annotations.get("summary") or annotations.get("message") or ""
        title = name or "Alert"
        if len(members) > 1:
            title += f" ({len(members)} alerts)"
        if summary:
            title += f": {summary}"
        incidents.append(
            Incident(
                fingerprint=fingerprint(name, labels),
                title=_one_line(title),
                severity=normalise_severity(labels.get("severity") or group_labels.get("severity")),
                labels=labels,
                annotations=annotations,
                source="alertmanager",
                started_at=min(starts) if starts else datetime.now(UTC),
                status="firing" if firing else "resolved",
                question=summary or annotations.get("description", ""),
                alerts=members,
                raw=dict(payload),
            )
        )
    return incidents


def _read_alert(value: Any, where: str) -> AlertInstance:
    if not isinstance(value, Mapping):
        raise IncidentError(where, "expected an object with labels, annotations, status, startsAt")
    labels = _str_map(value.get("labels"), f"{where}.labels")
    if not labels.get("alertname"):
        raise IncidentError(f"{where}.labels.alertname", "missing; every Prometheus alert carries one")
    status = value.get("status", "firing")
    if status not in ("firing", "resolved"):
        raise IncidentError(f"{where}.status", f"{status!r} is neither 'firing' nor 'resolved'")
    return AlertInstance(
        labels=labels,
        annotations=_str_map(value.get("annotations"), f"{where}.annotations"),
        status=status,
        starts_at=_time(value.get("startsAt"), f"{where}.startsAt"),
        ends_at=_time(value.get("endsAt"), f"{where}.endsAt"),
        fingerprint=str(value.get("fingerprint") or ""),
        generator_url=str(value.get("generatorURL") or ""),
    )


def _shared(maps: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """The key/value pairs present, with the same value, in every map."""
    result: dict[str, str] | None = None
    for m in maps:
        result = dict(m) if result is None else {k: v for k, v in result.items() if m.get(k) == v}
    return result or {}


# --------------------------------------------------------------------------- PagerDuty v3

_PD_RESOLVED = {"incident.resolved"}


def from_pagerduty(event: Mapping[str, Any]) -> Incident:
    """An incident from a PagerDuty webhook v3 body (`{"event": {...}}`) for an incident event.

    PagerDuty incidents carry no labels, so obvious ones are read from the title (Alertmanager's
    PagerDuty integration puts `[FIRING:1] AlertName (label values)` there) and the service name
    becomes the `service` label. The PagerDuty incident id is part of the fingerprint, so every
    event about one PagerDuty incident (triggered, acknowledged, resolved) dedupes.
    """
    if not isinstance(event, Mapping):
        raise IncidentError("payload", "expected a JSON object (the PagerDuty webhook v3 body)")
    body = event.get("event", event)
    if not isinstance(body, Mapping):
        raise IncidentError("event", "expected an object")
    event_type = body.get("event_type")
    if not isinstance(event_type, str) or not event_type:
        raise IncidentError("event.event_type", "missing; v3 webhooks carry e.g. 'incident.triggered'")
    if body.get("resource_type", "incident") != "incident" or not event_type.startswith("incident."):
        raise IncidentError("event.event_type", f"{event_type!r} is not an incident event")
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise IncidentError("event.data", "expected the incident object")
    pd_id = data.get("id")
    if not isinstance(pd_id, str) or not pd_id:
        raise IncidentError("event.data.id", "missing incident id")
    title = data.get("title") or data.get("summary")
    if not isinstance(title, str) or not title.strip():
        raise IncidentError("event.data.title", "missing incident title")

    labels = extract_labels(title)
    service = data.get("service")
    if isinstance(service, Mapping) and isinstance(service.get("summary"), str):
        labels.setdefault("service", service["summary"])
    priority = data.get("priority")
    priority_name = priority.get("summary") if isinstance(priority, Mapping) else None
    severity = normalise_severity(priority_name)
    if severity == "unknown":
        severity = normalise_severity(data.get("urgency"))
    status: Status = (
        "resolved" if event_type in _PD_RESOLVED or data.get("status") == "resolved" else "firing"
    )
    annotations = {"summary": title.strip()}
    if isinstance(data.get("html_url"), str):
        annotations["pagerduty_url"] = data["html_url"]
    started = data.get("created_at") or body.get("occurred_at")
    return Incident(
        fingerprint=fingerprint(labels.get("alertname", ""), {"pagerduty_incident": pd_id}),
        title=_one_line(title),
        severity=severity,
        labels=labels,
        annotations=annotations,
        source="pagerduty",
        started_at=_time(started, "event.data.created_at") or datetime.now(UTC),
        status=status,
        question=title.strip(),
        raw=dict(event),
    )


# --------------------------------------------------------------------------- free text

_NAME = r"([a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)"
"""A Kubernetes object name (DNS subdomain), lower case."""

_KINDS = {
    "namespace": ("namespace", "namespaces", "ns"),
    "pod": ("pod", "pods", "po"),
    "deployment": ("deployment", "deployments", "deploy"),
    "statefulset": ("statefulset", "statefulsets", "sts"),
    "daemonset": ("daemonset", "daemonsets", "ds"),
    "service": ("service", "svc"),
    "node": ("node", "nodes"),
    "container": ("container",),
    "job": ("job", "cronjob"),
    "persistentvolumeclaim": ("pvc", "persistentvolumeclaim"),
    "ingress": ("ingress",),
    "horizontalpodautoscaler": ("hpa", "horizontalpodautoscaler"),
    "cluster": ("cluster", "context"),
}
_STOPWORDS = frozenset(
    {"is", "are", "in", "on", "the", "a", "an", "of", "for", "and", "or", "to", "with", "keeps", "keep",
     "has", "have", "was", "were", "be", "been", "not", "no", "my", "our", "all", "its", "it", "that",
     "this", "after", "since", "from", "at", "by", "crashlooping", "crashing", "failing", "down", "up",
     "restarting", "pending", "stuck", "slow", "broken", "why", "what", "when", "which", "oomkilled",
     "crashloopbackoff", "evicted", "running", "terminating", "imagepullbackoff", "errimagepull", "notready",
     "ready", "unschedulable", "unhealthy", "healthy", "erroring", "throttled", "timing", "returning"}
)
_KV = re.compile(r"\b([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*\"?([A-Za-z0-9_.:/@-]+)\"?")
_FIRING_TITLE = re.compile(r"^\s*\[(?:FIRING|RESOLVED)(?::\d+)?\]\s+([A-Za-z_][A-Za-z0-9_:]*)")


def extract_labels(text: str) -> dict[str, str]:
    """Obvious labels in free text: `namespace payments`, `payments namespace`, `deploy/checkout`,
    `pod checkout-7d9f`, `key=value`, and the alert name of an Alertmanager-style title.

    Only words shaped like Kubernetes names are taken, so the result can be substituted into a
    tool call; anything ambiguous is left out rather than guessed.
    """
    labels: dict[str, str] = {}
    lowered = text.lower()
    match = _FIRING_TITLE.match(text)
    if match:
        labels["alertname"] = match.group(1)
        # Alertmanager-to-PagerDuty titles go on with `namespace/pod`.
        ref = re.search(rf"(?<![\w/.:])([a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?)/{_NAME}\b", lowered[match.end() :])
        if ref and not any(ref.group(1) in words for words in _KINDS.values()):
            labels["namespace"], labels["pod"] = ref.group(1), ref.group(2)
    for key, value in _KV.findall(text):
        labels.setdefault(_label_key(key.lower()), value)
    # "checkout pods" names the workload the pods belong to, not a pod.
    workload = re.search(rf"\b{_NAME}\s+pods\b", lowered)
    if workload and workload.group(1) not in _STOPWORDS:
        labels.setdefault("deployment", workload.group(1))
        labels.setdefault("pod", "")
    for label, words in _KINDS.items():
        if label in labels:
            continue
        value = _find_named(lowered, words, distinctive_only=label not in ("namespace", "pod", "node"))
        if value:
            labels[label] = value
    return {k: v for k, v in labels.items() if v}


def _label_key(key: str) -> str:
    for label, words in _KINDS.items():
        if key in words or key == label:
            return label
    return key


def _find_named(text: str, words: tuple[str, ...], distinctive_only: bool = False) -> str | None:
    """The name next to a kind word. After the kind ("cluster reach", "job fail") English verbs read
    like names, so for most kinds that position only takes a name with a hyphen or a digit, the way
    generated and team-chosen names look; before the kind ("the get-data job") any name counts.
    The survey later checks every candidate against the cluster."""
    alternatives = "|".join(re.escape(w) for w in words)
    singular = "|".join(re.escape(w) for w in words if not (w.endswith("s") and w[:-1] in words))
    patterns = (
        (rf"\b(?:{alternatives})/{_NAME}", False),  # deploy/checkout
        (rf"\b(?:{singular})\s+(?:named\s+|called\s+)?[\"'`]?{_NAME}", distinctive_only),  # namespace payments
        (rf"\b{_NAME}[\"'`]?\s+(?:{alternatives})\b", False),  # payments namespace, checkout pods
    )
    for pattern, needs_mark in patterns:
        for found in re.finditer(pattern, text):
            value = found.group(1)
            if needs_mark and not re.search(r"[-\d]", value):
                continue
            if value not in _STOPWORDS and not any(value == w for ws in _KINDS.values() for w in ws):
                return value
    return None


def from_text(
    question: str,
    labels: Mapping[str, str] | None = None,
    source: Source = "cli",
) -> Incident:
    """An incident from a typed question; labels given explicitly win over those read from text."""
    if not isinstance(question, str) or not question.strip():
        raise IncidentError("question", "empty; describe what is wrong, e.g. 'pods in payments crashlooping'")
    found = extract_labels(question)
    found.update({str(k): str(v) for k, v in (labels or {}).items()})
    name = found.get("alertname", "")
    identity = {k: v for k, v in found.items() if k != "alertname"} or {"question": question.strip().lower()}
    return Incident(
        fingerprint=fingerprint(name, identity),
        title=_one_line(question.strip())[:200],
        severity=normalise_severity(found.get("severity")),
        labels=found,
        source=source,
        question=question.strip(),
        raw={"question": question, "labels": dict(labels or {})},
    )


def from_payload(payload: Mapping[str, Any]) -> list[Incident]:
    """Incidents from a webhook body of either supported kind, told apart by shape."""
    if isinstance(payload, Mapping) and isinstance(payload.get("alerts"), list):
        return from_alertmanager(payload)
    if isinstance(payload, Mapping) and ("event" in payload or "event_type" in payload):
        return [from_pagerduty(payload)]
    raise IncidentError(
        "payload", "neither an Alertmanager webhook (has 'alerts') nor a PagerDuty v3 webhook (has 'event')"
    )


# --------------------------------------------------------------------------- helpers


def _str_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise IncidentError(where, "expected an object of string keys and values")
    out = {}
    for key, item in value.items():
        if not isinstance(item, str | int | float | bool):
            raise IncidentError(f"{where}.{key}", "expected a string value")
        out[str(key)] = str(item)
    return out


def _time(value: Any, where: str) -> datetime | None:
    """A timestamp, or None for Alertmanager's zero time (an alert with no end yet)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise IncidentError(where, "expected an RFC 3339 timestamp string")
    if value.startswith("0001-01-01"):
        return None
    text = value.replace("Z", "+00:00")
    # Go prints nanoseconds; Python reads at most microseconds.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise IncidentError(where, f"cannot read {value!r} as RFC 3339 (2026-05-01T12:00:00Z)") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _one_line(text: str) -> str:
    return " ".join(text.split())
