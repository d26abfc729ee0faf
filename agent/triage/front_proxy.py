"""Clients get HTTP errors the service never logged: read the proxy in front of it.

An alert on the error ratio clients see (`4xx ratio above 20%`, an SLO on 5xx, a conversion drop) is often
answered by the layer in front of the service, not by the service: an API gateway's rate limit (Kong's
429 "API rate limit exceeded"), an ingress controller's body-size or timeout (413, 504), an auth plugin
(401), a WAF rule (403). The service's own logs are then clean, and every rule that reads errors finds
nothing. The gateway's or ingress controller's access log says which status it answered and why.

This module reads, only when the incident speaks of HTTP errors (`Subject.problems` "http") and no log read so
far shows an error: the logs of the proxies of the cluster (pods whose image is an ingress controller or API
gateway, from the pod list the survey shares), at most `MAX_PODS`, one per workload. They join the survey's
logs, so the modules that read errors (meaning, governing limits, server error codes) see what the proxy said.
Reading only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject, workload_of_pod
from agent.triage.subject_resolve import PROXY_IMAGES

MAX_PODS = 2
TAIL = 2000
"""Lines of each proxy's log: an access log writes a line per request, and the errors are a fraction."""

Call = Callable[..., Awaitable[Any]]
Keep = Callable[[Any, Facts], LogEvidence | None]


def wanted(subject: Subject, facts: Facts) -> bool:
    """The incident is about HTTP errors and nothing read so far logged one."""
    return "http" in subject.problems and not any(log.error_classes or log.top for log in facts.logs)


def proxies(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Running proxy pods, one per workload, ingress and gateway namespaces first."""
    seen: set[tuple[str, str]] = set()
    out = []
    for r in rows:
        images = " ".join(str(i) for i in r.get("images") or []).lower()
        if not any(p in images for p in PROXY_IMAGES) or str(r.get("status")) != "Running":
            continue
        key = (str(r.get("namespace")), workload_of_pod(str(r.get("name"))))
        if key not in seen:
            seen.add(key)
            out.append(r)
    out.sort(key=lambda r: not any(w in str(r.get("namespace")) for w in ("ingress", "gateway", "kong", "traefik",
                                                                         "istio", "envoy", "contour", "haproxy")))
    return out[:MAX_PODS]


async def read(subject: Subject, facts: Facts, call: Call, keep: Keep) -> None:
    """Reading only: the proxies' logs when clients see HTTP errors the service did not log."""
    if not wanted(subject, facts):
        return
    listed = await call("k8s_list", {"kind": "pods"}, "survey-front-proxy-pods")
    if listed is None or not listed.ok or not isinstance(listed.data, dict):
        return
    rows = [r for r in listed.data.get("rows") or [] if isinstance(r, dict)]
    for row in proxies(rows):
        keep(await call("k8s_logs", {"name": row["name"], "namespace": row.get("namespace") or "", "tail": TAIL},
                        f"survey-front-proxy-logs-{row['name']}"), facts)
