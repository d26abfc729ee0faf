"""Undoing a proposal: `vigil rollback ACTION_ID` opens a pull request that reverts it.

The rollback plan stored with the original action carries the exact patch that was approved. The
revert applies that patch in reverse on the current base, which restores the original bytes of
every file whether the pull request was merged with a merge commit, a squash or a rebase. If the
change is not on the base yet, there is nothing to revert: the answer says to close the request. If
the files changed since, the reverse patch does not apply and the answer says so instead of
guessing. The revert is itself a write action: it passes the same guardrails (paths, approval,
audit) and carries its own rollback plan (re-applying the original patch).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from agent.gitops.git import GitClone, GitError, workdir_lock
from agent.gitops.github import GitHubProvider
from agent.gitops.gitlab import GitLabProvider
from agent.gitops.plain_git import PlainGitProvider
from agent.gitops.propose import SPEC, TOOL_NAME, ProposalResult, branch_for
from agent.gitops.provider import Provider, ProviderError
from guardrails.action import Action, Actor, Risk, RollbackPlan
from guardrails.pipeline import Pipeline
from guardrails.redaction import redact_text

PLAN_KIND = "revert_pull_request"


class RollbackError(LookupError):
    """No plan to carry out, or a plan of another kind; the message says what to check."""


def provider_from_description(desc: dict[str, Any], environ: dict[str, str] | None = None) -> Provider:
    """Rebuild the provider a proposal used, reading its token from the named environment variable."""
    env = os.environ if environ is None else environ
    kind = desc.get("kind")
    if kind == "git":
        return PlainGitProvider(str(desc["remote"]))
    token_env = desc.get("token_env") or ("GITHUB_TOKEN" if kind == "github" else "GITLAB_TOKEN")
    token = env.get(token_env)
    if not token:
        raise RollbackError(f"the {kind} provider needs a token in ${token_env}; export it and retry")
    if kind == "github":
        return GitHubProvider(desc["repository"], token, api_url=desc["api_url"], remote=desc["remote"],
                              token_env=token_env)
    if kind == "gitlab":
        return GitLabProvider(desc["project"], token, api_url=desc["api_url"], remote=desc["remote"],
                              token_env=token_env)
    raise RollbackError(f"unknown provider kind {kind!r} in the rollback plan")


async def open_revert(action_id: str, pipeline: Pipeline, actor: Actor, *, workdir: Path | None = None,
                      provider: Provider | None = None) -> ProposalResult:
    """Open the revert pull request for the proposal `action_id`."""
    if pipeline.rollbacks is None:
        raise RollbackError("this pipeline has no rollback store; configure state_dir")
    plan = pipeline.rollbacks.get(action_id)
    if plan is None:
        raise RollbackError(f"no rollback plan is stored for {action_id}; check the id with `vigil audit show`")
    if plan.kind != PLAN_KIND:
        raise RollbackError(f"{action_id} has a {plan.kind!r} plan, which this command does not carry out")
    data = plan.data
    provider = provider or provider_from_description(data["provider"])
    where = Path(workdir or data["workdir"])
    async with workdir_lock(where):
        return await _revert(action_id, data, pipeline, actor, where, provider)


async def _revert(action_id: str, data: dict[str, Any], pipeline: Pipeline, actor: Actor, workdir: Path,
                  provider: Provider) -> ProposalResult:
    """The revert in a scratch work tree of Vigil's clone, removed afterwards (as for a proposal)."""
    base = GitClone(workdir, provider.remote_url, data["base"], env=provider.git_env())
    try:
        async with base.scratch() as clone:
            if isinstance(provider, PlainGitProvider):
                provider.clone = clone
            patch_file = clone.path.with_name(clone.path.name + ".revert.patch")
            try:
                patch_file.write_text(data["patch"], encoding="utf-8")
                return await _revert_in(clone, patch_file, action_id, data, pipeline, actor, provider)
            finally:
                patch_file.unlink(missing_ok=True)
    except GitError as exc:
        return ProposalResult("failed", reason=f"could not read the GitOps repository: {exc}")


