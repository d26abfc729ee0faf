"""Sidecar injection switched on for a server-first server whose Service port the mesh must sniff names the switch.

Facts as `read` files them: the dependency's Namespace (with its managedFields), one of its pods (with the
injected proxy), its Service; the callers' log facts. Twins: a client-first server behind the same switch, a port
that declares its protocol, Linkerd on one of its default opaque ports, no caller stalling.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import server_first_sidecar as sfs
from agent.triage.facts import Facts, LogEvidence, Ref

AT = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
JDBC = "com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure"
SMTP = "smtplib.SMTPServerDisconnected: Connection unexpectedly closed: timed out"


def _namespace(key: str, value: str) -> dict[str, Any]:
    return {"kind": "Namespace", "metadata": {"name": "data", "labels": {key: value}, "annotations": {},
            "managedFields": [{"manager": "kubectl-label", "time": "2026-09-01T11:30:00Z",
                               "fieldsV1": {"f:metadata": {"f:labels": {f"f:{key}": {}}}}}]}}


def _facts(image: str, proxy: str, port: dict[str, Any], said: str, key: str = "istio-injection",
           value: str = "enabled") -> Facts:
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes={"changes": []}, changes_id="E2")
    pod = {"metadata": {"name": "db-0", "creationTimestamp": "2026-09-01T11:32:00Z"},
           "spec": {"containers": [{"name": "server", "image": image}, {"name": proxy, "image": "mesh/proxy:1"}]}}
    facts.reads[sfs.READS] = {"data/db": {"namespace": _namespace(key, value), "pod": pod,
                                          "service": {"spec": {"ports": [port]}},
                                          "workload_ref": Ref("StatefulSet", "data", "db"), "ids": ["E3"]}}
    top: dict[str, Any] = {"template": said, "example": said, "message": said, "severity": "error",
                           "error_class": None, "count": 4, "fields": {}}
    facts.logs.append(LogEvidence(pod="orders-7d9f8c6b5-x2x7q", namespace="orders", evidence_id="E5", top=top,
                                  hosts=[], error_classes=set(), previous=False))
    return facts


def test_istio_label_on_a_mysql_namespace_with_an_unprefixed_port() -> None:
    [s] = sfs.found(_facts("mysql:8.0.39", "istio-proxy", {"name": "db", "port": 3306}, JDBC))
    assert s.switch == Ref("Namespace", "", "data") and s.key == "istio-injection" and s.port == "db/3306"
    message = sfs.finding(s, _facts("mysql:8.0.39", "istio-proxy", {"name": "db", "port": 3306}, JDBC))["message"]
    assert message.startswith("Namespace data was labelled istio-injection=enabled 30 min before the alert")
    assert "server-first" in message and "protocol sniffing" in message


def test_linkerd_smtp_server_on_a_port_outside_its_default_opaque_list() -> None:
    facts = _facts("boky/postfix:4.1", "linkerd-proxy", {"name": "smtp", "port": 2525}, SMTP,
                   key="linkerd.io/inject", value="enabled")
    [s] = sfs.found(facts)
    assert s.mesh == "linkerd" and "opaque-ports" in sfs.finding(s, facts)["message"]


def test_client_first_or_declared_or_default_opaque_are_left_alone() -> None:
    assert sfs.found(_facts("postgres:16", "istio-proxy", {"name": "db", "port": 5432}, JDBC)) == []
    assert sfs.found(_facts("mysql:8.0", "istio-proxy", {"name": "tcp-mysql", "port": 3306}, JDBC)) == []
    assert sfs.found(_facts("mysql:8.0", "istio-proxy", {"name": "db", "port": 3306, "appProtocol": "mysql"},
                            JDBC)) == []
    assert sfs.found(_facts("mysql:8.0", "linkerd-proxy", {"name": "db", "port": 3306}, JDBC,
                            key="linkerd.io/inject")) == []


def test_no_caller_stalling_or_injection_switched_off_names_nothing() -> None:
    assert sfs.found(_facts("mysql:8.0", "istio-proxy", {"name": "db", "port": 3306}, "HTTP 404 Not Found")) == []
    assert sfs.found(_facts("mysql:8.0", "istio-proxy", {"name": "db", "port": 3306}, JDBC, value="disabled")) == []


# ---- the switch in the server workload's own pod template (the change timeline's rollout diff) -------------------

def _template_facts(image: str, proxy: str, port: dict[str, Any], diff: list[str], *, kind: str = "Deployment",
                    namespace_labels: dict[str, str] | None = None) -> Facts:
    """A dependency whose Namespace carries no recent switch (labelled, if at all, a month ago), its pod recreated
    at 11:32 by a rollout of its template whose diff is `diff`, and a caller stalling."""
    facts = _facts(image, proxy, port, JDBC)
    ns = {"kind": "Namespace", "metadata": {"name": "data", "labels": dict(namespace_labels or {}), "annotations": {},
                                            "managedFields": [{"manager": "kubectl-label",
                                                               "time": "2026-08-01T09:00:00Z",
                                                               "fieldsV1": {"f:metadata": {"f:labels": {
                                                                   f"f:{k}": {} for k in namespace_labels or {}}}}}]}}
    entry = facts.reads[sfs.READS]["data/db"]
    entry["namespace"], entry["workload_ref"] = ns, Ref(kind, "data", "db")
    assert facts.changes is not None
    facts.changes["changes"] = [{"at": "2026-09-01T11:31:00Z", "type": "rollout", "summary": f"{kind} data/db rolled",
                                 "object": {"kind": kind, "namespace": "data", "name": "db"}, "diff": diff}]
    return facts


def test_istio_inject_annotation_written_into_a_mysql_template_names_the_workload() -> None:
    facts = _template_facts("mariadb:11.4", "istio-proxy", {"name": "sql", "port": 3306},
                            ["pod annotation sidecar.istio.io/inject unset -> 'true'"])
    [s] = sfs.found(facts)
    assert s.switch == Ref("Deployment", "data", "db") and (s.key, s.value) == ("sidecar.istio.io/inject", "true")
    head = sfs.finding(s, facts)["message"][:400]
    assert head.startswith("Deployment data/db was given the pod-template annotation sidecar.istio.io/inject=true")
    assert "server-first" in head and "sql/3306" in head


def test_linkerd_inject_annotation_on_a_nats_statefulset_outside_the_opaque_list() -> None:
    facts = _template_facts("nats:2.10-alpine", "linkerd-proxy", {"name": "client", "port": 4222},
                            ["pod annotation linkerd.io/inject 'disabled' -> 'enabled'"], kind="StatefulSet")
    [s] = sfs.found(facts)
    assert s.switch == Ref("StatefulSet", "data", "db") and s.mesh == "linkerd" and s.value == "enabled"


def test_a_write_that_only_orders_the_proxy_or_turns_injection_off_is_not_the_switch() -> None:
    """The Namespace has injected for a month; a rollout that only sets holdApplicationUntilProxyStarts (or
    Linkerd's proxy-await) recreated the pod: the proxy was there before, so neither that write nor the Namespace
    (no recent write) is named. Nor is a template annotation set to false."""
    hold = ["pod annotation proxy.istio.io/config unset -> 'holdApplicationUntilProxyStarts: true'"]
    assert sfs.found(_template_facts("mysql:8.0", "istio-proxy", {"name": "db", "port": 3306}, hold,
                                     namespace_labels={"istio-injection": "enabled"})) == []
    wait = ["pod annotation config.linkerd.io/proxy-await unset -> 'enabled'"]
    assert sfs.found(_template_facts("nats:2.10", "linkerd-proxy", {"name": "client", "port": 4222}, wait,
                                     namespace_labels={"linkerd.io/inject": "enabled"})) == []
    off = ["pod annotation sidecar.istio.io/inject 'true' -> 'false'"]
    assert sfs.found(_template_facts("mysql:8.0", "istio-proxy", {"name": "db", "port": 3306}, off)) == []
