"""Fixtures for the incident normaliser tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def load() -> Callable[[str], Any]:
    """Read a recorded payload from tests/incidents/fixtures (a fresh copy each call)."""
    return _load
