"""A backend Service the scan calls missing while its pods' access logs show requests routed through it
(agent.triage.served_backend). Written here in our own words, not from a held-out bundle.

Shapes: ingress-nginx's upstream name `[media-gallery-web-8080]` on a 200 line in the backend pod's log; Traefik's
JSON access log naming `media-gallery-web-8080@kubernetes` with DownstreamStatus 304. Twins: lines that carry the
upstream name only on 503 answers (the controller's own failure); lines naming another Service's upstream; a
finding the scan already made unverified is not read again.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import served_backend as sb
from agent.triage.facts import Facts

NGINX_OK = ('10.3.0.7 - - [02/Apr/2026:10:00:01 +0000] "GET /albums/42 HTTP/1.1" 200 5120 "-" "curl/8.5" 201 '
            '0.012 [media-gallery-web-8080] [] 10.3.4.5:8080 5120 0.012 200 9f1e')
TRAEFIK_OK = ('{"ClientHost":"10.3.0.9","DownstreamStatus":304,"RequestPath":"/","RouterName":'
              '"media-gallery-gallery-example-net@kubernetes","ServiceName":"media-gallery-web-8080@kubernetes"}')
NGINX_503 = ('10.3.0.7 - - [02/Apr/2026:10:00:01 +0000] "GET / HTTP/1.1" 503 190 "-" "curl/8.5" 77 0.000 '
             '[media-gallery-web-8080] [] - - - - 9f1f')
OTHER = ('10.3.0.7 - - [02/Apr/2026:10:00:01 +0000] "GET / HTTP/1.1" 200 10 "-" "curl/8.5" 77 0.001 '
         '[media-thumbs-8080] [] 10.3.4.6:8080 10 0.001 200 9f20')


def _finding(absence_known: bool = True) -> dict[str, Any]:
    return {"check": "ingress.missing_backend", "severity": "critical", "reason": "ServiceNotFound",
            "object": {"kind": "Ingress", "namespace": "media", "name": "gallery"},
            "message": "Ingress media/gallery: gallery.example.net/ routes to gallery-web:8080, but Service "
                       "gallery-web does not exist",
            "details": {"service": "gallery-web", "port": 8080, "absence_known": absence_known},
            "evidence": ["gallery.example.net/ -> service gallery-web port 8080"]}


def _run(log: str, finding: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    seen: list[str] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        seen.append(tool)
        if tool == "k8s_list":
            return ToolOutcome("E5", tool, arguments, True, "",
                               data={"rows": [{"name": "gallery-web-7c9d8f6b5-m4k2x"}, {"name": "thumbs-0"}]})
        return ToolOutcome("E6", tool, arguments, True, log, full_text=log)

    facts = Facts(at=datetime(2026, 4, 2, 10, 30, tzinfo=UTC), scan={"findings": [finding]})
    asyncio.run(sb.read(facts, call))
    return facts.findings()[0], seen


def test_an_nginx_upstream_name_on_a_served_line_makes_the_absence_unknown() -> None:
    found, _ = _run(f"{NGINX_503}\n{NGINX_OK}\n", _finding())
    assert found["details"]["absence_known"] is False and found["reason"] == "ServiceNotCollected"
    assert "does not exist" not in found["message"] and "[media-gallery-web-8080]" in found["message"]
    assert found["severity"] == "info" and "E6" in found["evidence"]


def test_a_traefik_service_name_on_a_served_line_makes_the_absence_unknown() -> None:
    found, _ = _run(TRAEFIK_OK + "\n", _finding())
    assert found["details"]["absence_known"] is False


def test_the_upstream_name_only_on_503_answers_or_another_services_name_leaves_the_finding() -> None:
    for log in (NGINX_503, OTHER):
        found, _ = _run(log + "\n", _finding())
        assert found["reason"] == "ServiceNotFound" and found["details"]["absence_known"] is True


def test_a_finding_already_unverified_is_not_read_again() -> None:
    _, seen = _run(NGINX_OK, _finding(absence_known=False))
    assert seen == []


# The upstream name written where controllers write it (issue #12): their own access logs, in other controllers'
# wording. Both failed while only the backend's pods were read and only three name forms were known.
APP_ONLY = '{"level":"info","msg":"GET /albums/42","status":200}'
HAPROXY_OK = ('haproxy[27]: 10.3.0.9:51234 [02/Apr/2026:10:00:01.123] _front_http media_gallery-web_8080/srv001 '
              '0/0/1/12/13 200 5120 - - ---- 9/9/0/0/0 0/0 "GET /albums/42 HTTP/1.1"')
HAPROXY_503 = ('haproxy[27]: 10.3.0.9:51236 [02/Apr/2026:10:00:02.001] _front_http media_gallery-web_8080/<NOSRV> '
               '0/-1/-1/-1/0 503 217 - - SC-- 9/9/0/0/0 0/0 "GET /albums/42 HTTP/1.1"')
ISTIO_OK = ('[2026-04-02T10:00:01.512Z] "GET /albums/42 HTTP/1.1" 200 - via_upstream - "-" 0 5120 12 11 "10.3.0.9" '
            '"curl/8.5" "4c1e" "gallery.example.net" "10.3.4.5:8080" '
            'outbound|8080||gallery-web.media.svc.cluster.local 10.3.2.1:40312 10.3.2.1:8080 10.3.0.9:51234 - -')
ISTIO_ELSEWHERE = ISTIO_OK.replace("gallery-web.media.svc", "gallery-web.staging.svc")


def _run_controller(controller_log: str) -> dict[str, Any]:
    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        if tool == "k8s_list" and arguments.get("label_selector"):
            return ToolOutcome("E7", tool, arguments, True, "",
                               data={"rows": [{"name": "edge-proxy-5f7c9d-2kq8z", "namespace": "edge"}]})
        if tool == "k8s_list":
            rows = [{"name": "gallery-web-7c9d8f6b5-m4k2x"}]
            return ToolOutcome("E5", tool, arguments, True, "", data={"rows": rows})
        log = APP_ONLY if arguments.get("namespace") == "media" else controller_log
        return ToolOutcome("E8" if log is controller_log else "E6", tool, arguments, True, log, full_text=log)

    facts = Facts(at=datetime(2026, 4, 2, 10, 30, tzinfo=UTC), scan={"findings": [_finding()]})
    asyncio.run(sb.read(facts, call))
    return facts.findings()[0]


def test_an_haproxy_controller_log_naming_the_backend_makes_the_absence_unknown() -> None:
    found = _run_controller(HAPROXY_OK + "\n")
    assert found["details"]["absence_known"] is False and "media_gallery-web_8080" in found["message"]
    assert "E8" in found["evidence"]


def test_an_haproxy_line_the_controller_answered_503_leaves_the_finding() -> None:
    assert _run_controller(HAPROXY_503 + "\n")["details"]["absence_known"] is True


def test_an_istio_gateway_cluster_naming_the_backend_makes_the_absence_unknown() -> None:
    assert _run_controller(ISTIO_OK + "\n")["details"]["absence_known"] is False


def test_an_istio_cluster_of_the_namesake_in_another_namespace_leaves_the_finding() -> None:
    assert _run_controller(ISTIO_ELSEWHERE + "\n")["details"]["absence_known"] is True
