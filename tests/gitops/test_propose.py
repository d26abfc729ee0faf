"""The proposal flow end to end with real git: a bare remote, `git daemon` for a network push,
the real guardrail pipeline (policy, approval, audit, rollback store)."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import pytest

from agent.gitops.plain_git import NOTES_REF, PlainGitProvider
from agent.gitops.propose import GitOpsRepo, propose
from agent.gitops.rollback import open_revert
from agent.incident import Incident
from guardrails.action import Actor
from guardrails.approval import PendingApprovalStore, PreApproved, StoreApprover
from guardrails.pipeline import Pipeline
from tests.gitops.conftest import DEMO_REPO, MEMORY_FIX, git, make_pipeline

pytestmark = pytest.mark.anyio

RESOURCES = "apps/checkout/overlays/prod/resources.yaml"


def audit_records(tmp_path: Path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]


def remote_branches(remote: Path) -> list[str]:
    return [ln.split()[-1] for ln in git(remote, "for-each-ref", "--format=%(refname)", "refs/heads").splitlines()]


async def test_opens_branch_with_only_the_change_and_a_note(tmp_path: Path, remote: Path, approved: Pipeline,
                                                          incident: Incident, actor: Actor) -> None:
    provider = PlainGitProvider(str(remote))
    result = await propose(MEMORY_FIX, incident, ["pod checkout-7d9 OOMKilled 6 times in 1h"],
                           GitOpsRepo(tmp_path / "work"), provider, approved, actor)
    assert result.status == "opened", result.reason
    assert result.branch == "vigil/3f9c2a1b7d4e"
    assert git(remote, "diff", "--name-only", "main", result.branch).split() == [RESOURCES]
    new = git(remote, "show", f"{result.branch}:{RESOURCES}")
    old = (DEMO_REPO / RESOURCES).read_text()
    assert new == old.replace("memory: 512Mi   #", "memory: 768Mi   #")
    note = git(remote, "notes", f"--ref={NOTES_REF}", "show", result.branch)
    assert "approved by alice via cli --yes" in note
    assert f"vigil rollback {result.action_id}" in note
    assert "-              memory: 512Mi" in note and "OOMKilled 6 times" in note
    assert approved.rollbacks is not None and result.action_id is not None
    plan = approved.rollbacks.get(result.action_id)
    assert plan is not None and plan.data["commit"] == result.commit
    events = [r.get("event") for r in audit_records(tmp_path)]
    assert "pull_request_opened" in events


async def test_rerun_updates_the_same_branch(tmp_path: Path, remote: Path, approved: Pipeline,
                                             incident: Incident, actor: Actor) -> None:
    provider = PlainGitProvider(str(remote))
    repo = GitOpsRepo(tmp_path / "work")
    first = await propose(MEMORY_FIX, incident, [], repo, provider, approved, actor)
    same = await propose(MEMORY_FIX, incident, [], repo, provider, approved, actor)
    assert (first.status, same.status) == ("opened", "unchanged")
    assert same.commit == first.commit
    bigger = await propose({**MEMORY_FIX, "value": "1Gi"}, incident, [], repo, provider, approved, actor)
    assert bigger.status == "updated"
    assert remote_branches(remote) == ["refs/heads/main", "refs/heads/vigil/3f9c2a1b7d4e"]
    assert "memory: 1Gi" in git(remote, "show", f"vigil/3f9c2a1b7d4e:{RESOURCES}")
    assert git(remote, "rev-list", "--count", "main..vigil/3f9c2a1b7d4e").strip() == "1"


async def test_rebuilds_on_a_moved_base(tmp_path: Path, remote: Path, approved: Pipeline,
                                        incident: Incident, actor: Actor) -> None:
    provider = PlainGitProvider(str(remote))
    repo = GitOpsRepo(tmp_path / "work")
    await propose(MEMORY_FIX, incident, [], repo, provider, approved, actor)
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    (other / "README.md").write_text("moved\n")
    git(other, "commit", "-qam", "unrelated change")
    git(other, "push", "-q", "origin", "main")
    again = await propose(MEMORY_FIX, incident, [], repo, provider, approved, actor)
    assert again.status == "updated"
    assert git(remote, "rev-parse", "vigil/3f9c2a1b7d4e^").strip() == git(remote, "rev-parse", "main").strip()


@pytest.mark.parametrize("case", ["no-approval", "denied-path", "timeout"])
async def test_refusals_push_nothing_and_audit_why(tmp_path: Path, remote: Path, incident: Incident,
                                                   actor: Actor, case: str) -> None:
    fix = MEMORY_FIX
    if case == "no-approval":
        pipeline = make_pipeline(tmp_path)  # AutoDeny: nobody is there to approve
        expected = "no human approver is configured"
    elif case == "denied-path":
        policy = tmp_path / "policy.yaml"
        policy.write_text("version: 1\nrules:\n  - id: charts-only\n    tools: [propose_change]\n"
                          "    repo_paths: ['charts/**']\n")
        pipeline = make_pipeline(tmp_path, PreApproved("alice"), policy)
        expected = "path 'apps/checkout/overlays/prod/resources.yaml'"
    else:
        policy = tmp_path / "policy.yaml"
        policy.write_text("version: 1\nrules:\n  - id: all\n    tools: [propose_change]\n"
                          "approval:\n  timeout_seconds: 0.3\n")
        store = PendingApprovalStore(tmp_path / "approvals.db")
        pipeline = make_pipeline(tmp_path, StoreApprover(store, poll_seconds=0.05), policy)
        expected = "no answer before the timeout"
    result = await propose(fix, incident, [], GitOpsRepo(tmp_path / "work"), PlainGitProvider(str(remote)),
                           pipeline, actor)
    assert result.status == "refused"
    assert expected in result.reason
    assert remote_branches(remote) == ["refs/heads/main"]
    assert git(remote, "for-each-ref", "refs/notes").strip() == ""
    decision = [r for r in audit_records(tmp_path) if r.get("kind") == "decision"][-1]
    assert decision["allowed"] is False and expected in decision["reason"]
    assert git(tmp_path / "work", "status", "--porcelain").strip() == ""


async def test_invalid_remediation_changes_nothing(tmp_path: Path, remote: Path, approved: Pipeline,
                                                   incident: Incident, actor: Actor) -> None:
    result = await propose({**MEMORY_FIX, "workload": {"name": "checkout", "namespace": "shop"}, "value": "1Mi"},
                           incident, [], GitOpsRepo(tmp_path / "work"), PlainGitProvider(str(remote)), approved, actor)
    assert result.status == "invalid" and "above limits.memory" in result.reason
    assert remote_branches(remote) == ["refs/heads/main"]
    assert audit_records(tmp_path)[-1]["event"] == "not_proposed"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
async def test_network_push_through_git_daemon(tmp_path: Path, remote: Path, approved: Pipeline,
                                               incident: Incident, actor: Actor) -> None:
    port = _free_port()
    daemon = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
                               f"--base-path={tmp_path}", "--listen=127.0.0.1", f"--port={port}", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        url = f"git://127.0.0.1:{port}/remote.git"
        result = await propose(MEMORY_FIX, incident, [], GitOpsRepo(tmp_path / "work"), PlainGitProvider(url),
                               approved, actor)
        assert result.status == "opened", result.reason
        assert result.pr is not None and result.pr.url == f"{url}#vigil/3f9c2a1b7d4e"
        assert "memory: 768Mi" in git(remote, "show", f"vigil/3f9c2a1b7d4e:{RESOURCES}")
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


async def test_rollback_restores_the_original_bytes(tmp_path: Path, remote: Path, approved: Pipeline,
                                                    incident: Incident, actor: Actor) -> None:
    provider = PlainGitProvider(str(remote))
    fix = {"action": "set_probe", "workload": {"name": "catalog", "namespace": "shop"}, "probe": "readiness",
           "settings": {"timeoutSeconds": 3}}  # edits one file and creates another
    result = await propose(fix, incident, [], GitOpsRepo(tmp_path / "work"), provider, approved, actor)
    assert result.status == "opened", result.reason
    early = await open_revert(str(result.action_id), approved, actor, provider=PlainGitProvider(str(remote)))
    assert early.status == "invalid" and "not on main yet" in early.reason
    git(remote, "update-ref", "refs/heads/main", f"refs/heads/{result.branch}")  # the reviewer merges
    revert = await open_revert(str(result.action_id), approved, actor, provider=PlainGitProvider(str(remote)))
    assert revert.status == "opened", revert.reason
    assert revert.branch == "vigil/revert-3f9c2a1b7d4e"
    kust = "apps/catalog/overlays/prod/kustomization.yaml"
    assert git(remote, "show", f"{revert.branch}:{kust}") == (DEMO_REPO / kust).read_text()
    assert git(remote, "diff", "--stat", "main~1", revert.branch).strip() == ""  # main~1: before the merge
    assert approved.rollbacks.executed(str(result.action_id))  # type: ignore[union-attr]


async def test_manual_remediation_is_reported_not_proposed(tmp_path: Path, remote: Path, approved: Pipeline,
                                                           incident: Incident, actor: Actor) -> None:
    fix = {"action": "manual", "workload": {"name": "catalog", "namespace": "shop"}, "reason": "renew the secret"}
    result = await propose(fix, incident, [], GitOpsRepo(tmp_path / "work"), PlainGitProvider(str(remote)),
                           approved, actor)
    assert result.status == "invalid" and "manual remediation" in result.reason and "renew the secret" in result.reason
    assert remote_branches(remote) == ["refs/heads/main"]



async def test_concurrent_proposals_share_one_clone_safely(tmp_path: Path, remote: Path, approved: Pipeline,
                                                           actor: Actor) -> None:
    import anyio

    repo = GitOpsRepo(tmp_path / "work")
    results: dict[str, str] = {}

    async def one(fp: str, fix: dict) -> None:
        inc = Incident(fingerprint=fp, title=fp, source="cli")
        results[fp] = (await propose(fix, inc, [], repo, PlainGitProvider(str(remote)), approved, actor)).status

    async with anyio.create_task_group() as tg:
        tg.start_soon(one, "fp-a", MEMORY_FIX)
        tg.start_soon(one, "fp-b", {"action": "set_replicas", "workload": {"name": "catalog", "namespace": "shop"},
                                    "value": 5})
    assert results == {"fp-a": "opened", "fp-b": "opened"}
    assert git(remote, "diff", "--name-only", "main", "vigil/fp-a").split() == [RESOURCES]
    assert git(remote, "diff", "--name-only", "main", "vigil/fp-b").split() == [
        "apps/catalog/overlays/prod/kustomization.yaml"]


async def test_high_risk_repository_needs_someone_else_to_approve(tmp_path: Path, remote: Path, incident: Incident
                                                                  ) -> None:
    from guardrails.action import Risk

    pipeline = make_pipeline(tmp_path, PreApproved("alice"))
    repo = GitOpsRepo(tmp_path / "work", risk=Risk.HIGH)
    own = await propose(MEMORY_FIX, incident, [], repo, PlainGitProvider(str(remote)), pipeline,
                        Actor(name="alice", origin="cli"))
    assert own.status == "refused" and "approver other than the requester 'alice'" in own.reason
    other = await propose(MEMORY_FIX, incident, [], repo, PlainGitProvider(str(remote)), pipeline,
                          Actor(name="agent", origin="agent"))
    assert other.status == "opened", other.reason


@pytest.mark.slow
async def test_two_clones_pushing_notes_at_once_keep_both_notes(tmp_path: Path, remote: Path, approved: Pipeline,
                                                                actor: Actor) -> None:
    import anyio

    async def one(fp: str, fix: dict) -> None:
        inc = Incident(fingerprint=fp, title=fp, source="cli")
        result = await propose(fix, inc, [], GitOpsRepo(tmp_path / f"work-{fp}"), PlainGitProvider(str(remote)),
                               approved, actor)
        assert result.status == "opened", result.reason

    async with anyio.create_task_group() as tg:
        for n in range(3):
            tg.start_soon(one, f"fp-{n}", {**MEMORY_FIX, "value": f"{600 + n}Mi"})
    for n in range(3):
        assert f"vigil-branch: vigil/fp-{n}" in git(remote, "notes", f"--ref={NOTES_REF}", "show", f"vigil/fp-{n}")
