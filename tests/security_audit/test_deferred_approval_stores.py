"""A deferred approval is used once, for the same change only, in both stores (SQLite and a real PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrails.action import Action, Actor, Risk, RollbackPlan
from guardrails.approval import ApprovalRecord, DeferredApprover, PendingApprovalStore, new_request

pytestmark = pytest.mark.anyio


def _action(patch: str, incident_id: str) -> Action:
    return Action(actor=Actor(name="mcp-client", origin="mcp"), tool="propose_change", risk=Risk.MEDIUM,
                  arguments={"branch": "vigil/fp", "incident": {"id": incident_id, "fingerprint": "fp"}},
                  rollback=RollbackPlan(kind="revert_pull_request", description="revert", data={"patch": patch}))


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path: Path) -> PendingApprovalStore:
    if request.param == "sqlite":
        return PendingApprovalStore(tmp_path / "approvals.db")
    from tests.frontdoors.conftest import PG_BIN

    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL server binaries are absent")
    from agent.queue.approvals import PostgresApprovalStore

    return PostgresApprovalStore(request.getfixturevalue("postgres_url"))


async def test_one_decision_one_use_same_change_only(store: PendingApprovalStore) -> None:
    async def ask(patch: str, incident_id: str) -> tuple[DeferredApprover, ApprovalRecord]:
        approver = DeferredApprover(store)
        return approver, await approver.decide(new_request(_action(patch, incident_id), "risk medium", "a PR", 60))

    first, record = await ask("+a", "inc_1")
    assert not record.approved and first.pending_id and "pending approval" in record.note
    same, record = await ask("+a", "inc_2")  # the same call again (a new incident id): that request, no new one
    assert not record.approved and same.pending_id == first.pending_id
    assert store.resolve(first.pending_id, "bob", True, "cli approvals")
    other, record = await ask("+b", "inc_3")  # another diff is another request
    assert not record.approved and other.pending_id not in (None, first.pending_id)
    _, record = await ask("+a", "inc_4")
    assert record.approved and record.approver == "bob" and record.channel == "cli approvals"
    again, record = await ask("+a", "inc_5")  # used once: a replay files a new request
    assert not record.approved and again.pending_id not in (None, first.pending_id)
