"""The two webhook endpoints: Alertmanager (v4) and PagerDuty (v3).

Each request goes through the same gate, in this order, and stops at the first problem with a 4xx
that names it, having stored nothing: body size (413), credentials or signature (401), JSON (400),
the payload's shape and event type (422), age (400 stale) and replay (409). Only then is it
committed to the queue and answered 202, which takes a few milliseconds; the investigation runs
later on a worker.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse

from agent.incident import IncidentError, from_alertmanager, from_pagerduty
from agent.queue import ReplayError
from agent.server.bodies import Refused, parse_json, read_body, validate
from agent.server.service import FrontDoor
from agent.server.settings import read_env
from agent.server.signatures import split_secrets, verify_http_auth, verify_pagerduty

PD_INVESTIGATE = {"incident.triggered"}
PD_STATUS = {"incident.acknowledged": "acknowledged", "incident.resolved": "resolved",
             "incident.unacknowledged": "firing", "incident.reopened": "firing"}
PD_NOTED = {"incident.annotated", "incident.delegated", "incident.escalated", "incident.priority_updated",
            "incident.reassigned", "incident.responder.added", "incident.responder.replied",
            "incident.status_update_published", "incident.custom_field_values.updated",
            "incident.conference_bridge.updated", "incident.workflow.started", "incident.workflow.completed",
            "incident.incident_type.changed", "incident.service_updated", "incident.title_updated",
            "incident.urgency_updated", "service.created", "service.deleted", "service.updated"}
"""Event types PagerDuty may send to a subscription that need no action from Vigil (answered 202)."""
PagerDutyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
"""PagerDuty's object and event ids (`PGR0VU2`, `01DEN4HXS3U8ZN2RH3UV1AMXUV`)."""


class PagerDutyEvent(BaseModel):
    """The fields of a v3 webhook's `event` that Vigil reads before the incident normaliser."""

    model_config = ConfigDict(strict=True, extra="ignore")
    id: PagerDutyId | None = None
    """Required on every event but `pagey.ping` (PagerDuty's v3 schema); the replay check keys on it."""
    event_type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    occurred_at: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    """Absent only on `pagey.ping`; required (and bounded both ways) on every event Vigil acts on."""
    data: Any = None


class PagerDutyIncident(BaseModel):
    """`event.data` of an incident event: the incident whose id keys the job and the note."""

    model_config = ConfigDict(strict=True, extra="ignore")
    id: PagerDutyId


AlertStatus = Literal["firing", "resolved"]
StrMap = dict[str, str]


def refuse_null_strings(data: Any, fields: tuple[str, ...]) -> Any:
    """Refuse an explicit JSON null in a field Alertmanager marshals from a Go string.

    A Go string is never `null` on the wire, so `"status": null` is a sender that is not Alertmanager or
    one that mangled the payload: the same 422 as a status of 7, naming the field. An ABSENT field stays
    allowed (hand-written test payloads and older senders omit them); only the explicit null is refused.
    Go maps (labels, annotations) can marshal as null and are not listed."""
    if isinstance(data, dict):
        for name in fields:
            if name in data and data[name] is None:
                raise ValueError(f"{name} is null; Alertmanager sends it as a string")
    return data


class AlertmanagerAlert(BaseModel):
    """One alert of a v4 webhook, typed as Alertmanager marshals it (Go strings, never numbers).

    Only the shape is checked here; which fields must be present is the incident normaliser's
    business (`agent.incident.from_alertmanager`), which names them."""

    model_config = ConfigDict(strict=True, extra="ignore")
    status: AlertStatus | None = None
    labels: StrMap | None = None
    annotations: StrMap | None = None
    startsAt: str | None = None
    endsAt: str | None = None
    generatorURL: str | None = None
    fingerprint: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_null_strings(cls, data: Any) -> Any:
        return refuse_null_strings(data, ("status", "startsAt", "endsAt", "generatorURL", "fingerprint"))


