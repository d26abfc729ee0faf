"""The pull-request description: everything a reviewer needs to approve or refuse without Vigil.

Sections, in reading order: what and why, the incident, the evidence, the change (files and diff),
the risk, the approval record, and how to undo it. Evidence and incident text come from the system
under investigation (alerts, logs), so they are shown inside fenced text blocks, where Markdown,
HTML and @-mentions are inert; secrets are redacted from the whole body before it leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from guardrails.redaction import redact_text

MAX_DIFF_CHARS = 20_000
MAX_EVIDENCE_LINES = 15

RISK_TEXT = {
    "set_memory_limit": "Pods restart with the new limit on the next rollout; too low a limit brings OOMKills back.",
    "set_cpu_limit": "Pods restart with the new limit on the next rollout; a low limit throttles the service.",
    "set_resources": "Pods restart with the new resources; requests change scheduling and node capacity use.",
    "set_replicas": "Changes the number of pods; a lower count reduces capacity.",
    "set_hpa_bounds": "Changes how far the autoscaler scales; a low maximum caps capacity under load.",
    "set_image": "Deploys a different image; behaviour changes with the code in it.",
    "rollback_image": "Deploys the previous known-good image; any fix shipped after it is withdrawn too.",
    "set_env": "Pods restart with the new environment value.",
    "set_configmap_value": "Changes configuration read by the service; pods may need a restart to pick it up.",
    "set_probe": "Changes when Kubernetes considers pods ready or alive; loose probes hide failures longer.",
}


@dataclass
class BodyInput:
    title: str
    summary: str
    reason: str
    action: str
    incident_title: str
    incident_id: str
    fingerprint: str
    severity: str
    evidence: Sequence[str]
    location: str
    paths: Sequence[str]
    notes: Sequence[str]
    diff: str
    risk: str
    environment: str
    approval: str
    action_id: str


def _fence(text: str, lang: str = "text") -> str:
    safe = text.replace("```", "'''")
    return f"```{lang}\n{safe.rstrip()}\n```"


def render_body(data: BodyInput) -> str:
    """Markdown for GitHub, GitLab, or the git note of a plain remote."""
    evidence = [line.strip() for line in data.evidence if line.strip()]
    shown = [line if len(line) <= 300 else line[:299] + "…" for line in evidence[:MAX_EVIDENCE_LINES]]
    if len(evidence) > len(shown):
        shown.append(f"({len(evidence) - len(shown)} more evidence lines in the investigation report)")
    diff = data.diff if len(data.diff) <= MAX_DIFF_CHARS else data.diff[:MAX_DIFF_CHARS] + "\n… (diff truncated)"
    lines = [
        f"Vigil proposes: **{_inline(data.summary)}**",
        "",
        "## Why",
        _fence(data.reason or "(no reason given)"),
        "",
        "## Incident",
        f"- id: `{_inline(data.incident_id)}`, fingerprint: `{_inline(data.fingerprint)}`, "
        f"severity: {_inline(data.severity)}",
        _fence(data.incident_title),
        "",
        "## Evidence",
        _fence("\n".join(f"- {line}" for line in shown) or "(none recorded)"),
        "",
        "## Change",
        f"Environment `{_inline(data.environment)}`, {_inline(data.location)}. Files: "
        + ", ".join(f"`{p}`" for p in data.paths),
    ]
    lines.extend(f"- note: {_inline(n)}" for n in data.notes)
    lines += [
        "",
        _fence(diff, "diff"),
        "",
        "## Risk",
        f"Risk level **{data.risk}**. {RISK_TEXT.get(data.action, '')}",
        "Nothing changes in the cluster until this is merged and the GitOps controller syncs it.",
        "",
        "## Approval",
        _inline(data.approval),
        "",
        "## Rollback",
        f"`vigil rollback {data.action_id}` opens a pull request that restores the previous content of "
        + ", ".join(f"`{p}`" for p in data.paths) + ". Before merge, closing this request is enough.",
        "",
        f"<!-- vigil:fingerprint={_inline(data.fingerprint)} action={data.action_id} -->",
    ]
    return redact_text("\n".join(lines) + "\n").text


def _inline(text: str) -> str:
    """One line of untrusted text made inert for Markdown: no HTML, no mentions, no line breaks."""
    return (str(text).replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;").replace("@", "@\u200b")
            .replace("`", "'"))
