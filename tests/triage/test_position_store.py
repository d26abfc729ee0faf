"""agent.triage.position_store: a log shipper restarted with its read offsets where a restart loses them.

Shapes (each read end to end through `read` with a fake tool hub, then ranked): a Fluent Bit DaemonSet whose tail
`DB` sits on an emptyDir with `Read_from_Head On`, pushes refused by Loki (429); a Promtail DaemonSet whose
positions file sits on a tmpfs emptyDir, its pushes refused with Loki's "ingestion rate limit exceeded"; a Vector
DaemonSet whose `data_dir` no volume mounts, its bulk writes rejected by Elasticsearch; a Fluentd config written
without `pos_file` (the ConfigMap is the culprit). Parsers: the OpenTelemetry Collector's filelog storage and
Filebeat's registry. Negative twins: the same store on a hostPath; an emptyDir with `Read_from_Head Off`; an
agent whose pushes fail for another reason (connection refused); the restart two days before the alert; a filelog
receiver that starts at a file's end.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from agent.incident import from_text
from agent.toolhub import ToolOutcome
from agent.triage import position_store as ps
from agent.triage import rank, subject_of
from agent.triage.facts import Facts, LogEvidence, Ref
from tests.triage.doubles import Call, RecordingHub, keyed, outcome

AT = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)

FLUENT_BIT = ("[SERVICE]\n    Flush 5\n\n[INPUT]\n    Name tail\n    Path /var/log/containers/*.log\n"
              "    Read_from_Head On\n    DB /var/lib/fb-state/tail.db\n    Mem_Buf_Limit 50MB\n\n"
              "[OUTPUT]\n    Name loki\n    Match *\n    Host loki.logs-backend.svc\n")
PROMTAIL = ("server:\n  http_listen_port: 9080\npositions:\n  filename: /run/promtail/positions.yaml\nclients:\n"
            "  - url: http://loki-distributor.obs:3100/loki/api/v1/push\nscrape_configs:\n  - job_name: pods\n"
            "    kubernetes_sd_configs:\n      - role: pod\n")
VECTOR = ('data_dir = "/var/lib/vector"\n\n[sources.pods]\ntype = "kubernetes_logs"\n\n[sinks.es]\n'
          'type = "elasticsearch"\ninputs = ["pods"]\nendpoints = ["http://search.es:9200"]\n')
FLUENTD = ("<source>\n  @type tail\n  path /var/log/containers/*.log\n  tag kube.*\n  read_from_head true\n"
           "  <parse>\n    @type json\n  </parse>\n</source>\n<match **>\n  @type elasticsearch\n</match>\n")
OTEL = ("extensions:\n  file_storage:\n    directory: /var/lib/otelcol/offsets\nreceivers:\n  filelog:\n"
        "    include: [/var/log/pods/*/*/*.log]\n    start_at: beginning\n    storage: file_storage\n"
        "exporters:\n  otlphttp:\n    endpoint: http://gateway:4318\nservice:\n  extensions: [file_storage]\n")
FILEBEAT = ("filebeat.inputs:\n  - type: filestream\n    paths: [/var/log/containers/*.log]\n"
            "output.elasticsearch:\n  hosts: [es:9200]\n")

LOKI_429 = "[2026/03/09 13:41:10] [error] [output:loki:loki.0] loki.logs-backend.svc:3100, HTTP status=429"
PROMTAIL_429 = ('level=warn ts=2026-03-09T13:41:10Z caller=client.go:419 component=client '
                'host=loki-distributor.obs:3100 msg="error sending batch, will retry" status=429 '
                'error="server returned HTTP status 429 Too Many '
                'Requests (429): Ingestion rate limit exceeded for user fake"')
ES_REJECTED = ('2026-03-09T13:41:10Z ERROR sink{component_id=es}: vector::sinks::elasticsearch: Bulk request failed. '
               'error_type="es_rejected_execution_exception" reason="rejected execution of coordinating operation"')
REFUSED_CONN = "[2026/03/09 13:41:10] [error] [output:loki:loki.0] no upstream connections available to loki:3100"


def daemonset(ns: str, name: str, mount: str, volume: dict[str, Any], config: str = "agent-config") -> dict[str, Any]:
    return {"kind": "DaemonSet", "metadata": {"name": name, "namespace": ns}, "spec": {"template": {"spec": {
        "containers": [{"name": "agent", "image": "agent:1", "volumeMounts": [
            {"name": "varlog", "mountPath": "/var/log", "readOnly": True},
            {"name": "config", "mountPath": "/etc/agent"},
            *([{"name": "state", "mountPath": mount}] if mount else [])]}],
        "volumes": [{"name": "varlog", "hostPath": {"path": "/var/log"}},
                    {"name": "config", "configMap": {"name": config}},
                    {"name": "state", **volume}]}}}}


def configmap(ns: str, key: str, text: str, name: str = "agent-config") -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": {key: text}}


def rollout(ns: str, name: str, at: str = "2026-03-09T13:35:00Z") -> dict[str, Any]:
    return {"at": at, "type": "rollout", "object": {"kind": "DaemonSet", "namespace": ns, "name": name},
            "summary": f"DaemonSet {ns}/{name}: all 6 pods recreated since {at}", "diff": []}


def investigate(objects: list[dict[str, Any]], changes: list[dict[str, Any]], pod: str, ns: str,
                line: str) -> tuple[Facts, Hub]:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2", scan={"findings": []}, scan_id="E1")
    hub = Hub(objects, {ns: [pod, "unrelated-7f9c6d5b4-abcde"]}, {pod: line})
    asyncio.run(ps.read(subject_of(from_text("Loki is rejecting pushes")), facts, hub, "2026-03-09T14:00:00Z"))
    return facts, hub


def top(facts: Facts, question: str = "logs are rejected by the log backend in namespace logs-backend") -> Any:
    return rank(subject_of(from_text(question)), facts)[0]


def test_fluent_bit_db_on_an_emptydir_with_read_from_head_is_named() -> None:
    ns = "telemetry"
    facts, _ = investigate([daemonset(ns, "node-logs", "/var/lib/fb-state", {"emptyDir": {}}),
                            configmap(ns, "fluent-bit.conf", FLUENT_BIT)], [rollout(ns, "node-logs")],
                           "node-logs-x2k9p", ns, LOKI_429)
    [lost] = ps.found(facts)
    assert lost.culprit == Ref("DaemonSet", ns, "node-logs") and lost.place is not None
    assert lost.place.what == "an emptyDir" and lost.positions.path == "/var/lib/fb-state/tail.db"
    best = top(facts)
    assert best.ref == Ref("DaemonSet", ns, "node-logs")
    head = best.cause[:400]
    assert "emptyDir" in head and "Read_from_Head On" in head and "offsets" in head and "HTTP status=429" in head


def test_promtail_positions_on_a_tmpfs_emptydir_is_named() -> None:
    ns = "obs"
    facts, _ = investigate([daemonset(ns, "promtail", "/run/promtail", {"emptyDir": {"medium": "Memory"}}),
                            configmap(ns, "promtail.yaml", PROMTAIL)], [rollout(ns, "promtail")],
                           "promtail-4hq8z", ns, PROMTAIL_429)
    best = top(facts)
    assert best.ref == Ref("DaemonSet", ns, "promtail")
    assert "emptyDir (tmpfs)" in best.cause and "positions.filename" in best.cause
    assert "Ingestion rate limit" in best.cause[:400] or "status 429" in best.cause[:400]


def test_vector_checkpoints_in_the_container_filesystem_with_elasticsearch_rejections() -> None:
    ns = "shipping"
    facts, _ = investigate([daemonset(ns, "vector-agent", "", {"emptyDir": {}}),
                            configmap(ns, "vector.toml", VECTOR)], [rollout(ns, "vector-agent")],
                           "vector-agent-p7m2x", ns, ES_REJECTED)
    [lost] = ps.found(facts)
    assert lost.place is not None and "own filesystem" in lost.place.what and lost.positions.software == "Vector"
    best = top(facts, "elasticsearch bulk rejections in namespace search")
    assert best.ref == Ref("DaemonSet", ns, "vector-agent") and "es_rejected_execution" in best.cause[:400]


def test_fluentd_config_written_without_pos_file_names_the_configmap() -> None:
    ns = "logging"
    written = {"at": "2026-03-09T13:20:00Z", "type": "config", "object": {"kind": "ConfigMap", "namespace": ns,
                                                                          "name": "agent-config"},
               "summary": "ConfigMap logging/agent-config: data key fluent.conf set",
               "diff": ["data key fluent.conf set"],
               "related": [{"kind": "DaemonSet", "namespace": ns, "name": "fluentd"}]}
    facts, _ = investigate([daemonset(ns, "fluentd", "/var/log/fluentd-pos", {"hostPath": {"path": "/var/log/p"}}),
                            configmap(ns, "fluent.conf", FLUENTD)], [written], "fluentd-9xk2w", ns, ES_REJECTED)
    [lost] = ps.found(facts)
    assert lost.culprit == Ref("ConfigMap", ns, "agent-config") and lost.place is None
    assert "in memory only (no pos_file" in ps.finding(lost, AT)["message"]


def test_otel_filelog_storage_and_filebeat_registry_are_read() -> None:
    [otel] = ps.positions_in({"config.yaml": OTEL})
    assert otel.path == "/var/lib/otelcol/offsets" and otel.rereads
    [otel_end] = ps.positions_in({"config.yaml": OTEL.replace("start_at: beginning", "start_at: end")})
    assert not otel_end.rereads
    [beat] = ps.positions_in({"filebeat.yml": FILEBEAT})
    assert beat.path == "/usr/share/filebeat/data" and beat.rereads
    spec = daemonset("x", "y", "/var/lib/otelcol", {"emptyDir": {}})["spec"]["template"]["spec"]
    assert not ps.place_of(spec, "/var/lib/otelcol/offsets").lasting


def test_the_store_on_a_hostpath_is_no_cause() -> None:
    ns = "telemetry"
    facts, hub = investigate([daemonset(ns, "node-logs", "/var/lib/fb-state", {"hostPath": {"path": "/var/lib/fb"}}),
                              configmap(ns, "fluent-bit.conf", FLUENT_BIT)], [rollout(ns, "node-logs")],
                             "node-logs-x2k9p", ns, LOKI_429)
    assert ps.found(facts) == [] and not any(t == "k8s_logs" for t, _ in hub.calls)


def test_read_from_head_off_starts_at_the_end_and_is_no_cause() -> None:
    ns = "telemetry"
    off = FLUENT_BIT.replace("Read_from_Head On", "Read_from_Head Off")
    facts, _ = investigate([daemonset(ns, "node-logs", "/var/lib/fb-state", {"emptyDir": {}}),
                            configmap(ns, "fluent-bit.conf", off)],
                           [rollout(ns, "node-logs")], "node-logs-x2k9p", ns, LOKI_429)
    assert ps.found(facts) == []


def test_pushes_failing_for_another_reason_are_no_flood() -> None:
    ns = "telemetry"
    facts, _ = investigate([daemonset(ns, "node-logs", "/var/lib/fb-state", {"emptyDir": {}}),
                            configmap(ns, "fluent-bit.conf", FLUENT_BIT)], [rollout(ns, "node-logs")],
                           "node-logs-x2k9p", ns, REFUSED_CONN)
    assert ps.found(facts) == []


def test_a_restart_long_before_the_alert_is_not_read() -> None:
    ns = "telemetry"
    facts, hub = investigate([daemonset(ns, "node-logs", "/var/lib/fb-state", {"emptyDir": {}}),
                              configmap(ns, "fluent-bit.conf", FLUENT_BIT)],
                             [rollout(ns, "node-logs", "2026-03-07T13:35:00Z")], "node-logs-x2k9p", ns, LOKI_429)
    assert ps.found(facts) == [] and hub.calls == []


def test_a_deployment_is_read_only_once_a_refusal_is_in_view() -> None:
    ns = "shop"
    change = {**rollout(ns, "cart"), "object": {"kind": "Deployment", "namespace": ns, "name": "cart"}}
    facts, hub = investigate([], [change], "cart-7d9f8c6b5d-abcde", ns, LOKI_429)
    assert hub.calls == [] and ps.found(facts) == []


def test_fluent_bit_yaml_tail_input_is_read() -> None:
    text = ("service:\n  flush: 5\npipeline:\n  inputs:\n    - name: tail\n      path: /var/log/containers/*.log\n"
            "      db: /state/tail.db\n      read_from_head: true\n  outputs:\n    - name: es\n      match: '*'\n")
    [p] = ps.positions_in({"fluent-bit.yaml": text})
    assert (p.software, p.path, p.rereads) == ("Fluent Bit", "/state/tail.db", True)
    [none] = ps.positions_in({"fluent-bit.yaml": text.replace("      db: /state/tail.db\n", "")})
    assert none.path is None


LOKI_SIDE = ('level=warn caller=grpc_logging.go:76 method=/logproto.Pusher/Push msg=gRPC err="rpc error: code = '
             'Code(429) desc = Ingestion rate limit exceeded for user fake (limit: 4194304 bytes/sec)"')


class Hub(RecordingHub):
    """A fake tool hub over a few objects, one pod list per namespace and one log line per pod (read as the
    log tool's facts: one error template)."""

    def __init__(self, objects: list[dict[str, Any]], pods: dict[str, list[str]], logs: dict[str, str]) -> None:
        super().__init__(objects=keyed(objects), first_id=11, lists={
            ("Pod", ns): [{"name": p, "namespace": ns} for p in names] for ns, names in pods.items()})
        self.log_lines = logs

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool != "k8s_logs":
            return super().answer(call, eid)
        line = self.log_lines.get(call.args["name"])
        if line is None:
            return outcome(False, None, "", eid)
        error = {"template": line, "example": line, "count": 40, "severity": "error", "error_class": None}
        return outcome(True, {"pod": call.args["name"], "namespace": call.args["namespace"],
                              "facts": {"errors": [error] if line else [], "hosts": []}}, line, eid)


def _receiver_log(line: str) -> LogEvidence:
    return LogEvidence(pod="ingester-2", namespace="logs-backend", evidence_id="E7",
                       top={"severity": "warning", "error_class": "rate_limited", "example": line, "template": line},
                       hosts=[], error_classes={"rate_limited"}, previous=False)


def test_the_receivers_own_ingestion_refusals_suffice_when_the_agent_logs_nothing() -> None:
    ns = "telemetry"
    facts, _ = investigate([daemonset(ns, "node-logs", "/var/lib/fb-state", {"emptyDir": {}}),
                            configmap(ns, "fluent-bit.conf", FLUENT_BIT)], [rollout(ns, "node-logs")],
                           "node-logs-x2k9p", ns, "")
    assert ps.found(facts) == []
    facts.logs.append(_receiver_log(LOKI_SIDE))
    [lost] = ps.found(facts)
    assert "Ingestion rate limit exceeded" in lost.refused and "E7" in lost.evidence


def test_a_receivers_unrelated_refusal_is_not_enough() -> None:
    ns = "telemetry"
    facts, _ = investigate([daemonset(ns, "node-logs", "/var/lib/fb-state", {"emptyDir": {}}),
                            configmap(ns, "fluent-bit.conf", FLUENT_BIT)], [rollout(ns, "node-logs")],
                           "node-logs-x2k9p", ns, "")
    facts.logs.append(_receiver_log("HTTP 429 Too Many Requests: API rate limit exceeded for consumer web"))
    assert ps.found(facts) == []
