"""agent.triage.dns_forever via replica_writes: a writer that caches DNS forever is blamed on that setting.

Facts are shaped as the survey keeps them: a `k8s_get` Pod and ConfigMaps in facts.objects, and log
evidence carrying a datastore's real refusal of a write sent to a replica.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from agent.triage import dns_forever, replica_writes
from agent.triage.facts import Facts, LogEvidence, Ref

_POD = "ledger-7d9f8c6b5-q2w4z"
_PG = "ERROR: cannot execute UPDATE in a read-only transaction"


def _log(message: str) -> LogEvidence:
    return LogEvidence(pod=_POD, namespace="pay", evidence_id="E4", top={"message": message}, hosts=[],
                       error_classes=set(), previous=False)


def _pod(env: list[dict[str, Any]], env_from: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": _POD, "namespace": "pay"},
            "spec": {"containers": [{"name": "ledger", "env": env, "envFrom": env_from or []}]}}


def _cm(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": "pay"}, "data": data}


def _facts(log: LogEvidence, *objects: dict[str, Any]) -> Facts:
    facts = Facts(at=datetime(2026, 12, 1, tzinfo=UTC), logs=[log])
    facts.objects += [(o, f"E{9 + i}") for i, o in enumerate(objects)]
    return facts


def test_a_jvm_option_in_a_configmap_key_is_the_suspect() -> None:
    pod = _pod([{"name": "JAVA_TOOL_OPTIONS", "valueFrom": {"configMapKeyRef": {"name": "ledger-jvm",
                                                                                "key": "JAVA_TOOL_OPTIONS"}}},
                {"name": "DB_URL", "value": "jdbc:postgresql://ledger-db.cluster-x.example.com:5432/l"}])
    cm = _cm("ledger-jvm", {"JAVA_TOOL_OPTIONS": "-Xmx1g -Dsun.net.inetaddr.ttl=-1", "PROFILE": "prod"})
    [pin] = replica_writes.pinned(_facts(_log(_PG), pod, cm))
    assert pin.setting == Ref("ConfigMap", "pay", "ledger-jvm") and pin.key == "JAVA_TOOL_OPTIONS"
    message = replica_writes.finding(pin)["message"]
    assert message.startswith("ConfigMap pay/ledger-jvm key JAVA_TOOL_OPTIONS sets -Dsun.net.inetaddr.ttl=-1")
    assert "caches DNS forever" in message and "failover" in message


def test_a_java_security_file_through_envfrom_or_an_env_literal_is_found() -> None:
    cm = _cm("ledger-security", {"java.security": "securerandom.source=file:/dev/urandom\nnetworkaddress.cache.ttl=-1"})
    pod = _pod([], [{"configMapRef": {"name": "ledger-security"}}])
    [pin] = replica_writes.pinned(_facts(_log("MongoServerError: NotWritablePrimary"), pod, cm))
    assert pin.setting.name == "ledger-security" and pin.value == "networkaddress.cache.ttl=-1"
    literal = _pod([{"name": "JAVA_OPTS", "value": "-Dnetworkaddress.cache.ttl=-1"}])
    found = dns_forever.found(_facts(_log(_PG), literal), "pay", _POD)
    assert found is not None and found.setting == Ref("Pod", "pay", _POD) and found.key == "JAVA_OPTS"


@pytest.mark.parametrize("value", ["-Dsun.net.inetaddr.ttl=30", "-Dnetworkaddress.cache.negative.ttl=-1", "-Xmx1g"])
def test_a_short_or_unrelated_ttl_is_no_suspect(value: str) -> None:
    pod = _pod([], [{"configMapRef": {"name": "ledger-jvm"}}])
    facts = _facts(_log(_PG), pod, _cm("ledger-jvm", {"JAVA_TOOL_OPTIONS": value}))
    assert dns_forever.found(facts, "pay", _POD) is None


def test_a_configmap_the_pod_does_not_use_is_no_suspect() -> None:
    facts = _facts(_log(_PG), _pod([]), _cm("other-jvm", {"JAVA_TOOL_OPTIONS": "-Dsun.net.inetaddr.ttl=-1"}))
    assert dns_forever.found(facts, "pay", _POD) is None


def test_dns_forever_without_a_refused_write_names_nothing() -> None:
    pod = _pod([], [{"configMapRef": {"name": "ledger-jvm"}}])
    facts = _facts(_log("java.net.SocketTimeoutException: Read timed out"), pod,
                   _cm("ledger-jvm", {"JAVA_TOOL_OPTIONS": "-Dsun.net.inetaddr.ttl=-1"}))
    assert replica_writes.pinned(facts) == []
