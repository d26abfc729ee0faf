"""Fixtures for the GitOps tests: a real bare remote seeded with the demo GitOps repository."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from agent.incident import Incident
from guardrails.action import Actor
from guardrails.approval import AutoDenyApprover, PreApproved
from guardrails.audit import AuditLog
from guardrails.pipeline import Pipeline, default_policy_path
from guardrails.policy import load_policy
from guardrails.rollback import RollbackStore

DEMO_REPO = Path(__file__).resolve().parents[2] / "examples" / "gitops-repo"
GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.com"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def git(cwd: Path, *args: str) -> str:
    import os

    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare repository whose `main` holds the demo GitOps repo in one commit."""
    seed = tmp_path / "seed"
    shutil.copytree(DEMO_REPO, seed)
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "initial layout")
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(bare))
    return bare


def make_pipeline(tmp_path: Path, approver: object | None = None, policy_path: Path | None = None) -> Pipeline:
    return Pipeline(load_policy(policy_path or default_policy_path()), AuditLog(tmp_path / "audit.jsonl", fsync=False),
                    approver or AutoDenyApprover(), RollbackStore(tmp_path / "rollback.db"))  # type: ignore[arg-type]


@pytest.fixture
def approved(tmp_path: Path) -> Pipeline:
    return make_pipeline(tmp_path, PreApproved("alice"))


@pytest.fixture
def incident() -> Incident:
    return Incident(fingerprint="3f9c2a1b7d4e", title="KubePodOOMKilled checkout in shop", severity="critical",
                    source="alertmanager", labels={"alertname": "KubePodOOMKilled", "namespace": "shop"})


@pytest.fixture
def actor() -> Actor:
    return Actor(name="agent", origin="agent")


MEMORY_FIX = {"action": "set_memory_limit", "workload": {"kind": "Deployment", "name": "checkout", "namespace": "shop"},
              "value": "768Mi", "reason": "checkout is OOMKilled at 512Mi since 1.9.0; usage peaks at 610Mi"}
