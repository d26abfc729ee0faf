"""Fixtures for the code knowledge graph tests: fixture repositories indexed into tmp databases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mcp_servers.codegraph.graph import CodeGraph
from mcp_servers.codegraph.indexer import index_repository

FIXTURES = Path(__file__).parent / "fixtures"
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def build_graph(name: str, tmp_path: Path) -> CodeGraph:
    """Index a fixture repository (a copy, so the index never lands inside tests/)."""
    repo = tmp_path / name
    shutil.copytree(FIXTURES / name, repo)
    report = index_repository(repo, tmp_path / f"{name}.db", workers=1)
    assert not report.errors, report.errors
    return CodeGraph(tmp_path / f"{name}.db")


@pytest.fixture
def py_graph(tmp_path: Path) -> CodeGraph:
    return build_graph("py_shop", tmp_path)
