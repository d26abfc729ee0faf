"""A balancer's draining switched off, then a rollout behind it: the write is named, not the rollout
(agent.triage.lb_draining)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import behind, subject_of
from agent.triage.facts import Facts, Ref
from agent.triage.lb_draining import drained, found, read, suspects
from tests.triage.test_rank import alert

AT = datetime(2026, 7, 2, 14, 0, tzinfo=UTC)


def _ts(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def _write(kind: str, ns: str, name: str, manager: str, key: str, value: str, minutes: int) -> dict[str, Any]:
    return {"at": _ts(minutes), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by {manager}: metadata.annotations.{key}",
            "diff": [f"metadata.annotations.{key} written by {manager} (now '{value}')"]}


def _rollout(ns: str, name: str, minutes: int, service: str | None = None) -> dict[str, Any]:
    related = [{"kind": "Service", "namespace": ns, "name": service}] if service else []
    return {"at": _ts(minutes), "type": "rollout", "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": f"Deployment {ns}/{name} rolled out revision 4", "diff": [], "related": related}


NLB_KEY = "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"


def _nlb(seconds: int, rolled: int = 15, workload: str = "quotes-grpc") -> Facts:
    """An NLB Service (IP targets) whose target-group attributes Flux wrote; its Deployment carries its name."""
    value = f"preserve_client_ip.enabled=true,deregistration_delay.timeout_seconds={seconds}"
    changes = [_rollout("pricing", workload, rolled), _write("Service", "pricing", "quotes-grpc",
                                                             "kustomize-controller", NLB_KEY, value, 240)]
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2")


AGIC_KEY = "appgw.ingress.kubernetes.io/connection-draining"


def _agic(switch: str, rolled: int = 30, service: str = "orders-web") -> Facts:
    """An Application Gateway Ingress routing to orders-web, written by helm; the rollout's line relates its
    Deployment (another name) to that Service."""
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "orders-edge", "namespace": "orders",
                            "annotations": {AGIC_KEY: switch, "appgw.ingress.kubernetes.io/ssl-redirect": "true"}},
               "spec": {"rules": [{"host": "orders.example.org", "http": {"paths": [{"path": "/", "backend": {
                   "service": {"name": "orders-web", "port": {"number": 80}}}}]}}]}}
    changes = [_rollout("orders", "orders-frontend", rolled, service),
               _write("Ingress", "orders", "orders-edge", "helm", AGIC_KEY, switch, 600)]
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", objects=[(ingress, "E6")])


def test_a_zero_deregistration_delay_on_an_nlb_service_is_named_with_the_rollout_behind_it() -> None:
    [cut] = found(_nlb(0))
    assert cut.target == Ref("Service", "pricing", "quotes-grpc") and cut.rollout.name == "quotes-grpc"
    [(ref, finding, _, victims)] = suspects(_nlb(0))
    assert ref == cut.target and victims == [Ref("Deployment", "pricing", "quotes-grpc")]
    assert "deregistration_delay" in finding["message"] and "502" in finding["message"]
    assert "kustomize-controller" in finding["message"]


def test_a_long_enough_delay_or_no_rollout_since_is_not_named() -> None:
    assert found(_nlb(30)) == []  # still drains
    assert found(_nlb(0, rolled=300)) == []  # the rollout came before the write
    assert found(_nlb(0, rolled=200)) == []  # after the write, but long over by the alert
    assert found(_nlb(0, workload="quotes-batch")) == []  # a workload the Service does not front


def test_application_gateway_draining_switched_off_is_named_through_the_ingress_backend() -> None:
    [cut] = found(_agic("false"))
    assert cut.target == Ref("Ingress", "orders", "orders-edge") and cut.rollout.name == "orders-frontend"
    assert cut.evidence == ["E2", "E6"]


def test_a_later_write_of_another_annotation_does_not_hide_the_draining_write() -> None:
    facts = _agic("false")
    later = _write("Ingress", "orders", "orders-edge", "kubectl-edit", "appgw.ingress.kubernetes.io/ssl-redirect",
                   "true", 120)
    facts.changes = {"changes": [later, *facts.change_list()]}
    [cut] = found(facts)
    assert cut.change["summary"].endswith(AGIC_KEY)


def test_application_gateway_draining_left_on_or_an_unrelated_rollout_is_not_named() -> None:
    assert found(_agic("true")) == []
    assert found(_agic("false", service="orders-admin")) == []


def test_the_switches_and_periods_each_product_writes() -> None:
    assert drained({"service.beta.kubernetes.io/aws-load-balancer-connection-draining-enabled": "false"})
    assert drained({"service.beta.kubernetes.io/aws-load-balancer-connection-draining-timeout": "0"})
    assert drained({"service.beta.kubernetes.io/aws-load-balancer-connection-draining-timeout": "120"}) is None
    assert drained({"alb.ingress.kubernetes.io/target-group-attributes": "slow_start.duration_seconds=0"}) is None
    assert drained({"appgw.ingress.kubernetes.io/connection-draining-timeout": "2"})


def test_read_gets_the_written_object_and_the_hook_ranks_it_over_the_rollout() -> None:
    asked: list[dict[str, Any]] = []
    notes = {NLB_KEY: "deregistration_delay.timeout_seconds=0"}
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "quotes-grpc", "namespace": "pricing", "annotations": notes},
               "spec": {"type": "LoadBalancer", "selector": {"app": "quotes-grpc"}}}

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append(arguments)
        text = yaml.safe_dump(service)
        return ToolOutcome("E9", tool, arguments, True, text, full_text=text)

    facts = _nlb(0)
    subject = subject_of(alert(alertname="ErrorBudgetBurn", namespace="pricing", service="quotes"))
    asyncio.run(read(subject, facts, call, _ts(0)))
    assert [a["name"] for a in asked] == ["quotes-grpc"] and found(facts)[0].evidence == ["E2", "E9"]
    assert any(ref == Ref("Service", "pricing", "quotes-grpc") for ref, *_ in behind.suspects(facts))


def test_registered_in_behind() -> None:
    from agent.triage import lb_draining

    assert lb_draining in behind.MODULES and behind.WEIGHTS[lb_draining.CHECK] == lb_draining.WEIGHT


# Other clouds' wording for the same class (issue #12): GKE keeps draining in a BackendConfig a Service names,
# Alibaba Cloud in its own Service annotations. Both failed before the link read them.
def _gke(seconds: int, named_by_service: str = "catalog-bc") -> list[Any]:
    """A BackendConfig written by Config Sync; Service catalog names a BackendConfig in its annotation; the
    rollout's timeline line relates catalog-api to that Service."""
    config = {"apiVersion": "cloud.google.com/v1", "kind": "BackendConfig",
              "metadata": {"name": "catalog-bc", "namespace": "shop"},
              "spec": {"timeoutSec": 30, "connectionDraining": {"drainingTimeoutSec": seconds}}}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "catalog", "namespace": "shop",
               "annotations": {"cloud.google.com/backend-config": f'{{"default": "{named_by_service}"}}'}},
               "spec": {"type": "NodePort", "ports": [{"port": 80}]}}
    write = {"at": _ts(300), "type": "other", "object": {"kind": "BackendConfig", "namespace": "shop",
                                                         "name": "catalog-bc"},
             "summary": "BackendConfig shop/catalog-bc written by config-sync: spec.connectionDraining",
             "diff": [f"spec.connectionDraining.drainingTimeoutSec written by config-sync (now '{seconds}')"]}
    changes = [_rollout("shop", "catalog-api", 20, "catalog"), write]
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2")

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        obj = config if arguments.get("kind") == "BackendConfig" else service
        text = yaml.safe_dump(obj)
        return ToolOutcome("E7", tool, arguments, True, text, full_text=text)

    subject = subject_of(alert(alertname="HTTP5xx", namespace="shop", deployment="catalog-api"))
    asyncio.run(read(subject, facts, call, _ts(0)))
    return found(facts)


