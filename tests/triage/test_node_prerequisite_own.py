"""A workload's own revision that removed what set the kernel key its software needs (issue #12, round 36).

A chart's privileged init container (or a `securityContext.sysctls` entry) set the key on every node a pod
landed on; a revision dropped it and the pod started since fails in its software's words. Two shapes: an
Elasticsearch StatefulSet whose init container `echo 262144 > /proc/sys/vm/max_map_count` was removed (the
rollout diff says what it ran), a log shipper Deployment whose init container command no longer raises
fs.inotify.max_user_instances. Twins: the failing pod started before the write, the write was to another workload,
the removed setter set a key the error does not name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import node_prerequisite as npq
from agent.triage.facts import Facts, Ref
from mcp_servers.kubernetes.reads import template_diff

AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
WRITTEN = "2026-11-20T07:10:00Z"
ES = ["[2026-11-20T07:40:01,120][ERROR][o.e.b.Bootstrap] [logs-es-2] node validation exception",
      "bootstrap check failure [1] of [1]: max virtual memory areas vm.max_map_count [65530] is too low, increase "
      "to at least [262144]"]
INOTIFY = ["level=error msg=\"failed to create fsnotify watcher: too many open files\" component=tailer"]


def _row(name: str, ns: str, *, fails: bool, created: str) -> dict[str, Any]:
    return {"name": name, "namespace": ns, "node": "worker-4", "created": created,
            "status": "CrashLoopBackOff" if fails else "Running", "restarts": 11 if fails else 0,
            "last_termination_reason": "Error" if fails else None}


def _facts(kind: str, ns: str, name: str, diff: list[str], rows: list[dict[str, Any]],
           lines: dict[str, list[str]]) -> Facts:
    change = {"at": WRITTEN, "type": "rollout", "object": {"kind": kind, "namespace": ns, "name": name},
              "summary": f"{kind} {ns}/{name} rolled out a new revision", "diff": diff}
    store = {"pods": {"rows": rows}, "pods_id": "E7", "lines": lines, "log_ids": {p: ["E9"] for p in lines},
             "nodes": {}, "templates": {}, "evidence": []}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", reads={npq.READS: store})


def _es_diff(command: str) -> list[str]:
    """The rollout diff the replay server writes when the chart dropped its init container."""
    old = {"spec": {"initContainers": [{"name": "tune", "image": "alpine:3.20", "command": ["sh", "-c", command],
                                        "securityContext": {"privileged": True}}],
                    "containers": [{"name": "es", "image": "elasticsearch:8.15.2"}]}}
    new = {"spec": {"containers": [{"name": "es", "image": "elasticsearch:8.15.2"}]}}
    return template_diff(old, new)


def _es(started: str, command: str = "echo 262144 > /proc/sys/vm/max_map_count", owner: str = "logs-es") -> Facts:
    rows = [_row("logs-es-2", "logging", fails=True, created=started),
            _row("logs-es-1", "logging", fails=False, created="2026-10-02T00:00:00Z")]
    return _facts("StatefulSet", "logging", owner, _es_diff(command), rows, {"logs-es-2": ES})


def test_a_statefulset_whose_revision_dropped_its_sysctl_init_container_is_named() -> None:
    [fit] = npq.found(_es("2026-11-20T07:12:00Z"))
    assert (fit.target, fit.shape, fit.workload) == (Ref("StatefulSet", "logging", "logs-es"), "own",
                                                     Ref("StatefulSet", "logging", "logs-es"))
    message = npq.finding(fit)["message"]
    assert "vm.max_map_count no longer set (was 262144" in message
    assert "init container tune ran" in message and "is too low" in message
    assert fit.peers == ["logs-es-1"]


def test_a_deployment_whose_init_command_no_longer_raises_inotify_is_named() -> None:
    line = ("init container raise-limits command ['sysctl', '-w', 'fs.inotify.max_user_instances=8192'] -> "
            "['sh', '-c', 'echo limits skipped']")
    rows = [_row("shipper-5c7d9b8f6-q8wzt", "observability", fails=True, created="2026-11-20T07:30:00Z")]
    facts = _facts("Deployment", "observability", "shipper", [line], rows, {"shipper-5c7d9b8f6-q8wzt": INOTIFY})
    [fit] = npq.found(facts)
    assert fit.target == Ref("Deployment", "observability", "shipper") and fit.shape == "own"
    assert fit.what.startswith("fs.inotify.max_user_instances no longer set (was 8192")


def test_a_pod_started_before_the_write_is_not_its_victim() -> None:
    assert npq.found(_es("2026-11-19T22:00:00Z")) == []


def test_another_workload_s_dropped_init_container_does_not_explain_this_one() -> None:
    assert npq.found(_es("2026-11-20T07:12:00Z", owner="kibana")) == []


def test_a_dropped_setter_of_another_key_does_not_explain_the_error() -> None:
    assert npq.found(_es("2026-11-20T07:12:00Z", command="sysctl -w net.core.somaxconn=4096")) == []


def test_a_pod_under_its_old_name_whose_own_spec_lacks_the_setter_runs_the_new_revision() -> None:
    facts = _es("2026-10-02T00:00:00Z")  # a StatefulSet pod recreated under its name; its spec is what tells
    facts.reads[npq.READS]["pod_specs"] = {"logs-es-2": '{"containers": [{"name": "es"}]}'}
    [fit] = npq.found(facts)
    assert fit.shape == "own"


def test_an_older_pod_that_still_carries_the_setter_is_not_the_write_s_victim() -> None:
    facts = _es("2026-10-02T00:00:00Z")
    facts.reads[npq.READS]["pod_specs"] = {"logs-es-2": '{"initContainers": [{"command": '
                                                        '["sysctl", "-w", "vm.max_map_count=262144"]}]}'}
    assert npq.found(facts) == []
