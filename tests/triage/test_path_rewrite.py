"""A proxy's path rewrite changed and the backend 404s paths it served a segment longer (issue #12, round 14 class).

Written here, not taken from the held-out bundles: a Traefik Middleware whose stripPrefixRegex also eats the API
version (backend in common log format), and an ingress-nginx rewrite-target annotation that drops a tenant segment
(backend logging JSON), with negative twins (404s for paths never served, 404s already before the write, a rewrite
that changed nothing the backend sees). Change lines as `k8s_changes` prints custom resources and annotations; the
backend's log read through a recorded fake of the tool hub.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import path_rewrite
from agent.triage.facts import Facts, LogEvidence
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 6, 3, 11, 0, tzinfo=UTC)
WRITE = AT - timedelta(minutes=50)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _clf(t: datetime, path: str, status: int) -> str:
    return f'10.244.1.9 - - [{t.strftime("%d/%b/%Y:%H:%M:%S +0000")}] "GET {path} HTTP/1.1" {status} 120 "-" "sdk/2"'


def _json(t: datetime, path: str, status: int) -> str:
    return json.dumps({"time": _iso(t), "level": "info", "req": {"method": "GET", "url": path},
                       "res": {"statusCode": status}, "msg": "request completed"})


def _lines(fmt: Any, before: list[str], after: list[tuple[str, int]]) -> list[str]:
    out = [fmt(WRITE - timedelta(minutes=30) + timedelta(seconds=20 * i), p, 200) for i, p in enumerate(before * 3)]
    out += [fmt(WRITE + timedelta(seconds=30 + 20 * i), p, s) for i, (p, s) in enumerate(after * 3)]
    return out


def log_hub(lines: list[str], ingress: str = "") -> RecordingHub:
    """The tool hub: the backend's log (E8), and the Ingress's YAML (E9) when one is given, else no answer for it;
    any other tool fails the test."""
    def unexpected(call: Call, _: str) -> ToolOutcome | None:
        raise AssertionError(f"path_rewrite asked {call.tool}")
    return RecordingHub(answers={"k8s_get": outcome(True, {}, ingress, "E9") if ingress else None,
                                 "k8s_logs": outcome(True, {}, "logs of x: n lines\n" + "\n".join(lines), "E8")},
                        otherwise=unexpected)


def _facts(kind: str, name: str, diff: str, lines: list[str]) -> Facts:
    change = {"at": _iso(WRITE), "type": "other", "object": {"kind": kind, "namespace": "apis", "name": name},
              "summary": f"{kind} apis/{name} written by argocd-controller: {diff}", "diff": [diff]}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")
    facts.logs.append(LogEvidence(pod="billing-api-6c8d9f7b5-zq2xw", namespace="apis", evidence_id="E6", top=None,
                                  hosts=[], error_classes=set(), previous=False, last_lines=lines[-2:]))
    return facts


def _run(facts: Facts, lines: list[str]) -> list[path_rewrite.Rewritten]:
    asyncio.run(path_rewrite.read(facts, log_hub(lines)))
    return path_rewrite.found(facts)


TRAEFIK = 'spec.stripPrefixRegex.regex = ["^/api/v[0-9]+"]'
NGINX = "metadata.annotations.nginx.ingress.kubernetes.io/rewrite-target '/$1/$2' -> '/$2'"


def test_traefik_strip_regex_eats_the_version() -> None:
    lines = _lines(_clf, ["/v2/invoices", "/v2/invoices/77?expand=lines"], [("/invoices", 404), ("/invoices/77", 404)])
    [hit] = _run(_facts("Middleware", "api-strip", TRAEFIK, lines), lines)
    assert hit.segment == "/v2" and ("/v2/invoices", "/invoices") in hit.examples
    message = path_rewrite.finding(hit)["message"]
    assert message.startswith("Middleware apis/api-strip changed the path rewrite 50 min before")
    assert "strips /v2 from the path" in message and "404" in message


def test_nginx_rewrite_target_drops_a_segment_json_backend() -> None:
    lines = _lines(_json, ["/acme/reports/9", "/acme/reports"], [("/reports/9", 404), ("/reports", 404)])
    [hit] = _run(_facts("Ingress", "billing", NGINX, lines), lines)
    assert hit.segment == "/acme" and hit.rule.kind == "Ingress"


def test_twins_name_nothing() -> None:
    unrelated = _lines(_clf, ["/v2/invoices", "/v2/customers"], [("/v3/refunds", 404), ("/admin", 404)])
    assert _run(_facts("Middleware", "api-strip", TRAEFIK, unrelated), unrelated) == []
    already = _lines(_clf, ["/v2/invoices"], [("/invoices", 404), ("/invoices/77", 404)])
    already.insert(0, _clf(WRITE - timedelta(hours=1), "/invoices/1", 404))  # the 404s predate the write
    assert _run(_facts("Middleware", "api-strip", TRAEFIK, already), already) == []
    served = _lines(_clf, ["/v2/invoices", "/v2/invoices/77"], [("/v2/invoices", 200), ("/v2/invoices/77", 200)])
    assert _run(_facts("Middleware", "api-strip", TRAEFIK, served), served) == []  # nothing 404s: read not even done


def test_lost_segment() -> None:
    assert path_rewrite.lost("/v1/orders", "/orders") == "/v1"
    assert path_rewrite.lost("/orders", "/api/orders") == "+/api"
    assert path_rewrite.lost("/orders", "/shipments") == ""
    assert path_rewrite.lost("/v1/", "/") == ""
