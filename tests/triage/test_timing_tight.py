"""A failure-detection timing written far below its default, and the leadership churn after it
(agent.triage.timing_tight).

Written here, not taken from the held-out bundles. Shapes: an etcd StatefulSet whose env sets the heartbeat
interval and election timeout to 10/50 ms (written by Argo CD, its leader-change counter climbing); an etcd
Deployment with the timings as flags, the write seen in the change timeline; a controller whose client-go lease
is cut to 2 s and whose log says `failed to renew lease` (no counter). Negative twins: default timings under the
same churn (a slow disk is then the story), a tight timing without churn, one whose template was written long
ago, churn at the same pace before the write, and log words alone where no write is in view.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import timing_tight as tt
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 9, 9, 3, 20, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _workload(kind: str, ns: str, name: str, image: str, env: dict[str, str] | None = None,
              args: list[str] | None = None, written: timedelta | None = timedelta(hours=3)) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if written is not None:
        meta["managedFields"] = [{"manager": "argocd-controller", "operation": "Apply", "time": _iso(AT - written),
                                  "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}}]
    container: dict[str, Any] = {"name": name, "image": image}
    if env:
        container["env"] = [{"name": k, "value": v} for k, v in env.items()]
    if args:
        container["args"] = args
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta,
            "spec": {"template": {"spec": {"containers": [container]}}}}


TIGHT_ENV = {"ETCD_HEARTBEAT_INTERVAL": "10", "ETCD_ELECTION_TIMEOUT": "50"}
DEFAULT_ENV = {"ETCD_HEARTBEAT_INTERVAL": "100", "ETCD_ELECTION_TIMEOUT": "1000"}


class Hub(RecordingHub):
    """The tool hub: one workload as YAML (a reader that keeps managedFields), and its leader-change increase over
    an hour, now and before the write."""

    def __init__(self, workload: dict[str, Any], now: float | None, before: float | None = None) -> None:
        super().__init__(objects={(workload["kind"], workload["metadata"]["name"]): workload}, ids={"k8s_get": "E4"})
        self.workload, self.now, self.before = workload, now, before

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool != "prom_query":
            return super().answer(call, eid)
        value = self.now if call.step.endswith("-now") else self.before
        return outcome(True, {"samples": [] if value is None else [{"labels": {}, "value": value}]}, "", "E5")

def _found(hub: Hub, pod: str, changes: list[dict[str, Any]] | None = None,
           said: str = "") -> list[tt.Tight]:
    ns = hub.workload["metadata"]["namespace"]
    facts = Facts(at=AT, changes={"changes": changes or []}, changes_id="E2")
    if said:
        facts.logs.append(LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top={"example": said,
                                                                                     "severity": "error"},
                                      hosts=[], error_classes=set(), previous=False))
    asyncio.run(tt.read(Subject(namespace=ns, pods=[pod]), facts, hub, _iso(AT)))
    return tt.found(facts)


def test_etcd_env_timings_with_leader_churn_are_named_with_their_meaning() -> None:
    hub = Hub(_workload("StatefulSet", "infra", "meta-etcd", "quay.io/coreos/etcd:v3.5.15", TIGHT_ENV), 41.0, 0.0)
    found = _found(hub, "meta-etcd-1")
    assert [t.target.name for t in found] == ["meta-etcd"]
    message = tt.finding(found[0])["message"]
    head = message[:400]
    assert message.startswith("StatefulSet infra/meta-etcd sets its etcd heartbeat interval and election timeout")
    assert "ETCD_ELECTION_TIMEOUT=50" in head and "41 leader changes in the last hour (was 0)" in head
    assert "written by argocd-controller 3 h 0 min before" in head


def test_etcd_flags_written_in_a_rollout_are_named() -> None:
    workload = _workload("Deployment", "kv", "lock-etcd", "gcr.io/etcd-development/etcd:v3.5.9",
                         args=["--heartbeat-interval=20", "--election-timeout", "150ms"], written=None)
    change = {"at": _iso(AT - timedelta(minutes=50)), "type": "rollout",
              "object": {"kind": "Deployment", "namespace": "kv", "name": "lock-etcd"},
              "summary": "Deployment kv/lock-etcd rolled out revision 3", "diff": ["lock-etcd args ..."]}
    found = _found(Hub(workload, 12.0), "lock-etcd-6f7d8b9c5-qwxzt", [change])
    assert [t.written_by for t in found] == ["a rollout"]
    assert {x[0].name for x in found[0].found} == {"heartbeat interval", "election timeout"}


def test_client_go_lease_cut_with_renewal_failures_is_named() -> None:
    workload = _workload("Deployment", "ops", "queue-operator", "ghcr.io/acme/queue-operator:1.4",
                         args=["--leader-elect=true", "--leader-elect-lease-duration=2s",
                               "--leader-elect-renew-deadline=1s"])
    said = 'E0909 03:12:40 leaderelection.go:340] Failed to update lock: failed to renew lease ops/queue-operator'
    found = _found(Hub(workload, None), "queue-operator-6f7d8b9c5-qwxzt", said=said)
    assert [t.family.software for t in found] == ["client-go leader election"]
    assert "failed to renew lease" in tt.finding(found[0])["message"]


def test_default_timings_under_churn_are_not_named() -> None:
    hub = Hub(_workload("StatefulSet", "infra", "meta-etcd", "quay.io/coreos/etcd:v3.5.15", DEFAULT_ENV), 41.0)
    assert _found(hub, "meta-etcd-1") == []


def test_tight_timing_without_churn_is_not_named() -> None:
    hub = Hub(_workload("StatefulSet", "infra", "meta-etcd", "quay.io/coreos/etcd:v3.5.15", TIGHT_ENV), 0.0)
    assert _found(hub, "meta-etcd-1") == []


def test_tight_timing_of_long_standing_is_not_named() -> None:
    workload = _workload("StatefulSet", "infra", "meta-etcd", "quay.io/coreos/etcd:v3.5.15", TIGHT_ENV,
                         written=timedelta(days=40))
    assert _found(Hub(workload, 41.0), "meta-etcd-1") == []


def test_churn_at_the_same_pace_before_the_write_is_not_named() -> None:
    hub = Hub(_workload("StatefulSet", "infra", "meta-etcd", "quay.io/coreos/etcd:v3.5.15", TIGHT_ENV), 41.0, 38.0)
    assert _found(hub, "meta-etcd-1") == []


def test_words_alone_without_a_write_in_view_are_not_named() -> None:
    workload = _workload("Deployment", "ops", "queue-operator", "ghcr.io/acme/queue-operator:1.4",
                         args=["--leader-elect-lease-duration=2s"], written=None)
    said = "failed to renew lease ops/queue-operator: timed out waiting for the condition"
    assert _found(Hub(workload, None), "queue-operator-6f7d8b9c5-qwxzt", said=said) == []


def test_durations() -> None:
    assert tt.duration_ms("50", 1) == 50
    assert tt.duration_ms("2s", 1000) == 2000
    assert tt.duration_ms("1m30s", 1000) == 90000
    assert tt.duration_ms("150ms", 1) == 150
    assert tt.duration_ms("fast", 1) is None


def test_a_renew_deadline_written_next_to_the_lease_with_renewal_failures_is_named() -> None:
    """Neither timing is below its default; the renew deadline sits within a second of the lease."""
    workload = _workload("Deployment", "ops", "bucket-operator", "ghcr.io/acme/bucket-operator:2.3.0",
                         args=["--leader-election-lease-duration=20s", "--leader-election-renew-deadline=19s"])
    found = _found(Hub(workload, None), "bucket-operator-7d9c8b6f5-kq2xz",
                   said="E0601 lost lease ops/bucket-operator-lock: leader election lost, exiting")
    assert [t.target.name for t in found] == ["bucket-operator"]
    message = tt.finding(found[0])["message"]
    assert "--leader-election-renew-deadline=19s leaves 1 s of its lease duration" in message
    assert "leadership is lost" in message


def test_a_renew_deadline_from_env_against_the_default_lease_is_named() -> None:
    workload = _workload("Deployment", "kube-addons", "volume-snapshotter", "registry.k8s.io/sig/snapshotter:v8",
                         env={"LEADER_ELECTION_RENEW_DEADLINE": "13s"})
    found = _found(Hub(workload, None), "volume-snapshotter-5f6d7c8b9-x2v4p",
                   said="leaderelection.go:285] failed to renew lease kube-addons/snapshotter: context deadline")
    assert len(found) == 1 and "lease duration 15s (its default)" in tt.finding(found[0])["message"]


def test_the_default_margin_or_a_close_margin_without_renewal_failures_is_not_named() -> None:
    defaults = _workload("Deployment", "ops", "bucket-operator", "ghcr.io/acme/bucket-operator:2.3.0",
                         args=["--leader-election-lease-duration=15s", "--leader-election-renew-deadline=10s"])
    assert _found(Hub(defaults, None), "bucket-operator-7d9c8b6f5-kq2xz",
                  said="failed to renew lease ops/bucket-operator-lock: timed out waiting for the condition") == []
    close = _workload("Deployment", "ops", "bucket-operator", "ghcr.io/acme/bucket-operator:2.3.0",
                      args=["--leader-election-lease-duration=20s", "--leader-election-renew-deadline=19s"])
    assert _found(Hub(close, None), "bucket-operator-7d9c8b6f5-kq2xz",
                  said="reconciled bucket ops/logs in 120ms") == []
