"""Data gone after an expiry rule was written, end to end: incident bundles of our own, investigated blind and scored.

Written with the corpus generator's writer (examples/corpus), served by the replay API server and Debian's
Prometheus, investigated in runbook-only mode as `vigil eval` does. Two shapes and a negative twin, none of them
the held-out round's software:

- a NATS JetStream Stream custom resource (NACK's jetstream.nats.io) written by kubectl with `maxAge: 10m`;
  receipts-api's gets answer `nats: message not found`; a receipts-ui rollout after the onset is a red herring;
- a ConfigMap key `SESSION_TTL_SECONDS` written 40 min before; session-gateway logs "session ... not found";
- the twin: the same Stream written, but receipts-api printed `message not found` for a day before it: not named.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _missing(onset: datetime, what: str) -> L.LogFn:
    def log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, onset), end, 30, lambda i, t: L.logfmt(
            t, "error", f"get {what} failed", id=f"{what[:3]}-{88100 + 13 * i}", err=f"nats: {what} not found")
            if i % 2 else L.logfmt(t, "info", "request served", status=200, duration_ms=9)))
    return log


def _quiet(pod: str, start: datetime, end: datetime) -> str:
    return L.lines(L.ticker(start, end, 300, lambda i, t: L.logfmt(t, "info", "request served", status=200,
                                                                 duration_ms=12)))


def _stream(inc: Incident, at: datetime, written: datetime) -> None:
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": "streams.jetstream.nats.io"},
             "spec": {"group": "jetstream.nats.io", "scope": "Namespaced",
                      "names": {"kind": "Stream", "listKind": "StreamList", "plural": "streams", "singular": "stream"},
                      "versions": [{"name": "v1beta2", "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": {"kind": "Stream", "plural": "streams"}, "storedVersions": ["v1beta2"]}})
    created = at - timedelta(days=30)
    inc.add({"apiVersion": "jetstream.nats.io/v1beta2", "kind": "Stream",
             "metadata": {"name": "receipts", "namespace": "nats", "generation": 3, "creationTimestamp": _ts(created),
                          "managedFields": [
                              {"manager": "helm", "operation": "Update", "apiVersion": "jetstream.nats.io/v1beta2",
                               "time": _ts(created), "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}},
                              {"manager": "kubectl-edit", "operation": "Update",
                               "apiVersion": "jetstream.nats.io/v1beta2", "time": _ts(written),
                               "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:maxAge": {}}}}]},
             "spec": {"name": "receipts", "subjects": ["receipts.>"], "storage": "file", "replicas": 3,
                      "retention": "limits", "maxAge": "10m"}})


def _nats_incident(name: str, seed: int, errors_since: timedelta) -> Incident:
    at = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
    written = at - 70 * M
    inc = Incident(name, title="receipt lookups fail", story="a JetStream max age", at=at, seed=seed,
                   namespaces=("billing", "nats"))
    inc.deployment("billing", "receipts-api", [Rev(5, at - timedelta(days=8), "deploy 5.1.0", [
        c("receipts-api", f"{REGISTRY}/billing/receipts-api:5.1.0",
          env=[{"name": "NATS_URL", "value": "nats://nats.nats.svc:4222"},
               {"name": "RECEIPTS_STREAM", "value": "receipts"}])])],
        {5: [P(log=_missing(at - errors_since, "message")), P(log=_missing(at - errors_since, "message"))]})
    inc.statefulset("nats", "nats", [c("nats", "nats:2.10", port=4222)], [P(log=_quiet)], at - timedelta(days=90),
                    service=4222)
    inc.deployment("billing", "receipts-ui", [
        Rev(2, at - timedelta(days=9), "deploy 2.0.0", [c("ui", f"{REGISTRY}/billing/receipts-ui:2.0.0")]),
        Rev(3, at - 10 * M, "deploy 2.0.1", [c("ui", f"{REGISTRY}/billing/receipts-ui:2.0.1")])],
        {3: [P(log=_quiet)]})
    _stream(inc, at, written)
    inc.ask("Customers who open an older receipt in receipts-api get an error; why are receipts missing?")
    if errors_since < 70 * M:
        inc.answer_key(culprit=("Stream", "nats", "receipts"), keywords=["maxAge", "expir"],
                       root_cause="The JetStream Stream receipts was edited to maxAge 10m; older messages expire.",
                       category="jetstream-max-age-cut", red_herrings=[("Deployment", "billing", "receipts-ui")])
    else:
        inc.answer_key(culprit=("Deployment", "billing", "receipts-api"), keywords=["receipts"],
                       root_cause="receipts are missing for a reason this bundle does not hold",
                       category="unexplained", red_herrings=[("Stream", "nats", "receipts")])
    return inc


def stream_cut() -> Incident:
    """The Stream's maxAge written 70 min before the alert; receipts-api misses messages from 55 min before."""
    return _nats_incident("receipts-missing-stream", 1201, 55 * M)


