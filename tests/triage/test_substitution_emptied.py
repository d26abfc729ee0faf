"""A GitOps build-time substitution that emptied an application's own placeholder: Flux's postBuild leaving a Redis
URL without a host, an Argo CD envsubst plugin leaving an AMQP URL without one; and the twins (every host filled,
a write that did not touch the substitution, a substitution written after the ConfigMap, a ConfigMap another object
applied)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, substitution_emptied
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, keyed

AT = datetime(2026, 9, 2, 7, 30, tzinfo=UTC)
M = timedelta(minutes=1)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _configmap(name: str, labels: dict[str, str], data: dict[str, str], written: datetime) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": "carts", "labels": labels,
                                              "creationTimestamp": _iso(written),
                                              "managedFields": [{"manager": "applier", "time": _iso(written)}]},
            "data": data}


def _facts(kind: str, ns: str, name: str, written: datetime, diff: str, cm: dict[str, Any]) -> Facts:
    changes = [{"at": _iso(written), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
                "summary": f"{kind} {ns}/{name} written", "diff": [diff]},
               {"at": cm["metadata"]["creationTimestamp"], "type": "created",
                "object": {"kind": "ConfigMap", "namespace": "carts", "name": cm["metadata"]["name"]},
                "summary": "ConfigMap created", "diff": []}]
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2")
    asyncio.run(substitution_emptied.read(Subject(namespace="carts"), facts, RecordingHub(objects=keyed([cm]),
                                                                                         first_id=20), _iso(AT)))
    return facts


FLUX = {"kustomize.toolkit.fluxcd.io/name": "tenant-carts", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
REDIS = {"settings.toml": "[cache]\nurl = \"redis://:6379/0\"\nttl = 300\n"}
FLUX_WRITE = "spec.postBuild = {'substitute': {'REGION': 'eu-central-1'}}"


def test_a_flux_substitution_that_blanked_a_redis_host_is_named() -> None:
    cm = _configmap("carts-settings-8k2", FLUX, REDIS, AT - 40 * M)
    facts = _facts("Kustomization", "flux-system", "tenant-carts", AT - 41 * M, FLUX_WRITE, cm)
    [e] = substitution_emptied.found(facts)
    assert (str(e.owner), str(e.configmap), e.line) == ("Kustomization flux-system/tenant-carts",
                                                        "ConfigMap carts/carts-settings-8k2",
                                                        'url = "redis://:6379/0"')
    [(ref, finding, _, _)] = [s for s in behind.suspects(facts) if s[1]["check"] == substitution_emptied.CHECK]
    assert str(ref) == "Kustomization flux-system/tenant-carts" and "postBuild" in finding["message"]


def test_an_argo_cd_envsubst_plugin_that_blanked_an_amqp_host_is_named() -> None:
    cm = _configmap("carts-env", {"argocd.argoproj.io/instance": "carts"},
                    {"BROKER_URL": "amqp://carts@:5672/orders"}, AT - 15 * M)
    facts = _facts("Application", "argocd", "carts", AT - 16 * M,
                   "spec.source.plugin = {'name': 'envsubst', 'env': [{'name': 'STAGE', 'value': 'prod'}]}", cm)
    [e] = substitution_emptied.found(facts)
    assert (str(e.owner), e.key) == ("Application argocd/carts", "BROKER_URL")


def test_a_configmap_whose_hosts_are_all_filled_is_not_named() -> None:
    cm = _configmap("carts-settings-8k2", FLUX, {"settings.toml": "url = \"redis://cache.carts:6379/0\"\n"},
                    AT - 40 * M)
    facts = _facts("Kustomization", "flux-system", "tenant-carts", AT - 41 * M, FLUX_WRITE, cm)
    assert substitution_emptied.found(facts) == []


def test_a_write_that_did_not_touch_the_substitution_is_not_named() -> None:
    cm = _configmap("carts-settings-8k2", FLUX, REDIS, AT - 40 * M)
    facts = _facts("Kustomization", "flux-system", "tenant-carts", AT - 41 * M, "spec.path = './carts/prod'", cm)
    assert substitution_emptied.found(facts) == []


def test_a_substitution_written_after_the_configmap_or_by_another_object_is_not_named() -> None:
    cm = _configmap("carts-settings-8k2", FLUX, REDIS, AT - 40 * M)
    later = _facts("Kustomization", "flux-system", "tenant-carts", AT - 20 * M, FLUX_WRITE, cm)
    assert substitution_emptied.found(later) == []
    other = _facts("Kustomization", "flux-system", "tenant-payments", AT - 41 * M, FLUX_WRITE, cm)
    assert substitution_emptied.found(other) == []


# Issue #12: other appliers' tracking marks and other drivers' connection-string shapes.
PLUGIN_WRITE = "spec.source.plugin = {'name': 'envsubst', 'env': [{'name': 'STAGE', 'value': 'prod'}]}"
BLANK_HOSTS = {"libpq key/value": "host= port=5432 dbname=orders user=carts sslmode=require",
               ".NET SqlClient": "Server=;Database=orders;User Id=carts;Encrypt=true",
               "ADO Data Source": "Data Source=;Initial Catalog=orders;Integrated Security=false",
               "JDBC SQL Server": "jdbc:sqlserver://;databaseName=orders;encrypt=true"}
FILLED = {"libpq key/value": "host=pg.carts port=5432 dbname=orders user=carts sslmode=require",
          ".NET SqlClient": "Server=sql.carts;Database=;User Id=carts",
          "ADO Data Source": "Data Source=sql.carts,1433;Initial Catalog=orders",
          "JDBC SQL Server": "jdbc:sqlserver://sql.carts;databaseName=;encrypt=true"}


def test_other_drivers_blank_hosts_are_named() -> None:
    for driver, text in BLANK_HOSTS.items():
        cm = _configmap("carts-db", FLUX, {"DB_DSN": text}, AT - 40 * M)
        facts = _facts("Kustomization", "flux-system", "tenant-carts", AT - 41 * M, FLUX_WRITE, cm)
        [e] = substitution_emptied.found(facts)
        assert e.key == "DB_DSN", driver


def test_the_same_drivers_strings_with_their_host_filled_are_not_named() -> None:
    for driver, text in FILLED.items():
        cm = _configmap("carts-db", FLUX, {"DB_DSN": text}, AT - 40 * M)
        facts = _facts("Kustomization", "flux-system", "tenant-carts", AT - 41 * M, FLUX_WRITE, cm)
        assert substitution_emptied.found(facts) == [], driver


def _argo_tracked(annotations: dict[str, str], labels: dict[str, str] | None = None) -> Facts:
    cm = _configmap("carts-env", labels or {}, {"BROKER_URL": "amqp://carts@:5672/orders"}, AT - 15 * M)
    cm["metadata"]["annotations"] = annotations
    return _facts("Application", "argocd", "carts", AT - 16 * M, PLUGIN_WRITE, cm)


def test_argo_cd_annotation_and_legacy_label_tracking_name_the_application() -> None:
    facts = _argo_tracked({"argocd.argoproj.io/tracking-id": "carts:/ConfigMap:carts/carts-env"})
    [e] = substitution_emptied.found(facts)
    assert str(e.owner) == "Application argocd/carts"
    facts = _argo_tracked({"argocd.argoproj.io/tracking-id": "argocd_carts:/ConfigMap:carts/carts-env"})
    assert [str(e.owner) for e in substitution_emptied.found(facts)] == ["Application argocd/carts"]
    facts = _argo_tracked({}, {"app.kubernetes.io/instance": "carts"})
    assert [str(e.owner) for e in substitution_emptied.found(facts)] == ["Application argocd/carts"]


def test_a_configmap_tracked_by_another_application_is_not_named() -> None:
    assert substitution_emptied.found(_argo_tracked(
        {"argocd.argoproj.io/tracking-id": "billing:/ConfigMap:carts/carts-env"})) == []
    assert substitution_emptied.found(_argo_tracked({}, {"app.kubernetes.io/instance": "billing"})) == []
    assert substitution_emptied.found(_argo_tracked(
        {"argocd.argoproj.io/tracking-id": "payments_carts:/ConfigMap:carts/carts-env"})) == []
