"""position_store: a shipper beyond the six it was built with, and receivers' refusals beyond Loki's and
Elasticsearch's bulk queue (issue #12 audit of agent.triage.position_store).

Shapes: a Logstash DaemonSet whose `sincedb_path` is in the container's filesystem with `start_position =>
"beginning"`, refused by Elasticsearch's memory breaker (`circuit_breaking_exception`); a Fluent Bit agent whose
`DB` is on an emptyDir, refused by ClickHouse (`Too many parts`). Twins: the Logstash sincedb on a hostPath, and
Logstash starting at a file's end.
"""

from __future__ import annotations

from agent.triage import position_store as ps
from agent.triage.facts import Ref
from tests.triage.test_position_store import FLUENT_BIT, configmap, daemonset, investigate, rollout

LOGSTASH = ('input {\n  file {\n    path => "/var/log/containers/*.log"\n    sincedb_path => "/tmp/sincedb"\n'
            '    start_position => "beginning"\n  }\n}\noutput {\n  elasticsearch { hosts => ["http://es:9200"] }\n}\n')
BREAKER = ('[2026-03-09T13:41:10,002][INFO ][logstash.outputs.elasticsearch] Retrying failed action '
           '{:status=>429, :error=>{"type"=>"circuit_breaking_exception", "reason"=>"[parent] Data too large, data '
           'for [<http_request>] would be [1020054016/972.7mb], which is larger than the limit"}}')
CLICKHOUSE = ("[2026/03/09 13:41:10] [error] [output:http:http.0] clickhouse:8123, HTTP status=500 Code: 252. "
              "DB::Exception: Too many parts (300). Merges are processing significantly slower than inserts. "
              "(TOO_MANY_PARTS)")


def test_logstash_sincedb_in_the_container_filesystem_refused_by_the_memory_breaker() -> None:
    ns = "shipping"
    facts, _ = investigate([daemonset(ns, "logstash", "", {"emptyDir": {}}),
                            configmap(ns, "logstash.conf", LOGSTASH)], [rollout(ns, "logstash")],
                           "logstash-p7m2x", ns, BREAKER)
    [lost] = ps.found(facts)
    assert lost.culprit == Ref("DaemonSet", ns, "logstash") and lost.positions.software == "Logstash"
    assert lost.place is not None and "own filesystem" in lost.place.what


def test_logstash_twins_a_lasting_sincedb_and_a_start_at_the_end() -> None:
    ns = "shipping"
    lasting = LOGSTASH.replace("/tmp/sincedb", "/var/lib/ls-state/sincedb")
    facts, _ = investigate([daemonset(ns, "logstash", "/var/lib/ls-state", {"hostPath": {"path": "/var/lib/ls"}}),
                            configmap(ns, "logstash.conf", lasting)], [rollout(ns, "logstash")],
                           "logstash-p7m2x", ns, BREAKER)
    assert ps.found(facts) == []
    at_end = LOGSTASH.replace('"beginning"', '"end"')
    facts, _ = investigate([daemonset(ns, "logstash", "", {"emptyDir": {}}),
                            configmap(ns, "logstash.conf", at_end)], [rollout(ns, "logstash")],
                           "logstash-p7m2x", ns, BREAKER)
    assert ps.found(facts) == []


def test_fluent_bit_flood_refused_by_clickhouse_too_many_parts() -> None:
    ns = "telemetry"
    facts, _ = investigate([daemonset(ns, "node-logs", "/var/lib/fb-state", {"emptyDir": {}}),
                            configmap(ns, "fluent-bit.conf", FLUENT_BIT)], [rollout(ns, "node-logs")],
                           "node-logs-x2k9p", ns, CLICKHOUSE)
    [lost] = ps.found(facts)
    assert lost.culprit == Ref("DaemonSet", ns, "node-logs")