class AlertmanagerWebhook(BaseModel):
    """The v4 envelope. Strict, so a label value of 7, a status of "FIRING" or "exploding", or a
    numeric timestamp is a 422 naming the field, rather than being coerced into something that
    was never sent (and then deduplicated, logged and shown as if it had been)."""

    model_config = ConfigDict(strict=True, extra="ignore")
    version: str | None = None
    """"4" (a string, as Alertmanager marshals it; a bare 4 was never sent by Alertmanager)."""
    status: AlertStatus | None = None
    receiver: str | None = None
    groupKey: str | None = None
    truncatedAlerts: Annotated[int, Field(ge=0, le=2**31)] | None = None
    groupLabels: StrMap | None = None
    commonLabels: StrMap | None = None
    commonAnnotations: StrMap | None = None
    externalURL: str | None = None
    alerts: list[AlertmanagerAlert] | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_null_strings(cls, data: Any) -> Any:
        return refuse_null_strings(data, ("version", "status", "receiver", "groupKey", "externalURL"))


CLOCK_SKEW_SECONDS = 300.0
"""How far in the future an event's `occurred_at` may lie (clocks differ a little, never by years)."""


# -- Alertmanager ----------------------------------------------------------------------------------------


async def alertmanager(request: Request) -> JSONResponse:
    door: FrontDoor = request.app.state.door
    try:
        result = await _alertmanager(door, request)
    except Refused as refused:
        door.count("alertmanager", refused.error)
        return refused.response()
    door.count("alertmanager", "accepted")
    return JSONResponse(result, status_code=202)


async def _alertmanager(door: FrontDoor, request: Request) -> dict[str, Any]:
    s = door.settings.alertmanager
    if not s.enabled:
        raise Refused(404, "disabled", "the Alertmanager webhook is disabled (serve.alertmanager.enabled)")
    body = await read_body(request, door.settings.max_body_bytes)
    bearer = read_env(s.bearer_token_env, door.environ)
    password = read_env(s.basic_password_env, door.environ)
    if not bearer and not (s.basic_user and password):
        raise Refused(503, "not_configured", f"no credentials configured: set {s.bearer_token_env} (bearer) or "
                      "serve.alertmanager.basic_user and basic_password_env")
    if not verify_http_auth(request.headers.get("authorization"), bearer=bearer, basic_user=s.basic_user,
                            basic_password=password):
        raise Refused(401, "unauthorized", "send the configured bearer token or basic credentials "
                      "(Alertmanager: webhook_config.http_config.authorization or basic_auth)")
    payload = parse_json(body)
    if isinstance(payload, dict):
        validate(AlertmanagerWebhook, payload)
    try:
        incidents = from_alertmanager(payload)
    except IncidentError as exc:
        raise Refused(422, "invalid_payload", str(exc)) from exc
    jobs, closed = [], []
    for incident in incidents:
        if incident.status == "resolved":
            closed += await door.update_status(incident, "resolved")
            continue
        enqueued = await door.submit(incident)
        jobs.append({"job": enqueued.job_id, "new": enqueued.created, "fingerprint": incident.fingerprint,
                     "alertname": incident.alertname})
    return {"accepted": len(incidents), "jobs": jobs, "resolved_jobs": closed}


# -- PagerDuty --------------------------------------------------------------------------------------------


async def pagerduty(request: Request) -> JSONResponse:
    door: FrontDoor = request.app.state.door
    try:
        status, result = await _pagerduty(door, request)
    except Refused as refused:
        door.count("pagerduty", refused.error)
        return refused.response()
    door.count("pagerduty", "accepted")
    return JSONResponse(result, status_code=status)


