"""PagerDuty webhook v3 normalisation.

The fixture follows PagerDuty's documented v3 webhook body for `incident.triggered`
(event.event_type, event.data with id, title, service, priority, urgency); no PagerDuty server
exists offline, so these are recorded-format payloads.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from agent.incident import IncidentError, from_pagerduty


def test_triggered_incident(load: Callable[[str], Any]) -> None:
    incident = from_pagerduty(load("pagerduty-triggered.json"))
    assert incident.source == "pagerduty"
    assert incident.status == "firing"
    assert incident.severity == "critical"  # priority P1
    assert incident.started_at == datetime(2026, 3, 12, 14, 20, 40, tzinfo=UTC)
    # Labels read from Alertmanager's title format, and the service name.
    assert incident.labels == {
        "alertname": "ContainerOOMKilled",
        "namespace": "shop",
        "pod": "checkout-m74nkt6r2t-gm7x5",
        "service": "Checkout API",
    }
    assert incident.annotations["pagerduty_url"].endswith("/incidents/Q2ABCDEFGHIJK")


def test_every_event_of_one_pagerduty_incident_shares_the_fingerprint(load: Callable[[str], Any]) -> None:
    triggered = from_pagerduty(load("pagerduty-triggered.json"))
    payload = load("pagerduty-triggered.json")
    payload["event"]["event_type"] = "incident.resolved"
    payload["event"]["data"]["status"] = "resolved"
    resolved = from_pagerduty(payload)
    assert resolved.status == "resolved"
    assert resolved.fingerprint == triggered.fingerprint
    payload["event"]["data"]["id"] = "QOTHER"
    assert from_pagerduty(payload).fingerprint != triggered.fingerprint


def test_urgency_is_used_without_a_priority(load: Callable[[str], Any]) -> None:
    payload = load("pagerduty-triggered.json")
    payload["event"]["data"]["priority"] = None
    payload["event"]["data"]["urgency"] = "low"
    assert from_pagerduty(payload).severity == "info"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda p: p["event"].pop("event_type"), "event.event_type"),
        (lambda p: p["event"].update(event_type="service.updated", resource_type="service"), "event.event_type"),
        (lambda p: p["event"].update(data="nope"), "event.data"),
        (lambda p: p["event"]["data"].pop("id"), "event.data.id"),
        (lambda p: p["event"]["data"].update(title=" "), "event.data.title"),
        (lambda p: p["event"]["data"].update(created_at="soon"), "event.data.created_at"),
    ],
)
def test_bad_events_name_the_field(mutate, field: str, load: Callable[[str], Any]) -> None:  # type: ignore[no-untyped-def]
    payload = load("pagerduty-triggered.json")
    mutate(payload)
    with pytest.raises(IncidentError) as caught:
        from_pagerduty(payload)
    assert caught.value.field == field
