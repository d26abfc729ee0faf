"""A VPA that scales its pods' limits down with their requests (agent.triage.vpa_limits).

Shapes: a Deployment's VPA without controlledValues (the default RequestsAndLimits) whose pods run a quarter of
the template's CPU limit; a StatefulSet's VPA naming RequestsAndLimits for one container on memory. Twins: the same
VPA with RequestsOnly, pods whose limits are the template's, a VPA written days ago, one in Off mode, one that
controls only memory while the CPU limit is lower for another reason.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import vpa_limits as v

AT = datetime(2026, 11, 20, 9, 5, tzinfo=UTC)
H = timedelta(hours=1)


def vpa(kind: str, target: str, policy: dict[str, Any], mode: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"targetRef": {"apiVersion": "apps/v1", "kind": kind, "name": target},
                            "resourcePolicy": {"containerPolicies": [policy]}}
    if mode:
        spec["updatePolicy"] = {"updateMode": mode}
    return {"kind": "VerticalPodAutoscaler", "metadata": {"name": f"{target}-vpa", "namespace": "geo"}, "spec": spec}


def template(container: str, requests: dict[str, str], limits: dict[str, str]) -> dict[str, Any]:
    return {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
        {"name": container, "resources": {"requests": requests, "limits": limits}}]}}}}


def pod(container: str, requests: dict[str, str], limits: dict[str, str], note: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": f"{container}-6d9f7c8b4-xk2pq", "namespace": "geo"}
    if note:
        meta["annotations"] = {"vpaUpdates": note}
    return {"kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": container, "resources": {"requests": requests, "limits": limits}}]}}


CPU_TEMPLATE = template("tiler", {"cpu": "2", "memory": "1Gi"}, {"cpu": "4", "memory": "2Gi"})
CPU_POD = pod("tiler", {"cpu": "250m", "memory": "600Mi"}, {"cpu": "500m", "memory": "1200Mi"},
              "Pod resources updated by tiler-vpa: container 0: cpu request, cpu limit")
RECENT = ("argocd-controller", AT - 7 * H, "E9")


def test_a_vpa_without_controlled_values_is_named_with_the_lowered_cpu_limit() -> None:
    found = v.judge(vpa("Deployment", "tiler", {"containerName": "*"}), CPU_TEMPLATE, [CPU_POD], RECENT, AT)
    assert found is not None and found.resource == "cpu" and found.live_limit == "500m"
    message = v.finding(found)["message"]
    assert "RequestsAndLimits" in message and "controlledValues" in message and "500m (template 4)" in message
    assert "throttled" in message
    # the effect is said before the admission controller's note, so a hypothesis cut to length keeps it
    assert message.index("throttled") < message.index("vpaUpdates") and message.index("throttled") < 330


def test_an_explicit_requests_and_limits_on_memory_for_one_container_is_named() -> None:
    sts = template("postgres", {"memory": "4Gi"}, {"memory": "8Gi"})
    sts["kind"] = "StatefulSet"
    live = pod("postgres", {"memory": "700Mi"}, {"memory": "1400Mi"})
    policy = {"containerName": "postgres", "controlledValues": "RequestsAndLimits", "controlledResources": ["memory"]}
    found = v.judge(vpa("StatefulSet", "ledger-db", policy, "Initial"), sts, [live], ("kubectl-edit", AT - 20 * H, ""),
                    AT)
    assert found is not None and found.resource == "memory" and found.target.kind == "StatefulSet"
    message = v.finding(found)["message"]
    assert "controlledValues RequestsAndLimits" in message and "1400Mi (template 8Gi)" in message
    assert "OOMKilled" in message


def test_requests_only_keeps_the_template_limits_and_is_not_named() -> None:
    policy = {"containerName": "*", "controlledValues": "RequestsOnly"}
    kept = pod("tiler", {"cpu": "250m", "memory": "600Mi"}, {"cpu": "4", "memory": "2Gi"})
    assert v.judge(vpa("Deployment", "tiler", policy), CPU_TEMPLATE, [kept], RECENT, AT) is None
    # RequestsOnly is judged by the policy, not only by the pods: a lowered limit is someone else's doing
    assert v.judge(vpa("Deployment", "tiler", policy), CPU_TEMPLATE, [CPU_POD], RECENT, AT) is None


def test_pods_running_the_template_limits_are_not_named() -> None:
    same = pod("tiler", {"cpu": "250m", "memory": "600Mi"}, {"cpu": "4", "memory": "2Gi"})
    assert v.judge(vpa("Deployment", "tiler", {"containerName": "*"}), CPU_TEMPLATE, [same], RECENT, AT) is None


def test_an_old_write_or_off_mode_is_not_named() -> None:
    old = ("helm", AT - 5 * 24 * H, "")
    assert v.judge(vpa("Deployment", "tiler", {"containerName": "*"}), CPU_TEMPLATE, [CPU_POD], old, AT) is None
    assert v.judge(vpa("Deployment", "tiler", {"containerName": "*"}, "Off"), CPU_TEMPLATE, [CPU_POD], RECENT,
                   AT) is None


def test_a_resource_the_vpa_does_not_control_is_not_blamed_on_it() -> None:
    policy = {"containerName": "*", "controlledResources": ["memory"]}
    cpu_only = pod("tiler", {"cpu": "250m", "memory": "1Gi"}, {"cpu": "500m", "memory": "2Gi"})
    assert v.judge(vpa("Deployment", "tiler", policy), CPU_TEMPLATE, [cpu_only], RECENT, AT) is None


def test_quantities_read_as_kubernetes_writes_them() -> None:
    assert v.quantity("240m") == 0.24 and v.quantity("2") == 2.0 and v.quantity("1Gi") == 2.0 ** 30
    assert v.quantity("760Mi") == 760 * 2.0 ** 20 and v.quantity("bogus") is None


def test_the_check_is_registered_with_its_weight() -> None:
    from agent.triage import behind

    assert v in behind.MODULES and behind.WEIGHTS[v.CHECK] == v.WEIGHT
