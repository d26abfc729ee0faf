"""A rewrite that collapses every request path to one constant (issue #12, round 18 class), and a scan finding the
recording could not verify that must not outrank real evidence.

Written here, not taken from the held-out bundles: an ingress-nginx `rewrite-target: /$2` on a plain Prefix path
(no capture group: every request reaches a logfmt backend as `/`), and a Traefik Middleware `replacePathRegex`
whose replacement names a group its regex lacks (a common-log-format backend gets `/api` for every path). Negative
twins: a health probe's 404 on `/` while the real paths are still served, a rewrite whose groups exist, and a
collapse already there before the write.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from agent.incident import from_text
from agent.triage import path_rewrite, rank, subject_of
from agent.triage.facts import Facts, LogEvidence
from agent.triage.rank import UNVERIFIED, cause_weight
from tests.triage.test_path_rewrite import AT, WRITE, _clf, _iso, log_hub
from tests.triage.test_symptom_fit import CRASH, TLS_FINDING


def _logfmt(t: Any, path: str, status: int) -> str:
    quoted = f'"{path}"' if "?" in path else path
    return (f'{_iso(t)} time={_iso(t)} level=info msg="request" method=GET path={quoted} status={status} '
            f"duration=3ms remote=10.244.1.12")


def _lines(fmt: Any, before: list[str], after: list[tuple[str, int]]) -> list[str]:
    out = [fmt(WRITE - timedelta(minutes=30) + timedelta(seconds=20 * i), p, 200) for i, p in enumerate(before * 4)]
    out += [fmt(WRITE + timedelta(seconds=30 + 20 * i), p, s) for i, (p, s) in enumerate(after * 4)]
    return out


def _ingress(path: str, target: str) -> str:
    return f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: rates-public
  namespace: apis
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: "{target}"
spec:
  rules:
  - host: rates.example.com
    http:
      paths:
      - path: {path}
        pathType: Prefix
        backend:
          service:
            name: rates
            port:
              number: 80
"""


def _facts(kind: str, name: str, diff: str, lines: list[str]) -> Facts:
    change = {"at": _iso(WRITE), "type": "other", "object": {"kind": kind, "namespace": "apis", "name": name},
              "summary": f"{kind} apis/{name} written by kubectl-edit: {diff}", "diff": [diff]}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")
    facts.logs.append(LogEvidence(pod="rates-6c8d9f7b5-zq2xw", namespace="apis", evidence_id="E6", top=None,
                                  hosts=[], error_classes=set(), previous=False, last_lines=lines[-2:]))
    return facts


def _run(facts: Facts, lines: list[str], ingress: str = "") -> list[path_rewrite.Rewritten]:
    asyncio.run(path_rewrite.read(facts, log_hub(lines, ingress)))
    return path_rewrite.found(facts)


NGINX = "metadata.annotations.nginx.ingress.kubernetes.io/rewrite-target written by kubectl-edit (now '/$2')"
TRAEFIK = "spec.replacePathRegex.replacement = '/api/$1'"
SERVED = ["/v2/rates?lane=DE-FR", "/v2/bookings/BK-1", "/v2/rates?lane=NL-BE"]


def test_rewrite_target_without_capture_group_sends_every_path_as_root_logfmt_backend() -> None:
    lines = _lines(_logfmt, SERVED, [("/", 404)])
    facts = _facts("Ingress", "rates-public", NGINX, lines)
    [hit] = _run(facts, lines, _ingress("/quotes", "/$2"))
    assert hit.segment == path_rewrite.COLLAPSED and hit.rule.name == "rates-public"
    message = path_rewrite.finding(hit)["message"]
    assert message.startswith("Ingress apis/rates-public changed the path rewrite 50 min before the incident and "
                              "now rewrites every request path to /")
    assert "capture group $2" in message and "/quotes (0 capture groups)" in message and "404" in message[:400]


def test_replace_path_regex_collapses_to_a_prefix_clf_backend() -> None:
    lines = _lines(_clf, ["/api/orders/1", "/api/orders", "/api/refunds/9"], [("/api/", 404)] * 5 + [("/healthz", 200)])
    [hit] = _run(_facts("Middleware", "api-rewrite", TRAEFIK, lines), lines)
    assert hit.segment == path_rewrite.COLLAPSED and hit.examples[0][1] == "/api/"
    assert "rewrites every request path to /api/" in path_rewrite.finding(hit)["message"]


def test_twins_probe_404_beside_served_traffic_groups_present_and_collapse_before_the_write() -> None:
    probe = _lines(_logfmt, SERVED, [("/", 404), ("/v2/rates", 200), ("/v2/bookings/BK-1", 200)])
    assert _run(_facts("Ingress", "rates-public", NGINX, probe), probe) == []  # the real paths still arrive
    already = _lines(_logfmt, [*SERVED, "/"], [("/", 404)])  # "/" was asked for before the write too
    assert _run(_facts("Ingress", "rates-public", NGINX, already), already) == []
    one = _lines(_logfmt, ["/v2/rates"], [("/", 404)])  # one path served: cannot tell a collapse from a typo
    assert _run(_facts("Ingress", "rates-public", NGINX, one), one) == []


def test_capture_gap() -> None:
    assert path_rewrite.capture_gap("/$2", ["/quotes"]).startswith("the rewrite-target /$2 refers to regex capture "
                                                                    "group $2, but the path regex /quotes")
    assert path_rewrite.capture_gap("/$2", ["/quotes(/|$)(.*)"]) == ""
    assert path_rewrite.capture_gap("/", ["/quotes"]) == ""
    assert path_rewrite.capture_gap("/${1}", ["/a"]) != ""


def test_a_finding_the_recording_could_not_verify_never_outranks_real_evidence() -> None:
    """Browsers report certificate errors, so a missing TLS Secret would fit; but when the recording held no Secrets
    the finding only says "cannot check", and a crashing backend (real evidence) leads. The twin: the Secret is
    known to be missing, and it leads as before (the cluster of tests/triage/test_symptom_fit.py)."""
    unverified = {**TLS_FINDING, "reason": "SecretNotCollected", "severity": "info",
                  "details": {"secret": "storefront-tls", "absence_known": False}}
    known = {**TLS_FINDING, "details": {"secret": "storefront-tls", "absence_known": True}}
    assert cause_weight(unverified) == UNVERIFIED < cause_weight(known)
    question = subject_of(from_text("browsers say the certificate of storefront in namespace shop is invalid"))
    top = rank(question, Facts(at=AT, scan_id="E1", scan={"findings": [unverified, CRASH]}))
    assert top and top[0].check == "pod.crashloop"
    twin = rank(question, Facts(at=AT, scan_id="E1", scan={"findings": [known, CRASH]}))
    assert twin[0].check == "ingress.missing_tls_secret"
