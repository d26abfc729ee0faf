"""A backend Service the scan calls missing while its pods' access logs show requests routed through it.

The scan says "Service x does not exist" when an Ingress routes to x and the listing it read lacks x. A listing
can lack what exists (a dump that left the Service out, a filtered export), and a missing backend has a loud,
fixed look: the controller has nowhere to send the host's requests and answers 503 from its default backend. When
instead the backend's own pods log requests that the controller routed to them through that very Service, the
Service is served: each controller names the upstream after the Service in its access log (ingress-nginx's
`[<namespace>-<service>-<port>]` upstream name, Traefik's `<namespace>-<service>-<port>@kubernetes`, Contour's
Envoy cluster `<namespace>/<service>/<port>/...`), so a line carrying that name with a status the backend
answered shows the Service in use. The absence is then not known: the finding is restated as "not collected:
cannot check" (`absence_known: false`, as agent.triage.unverified reads), never as a cause.

Reading only, and only when the scan made such a finding: the running pods of the workload named like the
backend Service, a tail of the log of two of them; when none shows it, the ingress controllers' own pods (found in
any namespace by their chart's `app.kubernetes.io/name`), whose access log is where the upstream name is written.
Also known: HAProxy Ingress's backend `<namespace>_<service>_<port>`, Kong's upstream `<service>.<namespace>.<port>
.svc`, Istio's Envoy cluster `outbound|<port>||<service>.<namespace>.svc...`. The finding is restated in place.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from agent.triage.facts import Facts
from agent.triage.kube_reads import has_run, rows_of
from agent.triage.subject import workload_of_pod

CHECKS = ("ingress.missing_backend",)
MAX_FINDINGS = 2
MAX_PODS = 2
TAIL = 400
CONTROLLERS = ("app.kubernetes.io/name in (ingress-nginx,traefik,contour,envoy,kong,haproxy-ingress,"
               "kubernetes-ingress,istio-ingressgateway,emissary-ingress)")
"""The charts' own name labels for the controllers' pods: their access logs name each request's upstream."""

Call = Callable[..., Awaitable[Any]]

_ANSWERED = re.compile(r"\" [1-4]\d\d\b|\"?(?:DownstreamStatus|OriginStatus|status|response_code)\"?\s*[=:]\s*"
                       r"[1-4]\d\d\b|(?:-?\d+/){4}-?\d+ [1-4]\d\d\b")
"""A status the backend answered (not a gateway's 5xx): an access log's `"GET / HTTP/1.1" 200`, Traefik's JSON
`"DownstreamStatus":200`, a logfmt `status=404`, HAProxy's timers then status `0/0/1/3/4 200`."""


def upstream_names(namespace: str, service: str, port: str) -> re.Pattern[str]:
    """The controllers' own names for the upstream of Service `service` port `port` in `namespace`."""
    ns, svc, p = (re.escape(x) for x in (namespace, service, port))
    return re.compile(rf"\[{ns}-{svc}-{p}\]|(?<![\w-]){ns}-{svc}-{p}@kubernetes\b|(?<![\w-]){ns}/{svc}/{p}/|"
                      rf"(?<![\w-]){ns}_{svc}_{p}\b|(?<![\w.-]){svc}\.{ns}\.{p}\.svc\b|"
                      rf"outbound\|{p}\|[\w-]*\|{svc}\.{ns}\.svc\b")


def routed_line(text: str, namespace: str, service: str, port: str) -> str:
    """The first log line that shows a request routed through the Service and answered by the backend, or ""."""
    names = upstream_names(namespace, service, port)
    return next((line.strip() for line in text.splitlines() if names.search(line) and _ANSWERED.search(line)), "")


def restate(finding: dict[str, Any], line: str, evidence: str) -> None:
    """The scan's "does not exist" said as what it is when traffic shows the Service served: a gap."""
    details = finding.setdefault("details", {})
    service, port = details.get("service"), details.get("port")
    subject = str(finding.get("message") or "").split(":", 1)[0]
    details.update({"absence_known": False, "served_by": line[:200]})
    finding.update({
        "severity": "info", "reason": "ServiceNotCollected",
        "message": f"{subject}: routes to {service}:{port}; Service {service} is not in this capture, yet its pods' "
                   f"access log shows requests routed through it ('{line[:160]}'): not collected, cannot check "
                   "whether it exists"})
    if evidence:
        finding["evidence"] = [*(finding.get("evidence") or []), evidence]


async def read(facts: Facts, call: Call) -> None:
    """Reading only: for a missing-backend finding, the backend workload's pods' log tails; restates the finding
    when one shows requests routed through the Service."""
    todo = [f for f in facts.findings() if f.get("check") in CHECKS
            and (f.get("details") or {}).get("absence_known") is not False][:MAX_FINDINGS]
    for finding in todo:
        details, obj = finding.get("details") or {}, finding.get("object") or {}
        service, namespace = str(details.get("service") or ""), str(obj.get("namespace") or "")
        port = str(details.get("port") or "")
        if not (service and namespace and port) or not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", service):
            continue
        listed = await call("k8s_list", {"kind": "Pod", "namespace": namespace}, f"survey-served-pods-{service}")
        pods = [str(r["name"]) for r in rows_of(listed) if r.get("name") and has_run(r)
                and workload_of_pod(str(r["name"])) == service][:MAX_PODS]
        if await _first_routed(call, finding, [(pod, namespace) for pod in pods], namespace, service, port):
            continue
        listed = await call("k8s_list", {"kind": "Pod", "namespace": "", "label_selector": CONTROLLERS},
                            f"survey-served-controllers-{service}")
        controllers = [(str(r["name"]), str(r.get("namespace") or "")) for r in rows_of(listed)
                       if r.get("name") and r.get("namespace") and has_run(r)][:MAX_PODS]
        await _first_routed(call, finding, controllers, namespace, service, port)


async def _first_routed(call: Call, finding: dict[str, Any], pods: list[tuple[str, str]], namespace: str,
                        service: str, port: str) -> bool:
    """Reads the pods' log tails until one shows a request routed through the Service; restates the finding."""
    for pod, where in pods:
        got = await call("k8s_logs", {"name": pod, "namespace": where, "tail": TAIL}, f"survey-served-log-{pod}")
        line = routed_line(str(got.full_text or ""), namespace, service, port) if got is not None and got.ok else ""
        if line:
            restate(finding, line, str(got.evidence_id or ""))
            return True
    return False
