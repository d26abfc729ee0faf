"""A node's condition beyond the kubelet's, and a node's ephemeral ports held in TIME_WAIT (issue #12, round 8).

Written here over the facts the survey keeps, in two shapes each with negative twins:

- node_conditions: node-problem-detector's `ReadonlyFilesystem` (reason FilesystemIsReadOnly, message quoting
  the kernel's "EXT4-fs ... Remounting filesystem read-only") with a Go service's "read-only file system", and
  `KernelDeadlock` (reason DockerHung / "task ... blocked for more than 120 seconds") with a client's timeouts;
  twins: a kubelet condition, a condition whose pods log nothing that fits, an unknown condition;
- node_exhaustion's ephemeral port range: `node_sockstat_TCP_tw` near the kernel's default
  ip_local_port_range (28232 ports), and the write that turned connection reuse off on the node's client
  (ingress-nginx `upstream-keepalive-connections`, HAProxy `http-reuse`, Envoy `max_requests_per_connection`);
  twins: TIME_WAIT far below the range, reuse raised or left on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import node_conditions, node_exhaustion
from agent.triage.facts import Facts, Ref
from agent.triage.node_conditions import Found, extra_conditions, fitting_line, meaning_of
from agent.triage.node_exhaustion import TABLES, Exhausted, _reuse_off

AT = datetime(2026, 10, 6, 15, 30, tzinfo=UTC)
NODE = "ip-10-2-7-41.ec2.internal"
PORTS = next(t for t in TABLES if t.used == "node_sockstat_TCP_tw")


# ---- node conditions beyond the kubelet's ------------------------------------------------------------------------

READONLY = {"type": "ReadonlyFilesystem", "status": "True", "reason": "FilesystemIsReadOnly",
            "message": "EXT4-fs (xvda1): Remounting filesystem read-only", "since": "2026-10-06T15:02:00Z"}
DEADLOCK = {"type": "KernelDeadlock", "status": "True", "reason": "DockerHung",
            "message": "kernel: INFO: task docker:20744 blocked for more than 120 seconds."}


def test_only_true_conditions_the_kubelet_does_not_set_are_read() -> None:
    row = {"name": NODE, "conditions": [
        {"type": "Ready", "status": "True"}, {"type": "DiskPressure", "status": "True"},
        {**READONLY}, {"type": "FrequentContainerdRestart", "status": "False"}]}
    assert [c["type"] for c in extra_conditions(row)] == ["ReadonlyFilesystem"]


def test_a_condition_means_what_its_type_reason_and_message_say() -> None:
    pattern, meaning = meaning_of(READONLY)
    assert "read-only" in meaning
    assert fitting_line("ok\nopen /data/wal/000412.log: read-only file system\n", pattern)
    assert fitting_line("OSError: [Errno 30] Read-only file system: '/var/cache/x'", pattern)
    assert not fitting_line("dial tcp 10.0.0.4:5432: connect: connection refused", pattern)
    pattern, meaning = meaning_of(DEADLOCK)
    assert "hung" in meaning and fitting_line("upstream request: context deadline exceeded", pattern)
    assert meaning_of({"type": "GPUHealthy", "status": "True", "reason": "AllGood"}) == ("", "")


def _found(victims: list[tuple[str, str, str]], condition: dict[str, Any] = READONLY) -> Facts:
    facts = Facts(at=AT)
    _, meaning = meaning_of(condition)
    found = Found(NODE, condition["type"], condition["reason"], condition["message"], str(condition.get("since")),
                  meaning, victims=victims, pods=9, evidence=["E4", "E5", "E6"])
    if victims:
        facts.objects.append(({"kind": node_conditions.RECORD_KIND, "found": found}, ""))
    return facts


def test_the_node_is_the_suspect_and_the_failing_pods_on_it_its_victims() -> None:
    facts = _found([("payments", "journal-7c9d8f6b5d-q2x8z", "open /spool/j.wal: read-only file system")])
    [(ref, f, evidence, explains)] = node_conditions.suspects(facts)
    assert ref == Ref("Node", "", NODE) and evidence == ["E4", "E5", "E6"]
    for words in ("ReadonlyFilesystem=True", "FilesystemIsReadOnly", "stays Ready", "journal-7c9d8f6b5d-q2x8z",
                  "read-only file system"):
        assert words in f["message"], (words, f["message"])
    assert Ref("Pod", "payments", "journal-7c9d8f6b5d-q2x8z") in explains
    assert Ref("Deployment", "payments", "journal") in explains


def test_a_hung_kernel_is_named_with_the_timeouts_of_its_pods() -> None:
    facts = _found([("search", "indexer-0", "flush: context deadline exceeded")], DEADLOCK)
    [(_, f, _, _)] = node_conditions.suspects(facts)
    assert "KernelDeadlock=True" in f["message"] and "hung" in f["message"]


def test_a_condition_no_pod_of_the_incident_fails_by_is_no_suspect() -> None:
    assert node_conditions.suspects(_found([])) == []


# ---- ephemeral ports in TIME_WAIT --------------------------------------------------------------------------------


def _tw(value: float) -> list[tuple[dict[str, Any], float]]:
    return [({"__name__": "node_sockstat_TCP_tw", "instance": NODE, "job": "node-exporter"}, value)]


def test_time_wait_near_the_default_port_range_is_a_full_table_and_far_below_it_is_not() -> None:
    found = node_exhaustion._full(NODE, _tw(27_100.0), set())
    assert found is not None and found.table is PORTS and found.limit == 28_232
    assert node_exhaustion._full(NODE, _tw(4_000.0), set()) is None
    assert node_exhaustion._full("ip-10-2-7-42.ec2.internal", _tw(27_100.0), set()) is None


def test_a_write_that_turns_connection_reuse_off_is_recognised_in_each_proxy_s_words() -> None:
    assert _reuse_off("data key upstream-keepalive-connections '320' -> '0'")
    assert _reuse_off("haproxy.cfg 'http-reuse safe' -> 'http-reuse never'")
    assert _reuse_off("envoy.yaml 'max_requests_per_connection: 0' -> 'max_requests_per_connection: 1'")
    assert not _reuse_off("data key upstream-keepalive-connections '0' -> '320'")
    assert not _reuse_off("haproxy.cfg 'http-reuse never' -> 'http-reuse safe'")
    assert not _reuse_off("data key upstream-keepalive-timeout '60' -> '75'")


def _ports(changes: list[dict[str, Any]]) -> tuple[Facts, Exhausted]:
    facts = Facts(at=AT)
    facts.changes = {"changes": changes}
    found = Exhausted(NODE, PORTS, 27_100, 28_232, onset="2026-10-06T14:40:00Z",
                      pods=[("ingress", "edge-proxy-5f7b9c6d8d-k2l9p"), ("web", "storefront-6d9f8b7c5d-x2x9q")],
                      evidence=["E9"])
    node_exhaustion._blame(found, facts)
    facts.objects.append(({"kind": node_exhaustion.RECORD_KIND, "found": found}, ""))
    return facts, found


REUSE_OFF = {"at": "2026-10-06T14:05:00Z", "type": "config",
             "object": {"kind": "ConfigMap", "namespace": "ingress", "name": "edge-proxy"},
             "summary": "ConfigMap ingress/edge-proxy updated by kubectl-patch",
             "diff": ["data key upstream-keepalive-connections '320' -> '0' (outside kubectl apply)"]}
IMAGE = {"at": "2026-10-06T14:30:00Z", "type": "rollout",
         "object": {"kind": "Deployment", "namespace": "web", "name": "storefront"},
         "summary": "Deployment web/storefront revision 8", "diff": ["storefront image s:1.4 -> s:1.5"]}


def test_the_proxy_config_that_turned_keepalive_off_is_named_over_a_closer_image_bump() -> None:
    facts, found = _ports([REUSE_OFF, IMAGE])
    assert found.culprit == Ref("ConfigMap", "ingress", "edge-proxy")
    [(_, f, _, _)] = node_exhaustion.suspects(facts)
    for words in ("ephemeral port range", "TIME_WAIT", "Cannot assign requested address", "keep-alive",
                  "upstream-keepalive-connections"):
        assert words in f["message"], (words, f["message"])


def test_a_config_that_raised_keepalive_loses_to_the_closer_change() -> None:
    raised = {**REUSE_OFF, "diff": ["data key upstream-keepalive-connections '0' -> '320'"]}
    _, found = _ports([raised, IMAGE])
    assert found.culprit == Ref("Deployment", "web", "storefront") and not found.meanings
