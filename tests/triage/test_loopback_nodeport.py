"""kube-proxy no longer serves NodePorts on the loopback address while a node agent uses one (issue #12, round 40).

Written here, not taken from the held-out bundles: a metrics agent in Go whose `127.0.0.1:<NodePort>` is refused
after kube-proxy's ConfigMap is read back in nftables mode, and a curl-based sidecar timing out on
`localhost port <NodePort>` after kube-proxy's DaemonSet gets a `--nodeport-addresses` list; twins: iptables mode,
a list that keeps loopback, a loopback port outside the NodePort range, a write older than the lead.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import loopback_nodeport
from agent.triage.facts import Facts, LogEvidence
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 9, 2, 14, 0, tzinfo=UTC)


def _change(kind: str, name: str, diff: str, ago: timedelta = timedelta(minutes=40)) -> dict[str, Any]:
    return {"at": (AT - ago).isoformat().replace("+00:00", "Z"), "type": "config",
            "object": {"kind": kind, "namespace": "kube-system", "name": name},
            "summary": f"{kind} kube-system/{name} updated", "diff": [diff],
            "related": [{"kind": "DaemonSet", "namespace": "kube-system", "name": "kube-proxy"}]}


def _log(pod: str, message: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace="monitoring", evidence_id="E7", top={"message": message, "count": 30},
                       hosts=[], error_classes=set(), previous=False)


def _run(change: dict[str, Any], log: LogEvidence, config: str = "") -> list[loopback_nodeport.LoopbackCut]:
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")
    facts.logs.append(log)
    hub = RecordingHub(objects={("ConfigMap", "kube-system", "kube-proxy"): {
        "kind": "ConfigMap", "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
        "data": {"config.conf": config}}})
    asyncio.run(loopback_nodeport.read(facts, hub))
    return loopback_nodeport.found(facts)


GO_REFUSED = "post metrics: dial tcp 127.0.0.1:31950: connect: connection refused"
NFT = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: \"nftables\"\n"


def test_configmap_read_back_in_nftables_mode() -> None:
    change = _change("ConfigMap", "kube-proxy", "data key config.conf set by helm")
    [hit] = _run(change, _log("metrics-agent-7xk2p", GO_REFUSED), NFT)
    assert hit.port == 31950 and "nftables" in hit.why
    finding = loopback_nodeport.finding(hit)
    assert finding["object"] == {"kind": "ConfigMap", "namespace": "kube-system", "name": "kube-proxy"}
    assert "127.0.0.1:31950" in finding["message"]


def test_twin_configmap_read_back_in_iptables_mode() -> None:
    change = _change("ConfigMap", "kube-proxy", "data key config.conf set by helm")
    assert _run(change, _log("metrics-agent-7xk2p", GO_REFUSED), NFT.replace("nftables", "iptables")) == []


def test_twin_loopback_port_outside_the_nodeport_range() -> None:
    change = _change("ConfigMap", "kube-proxy", "data key config.conf set by helm")
    log = _log("metrics-agent-7xk2p", "dial tcp 127.0.0.1:8125: connect: connection refused")
    assert _run(change, log, NFT) == []


CURL = "curl: (28) Failed to connect to localhost port 32001 after 5000 ms: Connection timed out"
FLAGS = ("kube-proxy args ['--config=/var/lib/kube-proxy/config.conf'] -> "
         "['--config=/var/lib/kube-proxy/config.conf', '--nodeport-addresses={cidrs}']")


def test_daemonset_flag_lists_nodeport_addresses_without_loopback() -> None:
    change = _change("DaemonSet", "kube-proxy", FLAGS.format(cidrs="10.20.0.0/16"))
    [hit] = _run(change, _log("edge-shipper-q8w2d", CURL))
    assert hit.port == 32001 and "nodePortAddresses" in hit.why


def test_twin_nodeport_addresses_keep_loopback() -> None:
    change = _change("DaemonSet", "kube-proxy", FLAGS.format(cidrs="10.20.0.0/16,127.0.0.0/8"))
    assert _run(change, _log("edge-shipper-q8w2d", CURL)) == []


def test_twin_write_older_than_the_lead() -> None:
    change = _change("DaemonSet", "kube-proxy", FLAGS.format(cidrs="10.20.0.0/16"), ago=timedelta(hours=8))
    assert _run(change, _log("edge-shipper-q8w2d", CURL)) == []


# ---- the loopback NodePort in other clients' words (issue #12 audit) ----

ASYNCIO = "ERROR shipper: [Errno 111] Connect call failed ('127.0.0.1', 31090)"
LIBPQ = 'could not connect: connection to server at "127.0.0.1", port 30432 failed: Connection refused'


def test_python_asyncio_tuple_address_in_nftables_mode() -> None:
    change = _change("ConfigMap", "kube-proxy", "data key config.conf set by helm")
    [hit] = _run(change, _log("log-relay-4kq9z", ASYNCIO), NFT)
    assert hit.port == 31090


def test_twin_python_asyncio_to_a_port_outside_the_nodeport_range() -> None:
    change = _change("ConfigMap", "kube-proxy", "data key config.conf set by helm")
    assert _run(change, _log("log-relay-4kq9z", ASYNCIO.replace("31090", "15090")), NFT) == []


def test_libpq_quoted_address_and_port_in_nftables_mode() -> None:
    change = _change("ConfigMap", "kube-proxy", "data key config.conf set by helm")
    [hit] = _run(change, _log("pg-exporter-2mz8x", LIBPQ), NFT)
    assert hit.port == 30432


def test_twin_libpq_refused_while_kube_proxy_stays_in_iptables_mode() -> None:
    change = _change("ConfigMap", "kube-proxy", "data key config.conf set by helm")
    assert _run(change, _log("pg-exporter-2mz8x", LIBPQ), NFT.replace("nftables", "iptables")) == []
