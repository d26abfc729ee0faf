"""A maintenance CronJob force-merging the shared search cluster's indices (agent.triage.co_tenant, issue #12 round 22
class: maintenance jobs run against live data).

Written here, not taken from the held-out bundles. The victim is a Node.js service whose pino lines carry only
`responseTime` (milliseconds) and an epoch-millisecond time, naming no software: the search cluster is known from
its dependency (the topology). Shapes: a housekeeper CronJob force-merging every index (`*`, min-age 0d) to one
segment, and a curator-style job limited to old log indices (named without the live-index claim). Negative twins:
fast responses, and a slow line whose service depends on nothing the mechanism knows.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import co_tenant as ct
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, outcome

AT = datetime(2026, 6, 3, 15, 0, tzinfo=UTC)
RUN = AT - timedelta(minutes=50)


def _cluster(yaml: dict[str, str], jobs: list[dict[str, Any]]) -> RecordingHub:
    """Jobs listed (E12), one CronJob's YAML and its run's Job (owned by it); anything else is not found."""
    return RecordingHub(objects=yaml, lists={"Job": jobs}, ids={"k8s_get": "E30", "k8s_list": "E12"},
                        otherwise=outcome(False, {}, "", "E30"))


def _ms(t: datetime) -> str:
    return str(int(t.timestamp() * 1000))


def _cronjob(args: str) -> str:
    return f"""apiVersion: batch/v1
kind: CronJob
metadata: {{name: index-housekeeping, namespace: search}}
spec:
  schedule: "0 9 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: housekeeper
            image: registry.example.com/platform/housekeeper:1.4.0
            args: {args}
"""


RUN_JOB = """apiVersion: batch/v1
kind: Job
metadata:
  name: index-housekeeping-29410020
  namespace: search
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: index-housekeeping}]
"""


def _facts(response_ms: int, dependency: str = "opensearch") -> Facts:
    line = (f'{{"level":40,"time":{_ms(RUN)},"pid":1,"req":{{"method":"GET","url":"/search"}},'
            f'"res":{{"statusCode":200}},"responseTime":{response_ms},"msg":"request completed"}}')
    entry = {"template": "request completed", "example": line, "count": 90, "first_seen": _ms(RUN + timedelta(
        minutes=6)), "severity": "warning"}
    log = LogEvidence(pod="shop-search-6b7c9d8f4c-p2xwz", namespace="shop", evidence_id="E5", top=entry, hosts=[],
                      error_classes=set(), previous=False, warnings=[entry])
    topology = {"subject": {"kind": "Deployment", "namespace": "shop", "name": "shop-search"},
                "dependencies": [{"target": {"kind": "Service", "namespace": "search", "name": dependency}}]}
    return Facts(at=AT, changes={"changes": []}, changes_id="E2", logs=[log], topologies=[(topology, "E3")])


def _run(facts: Facts, args: str) -> tuple[list[ct.Load], RecordingHub]:
    cluster = _cluster({"index-housekeeping": _cronjob(args), "index-housekeeping-29410020": RUN_JOB},
                       [{"name": "index-housekeeping-29410020", "namespace": "search",
                         "created": RUN.strftime("%Y-%m-%dT%H:%M:%SZ")}])
    subject = Subject(names=["shop-search"])
    asyncio.run(ct.read(subject, facts, cluster, AT.strftime("%Y-%m-%dT%H:%M:%SZ")))
    return ct.loads(facts), cluster


ALL_INDICES = '["forcemerge", "--hosts", "https://opensearch.search.svc:9200", "--pattern", "*", "--min-age", "0d", ' \
              '"--max-num-segments", "1"]'


def test_a_force_merge_of_every_index_is_named_with_what_it_does_to_the_live_index() -> None:
    [load], _ = _run(_facts(4200), ALL_INDICES)
    message = ct.load_finding(load)["message"][:400]
    assert message.startswith("CronJob search/index-housekeeping runs a force merge (max_num_segments=1) over "
                              "indices '*' against the shared search cluster, reaching the live index")
    assert "saturating the data nodes' disks" in message


def test_a_force_merge_of_old_log_indices_is_named_without_the_live_index_claim() -> None:
    args = '["forcemerge", "--index", "logs-*", "--min-age", "2d", "--max-num-segments", "1"]'
    [load], _ = _run(_facts(4200), args)
    message = ct.load_finding(load)["message"]
    assert "over indices 'logs-*'" in message and "live index its clients search" not in message


def test_fast_responses_read_nothing() -> None:
    loads, cluster = _run(_facts(450), ALL_INDICES)
    assert loads == [] and cluster.calls == []


def test_a_slow_line_of_a_service_on_no_known_store_reads_nothing() -> None:
    loads, cluster = _run(_facts(4200, dependency="pricing-api"), ALL_INDICES)
    assert loads == [] and cluster.calls == []
