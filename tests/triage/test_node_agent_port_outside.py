"""agent.triage.node_agent_port against agents and clients other than the round's (OTel collector, Fluent Bit).

Shapes: a Datadog agent DaemonSet (OnDelete) whose new template keeps DogStatsD 8125 but drops the APM port 8126,
a Python tracer on the named node `failed to send, dropping 3 traces to intake at http://<node-ip>:8126`; a StatsD
exporter DaemonSet whose new template drops UDP 8125, a JVM client's `PortUnreachableException ... port 8125`.
Twins: a client line that names the dropped port without failing (`sent 12 traces`); a client failing at another
port than the dropped one.
"""

from __future__ import annotations

from agent.triage import node_agent_port as nap
from agent.triage.node_agent_port import failing_line
from tests.triage.test_node_agent_port import NODE, Cluster, _found, _pod, _port

DD_PY = ("2026-09-01 10:12:03,118 ERROR [ddtrace.internal.writer.writer] [writer.py:251] - failed to send, dropping 3 "
         "traces to intake at http://10.0.3.7:8126/v0.5/traces after 3 retries")
STATSD_JVM = ("WARN c.t.s.NonBlockingStatsDClient - statsd send failed: java.net.PortUnreachableException: "
              "ICMP Port Unreachable to host 10.0.3.7 port 8125")


def _datadog(client_log: list[str]) -> Cluster:
    template = [_port(8125, "dogstatsdport"), _port(5002, "traceport-old", host=False)]
    here = _pod("datadog-agent-k7m2p", "datadog", "r41", "2026-09-01T10:04:00Z", template)
    there = _pod("datadog-agent-h3j8n", "datadog", "r40", "2026-08-11T08:00:00Z",
                 [_port(8125, "dogstatsdport"), _port(8126, "traceport")])
    return Cluster("datadog", "datadog-agent", template, here, there, client_log)


def test_a_datadog_agent_dropping_its_apm_port_is_named_from_a_python_tracers_dropped_traces() -> None:
    [d] = _found(_datadog([DD_PY]))
    assert str(d.daemonset) == "DaemonSet datadog/datadog-agent" and d.port == 8126
    head = nap.finding(d)["message"][:400]
    assert "8126 (traceport)" in head and NODE in head


def test_a_statsd_exporter_dropping_udp_8125_is_named_from_a_jvm_port_unreachable() -> None:
    here = _pod("statsd-exporter-p2q3r", "monitoring", "b2", "2026-09-01T10:08:00Z", [_port(9102, "metrics", False)])
    there = _pod("statsd-exporter-x8y9z", "monitoring", "b1", "2026-07-01T00:00:00Z",
                 [_port(8125, "statsd-udp"), _port(9102, "metrics", False)])
    cluster = Cluster("monitoring", "statsd-exporter", [_port(9102, "metrics", False)], here, there, [STATSD_JVM])
    [d] = _found(cluster)
    assert d.port == 8125 and "PortUnreachableException" in d.line


def test_twin_a_line_naming_the_port_without_failing() -> None:
    ok = "2026-09-01 10:12:03,118 DEBUG [ddtrace.internal.writer] sent 12 traces to http://10.0.3.7:8126/v0.5/traces"
    assert failing_line(ok, 8126) == ""
    assert _found(_datadog([ok])) == []


def test_twin_a_client_failing_at_another_port() -> None:
    other = ("2026-09-01 10:12:03,118 ERROR [ddtrace] failed to send, dropping 3 traces to intake at "
             "http://10.0.3.7:9126/v0.5/traces")
    assert _found(_datadog([other])) == []
