"""agent.triage.volume_source: a volume that stopped mounting because the object it is built from was changed.

Shapes: a Secrets Store CSI volume whose SecretProviderClass was edited to a provider version that no longer
exists (Azure Key Vault's `SecretNotFound`, the failure seen by the scan only); a projected ConfigMap volume whose
ConfigMap lost a key the volume's `items` asks for (`configmap references non-existent config key`, from the
warning events only). Twins: the write came after the mounts were already failing (an attempted fix); a write to
an object another volume is built from; a driver that is not registered (storage_layer's class); and `read`
reading the failing pod's spec through the hub, names only.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import storage_layer
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from agent.triage.volume_source import RECORD, read, suspects, volume_sources
from tests.triage.doubles import outcome

AT = datetime(2026, 9, 14, 11, 0, tzinfo=UTC)
POD = "quotes-7d9f8c6b5-x2k4q"
KEYVAULT = ('MountVolume.SetUp failed for volume "vault-certs" : rpc error: code = Unknown desc = failed to mount '
            'secrets store objects for pod pricing/quotes-7d9f8c6b5-x2k4q, err: rpc error: code = Unknown desc = '
            'failed to get objectType:secret, objectName:signing-cert, objectVersion:9a1b: keyvault.BaseClient#'
            'GetSecret: Failure responding to request: StatusCode=404 -- Original Error: Code="SecretNotFound" '
            'Message="A secret with (name/id) signing-cert/9a1b was not found in this key vault."')
MISSING_KEY = ('MountVolume.SetUp failed for volume "settings" : configmap references non-existent config key: '
               'routing.yaml')
UNREGISTERED = ('MountVolume.MountDevice failed for volume "vault-certs" : kubernetes.io/csi: attacher.MountDevice '
                'failed to create newCsiDriverClient: driver name secrets-store.csi.k8s.io not found in the list of '
                'registered CSI drivers')

POD_SPEC: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": POD, "namespace": "pricing"},
    "spec": {"containers": [{"name": "quotes", "image": "quotes:4.1"}], "volumes": [
        {"name": "vault-certs", "csi": {"driver": "secrets-store.csi.k8s.io", "readOnly": True,
                                        "volumeAttributes": {"secretProviderClass": "quotes-keyvault"}}},
        {"name": "settings", "projected": {"sources": [
            {"configMap": {"name": "quotes-routing", "items": [{"key": "routing.yaml", "path": "routing.yaml"}]}},
            {"secret": {"name": "quotes-tls"}}]}},
        {"name": "data", "persistentVolumeClaim": {"claimName": "quotes-cache"}},
        {"name": "tmp", "emptyDir": {}}]}}


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def write(kind: str, name: str, at: datetime, diff: str) -> dict[str, Any]:
    return {"at": iso(at), "type": "update", "object": {"kind": kind, "namespace": "pricing", "name": name},
            "summary": f"{kind} pricing/{name} written by kubectl-edit", "diff": [diff], "related": []}


def facts_with(changes: list[dict[str, Any]], message: str, first: datetime, via_scan: bool = True) -> Facts:
    """The failing pod's spec as `read` keeps it, the failure seen by the scan or only in the warning events."""
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": changes}
    if via_scan:
        facts.scan = {"findings": [{"check": "pod.mount_failed", "reason": "FailedMount", "since": iso(first),
                                    "object": {"kind": "Deployment", "namespace": "pricing", "name": "quotes"},
                                    "owner": {"kind": "Deployment", "namespace": "pricing", "name": "quotes"},
                                    "message": f"Deployment pricing/quotes: 1/2 pods FailedMount: {message}",
                                    "pods": [POD]}]}
    facts.reads[storage_layer.RECORD] = {"events": [{"kind": "Pod", "namespace": "pricing", "name": POD,
                                                     "reason": "FailedMount", "message": message,
                                                     "first_seen": iso(first)}], "objects": {}, "evidence": []}
    facts.reads[RECORD] = {"pods": [{"pod": POD, "namespace": "pricing", "evidence": "P1", "volumes": {
        name: [(s.target.kind, s.target.name, s.via) for s in sources]
        for name, sources in volume_sources(POD_SPEC, "pricing").items()}}]}
    return facts


