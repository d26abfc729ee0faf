"""Small helpers every check shares: references, times, selectors, quoting evidence.

Kept here so each area's module only says what it checks, not how to read a timestamp or match a
label selector.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from mcp_servers.kubernetes.health import parse_ts
from mcp_servers.kubernetes.scan.model import ObjectRef
from mcp_servers.kubernetes.scan.snapshot import Event, Snapshot

EVIDENCE_CHARS = 200
"""A quoted fact is cut here: enough for an error line, not a log dump."""


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def ns_of(obj: dict[str, Any]) -> str:
    return str(meta(obj).get("namespace") or "")


def name_of(obj: dict[str, Any]) -> str:
    return str(meta(obj).get("name") or "")


def ref(obj: dict[str, Any], kind: str | None = None) -> ObjectRef:
    return ObjectRef(kind=kind or str(obj.get("kind") or ""), namespace=ns_of(obj), name=name_of(obj))


def iso(t: datetime | None) -> str | None:
    """RFC 3339 in UTC with a Z, as Kubernetes writes times."""
    if t is None:
        return None
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def earliest(*times: datetime | str | None) -> datetime | None:
    parsed = [t if isinstance(t, datetime) else parse_ts(t) for t in times]
    known = [t for t in parsed if t is not None]
    return min(known) if known else None


def latest(*times: datetime | str | None) -> datetime | None:
    parsed = [t if isinstance(t, datetime) else parse_ts(t) for t in times]
    known = [t for t in parsed if t is not None]
    return max(known) if known else None


def clip(text: Any, limit: int = EVIDENCE_CHARS) -> str:
    """One line, at most `limit` characters."""
    line = " ".join(str(text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def quote(e: Event) -> str:
    """An event as evidence: `Reason: message (x12)`."""
    times = f" (x{e.count})" if e.count > 1 else ""
    return clip(f"{e.reason}: {e.message}{times}")


def events_matching(snap: Snapshot, kind: str, namespace: str, name: str, reasons: Iterable[str] = (),
                    contains: Iterable[str] = (), warnings_only: bool = False) -> list[Event]:
    """Events about one object whose reason is in `reasons` or whose message contains any of `contains`."""
    wanted = set(reasons)
    needles = [c.lower() for c in contains]
    out = []
    for e in snap.events_for(kind, namespace, name):
        if warnings_only and e.type != "Warning":
            continue
        if (not wanted and not needles) or e.reason in wanted or any(n in e.message.lower() for n in needles):
            out.append(e)
    return out


def first_seen(events: Iterable[Event]) -> datetime | None:
    return earliest(*[e.first for e in events])


def last_seen(events: Iterable[Event]) -> datetime | None:
    return latest(*[e.last for e in events])


def label_match(selector: Mapping[str, Any] | None, labels: Mapping[str, Any] | None) -> bool:
    """A metav1.LabelSelector (matchLabels and matchExpressions) against labels.

    An empty selector matches everything, as it does for NetworkPolicy and PDB; callers that treat
    a missing selector as "nothing" (Services) check for that first.
    """
    labels = labels or {}
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), set(expr.get("values") or [])
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def map_match(selector: Mapping[str, Any], labels: Mapping[str, Any] | None) -> bool:
    """A Service-style equality selector (a plain map) against labels."""
    labels = labels or {}
    return all(labels.get(k) == v for k, v in selector.items())


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") == kind), None)


def pod_is_ready(pod: dict[str, Any]) -> bool:
    ready = condition(pod, "Ready")
    if ready is not None:
        return ready.get("status") == "True"
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return bool(statuses) and all(c.get("ready") for c in statuses)


def pod_is_terminal(pod: dict[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
