"""agent.triage.environment_mixup against runtimes and environment markers other than the round's (Node, the JVM).

Shapes: a .NET service's `No such host is known. (host:443)` after a ConfigMap whose OpenTelemetry resource
attributes say `deployment.environment=staging` was loaded through envFrom; a Python service's urllib3
`Failed to resolve 'host'` after a Secret holding a flag SDK key (metadata only) was re-applied; the resolver
wordings of requests, aiohttp, Ruby's Net::HTTP and Node's EAI_AGAIN. Twins: a ConfigMap whose attributes say
the victim's own environment (production); a Python `gaierror` that names no host; a .NET lookup that failed
before the write.
"""

from __future__ import annotations

from typing import Any

from agent.triage import environment_mixup as em
from agent.triage.environment_mixup import unresolved_host
from tests.triage.test_environment_mixup import _found, _pod, _write

DOTNET = ("System.Net.Http.HttpRequestException: No such host is known. (pricing-qa.catalog.svc.cluster.local:443)"
          " ---> System.Net.Sockets.SocketException (11001): No such host is known.")
PYTHON = ("urllib3.exceptions.NameResolutionError: <urllib3.connection.HTTPSConnection object at 0x7f2c>: Failed to "
          "resolve 'rates-uat.fx.svc' ([Errno -2] Name or service not known)")


def _otel_config(environment: str) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": "telemetry-env", "namespace": "catalog"},
            "data": {"OTEL_RESOURCE_ATTRIBUTES": f"service.name=storefront,deployment.environment={environment}",
                     "LOG_LEVEL": "info"}}


def _dotnet_pod() -> dict[str, Any]:
    return _pod("storefront-6b-k2m4n", "catalog", [{"name": "ASPNETCORE_ENVIRONMENT", "value": "Production"}],
                [{"configMapRef": {"name": "telemetry-env"}}])


def test_a_configmap_whose_otel_attributes_say_staging_is_named_for_a_dotnet_lookup() -> None:
    [m] = _found(_write("ConfigMap", "catalog", "telemetry-env"), _dotnet_pod(), DOTNET,
                 {("ConfigMap", "telemetry-env"): _otel_config("staging")})
    assert m.environment == "staging" and "deployment.environment=staging" in m.where
    assert m.host == "pricing-qa.catalog.svc.cluster.local"
    assert "pricing-qa.catalog.svc.cluster.local" in em.finding(m)["message"][:500]


def test_a_flag_key_secret_rewritten_before_a_python_services_failed_resolution_is_named() -> None:
    env: list[dict[str, Any]] = [
        {"name": "FLAGSMITH_ENVIRONMENT_KEY", "valueFrom": {"secretKeyRef": {"name": "flags", "key": "key"}}}]
    [m] = _found(_write("Secret", "fx", "flags"), _pod("quoter-5d-p9q8r", "fx", env), PYTHON, {})
    assert m.host == "rates-uat.fx.svc" and "feature-flag SDK key" in em.finding(m)["message"][:400]


def test_other_runtimes_wordings_of_an_unresolved_host() -> None:
    said = {
        "HTTPSConnectionPool(host='rates-uat.fx.svc', port=443): Max retries exceeded with url: /v1 (Caused by "
        "NewConnectionError('Failed to establish a new connection: [Errno -2] Name or service not known'))":
            "rates-uat.fx.svc",
        "aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host rates-uat.fx.svc:443 ssl:default "
        "[Name or service not known]": "rates-uat.fx.svc",
        "Failed to open TCP connection to rates-uat.fx.svc:443 (getaddrinfo: Name or service not known)":
            "rates-uat.fx.svc",
        "Error: getaddrinfo EAI_AGAIN rates-uat.fx.svc": "rates-uat.fx.svc",
        "System.Net.Http.HttpRequestException: Name or service not known (rates-uat.fx.svc:80)": "rates-uat.fx.svc",
    }
    for line, host in said.items():
        assert unresolved_host(line) == host, line


def test_twin_attributes_naming_the_victims_own_environment() -> None:
    assert em.marker(_otel_config("production")) == ("", "")
    assert _found(_write("ConfigMap", "catalog", "telemetry-env"), _dotnet_pod(), DOTNET,
                  {("ConfigMap", "telemetry-env"): _otel_config("production")}) == []


def test_twin_a_gaierror_naming_no_host_and_a_lookup_before_the_write() -> None:
    assert unresolved_host("socket.gaierror: [Errno -2] Name or service not known") == ""
    assert _found(_write("ConfigMap", "catalog", "telemetry-env", minutes=40), _dotnet_pod(), DOTNET,
                  {("ConfigMap", "telemetry-env"): _otel_config("staging")}, first_seen=90) == []
