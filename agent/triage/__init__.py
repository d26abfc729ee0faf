"""Triage: the model-free reasoning that names a root cause on incidents no runbook was written for.

`subject` reads what the incident points at, `survey` gathers the facts every investigation needs
(scan, change timeline, topology, telling logs) through the tool hub, `rank` orders the suspects
(causes before symptoms, close to the incident, recently changed), and `runbook_for` picks the
runbook of what is actually wrong when the alert's words do not name one. The investigation loop
(agent/investigation.py) calls them in that order.
"""

from typing import Any

from agent.triage.facts import Facts, Ref
from agent.triage.rank import Candidate, rank
from agent.triage.subject import Subject, subject_of
from agent.triage.survey import SurveyResult, survey

RUNBOOK_FOR_CHECK: tuple[tuple[str, str], ...] = (
    # (a word of the top suspect's check id or reason, runbook id): first match wins.
    ("pvc.full", "pvc-full"), ("pv.", "pod-pending"), ("config.limit", "generic-triage"),
    ("connections.", "generic-triage"),
    ("oom", "oomkilled"),
    ("imagepull", "imagepullbackoff"), ("image_pull", "imagepullbackoff"),
    ("errimagepull", "imagepullbackoff"), ("image", "imagepullbackoff"), ("dns", "dns-failures"),
    ("cert", "certificate-expiry"), ("node", "node-notready"), ("hpa", "hpa-maxed-out"),
    ("autoscal", "hpa-maxed-out"), ("pvc", "pod-pending"), ("storage", "pod-pending"), ("schedul", "pod-pending"),
    ("pending", "pod-pending"), ("crash", "crashloopbackoff"), ("config", "crashloopbackoff"),
    ("init", "crashloopbackoff"), ("rollout", "stuck-rollout"), ("progress", "stuck-rollout"),
    ("unavailable", "stuck-rollout"), ("quota", "stuck-rollout"), ("webhook", "stuck-rollout"),
    ("endpoints", "high-5xx-rate"), ("dependency", "high-5xx-rate"), ("ingress", "high-5xx-rate"),
)
"""The runbook of each kind of problem the scan finds, for incidents whose words match none."""


def survey_facts(result: SurveyResult) -> dict[str, Any]:
    """The survey's structured results under the step ids runbook rules read (`survey.scan`...)."""
    facts = result.facts
    out: dict[str, Any] = {}
    if facts.scan is not None:
        out["survey.scan"] = facts.scan
    if facts.changes is not None:
        out["survey.changes"] = facts.changes
    if facts.topologies:
        out["survey.topology"] = facts.topologies[0][0]
    if facts.logs:
        out["survey.logs"] = {"logs": [{"pod": log.pod, "namespace": log.namespace, "previous": log.previous,
                                        "errors": [e for e in [log.top, *log.more] if e],
                                        "hosts": log.hosts} for log in facts.logs]}
    return out


def survey_evidence_ids(result: SurveyResult) -> dict[str, str]:
    """The evidence id behind each survey step, for the findings that cite them."""
    facts = result.facts
    ids = {"survey.scan": facts.scan_id, "survey.changes": facts.changes_id,
           "survey.topology": facts.topologies[0][1] if facts.topologies else None}
    if facts.logs:
        ids["survey.logs"] = facts.logs[0].evidence_id
    return {k: v for k, v in ids.items() if v}


def runbook_for(candidate: Candidate) -> str | None:
    """The id of the runbook that fits a suspect's kind of problem, or None."""
    text = candidate.check.lower().replace("-", "_")
    for word, runbook_id in RUNBOOK_FOR_CHECK:
        if word in text:
            return runbook_id
    return None


__all__ = ["Candidate", "Facts", "Ref", "Subject", "SurveyResult", "rank", "runbook_for", "subject_of", "survey",
           "survey_evidence_ids", "survey_facts"]
