"""Shared fixtures for the text-guardrail tests: the corpora under corpus/ as lists of dicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).parent / "corpus"


def load_jsonl(name: str) -> list[dict[str, Any]]:
    """Read one corpus file; every line is one JSON object."""
    with (CORPUS / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def hostile() -> list[dict[str, Any]]:
    return load_jsonl("injection_hostile.jsonl")


@pytest.fixture(scope="session")
def benign() -> list[dict[str, Any]]:
    return load_jsonl("injection_benign.jsonl")


@pytest.fixture(scope="session")
def hostile_holdout() -> list[dict[str, Any]]:
    return load_jsonl("injection_hostile_holdout.jsonl")


@pytest.fixture(scope="session")
def benign_holdout() -> list[dict[str, Any]]:
    return load_jsonl("injection_benign_holdout.jsonl")


@pytest.fixture(scope="session")
def secret_samples() -> list[dict[str, Any]]:
    return load_jsonl("secrets.jsonl")


@pytest.fixture(scope="session")
def benign_secrets() -> list[dict[str, Any]]:
    return load_jsonl("secrets_benign.jsonl")
