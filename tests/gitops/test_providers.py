"""GitHub and GitLab adapters driven through the whole proposal flow.

The git side is real (a bare remote on disk). The REST side is a local HTTP server replaying
exchanges recorded in each API's documented format (tests/gitops/recordings/, see replay.py): no
GitHub or GitLab server can run here. The recordings pin the requests the adapters must send
(paths, query, headers, JSON fields) as well as the answers they must handle.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.gitops.github import GitHubProvider
from agent.gitops.gitlab import GitLabProvider
from agent.gitops.propose import GitOpsRepo, ProposalResult, propose
from agent.incident import Incident
from guardrails.action import Actor
from guardrails.pipeline import Pipeline
from tests.gitops.conftest import MEMORY_FIX, git
from tests.gitops.replay import Replay

pytestmark = pytest.mark.anyio

RESOURCES = "apps/checkout/overlays/prod/resources.yaml"
BRANCH = "vigil/3f9c2a1b7d4e"
GH_TOKEN = "ghp_test_token_not_real"
GL_TOKEN = "glpat-test-token-not-real"


def make_provider(kind: str, api: str, remote: Path) -> GitHubProvider | GitLabProvider:
    if kind == "github":
        return GitHubProvider("acme/gitops", GH_TOKEN, api_url=api, remote=str(remote), token_env="GITHUB_TOKEN")
    return GitLabProvider("platform/gitops", GL_TOKEN, api_url=f"{api}/api/v4", remote=str(remote),
                          token_env="GITLAB_TOKEN")


async def run(kind: str, recording: str, tmp_path: Path, remote: Path, pipeline: Pipeline, incident: Incident,
              actor: Actor, hooks: dict[int, Callable[[], None]] | None = None) -> tuple[ProposalResult, Replay]:
    with Replay(recording, hooks) as replay:
        result = await propose(MEMORY_FIX, incident, ["checkout OOMKilled 6 times"], GitOpsRepo(tmp_path / "work"),
                               make_provider(kind, replay.url, remote), pipeline, actor)
    return result, replay


def move_main(tmp_path: Path, remote: Path, old: str, new: str) -> Callable[[], None]:
    """A hook: someone merges a change to the same file on main while the PR is open."""
    def hook() -> None:
        other = tmp_path / "other"
        git(tmp_path, "clone", "-q", str(remote), str(other))
        path = other / RESOURCES
        path.write_text(path.read_text().replace(old, new))
        git(other, "commit", "-qam", "hand edit")
        git(other, "push", "-q", "origin", "main")
    return hook


@pytest.mark.parametrize("kind", ["github", "gitlab"])
async def test_create(kind: str, tmp_path: Path, remote: Path, approved: Pipeline, incident: Incident,
                      actor: Actor) -> None:
    result, replay = await run(kind, f"{kind}-create", tmp_path, remote, approved, incident, actor)
    replay.assert_done()
    assert result.status == "opened", result.reason
    assert result.pr is not None and result.pr.number in (42, 17)
    assert result.pr.url.endswith(("/pull/42", "/merge_requests/17"))
    body = replay.received[1]["json"]["body" if kind == "github" else "description"]
    assert "+              memory: 768Mi" in body and "approved by alice" in body
    assert f"vigil rollback {result.action_id}" in body
    assert "memory: 768Mi" in git(remote, "show", f"{BRANCH}:{RESOURCES}")
    audit = (tmp_path / "audit.jsonl").read_text()
    assert GH_TOKEN not in audit and GL_TOKEN not in audit
    plan = approved.rollbacks.get(str(result.action_id))  # type: ignore[union-attr]
    assert plan is not None and plan.data["provider"]["kind"] == kind and "token" not in json.dumps(plan.data).replace(
        "token_env", "")


@pytest.mark.parametrize("kind", ["github", "gitlab"])
async def test_update_existing(kind: str, tmp_path: Path, remote: Path, approved: Pipeline, incident: Incident,
                               actor: Actor) -> None:
    result, replay = await run(kind, f"{kind}-update", tmp_path, remote, approved, incident, actor)
    replay.assert_done()
    assert result.status == "updated", result.reason
    assert [r["method"] for r in replay.received] == ["GET", "PATCH" if kind == "github" else "PUT", "GET"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["github", "gitlab"])
async def test_base_moved_next_to_the_change_rebuilds_the_branch(kind: str, tmp_path: Path, remote: Path,
                                                                 approved: Pipeline, incident: Incident,
                                                                 actor: Actor) -> None:
    hook = move_main(tmp_path, remote, "memory: 128Mi", "memory: 192Mi")  # near the edit, not on it
    result, replay = await run(kind, f"{kind}-base-moved", tmp_path, remote, approved, incident, actor, {2: hook})
    replay.assert_done()
    assert result.status == "opened", result.reason
    assert git(remote, "rev-parse", f"{BRANCH}^").strip() == git(remote, "rev-parse", "main").strip()
    content = git(remote, "show", f"{BRANCH}:{RESOURCES}")
    assert "memory: 192Mi" in content and "memory: 768Mi" in content


@pytest.mark.parametrize("kind", ["github", "gitlab"])
async def test_base_changed_the_same_lines_needs_a_new_approval(kind: str, tmp_path: Path, remote: Path,
                                                                approved: Pipeline, incident: Incident,
                                                                actor: Actor) -> None:
    hook = move_main(tmp_path, remote, "memory: 512Mi", "memory: 640Mi")
    first_push: list[str] = []
    def record_and_move() -> None:
        first_push.append(git(remote, "rev-parse", BRANCH).strip())
        hook()
    result, replay = await run(kind, f"{kind}-conflict", tmp_path, remote, approved, incident, actor,
                               {2: record_and_move})
    replay.assert_done()
    assert result.status == "conflict"
    assert "approved diff no longer applies" in result.reason
    assert git(remote, "rev-parse", BRANCH).strip() == first_push[0]  # nothing unapproved was pushed


@pytest.mark.parametrize(("recording", "status_text", "fix"), [
    ("github-401", "HTTP 401 Bad credentials", "set a valid token"),
    ("github-403", "HTTP 403 Resource not accessible by personal access token", "needs write access"),
    ("github-422", "A pull request already exists for acme:vigil/3f9c2a1b7d4e", "rejected as invalid"),
    ("gitlab-401", "HTTP 401 401 Unauthorized", "set a valid token"),
    ("gitlab-403", "HTTP 403 403 Forbidden", "needs write access"),
    ("gitlab-409", "Another open merge request already exists", "re-run to update it"),
    ("gitlab-422", "You can't use same project/branch", "rejected as invalid"),
])
async def test_errors_are_readable_and_audited(recording: str, status_text: str, fix: str, tmp_path: Path,
                                               remote: Path, approved: Pipeline, incident: Incident,
                                               actor: Actor) -> None:
    kind = recording.split("-")[0]
    result, replay = await run(kind, recording, tmp_path, remote, approved, incident, actor)
    replay.assert_done()
    assert result.status == "failed"
    assert status_text in result.reason and fix in result.reason
    last = json.loads((tmp_path / "audit.jsonl").read_text().splitlines()[-1])
    assert last["event"] == "failed" and status_text in last["reason"]
    assert GH_TOKEN not in result.reason and GL_TOKEN not in result.reason


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["github", "gitlab"])
async def test_push_over_http_carries_the_token_out_of_band(kind: str, tmp_path: Path, remote: Path,
                                                            approved: Pipeline, incident: Incident, actor: Actor,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A real smart-HTTP git server (git http-backend) demanding the forge's Basic credentials: the push
    authenticates through the environment git is given, and the token appears in no argument list."""
    import anyio

    from tests.gitops.githttp import GitHttpServer

    argv: list[str] = []
    real_run = anyio.run_process

    async def spy(command: list[str], **kwargs: object) -> object:
        argv.extend(command)
        return await real_run(command, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("agent.gitops.git.anyio.run_process", spy)

    user, token = ("x-access-token", GH_TOKEN) if kind == "github" else ("oauth2", GL_TOKEN)
    with GitHttpServer(tmp_path, user, token) as git_http, Replay(f"{kind}-create") as replay:
        provider = make_provider(kind, replay.url, remote)
        provider.remote = f"{git_http.url}/remote.git"
        result = await propose(MEMORY_FIX, incident, [], GitOpsRepo(tmp_path / "work"), provider, approved, actor)
    assert result.status == "opened", result.reason
    assert git_http.expected in git_http.seen_auth
    assert "memory: 768Mi" in git(remote, "show", f"{BRANCH}:{RESOURCES}")
    assert "push" in argv and not any(token in a or git_http.expected.split()[1] in a for a in argv)


async def test_push_with_a_wrong_token_fails_cleanly(tmp_path: Path, remote: Path, approved: Pipeline,
                                                     incident: Incident, actor: Actor) -> None:
    from tests.gitops.githttp import GitHttpServer

    with GitHttpServer(tmp_path, "x-access-token", "the-right-token") as git_http, Replay("github-create") as replay:
        provider = make_provider("github", replay.url, remote)
        provider.remote = f"{git_http.url}/remote.git"
        result = await propose(MEMORY_FIX, incident, [], GitOpsRepo(tmp_path / "work"), provider, approved, actor)
    assert result.status == "failed" and "could not read the GitOps repository" in result.reason
    assert GH_TOKEN not in result.reason and replay.received == []
