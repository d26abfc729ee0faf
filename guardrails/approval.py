"""The approval layer: risky actions wait for a named human, and silence means no.

An `Approver` turns an `ApprovalRequest` into an `ApprovalRecord`. The channels differ (a terminal
prompt, `--yes` on the command line, a Slack button, an HTTP call, MCP elicitation), but all of them
either answer directly or resolve a request in the durable `PendingApprovalStore`, so an approval
given in Slack reaches an investigation that a webhook started in another process.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from guardrails.action import Action, new_id


@dataclass(frozen=True)
class ApprovalRequest:
    id: str
    action: Action
    reason: str
    """Why approval is needed (risk level and threshold), shown to the approver."""
    summary: str
    """What will happen if approved, in one or two lines."""
    expires_at: datetime


@dataclass(frozen=True)
class ApprovalRecord:
    approved: bool
    approver: str | None
    channel: str
    decided_at: datetime
    note: str = ""
    requester_present: bool = False
    """True only where the approver is the person who started this run, answering at the terminal it
    runs in (a prompt, `--yes`). Every other channel (MCP elicitation, Slack, HTTP, `vigil approvals`)
    can be answered by an automated requester for itself, so the policy's self-approval limit applies."""

    def describe(self) -> str:
        who = self.approver or "nobody"
        verb = "approved" if self.approved else "refused"
        return f"{verb} by {who} via {self.channel} at {self.decided_at.isoformat(timespec='seconds')}" + (
            f" ({self.note})" if self.note else ""
        )


class Approver(Protocol):
    async def decide(self, request: ApprovalRequest) -> ApprovalRecord: ...


def _now() -> datetime:
    return datetime.now(UTC)


class AutoDenyApprover:
    """For headless runs with nobody to ask: every request is refused, saying why."""

    async def decide(self, request: ApprovalRequest) -> ApprovalRecord:
        return ApprovalRecord(False, None, "headless", _now(), "no human approver is configured for this run")


class PreApproved:
    """`--yes`: the person running the command approves in advance, and is recorded as such."""

    def __init__(self, approver: str, channel: str = "cli --yes") -> None:
        self.approver = approver
        self.channel = channel

    async def decide(self, request: ApprovalRequest) -> ApprovalRecord:
        return ApprovalRecord(True, self.approver, self.channel, _now(), "approved in advance on the command line",
                              requester_present=True)


class TerminalApprover:
    """Asks on the terminal. `ask` is injectable so tests drive it without a TTY."""

    def __init__(self, approver: str, ask: Callable[[str], str] | None = None) -> None:
        self.approver = approver
        self.ask = ask or input

    async def decide(self, request: ApprovalRequest) -> ApprovalRecord:
        prompt = (
            f"\nApproval needed ({request.reason})\n  {request.summary}\n"
            f"Approve as {self.approver}? [y/N] "
        )
        timeout = max(0.0, (request.expires_at - _now()).total_seconds())
        try:
            answer = await asyncio.wait_for(asyncio.to_thread(self.ask, prompt), timeout)
        except (TimeoutError, EOFError):
            return ApprovalRecord(False, None, "terminal", _now(), "no answer before the timeout")
        approved = answer.strip().lower() in ("y", "yes")
        return ApprovalRecord(approved, self.approver, "terminal", _now(), "" if approved else f"answered {answer!r}",
                              requester_present=True)


class PendingApprovalStore:
    """Durable pending approvals in SQLite, resolved later by Slack, HTTP or MCP elicitation."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(
                """CREATE TABLE IF NOT EXISTS approvals (
                    id TEXT PRIMARY KEY, action_id TEXT NOT NULL, requester TEXT NOT NULL,
                    tool TEXT NOT NULL, risk INTEGER NOT NULL, summary TEXT NOT NULL, reason TEXT NOT NULL,
                    action_json TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
                    status TEXT NOT NULL DEFAULT 'pending', approver TEXT, channel TEXT,
                    decided_at TEXT, note TEXT)"""
            )

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def submit(self, request: ApprovalRequest) -> None:
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT INTO approvals (id, action_id, requester, tool, risk, summary, reason, action_json,"
                " created_at, expires_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (request.id, request.action.id, request.action.actor.name, request.action.tool,
                 int(request.action.risk), request.summary, request.reason,
                 request.action.model_dump_json(), _now().isoformat(), request.expires_at.isoformat()),
            )

    def resolve(self, request_id: str, approver: str, approved: bool, channel: str, note: str = "") -> bool:
        """Record a human's answer. Returns False if the request is unknown, expired or already decided."""
        with self._lock, self._connect() as db:
            cur = db.execute(
                "UPDATE approvals SET status=?, approver=?, channel=?, decided_at=?, note=? "
                "WHERE id=? AND status='pending' AND expires_at > ?",
                ("approved" if approved else "refused", approver, channel, _now().isoformat(), note,
                 request_id, _now().isoformat()),
            )
            return cur.rowcount == 1

    def get(self, request_id: str) -> dict[str, str] | None:
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            row = db.execute("SELECT * FROM approvals WHERE id=?", (request_id,)).fetchone()
            return dict(row) if row else None

    def history(self, requester: str, tool: str) -> list[dict[str, str]]:
        """Every request of `requester` for `tool`, newest first (what `DeferredApprover` matches a call against)."""
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM approvals WHERE requester=? AND tool=? ORDER BY created_at DESC",
                              (requester, tool)).fetchall()
            return [dict(r) for r in rows]

    def consume(self, request_id: str, status: str = "approved") -> bool:
        """Mark a decided request used, once: True for the one caller that gets to act on it."""
        with self._lock, self._connect() as db:
            cur = db.execute("UPDATE approvals SET status=? WHERE id=? AND status=?",
                             (f"used ({status})", request_id, status))
            return cur.rowcount == 1

    def pending(self) -> list[dict[str, str]]:
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(
                "SELECT id, action_id, requester, tool, risk, summary, expires_at FROM approvals "
                "WHERE status='pending' AND expires_at > ? ORDER BY created_at", (_now().isoformat(),)
            ).fetchall()
            return [dict(r) for r in rows]

    async def wait(self, request_id: str, poll_seconds: float = 0.25) -> ApprovalRecord:
        """Wait until a human decides or the request expires (expiry is a refusal)."""
        while True:
            row = self.get(request_id)
            if row is None:
                return ApprovalRecord(False, None, "store", _now(), "the request disappeared from the store")
            if row["status"] != "pending":
                return ApprovalRecord(row["status"] == "approved", row["approver"], row["channel"] or "store",
                                      datetime.fromisoformat(row["decided_at"]), row["note"] or "")
            if datetime.fromisoformat(row["expires_at"]) <= _now():
                with self._lock, self._connect() as db:
                    db.execute("UPDATE approvals SET status='expired' WHERE id=? AND status='pending'", (request_id,))
                return ApprovalRecord(False, None, "store", _now(), "no answer before the timeout")
            await asyncio.sleep(poll_seconds)


