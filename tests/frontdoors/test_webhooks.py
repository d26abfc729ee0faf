"""Alertmanager and PagerDuty webhooks through the real ASGI app: the gate (auth, signature, size, JSON,
event type, age, replay) and the path to a delivered report. Outgoing PagerDuty calls go to a local
recorder that answers in PagerDuty's documented REST shapes (no PagerDuty server runs here)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.server.signatures import pagerduty_signature, verify_http_auth, verify_pagerduty
from tests.frontdoors.conftest import AM_TOKEN, PD_SECRETS, Service

pytestmark = pytest.mark.anyio

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "incidents"


def alertmanager_payload(status: str = "firing", alertname: str = "KubePodCrashLooping") -> dict[str, Any]:
    labels = {"alertname": alertname, "namespace": "payments", "deployment": "payments-api", "severity": "critical"}
    return {
        "version": "4", "groupKey": '{}:{alertname="' + alertname + '"}', "status": status, "receiver": "vigil",
        "groupLabels": {"alertname": alertname}, "commonLabels": labels, "commonAnnotations": {"summary": "crashloop"},
        "externalURL": "http://alertmanager:9093", "truncatedAlerts": 0,
        "alerts": [
            {"status": status, "labels": {**labels, "pod": f"payments-api-{i}"}, "annotations": {"summary": "crash"},
             "startsAt": "2026-03-12T14:20:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": f"f{i}",
             "generatorURL": "http://prometheus/graph"}
            for i in range(3)
        ],
    }


def pd_event(event_type: str = "incident.triggered", event_id: str = "01EV1", incident_id: str = "PINC123",
             occurred: datetime | None = None) -> dict[str, Any]:
    when = (occurred or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    return {"event": {
        "id": event_id, "event_type": event_type, "resource_type": "incident", "occurred_at": when,
        "agent": None, "client": None,
        "data": {"id": incident_id, "type": "incident", "self": f"https://api.pagerduty.com/incidents/{incident_id}",
                 "html_url": f"https://acme.pagerduty.com/incidents/{incident_id}", "number": 42, "status": "triggered",
                 "title": "[FIRING:1] KubePodCrashLooping payments (payments-api)", "urgency": "high",
                 "created_at": when, "service": {"id": "PSVC", "type": "service_reference", "summary": "payments"},
                 "priority": {"id": "PP1", "type": "priority_reference", "summary": "P1"}}}}


async def post_pd(service: Service, payload: Any, secret: str = PD_SECRETS[0], raw: bytes | None = None,
                  signature: str | None = None) -> Any:
    body = raw if raw is not None else json.dumps(payload).encode()
    sig = signature if signature is not None else pagerduty_signature(secret, body)
    return await service.client.post("/webhooks/pagerduty", content=body,
                                     headers={"x-pagerduty-signature": sig, "content-type": "application/json"})


async def post_am(service: Service, payload: Any, auth: str = f"Bearer {AM_TOKEN}", raw: bytes | None = None) -> Any:
    body = raw if raw is not None else json.dumps(payload).encode()
    return await service.client.post("/webhooks/alertmanager", content=body,
                                     headers={"authorization": auth, "content-type": "application/json"})


# -- pure checks ---------------------------------------------------------------------------------------


def test_pagerduty_signatures_accept_any_configured_secret_and_any_offered_signature() -> None:
    body = b'{"event": {}}'
    old, new = pagerduty_signature("old", body), pagerduty_signature("new", body)
    assert verify_pagerduty(old, body, ["new", "old"])
    assert verify_pagerduty(f"v1=deadbeef, {new}", body, ["new"])
    assert not verify_pagerduty(old, body + b" ", ["old"])
    assert not verify_pagerduty(old, body, ["other"])
    assert not verify_pagerduty(None, body, ["old"])
    assert not verify_pagerduty("v0=" + old[3:], body, ["old"])


def test_http_auth_bearer_and_basic() -> None:
    import base64

    basic = "Basic " + base64.b64encode(b"am:pw").decode()
    assert verify_http_auth("Bearer tok", bearer="tok", basic_user=None, basic_password=None)
    assert not verify_http_auth("Bearer tok2", bearer="tok", basic_user=None, basic_password=None)
    assert verify_http_auth(basic, bearer=None, basic_user="am", basic_password="pw")
    assert not verify_http_auth(basic, bearer=None, basic_user="am", basic_password="other")
    assert not verify_http_auth("Basic !!!", bearer=None, basic_user="am", basic_password="pw")
    assert not verify_http_auth(None, bearer="tok", basic_user=None, basic_password=None)


# -- Alertmanager ----------------------------------------------------------------------------------------


async def test_alertmanager_group_becomes_one_job_and_one_report(service: Service) -> None:
    response = await post_am(service, alertmanager_payload())
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 1 and len(body["jobs"]) == 1 and body["jobs"][0]["new"]
    job_id = body["jobs"][0]["job"]
    await service.run_jobs()
    job = await service.door.queue.get(job_id)
    assert job.state == "done"
    assert "container exceeds its memory limit" in job.result["markdown"]
    [call] = service.fake.calls
    assert call["incident"].labels["namespace"] == "payments" and len(call["incident"].alerts) == 3
    assert call["actor"].name == "alertmanager-webhook"


async def test_alertmanager_resolved_closes_the_incident(service: Service) -> None:
    first = (await post_am(service, alertmanager_payload())).json()["jobs"][0]["job"]
    resolved = await post_am(service, alertmanager_payload(status="resolved"))
    assert resolved.status_code == 202 and resolved.json()["resolved_jobs"] == [first]
    job = await service.door.queue.get(first)
    assert job.state == "cancelled" and job.incident_status == "resolved"
    await service.run_jobs()
    assert service.fake.calls == [], "an incident resolved before it was investigated is not investigated"


@pytest.mark.parametrize(("auth", "raw", "status", "error"), [
    ("Bearer wrong", None, 401, "unauthorized"),
    ("", None, 401, "unauthorized"),
    (f"Bearer {AM_TOKEN}", b"{not json", 400, "malformed_json"),
    (f"Bearer {AM_TOKEN}", b'{"version": "3", "alerts": [{"labels": {"alertname": "X"}}]}', 422, "invalid_payload"),
    (f"Bearer {AM_TOKEN}", b'{"version": "4", "alerts": []}', 422, "invalid_payload"),
    (f"Bearer {AM_TOKEN}", b'{"version": "4", "alerts": [{"labels": {}}]}', 422, "invalid_payload"),
    (f"Bearer {AM_TOKEN}", b'{"alerts": [' + b'{"labels": {"alertname": "X"}},' * 5000 + b"{}]}", 413, "too_large"),
])
async def test_alertmanager_refusals_store_nothing(service: Service, auth: str, raw: bytes | None, status: int,
                                                   error: str) -> None:
    response = await post_am(service, None, auth=auth, raw=raw)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert sum((await service.door.queue.counts()).values()) == 0


# -- PagerDuty -------------------------------------------------------------------------------------------


async def test_pagerduty_triggered_is_investigated_and_noted_back(service: Service) -> None:
    response = await post_pd(service, pd_event(), secret=PD_SECRETS[1])
    assert response.status_code == 202, response.text
    job_id = response.json()["job"]
    await service.run_jobs()
    job = await service.door.queue.get(job_id)
    assert job.state == "done" and job.result["delivered"] == ["pagerduty"]
    [note] = service.recorder.calls("/incidents/PINC123/notes")
    assert note.headers["authorization"] == "Token token=pd-api-token"
    assert note.headers["from"] == "oncall@example.com"
    assert "application/vnd.pagerduty+json;version=2" in note.headers["accept"]
    content = json.loads(note.body)["note"]["content"]
    assert content.startswith("# Vigil report:") and "container exceeds its memory limit" in content
    assert service.fake.calls[0]["incident"].labels["alertname"] == "KubePodCrashLooping"


async def test_pagerduty_note_failure_is_retried_without_reinvestigating(service: Service) -> None:
    service.recorder.fail_paths.add("/incidents/PINC123/notes")
    job_id = (await post_pd(service, pd_event())).json()["job"]
    await service.run_jobs(seconds=0.6)
    job = await service.door.queue.get(job_id)
    assert job.state in ("queued", "running", "dead") and "PagerDuty refused the note" in job.last_error
    service.recorder.fail_paths.clear()
    if job.state == "dead":
        assert await service.door.queue.run(service.door.queue.sync.retry, job_id)
    await service.run_jobs()
    job = await service.door.queue.get(job_id)
    assert job.state == "done" and job.result["delivered"] == ["pagerduty"]
    assert len(service.fake.calls) == 1, "the saved report was delivered; the investigation did not run again"
    metrics = await service.door.render_metrics()
    assert 'vigil_jobs_finished_total{kind="investigate",outcome="done"} 1' in metrics
    assert 'vigil_jobs_finished_total{kind="investigate",outcome="retry"}' in metrics


async def test_pagerduty_acknowledged_and_resolved_update_the_job(service: Service) -> None:
    job_id = (await post_pd(service, pd_event())).json()["job"]
    await service.run_jobs()
    ack = await post_pd(service, pd_event("incident.acknowledged", event_id="01EV2"))
    assert ack.status_code == 202 and ack.json()["jobs"] == [job_id]
    assert (await service.door.queue.get(job_id)).incident_status == "acknowledged"
    resolved = await post_pd(service, pd_event("incident.resolved", event_id="01EV3"))
    assert resolved.status_code == 202
    assert (await service.door.queue.get(job_id)).incident_status == "resolved"


async def test_pagerduty_ping_and_noted_events_enqueue_nothing(service: Service) -> None:
    assert (await post_pd(service, {"event": {"event_type": "pagey.ping", "id": "p"}})).status_code == 200
    noted = await post_pd(service, pd_event("incident.annotated", event_id="01EV9"))
    assert noted.status_code == 202
    assert sum((await service.door.queue.counts()).values()) == 0


@pytest.mark.parametrize("case", ["bad_signature", "no_signature", "stale", "malformed_json", "unknown_event_type",
                                  "not_an_event", "too_large", "no_event_id", "no_event_id_noted"])
async def test_pagerduty_refusals_store_nothing(service: Service, case: str) -> None:
    payload: Any = pd_event()
    raw, signature = None, None
    status, error = {"bad_signature": (401, "bad_signature"), "no_signature": (401, "bad_signature"),
                     "stale": (400, "stale"), "malformed_json": (400, "malformed_json"),
                     "unknown_event_type": (422, "unknown_event_type"), "not_an_event": (422, "invalid_payload"),
                     "too_large": (413, "too_large"), "no_event_id": (422, "invalid_payload"),
                     "no_event_id_noted": (422, "invalid_payload")}[case]
    if case == "bad_signature":
        signature = pagerduty_signature("not-the-secret", json.dumps(payload).encode())
    elif case == "no_signature":
        signature = ""
    elif case == "stale":
        payload = pd_event(occurred=datetime.now(UTC) - timedelta(hours=3))
    elif case == "malformed_json":
        raw = b'{"event": '
    elif case == "unknown_event_type":
        payload = pd_event("incident.exploded")
    elif case == "not_an_event":
        payload = {"messages": []}
    elif case == "too_large":
        payload = {"event": {"pad": "x" * 70_000}}
    elif case.startswith("no_event_id"):  # PagerDuty's v3 schema requires event.id (hostile catalogue 3)
        payload = pd_event("incident.annotated" if case.endswith("noted") else "incident.triggered")
        del payload["event"]["id"]
    response = await post_pd(service, payload, raw=raw, signature=signature)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert sum((await service.door.queue.counts()).values()) == 0


async def test_pagerduty_replay_is_refused(service: Service) -> None:
    first = await post_pd(service, pd_event())
    assert first.status_code == 202
    replay = await post_pd(service, pd_event())
    assert replay.status_code == 409 and replay.json()["error"] == "replay"
    job = await service.door.queue.get(first.json()["job"])
    assert job.deliveries == 1, "the replay was not counted as a delivery"


# -- health, readiness, metrics ----------------------------------------------------------------------


async def test_health_ready_and_metrics(service: Service) -> None:
    assert (await service.client.get("/healthz")).text == "ok\n"
    ready = await service.client.get("/readyz")
    assert ready.status_code == 503 and "workers: not running" in ready.json()["problems"]
    await post_am(service, alertmanager_payload())
    await post_am(service, None, auth="Bearer nope", raw=b"{}")
    text = (await service.client.get("/metrics")).text
    assert 'vigil_webhook_requests_total{outcome="accepted",source="alertmanager"} 1' in text
    assert 'vigil_webhook_requests_total{outcome="unauthorized",source="alertmanager"} 1' in text
    assert 'vigil_jobs{state="queued"} 1' in text
    assert "vigil_enqueue_seconds_count 1" in text
    assert "# TYPE vigil_enqueue_seconds histogram" in text


async def test_spans_and_opentelemetry_instruments(service: Service) -> None:
    from agent.telemetry import in_memory_telemetry, metrics

    telemetry = in_memory_telemetry()
    try:
        job_id = (await post_am(service, alertmanager_payload())).json()["jobs"][0]["job"]
        await service.run_jobs()
        spans = {s.name: s for s in telemetry.span_exporter.get_finished_spans()}  # type: ignore[union-attr]
        assert dict(spans["vigil.enqueue"].attributes or {})["vigil.job.id"] == job_id
        assert dict(spans["vigil.job"].attributes or {})["vigil.source"] == "alertmanager"
        metrics().record_approval(outcome="approved", channel="slack")
        text = (await service.client.get("/metrics")).text
        assert text.count("# TYPE vigil_webhook_requests_total counter") == 1, "the front doors' own series"
        assert 'vigil_approval_channel="slack",vigil_approval_outcome="approved"} 1.0' in text
    finally:
        telemetry.shutdown()
