"""A per-node shard cap lowered on a search cluster: the next new index is refused (agent.triage.limit_hit).

The error prints the cluster-wide cap (per-node value times the data nodes), so a value read back from an operator's
resource is tied to it through the resource's node count. Shapes: an ECK resource with two node groups and a
Logstash-style OpenSearch wording, an OpenSearch operator resource whose config is a flat map and a Graylog-style
Java wording. Twins: a resource whose per-node value times its nodes is not what the error prints, and a write made
after the refusals had begun.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import limit_hit as lh
from agent.triage.facts import Facts, LogEvidence
from agent.triage.limit_table import recognise

AT = datetime(2026, 9, 14, 3, 30, tzinfo=UTC)
LOGSTASH = ('[2026-09-14T03:05:11,204][WARN ][logstash.outputs.opensearch] Could not index event to OpenSearch. '
            'status: 400, action: ["index", {:_index=>"metrics-2026.09.14"}], response: {"index"=>{"error"=>{"type"=>'
            '"validation_exception", "reason"=>"Validation Failed: 1: this action would add [10] total shards, but '
            'this cluster currently has [995]/[1000] maximum shards open;"}}}')
GRAYLOG = ("ERROR [IndexRotationThread] Couldn't create index graylog_412: OpenSearchException[Validation Failed: 1: "
           "this action would add [4] shards, but this cluster currently has [598]/[600] maximum normal shards "
           "open;]")


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _log(pod: str, ns: str, message: str, first_minutes: int = 25) -> LogEvidence:
    entry = {"template": message, "message": message, "first_seen": _stamp(first_minutes), "severity": "error"}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top=entry, hosts=[], error_classes=set(),
                       previous=False)


def _eck(per_node: int, minutes: int = 600) -> tuple[dict[str, Any], tuple[dict[str, Any], str]]:
    change = {"at": _stamp(minutes), "type": "other", "object": {"kind": "Elasticsearch", "namespace": "observ",
                                                                 "name": "metrics-store"},
              "summary": "Elasticsearch observ/metrics-store written", "diff": ['spec.nodeSets = [{"count": 2, "co']}
    groups = [{"name": name, "count": 2, "config": {"node.roles": ["data"], "cluster.max_shards_per_node": per_node}}
              for name in ("hot", "warm")]
    obj = {"kind": "Elasticsearch", "metadata": {"name": "metrics-store", "namespace": "observ"},
           "spec": {"version": "8.14.1", "nodeSets": groups}}
    return change, (obj, "E40")


def _opensearch(per_node: str, minutes: int = 300) -> tuple[dict[str, Any], tuple[dict[str, Any], str]]:
    change = {"at": _stamp(minutes), "type": "other",
              "object": {"kind": "OpenSearchCluster", "namespace": "graylog", "name": "gl-opensearch"},
              "summary": "OpenSearchCluster graylog/gl-opensearch written", "diff": ["spec.general = {\"additio"]}
    obj = {"kind": "OpenSearchCluster", "metadata": {"name": "gl-opensearch", "namespace": "graylog"},
           "spec": {"general": {"version": "2.15.0", "additionalConfig": {"cluster.max_shards_per_node": per_node}},
                    "nodePools": [{"component": "nodes", "replicas": 3, "roles": ["data", "cluster_manager"]}]}}
    return change, (obj, "E41")


def _facts(change: dict[str, Any], obj: tuple[dict[str, Any], str], log: LogEvidence) -> Facts:
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", logs=[log], objects=[obj])


def test_both_wordings_are_the_open_shards_family() -> None:
    assert [f.name for f in recognise(LOGSTASH)] == ["open_shards_limit"]
    assert [f.name for f in recognise(GRAYLOG)] == ["open_shards_limit"]


def test_eck_per_node_cap_times_its_four_data_nodes_is_the_printed_cap() -> None:
    change, obj = _eck(250)
    [hit] = lh.found(_facts(change, obj, _log("logstash-0", "observ", LOGSTASH)))
    assert hit.target.name == "metrics-store" and hit.how == "limit" and hit.family.name == "open_shards_limit"
    head = lh.finding(hit)["message"][:400]
    assert "max_shards_per_node now 250" in head and "rollover" in head


def test_eck_per_node_cap_whose_total_is_not_the_printed_cap_is_not_blamed() -> None:
    change, obj = _eck(1000)  # 4000 open shards allowed: the [1000] cap the error prints is someone else's
    assert lh.found(_facts(change, obj, _log("logstash-0", "observ", LOGSTASH))) == []


def test_opensearch_operator_cap_in_a_flat_config_map_is_found() -> None:
    change, obj = _opensearch("200")
    [hit] = lh.found(_facts(change, obj, _log("graylog-server-7c9d6f5b8-k4t2w", "graylog", GRAYLOG)))
    assert hit.target.kind == "OpenSearchCluster" and hit.setting is not None
    assert hit.setting.key.endswith("cluster.max_shards_per_node") and hit.setting.new == "200"


def test_opensearch_cap_written_after_the_refusals_began_is_not_blamed() -> None:
    change, obj = _opensearch("200", minutes=20)
    log = _log("graylog-server-7c9d6f5b8-k4t2w", "graylog", GRAYLOG, first_minutes=90)
    assert lh.found(_facts(change, obj, log)) == []
