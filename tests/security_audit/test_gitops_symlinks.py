"""A GitOps repository whose manifests are symlinks out of the tree cannot make Vigil write there.

Real git (a bare remote seeded with the demo repository, then committed symlinks), real files outside
the repository in tmp. In every path a proposal can take (refused with nobody to approve, declined,
failed validation, approved) the outside file keeps its bytes and its mtime, Vigil's own clone keeps
a clean work tree, and no scratch work tree is left behind.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.gitops.plain_git import PlainGitProvider
from agent.gitops.propose import GitOpsRepo, propose
from agent.incident import Incident
from guardrails.action import Actor
from guardrails.approval import AutoDenyApprover, PreApproved, TerminalApprover
from tests.gitops.conftest import DEMO_REPO, MEMORY_FIX, git, make_pipeline

pytestmark = pytest.mark.anyio

OVERLAY = "apps/checkout/overlays/prod"
LOW_LIMIT = {**MEMORY_FIX, "value": "64Mi"}  # below the 128Mi request: validation fails


def _remote(tmp_path: Path, layout: str) -> tuple[Path, Path]:
    """A bare remote whose checkout overlay reaches outside the repository; returns (remote, outside file)."""
    seed, outside = tmp_path / "seed", tmp_path / "outside"
    shutil.copytree(DEMO_REPO, seed)
    outside.mkdir()
    real = seed / OVERLAY / "resources.yaml"
    if layout == "file":  # resources.yaml -> /tmp/.../outside/resources.yaml
        target = outside / "resources.yaml"
        shutil.move(real, target)
        real.symlink_to(target)
    elif layout == "chain":  # resources.yaml -> ../../link.yaml -> outside
        target = outside / "resources.yaml"
        shutil.move(real, target)
        (seed / "apps/checkout/link.yaml").symlink_to(target)
        real.symlink_to("../../link.yaml")
    elif layout == "directory":  # overlays/prod -> outside/prod (a symlinked directory)
        shutil.move(seed / OVERLAY, outside / "prod")
        (seed / OVERLAY).symlink_to(outside / "prod")
        target = outside / "prod" / "resources.yaml"
    else:
        raise AssertionError(layout)
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "layout with a symlink out of the tree")
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(bare))
    shutil.rmtree(seed)
    return bare, target


def _approver(case: str) -> object:
    return {"refused": AutoDenyApprover(), "declined": TerminalApprover("bob", ask=lambda _: "no"),
            "invalid": PreApproved("alice"), "approved": PreApproved("alice")}[case]


@pytest.mark.parametrize("layout", ["file", "chain", "directory"])
@pytest.mark.parametrize("case", ["refused", "declined", "invalid", "approved"])
async def test_symlinks_out_of_the_tree_are_never_written(tmp_path: Path, layout: str, case: str) -> None:
    remote, outside = _remote(tmp_path, layout)
    before, mtime = outside.read_bytes(), outside.stat().st_mtime_ns
    incident = Incident(fingerprint="f00d", title="checkout OOMKilled", source="alertmanager")
    pipeline = make_pipeline(tmp_path, _approver(case))
    work = tmp_path / "state" / "gitops" / "clone"
    result = await propose(LOW_LIMIT if case == "invalid" else MEMORY_FIX, incident, [], GitOpsRepo(work),
                           PlainGitProvider(str(remote)), pipeline, Actor(name="agent", origin="agent"))
    assert outside.read_bytes() == before and outside.stat().st_mtime_ns == mtime
    assert not result.ok or not any(str(outside) in p or p.endswith("prod/resources.yaml") for p in result.paths)
    if layout != "directory":  # a symlinked directory is simply not part of the indexed tree
        assert result.status == "invalid" and "outside the GitOps repository" in result.reason
    assert git(work, "status", "--porcelain").strip() == ""
    assert [p.name for p in work.parent.iterdir() if p.name.startswith("scratch-")] == []
    assert str(outside.parent) not in result.reason + result.diff, "the outside location is never printed"


async def test_a_symlink_inside_the_tree_is_edited_at_its_target_and_only_when_approved(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    shutil.copytree(DEMO_REPO, seed)
    shutil.move(seed / OVERLAY / "resources.yaml", seed / OVERLAY / "sizing.yaml")
    (seed / OVERLAY / "resources.yaml").symlink_to("sizing.yaml")
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "shared sizing")
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(remote))
    incident = Incident(fingerprint="f00d", title="checkout OOMKilled", source="alertmanager")
    work = tmp_path / "state" / "gitops" / "clone"
    declined = await propose(MEMORY_FIX, incident, [], GitOpsRepo(work), PlainGitProvider(str(remote)),
                             make_pipeline(tmp_path, TerminalApprover("bob", ask=lambda _: "n")),
                             Actor(name="agent", origin="agent"))
    assert declined.status == "refused"
    assert git(remote, "for-each-ref", "--format=%(refname)", "refs/heads").split() == ["refs/heads/main"]
    result = await propose(MEMORY_FIX, incident, [], GitOpsRepo(work), PlainGitProvider(str(remote)),
                           make_pipeline(tmp_path, PreApproved("alice")), Actor(name="agent", origin="agent"))
    assert result.status == "opened", result.reason
    assert result.paths == [f"{OVERLAY}/sizing.yaml"]
    assert any("is a symlink to" in n for n in result.notes)
    changed = git(remote, "diff", "--name-only", "main", result.branch or "").split()
    assert changed == [f"{OVERLAY}/sizing.yaml"]
    mode = git(remote, "ls-tree", result.branch or "", f"{OVERLAY}/resources.yaml").split()[0]
    assert mode == "120000", "the link itself stays a link"
