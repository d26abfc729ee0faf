"""agent.triage.config_server_empty: a config server changed, and its log since says it serves a failing app nothing.

Shapes (our own wording, other products than any bundle's): a Nacos-like settings service whose namespace env moved
to `qa` and that logs `config data not exist, dataId=billing-api.yaml`; a KV-backed config gateway whose ConfigMap
(related to it in the timeline) changed prefix and that logs `no keys under prefix /config/checkout-web/production`.
Twins: a server that says it SERVED the app; a nothing-found line about another app; such lines already printed
before the change; a victim failing since before the change; a victim named only inside a longer name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.config_server_empty import (
    STORE,
    app_names,
    found,
    names_word,
    quoted,
    served_nothing,
    suspects,
)
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 9, 3, 14, 0, tzinfo=UTC)
CHANGED = AT - timedelta(minutes=40)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def victim_log(pod: str, ns: str, error: str, first: datetime) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id="L1",
                       top={"message": error, "example": error, "severity": "error", "first_seen": iso(first)},
                       hosts=[], error_classes=set(), previous=True, last_lines=[error])


def rollout(ns: str, name: str, at: datetime, diff: str) -> dict[str, Any]:
    return {"at": iso(at), "type": "rollout", "object": {"kind": "StatefulSet", "namespace": ns, "name": name},
            "summary": f"StatefulSet {ns}/{name} rolled out revision 3: {diff}", "diff": [diff], "related": []}


def configmap_write(ns: str, name: str, reader: str, at: datetime) -> dict[str, Any]:
    return {"at": iso(at), "type": "config", "object": {"kind": "ConfigMap", "namespace": ns, "name": name},
            "summary": f"ConfigMap {ns}/{name} written by kubectl-edit: data.prefix",
            "diff": ["data.prefix = /config/{app}/prod -> /config/{app}/production"],
            "related": [{"kind": "Deployment", "namespace": ns, "name": reader}]}


def facts_of(change: dict[str, Any], server: str, server_text: str, victim: LogEvidence) -> Facts:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [change]}
    facts.logs = [victim]
    facts.reads[STORE] = {"logs": {server: (server_text, "S1")}}
    return facts


def nacos_text(app: str, start: datetime, said: str = "config data not exist") -> str:
    return "\n".join(f"{iso(start + timedelta(minutes=i))} WARN [config-rpc] {said}, dataId={app}.yaml, "
                     f"group=DEFAULT_GROUP, tenant=qa" for i in range(3))


def nacos_facts(text: str, error_at: datetime = AT - timedelta(minutes=20)) -> Facts:
    change = rollout("platform", "settings-hub", CHANGED, "settings-hub env NACOS_NAMESPACE='prod' -> 'qa'")
    victim = victim_log("billing-api-7d9f8c6b5-x2k4q", "billing",
                        "java.lang.IllegalStateException: required property billing.gateway.url is missing", error_at)
    return facts_of(change, "StatefulSet platform/settings-hub", text, victim)


def test_nacos_like_server_that_finds_no_data_for_the_app_is_named() -> None:
    facts = nacos_facts(nacos_text("billing-api", CHANGED + timedelta(minutes=2)))
    [(ref, finding, evidence, explains)] = suspects(facts)
    assert (ref.kind, ref.namespace, ref.name) == ("StatefulSet", "platform", "settings-hub")
    assert "NACOS_NAMESPACE" in finding["message"] and "config data not exist" in finding["message"]
    assert "billing.gateway.url" in finding["message"]
    assert [e.name for e in explains] == ["billing-api"]
    assert evidence == ["C1", "S1", "L1"]


def test_kv_gateway_whose_configmap_changed_prefix_is_named() -> None:
    change = configmap_write("edge", "kv-gateway-config", "kv-gateway", CHANGED)
    text = "\n".join(f'time="{iso(CHANGED + timedelta(minutes=i))}" level=warning msg="no keys under prefix '
                     f'/config/checkout-web/production; answering empty"' for i in range(1, 4))
    victim = victim_log("checkout-web-5c8d7b9f6-q7z2m", "shop", "Error: STRIPE_PUBLIC_KEY is not set",
                        AT - timedelta(minutes=15))
    [u] = found(facts_of(change, "Deployment edge/kv-gateway", text, victim))
    assert u.server.name == "kv-gateway" and u.victim.name == "checkout-web"
    assert "no keys under prefix" in u.said


def test_server_that_served_the_app_is_not_named() -> None:
    text = "\n".join(f"{iso(CHANGED + timedelta(minutes=i))} INFO [config-rpc] returning 12 items, "
                     f"dataId=billing-api.yaml, group=DEFAULT_GROUP" for i in range(1, 4))
    assert found(nacos_facts(text)) == []


def test_nothing_found_for_another_app_is_not_named() -> None:
    assert found(nacos_facts(nacos_text("ledger-sync", CHANGED + timedelta(minutes=2)))) == []


def test_lines_older_than_the_change_are_not_its_doing() -> None:
    assert found(nacos_facts(nacos_text("billing-api", CHANGED - timedelta(minutes=30)))) == []


def test_victim_failing_before_the_change_is_not_explained_by_it() -> None:
    facts = nacos_facts(nacos_text("billing-api", CHANGED + timedelta(minutes=2)),
                        error_at=CHANGED - timedelta(minutes=25))
    assert found(facts) == []


def test_app_named_only_inside_a_longer_name_does_not_count() -> None:
    assert names_word("dataId=billing-api.yaml", "billing-api")
    assert not names_word("dataId=billing-api-v2.yaml", "billing-api")
    said, first = served_nothing(nacos_text("billing-api-v2", CHANGED + timedelta(minutes=2)), "billing-api")
    assert (said, first) == ("", None)


def test_quote_drops_stamp_and_logger_prefix() -> None:
    line = "2026-09-03T13:22:00.000Z  WARN 1 --- [exec-3] c.e.Repo : Could not find profile 'prod' for application " \
           "'orders'; returning 0 property sources"
    assert quoted(line, "orders").startswith("Could not find profile 'prod' for application 'orders'")


def test_registered_behind_with_its_weight() -> None:
    from agent.triage import behind, config_server_empty

    assert config_server_empty in behind.MODULES
    assert behind.WEIGHTS[config_server_empty.CHECK] == config_server_empty.WEIGHT


def test_read_takes_one_running_pod_log_of_the_written_workload() -> None:
    import asyncio

    from agent.triage.config_server_empty import read
    from agent.triage.subject import Subject
    from tests.triage.doubles import RecordingHub

    text = nacos_text("billing-api", CHANGED + timedelta(minutes=2))
    hub = RecordingHub(lists={("Pod", "platform"): [{"name": "settings-hub-0", "status": "Running"},
                                                    {"name": "other-7d9f8c6b5-x2k4q", "status": "Running"}]},
                       logs={"settings-hub-0": text.splitlines()})
    facts = nacos_facts("")
    facts.reads.pop(STORE)
    asyncio.run(read(Subject(), facts, hub, iso(AT)))
    assert hub.tools == ["k8s_list", "k8s_logs", "k8s_get"] and hub.calls[1][1]["name"] == "settings-hub-0"
    assert hub.calls[2][1]["name"] == "billing-api-7d9f8c6b5-x2k4q"  # the failing pod: the name it asks for
    [u] = found(facts)
    assert u.server.name == "settings-hub"


def test_read_does_nothing_without_a_failing_log() -> None:
    import asyncio

    from agent.triage.config_server_empty import read
    from agent.triage.subject import Subject
    from tests.triage.doubles import RecordingHub

    hub = RecordingHub(lists={})
    facts = nacos_facts("")
    facts.logs = []
    asyncio.run(read(Subject(), facts, hub, iso(AT)))
    assert hub.calls == []


# ---- audit (issue #12): other servers' wording, and the {application}-{profile} lookup name -------------------


def _lines(said: str, start: datetime = CHANGED + timedelta(minutes=2)) -> str:
    return "\n".join(f"{iso(start + timedelta(minutes=i))} {said}" for i in range(3))


def test_apollo_like_server_that_could_not_load_the_app_is_named() -> None:
    text = _lines("ERROR [ConfigServiceController] Could not load config for appId=billing-api, cluster=default, "
                  "namespace=application [status code: 404]")
    [e] = found(nacos_facts(text))
    assert e.victim.name == "billing-api" and "status code: 404" in e.said


def test_apollo_like_server_that_loaded_the_app_is_not_named() -> None:
    text = _lines("INFO [ConfigServiceController] Loaded 14 items for appId=billing-api, cluster=default "
                  "[status code: 200]")
    assert found(nacos_facts(text)) == []


def test_a_lookup_name_joining_the_app_to_its_profile_names_the_app() -> None:
    text = _lines("WARN o.s.c.c.s.e.NativeEnvironmentRepository : Nothing found for billing-api-prod.yml in the "
                  "search locations")
    [e] = found(nacos_facts(text))
    assert e.victim.name == "billing-api" and "billing-api-prod.yml" in e.said


def test_a_suffix_that_is_no_profile_is_another_application() -> None:
    text = _lines("WARN o.s.c.c.s.e.NativeEnvironmentRepository : Nothing found for billing-api-canary.yml in the "
                  "search locations")
    assert found(nacos_facts(text)) == []


def test_kv_backed_server_answering_zero_keys_under_the_app_profile_is_named() -> None:
    text = _lines('level=warn msg="0 keys under config/billing-api-production/; serving empty set"')
    [e] = found(nacos_facts(text))
    assert "0 keys" in e.said


def test_kv_backed_server_answering_some_keys_is_not_named() -> None:
    assert found(nacos_facts(_lines('level=info msg="10 keys under config/billing-api-production/"'))) == []


# ---- audit (issue #12): the application asks its server under another name than its workload's ---------------


def aliased(said: str, app_env: dict[str, str] | None = None, args: list[str] | None = None) -> Facts:
    """billing-api's pod asks its server as another application; the server's lines use that name."""
    facts = nacos_facts(_lines(said))
    pod = {"metadata": {"labels": {"app.kubernetes.io/name": "billing-api"}},
           "spec": {"containers": [{"env": [{"name": k, "value": v} for k, v in (app_env or {}).items()],
                                    "args": args or []}]}}
    facts.reads[STORE]["names"] = {"billing/billing-api-7d9f8c6b5-x2k4q": app_names(pod, "billing-api")}
    return facts


SPRING = ("WARN o.s.c.c.s.e.NativeEnvironmentRepository : Could not find profile 'prod' for application 'ledger' on "
          "label 'main'; returning 0 property sources")
APOLLO = "ERROR [ConfigController] Could not load config for appId=price-engine, cluster=default [status code: 404]"


def test_spring_application_name_in_env_ties_the_server_line_to_the_workload() -> None:
    [e] = found(aliased(SPRING, {"SPRING_APPLICATION_NAME": "ledger"}))
    assert e.victim.name == "billing-api" and "application 'ledger'" in e.said


def test_apollo_app_id_argument_ties_the_server_line_to_the_workload() -> None:
    [e] = found(aliased(APOLLO, args=["-Xmx512m", "-Dapp.id=price-engine"]))
    assert e.victim.name == "billing-api" and "price-engine" in e.said


def test_twin_a_line_about_another_application_than_the_alias_ties_nothing() -> None:
    said = SPRING.replace("'ledger'", "'ledger-archive'")
    assert found(aliased(said, {"SPRING_APPLICATION_NAME": "ledger"})) == []


def test_twin_an_app_id_the_pod_does_not_carry_ties_nothing() -> None:
    assert found(aliased(APOLLO, args=["-Dapp.id=quote-engine"])) == []
    assert found(aliased(APOLLO, {"OTHER_ID": "price-engine"})) == []
