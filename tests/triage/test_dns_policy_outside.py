"""agent.triage.dns_policy against resolver wordings and policy shapes its round never showed (issue #12).

The class: a name-aware egress policy (Cilium DNS rules / toFQDNs, Calico domains) whose rules no longer allow
the host a workload calls, seen only as resolver errors in the caller's own wording. Shapes: busybox/musl (Alpine)
`wget: bad address '<host>'`, nginx's resolver `could not be resolved (5: Operation refused)`, .NET on Linux
`Resource temporarily unavailable (<host>:443)` and on Windows `No such host is known`, Java
`UnknownHostException`, Python `[Errno -5] No address associated with hostname`, Envoy `DNS resolution failed`;
a clusterwide policy written as `specs[]`. Twins: a `**.` rule that still allows the failing host, a namespaced
policy of another namespace, an in-cluster name a `**.cluster.local` rule allows (the lookup fails for another
reason), a log line without a resolver failure. (Cilium's single `*` is one label, so `*.cluster.local` does NOT
allow `<svc>.<ns>.svc.cluster.local`: that one is named.)
"""

from __future__ import annotations

from typing import Any

import pytest

from agent.triage import dns_policy
from tests.triage.test_dns_policy import change, cilium, run

MUSL = "2026-11-09T13:31:10Z wget: bad address 'api.freight.example.io'"
NGINX = ("2026/11/09 13:31:10 [error] 7#7: *41 api.freight.example.io could not be resolved (5: Operation refused), "
         "client: 10.0.3.4, server: _, request: \"GET /rates HTTP/1.1\"")
DOTNET_LINUX = ("2026-11-09T13:31:10Z fail: System.Net.Http.HttpRequestException: Resource temporarily unavailable "
                "(api.freight.example.io:443)")
DOTNET_WINDOWS = ("2026-11-09T13:31:10Z fail: System.Net.Http.HttpRequestException: No such host is known. "
                  "(api.freight.example.io:443)")
JAVA = ("2026-11-09T13:31:10Z ERROR java.net.UnknownHostException: api.freight.example.io: Temporary failure in "
        "name resolution")
PYTHON = ("2026-11-09T13:31:10Z ERROR socket.gaierror: [Errno -5] No address associated with hostname "
          "(host='api.freight.example.io')")
ENVOY = ("2026-11-09T13:31:10Z [warning][upstream] DNS resolution failed for api.freight.example.io: "
         "c-ares status 5")
IN_CLUSTER = ("2026-11-09T13:31:10Z wget: bad address 'rates.pricing.svc.cluster.local'")
NOT_DNS = "2026-11-09T13:31:10Z ERROR rates: 502 Bad Gateway from api.freight.example.io"

SPECS = {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "egress-dns"},
         "specs": [], "spec": {"specs": [
             {"endpointSelector": {"matchLabels": {"app": "quotes"}},
              "egress": [{"toPorts": [{"ports": [{"port": "53"}],
                                       "rules": {"dns": [{"matchPattern": "*.cluster.local"},
                                                         {"matchName": "api.stripe.com"}]}}]}]}]}}


@pytest.mark.parametrize("line", [MUSL, NGINX, DOTNET_LINUX, DOTNET_WINDOWS, JAVA, PYTHON, ENVOY])
def test_other_clients_resolver_wordings_name_the_narrowed_dns_rule(line: str) -> None:
    facts = run(line, "2026-11-09T13:31:10Z", change("CiliumNetworkPolicy", "shipping", "lockdown", 40),
                cilium("*.cluster.local"))
    [(ref, finding, _, explains)] = dns_policy.suspects(facts)
    assert ref.name == "lockdown" and explains[0].name == "quotes"
    head = finding["message"][:400]
    assert "api.freight.example.io" in head and "REFUSED" in head


def test_a_clusterwide_policy_written_as_specs_is_read() -> None:
    facts = run(MUSL, "2026-11-09T13:31:10Z", change("CiliumClusterwideNetworkPolicy", "", "egress-dns", 30), SPECS)
    [(ref, finding, _, _)] = dns_policy.suspects(facts)
    assert ref.name == "egress-dns" and "matchName api.stripe.com" in finding["message"]


@pytest.mark.parametrize("line", [NGINX, DOTNET_WINDOWS])
def test_a_rule_that_still_allows_the_host_at_depth_is_not_named(line: str) -> None:
    facts = run(line, "2026-11-09T13:31:10Z", change("CiliumNetworkPolicy", "shipping", "lockdown", 40),
                cilium("**.example.io"))
    assert dns_policy.suspects(facts) == []


def test_a_namespaced_policy_of_another_namespace_is_not_named() -> None:
    other: dict[str, Any] = cilium("*.cluster.local")
    other["metadata"]["namespace"] = "billing"
    facts = run(JAVA, "2026-11-09T13:31:10Z", change("CiliumNetworkPolicy", "billing", "lockdown", 40), other)
    assert dns_policy.suspects(facts) == []


@pytest.mark.parametrize(("line", "pattern"), [(IN_CLUSTER, "**.cluster.local"), (NOT_DNS, "*.cluster.local")])
def test_an_allowed_in_cluster_name_or_a_non_resolver_error_is_not_named(line: str, pattern: str) -> None:
    facts = run(line, "2026-11-09T13:31:10Z", change("CiliumNetworkPolicy", "shipping", "lockdown", 40),
                cilium(pattern))
    assert dns_policy.suspects(facts) == []


def test_a_single_star_is_one_label_so_a_service_fqdn_is_not_allowed_by_star_cluster_local() -> None:
    facts = run(IN_CLUSTER, "2026-11-09T13:31:10Z", change("CiliumNetworkPolicy", "shipping", "lockdown", 40),
                cilium("*.cluster.local"))
    [(ref, finding, _, _)] = dns_policy.suspects(facts)
    assert ref.name == "lockdown" and "rates.pricing.svc.cluster.local" in finding["message"][:400]
