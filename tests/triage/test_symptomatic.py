"""symptomatic: whether the incident points at a rolled-out workload, the gate loopback_family and
accelerator_fallback pass before reading its logs (issue #12: no log reads for a healthy release)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from agent.triage.symptomatic import failing, in_topology, named, symptomatic

AT = datetime(2026, 12, 2, 14, 5, tzinfo=UTC)
PRICE = Ref("Deployment", "shop", "price-api")


def _facts(*findings: dict[str, Any], topology: dict[str, Any] | None = None) -> Facts:
    return Facts(at=AT, scan={"findings": list(findings)}, topologies=[(topology, "E3")] if topology else [])


def test_named_by_the_subject_or_its_pod() -> None:
    assert named(Subject(namespace="shop", names=["price-api"]), PRICE)
    assert named(Subject(namespace="shop", pods=["price-api-f9xdqvvt5h-h4xng"]), PRICE)
    assert not named(Subject(namespace="shop", names=["reviews"]), PRICE)


def test_a_page_in_words_names_a_workload_by_a_part_of_its_name_only_without_a_namespace() -> None:
    """"product pages render without prices (price widget errors)": `price` is a part of price-api's name."""
    words = ["storefront", "product", "pages", "prices", "price", "widget"]
    assert named(Subject(names=words), PRICE)
    assert not named(Subject(names=words), Ref("Deployment", "shop", "reviews"))
    assert not named(Subject(namespace="shop", names=words), PRICE)  # a namespaced alert names its workload
    assert not named(Subject(names=["db"]), Ref("Deployment", "shop", "db-proxy"))  # too short a word


def test_in_topology_only_by_the_whole_name() -> None:
    topology = {"subject": {"kind": "Deployment", "name": "storefront"}, "dependencies": [{"name": "price-api"}]}
    assert in_topology(_facts(topology=topology), PRICE)
    assert not in_topology(_facts(topology=topology), Ref("Deployment", "shop", "price"))
    assert not in_topology(_facts(), PRICE)


def test_failing_by_a_scan_finding_on_the_workload_or_its_pods() -> None:
    on_workload = {"check": "workload.unavailable", "severity": "warning",
                   "object": {"kind": "Deployment", "namespace": "shop", "name": "price-api"}}
    on_pod = {"check": "pod.not_ready", "severity": "warning",
              "object": {"kind": "Pod", "namespace": "shop", "name": "price-api-f9xdqvvt5h-h4xng"}}
    listed = {"check": "pod.restarting", "severity": "critical",
              "object": {"kind": "ReplicaSet", "namespace": "shop", "name": "price-api-f9xdqvvt5h"},
              "pods": ["price-api-f9xdqvvt5h-h4xng"]}
    assert failing(_facts(on_workload), PRICE) and failing(_facts(on_pod), PRICE) and failing(_facts(listed), PRICE)


def test_an_info_finding_or_one_in_another_namespace_is_no_symptom() -> None:
    info = {"check": "workload.info", "severity": "info",
            "object": {"kind": "Deployment", "namespace": "shop", "name": "price-api"}}
    elsewhere = {"check": "pod.restarting", "severity": "warning",
                 "object": {"kind": "Deployment", "namespace": "staging", "name": "price-api"},
                 "pods": ["price-api-f9xdqvvt5h-h4xng"]}
    assert not failing(_facts(info, elsewhere), PRICE)


def test_symptomatic_is_any_of_the_three_and_a_healthy_release_is_none() -> None:
    healthy = Subject(namespace="shop", names=["checkout"])
    assert not symptomatic(healthy, _facts(), PRICE)
    assert symptomatic(Subject(namespace="shop", names=["price-api"]), _facts(), PRICE)
    assert symptomatic(healthy, _facts(topology={"dependencies": ["price-api"]}), PRICE)
    assert symptomatic(healthy, _facts({"severity": "warning", "object": {"kind": "Deployment", "namespace": "shop",
                                                                          "name": "price-api"}}), PRICE)
