"""One rule for deciding a pending approval (agent/server/decisions.py), the same at every door.

The rule runs on the real SQLite approval store and the shipped policy (approvers narrowed per test).
Then the same requests go through each door: the HTTP approvals API and a signed Slack click (the
real slack-bolt app in `vigil serve`, Slack's Web API being the conftest recorder in its documented
shapes), and `vigil approvals` through typer's runner. Each must refuse what the rule refuses, with
its own typed answer, and record nothing. Last, the one way a `propose` job is queued: serve and the
CLI share one key and one window, so one approval opens one job.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from agent.cli.approvals import app as approvals_app
from agent.gitops.from_report import CONTEXT_KEY, read_proposal
from agent.gitops.propose import TOOL_NAME
from agent.incident import from_text
from agent.server.blocks import APPROVE_ACTION, REFUSE_ACTION
from agent.server.decisions import DecisionRefused, Refusal, check, decide
from agent.server.proposals import PROPOSE, enqueue_completion
from guardrails.action import Action, Actor, Risk, RollbackPlan
from guardrails.approval import PendingApprovalStore, new_request
from guardrails.policy import ApprovalPolicy
from tests.frontdoors.conftest import SLACK_SECRET, FakeInvestigation, Recorder, Service
from tests.frontdoors.test_approve_to_fix import policy_with_approvers
from tests.frontdoors.test_slack import action_body, post_slack

pytestmark = pytest.mark.anyio

API_TOKEN = "approvals-api-token-for-decisions"
POLICY = ApprovalPolicy(approvers=["alice", "bob", "slack:UALICE", "slack:UBOB"], self_approval_max="low",
                        distinct_approver_at="high")


def submit(store: PendingApprovalStore, requester: str, risk: Risk, *, proposal: bool = False,
           timeout: float = 3600) -> str:
    rollback = None
    if proposal:  # what propose_from_report keeps for the completing job
        incident = from_text("checkout OOMKilled in namespace shop", source="alertmanager")
        rollback = RollbackPlan(kind="revert_pull_request", description="close it",
                                data={CONTEXT_KEY: {"incident": incident.model_dump(mode="json"), "reply": {}}})
    action = Action(actor=Actor(name=requester, origin="mcp"), tool=TOOL_NAME if proposal else "k8s_scale",
                    arguments={"name": "checkout"}, risk=risk, rollback=rollback)
    request = new_request(action, "test", f"{requester} changes checkout", timeout)
    store.submit(request)
    return request.id


def refusal(store: PendingApprovalStore, request_id: str, person: str, approved: bool) -> Refusal:
    with pytest.raises(DecisionRefused) as refused:
        decide(store, POLICY, request_id, person, approved, "test")
    assert refused.value.detail
    return refused.value.reason


def test_the_rule_refuses_each_case_with_its_reason_and_records_nothing(tmp_path: Path) -> None:
    store = PendingApprovalStore(tmp_path / "approvals.db")
    medium_alice = submit(store, "alice", Risk.MEDIUM)
    high_alice = submit(store, "alice", Risk.HIGH)
    low_alice = submit(store, "alice", Risk.LOW)
    other = submit(store, "mcp:claude", Risk.MEDIUM)

    assert refusal(store, "apr_nope", "alice", True) is Refusal.NOT_FOUND
    assert refusal(store, other, "mallory", True) is Refusal.NOT_APPROVER
    assert refusal(store, other, "mallory", False) is Refusal.NOT_APPROVER, "a refusal ends a proposal: approvers only"
    # above self_approval_max (low) and at distinct_approver_at (high): both are the one rule
    assert refusal(store, medium_alice, "alice", True) is Refusal.SELF_APPROVAL
    assert refusal(store, high_alice, "alice", True) is Refusal.SELF_APPROVAL
    assert {store.get(r)["status"] for r in (medium_alice, high_alice, other)} == {"pending"}

    assert decide(store, POLICY, low_alice, "alice", True, "test")["requester"] == "alice", "low: self-approval ok"
    assert decide(store, POLICY, medium_alice, "alice", False, "test")["id"] == medium_alice, "withdrawing is ok"
    assert decide(store, POLICY, high_alice, "bob", True, "test", "looks right")["risk"] == int(Risk.HIGH)
    assert store.get(high_alice)["approver"] == "bob" and store.get(high_alice)["note"] == "looks right"
    assert refusal(store, high_alice, "bob", True) is Refusal.DECIDED
    assert refusal(store, medium_alice, "bob", True) is Refusal.DECIDED
    assert store.get(medium_alice)["status"] == "refused"


@pytest.mark.parametrize("spelling", ["ALICE", "Alice", "\uff41\uff4c\uff49\uff43\uff45", "al\u0131ce",
                                      "\u0430lice"])
def test_the_requester_spelled_differently_is_still_the_requester(tmp_path: Path, spelling: str) -> None:
    """With approvers "*", a name typed in capitals, full-width letters (round 2) or with look-alike
    letters of other scripts (dotless i, Cyrillic a: round 3) must not pass as a second person."""
    store = PendingApprovalStore(tmp_path / "approvals.db")
    anyone = ApprovalPolicy(approvers=["*"], self_approval_max="low", distinct_approver_at="high")
    high_alice = submit(store, "alice", Risk.HIGH)
    with pytest.raises(DecisionRefused) as refused:
        decide(store, anyone, high_alice, spelling, True, "test")
    assert refused.value.reason is Refusal.SELF_APPROVAL
    assert store.get(high_alice)["status"] == "pending"
    assert decide(store, anyone, high_alice, "bob", True, "test")["id"] == high_alice


def row(store: PendingApprovalStore, request_id: str) -> dict[str, str]:
    """The stored request, which these tests know exists."""
    found = store.get(request_id)
    assert found is not None, request_id
    return found


@pytest.mark.parametrize("name", ["alice\u0000bob", "alice\u200b", "bob\u202e", "b" * 201, ""])
def test_a_name_that_is_no_identity_decides_nothing(tmp_path: Path, name: str) -> None:
    """Round 3 of the hostile catalogue: `alice\u0000bob` was recorded as an approver and `alice\u200b`
    approved alice's own high-risk request. Refused before any comparison, for approving and denying."""
    store = PendingApprovalStore(tmp_path / "approvals.db")
    anyone = ApprovalPolicy(approvers=["*"], self_approval_max="low", distinct_approver_at="high")
    high_alice = submit(store, "alice", Risk.HIGH)
    for approved in (True, False):
        with pytest.raises(DecisionRefused) as refused:
            decide(store, anyone, high_alice, name, approved, "test")
        assert refused.value.reason is Refusal.BAD_IDENTITY and refused.value.detail.startswith("approver: ")
    assert row(store, high_alice)["status"] == "pending"


