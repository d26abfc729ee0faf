"""Pending approvals in PostgreSQL, so an approval given on one replica reaches an investigation on another.

With several `vigil serve` replicas, the investigation that waits for a human runs on one replica and
Slack delivers the button click to whichever replica the load balancer picks. The guardrails' own
`PendingApprovalStore` keeps requests in a local SQLite file; this store keeps them in the same
PostgreSQL database as the job queue, with the same methods and the same rules (only a pending,
unexpired request can be decided; expiry is a refusal), so `StoreApprover` and the Slack buttons use
it unchanged.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from guardrails.approval import ApprovalRecord, ApprovalRequest, PendingApprovalStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS vigil_approvals (
    id TEXT PRIMARY KEY, action_id TEXT NOT NULL, requester TEXT NOT NULL, tool TEXT NOT NULL,
    risk INTEGER NOT NULL, summary TEXT NOT NULL, reason TEXT NOT NULL, action_json TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
    approver TEXT, channel TEXT, decided_at TIMESTAMPTZ, note TEXT)
"""


def _now() -> datetime:
    return datetime.now(UTC)


class PostgresApprovalStore(PendingApprovalStore):
    """`PendingApprovalStore`'s interface over the table `vigil_approvals` (short transactions, no pool:
    approvals are rare and a fresh connection keeps this free of shared state)."""

    def __init__(self, url: str) -> None:  # the SQLite file of the parent class is deliberately not made
        self.url = url
        with self._db() as db:
            db.execute(SCHEMA)  # type: ignore[arg-type]

    def _db(self) -> psycopg.Connection[dict[str, Any]]:
        return psycopg.connect(self.url, row_factory=dict_row, autocommit=True, connect_timeout=10)

    def submit(self, request: ApprovalRequest) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO vigil_approvals (id, action_id, requester, tool, risk, summary, reason, action_json,"
                " created_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (request.id, request.action.id, request.action.actor.name, request.action.tool,
                 int(request.action.risk), request.summary, request.reason, request.action.model_dump_json(),
                 _now(), request.expires_at))

    def resolve(self, request_id: str, approver: str, approved: bool, channel: str, note: str = "") -> bool:
        with self._db() as db:
            cur = db.execute(
                "UPDATE vigil_approvals SET status = %s, approver = %s, channel = %s, decided_at = %s, note = %s"
                " WHERE id = %s AND status = 'pending' AND expires_at > %s",
                ("approved" if approved else "refused", approver, channel, _now(), note, request_id, _now()))
            return cur.rowcount == 1

    def get(self, request_id: str) -> dict[str, str] | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM vigil_approvals WHERE id = %s", (request_id,)).fetchone()
        return _texts(row) if row else None

    def history(self, requester: str, tool: str) -> list[dict[str, str]]:
        with self._db() as db:
            rows = db.execute("SELECT * FROM vigil_approvals WHERE requester = %s AND tool = %s"
                              " ORDER BY created_at DESC", (requester, tool)).fetchall()
        return [_texts(r) for r in rows]

    def consume(self, request_id: str, status: str = "approved") -> bool:
        with self._db() as db:
            cur = db.execute("UPDATE vigil_approvals SET status = %s WHERE id = %s AND status = %s",
                             (f"used ({status})", request_id, status))
            return cur.rowcount == 1

    def pending(self) -> list[dict[str, str]]:
        with self._db() as db:
            rows = db.execute(
                "SELECT id, action_id, requester, tool, risk, summary, expires_at FROM vigil_approvals"
                " WHERE status = 'pending' AND expires_at > %s ORDER BY created_at", (_now(),)).fetchall()
        return [_texts(r) for r in rows]

    async def wait(self, request_id: str, poll_seconds: float = 0.25) -> ApprovalRecord:
        while True:
            row = await asyncio.to_thread(self.get, request_id)
            if row is None:
                return ApprovalRecord(False, None, "store", _now(), "the request disappeared from the store")
            if row["status"] != "pending":
                return ApprovalRecord(row["status"] == "approved", row["approver"], row["channel"] or "store",
                                      datetime.fromisoformat(row["decided_at"]), row["note"] or "")
            if datetime.fromisoformat(row["expires_at"]) <= _now():
                await asyncio.to_thread(self._expire, request_id)
                return ApprovalRecord(False, None, "store", _now(), "no answer before the timeout")
            await asyncio.sleep(poll_seconds)

    def _expire(self, request_id: str) -> None:
        with self._db() as db:
            db.execute("UPDATE vigil_approvals SET status = 'expired' WHERE id = %s AND status = 'pending'",
                       (request_id,))


def _texts(row: dict[str, Any]) -> dict[str, str]:
    """Rows as the SQLite store returns them: times as ISO text, the rest as stored."""
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


def approval_store_for(config: Any) -> PendingApprovalStore:
    """The one approval store a deployment uses, from its config: PostgreSQL beside the job queue when
    `serve.queue_url` is a PostgreSQL URL (replicas share it), else the state directory's SQLite file.
    Every door that files or decides approvals (serve, `vigil approvals`, the MCP servers) opens this.
    The URL is read as serve reads it, `VIGIL_SERVE__*` overrides included (the Helm chart sets the queue
    that way), so a CLI or MCP server in serve's pod finds serve's store."""
    from agent.server.settings import load_serve_settings

    url = load_serve_settings(config=config).queue_url
    if url and str(url).startswith(("postgresql://", "postgres://")):
        return PostgresApprovalStore(str(url))
    return PendingApprovalStore(config.state_dir / "approvals.db")
