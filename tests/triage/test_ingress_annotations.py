"""Size and rate-limit annotations matched to the controller's own words (agent.triage.ingress_annotations).

The lines are ingress-nginx's as it prints them (its default `upstreaminfo` access format and its
error log), handed to `fits` in the shape the survey stores them: there is no controller to run here,
and the end-to-end timeout cases live in test_ingress_annotation_bundles.py. Each case has a twin
whose lines show a status without the controller's words for it: the backend's own, not the setting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import ingress_annotations as ia
from agent.triage.facts import Facts

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _ingress(notes: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "uploads", "namespace": "media", "annotations": notes},
            "spec": {"rules": [{"host": "upload.example.com", "http": {"paths": [
                {"path": "/", "pathType": "Prefix",
                 "backend": {"service": {"name": "upload-api", "port": {"number": 8080}}}}]}}]}}


def _access(status: int, path: str, n: int) -> list[str]:
    return [f'2026-11-30T11:50:{i:02d}.000000000Z 81.2.3.{i} - - [30/Nov/2026:11:50:{i:02d} +0000] "POST {path} '
            f'HTTP/1.1" {status} 176 "-" "curl/8.5.0" 1204 0.004 [media-upload-api-8080] [] - - - - 9f8e7d6c{i:04d}'
            for i in range(n)]


def _error(message: str, n: int) -> list[str]:
    return [f"2026-11-30T11:51:{i:02d}.000000000Z 2026/11/30 11:51:{i:02d} [error] 33#33: *{8812 + i} {message}, "
            f'client: 81.2.3.{i}, server: upload.example.com, request: "POST /v1/videos HTTP/1.1", '
            'host: "upload.example.com"' for i in range(n)]


def _facts(notes: dict[str, str], lines: list[str]) -> Facts:
    facts = Facts(at=AT)
    facts.reads[ia.READS] = {"ingresses": [(_ingress(notes), "E7")],
                             "lines": [({"pod": "ingress-nginx-controller-7d9f-abcde", "word": "upload-api",
                                         "lines": lines}, "E9")]}
    return facts


def test_a_body_size_limit_is_named_by_its_413s_and_the_controllers_words() -> None:
    lines = _error("client intended to send too large body: 52428800 bytes", 3) + _access(413, "/v1/videos", 4)
    [fit] = ia.fits(_facts({"nginx.ingress.kubernetes.io/proxy-body-size": "1m"}, lines))
    found = ia.finding(fit)
    assert fit.setting.annotation.endswith("proxy-body-size") and fit.value == "1m"
    assert "answers 413" in found["message"] and "largest legitimate upload" in found["message"]
    assert "too large body" in found["evidence"][0]


def test_a_rate_limit_is_named_by_limiting_requests() -> None:
    lines = _error('limiting requests, excess: 10.120 by zone "media_uploads_rps"', 2) + _access(503, "/v1/x", 5)
    [fit] = ia.fits(_facts({"nginx.ingress.kubernetes.io/limit-rps": "5"}, lines))
    assert fit.setting.annotation.endswith("limit-rps") and "answers 503/429" in ia.finding(fit)["message"]


def test_the_backends_own_errors_blame_no_annotation() -> None:
    plain_413 = _access(413, "/v1/videos", 6)  # the application refused the body itself: no controller words
    assert ia.fits(_facts({"nginx.ingress.kubernetes.io/proxy-body-size": "1m"}, plain_413)) == []
    plain_503 = _access(503, "/v1/x", 6)  # the backend is down, nothing was limited
    assert ia.fits(_facts({"nginx.ingress.kubernetes.io/limit-rps": "5"}, plain_503)) == []
    words_elsewhere = _error("client intended to send too large body: 52428800 bytes", 3)
    assert ia.fits(_facts({"nginx.ingress.kubernetes.io/limit-rps": "5"}, words_elsewhere)) == []


def _served(status: int, start: int, n: int) -> list[str]:
    """ingress-nginx access lines at 11:5x:ss, one a second from `start`, answered `status`."""
    return [f'2026-11-30T11:5{(start + i) // 60}:{(start + i) % 60:02d}.000000000Z 81.2.3.{i} - - '
            f'[30/Nov/2026:11:5{(start + i) // 60}:{(start + i) % 60:02d} +0000] "GET /v1/videos HTTP/1.1" {status} '
            f'164 "-" "Mozilla/5.0" 412 0.000 [media-upload-api-8080] [] - - - - 9f8e7d6c{i:04d}' for i in range(n)]


def _haproxy(status: int, start: int, n: int) -> list[str]:
    """HAProxy `option httplog` lines, one a second from `start`."""
    return [f"2026-11-30T11:50:{start + i:02d}.000Z 81.2.3.{i}:5{i:04d} [30/Nov/2026:11:50:{start + i:02d}.120] "
            f"https~ media_upload-api_8080/SRV_1 0/0/0/0/0 {status} 120 - - ---- 3/3/0/0/0 0/0 "
            '"GET /v1/videos HTTP/1.1"' for i in range(n)]


def test_an_https_redirect_answering_every_request_is_a_loop_behind_tls_offload() -> None:
    lines = _served(200, 0, 20) + _served(308, 30, 12)  # served until the write, then only redirects
    [fit] = ia.fits(_facts({"nginx.ingress.kubernetes.io/force-ssl-redirect": "true"}, lines))
    message = ia.finding(fit)["message"]
    assert fit.failed == 12 and fit.total == 12
    assert "redirect loop" in message and "TLS termination" in message and "308" in message


def test_haproxys_ssl_redirect_loop_is_read_from_its_httplog() -> None:
    lines = _haproxy(200, 0, 10) + _haproxy(302, 20, 8)
    facts = _facts({"haproxy.org/ssl-redirect": "true"}, lines)
    [fit] = ia.fits(facts)
    assert fit.setting.annotation == "haproxy.org/ssl-redirect" and fit.failed == 8


def test_a_working_redirect_or_a_disabled_one_is_no_loop() -> None:
    upgraded = [ln for pair in zip(_served(308, 0, 6), _served(200, 6, 30)[::5], strict=False) for ln in pair]
    upgraded += _served(200, 40, 15)  # plain-http clients redirected once, then served over https
    assert ia.fits(_facts({"nginx.ingress.kubernetes.io/force-ssl-redirect": "true"}, upgraded)) == []
    looping = _served(308, 0, 12)
    assert ia.fits(_facts({"nginx.ingress.kubernetes.io/ssl-redirect": "false"}, looping)) == []
    assert ia.fits(_facts({"nginx.ingress.kubernetes.io/force-ssl-redirect": "true"}, _served(308, 0, 2))) == []


_VERIFY = "nginx.ingress.kubernetes.io/auth-tls-verify-client"


def _callback(status: int, addr: str, n: int) -> list[str]:
    """Access lines of a payment provider's callbacks; `addr` is the upstream address (`-`: the controller answered)."""
    took = "0.000" if addr == "-" else "0.031"
    return [f'2026-11-30T11:52:{i:02d}.000000000Z 198.51.100.{i} - - [30/Nov/2026:11:52:{i:02d} +0000] "PUT '
            f'/callbacks/settlement HTTP/2.0" {status} 150 "-" "AcmePay-Notifier/2.4" 880 {took} '
            f"[media-upload-api-8080] [] {addr} 150 {took} {status} 4c3b2a1d{i:04d}" for i in range(n)]


