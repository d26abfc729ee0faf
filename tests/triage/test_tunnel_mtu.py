"""agent.triage.tunnel_mtu: a VPN tunnel's MTU with no room for its encapsulation; large replies through it stall.

Shapes: an IPsec/VTI gateway Deployment restarted after its ConfigMap was written, its log setting `vti0` to MTU 1500
(iproute2's `ip link set dev vti0 up mtu 1500`) and routing the data centre's network, while a JDBC client's reads
time out against an address inside it (the ConfigMap is named); a WireGuard config file in a ConfigMap written with
`MTU = 1500`, read from the object itself, while a Go service's reads hit `i/o timeout`. Twins: an MTU with room
(1400 on vti0, 1420 in the WireGuard file), connect timeouts instead of stalled reads, stalls before the restart, a
victim calling an in-cluster Service, a victim address outside the tunnel's routes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import tunnel_mtu as tm
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 21, 22, 10, tzinfo=UTC)
RESTART = AT - timedelta(minutes=70)
JDBC = ("org.postgresql.util.PSQLException: An I/O error occurred while sending to the backend. "
        "Caused by: java.net.SocketTimeoutException: Read timed out")
GO_READ = "fetch ledger: read tcp 10.0.3.4:51234->10.90.1.7:443: i/o timeout"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def victim(pod: str, ns: str, said: str, first: datetime, hosts: list[str]) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E9",
                       top={"message": said, "example": said, "first_seen": iso(first), "severity": "error"},
                       hosts=hosts, error_classes={"timeout"}, previous=False)


def gateway_log(mtu: int) -> list[str]:
    at = iso(RESTART + timedelta(seconds=20))
    return [f"{at} charon: 09[IKE] CHILD_SA dc-link{{1}} established",
            f"{at} + ip link set dev vti0 up mtu {mtu}",
            f"{at} + ip route add 10.60.0.0/16 dev vti0",
            f"{iso(RESTART + timedelta(minutes=5))} charon: 12[IKE] sending DPD request"]


GATEWAY = {"kind": "Deployment", "metadata": {"name": "dc-vpn", "namespace": "edge"},
           "spec": {"template": {"spec": {"volumes": [{"name": "conf", "configMap": {"name": "dc-vpn-ipsec"}}],
                                          "containers": [{"name": "strongswan", "image": "strongswan:5.9"}]}}}}


def timeline() -> list[dict[str, Any]]:
    return [{"at": iso(RESTART - timedelta(minutes=3)), "type": "config",
             "object": {"kind": "ConfigMap", "namespace": "edge", "name": "dc-vpn-ipsec"},
             "summary": "ConfigMap edge/dc-vpn-ipsec written by kubectl-edit: data key swanctl.conf set",
             "diff": ["data key swanctl.conf set"]},
            {"at": iso(RESTART), "type": "rollout", "object": {"kind": "Deployment", "namespace": "edge",
                                                                 "name": "dc-vpn"},
             "summary": "Deployment edge/dc-vpn rolled out revision 7: pod template annotation restartedAt",
             "diff": ["annotation kubectl.kubernetes.io/restartedAt set"]}]


def ipsec_case(mtu: int, log: LogEvidence) -> Facts:
    config = {"kind": "ConfigMap", "metadata": {"name": "dc-vpn-ipsec", "namespace": "edge"},
              "data": {"swanctl.conf": "connections { dc-link { remote_addrs = 198.51.100.7 } }"}}
    hub = RecordingHub(objects={("Deployment", "edge", "dc-vpn"): GATEWAY,
                                ("ConfigMap", "edge", "dc-vpn-ipsec"): config},
                       lists={("Pod", "edge"): [{"name": "dc-vpn-5f7c9d8b6-h2x9k", "status": "Running"}]},
                       logs={"dc-vpn-5f7c9d8b6-h2x9k": gateway_log(mtu)})
    facts = Facts(at=AT, scan={"findings": []}, changes={"changes": timeline()}, changes_id="C1", logs=[log])
    asyncio.run(tm.read(Subject(), facts, hub, iso(AT)))
    return facts


JDBC_VICTIM = victim("billing-sync-6b8d7c9f5-q2w8k", "billing", JDBC, RESTART + timedelta(minutes=9),
                     ["10.60.12.40"])


def test_ipsec_gateway_mtu_names_the_configmap_it_loads() -> None:
    facts = ipsec_case(1500, JDBC_VICTIM)
    [(ref, finding, _, explains)] = tm.suspects(facts)
    assert (ref.kind, ref.namespace, ref.name) == ("ConfigMap", "edge", "dc-vpn-ipsec")
    assert explains[0].name == "billing-sync"
    head = finding["message"][:400]
    assert "MTU" in head and "1500" in head and "vti0" in head and "IPsec" in head and "Deployment edge/dc-vpn" in head


def test_mtu_with_room_is_not_named() -> None:
    assert tm.found(ipsec_case(1400, JDBC_VICTIM)) == []


def test_connect_timeouts_are_not_stalled_reads() -> None:
    connect = victim("billing-sync-6b8d7c9f5-q2w8k", "billing",
                     "org.postgresql.util.PSQLException: The connection attempt failed. Caused by: "
                     "java.net.SocketTimeoutException: connect timed out", RESTART + timedelta(minutes=9),
                     ["10.60.12.40"])
    assert tm.found(ipsec_case(1500, connect)) == []


def test_stalls_before_the_restart_are_not_explained() -> None:
    early = victim("billing-sync-6b8d7c9f5-q2w8k", "billing", JDBC, RESTART - timedelta(minutes=30), ["10.60.12.40"])
    assert tm.found(ipsec_case(1500, early)) == []


def test_victim_calling_an_in_cluster_service_is_not_explained() -> None:
    inside = victim("billing-sync-6b8d7c9f5-q2w8k", "billing", JDBC, RESTART + timedelta(minutes=9),
                    ["pg-main.data.svc.cluster.local"])
    assert tm.found(ipsec_case(1500, inside)) == []


def test_victim_address_outside_the_tunnel_routes_is_not_explained() -> None:
    elsewhere = victim("billing-sync-6b8d7c9f5-q2w8k", "billing", JDBC, RESTART + timedelta(minutes=9),
                       ["172.20.5.9"])
    assert tm.found(ipsec_case(1500, elsewhere)) == []


def wg_case(mtu: int) -> Facts:
    written = AT - timedelta(hours=2)
    config = {"kind": "ConfigMap", "metadata": {"name": "branch-wireguard", "namespace": "network"},
              "data": {"wg1.conf": f"[Interface]\nAddress = 10.99.0.2/31\nMTU = {mtu}\n\n[Peer]\n"
                                   "Endpoint = 203.0.113.50:51820\nAllowedIPs = 10.90.0.0/16\n"}}
    change = {"at": iso(written), "type": "config",
              "object": {"kind": "ConfigMap", "namespace": "network", "name": "branch-wireguard"},
              "summary": "ConfigMap network/branch-wireguard written by argocd: data key wg1.conf set",
              "diff": ["data key wg1.conf set"]}
    log = victim("ledger-proxy-7d9c8b6f5-z8x2c", "accounts", GO_READ, written + timedelta(minutes=25),
                 ["10.90.1.7"])
    hub = RecordingHub(objects={("ConfigMap", "network", "branch-wireguard"): config}, lists={}, logs={})
    facts = Facts(at=AT, scan={"findings": []}, changes={"changes": [change]}, changes_id="C1", logs=[log])
    asyncio.run(tm.read(Subject(), facts, hub, iso(AT)))
    return facts


def test_wireguard_file_in_a_configmap_names_it() -> None:
    [hit] = tm.found(wg_case(1500))
    assert (hit.target.kind, hit.target.name) == ("ConfigMap", "branch-wireguard")
    assert hit.setting.family == "WireGuard" and hit.setting.mtu == 1500
    assert "1420" in tm.finding(hit, AT)["message"]


def test_wireguard_file_with_room_is_not_named() -> None:
    assert tm.found(wg_case(1420)) == []
