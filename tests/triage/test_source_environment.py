"""agent.triage.source_environment: a config or secret source selector re-pointed at another environment.

Delivery shapes: an ExternalSecret whose `remoteRef.key` now reads `dev/carrier/api` and whose Secret a workload
reads by envFrom; a Vault Secrets Operator VaultStaticSecret whose `path` now reads `kv/qa/billing`, its reader tied
only by a Reloader restart right after the Secret was rewritten. Job shapes: a Vault-writing seed Job run by hand from
its CronJob with `TARGET_STAGE=uat` (the CronJob says `production`) whose log says `Success! Data written to:
kv/orders-api/timeouts`; a Helm-hook Job with `CONFIG_ENV=sandbox` and no CronJob, writing
`PUT /v1/kv/settings/fulfilment/worker_count`. Twins: a production path; a dev workload reading a dev path; errors
older than the write; a Job whose variable equals its CronJob's; keys that name no running workload; a reloader
restart of a workload in another namespace.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.facts import Facts
from agent.triage.source_environment import (
    STORE,
    cronjob_of,
    found,
    job_selector,
    keyed_workloads,
    named_environment,
    source_values,
    suspects,
    written_keys,
)

AT = datetime(2026, 9, 3, 14, 0, tzinfo=UTC)
WRITTEN = AT - timedelta(minutes=30)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def log_data(pod: str, ns: str, example: str, first: datetime) -> dict[str, Any]:
    return {"pod": pod, "namespace": ns, "facts": {"hosts": [], "errors": [
        {"severity": "error", "example": example, "message": example, "first_seen": iso(first)}]}}


def change_of(kind: str, ns: str, name: str, at: datetime, diff: str, kind_word: str = "other") -> dict[str, Any]:
    where = f"{ns}/{name}" if ns else name
    return {"at": iso(at), "type": kind_word, "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {where} written by kubectl-edit (generation 3): {diff}", "diff": [diff]}


# ---- delivery objects -----------------------------------------------------------------------------------------


def external(key: str, ns: str = "shipping") -> dict[str, Any]:
    return {"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret",
            "metadata": {"name": "carrier-api", "namespace": ns},
            "spec": {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "aws-sm"},
                     "target": {"name": "carrier-api-credentials"},
                     "data": [{"secretKey": "CARRIER_TOKEN", "remoteRef": {"key": key, "property": "token"}}]},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "SecretSynced"}]}}


def delivery_facts(obj: dict[str, Any], workloads: list[tuple[str, str, list[str], str, str]],
                   logs: dict[str, Any], extra: list[dict[str, Any]] | None = None) -> Facts:
    meta = obj["metadata"]
    key_text = str(source_values(obj["spec"]))
    facts = Facts(at=AT, changes_id="C1")
    write = change_of(obj["kind"], meta.get("namespace", ""), meta["name"], WRITTEN, f"spec.data = {key_text[:60]}")
    facts.changes = {"changes": [write, *(extra or [])]}
    ns = meta.get("namespace") or "billing"
    facts.reads[STORE] = {"objects": [(obj, "O1", write)], "workloads": {ns: workloads}, "logs": logs, "jobs": []}
    return facts


def shipping(key: str, ns: str = "shipping", first: datetime = AT - timedelta(minutes=20)) -> Facts:
    workloads = [("Deployment", "label-printer", ["carrier-api-credentials"], "label-printer-6f7d9c8b5-k2x4q", "W1"),
                 ("Deployment", "tracking", [], "tracking-5c8d7b9f6-q7z2m", "W2")]
    logs = {"label-printer-6f7d9c8b5-k2x4q": (log_data("label-printer-6f7d9c8b5-k2x4q", ns,
                                                       "carrier rejected shipment: account 88213 unknown", first),
                                              "L1")}
    return delivery_facts(external(key, ns), workloads, logs)


def test_external_secret_reading_a_dev_path_is_named_with_its_reader() -> None:
    [(ref, finding, evidence, explains)] = suspects(shipping("dev/carrier/api"))
    assert (ref.kind, ref.name) == ("ExternalSecret", "carrier-api")
    assert "dev/carrier/api" in finding["message"] and "account 88213 unknown" in finding["message"]
    assert [e.name for e in explains] == ["label-printer"]
    assert evidence == ["C1", "O1", "W1", "L1"]


def test_production_path_is_not_named() -> None:
    assert found(shipping("prod/carrier/api")) == []


def test_dev_workload_reading_a_dev_path_is_not_named() -> None:
    assert found(shipping("dev/carrier/api", ns="shipping-dev")) == []


def test_errors_older_than_the_write_are_not_its_doing() -> None:
    assert found(shipping("dev/carrier/api", first=WRITTEN - timedelta(minutes=15))) == []


def vault_static(path: str) -> dict[str, Any]:
    return {"apiVersion": "secrets.hashicorp.com/v1beta1", "kind": "VaultStaticSecret",
            "metadata": {"name": "billing-gateway", "namespace": "billing"},
            "spec": {"mount": "kv", "type": "kv-v2", "path": path, "refreshAfter": "60s",
                     "destination": {"name": "billing-gateway", "create": True}}}


def reloader_facts(path: str, restarted_ns: str = "billing") -> Facts:
    secret = change_of("Secret", "billing", "billing-gateway", WRITTEN + timedelta(minutes=1),
                       "data key GATEWAY_KEY set by vault-secrets-operator", "secret")
    restart = {"at": iso(WRITTEN + timedelta(minutes=2)), "type": "rollout",
               "object": {"kind": "Deployment", "namespace": restarted_ns, "name": "invoicer"},
               "summary": f"Deployment {restarted_ns}/invoicer rolled out revision 7: pod template unchanged "
                          "(change-cause: reloader.stakater.com/auto)", "diff": []}
    workloads: list[tuple[str, str, list[str], str, str]] = [("Deployment", "invoicer", [], "invoicer-7b8c9d6f5-p4l2m",
                                                             "W3")]
    logs = {"invoicer-7b8c9d6f5-p4l2m": (log_data("invoicer-7b8c9d6f5-p4l2m", "billing",
                                                  "charge declined: merchant profile not found in this mode",
                                                  WRITTEN + timedelta(minutes=3)), "L3")}
    return delivery_facts(vault_static(path), workloads, logs, [secret, restart])


def test_vault_static_secret_on_a_qa_path_read_through_a_reloader_restart_is_named() -> None:
    [r] = found(reloader_facts("qa/billing/gateway"))
    assert r.environment == "qa" and r.source.kind == "VaultStaticSecret"
    assert [v.name for v in r.victims] == ["invoicer"]


def test_reloader_restart_in_another_namespace_ties_nothing() -> None:
    assert found(reloader_facts("qa/billing/gateway", restarted_ns="reports")) == []


def test_where_the_secret_goes_is_not_a_source() -> None:
    obj = vault_static("prod/billing/gateway")
    obj["spec"]["destination"]["name"] = "billing-gateway-staging-copy"
    assert named_environment(source_values(obj["spec"])) == ("", "")


# ---- import Jobs -------------------------------------------------------------------------------------------------


def seed_job(value: str, command: str, env_name: str = "TARGET_STAGE", manual: bool = True) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "vault-seed-28811020", "namespace": "ops"}
    if manual:
        meta["annotations"] = {"cronjob.kubernetes.io/instantiate": "manual"}
    return {"kind": "Job", "metadata": meta, "spec": {"template": {"spec": {"containers": [
        {"name": "seed", "image": "hashicorp/vault:1.17", "command": ["/bin/sh", "-c", command],
         "env": [{"name": env_name, "value": value}, {"name": "VAULT_ADDR", "value": "https://vault.ops:8200"}]}]}}}}


def seed_cronjob(value: str, env_name: str = "TARGET_STAGE") -> dict[str, Any]:
    return {"kind": "CronJob", "metadata": {"name": "vault-seed", "namespace": "ops"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
                {"name": "seed", "env": [{"name": env_name, "value": value}]}]}}}}}}


SEED_CMD = "vault kv put kv/orders-api/timeouts @/seed/${TARGET_STAGE}/orders-api.json"
SEED_LOG = "Success! Data written to: kv/orders-api/timeouts\n"


def job_facts(job: dict[str, Any], cronjob: dict[str, Any] | None, keys: list[str],
              victims: list[tuple[str, str, str, Any]]) -> Facts:
    facts = Facts(at=AT, changes_id="C1")
    change = {"at": iso(WRITTEN), "type": "job", "object": {"kind": "Job", "namespace": "ops",
                                                            "name": job["metadata"]["name"]},
              "summary": "Job ops/vault-seed-28811020 completed"}
    facts.changes = {"changes": [change]}
    facts.reads[STORE] = {"objects": [], "workloads": {}, "logs": {}, "jobs": [
        {"job": job, "job_id": "J1", "cronjob": cronjob, "change": change, "change_id": "C1", "keys": keys,
         "log_id": "JL", "victims": victims}]}
    return facts


def orders_victim(first: datetime = AT - timedelta(minutes=25)) -> list[tuple[str, str, str, Any]]:
    pod = "orders-api-6d5f7c9b8-h2j4k"
    return [("orders-api", "orders", pod,
             (log_data(pod, "orders", "upstream inventory call aborted: deadline 20ms exceeded", first), "L9"))]


def test_seed_job_run_by_hand_with_a_uat_stage_is_named() -> None:
    job = seed_job("uat", SEED_CMD)
    [(ref, finding, evidence, explains)] = suspects(
        job_facts(job, seed_cronjob("production"), written_keys(SEED_LOG), orders_victim()))
    assert (ref.kind, ref.name) == ("Job", "vault-seed-28811020")
    assert "TARGET_STAGE=uat" in finding["message"] and "TARGET_STAGE=production" in finding["message"]
    assert "kv/orders-api/timeouts" in finding["message"]
    assert [e.name for e in explains] == ["orders-api"] and "L9" in evidence


def test_job_running_its_cronjobs_own_stage_is_not_named() -> None:
    job = seed_job("uat", SEED_CMD)
    assert found(job_facts(job, seed_cronjob("uat"), written_keys(SEED_LOG), orders_victim())) == []


def test_job_whose_keys_name_no_failing_workload_is_not_named() -> None:
    job = seed_job("uat", SEED_CMD)
    assert found(job_facts(job, seed_cronjob("production"), written_keys(SEED_LOG), [])) == []


def test_errors_before_the_job_are_not_its_doing() -> None:
    job = seed_job("uat", SEED_CMD)
    facts = job_facts(job, seed_cronjob("production"), written_keys(SEED_LOG),
                      orders_victim(first=WRITTEN - timedelta(minutes=10)))
    assert found(facts) == []


def test_hook_job_without_cronjob_writing_sandbox_settings_is_named() -> None:
    job = seed_job("sandbox", "/seed.sh --env $CONFIG_ENV --target consul.ops:8500", env_name="CONFIG_ENV",
                   manual=False)
    log = "PUT /v1/kv/settings/fulfilment/worker_count -> true\nPUT /v1/kv/settings/fulfilment/batch_size -> true\n"
    keys = written_keys(log)
    assert keyed_workloads(keys, {"fulfilment": "wh", "settings-ui": "web"}) == ["fulfilment"]
    pod = "fulfilment-7c9d8b6f5-r3t5y"
    victims = [("fulfilment", "wh", pod,
                (log_data(pod, "wh", "picking batch rejected: size 1 below minimum", AT - timedelta(minutes=5)),
                 "L5"))]
    [r] = found(job_facts(job, None, keys, victims))
    assert r.environment == "sandbox" and r.where == "env CONFIG_ENV=sandbox"


def test_unused_variable_naming_an_environment_selects_nothing() -> None:
    job = seed_job("staging", "vault kv put kv/orders-api/timeouts @/seed/prod/orders-api.json", env_name="OWNER_TEAM")
    assert job_selector(job, None) == ("", "")


def test_cronjob_of_reads_owner_or_manual_annotation() -> None:
    assert cronjob_of(seed_job("uat", SEED_CMD)) == "vault-seed"
    owned = seed_job("uat", SEED_CMD, manual=False)
    owned["metadata"]["ownerReferences"] = [{"kind": "CronJob", "name": "nightly-seed"}]
    assert cronjob_of(owned) == "nightly-seed"
    assert cronjob_of(seed_job("uat", SEED_CMD, manual=False)) == ""


def test_registered_behind_with_its_weight() -> None:
    from agent.triage import behind, source_environment

    assert source_environment in behind.MODULES
    assert behind.WEIGHTS[source_environment.CHECK] == source_environment.WEIGHT


def test_read_follows_the_job_to_its_cronjob_log_and_the_keyed_workload() -> None:
    import asyncio

    from agent.triage.source_environment import read
    from agent.triage.subject import Subject
    from tests.triage.doubles import RecordingHub, keyed, outcome

    job = seed_job("uat", SEED_CMD)
    cronjob = seed_cronjob("production")
    victim_pod = "orders-api-6d5f7c9b8-h2j4k"

    def logs(call: Any, eid: str) -> Any:
        if call.args["name"] == "vault-seed-28811020-abcde":
            return outcome(True, {}, SEED_LOG, eid)
        return outcome(True, log_data(victim_pod, "orders", "upstream inventory call aborted: deadline 20ms exceeded",
                                      AT - timedelta(minutes=25)), "", eid)

    lists: dict[str | tuple[str, str], list[dict[str, Any]]] = {
        ("Pod", "ops"): [{"name": "vault-seed-28811020-abcde", "status": "Completed"}],
        "Pod": [{"name": victim_pod, "namespace": "orders", "status": "Running"},
                {"name": "vault-seed-28811020-abcde", "namespace": "ops", "status": "Completed"}]}
    hub = RecordingHub(objects=keyed([job, cronjob]), lists=lists, answers={"k8s_logs": logs})
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [{"at": iso(WRITTEN), "type": "job", "summary": "Job ops/vault-seed-28811020 ran",
                                  "object": {"kind": "Job", "namespace": "ops", "name": "vault-seed-28811020"}}]}
    asyncio.run(read(Subject(), facts, hub, iso(AT)))
    [r] = found(facts)
    assert r.source.name == "vault-seed-28811020" and [v.name for v in r.victims] == ["orders-api"]
    assert ("k8s_get", {"kind": "CronJob", "name": "vault-seed", "namespace": "ops", "output": "yaml"}) in hub.calls


# ---- audit (issue #12): a reader restarted by a hash of the Secret in its pod template, no Reloader ----------


def hashed_facts(diff: str) -> Facts:
    """The qa-path VaultStaticSecret, and its reader restarted right after the Secret's write by `diff` alone."""
    facts = reloader_facts("qa/billing/gateway")
    restart = (facts.changes or {})["changes"][-1]
    restart["summary"] = f"Deployment billing/invoicer rolled out revision 7: {diff}"
    restart["diff"] = [diff]
    return facts


def test_reader_restarted_by_a_helm_checksum_annotation_is_tied_to_the_secret() -> None:
    [r] = found(hashed_facts("template annotation checksum/gateway-secret 'a1b2c3' -> '9f8e7d'"))
    assert [v.name for v in r.victims] == ["invoicer"]


def test_reader_restarted_by_an_operator_written_env_hash_is_tied_to_the_secret() -> None:
    [r] = found(hashed_facts("invoicer env GATEWAY_SECRET_HASH='5d41402a' -> '7d793037'"))
    assert r.environment == "qa"


def test_a_restart_that_only_changed_the_image_ties_nothing() -> None:
    assert found(hashed_facts("invoicer image registry.local/invoicer:4.1.0 -> registry.local/invoicer:4.1.1")) == []


def test_a_bare_rollout_restart_ties_nothing() -> None:
    assert found(hashed_facts("template annotation kubectl.kubernetes.io/restartedAt (unset) -> "
                              "'2026-09-01T11:31:00Z'")) == []
