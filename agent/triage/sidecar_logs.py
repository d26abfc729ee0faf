"""The proxy beside a quiet application container: where a mesh or an auth proxy prints the refusals a page counts.

An alert about 401s, 403s or 5xx on a workload is often raised from the proxy's own metrics (Envoy's, Linkerd's,
an ingress's), and the refusal happens in a container the application never sees: the mesh sidecar
(`istio-proxy`, `linkerd-proxy`) rejecting a token or a peer, an `oauth2-proxy` failing its login, a database
proxy (`cloud-sql-proxy`, `pgbouncer`) refusing the app's connections. The application container then logs
nothing but its successes, and `k8s_logs` (which reads the most clearly failing container, else the first app
container) shows a healthy log. Reading that proxy's log is what an on-call does next; without it, every reader
of the subject's errors sees none.

`read` (reading only) takes the survey's first log answers: for the first subject pod whose read container logged
no error although the pod has other app containers, it reads up to MAX_CONTAINERS of those whose name says they
proxy or front the traffic, and returns their answers for the survey to keep like any other log.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from agent.toolhub import ToolOutcome
from agent.triage.subject import Subject, workload_of_pod

PROXY_NAME = re.compile(
    r"proxy|envoy|sidecar|gateway|oauth2|auth|nginx|haproxy|traefik|kong|ambassador|pgbouncer|odyssey|daprd|"
    r"linkerd|istio|consul|vault-agent|spire|ghostunnel|stunnel|tls", re.I)
"""Container names of proxies and traffic-facing sidecars (mesh proxies, auth proxies, database and TLS proxies)."""
MAX_CONTAINERS = 2
TAIL = 300


def quiet(outcome: ToolOutcome) -> bool:
    """Whether a log answer read a container that logged no error or fatal line."""
    facts = (outcome.data or {}).get("facts") or {}
    return not any(isinstance(e, dict) and e.get("severity") in ("error", "fatal")
                   for e in facts.get("errors") or [])


def proxies(outcome: ToolOutcome) -> list[str]:
    """The pod's other app containers (not the one read) named like a proxy or a traffic-facing sidecar."""
    data = outcome.data or {}
    read_one = str(data.get("container") or "")
    return [str(c.get("name")) for c in data.get("containers") or []
            if isinstance(c, dict) and not c.get("init") and c.get("name") and str(c.get("name")) != read_one
            and PROXY_NAME.search(str(c.get("name")))]


async def read(subject: Subject, outcomes: list[ToolOutcome | None],
               call: Callable[..., Awaitable[ToolOutcome | None]]) -> list[ToolOutcome]:
    """Reading only: the proxy containers' logs of the first subject pod whose read container is quiet."""
    for outcome in outcomes:
        if outcome is None or not outcome.ok or not outcome.data or outcome.arguments.get("container"):
            continue
        pod = str(outcome.data.get("pod") or outcome.arguments.get("name") or "")
        if not pod or not subject.mentions(workload_of_pod(pod)) or not quiet(outcome):
            continue
        names = proxies(outcome)[:MAX_CONTAINERS]
        if not names:
            continue
        namespace = str(outcome.data.get("namespace") or outcome.arguments.get("namespace") or "")
        got = [await call("k8s_logs", {"name": pod, "namespace": namespace, "container": name, "tail": TAIL},
                          f"survey-sidecar-logs-{name}") for name in names]
        return [o for o in got if o is not None and o.ok]
    return []
