"""Another environment's key or config written into this one (agent.triage.environment_mixup).

Written here, not taken from the held-out bundles. Shapes: a Secret holding a LaunchDarkly SDK key (never read:
the guardrails refuse Secrets) re-applied before a Node service's `getaddrinfo ENOTFOUND` for a host its spec never
names; a ConfigMap annotated `environment: staging` (read: metadata and data) loaded through envFrom before a JVM
service's `UnknownHostException`. Negative twins: a database password Secret (not a flag/config key), a host the
victim's own spec names, lookups that failed before the write, a ConfigMap marked with the victim's own
environment, an object the victim does not reference. `read` is driven through a fake of the tool hub that
refuses Secrets as the guardrails do.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import environment_mixup as em
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 10, 2, 9, 0, tzinfo=UTC)
NODE = "Error: getaddrinfo ENOTFOUND checkout-beta.shop.svc"
JVM = "java.net.UnknownHostException: ledger-sandbox.finance.svc.cluster.local: Name or service not known"


def _iso(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(kind: str, ns: str, name: str, minutes: int = 40) -> dict[str, Any]:
    return {"at": _iso(minutes), "type": "config", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} updated", "diff": ["data key k set by kubectl-client-side-apply"]}


def _pod(name: str, ns: str, env: list[dict[str, Any]], env_from: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": {"containers": [{"name": "app", "env": env, "envFrom": env_from or []}]}}


@dataclass
class Hub:
    """The hub: pods and ConfigMaps by name; Secrets refused like the guardrails' deny-secret-objects rule."""

    objects: dict[tuple[str, str], dict[str, Any]]

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> ToolOutcome | None:
        if tool != "k8s_get" or args["kind"] == "Secret":
            return outcome(False, {}, "refused by Vigil's guardrails", "E9")
        obj = self.objects.get((args["kind"], args["name"]))
        return outcome(obj is not None, {}, yaml.safe_dump(obj) if obj else "not found", "E5")


def _found(change: dict[str, Any], pod: dict[str, Any], error: str, hub_objects: dict[tuple[str, str], Any],
           first_seen: int = 20) -> list[em.Mixup]:
    meta = pod["metadata"]
    top = {"message": error, "template": error, "first_seen": _iso(first_seen)}
    log = LogEvidence(pod=meta["name"], namespace=meta["namespace"], evidence_id="E7", top=top, hosts=[],
                      error_classes=set(), previous=False)
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2", logs=[log])
    asyncio.run(em.read(Subject(), facts, Hub({("Pod", meta["name"]): pod, **hub_objects}), _iso(0)))
    return em.found(facts)


LD: list[dict[str, Any]] = [
    {"name": "LD_SDK_KEY", "valueFrom": {"secretKeyRef": {"name": "flag-sdk", "key": "sdk-key"}}},
    {"name": "ORDERS_URL", "value": "http://orders.shop.svc:8080"}]


def test_a_flag_sdk_key_secret_rewritten_before_lookups_of_a_host_the_spec_never_names_is_named() -> None:
    [m] = _found(_write("Secret", "shop", "flag-sdk"), _pod("cart-7f-abcde", "shop", LD), NODE, {})
    message = em.finding(m)["message"]
    assert message.startswith("Secret shop/flag-sdk was written 40 min before the incident")
    assert "feature-flag SDK key" in message[:400] and "checkout-beta.shop.svc" in message[:500]


def test_a_configmap_marked_staging_loaded_by_envfrom_is_named_with_its_environment() -> None:
    cm: dict[str, Any] = {"kind": "ConfigMap", "metadata": {"name": "ledger-client", "namespace": "finance",
                                            "annotations": {"config.example.com/environment": "staging"}},
          "data": {"LEDGER_ENDPOINT": "http://ledger-sandbox.finance.svc.cluster.local"}}
    pod = _pod("billing-5c-q1w2e", "finance", [], [{"configMapRef": {"name": "ledger-client"}}])
    [m] = _found(_write("ConfigMap", "finance", "ledger-client"), pod, JVM, {("ConfigMap", "ledger-client"): cm})
    assert m.environment == "staging" and "staging's value" in em.finding(m)["message"]
    own = {**cm, "metadata": {**cm["metadata"], "namespace": "staging-finance"}}
    pod_staging = _pod("billing-5c-q1w2e", "staging-finance", [], [{"configMapRef": {"name": "ledger-client"}}])
    assert _found(_write("ConfigMap", "staging-finance", "ledger-client"), pod_staging, JVM,
                  {("ConfigMap", "ledger-client"): own}) == []


def test_a_database_password_secret_is_not_this_class() -> None:
    env: list[dict[str, Any]] = [
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "flag-sdk", "key": "pw"}}}]
    assert _found(_write("Secret", "shop", "flag-sdk"), _pod("cart-7f-abcde", "shop", env), NODE, {}) == []


def test_a_host_the_victims_own_spec_names_is_not_blamed_on_the_key() -> None:
    env: list[dict[str, Any]] = [*LD, {"name": "CHECKOUT_URL", "value": "http://checkout-beta.shop.svc"}]
    assert _found(_write("Secret", "shop", "flag-sdk"), _pod("cart-7f-abcde", "shop", env), NODE, {}) == []


def test_lookups_failing_before_the_write_or_an_unreferenced_object_name_nothing() -> None:
    assert _found(_write("Secret", "shop", "flag-sdk"), _pod("cart-7f-abcde", "shop", LD), NODE, {},
                  first_seen=90) == []
    assert _found(_write("Secret", "shop", "other-sdk"), _pod("cart-7f-abcde", "shop", LD), NODE, {}) == []
