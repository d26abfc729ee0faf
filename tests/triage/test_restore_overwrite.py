"""agent.triage.restore_overwrite: a backup restore's request, not the Secret it overwrote nor the refused reader.

Facts are shaped as the survey keeps them: the change timeline (a restore request written, then a Secret written
by the backup tool's server, its readers in `related`) and log evidence whose top error is an authentication
refusal with its first sighting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import restore_overwrite
from agent.triage.facts import Facts, LogEvidence, Ref

_AT = datetime(2026, 10, 7, 16, 0, tzinfo=UTC)


def _stamp(minutes_before: int) -> str:
    return (_AT - timedelta(minutes=minutes_before)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _log(ns: str, pod: str, message: str, first_before: int) -> LogEvidence:
    top = {"message": message, "error_class": "auth_failure", "first_seen": _stamp(first_before)}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top=top, hosts=[], error_classes={"auth_failure"},
                       previous=False)


def _restore(kind: str, ns: str, name: str, minutes: int, *diff: str) -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": "created", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} created", "diff": list(diff), "related": []}


def _secret(ns: str, name: str, writer: str, minutes: int, reader: str) -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": "updated", "object": {"kind": "Secret", "namespace": ns, "name": name},
            "summary": f"Secret {ns}/{name} written by {writer}: data key password",
            "diff": [f"data key password set by {writer}"],
            "related": [{"kind": "Deployment", "namespace": ns, "name": reader}]}


def _facts(log: LogEvidence, *changes: dict[str, Any]) -> Facts:
    return Facts(at=_AT, logs=[log], changes={"changes": list(changes)}, changes_id="E2")


_MYSQL = "SQLSTATE[HY000] [1045] Access denied for user 'ledger'@'10.4.2.9' (using password: YES)"


def test_stash_restore_session_overwriting_a_mysql_password_is_the_suspect() -> None:
    facts = _facts(_log("ledger", "ledger-api-6c9f7b5d4-t7k2q", _MYSQL, 40),
                   _restore("RestoreSession", "ledger", "nightly-back", 50, "spec.target.rules = overwrite"),
                   _secret("ledger", "ledger-mysql", "stash", 48, "ledger-api"))
    [hit] = restore_overwrite.found(facts)
    assert hit.restore == Ref("RestoreSession", "ledger", "nightly-back") and hit.writer == "stash"
    assert hit.secret == Ref("Secret", "ledger", "ledger-mysql") and hit.workload.name == "ledger-api"
    message = restore_overwrite.finding(hit, _AT)["message"]
    assert message.startswith("RestoreSession ledger/nightly-back was requested 50 min before the alert")
    assert "Access denied for user" in message and "Secret ledger/ledger-mysql" in message


def test_cluster_scoped_restore_naming_the_namespace_is_the_suspect() -> None:
    facts = _facts(_log("crm", "contacts-5d8f9c7b6-h2j4k", "HTTP 401 Unauthorized: invalid api key", 10),
                   _restore("Restore", "backups", "pre-upgrade", 30, "spec.namespaces = ['crm', 'billing']",
                            "spec.overwriteExisting = true"),
                   _secret("crm", "crm-api-keys", "k8up-operator", 25, "contacts"))
    [hit] = restore_overwrite.found(facts)
    assert hit.restore.name == "pre-upgrade" and hit.secret.name == "crm-api-keys"


def test_refusals_that_began_before_the_restore_do_not_blame_it() -> None:
    facts = _facts(_log("ledger", "ledger-api-6c9f7b5d4-t7k2q", _MYSQL, 90),
                   _restore("RestoreSession", "ledger", "nightly-back", 50, "spec.target.rules = overwrite"),
                   _secret("ledger", "ledger-mysql", "stash", 48, "ledger-api"))
    assert restore_overwrite.found(facts) == []


def test_a_person_writing_the_secret_after_a_restore_is_not_the_restores_act() -> None:
    facts = _facts(_log("ledger", "ledger-api-6c9f7b5d4-t7k2q", _MYSQL, 40),
                   _restore("RestoreSession", "ledger", "nightly-back", 50, "spec.target.rules = overwrite"),
                   _secret("ledger", "ledger-mysql", "kubectl-edit", 45, "ledger-api"))
    assert restore_overwrite.found(facts) == []


def test_a_restore_of_another_namespace_does_not_blame_it() -> None:
    facts = _facts(_log("crm", "contacts-5d8f9c7b6-h2j4k", "HTTP 401 Unauthorized: invalid api key", 10),
                   _restore("Restore", "backups", "pre-upgrade", 30, "spec.namespaces = ['billing']"),
                   _secret("crm", "crm-api-keys", "k8up-operator", 25, "contacts"))
    assert restore_overwrite.found(facts) == []


def test_a_restore_without_refusals_blames_nothing() -> None:
    log = LogEvidence(pod="ledger-api-6c9f7b5d4-t7k2q", namespace="ledger", evidence_id="E7",
                      top={"message": "connection reset by peer", "error_class": "upstream_reset",
                           "first_seen": _stamp(40)}, hosts=[], error_classes={"upstream_reset"}, previous=False)
    facts = _facts(log, _restore("RestoreSession", "ledger", "nightly-back", 50, "spec.target.rules = overwrite"),
                   _secret("ledger", "ledger-mysql", "stash", 48, "ledger-api"))
    assert restore_overwrite.found(facts) == []
