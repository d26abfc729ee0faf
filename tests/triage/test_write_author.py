"""Who made a write, in other change sources' wording (issue #12 audit: cache_config and frozen_mount omitted the
author when the summary said `updated by`).

Shapes, written here: an audit-log digest saying `patched by system:serviceaccount:...`; a GitOps summary saying
`applied by flux` and a record carrying the actor in a field of its own. Twins: a summary with no author at all,
and a `by` after a word that is no write (`throttled by upstream`): both give "" rather than a guess.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.triage import cache_config
from agent.triage.facts import Ref
from agent.triage.write_author import written_by

AT = datetime(2026, 7, 21, 13, 0, tzinfo=UTC)


def test_vigil_summary_still_read() -> None:
    assert written_by({"summary": "ConfigMap a/b written by kubectl-edit: data.x"}) == "kubectl-edit"


def test_audit_digest_patched_by_a_service_account() -> None:
    summary = "configmaps/edge-varnish patched by system:serviceaccount:ci:deployer (2 fields)"
    assert written_by({"summary": summary}) == "system:serviceaccount:ci:deployer"


def test_gitops_applied_by_and_an_actor_field() -> None:
    assert written_by({"summary": "kustomization edge/proxy applied by flux, revision main@sha1:9f3e"}) == "flux"
    assert written_by({"summary": "ConfigMap edge/proxy changed", "actor": "ops-bot"}) == "ops-bot"


def test_twin_no_author_named_gives_nothing() -> None:
    assert written_by({"summary": "ConfigMap edge/proxy changed: data.default.vcl"}) == ""


def test_twin_a_by_after_no_write_verb_is_no_author() -> None:
    assert written_by({"summary": "requests throttled by upstream after the config load"}) == ""


def _rewritten(summary: str) -> cache_config.Rewritten:
    change = {"at": (AT - timedelta(minutes=30)).isoformat(), "summary": summary,
              "object": {"kind": "ConfigMap", "namespace": "edge", "name": "varnish-vcl"}}
    return cache_config.Rewritten(Ref("ConfigMap", "edge", "varnish-vcl"), change, ["default.vcl"],
                                  "Varnish hit ratio", 0.9, 0.05, None, 30, ["E2"])


def test_cache_config_finding_names_an_updated_by_author() -> None:
    message = cache_config.finding(_rewritten("ConfigMap edge/varnish-vcl updated by jenkins-deploy: data"))["message"]
    assert "(default.vcl) by jenkins-deploy 30 min" in message


def test_twin_cache_config_finding_without_an_author_names_none() -> None:
    message = cache_config.finding(_rewritten("ConfigMap edge/varnish-vcl changed: data"))["message"]
    assert "(default.vcl) 30 min" in message
