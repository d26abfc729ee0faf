"""agent.triage.proxy_bypass, Secret-sourced proxy env: an env Secret written by an operator gains HTTP(S)_PROXY
and no NO_PROXY, and the pods created since send their in-cluster calls to the egress proxy, which answers 403/407.

The Secret is never read (Vigil's scope refuses Secret objects): its keys come from the change timeline's words for
its write (`data key HTTPS_PROXY set`). Shapes: a Go service taking one key with `secretKeyRef` from a Secret a
sealed-secrets controller wrote, its log `unexpected status 403 Forbidden` for a `.svc` host; a Node service taking
a whole Secret with `envFrom` from Vault's operator, its log `status code 407` for a `.svc.cluster.local` host.
Twins: the same write also set NO_PROXY (its value unknown: nothing said); a write that set only a password while
the callee itself answers 403; the pod carries a NO_PROXY of its own; a pod created before the write.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import proxy_bypass as pb
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 9, 14, 8, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def secret_write(ns: str, name: str, keys: list[str], by: str,
                 ago: timedelta = timedelta(minutes=50)) -> dict[str, Any]:
    said = [f"data key {k} set by {by}" for k in keys]
    return {"at": iso(AT - ago), "type": "update", "object": {"kind": "Secret", "namespace": ns, "name": name},
            "summary": f"Secret {ns}/{name} updated by {by}: " + "; ".join(said), "diff": said}


def go_hub(created: datetime = AT - timedelta(minutes=45), own_env: list[dict[str, Any]] | None = None) -> RecordingHub:
    name = "ledger-api-6b8d9f7c4-q7wzp"
    container = {"name": "ledger-api", "env": [
        {"name": "HTTPS_PROXY", "valueFrom": {"secretKeyRef": {"name": "ledger-runtime", "key": "HTTPS_PROXY"}}},
        *(own_env or [])]}
    pod = {"kind": "Pod", "metadata": {"name": name, "namespace": "finance", "creationTimestamp": iso(created)},
           "spec": {"containers": [container]}}
    lines = [f"2026-09-14T07:{20 + i}:00Z level=error msg=\"balance fetch failed\" err=\"unexpected status 403 "
             f"Forbidden from https://accounts.finance.svc:8443/v1/balance\"" for i in range(4)]
    return RecordingHub(objects={("Pod", "finance", name): pod}, lists={("Pod", "finance"): [{"name": name}]},
                        logs={name: lines})


def node_hub() -> RecordingHub:
    name = "storefront-7d5c6b8f9-m2x8r"
    pod = {"kind": "Pod", "metadata": {"name": name, "namespace": "web",
                                       "creationTimestamp": iso(AT - timedelta(minutes=20))},
           "spec": {"containers": [{"name": "storefront", "envFrom": [{"secretRef": {"name": "storefront-env"}}]}]}}
    lines = [f"AxiosError: Request failed with status code 407 GET http://catalog.shop.svc.cluster.local/items/{i}"
             for i in range(3)]
    return RecordingHub(objects={("Pod", "web", name): pod}, lists={("Pod", "web"): [{"name": name}]},
                        logs={name: lines})


def run(hub: RecordingHub, ns: str, names: list[str], changes: list[dict[str, Any]]) -> Facts:
    first = hub.lists[("Pod", ns)][0]["name"]
    line = hub.logs[first][0]
    seen = [LogEvidence(pod=first, namespace=ns, evidence_id="L1",
                        top={"template": line, "example": line, "severity": "error"}, hosts=[], error_classes=set(),
                        previous=False)]
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1", logs=seen)
    asyncio.run(pb.read(Subject(namespace=ns, names=names), facts, hub, iso(AT)))
    return facts


def test_secret_key_ref_proxy_added_by_sealed_secrets_is_named_without_reading_the_secret() -> None:
    hub = go_hub()
    facts = run(hub, "finance", ["ledger-api"],
                [secret_write("finance", "ledger-runtime", ["HTTPS_PROXY", "FX_FEED_URL"],
                              "sealed-secrets-controller")])
    [hit] = pb.found(facts)
    assert (hit.source.kind, hit.source.namespace, hit.source.name) == ("Secret", "finance", "ledger-runtime")
    assert hit.hosts == ["accounts.finance.svc"]
    assert not any(c[1].get("kind") == "Secret" for c in hub.calls if isinstance(c, tuple) and len(c) > 1
                   and isinstance(c[1], dict))
    finding = pb.finding(hit, AT)
    assert finding["object"]["kind"] == "Secret" and "NO_PROXY" in finding["message"]
    assert pb.HIDDEN not in finding["message"]


def test_envfrom_secret_from_vault_operator_with_407_is_named() -> None:
    facts = run(node_hub(), "web", ["storefront"],
                [secret_write("web", "storefront-env", ["HTTP_PROXY", "HTTPS_PROXY"], "vault-secrets-operator")])
    [hit] = pb.found(facts)
    assert (hit.source.kind, hit.source.name) == ("Secret", "storefront-env")
    assert hit.hosts == ["catalog.shop.svc.cluster.local"]


def test_twin_write_that_also_set_no_proxy_says_nothing() -> None:
    facts = run(node_hub(), "web", ["storefront"],
                [secret_write("web", "storefront-env", ["HTTP_PROXY", "NO_PROXY"], "vault-secrets-operator")])
    assert pb.found(facts) == []


def test_twin_write_of_a_password_while_the_callee_answers_403_is_not_blamed() -> None:
    facts = run(go_hub(), "finance", ["ledger-api"],
                [secret_write("finance", "ledger-runtime", ["DB_PASSWORD"], "sealed-secrets-controller")])
    assert pb.found(facts) == []


def test_twin_pod_with_its_own_no_proxy_or_older_than_the_write_is_not_blamed() -> None:
    write = [secret_write("finance", "ledger-runtime", ["HTTPS_PROXY"], "sealed-secrets-controller")]
    own = go_hub(own_env=[{"name": "NO_PROXY", "value": ".svc,.cluster.local"}])
    assert pb.found(run(own, "finance", ["ledger-api"], write)) == []
    older = go_hub(created=AT - timedelta(hours=2))
    assert pb.found(run(older, "finance", ["ledger-api"], write)) == []
