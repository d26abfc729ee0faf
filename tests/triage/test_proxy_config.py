"""A proxy's global setting written in its ConfigMap, and the proxy's own refusals since (agent.triage.proxy_config).

Two shapes: the ingress-nginx controller ConfigMap's `proxy-buffer-size` cut, with nginx's error log "upstream
sent too big header while reading response header from upstream" (as `kubectl logs` prints it, nginx's own
timestamp); and a plain nginx reverse proxy whose `nginx.conf` file sets `client_max_body_size 1m`, with "client
intended to send too large body" lines carrying the `--timestamps` prefix. Negative twins: the same write with
the proxy printing nothing of the kind; the wording printed before the write too (chronic); a write to a key that
governs something else (`ssl-redirect`) while "too big header" lines exist.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.incident import from_text
from agent.triage import proxy_config as pc
from agent.triage import rank, subject_of
from agent.triage.facts import Facts, Ref

AT = datetime(2026, 6, 2, 9, 30, tzinfo=UTC)
CONTROLLER = Ref("Deployment", "edge", "public-ingress-controller")
BIG_HEADER = ('2026/06/02 {t} [error] 31#31: *88{n} upstream sent too big header while reading response header from '
              'upstream, client: 81.2.0.9, server: shop.example.org, request: "GET /oauth2/callback?code=ab HTTP/1.1", '
              'upstream: "http://10.244.1.30:8080/oauth2/callback", host: "shop.example.org"')
BIG_BODY = ('2026-06-02T{t}.000000000Z 2026/06/02 {t} [error] 7#7: *31{n} client intended to send too large body: '
            '5242880 bytes, client: 10.0.3.4, server: _, request: "POST /api/uploads HTTP/1.1", host: "media.internal"')


def _change(cm: str, ns: str, key: str, at: str, user: Ref) -> dict[str, Any]:
    return {"at": at, "type": "config", "object": {"kind": "ConfigMap", "namespace": ns, "name": cm},
            "summary": f"ConfigMap {ns}/{cm} updated by flux: data key {key} set by flux (used by {user})",
            "diff": [f"data key {key} set by flux"],
            "related": [{"kind": user.kind, "namespace": user.namespace, "name": user.name}]}


def _facts(key: str, data: dict[str, str], lines: list[str], needle: str, user: Ref = CONTROLLER,
           cm: str = "public-ingress-nginx") -> Facts:
    change = _change(cm, user.namespace, key, "2026-06-02T09:05:00Z", user)
    facts = Facts(at=AT, changes_id="E2", changes={"changes": [change]})
    found = pc.settings(data, [key])
    facts.reads[pc.STORE] = [{"change": change, "configmap": Ref("ConfigMap", user.namespace, cm), "settings": found,
                              "user": user, "pod": f"{user.name}-7c9d8f6b5c-q8w2e", "needle": needle,
                              "text": "\n".join(lines), "evidence": ["E20", "E21"]}]
    return facts


def _big_headers(times: list[str]) -> list[str]:
    return [BIG_HEADER.format(t=t, n=i) for i, t in enumerate(times)]


def test_settings_reads_keys_and_file_directives() -> None:
    assert pc.settings({"proxy-buffer-size": "4k", "ssl-redirect": "true"}, ["proxy-buffer-size"]) == [
        ("proxy-buffer-size", "proxy-buffer-size", "4k")]
    conf = "http {\n  client_max_body_size 1m;\n  proxy_read_timeout 60s;\n  gzip on;\n}\n"
    assert pc.settings({"nginx.conf": conf}, ["nginx.conf"]) == [
        ("nginx.conf: client_max_body_size", "client_max_body_size", "1m"),
        ("nginx.conf: proxy_read_timeout", "proxy_read_timeout", "60s")]


def test_a_cut_proxy_buffer_is_named_over_the_controller() -> None:
    facts = _facts("proxy-buffer-size", {"proxy-buffer-size": "4k"}, _big_headers(["09:06:10", "09:11:00", "09:20:30"]),
                   "too big header")
    [top, *_] = rank(subject_of(from_text("customers cannot log in on shop.example.org")), facts)
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("ConfigMap", "public-ingress-nginx")
    assert "proxy-buffer-size: 4k" in top.cause and "too big header" in top.cause and "502" in top.cause


def test_a_body_limit_in_an_nginx_conf_file() -> None:
    proxy = Ref("Deployment", "media", "upload-gateway")
    conf = "events {}\nhttp {\n  server {\n    listen 8080;\n    client_max_body_size 1m;\n  }\n}\n"
    lines = [BIG_BODY.format(t=t, n=i) for i, t in enumerate(["09:07:00", "09:09:00", "09:15:00", "09:25:00"])]
    facts = _facts("nginx.conf", {"nginx.conf": conf}, lines, "too large body", proxy, "upload-gateway-conf")
    [p] = pc.found(facts)
    assert (p.setting, p.value, p.family.status) == ("client_max_body_size", "1m", 413)
    assert p.requests == ["POST /api/uploads"]
    [top, *_] = rank(subject_of(from_text("uploads fail in namespace media")), facts)
    assert top.ref is not None and top.ref.name == "upload-gateway-conf" and "413" in top.cause


def test_no_refusal_in_the_proxys_logs_no_suspect() -> None:
    assert pc.found(_facts("proxy-buffer-size", {"proxy-buffer-size": "4k"}, [], "too big header")) == []


def test_a_refusal_printed_before_the_write_is_not_its_doing() -> None:
    lines = _big_headers(["08:40:00", "09:06:10", "09:11:00", "09:20:30"])
    assert pc.found(_facts("proxy-buffer-size", {"proxy-buffer-size": "4k"}, lines, "too big header")) == []


def test_a_write_to_an_unrelated_key_is_not_blamed() -> None:
    facts = _facts("ssl-redirect", {"ssl-redirect": "false", "proxy-buffer-size": "4k"},
                   _big_headers(["09:06:10", "09:11:00", "09:20:30"]), "too big header")
    assert facts.reads[pc.STORE][0]["settings"] == []
    assert pc.found(facts) == []


def test_nginx_and_kubectl_timestamps() -> None:
    assert pc.line_time("2026/06/02 09:06:10 [error] 31#31: x") == datetime(2026, 6, 2, 9, 6, 10, tzinfo=UTC)
    assert pc.line_time("2026-06-02T09:07:00.000000000Z 2026/06/02 09:07:00 [error]") == \
        datetime(2026, 6, 2, 9, 7, tzinfo=UTC)
