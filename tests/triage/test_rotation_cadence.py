"""A key rotation scheduled more often than its verifiers' key cache (agent.triage.rotation_cadence).

Written here, not taken from the held-out bundles. Shapes: a Go gateway's 'kid ... not found in JWKS' with its
JWKS cache_ttl in its startup log and a rotation CronJob edited to hourly; a Node service's jwks-rsa
`SigningKeyNotFoundError: Unable to find a signing key that matches` with its cache age in env and a key-roller
CronJob edited to every 30 min. Negative twins: a period the cache does not outlive, a CronJob that rotates
nothing (a backup), a schedule written after the misses began, no key-id miss at all. `read` is driven through
a recorded fake of the tool hub (CronJob and Pod YAML, grep-filtered logs).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import rotation_cadence as rc
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 9, 3, 15, 0, tzinfo=UTC)
GO_MISS = 'level=warn msg="jwt verification failed" err="kid k-0900 not found in JWKS" status=401'
NODE_MISS = "SigningKeyNotFoundError: Unable to find a signing key that matches 'a7f3c9'"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _edit(ns: str, name: str, schedule: str, hours: float) -> dict[str, Any]:
    line = f"spec.schedule written by kubectl-edit (now '{schedule}')"
    return {"at": _iso(AT - timedelta(hours=hours)), "type": "other",
            "object": {"kind": "CronJob", "namespace": ns, "name": name},
            "summary": f"CronJob {ns}/{name} written by kubectl-edit: spec.schedule", "diff": [line]}


@dataclass
class Hub:
    """The tool hub: CronJobs by name (their container words), the consumer pod's env, its log lines."""

    jobs: dict[str, list[str]]
    schedule: str
    env: list[dict[str, str]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> ToolOutcome | None:
        if tool == "k8s_get" and args["kind"] == "CronJob" and args["name"] in self.jobs:
            words = self.jobs[args["name"]]
            obj = {"kind": "CronJob", "metadata": {"name": args["name"], "namespace": args["namespace"]},
                   "spec": {"schedule": self.schedule, "jobTemplate": {"spec": {"template": {"spec": {
                       "containers": [{"name": "job", "image": words[0], "args": words[1:]}]}}}}}}
            return outcome(True, {}, yaml.safe_dump(obj), "E4")
        if tool == "k8s_get" and args["kind"] == "Pod":
            obj = {"kind": "Pod", "metadata": {"name": args["name"], "namespace": args["namespace"]},
                   "spec": {"containers": [{"name": "app", "env": self.env}]}}
            return outcome(True, {}, yaml.safe_dump(obj), "E5")
        if tool == "k8s_logs":
            lines = [line for line in self.log if args["grep"] in line]
            return outcome(True, {}, "\n".join(lines), "E6")
        return None


def _facts(changes: list[dict[str, Any]], ns: str, name: str, miss: str, first_seen: float = 1.0) -> Facts:
    topology = {"subject": {"kind": "Deployment", "namespace": ns, "name": name},
                "workloads": [{"kind": "Deployment", "namespace": ns, "name": name}],
                "services": [{"kind": "Service", "namespace": ns, "name": name}], "dependencies": []}
    top = {"template": miss, "message": miss, "first_seen": _iso(AT - timedelta(hours=first_seen))}
    log = LogEvidence(pod=f"{name}-7d9f-q2w3e", namespace=ns, evidence_id="E7", top=top, hosts=[],
                      error_classes=set(), previous=False)
    history = ({"changes": changes, "window": rc.HISTORY_WINDOW}, "E3")
    return Facts(at=AT, changes={"changes": []}, changes_id="E2", topologies=[(topology, "E8")], logs=[log],
                 history=[history])


def _found(facts: Facts, hub: Hub) -> list[rc.Rotation]:
    asyncio.run(rc.read(Subject(), facts, hub, _iso(AT)))
    return rc.found(facts)


GATEWAY_LOG = ['level=info msg="jwks loaded" url=http://issuer.auth.svc/jwks.json keys=2 cache_ttl=24h0m0s']


def test_a_rotation_edited_to_hourly_under_a_24h_jwks_cache_is_named_with_what_it_means() -> None:
    facts = _facts([_edit("identity", "key-rotation", "0 * * * *", 5)], "edge", "gateway", GO_MISS)
    hub = Hub({"key-rotation": ["registry/keytool:2", "rotate", "--activate=now"]}, "0 * * * *", log=GATEWAY_LOG)
    [r] = _found(facts, hub)
    message = rc.finding(r)["message"]
    assert message.startswith("CronJob identity/key-rotation now rotates its signing key hourly")
    assert "JWKS) for 24 h" in message[:400] and "kid" in message[:400]


def test_a_node_verifier_with_its_cache_age_in_env_and_a_half_hourly_roller_is_named() -> None:
    facts = _facts([_edit("oidc", "jwk-roller", "*/30 * * * *", 3)], "shop", "cart-api", NODE_MISS)
    hub = Hub({"jwk-roller": ["registry/oidc-tools:1", "roll", "--publish"]}, "*/30 * * * *",
              env=[{"name": "JWKS_CACHE_MAX_AGE", "value": "12h"}])
    [r] = _found(facts, hub)
    assert r.every == timedelta(minutes=30) and r.cache == timedelta(hours=12)


def test_a_period_the_cache_does_not_outlive_is_not_named() -> None:
    facts = _facts([_edit("identity", "key-rotation", "0 0 * * *", 5)], "edge", "gateway", GO_MISS)
    hub = Hub({"key-rotation": ["registry/keytool:2", "rotate"]}, "0 0 * * *", log=GATEWAY_LOG)
    assert _found(facts, hub) == []


def test_a_cronjob_that_rotates_nothing_is_not_named() -> None:
    facts = _facts([_edit("data", "nightly-export", "0 * * * *", 5)], "edge", "gateway", GO_MISS)
    hub = Hub({"nightly-export": ["registry/pg-dump:16", "--all"]}, "0 * * * *", log=GATEWAY_LOG)
    assert _found(facts, hub) == []


def test_a_schedule_written_after_the_misses_began_or_no_miss_names_nothing() -> None:
    late = _facts([_edit("identity", "key-rotation", "0 * * * *", 2)], "edge", "gateway", GO_MISS, first_seen=4)
    hub = Hub({"key-rotation": ["registry/keytool:2", "rotate"]}, "0 * * * *", log=GATEWAY_LOG)
    assert _found(late, hub) == []
    quiet = _facts([_edit("identity", "key-rotation", "0 * * * *", 5)], "edge", "gateway",
                   "upstream connect error or disconnect/reset before headers")
    assert _found(quiet, hub) == []


def test_cron_periods() -> None:
    assert rc.period("0 * * * *") == timedelta(hours=1)
    assert rc.period("*/15 * * * *") == timedelta(minutes=15)
    assert rc.period("0 3 * * 1") == timedelta(days=7)
    assert rc.period("@every 90m") == timedelta(minutes=90)
    assert rc.period("not a schedule") is None
