"""The hostile catalogues' server runs a policy that names its approvers (benchmarks/frontdoors/
hostile_canary.py), as docs/frontdoors.md asks of a deployment whose approvals API sits behind one
shared token: with the shipped `approvers: ["*"]` any well-formed name would approve, and catalogue 4's
200-character non-approver approved a request it should have left pending."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any

from benchmarks.frontdoors.hostile_canary import APPROVERS, seed_approvals, write_policy
from benchmarks.frontdoors.hostile_payloads import USER
from benchmarks.frontdoors.run_hostile import HOST, new_keys, servers
from guardrails.pipeline import default_policy_path
from guardrails.policy import load_policy


def test_the_runner_policy_is_the_default_with_named_approvers(tmp_path: Path) -> None:
    policy = load_policy(write_policy(tmp_path / "policy.yaml"))
    default = load_policy(default_policy_path())
    assert policy.approval.approvers == list(APPROVERS)
    for name in ("alice", "bob", "carol", f"slack:{USER}"):
        assert policy.approval.may_approve(name), name
    for name in ("b" * 200, "mallory", "ALICE", "slack:U0OTHER00", "*"):
        assert not policy.approval.may_approve(name), name
    assert policy.model_dump(exclude={"approval"}) == default.model_dump(exclude={"approval"})
    assert policy.approval.model_dump(exclude={"approvers"}) == default.approval.model_dump(exclude={"approvers"})


def _call(port: int, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {token}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read() or b"null")
    finally:
        conn.close()


def test_a_well_formed_non_approver_is_refused_and_the_request_stays_pending() -> None:
    keys = new_keys()
    with servers(keys) as (serve_port, _, workdir):
        ids = seed_approvals(workdir / "state" / "approvals.db")
        status, answer = _call(serve_port, "POST", f"/approvals/{ids['withdraw']}/approve", keys.api_token,
                               {"approver": "b" * 200, "note": "not an approver"})
        assert status == 403 and "approval.approvers" in answer["detail"], answer
        status, listing = _call(serve_port, "GET", "/approvals", keys.api_token)
        assert status == 200 and ids["withdraw"] in json.dumps(listing), "still pending"
        status, answer = _call(serve_port, "POST", f"/approvals/{ids['withdraw']}/deny", keys.api_token,
                               {"approver": "carol", "note": "withdrawn"})
        assert status == 200 and answer["status"] == "refused", answer
