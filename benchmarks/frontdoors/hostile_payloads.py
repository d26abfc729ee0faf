"""Well-formed payloads of each public format, and the credentials each door expects, written from
the formats' public documentation (Alertmanager webhook v4, PagerDuty v3 webhooks and
X-PagerDuty-Signature, Slack's Events API, slash commands, block_actions and v0 signing, MCP
streamable HTTP) — not from Vigil's code. The catalogue bends these into hostile shapes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.frontdoors.hostile_model import Ctx


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def rfc3339(offset_s: float = 0.0, now: float | None = None) -> str:
    """Alertmanager's timestamps: RFC 3339 with nanoseconds, as Go's time.Time marshals them."""
    moment = datetime.fromtimestamp(now if now is not None else time.time(), UTC) + timedelta(seconds=offset_s)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


def uid(ctx: Ctx, name: str, length: int, alphabet: str = "ABCDEFGHJKMNPQRSTVWXYZ0123456789") -> str:
    """A stable id for (run, case): PagerDuty and Slack ids are upper-case alphanumerics."""
    digest = hashlib.sha256(f"{ctx.tag}:{name}".encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest)[:length]


# ----------------------------------------------------------------------------- Alertmanager

def am_alert(alertname: str, status: str = "firing", **labels: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": alertname, "namespace": "shop", "severity": "critical", **labels},
        "annotations": {"summary": f"{alertname} in shop", "description": "memory above limit"},
        "startsAt": rfc3339(-300),
        "endsAt": rfc3339(0) if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up",
        "fingerprint": hashlib.sha256(alertname.encode()).hexdigest()[:16],
    }


def am_payload(alertname: str, status: str = "firing", alerts: list[dict[str, Any]] | None = None,
               **top: Any) -> dict[str, Any]:
    alerts = alerts if alerts is not None else [am_alert(alertname, status)]
    payload: dict[str, Any] = {
        "version": "4",
        "groupKey": f'{{}}/{{}}:{{alertname="{alertname}"}}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "vigil",
        "groupLabels": {"alertname": alertname},
        "commonLabels": {"alertname": alertname, "namespace": "shop"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": alerts,
    }
    payload.update(top)
    return payload


def am_body(alertname: str, status: str = "firing", **top: Any) -> bytes:
    return dumps(am_payload(alertname, status, **top))


def am_headers(ctx: Ctx) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {ctx.keys.am_token}")]


# ----------------------------------------------------------------------------- PagerDuty

def pd_event(ctx: Ctx, name: str, event_type: str = "incident.triggered", age_s: float = 5.0,
             incident: str | None = None) -> dict[str, Any]:
    """A v3 webhook: {"event": {...}} with a 26-character event id and a P-prefixed incident id."""
    incident_id = incident or "P" + uid(ctx, "incident:" + name, 6)
    occurred = datetime.fromtimestamp(ctx.now - age_s, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {"event": {
        "id": "01" + uid(ctx, "event:" + name, 24),
        "event_type": event_type,
        "resource_type": "incident",
        "occurred_at": occurred,
        "agent": {"html_url": "https://acme.pagerduty.com/users/PLH1HKV", "id": "PLH1HKV",
                  "self": "https://api.pagerduty.com/users/PLH1HKV", "summary": "Tenex Engineer",
                  "type": "user_reference"},
        "client": None,
        "data": {
            "id": incident_id, "type": "incident", "number": 2,
            "self": f"https://api.pagerduty.com/incidents/{incident_id}",
            "html_url": f"https://acme.pagerduty.com/incidents/{incident_id}",
            "status": event_type.rsplit(".", 1)[-1] if event_type.startswith("incident.") else "triggered",
            "incident_key": f"checkout-{name}", "created_at": occurred,
            "title": f"checkout pods OOMKilled in namespace shop ({name})",
            "service": {"html_url": "https://acme.pagerduty.com/services/PF9KMXH", "id": "PF9KMXH",
                        "self": "https://api.pagerduty.com/services/PF9KMXH", "summary": "checkout",
                        "type": "service_reference"},
            "assignees": [], "escalation_policy": None, "teams": [], "priority": None,
            "urgency": "high", "conference_bridge": None, "resolve_reason": None,
        },
    }}


def pd_sig(secret: str, body: bytes) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def pd_headers(body: bytes, ctx: Ctx) -> list[tuple[str, str]]:
    return [("X-PagerDuty-Signature", pd_sig(ctx.keys.pd_secrets[0], body))]


# ----------------------------------------------------------------------------- Slack

def slack_sig(secret: str, ts: str, body: bytes) -> str:
    base = b"v0:" + ts.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slack_headers(body: bytes, ctx: Ctx, ts_offset: int = 0) -> list[tuple[str, str]]:
    ts = str(int(ctx.now) + ts_offset)
    return [("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", slack_sig(ctx.keys.slack_secret, ts, body))]


TEAM, USER, CHANNEL, APP = "T024BE7LD", "U024BE7LH", "C024BE91L", "A0KRD7HC3"


def slack_event(ctx: Ctx, name: str, event: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    ts = f"{int(ctx.now) - 2}.{uid(ctx, 'ts:' + name, 6, '0123456789')}"
    body: dict[str, Any] = {
        "token": "XXYYZZ", "team_id": TEAM, "api_app_id": APP,
        "event": event if event is not None else {
            "type": "app_mention", "user": USER, "text": "<@U0LAN0Z89> pods crashlooping in payments",
            "ts": ts, "channel": CHANNEL, "event_ts": ts},
        "type": "event_callback", "event_id": "Ev" + uid(ctx, "ev:" + name, 9),
        "event_time": int(ctx.now) - 2, "authorizations": [
            {"enterprise_id": None, "team_id": TEAM, "user_id": "U0LAN0Z89", "is_bot": True}],
    }
    body.update(top)
    return body


def slash_form(ctx: Ctx, name: str, text: str = "investigate checkout pods OOMKilled in namespace shop",
               **fields: str) -> dict[str, str]:
    form = {
        "token": "gIkuvaNzQIHg97ATvDxqgjtO", "team_id": TEAM, "team_domain": "acme",
        "channel_id": CHANNEL, "channel_name": "incidents", "user_id": USER, "user_name": "steve",
        "command": "/vigil", "text": text,
        "response_url": "https://hooks.slack.com/commands/1234/5678",
        "trigger_id": f"13345224609.738474920.{uid(ctx, 'trigger:' + name, 20, '0123456789abcdef')}",
        "api_app_id": APP,
    }
    form.update(fields)
    return form


def form(fields: dict[str, str] | list[tuple[str, str]]) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def block_actions(ctx: Ctx, value: str, action_id: str = "approve", **top: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": USER, "username": "steve", "team_id": TEAM},
        "api_app_id": APP, "token": "9s8d9as89d8as9d8as989", "container": {
            "type": "message", "message_ts": "1548261231.000200", "channel_id": CHANNEL, "is_ephemeral": False},
        "trigger_id": "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
        "team": {"id": TEAM, "domain": "acme"}, "channel": {"id": CHANNEL, "name": "incidents"},
        "message": {"type": "message", "ts": "1548261231.000200", "text": "approve?"},
        "response_url": "https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209",
        "actions": [{"action_id": action_id, "block_id": "approval", "value": value, "type": "button",
                     "action_ts": "1548426417.840180"}],
    }
    payload.update(top)
    return payload


def block_actions_body(ctx: Ctx, value: str, **top: Any) -> bytes:
    return form({"payload": json.dumps(block_actions(ctx, value, **top))})


# ----------------------------------------------------------------------------- MCP

def rpc(method: str, params: Any = None, id_: Any = 1) -> dict[str, Any]:
    msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if id_ is not None:
        msg["id"] = id_
    if params is not None:
        msg["params"] = params
    return msg


def initialize(protocol: str = "2025-06-18") -> dict[str, Any]:
    return rpc("initialize", {"protocolVersion": protocol, "capabilities": {},
                              "clientInfo": {"name": "hostile-catalogue", "version": "1.0"}})