def test_the_approver_is_recorded_normalised(tmp_path: Path) -> None:
    store = PendingApprovalStore(tmp_path / "approvals.db")
    request_id = submit(store, "mcp:claude", Risk.MEDIUM)
    decide(store, POLICY, request_id, "\uff42\uff4f\uff42", True, "test")  # full-width bob, among the approvers
    assert row(store, request_id)["approver"] == "bob"


def test_a_request_decided_or_expired_between_check_and_record_is_decided(tmp_path: Path) -> None:
    store = PendingApprovalStore(tmp_path / "approvals.db")
    raced = submit(store, "mcp:claude", Risk.MEDIUM)
    check(store, POLICY, raced, "bob", True)
    assert store.resolve(raced, "alice", False, "slack")  # another door was quicker
    assert refusal(store, raced, "bob", True) is Refusal.DECIDED
    expired = submit(store, "mcp:claude", Risk.MEDIUM, timeout=-1)
    assert refusal(store, expired, "bob", True) is Refusal.DECIDED
    assert store.get(expired)["status"] == "pending" and store.get(raced)["approver"] == "alice"


# -- every door answers the rule the same way ---------------------------------------------------------------


@pytest.fixture
async def doors(tmp_path: Path, recorder: Recorder) -> AsyncIterator[tuple[Service, Path]]:
    """`vigil serve`'s app (API token and Slack on) and a config file for `vigil approvals` on one store."""
    from slack_sdk.web.async_client import AsyncWebClient

    from agent.config import Config
    from agent.server.app import create_app
    from agent.server.settings import ServeSettings

    environ = {"VIGIL_SLACK_SIGNING_SECRET": SLACK_SECRET, "VIGIL_SLACK_BOT_TOKEN": "xoxb-test",
               "VIGIL_API_TOKEN": API_TOKEN}
    policy = policy_with_approvers(tmp_path, POLICY.approvers)
    config_data = {"state_dir": str(tmp_path / "state"), "policy": str(policy)}
    config_file = tmp_path / "vigil.yaml"
    config_file.write_text(json.dumps(config_data))
    settings = ServeSettings.model_validate({"workers": 0, "dedupe_window_seconds": 0,
                                             "slack": {"api_url": recorder.url + "/api/"}})
    app = create_app(settings, Config.model_validate(config_data), investigate=FakeInvestigation(),
                     slack_client=AsyncWebClient(token="xoxb-test", base_url=recorder.url + "/api/"), environ=environ)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://vigil") as client:
        yield Service(app, app.state.door, client, FakeInvestigation(), recorder, environ), config_file
    app.state.door.queue.sync.close()