def stream_chronic() -> Incident:
    """The twin: receipts-api has printed `message not found` for a day, before the write."""
    return _nats_incident("receipts-missing-chronic", 1202, timedelta(hours=26))


def _sessions(pod: str, start: datetime, end: datetime) -> str:
    return L.lines(L.ticker(start, end, 20, lambda i, t: L.logfmt(
        t, "warn", "session not found in store, redirecting to login", sid=f"s{7000 + i}")
        if i % 3 == 0 else L.logfmt(t, "info", "request served", status=200, duration_ms=4)))


def session_ttl() -> Incident:
    """session-gateway-config's SESSION_TTL_SECONDS written 40 min before the alert: sessions vanish."""
    at = datetime(2026, 12, 8, 16, 0, tzinfo=UTC)
    inc = Incident("logins-lost-ttl", title="users logged out", story=session_ttl.__doc__ or "", at=at, seed=1203,
                   namespaces=("auth",))
    inc.configmap("auth", "session-gateway-config", {"SESSION_TTL_SECONDS": "120", "LOG_LEVEL": "info"},
                  at=at - 40 * M)
    inc.deployment("auth", "session-gateway", [Rev(3, at - timedelta(days=15), "deploy 3.3.0", [
        c("session-gateway", f"{REGISTRY}/auth/session-gateway:3.3.0",
          env=[{"name": "SESSION_TTL_SECONDS", "valueFrom": {"configMapKeyRef": {
              "name": "session-gateway-config", "key": "SESSION_TTL_SECONDS"}}}])])],
        {3: [P(log=lambda pod, s, e: _sessions(pod, max(s, at - 35 * M), e))]})
    inc.ask("Users of session-gateway are logged out every few minutes; why are their sessions disappearing?")
    inc.answer_key(culprit=("ConfigMap", "auth", "session-gateway-config"), keywords=["SESSION_TTL", "120"],
                   root_cause="SESSION_TTL_SECONDS was set to 120; sessions expire after two minutes.",
                   category="session-ttl-cut", red_herrings=[])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return investigate_blind((stream_cut, stream_chronic, session_ttl), tmp_path_factory.mktemp("expiry"))


@pytest.mark.parametrize(("bundle", "words"), [
    ("receipts-missing-stream", ("Stream nats/receipts set an expiry/TTL rule", "maxAge 10m", "message not found")),
    ("logins-lost-ttl", ("ConfigMap auth/session-gateway-config set an expiry/TTL rule", "SESSION_TTL_SECONDS")),
])
def test_the_writer_of_the_expiry_rule_is_named(results: dict[str, Any], bundle: str, words: tuple[str, ...]) -> None:
    row = results[bundle]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert all(w in top for w in words), top


def test_a_stream_written_after_the_errors_began_is_not_named(results: dict[str, Any]) -> None:
    top = str(getattr(results["receipts-missing-chronic"], "top", "") or "")
    assert "expiry/TTL rule" not in top, top
