"""A limiter's config file rewritten with no values in the timeline: governing_change reads the file's current
settings (agent.triage.governing_change.file_leaves).

Written here in our own words, not from a held-out bundle. Shapes: an Envoy global rate-limit service whose
`rules.yaml` descriptor now counts per day, behind an Envoy access log answering `429 RL`; Kong's DB-less
`kong.yml` whose rate-limiting plugin now allows 30 a minute, behind Kong's `API rate limit exceeded`. Twins: the
same limiter file rewritten with no rate-limit setting in it (a log level), a file of an application ConfigMap
whose name names no limiter (not read), and throttling that began before the write.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import governing_change as gc
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject

AT = datetime(2026, 4, 2, 16, 0, tzinfo=UTC)
ENVOY_429 = ('[2026-04-02T15:40:00.000Z] "GET /v1/invoices HTTP/2" 429 RL - "-" 0 18 1 - "10.1.4.9" '
             '"python-requests/2.32" "5b1c" "api.billing.example.org" "-"')
KONG_429 = 'HTTP/1.1 429 Too Many Requests {"message":"API rate limit exceeded"}'
RULES = ("domain: billing-edge\ndescriptors:\n  - key: tenant\n    rate_limit:\n      unit: day\n"
         "      requests_per_unit: 5000\n")
KONG_YML = ("_format_version: \"3.0\"\nplugins:\n  - name: rate-limiting\n    config:\n      minute: 30\n"
            "      policy: local\n")


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rewritten(ns: str, name: str, key: str, minutes: int = 90) -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": "config", "object": {"kind": "ConfigMap", "namespace": ns, "name": name},
            "summary": f"ConfigMap {ns}/{name} updated by kubectl-edit: data key {key} set by kubectl-edit",
            "diff": [f"data key {key} set by kubectl-edit"], "related": []}


def _log(pod: str, ns: str, message: str, first_min: int) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7",
                       top={"template": message, "example": message, "first_seen": _stamp(first_min)},
                       hosts=[], error_classes=set(), previous=False)


def _run(change: dict[str, Any], log: LogEvidence, data: dict[str, str]) -> tuple[list[gc.GoverningChange], list[str]]:
    target = change["object"]
    obj = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": target["name"], "namespace": target["namespace"]}, "data": data}
    seen: list[str] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        seen.append(step)
        hit = (arguments.get("kind"), arguments.get("namespace"), arguments.get("name")) == (
            "ConfigMap", target["namespace"], target["name"])
        text = yaml.safe_dump(obj) if hit else "not found"
        return ToolOutcome(f"E{len(seen) + 20}", tool, arguments, hit, text, full_text=text)

    topology = {"subject": {"kind": "Deployment", "namespace": log.namespace, "name": "front"},
                "workloads": [], "services": [], "dependencies": []}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2", topologies=[(topology, "E3")], logs=[log],
                  reads={gc.READS: {"pod_words": []}})
    asyncio.run(gc.read(Subject(names=["front"]), facts, call))
    return gc.found(facts), seen


def test_an_envoy_rate_limit_descriptor_file_names_its_unit_and_count() -> None:
    found, _ = _run(_rewritten("gateway", "envoy-ratelimit-rules", "rules.yaml"),
                    _log("front-6c7d8f9b5-x2k4m", "billing", ENVOY_429, 20), {"rules.yaml": RULES})
    [g] = found
    assert g.target.name == "envoy-ratelimit-rules"
    assert g.setting.text() == "rules.yaml.unit now unit: day, requests_per_unit: 5000"
    assert "descriptor" in gc.finding(g)["message"]


def test_a_kong_declarative_plugin_file_names_its_minute_limit() -> None:
    found, _ = _run(_rewritten("kong", "kong-declarative", "kong.yml"),
                    _log("front-6c7d8f9b5-x2k4m", "shop", KONG_429, 30), {"kong.yml": KONG_YML})
    [g] = found
    assert g.setting.text() == "kong.yml.minute now minute: 30, policy: local"


def test_a_limiter_file_rewritten_without_a_rate_setting_is_not_named() -> None:
    found, seen = _run(_rewritten("gateway", "envoy-ratelimit-rules", "rules.yaml"),
                       _log("front-6c7d8f9b5-x2k4m", "billing", ENVOY_429, 20),
                       {"rules.yaml": "domain: billing-edge\nlog_level: debug\n"})
    assert found == [] and "survey-governing-file-envoy-ratelimit-rules" in seen


def test_an_application_configmap_file_is_not_read_or_named() -> None:
    found, seen = _run(_rewritten("billing", "invoice-settings", "app.yaml"),
                       _log("front-6c7d8f9b5-x2k4m", "billing", ENVOY_429, 20), {"app.yaml": "minute: 5\n"})
    assert found == [] and not any(s.startswith("survey-governing-file") for s in seen)


def test_throttling_that_began_before_the_rewrite_is_not_named() -> None:
    found, _ = _run(_rewritten("gateway", "envoy-ratelimit-rules", "rules.yaml", minutes=30),
                    _log("front-6c7d8f9b5-x2k4m", "billing", ENVOY_429, 120), {"rules.yaml": RULES})
    assert found == []
