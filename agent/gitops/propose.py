"""The proposal flow: remediation -> located, validated edit -> guardrails -> branch -> pull request.

Order matters. Everything that can be checked without a human is checked first (the file is found,
the edit is computed, written in Vigil's private clone and validated), so the approver sees the
exact diff that will be pushed. Then the action goes through the guardrail pipeline (the policy's
repository paths, the rollback plan, a named human's approval, the audit record). Only an allowed
action is committed and pushed. All of it happens in a scratch work tree that is removed afterwards,
and no path is read or written through a symlink that leaves the repository (agent/gitops/paths.py),
so a refused, invalid or declined proposal changes nothing anywhere.

One branch per incident fingerprint (`vigil/<fingerprint>`): a re-run rebuilds that branch on the
current base and updates the existing pull request instead of opening another.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agent.gitops.body import BodyInput, render_body
from agent.gitops.edits import ChangeSet, NoChangeNeeded, plan_change
from agent.gitops.git import GitClone, GitError, workdir_lock
from agent.gitops.locate import LocateError, RepoIndex, locate
from agent.gitops.paths import refuse_links_out, write_inside
from agent.gitops.plain_git import PlainGitProvider
from agent.gitops.provider import Provider, ProviderError, PullRequest
from agent.gitops.remediation import Remediation
from agent.gitops.validate import ValidationFailed, validate_change
from agent.gitops.yamldoc import YamlEditError
from agent.incident import Incident
from guardrails.action import Action, Actor, Risk, RollbackPlan, ToolSpec, Verdict
from guardrails.pipeline import Pipeline

TOOL_NAME = "propose_change"

ACTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["changes", "namespace", "kind", "branch", "remediation"],
    "properties": {
        "changes": {"type": "array", "minItems": 1,
                    "items": {"type": "object", "required": ["path"], "properties": {"path": {"type": "string"}}}},
        "namespace": {"type": "string"},
        "kind": {"type": "string"},
        "branch": {"type": "string", "pattern": "^vigil/[A-Za-z0-9._/-]+$"},
        "base": {"type": "string"},
        "repository": {"type": "string"},
        "remediation": {"type": "object"},
        "incident": {"type": "object"},
        "revert_of": {"type": "string"},
    },
}
"""The arguments of a `propose_change` action as the guardrails see it (paths per the scope convention)."""

SPEC = ToolSpec(name=TOOL_NAME, input_schema=ACTION_SCHEMA, read_only=False, risk=Risk.MEDIUM)

MANUAL_ACTIONS = ("manual", "none", "none-in-cluster")
"""Runbook remediations a human carries out; they are reported, never turned into a change."""

Status = Literal["opened", "updated", "unchanged", "refused", "invalid", "conflict", "failed"]


@dataclass
class GitOpsRepo:
    """Where Vigil keeps its clone of the GitOps repository, and what it targets."""

    workdir: Path
    base: str = "main"
    env: str = "prod"
    kubectl: str | None = None
    """kubectl binary for rendering overlays during validation; found on PATH when None."""
    risk: Risk = Risk.MEDIUM
    """The risk of a pull request here. `HIGH` for a repository that deploys to production makes the
    policy's `distinct_approver_at: high` apply: the approver must be someone other than the requester."""


@dataclass
class ProposalResult:
    status: Status
    action_id: str | None = None
    branch: str | None = None
    pr: PullRequest | None = None
    commit: str | None = None
    paths: list[str] = field(default_factory=list)
    diff: str = ""
    notes: list[str] = field(default_factory=list)
    reason: str = ""
    verdict: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("opened", "updated", "unchanged")

    def summary(self) -> str:
        if self.ok and self.pr:
            verb = {"opened": "opened", "updated": "updated", "unchanged": "kept"}[self.status]
            return f"{verb} {self.pr.url} (branch {self.branch}, action {self.action_id})"
        return f"{self.status}: {self.reason}"


