"""The Slack app through the real slack-bolt: requests signed with Slack's v0 scheme, outgoing Web API
calls to a local recorder (`AsyncWebClient(base_url=...)`) that answers in the Web API's documented
shapes; no Slack server runs here."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import anyio
import pytest

from agent.report import Report
from agent.server.blocks import APPROVE_ACTION, REFUSE_ACTION
from guardrails.action import Action, Actor, Risk
from guardrails.approval import new_request
from guardrails.policy import ApprovalPolicy
from tests.frontdoors.conftest import SLACK_SECRET, FakeInvestigation, Service, slack_headers

pytestmark = pytest.mark.anyio


def command_body(text: str, user: str = "U1", trigger: str = "trig1") -> bytes:
    return urlencode({"token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": "C1",
                      "channel_name": "incidents", "user_id": user, "user_name": "alice", "command": "/vigil",
                      "text": text, "api_app_id": "A1", "response_url": "https://hooks.slack.com/commands/T1/1/unused",
                      "trigger_id": trigger}).encode()


def event_body(event: dict[str, Any], event_id: str = "Ev1") -> bytes:
    return json.dumps({"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                       "event_id": event_id, "event_time": int(time.time()), "event": event,
                       "authorizations": [{"team_id": "T1", "user_id": "UVIGILBOT", "is_bot": True}]}).encode()


def action_body(action_id: str, value: str, user: str) -> bytes:
    payload = {"type": "block_actions", "team": {"id": "T1", "domain": "acme"}, "user": {"id": user},
               "api_app_id": "A1", "token": "legacy", "trigger_id": "trig-a", "response_url": "https://hooks.slack.com/actions/T1/1/x",
               "container": {"type": "message", "message_ts": "1700000000.000009", "channel_id": "C1"},
               "channel": {"id": "C1", "name": "incidents"}, "message": {"ts": "1700000000.000009", "text": "x"},
               "actions": [{"action_id": action_id, "block_id": "vigil_approval", "value": value, "type": "button",
                            "action_ts": str(time.time())}]}
    return urlencode({"payload": json.dumps(payload)}).encode()


async def post_slack(service: Service, body: bytes, content_type: str = "application/x-www-form-urlencoded",
                     headers: dict[str, str] | None = None) -> Any:
    signed = headers if headers is not None else slack_headers(SLACK_SECRET, body)
    return await service.client.post("/slack/events", content=body, headers={"content-type": content_type, **signed})


def posted_texts(service: Service) -> list[str]:
    out = []
    for call in service.recorder.calls("chat.postMessage") + service.recorder.calls("chat.update"):
        out.append(str(call.form_or_json().get("text", "")))
    return out


async def test_slash_command_opens_a_thread_and_answers_there(service: Service) -> None:
    response = await post_slack(service, command_body("investigate checkout pods OOMKilled in namespace shop"))
    assert response.status_code == 200, response.text
    assert "following up in the thread" in response.text
    [root] = service.recorder.calls("chat.postMessage")
    assert "asked Vigil to investigate" in root.form_or_json()["text"]
    counts = await service.door.queue.counts()
    assert counts["queued"] == 1
    await service.run_jobs()
    [call] = service.fake.calls
    assert call["actor"].name == "slack:U1" and call["incident"].labels.get("namespace") == "shop"
    posts = [c.form_or_json() for c in service.recorder.calls("chat.postMessage")]
    job = (service.door.queue.sync.list())[0]
    thread_ts = job.ref.rsplit(":", 1)[1]
    replies = [p for p in posts if p.get("thread_ts") == thread_ts]
    assert any("Investigating" in p["text"] for p in replies), "live progress in the thread"
    report = next(p for p in replies if p["text"].startswith("Vigil report"))
    blocks = report["blocks"] if isinstance(report["blocks"], list) else json.loads(report["blocks"])
    assert blocks[0]["type"] == "header"
    assert any("container exceeds its memory limit" in json.dumps(b) for b in blocks)
    assert job.state == "done" and job.ref == "slack:C1:" + thread_ts and job.result["delivered"] == ["slack"]


async def test_help_and_empty_commands_enqueue_nothing(service: Service) -> None:
    for text in ("", "help"):
        response = await post_slack(service, command_body(text, trigger=f"t-{text}"))
        assert response.status_code == 200 and "Usage" in response.text
    assert sum((await service.door.queue.counts()).values()) == 0


async def test_mention_then_follow_up_in_the_thread(service: Service) -> None:
    mention = {"type": "app_mention", "user": "U2", "text": "<@UVIGILBOT> pods crashlooping in namespace payments",
               "ts": "1700000100.000100", "channel": "C9", "event_ts": "1700000100.000100"}
    response = await post_slack(service, event_body(mention, "EvA"), "application/json")
    assert response.status_code == 200, response.text
    await service.run_jobs()
    follow = {"type": "message", "user": "U2", "text": "did the config change too?", "ts": "1700000200.000200",
              "thread_ts": "1700000100.000100", "channel": "C9", "event_ts": "1700000200.000200"}
    response = await post_slack(service, event_body(follow, "EvB"), "application/json")
    assert response.status_code == 200
    unrelated = {**follow, "thread_ts": "1600000000.000001", "ts": "1700000300.000300"}
    await post_slack(service, event_body(unrelated, "EvC"), "application/json")
    await service.run_jobs()
    assert len(service.fake.calls) == 2, "the mention and the follow-up; a message in another thread is ignored"
    follow_incident = service.fake.calls[1]["incident"]
    assert follow_incident.labels["namespace"] == "payments", "the follow-up keeps the investigation's context"
    posts = [c.form_or_json() for c in service.recorder.calls("chat.postMessage")]
    answers = [p for p in posts if p.get("thread_ts") == "1700000100.000100" and "blocks" in p]
    assert len(answers) == 2
    assert "Earlier finding in this thread" in json.dumps(answers[1]["blocks"])


async def test_bad_signature_stale_timestamp_and_replay_are_refused(service: Service) -> None:
    body = command_body("investigate something in namespace shop")
    wrong = slack_headers("not-the-secret", body)
    assert (await post_slack(service, body, headers=wrong)).status_code == 401
    stale = slack_headers(SLACK_SECRET, body, timestamp=int(time.time()) - 600)
    assert (await post_slack(service, body, headers=stale)).status_code == 401
    good = slack_headers(SLACK_SECRET, body)
    assert (await post_slack(service, body, headers=good)).status_code == 200
    replay = await post_slack(service, body, headers=good)
    assert replay.status_code == 409 and replay.json()["error"] == "replay"
    big = command_body("x" * 70_000)
    assert (await post_slack(service, big)).status_code == 413
    assert (await service.door.queue.counts())["queued"] == 1, "only the one good request was enqueued"


async def test_approval_buttons_resolve_only_for_allowed_users(service: Service) -> None:
    door = service.door
    door.policy = door.policy.model_copy(update={"approval": ApprovalPolicy(approvers=["slack:UBOSS"])})
    action = Action(actor=Actor(name="slack:U1", origin="slack"), tool="propose_change", risk=Risk.MEDIUM)
    request = new_request(action, "risk medium needs approval", "open a PR in gitops", 60)
    door.approvals.submit(request)
    refused = await post_slack(service, action_body(APPROVE_ACTION, request.id, "UINTERN"))
    assert refused.status_code == 200
    assert door.approvals.get(request.id)["status"] == "pending"
    [ephemeral] = service.recorder.calls("chat.postEphemeral")
    assert "not among the approvers" in ephemeral.form_or_json()["text"]
    approved = await post_slack(service, action_body(APPROVE_ACTION, request.id, "UBOSS"))
    assert approved.status_code == 200
    row = door.approvals.get(request.id)
    assert (row["status"], row["approver"], row["channel"]) == ("approved", "slack:UBOSS", "slack")
    [update] = service.recorder.calls("chat.update")
    assert "Approved by" in json.dumps(update.form_or_json()["blocks"])
    again = await post_slack(service, action_body(REFUSE_ACTION, request.id, "UBOSS"))
    assert again.status_code == 200
    assert door.approvals.get(request.id)["status"] == "approved", "a decided request stays decided"


async def test_high_risk_needs_someone_other_than_the_requester(service: Service) -> None:
    action = Action(actor=Actor(name="slack:U1", origin="slack"), tool="propose_change", risk=Risk.HIGH)
    request = new_request(action, "risk high", "PR against production", 60)
    service.door.approvals.submit(request)
    await post_slack(service, action_body(APPROVE_ACTION, request.id, "U1"))
    assert service.door.approvals.get(request.id)["status"] == "pending"
    await post_slack(service, action_body(APPROVE_ACTION, request.id, "U7"))
    assert service.door.approvals.get(request.id)["approver"] == "slack:U7"


class ApprovingInvestigation(FakeInvestigation):
    """Asks its approver once, the way the pipeline does for a write action, and records the answer."""

    def __init__(self) -> None:
        super().__init__()
        self.decisions: list[Any] = []

    async def __call__(self, incident: Any, config: Any, *, actor: Any, approver: Any = None,
                       progress: Any = None) -> Report:
        action = Action(actor=actor, tool="propose_change", risk=Risk.MEDIUM)
        self.decisions.append(await approver.decide(new_request(action, "risk medium", "open a PR", 30)))
        return await super().__call__(incident, config, actor=actor, approver=approver, progress=progress)


async def test_an_investigation_waits_for_the_button_in_its_thread(service: Service) -> None:
    fake = ApprovingInvestigation()
    service.door.investigate = fake
    await post_slack(service, command_body("investigate payments config in namespace payments"))

    async def click_when_asked() -> None:
        for _ in range(200):
            asks = [c.form_or_json() for c in service.recorder.calls("chat.postMessage")]
            asks = [a for a in asks if "Approval needed" in str(a.get("text"))]
            if asks:
                blocks = asks[0]["blocks"] if isinstance(asks[0]["blocks"], list) else json.loads(asks[0]["blocks"])
                value = blocks[2]["elements"][0]["value"]
                await post_slack(service, action_body(APPROVE_ACTION, value, "U5"))
                return
            await anyio.sleep(0.05)
        raise AssertionError("no approval request was posted")

    async with anyio.create_task_group() as tg:
        tg.start_soon(click_when_asked)
        await service.run_jobs(seconds=10)
    [decision] = fake.decisions
    assert decision.approved and decision.approver == "slack:U5" and decision.channel == "slack"


@pytest.mark.parametrize(("body", "content_type", "status", "error"), [
    (b'{"type": "event_callback", "event": ', "application/json", 400, "malformed_json"),
    (b'["not", "an", "object"]', "application/json", 422, "invalid_payload"),
    (b"payload=%7Bnot+json", "application/x-www-form-urlencoded", 400, "malformed_json"),
    (b"text=hello&user_id=U1", "application/x-www-form-urlencoded", 422, "invalid_payload"),
])
async def test_malformed_slack_requests_are_refused(service: Service, body: bytes, content_type: str, status: int,
                                                    error: str) -> None:
    response = await post_slack(service, body, content_type)
    assert response.status_code == status and response.json()["error"] == error
    assert sum((await service.door.queue.counts()).values()) == 0


async def test_unknown_event_type_is_acknowledged_not_queued_and_the_url_challenge_is_answered(
        service: Service) -> None:
    """A signed event Vigil does not act on gets a 2xx: Slack retries any other answer and disables
    the app's subscriptions when most deliveries fail."""
    unknown = await post_slack(service, event_body({"type": "reaction_added", "user": "U1"}, "EvR"),
                               "application/json")
    assert unknown.status_code == 200 and "reaction_added" in unknown.json()["ignored"]
    limited = await post_slack(service, json.dumps({"type": "app_rate_limited", "team_id": "T1",
                                                    "minute_rate_limited": 1518467820}).encode(), "application/json")
    assert limited.status_code == 200 and "ignored" in limited.json()
    challenge = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "legacy"}).encode()
    answered = await post_slack(service, challenge, "application/json")
    assert answered.status_code == 200 and answered.json() == {"challenge": "c-123"}
    assert sum((await service.door.queue.counts()).values()) == 0


async def test_untrusted_text_cannot_ping_the_channel(service: Service) -> None:
    """Incident text is data: `<!channel>` or a disguised link in it reaches Slack escaped."""
    from agent.incident import from_text

    incident = from_text("disk full <!channel> see <https://evil.example|the fix> in namespace shop", source="slack")
    await service.door.submit(incident, reply={"slack": {"channel": "C1", "thread_ts": None, "user": "U1"}})
    await service.run_jobs()
    parsed_by_slack: list[str] = []  # top-level text and mrkdwn; plain_text is never parsed for mentions

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "plain_text":
                return
            parsed_by_slack.extend(str(v) for k, v in node.items() if k == "text" and isinstance(v, str))
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    for call in service.recorder.calls("chat.postMessage"):
        fields = call.form_or_json()
        collect({**fields, "blocks": json.loads(fields["blocks"]) if isinstance(fields.get("blocks"), str)
                 else fields.get("blocks")})
    sent = "\n".join(parsed_by_slack)
    assert "<!channel>" not in sent and "<https://evil" not in sent
    assert "&lt;!channel&gt;" in sent