async def _revert_in(clone: GitClone, patch_file: Path, action_id: str, data: dict[str, Any], pipeline: Pipeline,
                     actor: Actor, provider: Provider) -> ProposalResult:
    assert pipeline.rollbacks is not None
    reverse_ok = await _applies(clone, patch_file, reverse=True)
    if not reverse_ok:
        where = data.get("pr_url") or data["branch"]
        if await _applies(clone, patch_file, reverse=False):
            reason = (f"the change of {action_id} is not on {data['base']} yet, so there is nothing to revert; "
                      f"close {where} instead")
        else:
            reason = (f"the files of {action_id} changed on {data['base']} since; the approved patch no longer "
                      f"reverses cleanly. Revert {', '.join(data['paths'])} by hand")
        pipeline.record({"kind": "gitops", "event": "revert_not_possible", "action_id": action_id, "reason": reason})
        return ProposalResult("invalid", reason=reason, paths=list(data["paths"]))
    await clone.git("apply", "-R", "--index", str(patch_file))
    diff = await clone.git("diff", "--cached", "--no-color", "--no-ext-diff", "HEAD", "--", *data["paths"])
    branch = branch_for(f"revert-{data['fingerprint']}")
    title = f"[vigil] Revert: {str(data['title']).removeprefix('[vigil] ')}"
    action = Action(
        actor=actor, tool=TOOL_NAME, risk=Risk.parse(data.get("risk", "medium")),
        rollback=RollbackPlan(kind=PLAN_KIND, description=f"re-apply the change of {action_id}",
                              data={**data, "branch": branch, "patch": diff, "title": title}),
        arguments={"changes": [{"path": p} for p in data["paths"]], "namespace": data.get("namespace", ""),
                   "kind": data.get("kind", "Deployment"), "branch": branch, "base": data["base"],
                   "repository": provider.remote_url, "remediation": {"action": "revert"}, "revert_of": action_id},
    )
    verdict = await pipeline.check(action, SPEC)
    if not verdict.allowed:
        await clone.restore()
        denial = verdict.denial
        assert denial is not None
        return ProposalResult("refused", action.id, branch, paths=list(data["paths"]), diff=diff,
                              reason=f"{denial.layer}: {denial.reason}", verdict=verdict.explain())
    approval = next((d.reason for d in verdict.decisions if d.layer == "approval"), "not required")
    body = redact_text(
        f"Reverts the change Vigil proposed as `{action_id}` ({data.get('pr_url') or data['branch']}), restoring "
        f"the previous content of {', '.join(f'`{p}`' for p in data['paths'])}.\n\n```diff\n{diff}```\n\n"
        f"## Approval\n{approval}\n\n## Rollback\n`vigil rollback {action.id}` re-applies the original change.\n"
    ).text
    try:
        remote_before = await clone.remote_branch(branch)
        commit = await clone.commit_on(branch, f"{title}\n\nVigil-Revert-Of: {action_id}\nVigil-Action: {action.id}\n")
        await clone.push(branch, remote_before)
        pr = await provider.open_or_update(branch, data["base"], title, body, commit)
    except (GitError, ProviderError) as exc:
        await clone.restore()
        pipeline.record({"kind": "gitops", "event": "failed", "action_id": action.id, "reason": str(exc)})
        return ProposalResult("failed", action.id, branch, reason=str(exc), verdict=verdict.explain())
    pipeline.rollbacks.mark_executed(action_id, pr.url)
    pipeline.record({"kind": "gitops", "event": "revert_opened", "action_id": action.id, "revert_of": action_id,
                     "branch": branch, "commit": commit, "url": pr.url})
    await clone.sync()
    return ProposalResult("opened" if pr.created else "updated", action.id, branch, pr, commit,
                          list(data["paths"]), diff, verdict=verdict.explain())


async def _applies(clone: GitClone, patch: Path, reverse: bool) -> bool:
    args = ["apply", "--check", *(["-R"] if reverse else []), str(patch)]
    try:
        await clone.git(*args)
    except GitError:
        return False
    return True
