"""What an action touches, read from its arguments by Vigil's argument-naming convention.

Every Vigil tool names its arguments the same way, so the scoping layer can judge any tool, ours
or an external one that follows the convention, without a per-tool adapter:

| argument               | meaning                                              |
|------------------------|------------------------------------------------------|
| `context` or `cluster` | the Kubernetes context / cluster                     |
| `namespace`            | a namespace; empty, `*` or `all_namespaces: true` = all |
| `kind`                 | a Kubernetes resource kind                           |
| `start`, `end`, `step` | a query window (see guardrails.timeparse)            |
| `since`, `range`       | a window ending now (or at `end`)                    |
| `limit`                | how many lines/rows a query may return               |
| `query` or `match`     | a PromQL/LogQL text whose inside is judged for cost  |
| `time`                 | an instant query's evaluation time                   |
| `path`, `paths`, `changes[].path` | repository paths a change writes          |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from guardrails.timeparse import parse_duration, parse_time

ALL = "*"


@dataclass(frozen=True)
class Scope:
    cluster: str | None = None
    namespace: str | None = None
    """`*` when the action spans all namespaces; None when the tool has no namespace."""
    kind: str | None = None
    window_seconds: float | None = None
    step_seconds: float | None = None
    limit: int | None = None
    paths: tuple[str, ...] = field(default_factory=tuple)
    query: str | None = None
    """The query text, for the in-query cost rules (guardrails/query_cost.py)."""
    reference_ts: float | None = None
    """The earliest evaluation time (window start, instant, or now), unix seconds: an `@` modifier's
    distance is measured from it."""


def extract_scope(arguments: dict[str, Any], now: datetime | None = None) -> Scope:
    """Read the scope; raise ValueError naming the argument when a value cannot be read."""
    cluster = arguments.get("context") or arguments.get("cluster")
    namespace: str | None = None
    if "namespace" in arguments or "all_namespaces" in arguments:
        raw = arguments.get("namespace")
        namespace = ALL if arguments.get("all_namespaces") or raw in (None, "", ALL) else str(raw)
    kind = arguments.get("kind")
    window = _window_seconds(arguments, now)
    step = None
    if arguments.get("step") not in (None, ""):
        step = _read("step", lambda: parse_duration(arguments["step"]))
    limit = arguments.get("limit")
    paths: list[str] = []
    if isinstance(arguments.get("path"), str):
        paths.append(arguments["path"])
    if isinstance(arguments.get("paths"), list):
        paths.extend(str(p) for p in arguments["paths"])
    for change in arguments.get("changes") or []:
        if isinstance(change, dict) and isinstance(change.get("path"), str):
            paths.append(change["path"])
    query = next((arguments[k] for k in ("query", "match") if isinstance(arguments.get(k), str)), None)
    return Scope(
        query=query or None,
        reference_ts=_reference_ts(arguments, now) if query else None,
        cluster=str(cluster) if cluster else None,
        namespace=namespace,
        kind=str(kind) if kind else None,
        window_seconds=window,
        step_seconds=step,
        limit=int(limit) if isinstance(limit, int | float) else None,
        paths=tuple(paths),
    )


def _window_seconds(arguments: dict[str, Any], now: datetime | None) -> float | None:
    for name in ("since", "range"):
        if arguments.get(name) not in (None, ""):
            return _read(name, lambda n=name: parse_duration(arguments[n]))
    if arguments.get("start") in (None, ""):
        return None
    start = _read("start", lambda: parse_time(arguments["start"], now))
    end = _read("end", lambda: parse_time(arguments.get("end") or "now", now))
    return max(0.0, (end - start).total_seconds())


def _reference_ts(arguments: dict[str, Any], now: datetime | None) -> float:
    for name in ("start", "time"):
        if arguments.get(name) not in (None, ""):
            return float(_read(name, lambda n=name: parse_time(arguments[n], now)).timestamp())
    return (now or datetime.now(UTC)).timestamp()


def _read(name: str, reader: Any) -> Any:
    try:
        return reader()
    except ValueError as exc:
        raise ValueError(f"argument {name!r}: {exc}") from exc
