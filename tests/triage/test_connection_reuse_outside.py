"""agent.triage.connection_reuse against clients and proxies other than the round's (Go, JVM HttpURLConnection, Node).

Shapes: a .NET client's own rollout zeroing `PooledConnectionLifetime` (env `HttpClient__PooledConnectionLifetime`),
its Windows `SocketException (10048): Only one usage of each socket address`; a Java 11+ HttpClient's own rollout
setting `-Djdk.httpclient.keepalive.timeout=0`, its `java.net.BindException: Cannot assign requested address`; the
settings' spellings in Envoy/Istio (`maxRequestsPerConnection: 1`), nginx (`keepalive_requests 1`, ingress-nginx
`upstream-keepalive-connections: 0`), OkHttp (`maxIdleConnections 0`) and Windows' WSAENOBUFS wording. Twins: the
same keys at values that keep reuse (Envoy's 0 is unlimited, a lifetime of minutes); a .NET SocketException that
is no port exhaustion (10061 connection refused).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import governing_change as gc
from agent.triage.connection_reuse import ERROR, reuse_off
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
DOTNET = ("System.Net.Http.HttpRequestException: Only one usage of each socket address (protocol/network "
          "address/port) is normally permitted. (pricing.quotes.svc:8080) ---> System.Net.Sockets.SocketException "
          "(10048): Only one usage of each socket address (protocol/network address/port) is normally permitted.")
JAVA = "java.net.BindException: Cannot assign requested address"


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _lifetime(old: str, new: str) -> str:
    key = "HttpClient__PooledConnectionLifetime"
    return f"checkout env {key}='{old}' -> {key}='{new}'"


def _facts(name: str, ns: str, line: str, error: str) -> Facts:
    change = {"at": _stamp(40), "type": "rollout", "object": {"kind": "Deployment", "namespace": ns, "name": name},
              "summary": f"Deployment {ns}/{name} updated: {line}", "diff": [line], "related": []}
    top: dict[str, Any] = {"template": error, "message": error}
    log = LogEvidence(pod=f"{name}-7c9d-abcde", namespace=ns, evidence_id="E7", top=top, hosts=[],
                      error_classes=set(), previous=False)
    topology = {"subject": {"kind": "Deployment", "namespace": ns, "name": name},
                "workloads": [{"kind": "Deployment", "namespace": ns, "name": name}],
                "services": [{"kind": "Service", "namespace": ns, "name": name}], "dependencies": []}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", topologies=[(topology, "E3")], logs=[log])


def test_a_dotnet_clients_rollout_zeroing_the_pool_lifetime_explains_socket_exception_10048() -> None:
    line = _lifetime("00:05:00", "00:00:00")
    [g] = gc.found(_facts("checkout", "shop", line, DOTNET))
    assert g.target.name == "checkout" and g.setting.key == "HttpClient__PooledConnectionLifetime"
    head = gc.finding(g)["message"][:400]
    assert "keep-alive off" in head and "TIME_WAIT" in head


def test_a_java_httpclients_keepalive_timeout_zero_explains_bind_exception() -> None:
    line = ("ledger args ['-Xmx2g', '-Djdk.httpclient.keepalive.timeout=1200'] -> ['-Xmx2g', "
            "'-Djdk.httpclient.keepalive.timeout=0']")
    [g] = gc.found(_facts("ledger", "books", line, JAVA))
    assert g.target.name == "ledger" and g.setting.new == "0"


def test_other_spellings_of_reuse_off_and_of_spent_ports() -> None:
    assert reuse_off("maxRequestsPerConnection", "1") and reuse_off("max_requests_per_connection", "1")
    assert reuse_off("keepalive_requests", "1") and reuse_off("upstream-keepalive-requests", "1")
    assert reuse_off("upstream-keepalive-connections", "0") and reuse_off("maxIdleConnections", "0")
    assert reuse_off("PooledConnectionIdleTimeout", "0")
    assert ERROR.search("System.Net.Sockets.SocketException (10055): An operation on a socket could not be performed "
                        "because the system lacked sufficient buffer space or because a queue was full")


def test_twin_values_that_keep_reuse() -> None:
    assert not reuse_off("maxRequestsPerConnection", "0")  # Envoy: 0 is unlimited
    assert not reuse_off("maxRequestsPerConnection", "1000")
    assert not reuse_off("HttpClient__PooledConnectionLifetime", "00:02:00")
    assert not reuse_off("keepalive_requests", "1000")
    line = _lifetime("00:00:00", "00:05:00")
    assert gc.found(_facts("checkout", "shop", line, DOTNET)) == []


def test_twin_a_socket_exception_that_is_not_port_exhaustion() -> None:
    refused = ("System.Net.Sockets.SocketException (10061): No connection could be made because the target machine "
               "actively refused it.")
    assert not ERROR.search(refused)
    line = _lifetime("00:05:00", "00:00:00")
    assert gc.found(_facts("checkout", "shop", line, refused)) == []