def test_volume_sources_names_every_object_a_volume_is_built_from() -> None:
    got = {name: [(s.target.kind, s.target.name) for s in sources]
           for name, sources in volume_sources(POD_SPEC, "pricing").items()}
    assert got == {"vault-certs": [("SecretProviderClass", "quotes-keyvault")],
                   "settings": [("ConfigMap", "quotes-routing"), ("Secret", "quotes-tls")],
                   "data": [("PersistentVolumeClaim", "quotes-cache")], "tmp": []}


def test_provider_class_edited_before_the_csi_mount_failed_is_the_cause() -> None:
    facts = facts_with([write("SecretProviderClass", "quotes-keyvault", AT - timedelta(minutes=50),
                              "spec.parameters.objects: objectVersion '77c2' -> '9a1b'"),
                        write("ConfigMap", "quotes-flags", AT - timedelta(minutes=45), "data key beta set")],
                       KEYVAULT, AT - timedelta(minutes=44))
    hits = suspects(facts)
    assert [str(h[0]) for h in hits] == ["SecretProviderClass pricing/quotes-keyvault"]
    message = hits[0][1]["message"]
    assert message.startswith("SecretProviderClass pricing/quotes-keyvault was changed 50 min before")
    assert "volume vault-certs" in message and "FailedMount" in message and "SecretNotFound" in message
    assert "objectVersion '77c2' -> '9a1b'" in message
    assert hits[0][3] == [Ref("", "pricing", "quotes")]


def test_configmap_that_lost_a_key_a_projected_volume_asks_for_from_events_only() -> None:
    facts = facts_with([write("ConfigMap", "quotes-routing", AT - timedelta(minutes=20),
                              "data key routing.yaml removed")], MISSING_KEY, AT - timedelta(minutes=18),
                       via_scan=False)
    hits = suspects(facts)
    assert [str(h[0]) for h in hits] == ["ConfigMap pricing/quotes-routing"]
    assert "non-existent config key: routing.yaml" in hits[0][1]["message"]
    assert "projected configMap" in hits[0][1]["message"]


def test_a_write_after_the_mounts_were_already_failing_is_not_the_cause() -> None:
    facts = facts_with([write("SecretProviderClass", "quotes-keyvault", AT - timedelta(minutes=10),
                              "spec.parameters.objects: objectVersion '9a1b' -> '77c2'")],
                       KEYVAULT, AT - timedelta(minutes=44))
    assert suspects(facts) == []


def test_a_write_to_what_another_volume_is_built_from_is_not_the_cause() -> None:
    facts = facts_with([write("PersistentVolumeClaim", "quotes-cache", AT - timedelta(minutes=50),
                              "spec.resources.requests.storage '5Gi' -> '10Gi'")],
                       KEYVAULT, AT - timedelta(minutes=44))
    assert suspects(facts) == []


def test_a_driver_not_registered_is_the_storage_layers_class() -> None:
    facts = facts_with([write("SecretProviderClass", "quotes-keyvault", AT - timedelta(minutes=50),
                              "spec.parameters.objects: objectVersion '77c2' -> '9a1b'")],
                       UNREGISTERED, AT - timedelta(minutes=44))
    assert suspects(facts) == []


def test_read_takes_the_failing_pods_spec_once_per_workload() -> None:
    facts = facts_with([], KEYVAULT, AT - timedelta(minutes=44))
    del facts.reads[RECORD]
    calls: list[tuple[str, dict[str, Any]]] = []

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        calls.append((tool, args))
        return outcome(True, full_text=yaml.safe_dump(POD_SPEC), evidence_id="E7")

    asyncio.run(read(Subject(), facts, call, iso(AT)))
    assert calls == [("k8s_get", {"kind": "Pod", "name": POD, "namespace": "pricing", "output": "yaml"}),
                     ("k8s_get", {"kind": "PersistentVolumeClaim", "name": "quotes-cache", "namespace": "pricing",
                                  "output": "yaml"})]  # the claim, for its PV's mount Secret (none bound here)
    kept = facts.reads[RECORD]["pods"][0]
    assert kept["evidence"] == "E7"
    assert kept["volumes"]["vault-certs"] == [("SecretProviderClass", "quotes-keyvault",
                                               "csi secrets-store.csi.k8s.io secretProviderClass")]
