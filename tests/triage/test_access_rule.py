"""access_rule: a rule deciding who may do what, narrowed before the refusals, is named from the refusal's words.

Small Facts of our own in the shapes the survey fills: the change timeline, the refused pod's log errors, the rule
objects `read` keeps. Shapes: a namespaced Role trimmed (client-go's full 403 wording), a ClusterRole trimmed
behind a client that cuts the Status message (verb from its HTTP request), a RoleBinding that dropped the account,
a Certificate that lost `client auth` (Java's wording, old usages from the previous request), a Zalando Postgres
manifest whose pg_hba now admits TLS only. Negative twins: the rule written after the refusals began, a rule that
still grants (widened), a Certificate that still has the usage, an hba list that still admits the connection.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.triage import access_rule
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)


def _t(minutes_before: int) -> str:
    return (AT - timedelta(minutes=minutes_before)).isoformat().replace("+00:00", "Z")


def _log(pod: str, namespace: str, message: str) -> LogEvidence:
    error = {"message": message, "example": message, "severity": "error", "error_class": "permission_denied"}
    return LogEvidence(pod=pod, namespace=namespace, evidence_id="E7", top=error, hosts=[], error_classes=set(),
                       previous=False)


def _facts(changes: list[dict[str, Any]], logs: list[LogEvidence], objects: dict[str, dict[str, Any]],
           previous: dict[str, list[str]] | None = None) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=logs)
    facts.reads[access_rule.READS] = {"logs": [], "objects": objects, "previous_usages": previous or {}}
    return facts


def _write(kind: str, namespace: str, name: str, minutes_before: int, diff: str) -> dict[str, Any]:
    return {"at": _t(minutes_before), "type": "other", "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {name} written by helm: {diff}", "diff": [diff]}


def _binding(kind: str, namespace: str, name: str, role_kind: str, role: str, sa_ns: str,
             sa: str) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": name, "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": sa_ns}] if sa else []}


CLIENT_GO = ('2026-12-05T13:31:00Z E1205 leaderelection.go:330 error retrieving resource lock reports/report-worker: '
             'configmaps "report-worker" is forbidden: User "system:serviceaccount:reports:report-worker" cannot '
             'get resource "configmaps" in API group "" in the namespace "reports"')


def _role_case(role_minutes: int, verbs: list[str]) -> Facts:
    role = {"kind": "Role", "metadata": {"name": "report-worker", "namespace": "reports"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": verbs},
                      {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}
    return _facts([_write("Role", "reports", "report-worker", role_minutes, "rules = [...]")],
                  [_log("report-worker-7d9f-abcde", "reports", CLIENT_GO)],
                  {"Role reports/report-worker": role,
                   "RoleBinding reports/report-worker": _binding("RoleBinding", "reports", "report-worker", "Role",
                                                                 "report-worker", "reports", "report-worker")})


def test_a_role_trimmed_before_the_403s_is_named_with_what_it_now_grants() -> None:
    fits = access_rule.found(_role_case(45, ["list"]))
    assert [str(f.rule) for f in fits] == ["Role reports/report-worker"]
    message = access_rule.finding(fits[0])["message"]
    assert message.startswith("Role reports/report-worker narrowed 45 min before the alert")
    assert "no longer get configmaps" in message and "serviceaccount reports/report-worker" in message
    assert "403 forbidden" in message


def test_a_role_written_after_the_refusals_began_is_not_named() -> None:
    assert access_rule.found(_role_case(10, ["list"])) == []  # the 403 at 13:31 predates a write at 13:50


def test_a_role_that_still_grants_the_refused_verb_is_not_named() -> None:
    assert access_rule.found(_role_case(45, ["get", "list", "watch"])) == []  # widened: not the refusal


HAZELCAST = ('com.hazelcast.kubernetes.RestClientException: Failure executing: GET at: https://kubernetes.default.svc'
             '/api/v1/namespaces/cache/endpoints/grid. Message: {"kind":"Status","message":"endpoints \\"grid\\" is '
             'forbidden: User \\"system:serviceaccount:cache:grid\\"…')


def _cluster_role_case(bound_sa: str) -> Facts:
    role = {"kind": "ClusterRole", "metadata": {"name": "peer-discovery"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}
    return _facts([_write("ClusterRole", "", "peer-discovery", 90, 'rules = [{"resources": ["pods"]}]')],
                  [_log("grid-0", "cache", HAZELCAST)],
                  {"ClusterRole peer-discovery": role,
                   "ClusterRoleBinding grid-discovery": _binding("ClusterRoleBinding", "", "grid-discovery",
                                                                 "ClusterRole", "peer-discovery", "cache", bound_sa)})


def test_a_cut_403_names_the_cluster_role_bound_to_the_account_with_the_verb_of_its_request() -> None:
    refused = access_rule.refusals(_cluster_role_case("grid"))
    assert [(r.who, r.verb, r.resource) for r in refused] == [("system:serviceaccount:cache:grid", "get", "endpoints")]
    fits = access_rule.found(_cluster_role_case("grid"))
    assert [str(f.rule) for f in fits] == ["ClusterRole peer-discovery"]
    assert "no longer get endpoints" in access_rule.finding(fits[0])["message"]


def test_a_trimmed_cluster_role_bound_to_someone_else_is_not_named() -> None:
    assert access_rule.found(_cluster_role_case("other-app")) == []


def test_a_binding_that_dropped_the_account_is_named() -> None:
    role = {"kind": "Role", "metadata": {"name": "lease-writer", "namespace": "reports"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "update"]}]}
    binding = _binding("RoleBinding", "reports", "lease-writers", "Role", "lease-writer", "reports", "someone-else")
    facts = _facts([_write("RoleBinding", "reports", "lease-writers", 50, "subjects = [...]")],
                   [_log("report-worker-7d9f-abcde", "reports", CLIENT_GO)],
                   {"Role reports/lease-writer": role, "RoleBinding reports/lease-writers": binding})
    fits = access_rule.found(facts)
    assert [str(f.rule) for f in fits] == ["RoleBinding reports/lease-writers"]
    assert "no longer include serviceaccount reports/report-worker" in access_rule.finding(fits[0])["message"]


JAVA_TLS = ("2026-12-05T13:20:00Z ERROR javax.net.ssl.SSLHandshakeException: PKIX path validation failed: "
            "java.security.cert.CertPathValidatorException: Extended key usage does not permit use for TLS client "
            "authentication")


def _cert_case(usages: list[str], previous: list[str] | None) -> Facts:
    cert = {"kind": "Certificate", "metadata": {"name": "ledger-client", "namespace": "payments"},
            "spec": {"secretName": "ledger-client-tls", "usages": usages}}
    change = {"at": _t(70), "type": "certificate", "object": {"kind": "Certificate", "namespace": "payments",
                                                              "name": "ledger-client"},
              "summary": "Certificate payments/ledger-client issued/renewed", "diff": []}
    return _facts([change], [_log("ledger-api-5c-xyz12", "payments", JAVA_TLS)],
                  {"Certificate payments/ledger-client": cert},
                  {"Certificate payments/ledger-client": previous} if previous else None)


def test_a_certificate_reissued_without_client_auth_is_named_old_to_new() -> None:
    fits = access_rule.found(_cert_case(["digital signature", "server auth"],
                                        ["digital signature", "server auth", "client auth"]))
    assert [str(f.rule) for f in fits] == ["Certificate payments/ledger-client"]
    message = access_rule.finding(fits[0])["message"]
    assert "spec.usages [digital signature, server auth, client auth] -> [digital signature, server auth]" in message
    assert "no client auth key usage" in message


def test_a_certificate_that_still_has_client_auth_is_not_named() -> None:
    assert access_rule.found(_cert_case(["digital signature", "client auth"], None)) == []


@pytest.mark.parametrize(("line", "usage"), [
    ("http: TLS handshake error from 10.1.2.3:5000: tls: failed to verify certificate: x509: certificate specified "
     "an incompatible key usage", "client auth"),
    ('Get "https://api.internal:8443/v1": x509: certificate specifies an incompatible key usage', "server auth"),
    (JAVA_TLS, "client auth"),
])
def test_the_side_that_checks_says_which_usage_it_needs(line: str, usage: str) -> None:
    assert (access_rule.parse(line) or {}).get("usage") == usage


PG = ('2026-12-05T13:40:00Z org.postgresql.util.PSQLException: FATAL: no pg_hba.conf entry for host "10.2.3.4", '
      'user "orders", database "orders", no encryption')


def _db_case(hba: list[str]) -> Facts:
    manifest = {"kind": "postgresql", "metadata": {"name": "orders-db", "namespace": "data"},
                "spec": {"patroni": {"pg_hba": hba}}}
    facts = _facts([_write("postgresql", "data", "orders-db", 30, f"spec.patroni.pg_hba = {hba}")],
                   [_log("orders-api-66-qwert", "shop", PG)], {"postgresql data/orders-db": manifest})
    facts.topologies.append(({"subject": {"kind": "Deployment", "namespace": "shop", "name": "orders-api"},
                              "dependencies": [{"target": {"kind": "Service", "namespace": "data",
                                                           "name": "orders-db"}}]}, "E3"))
    return facts


def test_an_operator_manifest_whose_hba_now_admits_tls_only_is_named() -> None:
    fits = access_rule.found(_db_case(["local all all trust", "hostssl all all 0.0.0.0/0 md5"]))
    assert [str(f.rule) for f in fits] == ["postgresql data/orders-db"]
    message = access_rule.finding(fits[0])["message"]
    assert "no line allows it" in message and "no encryption" in message and "without TLS" in message


def test_an_hba_list_that_still_admits_the_connection_is_not_named() -> None:
    assert access_rule.found(_db_case(["hostssl all all 0.0.0.0/0 md5", "host all all 10.0.0.0/8 md5"])) == []


def test_refusals_the_log_facts_first_saw_before_the_write_are_not_blamed_on_it() -> None:
    facts = _role_case(45, ["list"])
    assert facts.logs[0].top is not None
    facts.logs[0].top["first_seen"] = _t(300)  # the same 403 printed five hours ago: older than the 13:15 write
    assert access_rule.found(facts) == []


GO_SAN = ('2026-12-05T13:30:00Z level=error msg="quote failed" err="Post \\"https://pricing.catalog.svc:8443/quote\\": '
          'tls: failed to verify certificate: x509: certificate is valid for pricing-v2.catalog.svc, not '
          'pricing.catalog.svc"')


def _server_cert_case(spec: dict[str, Any], previous_issuer: dict[str, str] | None, line: str) -> Facts:
    cert = {"kind": "Certificate", "metadata": {"name": "pricing-tls", "namespace": "catalog"}, "spec": spec}
    change = {"at": _t(60), "type": "certificate", "object": {"kind": "Certificate", "namespace": "catalog",
                                                              "name": "pricing-tls"},
              "summary": "Certificate catalog/pricing-tls issued/renewed", "diff": []}
    facts = _facts([change], [_log("checkout-7f-abcde", "shop", line)], {"Certificate catalog/pricing-tls": cert})
    if previous_issuer:
        facts.reads[access_rule.READS]["previous_issuer"] = {"Certificate catalog/pricing-tls": previous_issuer}
    facts.topologies.append(({"subject": {"kind": "Deployment", "namespace": "shop", "name": "checkout"},
                              "dependencies": [{"target": {"kind": "Service", "namespace": "catalog",
                                                           "name": "pricing"}}]}, "E3"))
    return facts


def test_a_server_certificate_whose_names_no_longer_cover_the_called_host_is_named() -> None:
    fits = access_rule.found(_server_cert_case({"dnsNames": ["pricing-v2.catalog.svc"]}, None, GO_SAN))
    assert [str(f.rule) for f in fits] == ["Certificate catalog/pricing-tls"]
    assert "no longer cover pricing.catalog.svc" in access_rule.finding(fits[0])["message"]


def test_a_server_certificate_whose_wildcard_covers_the_host_is_not_named() -> None:
    assert access_rule.found(_server_cert_case({"dnsNames": ["*.catalog.svc"]}, None, GO_SAN)) == []


UNKNOWN_CA = ('2026-12-05T13:30:00Z level=error msg="quote failed" err="Post \\"https://pricing.catalog.svc:8443/quote'
              '\\": tls: failed to verify certificate: x509: certificate signed by unknown authority"')


def test_a_certificate_reissued_by_another_issuer_is_named_old_to_new() -> None:
    spec = {"dnsNames": ["pricing.catalog.svc"], "issuerRef": {"kind": "ClusterIssuer", "name": "letsencrypt"}}
    fits = access_rule.found(_server_cert_case(spec, {"kind": "ClusterIssuer", "name": "internal-ca"}, UNKNOWN_CA))
    assert [str(f.rule) for f in fits] == ["Certificate catalog/pricing-tls"]
    assert "spec.issuerRef ClusterIssuer/internal-ca -> ClusterIssuer/letsencrypt" in access_rule.finding(fits[0])[
        "message"]


def test_a_certificate_renewed_by_the_same_issuer_is_not_blamed_for_an_unknown_authority() -> None:
    spec = {"dnsNames": ["pricing.catalog.svc"], "issuerRef": {"kind": "ClusterIssuer", "name": "internal-ca"}}
    assert access_rule.found(_server_cert_case(spec, {"kind": "ClusterIssuer", "name": "internal-ca"},
                                               UNKNOWN_CA)) == []


# ---- a delegating server that lost its ClusterRoleBinding subject (the callers see only 401s) ---------------------

KUBE_APISERVER_LIB = ('2026-12-05T13:21:00Z E1205 webhook.go:154] Failed to make webhook authenticator request: '
                      'tokenreviews.authentication.k8s.io is forbidden: User "system:serviceaccount:stock:stock-api" '
                      'cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster '
                      'scope')
RBAC_PROXY = ('2026-12-05T13:22:00Z E1205 proxy.go:73] Unable to authorize request: subjectaccessreviews.'
              'authorization.k8s.io is forbidden: User "system:serviceaccount:metrics:exporter" cannot create '
              'resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope')


def _delegator_case(line: str, bound_sa: str, role: str = "system:auth-delegator") -> Facts:
    """The ClusterRoleBinding to a BUILT-IN role re-applied 40 min ago; the capture holds no ClusterRole objects."""
    binding = _binding("ClusterRoleBinding", "", "delegators", "ClusterRole", role, "other", bound_sa)
    pod = "stock-api-7d9f8c6b5-x2k4q" if "stock" in line else "exporter-5c4b7d8f9-m4n8p"
    return _facts([_write("ClusterRoleBinding", "", "delegators", 40, "subjects = [...]")],
                  [_log(pod, "stock" if "stock" in line else "metrics", line)],
                  {"ClusterRoleBinding delegators": binding})


def test_a_built_in_role_binding_that_dropped_a_delegating_server_is_named_with_what_it_means() -> None:
    for line in (KUBE_APISERVER_LIB, RBAC_PROXY):
        fits = access_rule.found(_delegator_case(line, "someone-else"))
        assert [str(f.rule) for f in fits] == ["ClusterRoleBinding delegators"], line
        message = access_rule.finding(fits[0])["message"]
        assert "ClusterRole system:auth-delegator" in message and "rejects every caller" in message


def test_a_built_in_role_binding_that_still_binds_it_or_grants_something_else_is_not_named() -> None:
    still = _delegator_case(KUBE_APISERVER_LIB, "stock-api")
    still.reads[access_rule.READS]["objects"]["ClusterRoleBinding delegators"]["subjects"][0]["namespace"] = "stock"
    assert not access_rule.found(still)
    assert not access_rule.found(_delegator_case(KUBE_APISERVER_LIB, "someone-else", role="system:monitoring"))


def _caller(message: str, hosts: list[str]) -> LogEvidence:
    error = {"message": message, "example": message, "severity": "error"}
    return LogEvidence(pod="picker-6d8f7c9b5-x2k4q", namespace="orders", evidence_id="E5", top=error, hosts=hosts,
                       error_classes=set(), previous=False)


def test_the_upstream_that_answered_the_callers_401_is_the_one_whose_log_is_read() -> None:
    json_log = '{"level":"error","msg":"lookup failed","status":401,"upstream":"stock-api.stock.svc:8443"}'
    logfmt = "level=error msg=\"GET /v1/items\" status_code=403 upstream=reports.analytics.svc.cluster.local:80"
    facts = Facts(at=AT, logs=[_caller(json_log, ["stock-api.stock.svc"]),
                               _caller(logfmt, ["reports.analytics.svc.cluster.local"])])
    assert access_rule.answering_services(facts) == [("stock-api", "stock"), ("reports", "analytics")]
    for message, hosts in (('{"msg":"lookup failed","status":503}', ["stock-api.stock.svc"]),   # not a refusal
                           (json_log, ["api.stripe.com"])):                                    # not in the cluster
        assert not access_rule.answering_services(Facts(at=AT, logs=[_caller(message, hosts)]))
