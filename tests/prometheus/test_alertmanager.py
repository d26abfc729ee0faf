"""Debian's real Alertmanager fires a real alert into a local receiver: the payload is webhook v4,
and the examples shipped under examples/alertmanager/ have exactly the captured shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.prometheus.alertmanager_capture import ALERT_ANNOTATIONS, ALERT_LABELS, capture

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "alertmanager"
V4_KEYS = {"version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels", "commonLabels",
           "commonAnnotations", "externalURL", "alerts"}
ALERT_KEYS = {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}


def _shape(value: Any) -> Any:
    """Keys and types, recursively, without the values (which differ on every capture)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


@pytest.mark.slow
def test_real_alertmanager_sends_v4_webhooks_matching_the_examples() -> None:
    firing, resolved = capture()
    for payload, status in ((firing, "firing"), (resolved, "resolved")):
        assert payload["version"] == "4"
        assert set(payload) == V4_KEYS
        assert payload["status"] == status and payload["receiver"] == "vigil"
        assert payload["groupLabels"] == {"alertname": "KubePodCrashLooping", "namespace": "shop"}
        assert payload["truncatedAlerts"] == 0
        (alert,) = payload["alerts"]
        assert set(alert) == ALERT_KEYS
        assert alert["labels"] == ALERT_LABELS and alert["annotations"] == ALERT_ANNOTATIONS
        assert len(alert["fingerprint"]) == 16
    assert firing["alerts"][0]["endsAt"].startswith("0001-01-01")
    assert not resolved["alerts"][0]["endsAt"].startswith("0001-01-01")
    for name, live in (("webhook-v4-firing.json", firing), ("webhook-v4-resolved.json", resolved)):
        stored = json.loads((EXAMPLES / name).read_text())
        assert _shape(stored) == _shape(live), f"{name} no longer matches what Alertmanager sends"
