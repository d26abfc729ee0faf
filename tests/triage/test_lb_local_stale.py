"""A LoadBalancer Service switched to externalTrafficPolicy Local, then its pods moved (agent.triage.lb_healthcheck).

With Local the cloud load balancer may send a connection only to nodes holding a ready backing pod, and learns which
nodes those are from the healthCheckNodePort checks, some seconds late. The switch itself breaks nothing; every later
rollout (the pods change nodes) sends connections to nodes with no pod, which reset or drop them. So the switch may be
hours old when a rollout pages. Shapes: a kubectl patch of an Envoy edge Service whose Deployment the timeline relates
to it; a Helm write of a Traefik DaemonSet's Service linked through the Service's selector. Twins: a Local switch with
no later rollout of its pods, a switch to Cluster followed by a rollout, a rollout of an unrelated workload.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import lb_healthcheck as lb
from agent.triage.facts import Facts

AT = datetime(2026, 10, 3, 16, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def policy_write(ns: str, name: str, manager: str, value: str, ago: timedelta) -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "other", "object": {"kind": "Service", "namespace": ns, "name": name},
            "summary": f"Service {ns}/{name} written by {manager}: spec.externalTrafficPolicy",
            "diff": [f"spec.externalTrafficPolicy written by {manager} (now '{value}')"], "related": []}


def rollout(kind: str, ns: str, name: str, ago: timedelta, related: list[dict[str, str]] | None = None
            ) -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "rollout", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} rolled out revision 5: image a -> b", "diff": ["image a -> b"],
            "related": related or []}


def service(ns: str, name: str, policy: str, selector: dict[str, str]) -> tuple[dict[str, Any], str]:
    spec: dict[str, Any] = {"type": "LoadBalancer", "externalTrafficPolicy": policy, "selector": selector,
                            "ports": [{"port": 443, "targetPort": 8443, "nodePort": 30443}]}
    if policy == "Local":
        spec["healthCheckNodePort"] = 32110
    return {"kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": spec}, "E7"


def facts(*changes: dict[str, Any], objects: list[tuple[dict[str, Any], str]] | None = None) -> Facts:
    return Facts(at=AT, changes={"changes": list(changes)}, objects=objects or [])


def test_patched_edge_service_then_its_related_deployment_rolled() -> None:
    ref = {"kind": "Service", "namespace": "frontdoor", "name": "edge-lb"}
    f = facts(rollout("Deployment", "frontdoor", "edge-envoy", timedelta(minutes=9), related=[ref]),
              policy_write("frontdoor", "edge-lb", "kubectl-patch", "Local", timedelta(hours=6)),
              objects=[service("frontdoor", "edge-lb", "Local", {"app.kubernetes.io/name": "edge-envoy"})])
    found = lb.changes(f)
    assert [c.target.name for c in found] == ["edge-lb"]
    message = lb.finding(found[0])["message"]
    assert "externalTrafficPolicy='Local'" in message and "healthCheckNodePort 32110" in message
    assert "Deployment frontdoor/edge-envoy rolled 9 min before the alert" in message
    assert "externalTrafficPolicy back to Cluster" in lb.finding(found[0])["evidence"][1]


def test_helm_written_traefik_service_linked_by_selector() -> None:
    f = facts(policy_write("ingress", "traefik", "helm", "Local", timedelta(hours=13)),
              rollout("DaemonSet", "ingress", "traefik", timedelta(minutes=30)),
              objects=[service("ingress", "traefik", "Local", {"app": "traefik"})])
    found = lb.changes(f)
    assert len(found) == 1 and found[0].problems[0].startswith("stale targets")


def test_twin_local_switch_without_a_later_rollout_is_too_old() -> None:
    f = facts(policy_write("ingress", "traefik", "helm", "Local", timedelta(hours=13)),
              rollout("DaemonSet", "ingress", "traefik", timedelta(hours=20)),
              objects=[service("ingress", "traefik", "Local", {"app": "traefik"})])
    assert lb.changes(f) == []


def test_twin_switch_to_cluster_then_rollout_is_not_named() -> None:
    f = facts(policy_write("ingress", "traefik", "helm", "Cluster", timedelta(hours=5)),
              rollout("DaemonSet", "ingress", "traefik", timedelta(minutes=30)),
              objects=[service("ingress", "traefik", "Cluster", {"app": "traefik"})])
    assert lb.changes(f) == []


def test_twin_unrelated_workload_rolled_after_the_switch() -> None:
    f = facts(policy_write("frontdoor", "edge-lb", "kubectl-patch", "Local", timedelta(hours=6)),
              rollout("Deployment", "frontdoor", "profile-api", timedelta(minutes=9)),
              objects=[service("frontdoor", "edge-lb", "Local", {"app": "edge-envoy"})])
    assert lb.changes(f) == []


def test_recent_local_switch_keeps_its_old_reading_without_stale_claim() -> None:
    """Within the prompt window the switch is named as before; no rollout after it, so no stale-target sentence."""
    f = facts(policy_write("frontdoor", "edge-lb", "kubectl-patch", "Local", timedelta(minutes=40)),
              objects=[service("frontdoor", "edge-lb", "Local", {"app": "edge-envoy"})])
    found = lb.changes(f)
    assert len(found) == 1 and not any(p.startswith("stale targets") for p in found[0].problems)
