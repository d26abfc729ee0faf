"""agent.triage.key_split: a signing-key Secret rewritten while one workload's pods started on both sides of it.

Shapes: a Django app whose chart regenerated SECRET_KEY on a helm upgrade (seen in the Secret's managedFields),
the older replicas kept the old key and a later scale-up started pods with the new one (`CSRF token from POST
incorrect`, `Session data corrupted`); a Rails app whose secret_key_base an operator re-applied (seen in the
timeline) and a node drain rescheduled one replica (`InvalidAuthenticityToken`). Twins: every pod started after the
write (one key everywhere); none did; the write is a database password; the rejections began before any newer pod
started; a missing CSRF cookie is no key mismatch.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence
from agent.triage.key_split import STORE, found, key_writes, rejects, signing_key, suspects

AT = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
DJANGO = "WARNING django.security.csrf: Forbidden (CSRF token from POST incorrect.): /admin/"
RAILS = "ActionController::InvalidAuthenticityToken (ActionController::InvalidAuthenticityToken)"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def log(pod: str, ns: str, message: str, first: datetime) -> LogEvidence:
    entry = {"message": message, "example": message, "first_seen": iso(first), "severity": "warning"}
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=None, hosts=[], error_classes=set(),
                       previous=False, warnings=[entry])


def pods(prefix: str, starts: list[datetime], secret: str) -> list[dict[str, Any]]:
    return [{"pod": f"{prefix}-{i}", "started": iso(t), "phase": "Running", "deleting": False,
             "reads": [{"name": secret, "via": "envFrom"}]} for i, t in enumerate(starts)]


def django(starts: list[datetime], key: str = "DJANGO_SECRET_KEY", first: datetime = AT - timedelta(minutes=15),
           message: str = DJANGO) -> Facts:
    """backoffice/admin reads Secret admin-django; helm wrote it 40 min ago (managedFields)."""
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": []}
    facts.logs = [log("admin-6d8f7c9b5-x2k4q", "backoffice", message, first)]
    facts.reads[STORE] = {"workloads": [{
        "workload": "admin", "namespace": "backoffice", "evidence": ["P1"],
        "pods": pods("admin-6d8f7c9b5", starts, "admin-django"),
        "secrets": [{"name": "admin-django", "evidence": "S1",
                     "writes": [{"at": iso(AT - timedelta(minutes=40)), "by": "helm", "keys": [key]}]}]}]}
    return facts


OLD, NEW = AT - timedelta(days=2), AT - timedelta(minutes=18)


def test_framework_wordings_and_key_names() -> None:
    for text in (DJANGO, RAILS, "Session data corrupted", "itsdangerous.exc.BadSignature: Signature b'x' does not "
                 "match", "Illuminate\\Contracts\\Encryption\\DecryptException: The MAC is invalid.",
                 "The antiforgery token could not be decrypted."):
        assert rejects({"message": text}), text
    for text in ("Forbidden (CSRF cookie not set.): /login", "session expired, redirecting", "GET / 200"):
        assert not rejects({"message": text}), text
    assert signing_key("DJANGO_SECRET_KEY") and signing_key("secret_key_base") and signing_key("SESSION_SECRET")
    assert not signing_key("DATABASE_PASSWORD") and not signing_key("SESSION_REDIS_URL")


def test_key_writes_reads_managed_fields_names_only() -> None:
    secret = {"metadata": {"managedFields": [{"manager": "helm", "time": "2026-09-01T11:20:00Z",
                                              "fieldsV1": {"f:data": {"f:SECRET_KEY": {}}}},
                                             {"manager": "kubectl", "time": "2026-08-01T11:20:00Z",
                                              "fieldsV1": {"f:metadata": {"f:labels": {}}}}]},
              "data": {"SECRET_KEY": "c2VjcmV0"}}
    assert key_writes(secret) == [(datetime(2026, 9, 1, 11, 20, tzinfo=UTC), "helm", ["SECRET_KEY"])]


def test_django_helm_regenerated_key_split_by_scale_up_names_the_secret() -> None:
    hits = suspects(django([OLD, OLD, NEW, NEW]))
    assert len(hits) == 1
    ref, finding, _, explains = hits[0]
    assert (ref.kind, ref.name) == ("Secret", "admin-django") and explains[0].name == "admin"
    head = finding["message"][:400]
    assert "DJANGO_SECRET_KEY" in head and "helm upgrade" in head and "replicas" in head and "regenerated" in head
    assert "c2VjcmV0" not in str(finding)


def test_rails_key_re_applied_in_timeline_and_one_pod_rescheduled() -> None:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [{"at": iso(AT - timedelta(minutes=50)), "type": "secret",
                                  "object": {"kind": "Secret", "namespace": "shop", "name": "web-rails"},
                                  "summary": "Secret shop/web-rails updated by kubectl-client-side-apply: data key "
                                             "secret_key_base set", "diff": [], "related": []}]}
    facts.logs = [log("web-7f9c8d6b4-m4n8p", "shop", RAILS, AT - timedelta(minutes=9))]
    facts.reads[STORE] = {"workloads": [{"workload": "web", "namespace": "shop", "evidence": [],
                                         "pods": pods("web-7f9c8d6b4", [OLD, OLD, AT - timedelta(minutes=10)],
                                                      "web-rails"), "secrets": []}]}
    hits = found(facts)
    assert len(hits) == 1 and hits[0].secret.name == "web-rails" and hits[0].keys == ["secret_key_base"]
    assert hits[0].by == "kubectl-client-side-apply" and len(hits[0].older) == 2


def test_twins_one_key_everywhere_nobody_loaded_a_password_or_rejections_before() -> None:
    assert not found(django([NEW, NEW]))                       # every pod has the new key
    assert not found(django([OLD, OLD]))                       # nobody loaded it yet
    assert not found(django([OLD, NEW], key="DATABASE_PASSWORD"))
    assert not found(django([OLD, NEW], first=AT - timedelta(minutes=35)))   # before the newer pod started
    assert not found(django([OLD, NEW], message="Forbidden (CSRF cookie not set.): /admin/"))
