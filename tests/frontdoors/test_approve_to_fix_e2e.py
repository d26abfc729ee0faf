"""Approve-to-fix end to end, every piece real but Slack: the real Alertmanager (Debian package) posts
the bundled checkout-oom alert to a real `vigil serve` process, which investigates with the real
`investigate_incident` (runbook-only, against the Kubernetes replay API server and a real Prometheus),
files the runbook's fix as a pending proposal and posts its diff with Approve / Deny to Slack. Slack's
Web API is the local recorder (documented response shapes); the button clicks are block_actions
payloads signed with Slack's v0 scheme and sent to the process over HTTP. A click by someone outside
the policy's approvers changes nothing; the approver's click opens the branch on a bare git remote
and the pull request's link is posted back to the thread."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mcp_servers.common.bundle import Bundle
from mcp_servers.kubernetes.replay import replay_server
from tests.frontdoors.conftest import SLACK_SECRET, Recorder, slack_headers
from tests.frontdoors.test_alertmanager_e2e import ALERTMANAGER, BUNDLE, alertmanager
from tests.frontdoors.test_approve_to_fix import APPROVER, bare_remote, branches, button_value, policy_with_approvers
from tests.frontdoors.test_durability import serve, wait_for
from tests.frontdoors.test_slack import action_body

pytestmark = pytest.mark.slow


def _proposal(recorder: Recorder) -> dict[str, Any] | None:
    posts = [c.form_or_json() for c in recorder.calls("chat.postMessage")]
    found = [p for p in posts if str(p.get("text", "")).startswith("Proposed fix")]
    return found[0] if found else None


def _click(vigil_url: str, action: str, request_id: str, user: str) -> httpx.Response:
    body = action_body(action, request_id, user)
    return httpx.post(f"{vigil_url}/slack/events", content=body, timeout=30, headers={
        "content-type": "application/x-www-form-urlencoded", **slack_headers(SLACK_SECRET, body)})


def test_alertmanager_to_serve_to_slack_buttons_to_a_branch(tmp_path: Path, recorder: Recorder) -> None:
    if ALERTMANAGER is None:
        pytest.skip("prometheus-alertmanager is not installed: apt-get install prometheus-alertmanager")
    from agent.server.blocks import APPROVE_ACTION
    from mcp_servers.prometheus.local import LocalPrometheus

    remote = bare_remote(tmp_path)
    bundle = Bundle.load(BUNDLE)
    alert = json.loads((BUNDLE / "alerts" / "alertmanager.json").read_text())["alerts"][0]
    with replay_server(bundle, tmp_path / "kubeconfig") as replay, LocalPrometheus(bundle.metrics_path) as prom:
        config = {
            "state_dir": str(tmp_path / "state"),
            "policy": str(policy_with_approvers(tmp_path, [f"slack:{APPROVER}"])),
            "kubernetes": {"kubeconfig": str(replay.kubeconfig), "context": replay.context,
                           "clusters": {bundle.manifest.cluster.name: replay.context}},
            "prometheus": {"url": prom.url},
            "gitops": {"provider": "git", "remote": str(remote), "workdir": str(tmp_path / "clone")},
        }
        env = {"VIGIL_SLACK_SIGNING_SECRET": SLACK_SECRET, "VIGIL_SLACK_BOT_TOKEN": "xoxb-test",
               "VIGIL_SERVE__SLACK__API_URL": recorder.url + "/api/", "VIGIL_SERVE__SLACK__REPORT_CHANNEL": "C1",
               "VIGIL_SERVE__SLACK__CHARTS": "false", "VIGIL_SERVE__LEASE_SECONDS": "60"}
        with serve(tmp_path, workers=1, name="serve", env_extra=env, config=config) as (vigil_url, _), \
                alertmanager(tmp_path, f"{vigil_url}/webhooks/alertmanager") as am_url:
            fired = httpx.post(f"{am_url}/api/v2/alerts", json=[{
                "labels": alert["labels"], "annotations": alert["annotations"], "startsAt": alert["startsAt"],
                "generatorURL": alert["generatorURL"]}])
            assert fired.status_code == 200, fired.text
            try:
                wait_for(lambda: _proposal(recorder) is not None, seconds=120)
            except AssertionError:
                raise AssertionError((tmp_path / "serve.log").read_text()[-3000:]) from None
            post = _proposal(recorder)
            assert post is not None
            assert "1.8.2" in json.dumps(post["blocks"]), "the diff of the runbook's rollback is shown"
            request_id = button_value(post)
            assert branches(remote) == ["main"], "nothing is pushed before an approval"

            stranger = _click(vigil_url, APPROVE_ACTION, request_id, "USTRANGER")
            assert stranger.status_code == 200, stranger.text
            wait_for(lambda: bool(recorder.calls("chat.postEphemeral")), seconds=15)
            [ephemeral] = [c.form_or_json() for c in recorder.calls("chat.postEphemeral")]
            assert ephemeral["user"] == "USTRANGER" and "not among the approvers" in ephemeral["text"]
            assert branches(remote) == ["main"]

            approved = _click(vigil_url, APPROVE_ACTION, request_id, APPROVER)
            assert approved.status_code == 200, approved.text
            wait_for(lambda: len(branches(remote)) == 2, seconds=60)
            [branch] = [b for b in branches(remote) if b != "main"]
            path = "apps/checkout/overlays/prod/kustomization.yaml"
            shown = subprocess.run(["git", "-C", str(remote), "show", f"{branch}:{path}"], check=True,
                                   capture_output=True, text=True).stdout
            assert yaml.safe_load(shown) and "1.8.2" in shown

            def linked() -> bool:
                texts = [str(c.form_or_json().get("text", "")) for c in recorder.calls("chat.postMessage")]
                return any(t.startswith("Pull request for the approved fix") and branch in t for t in texts)

            wait_for(linked, seconds=30)
            thread = post.get("thread_ts")
            link = next(c.form_or_json() for c in recorder.calls("chat.postMessage")
                        if str(c.form_or_json().get("text", "")).startswith("Pull request for the approved fix"))
            assert link.get("thread_ts") == thread, "the link goes back to the proposal's thread"