CASES = [  # requester, risk, who decides (a plain name; as a Slack user, U + the name in upper case), approve, why not
    ("alice", Risk.MEDIUM, "alice", True, Refusal.SELF_APPROVAL),
    ("alice", Risk.HIGH, "alice", True, Refusal.SELF_APPROVAL),
    ("mcp:claude", Risk.MEDIUM, "mallory", True, Refusal.NOT_APPROVER),
    ("mcp:claude", Risk.MEDIUM, "mallory", False, Refusal.NOT_APPROVER),
]


@pytest.mark.parametrize(("requester", "risk", "person", "approved", "reason"), CASES)
async def test_each_door_refuses_what_the_rule_refuses(doors: tuple[Service, Path], monkeypatch: pytest.MonkeyPatch,
                                                       requester: str, risk: Risk, person: str, approved: bool,
                                                       reason: Refusal) -> None:
    monkeypatch.delenv("VIGIL_CONFIG", raising=False)
    service, config = doors
    store = service.door.approvals
    verb = "approve" if approved else "deny"

    # HTTP: the name as given; Slack: `slack:<ID>`, so the Slack case is requested by the Slack identity
    via_http = submit(store, requester, risk)
    response = await service.client.post(f"/approvals/{via_http}/{verb}", json={"approver": person},
                                         headers={"authorization": f"Bearer {API_TOKEN}"})
    assert response.status_code == 403 and response.json()["error"] == "forbidden", response.text

    slack_user = "U" + person.upper()
    via_slack = submit(store, f"slack:{slack_user}" if requester == person else requester, risk)
    answer = await post_slack(service, action_body(APPROVE_ACTION if approved else REFUSE_ACTION, via_slack,
                                                   slack_user))
    assert answer.status_code == 200, answer.text
    told = str(service.recorder.calls("chat.postEphemeral")[-1].form_or_json()["text"])
    assert told.startswith("Not recorded: ") and ("Another person" in told) == (reason is Refusal.SELF_APPROVAL)

    via_cli = submit(store, requester, risk)
    result = CliRunner().invoke(approvals_app, [verb, via_cli, "--as", person, "--config", str(config)])
    assert result.exit_code == 1 and "refused" in result.output, result.output
    assert ("Another person" in result.output) == (reason is Refusal.SELF_APPROVAL), result.output

    assert {store.get(r)["status"] for r in (via_http, via_slack, via_cli)} == {"pending"}
    assert sum((await service.door.queue.counts()).values()) == 0, "nothing was queued"


