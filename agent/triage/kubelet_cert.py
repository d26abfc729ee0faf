"""A NotReady node whose kubelet client certificate expired.

A kubelet authenticates to the API server with a client certificate. When it expires and nothing
renewed it (rotation off: `rotateCertificates: false` / `--rotate-certificates=false`, or its CSR
never approved), the API server answers "Unable to authenticate the request" ("x509: certificate has
expired or is not yet valid"), the kubelet can no longer post status, and the node controller marks
the node Ready=Unknown ("Kubelet stopped posting node status"). The node's own condition says only
that last part; the kubelet's metric `kubelet_certificate_manager_client_ttl_seconds` (seconds until
the client certificate expires, negative once expired) says why.

The metric falls linearly, so its value plus its sample's timestamp is the certificate's expiry, even
when the kubelet stopped being scraped right at that moment (as it does: the same certificate
fails). The survey asks Prometheus for that sum over the last hours; a NotReady node whose
certificate expired before the alert, and no more than a few minutes after the node went NotReady,
has its cause named.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, parse_time

CHECK = "node.kubelet_cert_expired"
WEIGHT = 0.92
"""Above node.not_ready (0.85): the same node, with the reason it stopped reporting."""

_NODE_LABELS = ("node", "kubernetes_node", "nodename", "instance_node")
"""Where a scrape config puts the node's name."""

METRIC = "kubelet_certificate_manager_client_ttl_seconds"
QUERY = f"max by ({', '.join(_NODE_LABELS)}) (max_over_time(({METRIC} + timestamp({METRIC}))[6h:1m]))"
"""The expiry (epoch seconds) of each node's kubelet client certificate, from its last samples."""

KIND = "KubeletClientCertExpiry"
"""How the answer is kept in `Facts.objects`, apart from the metrics other checks read."""

SLACK = timedelta(minutes=10)
"""An expiry this long after the node went NotReady is not what stopped it."""


@dataclass(frozen=True)
class Expired:
    """One NotReady node with the moment its kubelet client certificate expired."""

    node: str
    expired_at: datetime
    not_ready_since: datetime | None
    evidence_id: str


def not_ready_nodes(facts: Facts) -> dict[str, datetime | None]:
    """The nodes the scan reports NotReady, with when (when known)."""
    out: dict[str, datetime | None] = {}
    for f in facts.findings():
        if str(f.get("check")) == "node.not_ready":
            node = str((f.get("object") or {}).get("name") or "")
            if node:
                out[node] = parse_time(f.get("since"))
    return out


async def read_ttls(facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Ask Prometheus when each kubelet's client certificate expires, when the scan shows a NotReady node."""
    if not not_ready_nodes(facts):
        return
    outcome = await call("prom_query", {"query": QUERY, "time": at}, "survey-kubelet-cert")
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict) or not outcome.data.get("samples"):
        return
    facts.objects.append(({"kind": KIND, "samples": outcome.data.get("samples")}, outcome.evidence_id))


def expired(facts: Facts) -> list[Expired]:
    """NotReady nodes whose kubelet client certificate expired before the alert, around when they stopped."""
    nodes = not_ready_nodes(facts)
    out: list[Expired] = []
    for data, evidence_id in facts.objects:
        if data.get("kind") != KIND:
            continue
        for sample in data.get("samples") or []:
            if not isinstance(sample, dict) or not isinstance(sample.get("value"), (int, float)):
                continue
            labels = sample.get("labels") or {}
            node = next((str(labels[k]) for k in _NODE_LABELS if labels.get(k)), "")
            if node not in nodes:
                continue
            at = datetime.fromtimestamp(float(sample["value"]), UTC)
            since = nodes[node]
            if at <= facts.at and (since is None or at <= since + SLACK):
                out.append(Expired(node, at, since, evidence_id))
    return out


def finding(found: Expired) -> dict[str, Any]:
    """The scan-shaped finding for the node: its certificate, when it expired, and what to check."""
    when = found.expired_at.isoformat().replace("+00:00", "Z")
    lead = ""
    if found.not_ready_since is not None:
        minutes = int((found.not_ready_since - found.expired_at).total_seconds() // 60)
        lead = (f", {minutes} min before it went NotReady" if minutes > 0 else
                ", when it went NotReady" if minutes == 0 else f", {-minutes} min after it went NotReady")
    return {
        "check": CHECK, "severity": "critical", "reason": "KubeletClientCertificateExpired",
        "object": {"kind": "Node", "namespace": "", "name": found.node},
        "message": (f"Node {found.node}: its kubelet client certificate expired at {when}{lead} ({METRIC} reached "
                    "0), and nothing rotated it: the API server now rejects the kubelet (\"Unable to authenticate "
                    "the request\", x509: certificate has expired), so it stopped posting node status. Check "
                    "certificate rotation (rotateCertificates / --rotate-certificates) and pending kubelet CSRs, "
                    "and renew /var/lib/kubelet/pki/kubelet-client-current.pem"),
        "evidence": [f"{METRIC}{{node=\"{found.node}\"}}: expiry {when}"],
        "details": {"node": found.node, "expired_at": when},
        "since": when,
    }
