"""Evicting controllers in shapes other than the first incident's (agent.triage.eviction_strategy, actor_chain).

Outside shapes: a v1alpha1 DeschedulerPolicy (`strategies:` with `enabled:` flags, params one level down) where the
one enabled strategy is RemoveDuplicates and LowNodeUtilization is listed but disabled; a v1alpha2 profile that
configures LowNodeUtilization in `pluginConfig` but enables only HighNodeUtilization (a plugin configured and not
enabled does not run); an older descheduler's klog line naming PodLifeTime; cluster-autoscaler's scale-down
evictions ("deleting pod for node scale down", source cluster-autoscaler) read as the acts of a cluster-autoscaler
Deployment. Twins: a policy enabling several strategies with no record names none; kubelet's own Evicted events
are never a configured controller's acts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import actor_chain as ac
from agent.triage import eviction_strategy as es

AT = datetime(2026, 8, 9, 6, 15, tzinfo=UTC)

V1ALPHA1 = """apiVersion: descheduler/v1alpha1
kind: DeschedulerPolicy
strategies:
  RemoveDuplicates:
    enabled: true
  LowNodeUtilization:
    enabled: false
    params:
      nodeResourceUtilizationThresholds:
        thresholds: {cpu: 20, memory: 20}
        targetThresholds: {cpu: 50, memory: 50}
"""
CONFIGURED_NOT_ENABLED = """apiVersion: descheduler/v1alpha2
kind: DeschedulerPolicy
profiles:
- name: packing
  pluginConfig:
  - name: DefaultEvictor
    args: {evictLocalStoragePods: true}
  - name: LowNodeUtilization
    args:
      thresholds: {cpu: 20}
      targetThresholds: {cpu: 60}
  - name: HighNodeUtilization
    args:
      thresholds: {cpu: 35, memory: 35}
  plugins:
    balance:
      enabled: [HighNodeUtilization]
"""


def test_a_v1alpha1_policy_counts_only_its_enabled_strategies() -> None:
    assert es.enabled(V1ALPHA1) == ["RemoveDuplicates"]
    strategy, meaning = es.describe(["Descheduled: pod eviction from ip-10-2-3-4 node by sigs.k8s.io/descheduler"],
                                    V1ALPHA1)
    assert strategy == "RemoveDuplicates" and "same owner" in meaning
    # Listing the disabled one too would leave two and name none: the flag is what decides.
    both = V1ALPHA1.replace("enabled: false", "enabled: true")
    assert es.describe([], both) == ("", "")


def test_a_v1alpha2_plugin_configured_but_not_enabled_does_not_run() -> None:
    assert es.enabled(CONFIGURED_NOT_ENABLED) == ["HighNodeUtilization"]
    strategy, meaning = es.describe([], CONFIGURED_NOT_ENABLED)
    assert strategy == "HighNodeUtilization" and "pack them onto fewer nodes" in meaning


def test_an_older_descheduler_log_line_names_podlifetime() -> None:
    line = ('I0809 05:40:02.113201       1 evictions.go:160] "Evicted pod" pod="payments/ledger-0" '
            'reason="PodLifeTime" strategy="PodLifeTime" node="ip-10-2-3-4"')
    strategy, meaning = es.describe([line], V1ALPHA1)
    assert strategy == "PodLifeTime" and "maxPodLifeTimeSeconds" in meaning


def _deployment(name: str, image: str) -> dict[str, Any]:
    return {"kind": "Deployment", "metadata": {"name": name, "namespace": "kube-system",
                                               "labels": {"app.kubernetes.io/name": name}},
            "spec": {"template": {"spec": {"serviceAccountName": name, "containers": [
                {"name": name, "image": image, "command": ["./cluster-autoscaler", "--cloud-provider=aws",
                                                           "--scale-down-utilization-threshold=0.8"]}]}}}}


def _event(pod: str, source: str, reason: str, message: str, minutes: int) -> dict[str, Any]:
    at = (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"kind": "Pod", "namespace": "payments", "name": pod, "source": source, "reason": reason,
            "message": message, "first_seen": at, "last_seen": at, "count": 1}


def test_cluster_autoscaler_scale_down_evictions_are_its_acts_and_kubelet_evictions_are_not() -> None:
    actor = ac._actor(_deployment("cluster-autoscaler",
                                  "registry.k8s.io/autoscaling/cluster-autoscaler:v1.31.0"), "E1")
    rows = [_event("ledger-api-6c8d9f7b5c-k2x4p", "cluster-autoscaler", "ScaleDown",
                   "deleting pod for node scale down", 40),
            _event("ledger-api-6c8d9f7b5c-z9w8q", "cluster-autoscaler", "ScaleDown",
                   "deleting pod for node scale down", 25),
            _event("ledger-api-6c8d9f7b5c-m3n4b", "kubelet", "Evicted",
                   "The node was low on resource: memory. Container api was using 900Mi, request is 0, has larger "
                   "consumption of its request.", 10)]
    [act] = ac.event_acts(rows, actor)
    assert act.victim.name == "ledger-api" and act.count == 2 and act.what.startswith("ScaleDown")
    # The same kubelet eviction alone is no configured controller's act.
    assert ac.event_acts(rows[2:], actor) == []
