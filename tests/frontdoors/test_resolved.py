"""A resolved alert says so in the Slack thread of its report, after the report, exactly once.

Slack's Web API is the local recorder (documented response shapes); Alertmanager's webhook bodies
follow its v4 format.
"""

from __future__ import annotations

import anyio
import pytest

from tests.frontdoors.conftest import FakeInvestigation, Service
from tests.frontdoors.test_webhooks import alertmanager_payload, post_am

pytestmark = pytest.mark.anyio


def thread_texts(service: Service, thread_ts: str) -> list[str]:
    posts = [c.form_or_json() for c in service.recorder.calls("chat.postMessage")]
    return [str(p.get("text")) for p in posts if p.get("thread_ts") == thread_ts]


def root_ts(service: Service) -> str:
    """The thread the investigation's report went to (recorded on the job when it was delivered)."""
    [job] = [j for j in service.door.queue.sync.list(("done",)) if j.kind == "investigate"]
    return str(job.result["slack_thread"]["thread_ts"])


async def test_resolution_after_the_report_is_posted_in_its_thread(service: Service) -> None:
    service.door.settings.slack.report_channel = "C_INCIDENTS"
    firing = await post_am(service, alertmanager_payload())
    assert firing.status_code == 202
    await service.run_jobs()
    thread = root_ts(service)
    assert any(t.startswith("Vigil report") for t in thread_texts(service, thread))
    resolved = await post_am(service, alertmanager_payload(status="resolved"))
    assert resolved.status_code == 202
    await service.run_jobs()
    lines = [t for t in thread_texts(service, thread) if "Resolved" in t]
    assert len(lines) == 1 and "KubePodCrashLooping" in lines[0] and "Alertmanager" in lines[0]
    again = await post_am(service, alertmanager_payload(status="resolved"))  # Alertmanager repeats itself
    assert again.status_code == 202
    await service.run_jobs()
    assert len([t for t in thread_texts(service, thread) if "Resolved" in t]) == 1, "said once"


async def test_resolution_during_the_investigation_waits_for_the_report(service: Service) -> None:
    service.door.settings.slack.report_channel = "C_INCIDENTS"
    service.door.investigate = FakeInvestigation(delay=0.6)
    await post_am(service, alertmanager_payload())

    async def resolve_while_running() -> None:
        while (await service.door.queue.counts())["running"] == 0:
            await anyio.sleep(0.02)
        assert (await post_am(service, alertmanager_payload(status="resolved"))).status_code == 202

    async with anyio.create_task_group() as group:
        group.start_soon(resolve_while_running)
        await service.run_jobs(seconds=10)
    texts = thread_texts(service, root_ts(service))
    report = next(i for i, t in enumerate(texts) if t.startswith("Vigil report"))
    resolved = [i for i, t in enumerate(texts) if "Resolved" in t]
    assert len(resolved) == 1 and resolved[0] > report, texts


async def test_resolved_before_it_started_posts_nothing(service: Service) -> None:
    service.door.settings.slack.report_channel = "C_INCIDENTS"
    await post_am(service, alertmanager_payload())
    await post_am(service, alertmanager_payload(status="resolved"))
    await service.run_jobs()
    assert service.fake.calls == []
    assert not [c for c in service.recorder.calls("chat.postMessage") if "Resolved" in str(c.form_or_json())]
