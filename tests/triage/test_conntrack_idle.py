"""A node's established-TCP tracking timeout lowered below pooled connections' idle time (issue #12, round 40 class).

Written here, not taken from the held-out bundles: a sysctl ConfigMap a node agent applies, kube-proxy's
configuration, and Cilium's agent configuration, each with negative twins of the same look (the timeout raised,
still above the keepalive time, the keepalive lowered with it, an incident that is not about connections, a write
older than a day).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import conntrack_idle
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 8, 14, 6, 30, tzinfo=UTC)


def _change(kind: str, ns: str, name: str, line: str, ago: timedelta = timedelta(hours=3)) -> dict[str, Any]:
    return {"at": (AT - ago).isoformat().replace("+00:00", "Z"), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by kubectl-apply", "diff": [line], "related": []}


def _log(message: str) -> LogEvidence:
    return LogEvidence(pod="billing-worker-5c8d7-x2x9q", namespace="billing", evidence_id="E6",
                       top={"message": message, "example": message, "count": 9}, hosts=[], error_classes=set(),
                       previous=False)


def _facts(line: str, kind: str = "ConfigMap", ns: str = "node-config", name: str = "sysctl-overrides",
           message: str = "", ago: timedelta = timedelta(hours=3)) -> Facts:
    facts = Facts(at=AT, changes={"changes": [_change(kind, ns, name, line, ago)]}, changes_id="E2")
    if message:
        facts.logs.append(_log(message))
    return facts


SYSCTL = ("data.99-net.conf: 'net.core.rmem_max = 8388608' -> 'net.core.rmem_max = 8388608\n"
          "net.netfilter.nf_conntrack_tcp_timeout_established = {value}'")
PSQL = "psycopg.OperationalError: server closed the connection unexpectedly"


def test_sysctl_configmap_adds_a_short_timeout_and_clients_see_closed_connections() -> None:
    [hit] = conntrack_idle.found(_facts(SYSCTL.format(value=600), message=PSQL), set())
    assert (hit.old_s, hit.new_s, hit.keepalive_s) == (432000.0, 600.0, 7200.0)
    finding = conntrack_idle.finding(hit)
    assert finding["object"] == {"kind": "ConfigMap", "namespace": "node-config", "name": "sysctl-overrides"}
    assert "nf_conntrack_tcp_timeout_established from 432000 s to 600 s" in finding["message"]


def test_twin_sysctl_raised() -> None:
    assert conntrack_idle.found(_facts(SYSCTL.format(value=864000), message=PSQL), set()) == []


def test_twin_keepalive_lowered_below_it_in_the_same_text() -> None:
    line = SYSCTL.format(value=600) + " net.ipv4.tcp_keepalive_time = 120"
    assert conntrack_idle.found(_facts(line.replace("'\n", "\n") + "'", message=PSQL), set()) == []


KUBE_PROXY = "data.config.conf: conntrack: tcpEstablishedTimeout: 24h0m0s -> conntrack: tcpEstablishedTimeout: {v}"


def test_kube_proxy_established_timeout_lowered_on_a_node_question() -> None:
    facts = _facts(KUBE_PROXY.format(v="10m0s"), kind="ConfigMap", ns="kube-system", name="kube-proxy")
    [hit] = conntrack_idle.found(facts, {"node"})
    assert (hit.old_s, hit.new_s) == (86400.0, 600.0) and "kube-proxy" in hit.timer


def test_twin_kube_proxy_lowered_but_above_the_keepalive_time() -> None:
    facts = _facts(KUBE_PROXY.format(v="3h0m0s"), kind="ConfigMap", ns="kube-system", name="kube-proxy")
    assert conntrack_idle.found(facts, {"node"}) == []


def test_twin_write_older_than_a_day() -> None:
    facts = _facts(KUBE_PROXY.format(v="10m0s"), ns="kube-system", name="kube-proxy", ago=timedelta(hours=30))
    assert conntrack_idle.found(facts, {"node"}) == []


CILIUM = "data.bpf-ct-timeout-regular-tcp: (unset) -> '5m'"
RESET = "dial tcp 10.96.14.2:6379: read: connection reset by peer"


def test_cilium_tracking_timeout_with_resets_in_the_logs() -> None:
    [hit] = conntrack_idle.found(_facts(CILIUM, ns="kube-system", name="cilium-config", message=RESET), set())
    assert (hit.old_s, hit.new_s) == (21600.0, 300.0) and "Cilium" in hit.timer


def test_twin_same_write_but_the_incident_is_not_about_connections() -> None:
    facts = _facts(CILIUM, ns="kube-system", name="cilium-config", message="java.lang.OutOfMemoryError: heap")
    assert conntrack_idle.found(facts, {"oom"}) == []


def test_durations() -> None:
    assert [conntrack_idle.duration(t) for t in ("300", "5m0s", "24h0m0s", "1.5h", "250ms", "soon")] == \
        [300.0, 300.0, 86400.0, 5400.0, 0.25, None]


# ---- kube-proxy's IPVS table and other clients' words for a cut connection (issue #12 audit) ----

IPVS_CM = "data.config.conf: ipvs.tcpTimeout: 0s -> {value}"
NODE_RESET = "Error: read ECONNRESET at TCP.onStreamRead (node:internal/stream_base_commons:217:20)"
MYSQL_LOST = "pymysql.err.OperationalError: (2013, 'Lost connection to MySQL server during query')"


def test_ipvs_tcp_timeout_in_kube_proxy_config_with_node_resets() -> None:
    facts = _facts(IPVS_CM.format(value="5m"), ns="kube-system", name="kube-proxy", message=NODE_RESET)
    [hit] = conntrack_idle.found(facts, set())
    assert (hit.old_s, hit.new_s) == (900.0, 300.0) and "IPVS" in hit.timer


def test_twin_ipvs_tcp_timeout_zero_leaves_the_kernel_value() -> None:
    facts = _facts(IPVS_CM.format(value="0s").replace("0s -> 0s", "15m -> 0s"), ns="kube-system", name="kube-proxy",
                   message=NODE_RESET)
    assert conntrack_idle.found(facts, set()) == []


def test_ipvs_tcp_timeout_flag_on_the_daemonset_with_mysql_lost_connections() -> None:
    line = "kube-proxy args ['--proxy-mode=ipvs'] -> ['--proxy-mode=ipvs', '--ipvs-tcp-timeout=10m0s']"
    facts = _facts(line, kind="DaemonSet", ns="kube-system", name="kube-proxy", message=MYSQL_LOST)
    [hit] = conntrack_idle.found(facts, set())
    assert hit.new_s == 600.0


def test_twin_ipvs_flag_above_the_keepalive_time() -> None:
    line = "kube-proxy args ['--proxy-mode=ipvs'] -> ['--proxy-mode=ipvs', '--ipvs-tcp-timeout=3h']"
    facts = _facts(line, kind="DaemonSet", ns="kube-system", name="kube-proxy", message=MYSQL_LOST)
    assert conntrack_idle.found(facts, set()) == []


def test_twin_a_refused_connection_is_not_a_cut_one() -> None:
    facts = _facts(IPVS_CM.format(value="5m"), ns="kube-system", name="kube-proxy",
                   message="Error: connect ECONNREFUSED 10.96.12.4:5432")
    assert conntrack_idle.found(facts, set()) == []
