"""agent.triage.secret_delivery: a secret-delivery object written, and its controller can no longer produce the Secret.

Shapes: a Bitnami SealedSecret re-sealed for another controller (the controller's Warning event `ErrUnsealFailed: no
key could decrypt secret`; the consumer references nothing by name but the Secret is named after it; its log shows
SMTP 535); an External Secrets ExternalSecret whose `remoteRef` moved (a False Ready condition `SecretSyncedError`,
no event; the consumer reads the Secret by envFrom). Twins: a controller failing since before the write; a
healthy object; a failing object nobody in its namespace reads; a workload whose name is only a prefix of a word;
and `read` going through the hub (object, events, workloads, one log).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage.facts import Facts, Ref
from agent.triage.secret_delivery import STORE, found, named_for, read, referenced_secrets, secret_names, suspects
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 9, 3, 14, 0, tzinfo=UTC)
WRITTEN = AT - timedelta(minutes=80)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


SEALED: dict[str, Any] = {
    "apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
    "metadata": {"name": "sender-smtp", "namespace": "comms"},
    "spec": {"encryptedData": {"SMTP_PASSWORD": "AgB..."}, "template": {"metadata": {"name": "sender-smtp"}}},
    "status": {"conditions": [{"type": "Synced", "status": "False", "reason": "ErrUnsealFailed",
                               "message": "no key could decrypt secret (SMTP_PASSWORD)",
                               "lastTransitionTime": iso(WRITTEN + timedelta(minutes=1))}]}}

EXTERNAL: dict[str, Any] = {
    "apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret",
    "metadata": {"name": "warehouse-db", "namespace": "stock"},
    "spec": {"target": {"name": "warehouse-db-credentials"}, "data": [{"secretKey": "password",
                                                                         "remoteRef": {"key": "prod/warehouse/db"}}]},
    "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "SecretSyncedError",
                               "message": "could not get secret data from provider",
                               "lastTransitionTime": iso(WRITTEN + timedelta(minutes=2))}]}}

UNSEAL_EVENT = {"type": "Warning", "reason": "ErrUnsealFailed", "kind": "SealedSecret", "name": "sender-smtp",
                "namespace": "comms", "message": "Failed to unseal: no key could decrypt secret (SMTP_PASSWORD)",
                "count": 14, "first_seen": iso(WRITTEN + timedelta(seconds=30)), "source": "sealed-secrets-controller"}


def log_data(pod: str, ns: str, example: str, error_class: str = "auth_failure") -> dict[str, Any]:
    return {"pod": pod, "namespace": ns, "facts": {"hosts": [], "errors": [
        {"error_class": error_class, "severity": "error", "example": example, "first_seen": iso(WRITTEN)}]}}


def write_of(kind: str, ns: str, name: str, at: datetime, field_name: str) -> dict[str, Any]:
    return {"at": iso(at), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by kubectl-client-side-apply (generation 4): {field_name} = …",
            "diff": [f"{field_name} = …"]}


def facts_of(obj: dict[str, Any], events: list[dict[str, Any]], workloads: list[tuple[str, str, list[str], str, str]],
             logs: dict[str, Any], write_at: datetime = WRITTEN) -> Facts:
    meta = obj["metadata"]
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [write_of(obj["kind"], meta["namespace"], meta["name"], write_at, "spec.x")]}
    facts.reads[STORE] = {"objects": [(obj, "O1")], "events": {meta["namespace"]: (events, "EV1")},
                          "workloads": {meta["namespace"]: workloads}, "logs": logs}
    return facts


def sealed_facts(**kw: Any) -> Facts:
    workloads = [("Deployment", "sender", [], "sender-7d9f8c6b5-x2k4q", "W1"),
                 ("Deployment", "prefs", ["prefs-db"], "prefs-5c8d7b9f6-q7z2m", "W2")]
    logs = {"sender-7d9f8c6b5-x2k4q": (log_data("sender-7d9f8c6b5-x2k4q", "comms", "2026-09-03T13:50:00Z "
                                                "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Authentication "
                                                "credentials invalid')"), "L1")}
    return facts_of(kw.pop("obj", SEALED), kw.pop("events", [UNSEAL_EVENT]), workloads, logs, **kw)


def test_sealed_secret_that_cannot_be_unsealed_is_blamed_with_its_controllers_words() -> None:
    (ref, finding, evidence, explains), = suspects(sealed_facts())
    assert ref == Ref("SealedSecret", "comms", "sender-smtp")
    assert explains == [Ref("Deployment", "comms", "sender")]  # named after it; prefs reads another Secret
    head = finding["message"][:400]
    assert "no key could decrypt" in head and "sealed-secrets-controller" in head and "kubeseal" in head
    assert "535" in finding["message"]
    assert {"C1", "O1", "EV1", "W1", "L1"} <= set(evidence)


def test_external_secret_failing_to_sync_is_blamed_for_the_reader_by_reference() -> None:
    workloads = [("StatefulSet", "ledger", ["warehouse-db-credentials"], "ledger-0", "W1")]
    logs = {"ledger-0": (log_data("ledger-0", "stock", 'FATAL: password authentication failed for user "wh"'), "L1")}
    (ref, finding, _, explains), = suspects(facts_of(EXTERNAL, [], workloads, logs))
    assert ref == Ref("ExternalSecret", "stock", "warehouse-db")
    assert explains == [Ref("StatefulSet", "stock", "ledger")]
    assert "SecretSyncedError: could not get secret data from provider" in finding["message"]
    assert "Secret warehouse-db-credentials" in finding["message"] and "which reads it" in finding["message"]
    assert "password authentication failed" in finding["message"]


def test_twin_failing_since_before_the_write_is_not_this_writes_doing() -> None:
    assert found(sealed_facts(write_at=WRITTEN + timedelta(minutes=20))) == []  # a fix attempted while it failed


def test_twin_a_healthy_delivery_object_is_not_named() -> None:
    healthy = {**SEALED, "status": {"conditions": [{"type": "Synced", "status": "True", "reason": "",
                                                    "lastTransitionTime": iso(WRITTEN)}]}}
    assert found(sealed_facts(obj=healthy, events=[])) == []


def test_twin_nobody_in_the_namespace_reads_the_secret() -> None:
    workloads = [("Deployment", "other", ["other-db"], "other-6b7c8d9f5-t5w9k", "W1")]
    assert found(facts_of(EXTERNAL, [], workloads, {})) == []


def test_names_and_references_are_read_by_each_kinds_documented_field() -> None:
    assert secret_names(SEALED) == ["sender-smtp"] and secret_names(EXTERNAL) == ["warehouse-db-credentials"]
    assert secret_names({"kind": "VaultStaticSecret", "metadata": {"name": "v"},
                         "spec": {"destination": {"name": "app-creds"}}}) == ["app-creds"]
    assert secret_names({"kind": "SecretProviderClass", "metadata": {"name": "spc"},
                         "spec": {"secretObjects": [{"secretName": "tls-synced"}]}}) == ["tls-synced"]
    deployment = {"spec": {"template": {"spec": {
        "containers": [{"env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "a"}}}],
                        "envFrom": [{"secretRef": {"name": "b"}}]}],
        "volumes": [{"secret": {"secretName": "c"}}, {"projected": {"sources": [{"secret": {"name": "d"}}]}}]}}}}
    assert referenced_secrets(deployment) == {"a", "b", "c", "d"}
    assert named_for("mailer", "mailer-smtp") and not named_for("mail", "mailer-smtp")


@dataclass
class Hub:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def call(self, tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        self.calls.append((tool, args))
        if tool == "k8s_get" and args["kind"] == "SealedSecret":
            return outcome(True, full_text=yaml.safe_dump(SEALED), evidence_id="G1")
        if tool == "k8s_get" and args["kind"] == "Deployment" and args["name"] == "sender":
            spec = {"kind": "Deployment", "metadata": {"name": "sender", "namespace": "comms"},
                    "spec": {"template": {"spec": {"containers": [{"name": "sender"}]}}}}
            return outcome(True, full_text=yaml.safe_dump(spec), evidence_id="G2")
        if tool == "k8s_get":
            return outcome(False, evidence_id="GX")
        if tool == "k8s_events":
            return outcome(True, {"events": [UNSEAL_EVENT]}, evidence_id="E1")
        if tool == "k8s_list":
            return outcome(True, {"rows": [{"name": "sender-7d9f8c6b5-x2k4q"}]}, evidence_id="P1")
        return outcome(True, log_data("sender-7d9f8c6b5-x2k4q", "comms", "535 5.7.8 auth failed"), evidence_id="L1")


def test_read_goes_through_the_hub_and_keeps_names_only() -> None:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [write_of("SealedSecret", "comms", "sender-smtp", WRITTEN, "spec.encryptedData")]}
    hub = Hub()
    asyncio.run(read(Subject(), facts, hub.call, iso(AT)))
    tools = [t for t, _ in hub.calls]
    assert tools[:3] == ["k8s_get", "k8s_events", "k8s_list"] and tools[-1] == "k8s_logs"
    store = facts.reads[STORE]
    assert store["workloads"]["comms"] == [("Deployment", "sender", [], "sender-7d9f8c6b5-x2k4q", "G2")]
    assert found(facts)[0].consumers == [Ref("Deployment", "comms", "sender")]
