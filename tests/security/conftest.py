"""Fixtures for the attacker's-side tests: a replayed cluster and a policy that denies kube-system and Secrets.

The Kubernetes API is the replay server (real HTTP, real REST paths) serving the checkout-oom
bundle; the MCP server runs in-process behind its guardrail middleware and is called through the
official MCP client, exactly as Claude Code or any other client would call it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mcp_servers.common.bundle import Bundle
from mcp_servers.kubernetes.replay import ReplayHandle, replay_server

INCIDENTS = Path(__file__).resolve().parents[2] / "examples" / "incidents"

HOSTILE_POLICY = """\
version: 1
rules:
  - id: deny-kube-system
    effect: deny
    tools: ["k8s_*"]
    namespaces: ["kube-system"]
  - id: deny-secrets
    effect: deny
    tools: ["k8s_*"]
    kinds: ["Secret"]
  - id: read-kubernetes
    effect: allow
    tools: ["k8s_*"]
  - id: read-metrics-and-logs
    effect: allow
    tools: ["prom_*", "loki_*"]
limits:
  - id: default
    promql: {max_range: 7d, min_step: 15s, max_series: 500}
    logql: {max_range: 24h, max_limit: 5000}
    rate: {calls: 100000, per: 60s}
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def checkout_bundle() -> Bundle:
    return Bundle.load(INCIDENTS / "checkout-oom")


@pytest.fixture(scope="session")
def replay(checkout_bundle: Bundle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayHandle]:
    with replay_server(checkout_bundle, tmp_path_factory.mktemp("replay") / "kubeconfig") as handle:
        yield handle


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(HOSTILE_POLICY, encoding="utf-8")
    return path


def audit_records(state_dir: Path) -> list[dict[str, Any]]:
    path = state_dir / "audit.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
