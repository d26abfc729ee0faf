"""An exporter's alert carries the exporter's namespace: its label's workload is found in another namespace.

kafka-exporter's KafkaConsumerGroupLag fires with `namespace: kafka` (where the exporter and the
broker run) and `consumergroup: shipment-consumer`, whose consumers run in another namespace. The
survey's subject resolution is driven here with a stand-in for the topology tool that answers as
k8s_topology does (an unresolved name has no `subject` kind); no cluster is needed for the order of
the calls, which is what is tested.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import subject_of
from agent.triage.facts import Facts
from agent.triage.survey import SurveyResult
from tests.triage.test_rank import AT, alert

survey_module = sys.modules["agent.triage.survey"]


def _resolve(workloads: dict[tuple[str, str], str], prose_names: tuple[str, ...] = ()
             ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Run the survey's resolution against a cluster holding `workloads` ((namespace, name) -> kind); the alert's
    summary names `prose_names` ("Consumer group shipment-consumer is lagging")."""
    asked: list[dict[str, Any]] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append(arguments)
        name, namespace = arguments["name"], arguments.get("namespace")
        hits = [(ns, n, kind) for (ns, n), kind in workloads.items()
                if n == name and (not namespace or ns == namespace)]
        data: dict[str, Any] = {"subject": {"kind": "", "namespace": namespace or "", "name": name}}
        if len(hits) == 1:
            ns, n, kind = hits[0]
            data = {"subject": {"kind": kind, "namespace": ns, "name": n}, "pods": [], "dependencies": []}
        return ToolOutcome(evidence_id=f"E{len(asked)}", tool=tool, arguments=arguments, ok=True, text="", data=data)

    subject = subject_of(alert(alertname="KafkaConsumerGroupLag", namespace="kafka",
                               consumergroup="shipment-consumer", topic="shipments"))
    subject.names[:0] = list(prose_names)
    result = SurveyResult(Facts(at=AT))
    found = asyncio.run(survey_module._resolve_subject(subject, result, call))
    return found, asked


def test_the_consumer_is_found_outside_the_exporters_namespace() -> None:
    for prose in ((), ("shipment-consumer",)):
        found, asked = _resolve({("fulfilment", "shipment-consumer"): "Deployment", ("kafka", "kafka"): "StatefulSet"},
                                prose)
        assert found == {"name": "shipment-consumer", "namespace": "fulfilment"}
        assert asked[-1] == {"name": "shipment-consumer"}, "looked up in every visible namespace last"


def test_a_name_in_the_alerts_namespace_is_never_looked_up_elsewhere() -> None:
    found, asked = _resolve({("kafka", "shipment-consumer"): "Deployment",
                             ("fulfilment", "shipment-consumer"): "Deployment"}, ("shipment-consumer",))
    assert found == {"name": "shipment-consumer", "namespace": "kafka"}
    assert all(a.get("namespace") == "kafka" for a in asked)


def test_an_ambiguous_name_elsewhere_resolves_nothing() -> None:
    found, _ = _resolve({("fulfilment", "shipment-consumer"): "Deployment",
                         ("returns", "shipment-consumer"): "Deployment"})
    assert found is None
