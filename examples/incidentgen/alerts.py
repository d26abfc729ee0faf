"""Alert payloads in the senders' documented formats: Alertmanager webhook v4, PagerDuty webhook v3."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from incidentgen.objects import iso


def alert(labels: dict[str, str], annotations: dict[str, str], starts: datetime, expr: str) -> dict[str, Any]:
    fingerprint = hashlib.sha256(",".join(f"{k}={v}" for k, v in sorted(labels.items())).encode()).hexdigest()[:16]
    return {
        "status": "firing",
        "labels": labels,
        "annotations": annotations,
        "startsAt": iso(starts),
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.monitoring.svc:9090/graph?g0.expr=" + quote(expr) + "&g0.tab=1",
        "fingerprint": fingerprint,
    }


def alertmanager(alerts: list[dict[str, Any]], group: list[str]) -> dict[str, Any]:
    common_labels = {k: v for k, v in alerts[0]["labels"].items()
                     if all(a["labels"].get(k) == v for a in alerts)}
    common_ann = {k: v for k, v in alerts[0]["annotations"].items()
                  if all(a["annotations"].get(k) == v for a in alerts)}
    group_labels = {k: common_labels[k] for k in group if k in common_labels}
    key = "{}:{" + ", ".join(f'{k}="{v}"' for k, v in group_labels.items()) + "}"
    return {
        "receiver": "vigil",
        "status": "firing",
        "alerts": alerts,
        "groupLabels": group_labels,
        "commonLabels": common_labels,
        "commonAnnotations": common_ann,
        "externalURL": "http://alertmanager.monitoring.svc:9093",
        "version": "4",
        "groupKey": key,
        "truncatedAlerts": 0,
    }


def pagerduty(seed: str, title: str, at: datetime, service: str) -> dict[str, Any]:
    """An `incident.triggered` event as PagerDuty's v3 webhooks deliver it."""
    h = hashlib.sha256(seed.encode()).hexdigest().upper()
    incident_id = "Q" + h[:13]
    service_id = "P" + h[13:19]
    created = at + timedelta(seconds=40)
    return {
        "event": {
            "id": "01" + h[19:43],
            "event_type": "incident.triggered",
            "resource_type": "incident",
            "occurred_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "agent": {"html_url": f"https://acme.pagerduty.com/services/{service_id}", "id": service_id,
                      "self": f"https://api.pagerduty.com/services/{service_id}", "summary": service,
                      "type": "service_reference"},
            "client": {"name": "Alertmanager"},
            "data": {
                "id": incident_id,
                "type": "incident",
                "self": f"https://api.pagerduty.com/incidents/{incident_id}",
                "html_url": f"https://acme.pagerduty.com/incidents/{incident_id}",
                "number": 4182,
                "status": "triggered",
                "incident_key": hashlib.sha256(title.encode()).hexdigest(),
                "created_at": iso(created),
                "title": title,
                "service": {"html_url": f"https://acme.pagerduty.com/services/{service_id}", "id": service_id,
                            "self": f"https://api.pagerduty.com/services/{service_id}", "summary": service,
                            "type": "service_reference"},
                "assignees": [{"html_url": "https://acme.pagerduty.com/users/PABC123", "id": "PABC123",
                               "self": "https://api.pagerduty.com/users/PABC123", "summary": "On-call SRE",
                               "type": "user_reference"}],
                "escalation_policy": {"html_url": "https://acme.pagerduty.com/escalation_policies/PEP0001",
                                      "id": "PEP0001", "self": "https://api.pagerduty.com/escalation_policies/PEP0001",
                                      "summary": "Shop primary", "type": "escalation_policy_reference"},
                "teams": [{"html_url": "https://acme.pagerduty.com/teams/PTEAM01", "id": "PTEAM01",
                           "self": "https://api.pagerduty.com/teams/PTEAM01", "summary": "Shop",
                           "type": "team_reference"}],
                "priority": {"html_url": "https://acme.pagerduty.com/account/incident_priorities", "id": "PPRIO01",
                             "self": "https://api.pagerduty.com/priorities/PPRIO01", "summary": "P1",
                             "type": "priority_reference"},
                "urgency": "high",
                "conference_bridge": None,
                "resolve_reason": None,
            },
        }
    }
