import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _no_attested_strings() -> None:
    """A code graph loaded by an earlier test attests its strings process-wide (guardrails/attested.py):
    start each test without them, so the leaf memo's counts are each test's own."""
    from guardrails import attested

    attested.clear()