def _annotated(notes: dict[str, str], lines: list[str], minutes_ago: int = 20) -> Facts:
    """The Ingress's facts with its last write (managedFields) `minutes_ago` before the alert."""
    at = (AT - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    facts = _facts(notes, lines)
    facts.changes = {"changes": [{"at": at, "type": "other", "object": {"kind": "Ingress", "namespace": "media",
                                                                         "name": "uploads"},
                                  "summary": f"Ingress media/uploads written by kubectl-annotate: {_VERIFY}",
                                  "diff": []}]}
    return facts


def test_a_mandatory_client_certificate_shows_as_the_controllers_own_400s() -> None:
    lines = _callback(400, "-", 5) + _callback(200, "10.42.1.7:8080", 2)
    [fit] = ia.fits(_annotated({_VERIFY: "on", "nginx.ingress.kubernetes.io/auth-tls-secret": "media/client-ca"},
                               lines))
    message = ia.finding(fit)["message"]
    assert fit.setting.kind == "client_cert" and fit.failed == 5
    assert "client certificate" in message and "answers 400" in message


def test_a_mandatory_client_certificate_is_named_by_the_controllers_error_log() -> None:
    lines = (_error("client sent no required SSL certificate while reading client request headers", 2)
             + _access(400, "/v1/videos", 2))
    [fit] = ia.fits(_annotated({_VERIFY: '"on"'}, lines))
    assert fit.setting.kind == "client_cert" and "no required SSL certificate" in ia.finding(fit)["evidence"][0]


def test_an_optional_client_certificate_or_the_backends_own_400s_blame_no_annotation() -> None:
    refused = _callback(400, "-", 6)
    assert ia.fits(_annotated({_VERIFY: "optional"}, refused)) == []  # certificate-less clients pass
    answered = _callback(400, "10.42.1.7:8080", 6)  # the backend itself rejected the requests
    assert ia.fits(_annotated({_VERIFY: "on"}, answered)) == []
    assert ia.fits(_facts({_VERIFY: "on"}, refused)) == []  # required long before: those clients were always refused
