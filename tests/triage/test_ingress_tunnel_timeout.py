"""A read/tunnel timeout that closes upgraded (WebSocket) connections at its value (agent.triage.ingress_annotations).

A proxy's read timeout below an application's heartbeat never answers 504: the socket was answered 101 when it
opened, and the access line written when the tunnel closes says 101 with a duration at the timeout. The lines
below are written in the controllers' formats (ingress-nginx's default access and error log, HAProxy's httplog)
for made-up products; each shape has a twin where upgraded connections end but the setting did not end them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import ingress_annotations as ia
from agent.triage.facts import Facts

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _ingress(notes: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "live-scores", "namespace": "sports", "annotations": notes},
            "spec": {"rules": [{"host": "scores.example.org", "http": {"paths": [
                {"path": "/subscriptions", "pathType": "Prefix",
                 "backend": {"service": {"name": "graphql-subs", "port": {"number": 4000}}}}]}}]}}


def _facts(notes: dict[str, str], lines: list[str]) -> Facts:
    facts = Facts(at=AT)
    facts.reads[ia.READS] = {"ingresses": [(_ingress(notes), "E3")],
                             "lines": [({"pod": "ingress-nginx-controller-5c8d-qwert", "word": "graphql-subs",
                                         "lines": lines}, "E4")]}
    return facts


def _nginx_upgraded(durations: list[float]) -> list[str]:
    """ingress-nginx access lines for WebSocket sessions that lasted `durations` seconds, one a second."""
    return [f'2026-11-30T11:40:{i:02d}.000000000Z 203.0.113.{i} - - [30/Nov/2026:11:40:{i:02d} +0000] '
            f'"GET /subscriptions HTTP/1.1" 101 912 "-" "Dart/3.2 (dart:io)" 630 {d:.3f} '
            f"[sports-graphql-subs-4000] [] 10.42.0.{i}:4000 912 {d:.3f} 101 c0ffee{i:04d}"
            for i, d in enumerate(durations)]


def _nginx_error(n: int) -> list[str]:
    return [f"2026-11-30T11:41:{i:02d}.000000000Z 2026/11/30 11:41:{i:02d} [error] 27#27: *{501 + i} upstream timed "
            f"out (110: Operation timed out) while proxying upgraded connection, client: 203.0.113.{i}, server: "
            'scores.example.org, request: "GET /subscriptions HTTP/1.1", host: "scores.example.org"' for i in range(n)]


def _haproxy_upgraded(durations_ms: list[int], flags: str) -> list[str]:
    """HAProxy httplog lines of WebSocket sessions (status 101) that lasted `durations_ms`, ended with `flags`."""
    return [f"2026-11-30T11:40:{i:02d}.000Z 198.18.0.{i}:4{i:04d} [30/Nov/2026:11:40:{i:02d}.250] "
            f"https~ sports_graphql-subs_4000/SRV_2 0/0/1/2/{d} 101 241 - - {flags} 9/9/2/1/0 0/0 "
            '"GET /subscriptions HTTP/1.1"' for i, d in enumerate(durations_ms)]


def test_nginx_read_timeout_closing_websockets_at_its_value_is_named() -> None:
    lines = _nginx_upgraded([120.002] * 9 + [37.4]) + _nginx_error(4)
    [fit] = ia.fits(_facts({"nginx.ingress.kubernetes.io/proxy-read-timeout": "120"}, lines))
    found = ia.finding(fit)
    assert fit.setting.annotation.endswith("proxy-read-timeout") and fit.cut == 9
    assert found["reason"] == "IngressTunnelTimeout"
    assert "after 120 s" in found["message"] and "heartbeat" in found["message"] and "idle" in found["message"]
    assert "proxying upgraded connection" in found["evidence"][0]


def test_sockets_ending_at_their_own_pace_blame_no_read_timeout() -> None:
    natural = _nginx_upgraded([14.2, 388.0, 121.0, 95.5, 1800.3, 7.0, 119.0, 640.0, 52.1, 3300.0])
    assert ia.fits(_facts({"nginx.ingress.kubernetes.io/proxy-read-timeout": "120"}, natural)) == []


def test_sessions_at_one_age_that_is_not_the_timeout_blame_no_read_timeout() -> None:
    # the clients themselves reconnect every two minutes; the proxy would have waited an hour
    rotating = _nginx_upgraded([120.002] * 10)
    assert ia.fits(_facts({"nginx.ingress.kubernetes.io/proxy-read-timeout": "3600"}, rotating)) == []


def test_haproxy_tunnel_timeout_cutting_websockets_is_named() -> None:
    lines = _haproxy_upgraded([30001, 30000, 30002, 29999, 30001, 30000], "cD--")
    [fit] = ia.fits(_facts({"haproxy.org/timeout-tunnel": "30s"}, lines))
    assert fit.setting.annotation == "haproxy.org/timeout-tunnel" and fit.cut == 6
    assert "after 30 s" in ia.finding(fit)["message"]


def test_haproxy_websockets_closed_normally_blame_no_tunnel_timeout() -> None:
    # same ages, but each side closed its socket (no data-phase timeout flag): the application ends them
    lines = _haproxy_upgraded([30001, 30000, 30002, 29999, 30001, 30000], "----")
    assert ia.fits(_facts({"haproxy.org/timeout-tunnel": "30s"}, lines)) == []
