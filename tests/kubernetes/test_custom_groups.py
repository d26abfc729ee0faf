"""mcp_servers.kubernetes.any_changes.is_custom: which API groups the change timeline reads as custom resources.

Kubernetes serves its own groups under k8s.io, but other projects' CRDs use the domain too (the Spark operator's
sparkoperator.k8s.io, the VPA's autoscaling.k8s.io, Gateway API's gateway.networking.k8s.io): a write to those
must reach the timeline, or an edit of a SparkApplication's executor memory is never seen.
"""

from __future__ import annotations

from mcp_servers.kubernetes.any_changes import is_custom


def test_crd_groups_under_k8s_io_are_custom() -> None:
    assert is_custom("sparkoperator.k8s.io") and is_custom("autoscaling.k8s.io")
    assert is_custom("gateway.networking.k8s.io") and is_custom("kueue.x-k8s.io")


def test_kubernetes_own_groups_are_not_custom() -> None:
    for group in ("networking.k8s.io", "discovery.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io",
                  "apiextensions.k8s.io", "flowcontrol.apiserver.k8s.io", "metrics.k8s.io", "apps", "batch", ""):
        assert not is_custom(group), group


def test_other_domains_are_custom() -> None:
    assert is_custom("flink.apache.org") and is_custom("argoproj.io") and is_custom("ray.io")
