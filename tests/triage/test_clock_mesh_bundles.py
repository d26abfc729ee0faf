"""A node's wrong clock and a plaintext client under STRICT mTLS, end to end.

Two incident bundles written by the corpus generator's own writer (examples/corpus), served by the replay API
server and Debian's Prometheus, investigated blind in runbook-only mode and scored against their answer keys, as
`vigil eval` does. Neither is the held-out round-3 story in other words: other languages, other libraries, other
policy scopes.

- Clock: session-api (Java, jjwt) on one of three nodes rejects fresh tokens with jjwt's own
  `io.jsonwebtoken.PrematureJwtException: JWT must not be accepted before ...`; node_exporter's timex gauges say
  that node is 38 s behind and unsynchronised. Its pods elsewhere serve normally; a chat question, no alert.
- Mesh: reconcile-report (Node.js, no sidecar) calls ledger-api, whose pods run istio-proxy and are selected by a
  workload-level PeerAuthentication with mode STRICT (the mesh-wide one is PERMISSIVE); every call dies with
  Node's "socket hang up" (ECONNRESET).

Each has a red herring logging errors of its own.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]

M = timedelta(minutes=1)


def _herring(inc: Incident, ns: str, at: datetime) -> None:
    noisy: L.LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 90, lambda i, t: L.pylog(  # noqa: E731
        t, "ERROR", "mailer.smtp", f"SMTPServerDisconnected: Connection unexpectedly closed (attempt {i % 3 + 1})")))
    inc.deployment(ns, "notice-mailer", [Rev(3, at - timedelta(days=30), "deploy 1.0.7", [
        c("mailer", f"{REGISTRY}/{ns}/notice-mailer:1.0.7")])], {3: [P(log=noisy)]})


def clock_behind() -> Incident:
    """session-api's pod on one node rejects fresh tokens as not yet valid: that node's clock is 38 s behind."""
    at = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    inc = Incident("session-api-premature-jwt", title="members logged out", story=clock_behind.__doc__ or "",
                   at=at, seed=911, namespaces=("members",))
    nodes = inc.node_names()
    skewed = nodes[1]

    def api_log(behind: bool) -> L.LogFn:
        def write(pod: str, start: datetime, end: datetime) -> str:
            def line(i: int, t: datetime) -> str:
                if behind and t > at - 40 * M and i % 3:
                    now = t - timedelta(seconds=38.4)
                    return L.spring(t, "WARN", "c.e.members.auth.JwtFilter",
                                    "Rejected bearer token: io.jsonwebtoken.PrematureJwtException: JWT must not be "
                                    f"accepted before {t.strftime('%Y-%m-%dT%H:%M:%SZ')}. Current time: "
                                    f"{now.strftime('%Y-%m-%dT%H:%M:%SZ')}, a difference of 38412 milliseconds.  "
                                    "Allowed clock skew: 0 milliseconds.")
                return L.spring(t, "INFO", "c.e.members.web.AccessLog", f"GET /v1/members/me 200 {11 + i % 7}ms")
            return L.lines(L.ticker(max(start, at - 60 * M), end, 10, line))
        return write

    inc.deployment("members", "session-api", [Rev(9, at - timedelta(days=8), "deploy 2.4.0", [
        c("session-api", f"{REGISTRY}/members/session-api:2.4.0")])],
        {9: [P(log=api_log(False), node=nodes[0]), P(log=api_log(True), node=skewed),
             P(log=api_log(False), node=nodes[2])]})
    for n in nodes:
        labels = {"job": "node-exporter", "instance": f"10.0.{nodes.index(n)}.10:9100", "node": n}
        off = n == skewed
        inc.series("node_timex_offset_seconds", "gauge", "Time offset in between local system and reference clock.",
                   {**labels}, lambda t, off=off: -38.4 if off and t > at - 45 * M else 0.00012)
        inc.series("node_timex_sync_status", "gauge", "Is clock synchronized to a reliable server (1 = yes, 0 = no).",
                   {**labels}, lambda t, off=off: 0.0 if off and t > at - 50 * M else 1.0)
    _herring(inc, "members", at)
    inc.ask("members say session-api logs them out at random, some requests come back 401: why?")
    inc.answer_key(culprit=("Node", "", skewed), keywords=["clock", "skew", "38.4"],
                   root_cause=f"node {skewed}'s clock is 38 s behind and unsynchronised, so session-api's pod "
                              "there reads fresh tokens as not yet valid.",
                   category="node-clock-skew-jwt", red_herrings=[("Deployment", "members", "notice-mailer")])
    return inc


def strict_mtls() -> Incident:
    """reconcile-report has no sidecar; ledger-api's workload PeerAuthentication went STRICT: every call is reset."""
    at = datetime(2026, 11, 27, 7, 45, tzinfo=UTC)
    inc = Incident("reconcile-report-resets", title="reconcile-report failing", story=strict_mtls.__doc__ or "",
                   at=at, seed=912, namespaces=("reports", "ledger", "istio-system"))
    url = "http://ledger-api.ledger.svc.cluster.local:8080"

    def client_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < at - 30 * M:
                return L.js(t, "info", "reconciled batch", batch=5100 + i, entries=300 + i % 40)
            return L.js(t, "error", "reconcile run failed",
                        err=f"FetchError: request to {url}/v1/entries?day=2026-11-26 failed, reason: socket hang up",
                        code="ECONNRESET")
        return L.lines(L.ticker(max(start, at - 60 * M), end, 30, line))

    inc.deployment("reports", "reconcile-report", [Rev(4, at - timedelta(days=15), "deploy 1.8.2", [
        c("reconcile-report", f"{REGISTRY}/reports/reconcile-report:1.8.2",
          env=[{"name": "LEDGER_URL", "value": url}])])], {4: [P(log=client_log)]})
    served: L.LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 20, lambda i, t: L.js(  # noqa: E731
        t, "info", "request served", path="/v1/entries", status=200, ms=20 + i % 9, caller_ns="shop")))
    inc.deployment("ledger", "ledger-api", [Rev(12, at - timedelta(days=20), "deploy 5.1.0", [
        c("ledger-api", f"{REGISTRY}/ledger/ledger-api:5.1.0"),
        c("istio-proxy", "docker.io/istio/proxyv2:1.23.2", port=15090, readiness_path=None, liveness_path=None)])],
        {12: [P(log=served), P(log=served)]})
    inc.service("ledger", "ledger-api", {"app": "ledger-api"}, port=8080, target=8080)
    inc.add({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
             "metadata": {"name": "default", "namespace": "istio-system"}, "spec": {"mtls": {"mode": "PERMISSIVE"}}})
    inc.add({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
             "metadata": {"name": "ledger-api-mtls", "namespace": "ledger",
                          "creationTimestamp": (at - 32 * M).strftime("%Y-%m-%dT%H:%M:%SZ")},
             "spec": {"selector": {"matchLabels": {"app": "ledger-api"}}, "mtls": {"mode": "STRICT"}}})
    _herring(inc, "reports", at)
    inc.ask("reconcile-report in reports has failed every run for half an hour, what broke?")
    inc.answer_key(culprit=("PeerAuthentication", "ledger", "ledger-api-mtls"), keywords=["STRICT", "sidecar"],
                   root_cause="PeerAuthentication ledger/ledger-api-mtls requires mTLS for ledger-api; "
                              "reconcile-report has no sidecar, so its plaintext calls are reset.",
                   category="mesh-mtls-strict-non-mesh-client",
                   red_herrings=[("Deployment", "reports", "notice-mailer")])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((clock_behind, strict_mtls), tmp_path_factory.mktemp("clock-mesh"))


@pytest.mark.parametrize(("bundle", "words"), [
    ("session-api-premature-jwt", ("clock skew", "38.4 s behind", "node_timex_sync_status 0",
                                   "JWT must not be accepted before")),
    ("reconcile-report-resets", ("PeerAuthentication ledger/ledger-api-mtls", "STRICT", "workloads in ledger",
                                 "no istio-proxy container", "socket hang up", "32 min before the alert")),
])
def test_the_clock_or_the_policy_is_named(results: dict[str, object], bundle: str, words: tuple[str, ...]) -> None:
    row = results[bundle]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert all(w in top for w in words), top
