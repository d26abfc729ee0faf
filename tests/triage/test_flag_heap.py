"""flag_heap: a feature flag switched on, and the service reading it dying at its runtime's heap limit since.

Shapes: an OpenFeature FeatureFlag whose variant goes on, read (operator annotation) by a JVM service that throws
`OutOfMemoryError: Java heap space`; a flags ConfigMap whose feature goes `false -> true`, named in a Go service's
args, that dies `fatal error: runtime: out of memory`. Negative twins: a flag switched off, a crashing service
whose template does not name the flag object, crashes seen before the write, a flag write with no heap words.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import flag_heap as fh
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 9, 1, 16, 0, tzinfo=UTC)


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _facts(kind: str, ns: str, name: str, diff: str, pod: str, said: str, template: str,
           since: int = 20) -> Facts:
    change = {"at": _stamp(45), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
              "summary": f"{kind} {ns}/{name} written", "diff": [diff], "related": []}
    log = LogEvidence(pod=pod, namespace=ns, evidence_id="E4", hosts=[], error_classes={"oom"}, previous=True,
                      top={"message": said, "example": said, "severity": "fatal"})
    scan = {"findings": [{"check": "pod.restarting", "since": _stamp(since),
                          "object": {"kind": "Deployment", "namespace": ns, "name": pod.rsplit("-", 2)[0]}}]}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2", logs=[log], scan=scan, scan_id="E1")
    facts.reads[fh.READS] = {"templates": {f"{ns}/{pod.rsplit('-', 2)[0]}": (template, "E6")}}
    return facts


JVM_SAID = "Exception in thread \"http-nio-8080-exec-7\" java.lang.OutOfMemoryError: Java heap space"


def _openfeature(diff: str = "spec.flagSpec.flags.search-result-memo.defaultVariant = 'enabled'",
                 template: str = '{"annotations": {"openfeature.dev/featureflagsource": "media/player-flags"}}',
                 said: str = JVM_SAID, since: int = 20) -> Facts:
    return _facts("FeatureFlag", "media", "player-flags", diff, "playlist-7d9f8c6b5-x2x9q", said, template, since)


def test_openfeature_flag_on_then_jvm_heap_space_names_the_flag() -> None:
    [hit] = fh.found(_openfeature())
    assert hit.target.kind == "FeatureFlag" and hit.key == "search-result-memo"
    assert hit.workload.name == "playlist" and "Java heap space" in fh.finding(hit)["message"]


def test_flag_switched_off_is_not_blamed() -> None:
    assert fh.found(_openfeature(diff="spec.flagSpec.flags.search-result-memo.defaultVariant = 'off'")) == []


def test_crashing_service_that_does_not_read_the_flag_is_not_tied() -> None:
    assert fh.found(_openfeature(template='{"annotations": {"team": "media"}}')) == []


def test_crashes_before_the_flag_write_are_not_its_doing() -> None:
    assert fh.found(_openfeature(since=120)) == []


def test_no_heap_words_no_finding() -> None:
    assert fh.found(_openfeature(said="upstream connect error or disconnect/reset before headers")) == []


def _unleash(diff: str = "data key features.bulk-prefetch.enabled: false -> true") -> Facts:
    return _facts("ConfigMap", "ads", "ads-toggles", diff, "bidder-5c8d7f9b4-kq2lp",
                  "fatal error: runtime: out of memory", '{"template": {"args": ["--toggles=/etc/ads-toggles"]}}')


def test_toggle_config_map_on_then_go_out_of_memory_names_the_config_map() -> None:
    [hit] = fh.found(_unleash())
    assert hit.target.name == "ads-toggles" and hit.key == "bulk-prefetch"


def test_toggle_config_map_switched_off_is_not_blamed() -> None:
    assert fh.found(_unleash(diff="data key features.bulk-prefetch.enabled: true -> false")) == []


def test_read_keeps_the_template_found_reads() -> None:
    facts = _openfeature()
    facts.reads.clear()
    deployment = {"kind": "Deployment", "metadata": {"name": "playlist", "namespace": "media",
                                                     "annotations": {"openfeature.dev/featureflagsource":
                                                                     "media/player-flags"}},
                  "spec": {"template": {"spec": {"containers": [{"name": "playlist"}]}}}}

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        assert tool == "k8s_get" and args["name"] == "playlist"
        return ToolOutcome(tool=tool, arguments=args, ok=True, data={}, text="", evidence_id="E8",
                           full_text=yaml.safe_dump(deployment))

    asyncio.run(fh.read(facts, call))
    [hit] = fh.found(facts)
    assert "E8" in hit.evidence


# ---- flags kept as environment-style keys, readers that are StatefulSets (issue #12 audit) ----

PY_SAID = "Traceback (most recent call last): ... MemoryError"


def _env_flags(diff: str) -> Facts:
    return _facts("ConfigMap", "crm", "worker-settings", diff, "enricher-6b7c8d9f5-pq4rs", PY_SAID,
                  '{"template": {"spec": {"containers": [{"envFrom": [{"configMapRef": '
                  '{"name": "worker-settings"}}]}]}}}')


def test_env_style_flag_in_an_env_config_map_on_then_python_memory_error() -> None:
    [hit] = fh.found(_env_flags("data key FEATURE_SESSION_CACHE: 'false' -> 'true'"))
    assert hit.target.name == "worker-settings" and hit.key == "FEATURE_SESSION_CACHE"


def test_twin_env_style_flag_switched_off() -> None:
    assert fh.found(_env_flags("data key FEATURE_SESSION_CACHE: 'true' -> 'false'")) == []


def test_twin_env_style_key_given_a_number_is_no_switch() -> None:
    assert fh.found(_env_flags("data key FEATURE_MAX_ITEMS: '100' -> '5000'")) == []


def test_deployment_env_flag_enabled_suffix_written_on_the_workload() -> None:
    facts = _facts("Deployment", "crm", "enricher", "enricher env PREFETCH_ENABLED='false' -> PREFETCH_ENABLED='true'",
                   "enricher-6b7c8d9f5-pq4rs", PY_SAID, '{"template": {"env": [{"name": "PREFETCH_ENABLED"}]}}')
    [hit] = fh.found(facts)
    assert hit.key == "PREFETCH_ENABLED"


def _stateful(annotation: str) -> Facts:
    facts = _facts("FeatureFlag", "media", "index-flags", "spec.flagSpec.flags.warm-cache.defaultVariant = 'on'",
                   "catalog-search-1", "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of "
                   "memory", "")
    facts.reads.clear()
    sts = {"kind": "StatefulSet", "metadata": {"name": "catalog-search", "namespace": "media"},
           "spec": {"template": {"metadata": {"annotations": {"openfeature.dev/featureflagsource": annotation}},
                                 "spec": {"containers": [{"name": "search"}]}}}}

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        found = args["kind"] == "StatefulSet" and args["name"] == "catalog-search"
        return ToolOutcome(tool=tool, arguments=args, ok=found, data={}, text="", evidence_id="E8",
                           full_text=yaml.safe_dump(sts) if found else "")

    asyncio.run(fh.read(facts, call))
    return facts


def test_statefulset_reader_of_a_flag_is_read_and_named() -> None:
    [hit] = fh.found(_stateful("media/index-flags"))
    assert hit.workload.kind == "StatefulSet" and hit.workload.name == "catalog-search"


def test_twin_statefulset_that_does_not_read_the_flag() -> None:
    assert fh.found(_stateful("media/player-flags")) == []
