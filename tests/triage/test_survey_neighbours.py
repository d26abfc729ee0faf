"""The survey reads an object its failing subject calls in one way, whether the object is a dependency
one hop away or a name its errors give (a stale pod IP's service): its topology kept, then the logs
of one running pod, a not-ready replica first and never a pod already read.

The tools are a stand-in answering as k8s_topology and k8s_logs do (`subject`, `pods` with phase and
readiness; a logs answer with its pod and `facts`); no cluster is needed for which calls are made,
which is what is tested.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import subject_of
from agent.triage.facts import Facts, LogEvidence
from tests.triage.test_rank import AT, alert

survey_module = sys.modules["agent.triage.survey"]

PODS = {"inventory": [{"name": "inventory-0", "namespace": "shop", "phase": "Pending", "ready": False},
                      {"name": "inventory-1", "namespace": "shop", "phase": "Running", "ready": True},
                      {"name": "inventory-2", "phase": "Running", "ready": False}]}


def _cluster() -> tuple[list[tuple[str, dict[str, Any], str]], Any]:
    asked: list[tuple[str, dict[str, Any], str]] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append((tool, arguments, step))
        name = arguments["name"]
        data: dict[str, Any]
        if tool == "k8s_logs":
            data = {"pod": name, "namespace": arguments["namespace"], "facts": {"errors": [], "hosts": []}}
        elif name in PODS:
            data = {"subject": {"kind": "Service", "namespace": "shop", "name": name}, "pods": PODS[name],
                    "dependencies": []}
        else:
            data = {"subject": {"kind": "", "namespace": "", "name": name}}
        return ToolOutcome(evidence_id=f"E{len(asked)}", tool=tool, arguments=arguments, ok=True, text="", data=data)

    return asked, call


def _facts(dependencies: list[dict[str, Any]], read: list[str], message: str = "") -> Facts:
    facts = Facts(at=AT)
    facts.topologies.append(({"subject": {"kind": "Deployment", "namespace": "shop", "name": "checkout"},
                              "dependencies": dependencies}, "E0"))
    facts.logs.append(LogEvidence(pod="checkout-7d9f8c6b5-x2k4q", namespace="shop", evidence_id="E0",
                                  top={"message": message}, hosts=[], error_classes={"connection_timeout"},
                                  previous=False))
    facts.logs += [LogEvidence(pod=p, namespace="shop", evidence_id="E0", top=None, hosts=[], error_classes=set(),
                               previous=False) for p in read]
    return facts


def _logs_asked(asked: list[tuple[str, dict[str, Any], str]]) -> list[tuple[str, str, str]]:
    return [(a["name"], a["namespace"], step) for tool, a, step in asked if tool == "k8s_logs"]


def test_a_hop_reads_the_not_ready_replica_of_the_dependency() -> None:
    asked, call = _cluster()
    facts = _facts([{"target": {"kind": "Service", "namespace": "shop", "name": "inventory"}, "healthy": False}], [])
    asyncio.run(survey_module._one_hop(facts, call))
    assert _logs_asked(asked) == [("inventory-2", "shop", "survey-hop-logs-inventory")]
    assert [data["subject"]["name"] for data, _ in facts.topologies] == ["checkout", "inventory"]
    assert facts.logs[-1].pod == "inventory-2"


def test_a_name_in_the_errors_is_read_like_a_hop() -> None:
    subject = subject_of(alert(alertname="CheckoutErrors", namespace="shop", deployment="checkout"))
    message = "rpc to inventory failed: dial tcp 10.1.2.3:9000: i/o timeout"
    for read, pod in (([], "inventory-2"), (["inventory-2"], "inventory-1")):
        asked, call = _cluster()
        facts = _facts([], read, message=message)
        asyncio.run(survey_module._named_in_errors(subject, facts, call))
        assert [a["name"] for tool, a, _ in asked if tool == "k8s_topology"] == ["inventory"]
        assert _logs_asked(asked) == [(pod, "shop", "survey-named-logs-inventory")]
        assert facts.topologies[-1][1] == "E1"


def test_nothing_running_and_unread_means_no_logs_call() -> None:
    asked, call = _cluster()
    facts = _facts([{"target": {"kind": "Service", "namespace": "shop", "name": "inventory"}, "healthy": False}],
                   ["inventory-1", "inventory-2"])
    asyncio.run(survey_module._one_hop(facts, call))
    assert _logs_asked(asked) == []
    assert facts.topologies[-1][0]["subject"]["name"] == "inventory"
