"""agent.triage.egress_source against wordings and objects its round never showed (issue #12).

The class: an egress object (gateway policy, egress IP, cloud NAT) changes the address the selected pods' calls
leave from, and a partner admitting callers by source address refuses them. Shapes from other software: GitHub's
IP allow list ("has an IP allow list enabled, and <ip> is not permitted"), Salesforce OAuth `ip restricted`,
MongoDB Atlas `IP_ADDRESS_NOT_ON_ACCESS_LIST`, Snowflake 390422, Azure SQL 40615, MySQL 1130; a namespaced Calico
EgressGatewayPolicy (no pod selector of its own: the pods opt in by annotation) and an Antrea Egress (`appliedTo`).
Twins: MySQL 1045 (the user's password, not the address), Okta E0000006 (a permission, bare 403), S3
AccessDenied, a Calico policy of another namespace that names no address, an Antrea Egress applied elsewhere.
"""

from __future__ import annotations

import pytest

from agent.triage import egress_source
from tests.triage.test_egress_source import change, cilium, run

GITHUB = ('2026-11-09T13:42:00Z ERROR sync failed: 403 {"message":"Although you appear to have the correct '
          'authorization credentials, the `acme` organization has an IP allow list enabled, and 198.51.100.77 is '
          'not permitted to access this resource.","documentation_url":"https://docs.github.com/rest"}')
SALESFORCE = ('2026-11-09T13:42:00Z ERROR token request failed: 400 {"error":"invalid_grant",'
              '"error_description":"ip restricted"}')
ATLAS = ('2026-11-09T13:42:00Z ERROR atlas admin api: 403 {"error":403,"errorCode":'
         '"IP_ADDRESS_NOT_ON_ACCESS_LIST","reason":"Forbidden"}')
SNOWFLAKE = ("2026-11-09T13:42:00Z ERROR net.snowflake.client.jdbc.SnowflakeSQLException: IP 198.51.100.77 is "
             "not allowed to access Snowflake. Contact your local security administrator.")
AZURE_SQL = ("2026-11-09T13:42:00Z ERROR Microsoft.Data.SqlClient.SqlException (0x80131904): Cannot open server "
             "'orders' requested by the login. Client with IP address '198.51.100.77' is not allowed to access "
             "the server.")
MYSQL_HOST = ("2026-11-09T13:42:00Z ERROR 1130 (HY000): Host '198.51.100.77' is not allowed to connect to this "
              "MySQL server")
MYSQL_PASSWORD = ("2026-11-09T13:42:00Z ERROR 1045 (28000): Access denied for user 'app'@'198.51.100.77' "
                  "(using password: YES)")
OKTA = ('2026-11-09T13:42:00Z ERROR okta: 403 {"errorCode":"E0000006","errorSummary":"You do not have permission '
        'to perform the requested action"}')
S3 = "2026-11-09T13:42:00Z ERROR upload failed: An error occurred (AccessDenied) when calling PutObject: Access Denied"


def calico(namespace: str) -> dict[str, object]:
    return {"apiVersion": "projectcalico.org/v3", "kind": "EgressGatewayPolicy",
            "metadata": {"name": "egw-out", "namespace": namespace},
            "spec": {"rules": [{"destination": {"cidr": "0.0.0.0/0"},
                                "gateway": {"namespaceSelector": "projectcalico.org/name == 'egw'",
                                            "selector": "egress-code == 'blue'"}}]}}


def antrea(app: str) -> dict[str, object]:
    return {"apiVersion": "crd.antrea.io/v1beta1", "kind": "Egress", "metadata": {"name": "billing-egress"},
            "spec": {"appliedTo": {"podSelector": {"matchLabels": {"app": app}}}, "egressIP": "198.51.100.77"}}


@pytest.mark.parametrize("line", [GITHUB, SALESFORCE, ATLAS, SNOWFLAKE, AZURE_SQL, MYSQL_HOST])
def test_real_providers_source_address_refusals_name_the_moved_gateway(line: str) -> None:
    written = change("CiliumEgressGatewayPolicy", "", "billing-out", 30, "spec.egressGateway.egressIP = 198.51.100.77")
    facts = run(line, "2026-11-09T13:42:00Z", [written],
                {("CiliumEgressGatewayPolicy", "", "billing-out"): cilium("billing")})
    [(ref, finding, _, explains)] = egress_source.suspects(facts)
    assert ref.name == "billing-out" and explains[0].name == "billing"
    assert "source IP 198.51.100.77" in finding["message"][:400]


@pytest.mark.parametrize("line", [MYSQL_PASSWORD, OKTA, S3])
def test_credential_and_permission_refusals_are_not_an_egress_address(line: str) -> None:
    written = change("CiliumEgressGatewayPolicy", "", "billing-out", 30, "spec.egressGateway = {}")
    facts = run(line.replace("198.51.100.77", "10.4.0.9"), "2026-11-09T13:42:00Z", [written],
                {("CiliumEgressGatewayPolicy", "", "billing-out"): cilium("billing")})
    assert egress_source.suspects(facts) == []


def test_a_namespaced_calico_egress_gateway_policy_in_the_callers_namespace_is_named() -> None:
    written = change("EgressGatewayPolicy", "billing", "egw-out", 40, "spec.rules[0].gateway.selector = blue")
    facts = run(GITHUB, "2026-11-09T13:42:00Z", [written],
                {("EgressGatewayPolicy", "billing", "egw-out"): calico("billing")})
    [(ref, finding, _, _)] = egress_source.suspects(facts)
    assert (ref.kind, ref.name) == ("EgressGatewayPolicy", "egw-out")
    assert "IP allow list" in finding["message"]


def test_a_calico_policy_of_another_namespace_naming_no_address_is_not_named() -> None:
    written = change("EgressGatewayPolicy", "reports", "egw-out", 40, "spec.rules[0].gateway.selector = blue")
    facts = run(SALESFORCE, "2026-11-09T13:42:00Z", [written],
                {("EgressGatewayPolicy", "reports", "egw-out"): calico("reports")})
    assert egress_source.suspects(facts) == []


def test_an_antrea_egress_applied_to_the_refused_pods_is_named_and_one_applied_elsewhere_is_not() -> None:
    written = change("Egress", "", "billing-egress", 20, "spec.egressIP = 198.51.100.77")
    hit = run(SNOWFLAKE, "2026-11-09T13:42:00Z", [written], {("Egress", "", "billing-egress"): antrea("billing")})
    [(ref, _, _, _)] = egress_source.suspects(hit)
    assert ref.name == "billing-egress"
    miss = run(SALESFORCE, "2026-11-09T13:42:00Z", [written], {("Egress", "", "billing-egress"): antrea("ledger")})
    assert egress_source.suspects(miss) == []
