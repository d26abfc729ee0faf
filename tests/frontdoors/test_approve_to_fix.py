"""Approve-to-fix through `vigil serve`: a report's remediation becomes a pending proposal (diff and
Approve / Deny in the Slack thread, a PagerDuty note saying how to approve), a signed click by a
policy approver opens the pull request as a branch on a real bare git remote, and its link goes back
to the thread and the incident. The Slack app is the real slack-bolt with requests signed in Slack's
v0 scheme; Slack's and PagerDuty's APIs are the local recorder (documented response shapes), the
investigation is the deterministic one of conftest with a remediation added."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from agent.gitops.remediation import Remediation
from agent.report import Report
from agent.server.blocks import APPROVE_ACTION, REFUSE_ACTION
from guardrails.pipeline import default_policy_path
from tests.frontdoors.conftest import AM_TOKEN, PD_SECRETS, SLACK_SECRET, FakeInvestigation, Recorder, Service
from tests.frontdoors.test_slack import action_body, post_slack

pytestmark = pytest.mark.anyio

GITOPS_REPO = Path(__file__).resolve().parents[2] / "examples" / "gitops-repo"
APPROVER = "UAPPROVER"
MEMORY_FIX = {"action": "set_memory_limit", "workload": {"kind": "Deployment", "name": "checkout", "namespace": "shop"},
              "value": "768Mi", "reason": "checkout is OOMKilled at 512Mi; usage peaks at 610Mi"}


def bare_remote(tmp_path: Path) -> Path:
    """A bare repository whose `main` holds the example GitOps repository in one commit."""
    seed = tmp_path / "seed"
    shutil.copytree(GITOPS_REPO, seed)
    env = ["-c", "user.name=Test", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]
    subprocess.run(["git", *env, "init", "-q", str(seed)], check=True)
    subprocess.run(["git", *env, "-C", str(seed), "add", "-A"], check=True)
    subprocess.run(["git", *env, "-C", str(seed), "commit", "-q", "-m", "layout"], check=True)
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(bare)], check=True)
    return bare


def branches(remote: Path) -> list[str]:
    out = subprocess.run(["git", "-C", str(remote), "for-each-ref", "--format=%(refname:short)", "refs/heads"],
                         check=True, capture_output=True, text=True).stdout
    return sorted(out.split())


def policy_with_approvers(tmp_path: Path, approvers: list[str]) -> Path:
    policy = yaml.safe_load(default_policy_path().read_text())
    policy["approval"]["approvers"] = approvers
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy))
    return path


class FixingInvestigation(FakeInvestigation):
    """The deterministic investigation, with the runbook's memory fix as the report's remediation."""

    async def __call__(self, *args: Any, **kwargs: Any) -> Report:
        report = await super().__call__(*args, **kwargs)
        return report.model_copy(update={"remediation": Remediation.model_validate(MEMORY_FIX)})


class Fixture(Service):
    remote: Path


@pytest.fixture
async def fixing(tmp_path: Path, recorder: Recorder) -> AsyncIterator[Fixture]:
    from slack_sdk.web.async_client import AsyncWebClient

    from agent.config import Config
    from agent.server.app import create_app
    from agent.server.settings import ServeSettings

    remote = bare_remote(tmp_path)
    environ = {"VIGIL_SLACK_SIGNING_SECRET": SLACK_SECRET, "VIGIL_SLACK_BOT_TOKEN": "xoxb-test",
               "VIGIL_PAGERDUTY_SIGNING_SECRET": ",".join(PD_SECRETS), "VIGIL_PAGERDUTY_API_TOKEN": "pd-api-token",
               "VIGIL_ALERTMANAGER_TOKEN": AM_TOKEN}
    settings = ServeSettings.model_validate({
        "workers": 1, "retry_base_seconds": 0.0,
        "pagerduty": {"api_url": recorder.url, "from_email": "oncall@example.com"},
        "slack": {"api_url": recorder.url + "/api/", "report_channel": "C1", "charts": False}})
    config = Config.model_validate({
        "state_dir": str(tmp_path / "state"), "policy": str(policy_with_approvers(tmp_path, [f"slack:{APPROVER}"])),
        "gitops": {"provider": "git", "remote": str(remote), "workdir": str(tmp_path / "clone")}})
    fake = FixingInvestigation()
    slack = AsyncWebClient(token="xoxb-test", base_url=recorder.url + "/api/")
    app = create_app(settings, config, investigate=fake, slack_client=slack, environ=environ)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://vigil") as client:
        service = Fixture(app, app.state.door, client, fake, recorder, environ)
        service.remote = remote
        yield service
    app.state.door.queue.sync.close()


async def alert(service: Service) -> None:
    payload = {"version": "4", "status": "firing", "receiver": "vigil", "groupKey": "{}:{alertname=\"OOM\"}",
               "groupLabels": {"alertname": "KubePodOOMKilled"}, "commonLabels": {}, "commonAnnotations": {},
               "externalURL": "http://am", "alerts": [{
                   "status": "firing", "labels": {"alertname": "KubePodOOMKilled", "namespace": "shop",
                                                  "deployment": "checkout", "severity": "critical"},
                   "annotations": {"summary": "checkout OOMKilled"}, "startsAt": "2026-01-01T00:00:00Z",
                   "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "abc123def456"}]}
    response = await service.client.post("/webhooks/alertmanager", json=payload,
                                         headers={"Authorization": f"Bearer {AM_TOKEN}"})
    assert response.status_code == 202, response.text
    await service.run_jobs(seconds=30)


def proposal_post(recorder: Recorder) -> dict[str, Any]:
    posts = [c.form_or_json() for c in recorder.calls("chat.postMessage")]
    [post] = [p for p in posts if str(p.get("text", "")).startswith("Proposed fix")]
    return post


def button_value(post: dict[str, Any]) -> str:
    blocks = post["blocks"] if isinstance(post["blocks"], list) else json.loads(post["blocks"])
    [actions] = [b for b in blocks if b["type"] == "actions"]
    values = {e["action_id"]: e["value"] for e in actions["elements"]}
    assert values[APPROVE_ACTION] == values[REFUSE_ACTION]
    return str(values[APPROVE_ACTION])


async def test_a_click_by_an_approver_opens_one_pull_request_and_links_it(fixing: Fixture) -> None:
    await alert(fixing)
    [job] = fixing.door.queue.sync.list()
    assert job.state == "done", job.last_error
    assert job.result["proposal"]["status"] == "pending" and branches(fixing.remote) == ["main"], \
        "nothing is pushed before an approval"
    post = proposal_post(fixing.recorder)
    assert "memory" in json.dumps(post["blocks"]) and "+" in json.dumps(post["blocks"]), "the diff is shown"
    request_id = button_value(post)
    assert request_id == job.result["proposal"]["request_id"]

    # Someone the policy does not list: told so, privately; nothing changes.
    response = await post_slack(fixing, action_body(APPROVE_ACTION, request_id, "UINTRUDER"))
    assert response.status_code == 200
    [ephemeral] = [c.form_or_json() for c in fixing.recorder.calls("chat.postEphemeral")]
    assert ephemeral["user"] == "UINTRUDER" and "not among the approvers" in ephemeral["text"]
    await fixing.run_jobs()
    assert branches(fixing.remote) == ["main"]
    assert fixing.door.approvals.get(request_id)["status"] == "pending"

    # The approver: the pull request (a branch on the plain-git remote) opens, its link is posted back.
    response = await post_slack(fixing, action_body(APPROVE_ACTION, request_id, APPROVER))
    assert response.status_code == 200
    await fixing.run_jobs()
    [branch] = [b for b in branches(fixing.remote) if b != "main"]
    assert branch.startswith("vigil/"), branch
    changed = subprocess.run(["git", "-C", str(fixing.remote), "diff", "main", branch], check=True,
                             capture_output=True, text=True).stdout
    assert "768Mi" in changed and "512Mi" in changed
    texts = [str(c.form_or_json().get("text", "")) for c in fixing.recorder.calls("chat.postMessage")]
    assert any(t.startswith("Pull request for the approved fix") and branch in t for t in texts)
    notes = [c.form_or_json() for c in fixing.recorder.calls("/notes")]
    assert notes == [], "an Alertmanager incident has no PagerDuty incident to note"

    # A second click: already decided, said so; still one branch.
    await post_slack(fixing, action_body(APPROVE_ACTION, request_id, APPROVER))
    await fixing.run_jobs()
    assert len(branches(fixing.remote)) == 2
    assert "already decided" in fixing.recorder.calls("chat.postEphemeral")[-1].form_or_json()["text"]


async def test_deny_pushes_nothing(fixing: Fixture) -> None:
    await alert(fixing)
    request_id = button_value(proposal_post(fixing.recorder))
    await post_slack(fixing, action_body(REFUSE_ACTION, request_id, APPROVER))
    await fixing.run_jobs()
    assert branches(fixing.remote) == ["main"]
    assert fixing.door.approvals.get(request_id)["status"] == "refused"
    kinds = [j.kind for j in fixing.door.queue.sync.list()]
    assert kinds == ["investigate"], "a refusal queues no pull request"


API_TOKEN = "approvals-api-token-for-tests"


async def test_pagerduty_note_says_how_to_approve_and_the_http_api_opens_the_pull_request(fixing: Fixture) -> None:
    from tests.frontdoors.test_webhooks import pd_event, post_pd

    fixing.environ["VIGIL_API_TOKEN"] = API_TOKEN
    response = await post_pd(fixing, pd_event(incident_id="PFIX1"))
    assert response.status_code == 202, response.text
    await fixing.run_jobs(seconds=30)
    notes = [str(c.form_or_json()["note"]["content"]) for c in fixing.recorder.calls("/incidents/PFIX1/notes")]
    [how] = [n for n in notes if n.startswith("Vigil proposes a fix")]
    request_id = how.split("vigil approvals approve ", 1)[1].split("`", 1)[0]
    assert fixing.door.approvals.get(request_id)["status"] == "pending" and branches(fixing.remote) == ["main"]

    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    listed = await fixing.client.get("/approvals", headers=auth)
    assert [r["id"] for r in listed.json()["pending"]] == [request_id]
    assert (await fixing.client.get("/approvals")).status_code == 401
    assert (await fixing.client.get("/approvals", headers={"Authorization": "Bearer wrong"})).status_code == 401
    url = f"/approvals/{request_id}/approve"
    refused = await fixing.client.post(url, json={"approver": "mallory"}, headers=auth)
    assert refused.status_code == 403 and "not among the approvers" in refused.json()["detail"]
    bad = await fixing.client.post(url, json={"approver": ["x"]}, headers=auth)
    assert bad.status_code == 422
    assert (await fixing.client.post("/approvals/apr_nope/approve", json={"approver": f"slack:{APPROVER}"},
                                     headers=auth)).status_code == 404
    await fixing.run_jobs()
    assert branches(fixing.remote) == ["main"], "refused calls change nothing"

    ok = await fixing.client.post(url, json={"approver": f"slack:{APPROVER}"}, headers=auth)
    assert ok.status_code == 200, ok.text
    assert ok.json()["pull_request_job"]
    again = await fixing.client.post(url, json={"approver": f"slack:{APPROVER}"}, headers=auth)
    assert again.status_code == 409
    await fixing.run_jobs()
    [branch] = [b for b in branches(fixing.remote) if b != "main"]
    notes = [str(c.form_or_json()["note"]["content"]) for c in fixing.recorder.calls("/incidents/PFIX1/notes")]
    assert any(n.startswith("Pull request for the approved fix") and branch in n for n in notes), notes


async def test_an_expired_proposal_cannot_be_approved(fixing: Fixture) -> None:
    await alert(fixing)
    request_id = button_value(proposal_post(fixing.recorder))
    store = fixing.door.approvals
    with store._connect() as db:  # the policy's timeout passing, without waiting 15 minutes
        db.execute("UPDATE approvals SET expires_at = '2000-01-01T00:00:00+00:00' WHERE id = ?", (request_id,))
    await post_slack(fixing, action_body(APPROVE_ACTION, request_id, APPROVER))
    await fixing.run_jobs()
    assert "expired" in fixing.recorder.calls("chat.postEphemeral")[-1].form_or_json()["text"]
    assert branches(fixing.remote) == ["main"]


async def test_mcp_investigate_files_the_fix_and_an_approval_elsewhere_opens_it(tmp_path: Path) -> None:
    """The MCP `investigate` tool (official client, in process) files the fix as a pending request; a
    person's decision (as `vigil approvals approve` records it) and the completion open the branch."""
    from mcp import Client

    from agent.config import Config
    from agent.gitops.from_report import read_proposal
    from agent.queue.approvals import approval_store_for
    from agent.server.proposals import complete_here, filed_by_serve
    from mcp_servers.common.server import ServerGuard
    from mcp_servers.investigate.server import build_server

    remote = bare_remote(tmp_path)
    config = Config.model_validate({"state_dir": str(tmp_path / "state"), "gitops": {
        "provider": "git", "remote": str(remote), "workdir": str(tmp_path / "clone")}})
    server = build_server(config, ServerGuard.for_tests(tmp_path, "investigate"), FixingInvestigation())
    async with Client(server) as client:
        plain = await client.call_tool("investigate", {"question": "checkout OOMKilled in namespace shop"})
        assert "Proposed fix" not in plain.content[0].text, "nothing is filed unless asked"
        result = await client.call_tool("investigate", {"question": "checkout OOMKilled in namespace shop",
                                                        "propose_fix": True})
    text = result.content[0].text
    assert not result.is_error, text
    request_id = text.split("vigil approvals approve ", 1)[1].split(" ", 1)[0].strip("`")
    assert "768Mi" in text and branches(remote) == ["main"]
    store = approval_store_for(config)
    assert not filed_by_serve(read_proposal(store, request_id)), "no serve job waits on this one"
    assert store.resolve(request_id, "alice", True, "cli approvals")
    outcome = await complete_here(config, store, request_id)
    assert outcome.pr_url and outcome.result.status == "opened", outcome.result.reason
    again = await complete_here(config, store, request_id)
    assert again.result.status == "unchanged", "a second completion finds the same branch"
    assert len(branches(remote)) == 2


