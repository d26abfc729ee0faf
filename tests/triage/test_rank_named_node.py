"""A suspect far from the node an incident names never outranks the one found on that node (issue #12 audit).

Written here. The class: the question names a node ("node X is at 100% CPU"); the survey finds a pod without a CPU
limit taking that node's cores; another team's recent write in another namespace (a Service switched to zone-local
routing, a mesh policy hashing by a header) scores higher by its own weight and recency, but has no tie to the node.
Shapes: a Kubernetes `topology-mode: Auto` Service in a books namespace; an Istio DestinationRule with a
consistent-hash policy in a search namespace. Twins: the write sits in the hog's own namespace (not far: its own
order kept); the question names no node (nothing is capped).
"""

from __future__ import annotations

import importlib
from datetime import timedelta

from agent.incident import from_text
from agent.triage import hash_balance, rank, subject_of, topology_routing
from agent.triage.facts import Ref
from tests.triage import test_node_cpu_hog_routed as routed
from tests.triage.test_node_cpu_hog_routed import AT, LEDGER, NODE

BUILDER = "report-builder-6f7d8c9b5-q2w4x"


def _zone_facts(hog_ns: str = "reports") -> object:
    facts = routed._facts(routed._zone_write(), [(hog_ns, BUILDER, 3.7), ("kube-system", "kube-proxy-x9z8", 0.1)],
                          routed._pod(BUILDER, hog_ns))
    facts.reads[topology_routing.READS] = routed._zone_store({LEDGER[0]: 610.0, **{p: 55.0 for p in LEDGER[1:]}})
    return facts


def _hash_facts() -> object:
    write = routed._hash_write()
    write["at"] = routed._iso(AT - timedelta(minutes=10))
    facts = routed._facts(write, [("reports", BUILDER, 3.7), ("search", routed.SEARCH[0], 0.2)],
                          routed._pod(BUILDER, "reports"))
    facts.reads[hash_balance.READS] = routed._hash_store()
    return facts


def _refs(facts: object, question: str) -> list[str]:
    return [str(c.ref) for c in rank(subject_of(from_text(question)), facts)]  # type: ignore[arg-type]


ASKED = f"What is wrong with {NODE}? Everything on it is slow and keeps restarting."


def test_zone_routing_in_another_namespace_stays_below_the_hog_on_the_named_node() -> None:
    assert _refs(_zone_facts(), ASKED)[0] == "Deployment reports/report-builder"


def test_key_hashing_policy_in_another_namespace_stays_below_the_hog_on_the_named_node() -> None:
    assert _refs(_hash_facts(), ASKED)[0] == "Deployment reports/report-builder"


def test_twin_a_write_in_the_hogs_own_namespace_keeps_its_own_order() -> None:
    facts = _zone_facts(hog_ns="books")
    refs = _refs(facts, ASKED)
    assert refs[0] == "Service books/ledger-read" and "Deployment books/report-builder" in refs


def test_twin_a_question_naming_no_node_caps_nothing() -> None:
    refs = _refs(_zone_facts(), "ledger-read answers slowly since this morning, why?")
    assert "Deployment reports/report-builder" not in refs[:1]


def test_twin_a_weak_on_node_suspect_drags_no_answer_under_the_floor() -> None:
    """The node's own cordon finding (a weak suspect on the named node) must not pull a strong suspect with no node
    detail (a disruption budget blocking that node's drain) under the answer floor: that turned an answer into
    "unknown" (round 46's drain-stuck bundle, found by the lead's sweep)."""
    ranking = importlib.import_module("agent.triage.rank")
    budget = ranking._Case(ref=Ref("PodDisruptionBudget", "payments", "payments-api"),
                           findings=[{"check": "pdb.blocking", "details": {}}])
    cordoned = ranking._Case(ref=Ref("Node", "", NODE), relation="node",
                             findings=[{"check": "node.cordoned", "details": {"node": NODE}}])
    subject = subject_of(from_text(f"The drain of node {NODE} has been stuck for an hour, why?"))
    ordered = ranking._on_named_node_first([(0.805, budget), (0.25, cordoned)], subject)
    assert ordered[0] == (0.805, budget)


def test_a_budget_holding_pods_on_the_named_cordoned_node_is_on_that_node() -> None:
    """A disruption budget's finding names the cordoned nodes its pods still run on (`cordoned_nodes`): it is on the
    node a "why is the upgrade of node X stuck?" question names, so the node's own cordon finding (an answer by
    itself) does not cap it (round 41's node-upgrade-stuck question, found by the lead's sweep)."""
    ranking = importlib.import_module("agent.triage.rank")
    budget = ranking._Case(ref=Ref("PodDisruptionBudget", "edge", "geo-ip"), findings=[{
        "check": "pdb.blocking", "details": {"cordoned_nodes": [NODE], "pods_on_cordoned_nodes": ["geo-ip-abc12"]}}])
    cordoned = ranking._Case(ref=Ref("Node", "", NODE), relation="node",
                             findings=[{"check": "node.cordoned", "details": {"node": NODE}}])
    subject = subject_of(from_text(f"Why is the upgrade of node {NODE} stuck?"))
    assert budget.nodes() == {NODE}
    assert ranking._on_named_node_first([(0.805, budget), (0.4, cordoned)], subject)[0] == (0.805, budget)
