"""A flag object written so a key its clients evaluate is gone (issue #12, round 14 class): the default is served.

Written here, not taken from the held-out bundles: an OpenFeature FeatureFlag whose key is renamed to another
separator style under a Node.js client (pino lines, epoch times) and the flag daemon, and a GO Feature Flag
ConfigMap that drops a key the last-applied configuration still had, under a Java client (ISO times, plain
words). Twins: errors that began before the write, a key the object still defines, a key it never had, and a
ConfigMap that holds no flags. The survey's reads go through a recorded fake of the tool hub.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.triage import flag_key
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, grep, outcome

AT = datetime(2026, 6, 2, 14, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _write(kind: str, ns: str, name: str, ago: timedelta = timedelta(minutes=40)) -> dict[str, Any]:
    return {"at": _iso(AT - ago), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by kubectl (generation 4)", "diff": ["spec written"],
            "related": []}


class Hub(RecordingHub):
    """Objects by name, pods by namespace, log text by pod (under a `header` line); any other read is not found."""

    def __init__(self, objects: dict[str, dict[str, Any]], pods: dict[str, list[str]], logs: dict[str, str]) -> None:
        super().__init__(objects=objects, first_id=11, lists={
            ("pods", ns): [{"name": p, "status": "Running"} for p in names] for ns, names in pods.items()}, answers={
            "k8s_logs": lambda call, eid: outcome(True, {}, "header\n" + "\n".join(
                grep(logs.get(call.args["name"], "").splitlines(), call.args)), eid)},
            otherwise=lambda _, eid: outcome(False, {}, "not found", eid))


def _run(changes: list[dict[str, Any]], hub: Hub, namespace: str = "shop") -> list[flag_key.Fit]:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2")
    asyncio.run(flag_key.read(Subject(namespace=namespace), facts, hub))
    return flag_key.found(facts)


def _pino(t: datetime, key: str) -> str:
    return json.dumps({"level": 40, "time": int(t.timestamp() * 1000), "msg": "flag evaluation failed, using "
                       "default value", "flagKey": key, "errorCode": "FLAG_NOT_FOUND", "defaultValue": False})


FEATURE_FLAG = {"apiVersion": "core.openfeature.dev/v1beta1", "kind": "FeatureFlag",
                "metadata": {"name": "storefront-flags", "namespace": "flags"},
                "spec": {"flagSpec": {"flags": {
                    "promo_banner_enabled": {"state": "ENABLED", "variants": {"on": True, "off": False},
                                             "defaultVariant": "on"},
                    "search-v2": {"state": "ENABLED", "variants": {"on": True, "off": False},
                                  "defaultVariant": "off"}}}}}


def _node_hub(first: datetime, key: str = "promo-banner-enabled") -> Hub:
    web = "\n".join(_pino(first + timedelta(seconds=30 * i), key) for i in range(6))
    daemon = (f'{{"level":"warn","ts":{first.timestamp():.3f},"msg":"flag evaluation failed","flagKey":"{key}",'
              f'"errorCode":"FLAG_NOT_FOUND","reason":"ERROR"}}')
    return Hub({"storefront-flags": FEATURE_FLAG},
               {"shop": ["storefront-7d9c8b6f5-k2x9p"], "flags": ["flagd-5b7c9d8f6-m4n8q"]},
               {"storefront-7d9c8b6f5-k2x9p": web, "flagd-5b7c9d8f6-m4n8q": daemon})


def test_openfeature_key_renamed_under_a_node_client_and_flagd() -> None:
    fits = _run([_write("FeatureFlag", "flags", "storefront-flags")], _node_hub(AT - timedelta(minutes=38)))
    assert len(fits) == 1
    text = flag_key.finding(fits[0])["message"]
    assert text.startswith("FeatureFlag flags/storefront-flags renamed flag key promo-banner-enabled -> "
                           "promo_banner_enabled 40 min before the incident")
    assert "shop/storefront still evaluate the old flag key" in text
    assert "FLAG_NOT_FOUND" in text and "default value (false)" in text
    assert fits[0].count == 7


GOFF = {"kind": "ConfigMap", "metadata": {"name": "feature-toggles", "namespace": "platform", "annotations": {
    "kubectl.kubernetes.io/last-applied-configuration": json.dumps({"data": {"flags.yaml": yaml.safe_dump({
        "new-checkout": {"variations": {"on": True, "off": False}, "defaultRule": {"variation": "on"}},
        "dark-mode": {"variations": {"on": True, "off": False}, "defaultRule": {"variation": "off"}}})}})}},
    "data": {"flags.yaml": yaml.safe_dump({
        "dark-mode": {"variations": {"on": True, "off": False}, "defaultRule": {"variation": "off"}}})}}


def _java_hub(first: datetime, key: str = "new-checkout") -> Hub:
    lines = "\n".join(f"{_iso(first + timedelta(minutes=i))} WARN 1 --- [main] d.o.s.OpenFeatureClient : Flag not "
                      f"found: {key}, returning default value false" for i in range(4))
    return Hub({"feature-toggles": GOFF}, {"payments": ["checkout-api-6c8d9f7b5-p2q4r"]},
               {"checkout-api-6c8d9f7b5-p2q4r": lines})


def test_go_feature_flag_configmap_drops_a_key_the_last_apply_had() -> None:
    fits = _run([_write("ConfigMap", "platform", "feature-toggles", ago=timedelta(hours=2))],
                _java_hub(AT - timedelta(minutes=100)), namespace="payments")
    assert len(fits) == 1
    text = flag_key.finding(fits[0])["message"]
    assert text.startswith("ConfigMap platform/feature-toggles removed flag key new-checkout 2 h 0 min before")
    assert "payments/checkout-api" in text and "serves the default value" in text


def test_twins_name_nothing() -> None:
    write = _write("FeatureFlag", "flags", "storefront-flags")
    # the clients missed the key before the write
    assert _run([write], _node_hub(AT - timedelta(hours=3))) == []
    # the key the clients miss is still defined (a provider out of sync, not the write)
    assert _run([write], _node_hub(AT - timedelta(minutes=30), key="search-v2")) == []
    # a key the object never had, nor anything like it
    assert _run([write], _node_hub(AT - timedelta(minutes=30), key="loyalty-points")) == []
    # a ConfigMap holding no flags is no flag source, even with a flag-like name
    plain = {"kind": "ConfigMap", "metadata": {"name": "feature-toggles", "namespace": "platform"},
             "data": {"app.properties": "server.port=8080\n"}}
    hub = _java_hub(AT - timedelta(minutes=100))
    hub.objects["feature-toggles"] = plain
    assert _run([_write("ConfigMap", "platform", "feature-toggles", ago=timedelta(hours=2))], hub,
                namespace="payments") == []
    # a write older than a day
    assert _run([_write("FeatureFlag", "flags", "storefront-flags", ago=timedelta(hours=30))],
                _node_hub(AT - timedelta(minutes=30))) == []


def test_keys_and_times_as_the_software_prints_them() -> None:
    assert flag_key.flag_keys({"features": [{"name": "a"}, {"name": "b"}]}) == {"a", "b"}
    assert flag_key.normal("checkout.klarna.enabled") == flag_key.normal("Checkout_Klarna-Enabled")
    miss = flag_key.misses('repeated 12x: {"level":#,"time":#,"flagKey":"x-y","errorCode":"FLAG_NOT_FOUND"}',
                           "p", "ns")
    assert [(m.key, m.code, m.count, m.first) for m in miss] == [("x-y", "FLAG_NOT_FOUND", 12, None)]