async def test_unknown_and_decided_ids_get_the_same_typed_answer_at_every_door(doors: tuple[Service, Path],
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIGIL_CONFIG", raising=False)
    service, config = doors
    store = service.door.approvals
    decided = submit(store, "mcp:claude", Risk.MEDIUM)
    assert store.resolve(decided, "bob", False, "test")
    auth = {"authorization": f"Bearer {API_TOKEN}"}
    for request_id, status, error, code in [("apr_nope", 404, "not_found", 2), (decided, 409, "decided", 1)]:
        response = await service.client.post(f"/approvals/{request_id}/approve", json={"approver": "alice"},
                                             headers=auth)
        assert (response.status_code, response.json()["error"]) == (status, error), response.text
        await post_slack(service, action_body(APPROVE_ACTION, request_id, "UALICE"))
        told = str(service.recorder.calls("chat.postEphemeral")[-1].form_or_json()["text"])
        assert told.startswith("Not recorded: ") and request_id in told
        result = CliRunner().invoke(approvals_app, ["approve", request_id, "--as", "alice", "--config", str(config)])
        assert result.exit_code == code and request_id in result.output, result.output
    assert store.get(decided)["approver"] == "bob"


@pytest.mark.parametrize("name", ["alice\u0000bob", "alice\u200b"])
async def test_the_http_api_and_the_cli_refuse_a_name_that_is_no_identity(doors: tuple[Service, Path],
                                                                         monkeypatch: pytest.MonkeyPatch,
                                                                         name: str) -> None:
    monkeypatch.delenv("VIGIL_CONFIG", raising=False)
    service, config = doors
    store = service.door.approvals
    high_alice = submit(store, "alice", Risk.HIGH)
    response = await service.client.post(f"/approvals/{high_alice}/approve", json={"approver": name},
                                         headers={"authorization": f"Bearer {API_TOKEN}"})
    assert response.status_code == 422 and response.json()["error"] == "invalid_payload", response.text
    assert "approver" in response.json()["detail"] and "U+" in response.json()["detail"]
    result = CliRunner().invoke(approvals_app, ["approve", high_alice, "--as", name, "--config", str(config)])
    assert result.exit_code == 2 and "U+" in result.output, result.output
    assert row(store, high_alice)["status"] == "pending"
    assert sum((await service.door.queue.counts()).values()) == 0


async def test_an_encoded_slash_never_routes_to_a_decision(doors: tuple[Service, Path]) -> None:
    """Hostile catalogue 3: `/approvals/{id}%2Fapprove` reached the approve route and decided the request."""
    service, _ = doors
    store = service.door.approvals
    request_id = submit(store, "mcp:claude", Risk.MEDIUM)
    for target in (f"/approvals/{request_id}%2Fapprove", f"/approvals/{request_id}%2fdeny"):
        response = await service.client.post(target, json={"approver": "alice"},
                                             headers={"authorization": f"Bearer {API_TOKEN}"})
        assert response.status_code == 400 and response.json()["error"] == "encoded_separator", response.text
    assert row(store, request_id)["status"] == "pending"


# -- one job per approved proposal, whoever asks ------------------------------------------------------------


async def test_serve_and_the_cli_queue_one_propose_job_per_request(doors: tuple[Service, Path]) -> None:
    """Serve's incident dedupe window is 0 here: the completion's own window still holds, so a second
    ask after the job finished (a retried CLI call, a Slack click racing the API) joins that job."""
    service, _ = doors
    store = service.door.approvals
    request_id = submit(store, "mcp:claude", Risk.MEDIUM, proposal=True)
    decide(store, POLICY, request_id, "bob", True, "test")
    queue = service.door.queue.sync
    first = await service.door.proposal_decided(request_id, True)
    job = queue.claim("worker-test", 60)
    assert job is not None and job.id == first and job.kind == PROPOSE
    assert queue.complete(job.id, "worker-test", {"outcome": {}})
    assert await service.door.proposal_decided(request_id, True) == first
    assert enqueue_completion(queue, read_proposal(store, request_id)).job_id == first
    assert [j.id for j in queue.list()] == [first]
    assert await service.door.proposal_decided(request_id, False) is None, "a refusal queues nothing"


@pytest.mark.parametrize("failing", ["/api/chat.postEphemeral", "/api/chat.update"])
async def test_slack_refusing_the_message_about_a_click_does_not_fail_the_click(
        doors: tuple[Service, Path], failing: str, caplog: pytest.LogCaptureFixture) -> None:
    """Slack answers the recorder's 500 for one method: the click is still answered 200 (Slack would show
    a failed button otherwise), the decision stands or nothing changed as before, and the log says so."""
    from agent.server.slack import SLACK_NOT_TOLD

    service, _ = doors
    service.recorder.fail_paths.add(failing)
    store = service.door.approvals
    request_id = submit(store, "mcp:claude", Risk.MEDIUM)
    person = "UMALLORY" if failing.endswith("postEphemeral") else "UBOB"
    answer = await post_slack(service, action_body(APPROVE_ACTION, request_id, person))
    assert answer.status_code == 200, answer.text
    assert service.recorder.calls(failing.removeprefix("/api")), "Slack was asked"
    assert store.get(request_id)["status"] == ("pending" if person == "UMALLORY" else "approved")
    assert any(r.msg == SLACK_NOT_TOLD for r in caplog.records), caplog.text