class StoreApprover:
    """Files the request in the store, tells someone (`notify`: post to Slack, print a URL), waits."""

    def __init__(self, store: PendingApprovalStore,
                 notify: Callable[[ApprovalRequest], None] | None = None, poll_seconds: float = 0.25) -> None:
        self.store = store
        self.notify = notify
        self.poll_seconds = poll_seconds

    async def decide(self, request: ApprovalRequest) -> ApprovalRecord:
        self.store.submit(request)
        if self.notify:
            self.notify(request)
        return await self.store.wait(request.id, self.poll_seconds)


class DeferredApprover:
    """Files the request and answers at once; a later identical call acts on the human's decision.

    For a requester that must not approve its own action (an MCP client) and cannot wait for minutes
    inside one call: the first call files a pending request and is refused with its id
    (`pending_id`); a person who is not the requester decides out of band (`vigil approvals`, Slack,
    HTTP); the same call made again, for the same change, then finds that decision and uses it once.
    A decision holds only for the change it was asked about: another diff is another request.
    """

    def __init__(self, store: PendingApprovalStore, notify: Callable[[ApprovalRequest], None] | None = None,
                 max_age_seconds: float = 86400) -> None:
        self.store = store
        self.notify = notify
        self.max_age_seconds = max_age_seconds
        self.pending_id: str | None = None
        """Set when `decide` left a request waiting for a human."""

    async def decide(self, request: ApprovalRequest) -> ApprovalRecord:
        action = request.action
        key = request_key(action)
        rows = await asyncio.to_thread(self.store.history, action.actor.name, action.tool)
        for row in rows:
            if request_key(Action.model_validate_json(row["action_json"])) != key:
                continue
            status = row["status"]
            decided = datetime.fromisoformat(row["decided_at"]) if row.get("decided_at") else None
            if status == "pending" and datetime.fromisoformat(row["expires_at"]) > _now():
                self.pending_id = row["id"]
                return ApprovalRecord(False, None, "pending", _now(), pending_note(row["id"]))
            fresh = decided is not None and (_now() - decided).total_seconds() < self.max_age_seconds
            if status in ("approved", "refused") and fresh and self.store.consume(row["id"], status):
                assert decided is not None
                return ApprovalRecord(status == "approved", row["approver"], row["channel"] or "store", decided,
                                      f"decided out of band on request {row['id']}" + (
                                          f": {row['note']}" if row.get("note") else ""))
            break  # the newest matching request is spent or expired: ask again
        self.store.submit(request)
        if self.notify:
            self.notify(request)
        self.pending_id = request.id
        return ApprovalRecord(False, None, "pending", _now(), pending_note(request.id))


def pending_note(request_id: str) -> str:
    return f"pending approval {request_id}, approve with `vigil approvals approve {request_id}`"


def request_key(action: Action) -> str:
    """What makes two calls the same request: requester, tool, arguments (an incident by its
    fingerprint, not its per-call id) and the exact change the rollback plan would undo."""
    arguments = dict(action.arguments)
    incident = arguments.get("incident")
    if isinstance(incident, dict):
        arguments["incident"] = {"fingerprint": incident.get("fingerprint")}
    patch = action.rollback.data.get("patch") if action.rollback is not None else None
    material = json.dumps([action.actor.name, action.tool, arguments, patch], sort_keys=True, default=str)
    return hashlib.sha256(material.encode()).hexdigest()


def new_request(action: Action, reason: str, summary: str, timeout_seconds: float) -> ApprovalRequest:
    return ApprovalRequest(
        id=new_id("apr"), action=action, reason=reason, summary=summary,
        expires_at=_now() + timedelta(seconds=timeout_seconds),
    )


def summarise_action(action: Action) -> str:
    args = json.dumps(action.arguments, sort_keys=True, default=str)
    if len(args) > 300:
        args = args[:299] + "…"
    return f"{action.actor.name} wants to run {action.tool} {args} (risk {action.risk.name.lower()})"

