"""A chart upgrade that no longer reads a values block: the release, not the clients, is the cause.

Facts as the survey hands them over: the release write in the timeline's words, the release object and the
rendered ConfigMap as `read` stores them, and the client's error entry. Shapes: a Flux HelmRelease of a PostgreSQL
chart whose `auth.ssl` block the new version ignores (lib/pq: `SSL is not enabled on the server`), an Argo CD
Application of a log store whose `loki.ruler` block is ignored (a rule-sync client: `ruler is not enabled`).
Twins: values that turn the feature off, a rendered config that still holds it, a release whose chart version was
not written, an error about another feature, an error older than the upgrade.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import rank, subject_of
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.values_ignored import features_off, found
from tests.triage.test_rank import alert

AT = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def _log(pod: str, ns: str, said: str, first: str = "2026-09-01T11:30:00Z") -> LogEvidence:
    top: dict[str, Any] = {"template": said, "example": said, "message": said, "severity": "error",
                           "error_class": None, "count": 30, "first_seen": first, "fields": {}}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E5", top=top, hosts=[], error_classes=set(), previous=False)


def _facts(kind: str, ns: str, name: str, diff: str, obj: dict[str, Any], rendered: str, log: LogEvidence,
           at: str = "2026-09-01T11:20:00Z") -> Facts:
    changes = [
        {"at": at, "type": "other", "object": {"kind": kind, "namespace": ns, "name": name}, "revision": None,
         "summary": f"{kind} {ns}/{name} written by kustomize-controller (generation 7): {diff}", "diff": [diff],
         "related": []},
        {"at": "2026-09-01T11:21:00Z", "type": "config", "object": {"kind": "ConfigMap", "namespace": ns,
                                                                   "name": f"{name}-config"},
         "summary": f"ConfigMap {ns}/{name}-config updated by helm-controller: data key server.conf set",
         "diff": ["data key server.conf set by helm-controller"], "revision": None, "related": []}]
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes={"changes": changes}, changes_id="E2")
    facts.logs.append(log)
    facts.reads["values_ignored"] = {f"{kind}/{ns}/{name}": (obj, "E7"),
                                     f"ConfigMap/{ns}/{name}-config": (rendered, "E8")}
    return facts


def _pg(ssl: bool = True, rendered: str = "listen_addresses = '*'\nmax_connections = 200\n",
        diff: str = "spec.chart.spec.version = '15.0.2'", said: str = "pq: SSL is not enabled on the server",
        first: str = "2026-09-01T11:30:00Z") -> Facts:
    obj = {"kind": "HelmRelease", "metadata": {"name": "ledger-db", "namespace": "data"},
           "spec": {"chart": {"spec": {"chart": "postgresql", "version": "15.0.2"}},
                    "values": {"auth": {"ssl": {"enabled": ssl, "certificatesSecret": "ledger-db-tls"}},
                               "primary": {"persistence": {"size": "50Gi"}}}}}
    return _facts("HelmRelease", "data", "ledger-db", diff, obj, rendered,
                  _log("ledger-7f8d9c6b5-q2w8r", "data", said, first))


def _loki(rendered: str = "auth_enabled: false\nserver:\n  http_listen_port: 3100\n") -> Facts:
    obj = {"kind": "Application", "metadata": {"name": "logs", "namespace": "observability"},
           "spec": {"destination": {"namespace": "observability"},
                    "source": {"chart": "loki", "targetRevision": "6.1.0",
                               "helm": {"valuesObject": {"loki": {"ruler": {"enabled": True, "storage": "local"}}}}}}}
    said = 'level=error component=rule-sync msg="sync failed" err="ruler is not enabled"'
    return _facts("Application", "observability", "logs", "spec.source.targetRevision = '6.1.0'", obj, rendered,
                  _log("rule-sync-5c6d7f8b9-m4n5p", "observability", said))


def test_a_postgres_chart_upgrade_that_ignores_the_ssl_block_names_the_release() -> None:
    [hit] = found(_pg())
    assert hit.release == Ref("HelmRelease", "data", "ledger-db") and hit.feature == "ssl"
    assert hit.paths == ["auth.ssl.enabled", "auth.ssl.certificatesSecret"] and hit.version == "15.0.2"
    top = rank(subject_of(alert(alertname="LedgerErrors", namespace="data", deployment="ledger")), _pg())[0]
    assert top.ref == Ref("HelmRelease", "data", "ledger-db"), top.cause
    assert "15.0.2" in top.cause and "values" in top.cause and "SSL is not enabled" in top.cause


def test_an_argo_application_whose_new_chart_ignores_the_ruler_block_is_read_the_same_way() -> None:
    [hit] = found(_loki())
    assert hit.release == Ref("Application", "observability", "logs") and hit.feature == "ruler"
    assert hit.version == "6.1.0" and hit.paths[0] == "loki.ruler.enabled"


def test_feature_words_are_read_from_several_wordings() -> None:
    def words(said: str) -> list[str]:
        return [f for f, _, _ in features_off(_log("a-5c6d7f8b9-m4n5p", "x", said))]

    assert words("nats: stream API not enabled for account") == []  # "API" is no feature word
    assert words("plugin 'rabbitmq_stream' is not enabled") == ["rabbitmq_stream"]
    assert words("request failed: request timeout after 30s") == []


# ---- twins -----------------------------------------------------------------------------------------------------


def test_values_that_turn_the_feature_off_are_a_values_change_not_an_ignored_block() -> None:
    assert not found(_pg(ssl=False))


def test_a_rendered_config_that_still_holds_the_feature_clears_the_release() -> None:
    assert not found(_pg(rendered="ssl = on\nssl_cert_file = '/tls/tls.crt'\n"))
    assert not found(_loki(rendered="ruler:\n  storage:\n    type: local\n"))


def test_a_release_whose_chart_version_was_not_written_is_not_blamed() -> None:
    assert not found(_pg(diff="spec.values.primary.persistence.size = '80Gi'"))


def test_an_error_about_another_feature_or_from_before_the_upgrade_is_not_tied_to_it() -> None:
    assert not found(_pg(said="pq: replication is not enabled on the server"))
    assert not found(_pg(first="2026-09-01T10:00:00Z"))


# ---- audit (issue #12): the same values in other products' fields -------------------------------------------


def _cache(helm: dict[str, Any]) -> Facts:
    """An Argo CD Application whose chart moved, its values given as Argo CD allows other than valuesObject."""
    obj = {"kind": "Application", "metadata": {"name": "session-cache", "namespace": "argocd"},
           "spec": {"destination": {"namespace": "cache"},
                    "source": {"chart": "keyvalue", "targetRevision": "20.0.0", "helm": helm}}}
    said = "ERR This instance has cluster support disabled"
    facts = _facts("Application", "argocd", "session-cache", "spec.source.targetRevision = '20.0.0'", obj,
                   "maxmemory 2gb\nappendonly yes\n", _log("sessions-6d7f8c9b5-k2l3m", "cache", said))
    facts.reads["values_ignored"]["ConfigMap/cache/session-cache-config"] = ("maxmemory 2gb\nappendonly yes\n", "E8")
    facts.changes["changes"][1]["object"]["namespace"] = "cache"  # type: ignore[index]
    return facts


def test_argo_values_written_as_a_yaml_string_are_read() -> None:
    [hit] = found(_cache({"values": "cluster:\n  enabled: true\n  nodes: 6\n"}))
    assert hit.feature == "cluster" and "cluster.enabled" in hit.paths


def test_argo_values_string_that_turns_the_feature_off_is_not_an_ignored_block() -> None:
    assert not found(_cache({"values": "cluster:\n  enabled: false\n"}))


def test_argo_parameters_are_read_as_values() -> None:
    [hit] = found(_cache({"parameters": [{"name": "cluster.enabled", "value": "true"},
                                         {"name": "cluster.nodes", "value": "6"}]}))
    assert hit.paths[0] == "cluster.enabled"


def test_argo_parameters_that_turn_the_feature_off_are_not_an_ignored_block() -> None:
    assert not found(_cache({"parameters": [{"name": "cluster.enabled", "value": "false"}]}))


def _gateway(diff: str = "spec.version = '3.0.0'", content: str = "websockets:\n  enabled: true\n") -> Facts:
    """A k3s/RKE2 HelmChart (helm.cattle.io) whose chart version moved, values in `valuesContent`."""
    obj = {"kind": "HelmChart", "metadata": {"name": "edge-gateway", "namespace": "kube-system"},
           "spec": {"chart": "edge-gateway", "version": "3.0.0", "targetNamespace": "kube-system",
                    "valuesContent": content}}
    said = "upstream refused upgrade: websockets support is disabled on this gateway"
    return _facts("HelmChart", "kube-system", "edge-gateway", diff, obj, "listen: 8443\nworkers: 4\n",
                  _log("chat-7c8d9f6b5-z9x8c", "chat", said))


def test_a_k3s_helmchart_whose_new_version_ignores_its_values_content_is_named() -> None:
    [hit] = found(_gateway())
    assert hit.release == Ref("HelmChart", "kube-system", "edge-gateway") and hit.feature == "websockets"
    assert hit.version == "3.0.0"


def test_a_k3s_helmchart_whose_version_was_not_written_is_not_blamed() -> None:
    assert not found(_gateway(diff="spec.valuesContent changed"))


def _mysql(values: dict[str, Any], rendered: str = "[mysqld]\nmax_connections=300\n",
           said: str = "ERROR 2026 (HY000): SSL is required, but the server does not support it: ssl is not enabled "
                       "on the server") -> Facts:
    """A MySQL-like chart whose values call the feature `tls` while its clients speak of SSL."""
    obj = {"kind": "HelmRelease", "metadata": {"name": "orders-db", "namespace": "data"},
           "spec": {"chart": {"spec": {"chart": "mysql", "version": "12.0.0"}}, "values": values}}
    return _facts("HelmRelease", "data", "orders-db", "spec.chart.spec.version = '12.0.0'", obj, rendered,
                  _log("orders-api-5c6d7f8b9-m4n5p", "data", said))


def test_a_client_speaking_of_ssl_reads_a_tls_values_block() -> None:
    [hit] = found(_mysql({"primary": {"tls": {"enabled": True, "existingSecret": "orders-db-tls"}}}))
    assert hit.feature == "ssl" and hit.paths[0] == "primary.tls.enabled"


def test_a_client_saying_authentication_is_disabled_reads_an_auth_block() -> None:
    said = "error: authentication is disabled on this server, refusing credentials"
    [hit] = found(_mysql({"auth": {"enabled": True, "rootPassword": "x"}}, said=said))
    assert hit.paths[0] == "auth.enabled"


def test_twin_a_rendered_config_holding_tls_clears_the_release() -> None:
    assert not found(_mysql({"primary": {"tls": {"enabled": True}}},
                            rendered="[mysqld]\nrequire_secure_transport=ON\ntls_version=TLSv1.3\n"))


def test_twin_an_auth_block_turned_off_is_a_values_change() -> None:
    said = "error: authentication is disabled on this server, refusing credentials"
    assert not found(_mysql({"auth": {"enabled": False}}, said=said))