async def test_an_approval_given_at_the_cli_hands_a_serve_proposal_to_serve(fixing: Fixture) -> None:
    """`vigil approvals approve` records the decision, then (carry_out) queues serve's job in serve's own
    queue, so the link still goes back to the thread the proposal came from."""
    from agent.server.proposals import carry_out

    await alert(fixing)
    post = proposal_post(fixing.recorder)
    request_id = button_value(post)
    store = fixing.door.approvals
    assert store.resolve(request_id, f"slack:{APPROVER}", True, "cli approvals")
    said = await carry_out(fixing.door.config, store, request_id)
    assert said is not None and said.startswith("vigil serve opens the pull request (job ")
    assert branches(fixing.remote) == ["main"], "the worker opens it, not the CLI"
    await fixing.run_jobs()
    [branch] = [b for b in branches(fixing.remote) if b != "main"]
    link = [c.form_or_json() for c in fixing.recorder.calls("chat.postMessage")
            if str(c.form_or_json().get("text", "")).startswith("Pull request for the approved fix")]
    assert len(link) == 1 and branch in link[0]["text"] and link[0]["thread_ts"] == post["thread_ts"]
    assert await carry_out(fixing.door.config, store, "apr_unknown") is None


async def test_a_proposal_filed_on_one_replica_is_approved_and_opened_on_another(
        postgres_url: str, tmp_path: Path, recorder: Recorder) -> None:
    """Two `vigil serve` replicas sharing a real PostgreSQL (queue and approvals): replica A investigates and
    files the proposal, the click reaches replica B, whose worker opens the pull request."""
    import psycopg
    from slack_sdk.web.async_client import AsyncWebClient

    from agent.config import Config
    from agent.queue.approvals import PostgresApprovalStore
    from agent.server.app import create_app
    from agent.server.settings import ServeSettings

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS vigil_jobs, vigil_nonces, vigil_approvals")
    remote = bare_remote(tmp_path)
    environ = {"VIGIL_SLACK_SIGNING_SECRET": SLACK_SECRET, "VIGIL_SLACK_BOT_TOKEN": "xoxb-test",
               "VIGIL_ALERTMANAGER_TOKEN": AM_TOKEN}
    settings = ServeSettings.model_validate({"workers": 1, "queue_url": postgres_url, "retry_base_seconds": 0.0,
                                             "slack": {"api_url": recorder.url + "/api/", "report_channel": "C1",
                                                       "charts": False}})
    policy = policy_with_approvers(tmp_path, [f"slack:{APPROVER}"])
    fake = FixingInvestigation()
    apps = []
    for name in ("a", "b"):
        config = Config.model_validate({"state_dir": str(tmp_path / name), "policy": str(policy), "gitops": {
            "provider": "git", "remote": str(remote), "workdir": str(tmp_path / f"clone-{name}")}})
        apps.append(create_app(settings, config, investigate=fake, environ=environ,
                               slack_client=AsyncWebClient(token="xoxb-test", base_url=recorder.url + "/api/")))
    assert all(isinstance(app.state.door.approvals, PostgresApprovalStore) for app in apps)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[0]), base_url="http://a") as a, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[1]), base_url="http://b") as b:
            on_a = Service(apps[0], apps[0].state.door, a, fake, recorder, environ)
            on_b = Service(apps[1], apps[1].state.door, b, fake, recorder, environ)
            await alert(on_a)
            request_id = button_value(proposal_post(recorder))
            assert (await post_slack(on_b, action_body(APPROVE_ACTION, request_id, APPROVER))).status_code == 200
            await on_b.run_jobs(seconds=30)
        [branch] = [b for b in branches(remote) if b != "main"]
        texts = [str(c.form_or_json().get("text", "")) for c in recorder.calls("chat.postMessage")]
        assert any(t.startswith("Pull request for the approved fix") and branch in t for t in texts)
    finally:
        for app in apps:
            app.state.door.queue.sync.close()