async def _pagerduty(door: FrontDoor, request: Request) -> tuple[int, dict[str, Any]]:
    s = door.settings.pagerduty
    if not s.enabled:
        raise Refused(404, "disabled", "the PagerDuty webhook is disabled (serve.pagerduty.enabled)")
    body = await read_body(request, door.settings.max_body_bytes)
    secrets = split_secrets(read_env(name, door.environ) for name in s.signing_secrets_env)
    if not secrets:
        raise Refused(503, "not_configured", f"no signing secret configured: set {', '.join(s.signing_secrets_env)}")
    if not verify_pagerduty(request.headers.get("x-pagerduty-signature"), body, secrets):
        raise Refused(401, "bad_signature", "X-PagerDuty-Signature does not match the body under any configured "
                      "secret; check the subscription's secret")
    payload = parse_json(body)
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), dict):
        raise Refused(422, "invalid_payload", "event: missing; a PagerDuty v3 webhook body is "
                      '{"event": {"id", "event_type", "occurred_at", "data"}}')
    event = validate(PagerDutyEvent, payload["event"], "event.")
    event_type = event.event_type
    if event_type == "pagey.ping":
        return 200, {"ok": True, "detail": "pong"}
    if event_type not in PD_INVESTIGATE | set(PD_STATUS) | PD_NOTED:
        raise Refused(422, "unknown_event_type", f"event.event_type {event_type!r} is not a PagerDuty v3 event "
                      "type Vigil knows")
    if event.id is None:  # PagerDuty's v3 schema requires it; it is the replay key below
        raise Refused(422, "invalid_payload", "event.id: missing; every PagerDuty v3 event (but pagey.ping) carries "
                      "a unique id, which Vigil keeps to refuse a replay")
    _check_age(event.occurred_at, s.max_age_seconds)
    nonce = "pagerduty:" + event.id
    if event_type in PD_NOTED:
        await _remember(door, nonce)
        return 202, {"accepted": True, "detail": f"{event_type} needs no action"}
    resource_type = payload["event"].get("resource_type", "incident")
    if resource_type != "incident":
        raise Refused(422, "invalid_payload", f"event.resource_type: {str(resource_type)[:40]!r}, but an "
                      f"{event_type} event is about an incident (resource_type 'incident')")
    pd_id = validate(PagerDutyIncident, event.data, "event.data.").id
    try:
        incident = from_pagerduty(payload)
    except IncidentError as exc:
        raise Refused(422, "invalid_payload", str(exc)) from exc
    if event_type in PD_STATUS:
        await _remember(door, nonce)
        touched = await door.update_status(incident, PD_STATUS[event_type])
        return 202, {"accepted": True, "status": PD_STATUS[event_type], "jobs": touched}
    try:
        enqueued = await door.submit(incident, reply={"pagerduty": {"incident_id": pd_id}}, nonce=nonce,
                                     ref=f"pagerduty:{pd_id}")
    except ReplayError as exc:
        raise Refused(409, "replay", str(exc)) from exc
    return 202, {"accepted": True, "job": enqueued.job_id, "new": enqueued.created}


async def _remember(door: FrontDoor, nonce: str) -> None:
    try:
        await door.queue.remember(nonce)
    except ReplayError as exc:
        raise Refused(409, "replay", str(exc)) from exc


def _check_age(occurred_at: str | None, max_age: float) -> None:
    if occurred_at is None:
        raise Refused(422, "invalid_payload", "event.occurred_at: missing; PagerDuty sends an ISO 8601 time")
    try:
        when = datetime.fromisoformat(occurred_at.replace("Z", "+00:00"))
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        age = (datetime.now(UTC) - when).total_seconds()
    except (ValueError, OverflowError) as exc:
        raise Refused(422, "invalid_payload", f"event.occurred_at: cannot read {occurred_at[:64]!r}; PagerDuty "
                      "sends an ISO 8601 time such as 2024-05-01T12:00:00Z") from exc
    if age < -CLOCK_SKEW_SECONDS:
        raise Refused(400, "from_the_future", f"event.occurred_at {occurred_at[:64]} is more than "
                      f"{CLOCK_SKEW_SECONDS:.0f}s ahead of this server's clock; check the sender's clock")
    if age > max_age:
        raise Refused(400, "stale", f"event.occurred_at {occurred_at} is older than {max_age:.0f}s; a replayed "
                      "capture, or raise serve.pagerduty.max_age_seconds")
