"""sidecar_logs: the proxy container beside a quiet application container is read, with its refusals kept.

The answers are built as `k8s_logs` builds them (mcp_servers.kubernetes.logs.PodLogs over the real log reader,
mcp_servers.common.logfacts.extract) from lines in the formats the proxies print: Istio's Envoy access log with a
JWT filter's local 401, and an oauth2-proxy beside a web app. Negative twins: an app container that already logs
errors (nothing more is read), a pod whose other container is a log shipper (not a proxy), a container the caller
named itself, and a pod that is not the subject's.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import sidecar_logs
from agent.triage.subject import Subject
from mcp_servers.common.logfacts.extract import extract
from mcp_servers.kubernetes.logs import ContainerInfo, PodLogs

APP_OK = ['{"ts":"2026-12-05T13:40:00Z","level":"info","msg":"feed served","items":20}'] * 30
APP_FAILING = ['{"ts":"2026-12-05T13:40:00Z","level":"error","msg":"db query failed","err":"connection refused"}'] * 5
ENVOY_DENIED = ['[2026-12-05T13:40:12.000Z] "GET /v3/feed HTTP/1.1" 401 - '
                'jwt_authn_access_denied{Jwt_issuer_is_not_configured} "-" 0 40 0 - "10.244.2.1" "okhttp/4.12.0" '
                '"4ef1845b" "bff.mobile.svc" "-"'] * 20


def _answer(pod: str, container: str, others: list[str], lines: list[str], evidence: str = "E5",
            named: bool = False) -> ToolOutcome:
    infos = [ContainerInfo(name=c, state="running", ready=True) for c in [container, *others]]
    data = PodLogs(pod=pod, namespace="mobile", container=container, previous=False, containers=infos,
                   facts=extract(lines)).model_dump()
    arguments: dict[str, Any] = {"name": pod, "namespace": "mobile", "tail": 300}
    if named:
        arguments["container"] = container
    return ToolOutcome(evidence, "k8s_logs", arguments, True, "\n".join(lines), data=data)


class Calls:
    """A `k8s_logs` that answers each container from the lines it was given, and records what was asked."""

    def __init__(self, lines: dict[str, list[str]]) -> None:
        self.lines, self.asked = lines, []  # type: tuple[dict[str, list[str]], list[dict[str, Any]]]

    async def __call__(self, tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        self.asked.append(arguments)
        return _answer(arguments["name"], arguments["container"], [], self.lines[arguments["container"]], "E9",
                       named=True)


def _subject() -> Subject:
    return Subject(names=["bff"], namespace="mobile")


def test_a_quiet_app_container_gets_its_mesh_proxys_refusals_read() -> None:
    calls = Calls({"istio-proxy": ENVOY_DENIED})
    first = _answer("bff-5fmn5ngpcs-9m7z6", "bff", ["istio-proxy"], APP_OK)
    got = asyncio.run(sidecar_logs.read(_subject(), [first], calls))
    assert [a["container"] for a in calls.asked] == ["istio-proxy"]
    errors = got[0].data["facts"]["errors"] if got[0].data else []
    assert errors and errors[0]["error_class"] == "auth_failure" and errors[0]["severity"] == "error"
    assert "jwt_authn_access_denied" in errors[0]["template"]


def test_an_auth_proxy_beside_a_web_app_is_read_too() -> None:
    lines = ['[2026/12/05 13:40:12] [oauthproxy.go:889] Error redeeming code during OAuth2 callback: '
             'token exchange failed: oauth2: "invalid_client"'] * 3
    calls = Calls({"oauth2-proxy": lines})
    asyncio.run(sidecar_logs.read(_subject(), [_answer("bff-5fmn5ngpcs-9m7z6", "bff", ["oauth2-proxy"], APP_OK)],
                                  calls))
    assert [a["container"] for a in calls.asked] == ["oauth2-proxy"]


def test_an_app_container_that_logs_errors_is_enough() -> None:
    calls = Calls({"istio-proxy": ENVOY_DENIED})
    first = _answer("bff-5fmn5ngpcs-9m7z6", "bff", ["istio-proxy"], APP_FAILING)
    assert asyncio.run(sidecar_logs.read(_subject(), [first], calls)) == [] and calls.asked == []


def test_a_log_shipper_beside_the_app_is_not_a_proxy() -> None:
    calls = Calls({})
    first = _answer("bff-5fmn5ngpcs-9m7z6", "bff", ["fluent-bit"], APP_OK)
    assert asyncio.run(sidecar_logs.read(_subject(), [first], calls)) == [] and calls.asked == []


def test_a_container_named_by_the_caller_and_a_pod_not_the_subjects_are_left_alone() -> None:
    calls = Calls({"istio-proxy": ENVOY_DENIED})
    named = _answer("bff-5fmn5ngpcs-9m7z6", "bff", ["istio-proxy"], APP_OK, named=True)
    other = _answer("search-7c9d8b6f5d-xk2lp", "search", ["istio-proxy"], APP_OK)
    assert asyncio.run(sidecar_logs.read(_subject(), [named, other], calls)) == [] and calls.asked == []