def test_a_gke_backend_config_with_no_draining_is_named_through_the_service_that_uses_it() -> None:
    [cut] = _gke(0)
    assert (cut.target.kind, cut.rollout.name, cut.value) == ("BackendConfig", "catalog-api", "0")
    assert "GKE" in cut.setting


def test_a_gke_backend_config_that_drains_or_that_no_service_names_is_not_named() -> None:
    assert _gke(60) == []
    assert _gke(0, named_by_service="catalog-bc-v2") == []


ALI_DRAIN = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-connection-drain"


def test_alibaba_connection_drain_switched_off_on_a_service_is_named() -> None:
    changes = [_rollout("pay", "checkout", 10), _write("Service", "pay", "checkout", "kubectl-edit", ALI_DRAIN,
                                                       "off", 120)]
    [cut] = found(Facts(at=AT, changes={"changes": changes}, changes_id="E2"))
    assert (cut.target.name, cut.value) == ("checkout", "off") and "Alibaba" in cut.setting


def test_alibaba_connection_drain_left_on_with_a_long_timeout_is_not_named() -> None:
    changes = [_rollout("pay", "checkout", 10),
               _write("Service", "pay", "checkout", "kubectl-edit", ALI_DRAIN, "on", 120),
               _write("Service", "pay", "checkout", "kubectl-edit", ALI_DRAIN + "-timeout", "300", 125)]
    assert found(Facts(at=AT, changes={"changes": changes}, changes_id="E2")) == []