def branch_for(fingerprint: str, prefix: str = "vigil") -> str:
    """`vigil/<fingerprint>`, made safe for a git ref."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", fingerprint).strip("-.")[:60] or "incident"
    return f"{prefix}/{slug}"


def _changed_lines(diff: str) -> list[str]:
    return [ln for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]


async def _prepare(clone: GitClone, repo: GitOpsRepo, r: Remediation) -> tuple[ChangeSet, str, str]:
    """Sync the clone, compute, write and validate the change; returns it, its diff and the base commit."""
    base_commit = await clone.sync()
    index = RepoIndex(clone.path)
    location = locate(index, r.workload, repo.env)
    refuse_links_out(index.links_out, location)
    change = plan_change(index, location, r)
    for file in change.changes:
        real = write_inside(clone.path, file.path, file.after)
        if real != file.path:
            change.notes.append(f"{file.path} is a symlink to {real}; the edit is made in {real}")
            file.path = real
    try:
        change.notes.extend(validate_change(clone.path, change, r, repo.kubectl))
    except ValidationFailed:
        await clone.restore()
        raise
    diff = await clone.diff(change.paths)
    return change, diff, base_commit


async def preview(remediation: Remediation, repo: GitOpsRepo, provider: Provider) -> tuple[ChangeSet, str]:
    """The validated change and its diff, computed in the clone and then thrown away (nothing is pushed).

    Raises LocateError, YamlEditError, ValidationFailed, NoChangeNeeded or GitError.
    """
    clone = GitClone(repo.workdir, provider.remote_url, repo.base, env=provider.git_env())
    async with workdir_lock(repo.workdir), clone.scratch() as scratch:
        change, diff, _ = await _prepare(scratch, repo, remediation)
    return change, diff


async def propose(
    remediation: Remediation | dict[str, Any],
    incident: Incident,
    evidence: Sequence[str] | str,
    repo: GitOpsRepo,
    provider: Provider,
    pipeline: Pipeline,
    actor: Actor,
    *,
    run_id: str | None = None,
    context: dict[str, Any] | None = None,
) -> ProposalResult:
    """Open (or update) the pull request for one remediation of one incident. Never raises for a refusal.

    `context` is kept in the rollback plan's data under `proposal` (so in the pending approval request
    too): what a later completion needs to rebuild this exact call (agent/gitops/from_report.py).
    """
    async with workdir_lock(repo.workdir):
        return await _propose(remediation, incident, evidence, repo, provider, pipeline, actor, run_id, context)


async def _propose(remediation: Remediation | dict[str, Any], incident: Incident, evidence: Sequence[str] | str,
                   repo: GitOpsRepo, provider: Provider, pipeline: Pipeline, actor: Actor,
                   run_id: str | None, context: dict[str, Any] | None = None) -> ProposalResult:
    if isinstance(remediation, dict) and remediation.get("action") in MANUAL_ACTIONS:
        reason = str(remediation.get("reason") or "the runbook marks this fix as manual")
        return _not_proposed(pipeline, "invalid", f"a manual remediation is not proposed as a change: {reason}",
                             incident, run_id)
    try:
        r = remediation if isinstance(remediation, Remediation) else Remediation.model_validate(remediation)
    except ValueError as exc:
        return _not_proposed(pipeline, "invalid", f"the remediation is not valid: {exc}", incident, run_id)
    try:
        async with GitClone(repo.workdir, provider.remote_url, repo.base, env=provider.git_env()).scratch() as clone:
            if isinstance(provider, PlainGitProvider):
                provider.clone = clone
            return await _propose_in(clone, r, incident, evidence, repo, provider, pipeline, actor, run_id,
                                     context)
    except GitError as exc:
        return _not_proposed(pipeline, "failed", f"could not read the GitOps repository: {exc}", incident, run_id)


async def _propose_in(clone: GitClone, r: Remediation, incident: Incident, evidence: Sequence[str] | str,
                      repo: GitOpsRepo, provider: Provider, pipeline: Pipeline, actor: Actor,
                      run_id: str | None, context: dict[str, Any] | None = None) -> ProposalResult:
    """The proposal inside one scratch work tree (removed by the caller whatever happens here)."""
    try:
        change, diff, base_commit = await _prepare(clone, repo, r)
    except NoChangeNeeded as exc:
        return _not_proposed(pipeline, "unchanged", str(exc), incident, run_id)
    except (LocateError, YamlEditError, ValidationFailed) as exc:
        return _not_proposed(pipeline, "invalid", str(exc), incident, run_id)
    except GitError as exc:
        return _not_proposed(pipeline, "failed", f"could not read the GitOps repository: {exc}", incident, run_id)

    branch = branch_for(incident.fingerprint)
    title = f"[vigil] {r.summary()}"
    plan = RollbackPlan(
        kind="revert_pull_request",
        description=f"open a pull request that restores the previous content of {', '.join(change.paths)}",
        data={"provider": provider.describe(), "base": repo.base, "env": repo.env, "branch": branch,
              "paths": change.paths, "patch": diff, "title": title, "fingerprint": incident.fingerprint,
              "incident_id": incident.id, "base_commit": base_commit,
              "namespace": r.workload.namespace, "kind": r.workload.kind, "workdir": str(repo.workdir),
              "risk": repo.risk.name.lower()},
    )
    if context:
        plan.data["proposal"] = context
    action_fields: dict[str, Any] = dict(
        actor=actor, tool=TOOL_NAME, risk=repo.risk, rollback=plan,
        arguments={"changes": [{"path": p} for p in change.paths], "namespace": r.workload.namespace,
                   "kind": r.workload.kind, "branch": branch, "base": repo.base,
                   "repository": provider.remote_url, "remediation": r.model_dump(exclude_defaults=True),
                   "incident": {"id": incident.id, "fingerprint": incident.fingerprint}},
    )
    if run_id:
        action_fields["run_id"] = run_id
    action = Action(**action_fields)
    verdict = await pipeline.check(action, SPEC)
    if not verdict.allowed:
        await clone.restore()
        denial = verdict.denial
        assert denial is not None
        return ProposalResult("refused", action.id, branch, paths=change.paths, diff=diff, notes=change.notes,
                              reason=f"{denial.layer}: {denial.reason}", verdict=verdict.explain())
    try:
        return await _publish(clone, repo, provider, pipeline, r, incident, evidence, change, diff, action,
                              verdict, branch, title, plan)
    except (GitError, ProviderError) as exc:
        pipeline.record({"kind": "gitops", "event": "failed", "action_id": action.id, "run_id": action.run_id,
                         "branch": branch, "reason": str(exc)})
        await clone.restore()
        return ProposalResult("failed", action.id, branch, paths=change.paths, diff=diff, notes=change.notes,
                              reason=str(exc), verdict=verdict.explain())


async def _publish(clone: GitClone, repo: GitOpsRepo, provider: Provider, pipeline: Pipeline, r: Remediation,
                   incident: Incident, evidence: Sequence[str] | str, change: ChangeSet, diff: str,
                   action: Action, verdict: Verdict, branch: str, title: str, plan: RollbackPlan) -> ProposalResult:
    approval = next((d.reason for d in verdict.decisions if d.layer == "approval"), "not required")
    body = render_body(BodyInput(
        title=title, summary=r.summary(), reason=r.reason, action=r.action, incident_title=incident.title,
        incident_id=incident.id, fingerprint=incident.fingerprint, severity=incident.severity,
        evidence=evidence.splitlines() if isinstance(evidence, str) else list(evidence),
        location=change.location.describe(), paths=change.paths, notes=change.notes, diff=diff,
        risk=action.risk.name.lower(), environment=repo.env, approval=approval, action_id=action.id,
    ))
    message = (f"{title}\n\n{r.reason or r.summary()}\n\nVigil-Incident: {incident.fingerprint}\n"
               f"Vigil-Action: {action.id}\n")
    status: Status = "opened"
    created = False
    for attempt in range(2):
        remote_before = await clone.remote_branch(branch)
        commit = await clone.commit_on(branch, message)
        if remote_before and await _same_change(clone, branch, remote_before):
            commit, status = remote_before, "unchanged"
        else:
            await clone.push(branch, remote_before)
            status = "updated" if remote_before else "opened"
        pr = await provider.open_or_update(branch, repo.base, title, body, commit)
        if pr.number is not None and not pr.conflicted:
            pr = await provider.refresh(pr)
        created = created or pr.created
        if status != "unchanged":
            status = "opened" if created else "updated"
        if not pr.conflicted:
            break
        # The base moved under the branch: rebuild on the new base, but only push what was approved.
        pipeline.record({"kind": "gitops", "event": "base_moved", "action_id": action.id, "branch": branch})
        if attempt == 1:
            return ProposalResult("conflict", action.id, branch, pr, commit, change.paths, diff, change.notes,
                                  "the base branch keeps moving under the pull request; re-run to rebuild it",
                                  verdict.explain())
        new_change, new_diff, _ = await _prepare(clone, repo, r)
        if _changed_lines(new_diff) != _changed_lines(diff):
            await clone.restore()
            return ProposalResult("conflict", action.id, branch, pr, commit, change.paths, diff, change.notes,
                                  "the base branch changed the same lines; the approved diff no longer applies. "
                                  "Re-run the proposal to review and approve the new diff", verdict.explain())
        change = new_change
    plan.data.update({"commit": commit, "pr_url": pr.url, "pr_number": pr.number})
    if pipeline.rollbacks is not None:
        pipeline.rollbacks.save(action.id, plan)
    pipeline.record({"kind": "gitops", "event": f"pull_request_{status}", "action_id": action.id,
                     "run_id": action.run_id, "branch": branch, "commit": commit, "url": pr.url,
                     "paths": change.paths})
    await clone.sync()
    return ProposalResult(status, action.id, branch, pr, commit, change.paths, diff, change.notes,
                          verdict=verdict.explain())


async def _same_change(clone: GitClone, branch: str, remote_commit: str) -> bool:
    """Does the remote branch already hold exactly this change on this base?"""
    await clone.fetch_branch(branch)
    same_tree = await clone.tree_of("HEAD") == await clone.tree_of(remote_commit)
    parent = (await clone.git("rev-parse", f"{remote_commit}^", check=False)).strip()
    head_parent = (await clone.git("rev-parse", "HEAD^")).strip()
    if same_tree and parent == head_parent:
        await clone.git("reset", "--quiet", "--hard", remote_commit)
        return True
    return False


def _not_proposed(pipeline: Pipeline, status: Status, reason: str, incident: Incident,
                  run_id: str | None) -> ProposalResult:
    pipeline.record({"kind": "gitops", "event": "not_proposed", "status": status, "reason": reason,
                     "incident": incident.fingerprint, "run_id": run_id})
    return ProposalResult(status, reason=reason)
