"""A rotation taken off copytruncate (or off its reopen signal) with no one telling the writer, in a disk incident
(agent.triage.rotation_mode). Shapes: a ConfigMap's logrotate.conf losing `copytruncate`, a CronJob's args losing a
`postrotate` that sent `kill -USR1`. Twins: the edit that adds copytruncate, a rotation that still signals (`nginx -s
reopen`), an edit of the rotation count only, the same edit when the incident is not about disk, an edit too old."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import rotation_mode
from agent.triage.facts import Facts

AT = datetime(2026, 8, 12, 6, 0, tzinfo=UTC)
COPY = "/data/logs/*.log {\\n  hourly\\n  rotate 5\\n  copytruncate\\n  compress\\n}"
RENAME = "/data/logs/*.log {\\n  hourly\\n  rotate 5\\n  create 0640 app app\\n  compress\\n}"
SIGNAL = ("/var/log/gw/*.log {\\n  daily\\n  rotate 7\\n  postrotate\\n    kill -USR1 $(cat /run/gw.pid)\\n"
          "  endscript\\n}")
NO_SIGNAL = "/var/log/gw/*.log {\\n  daily\\n  rotate 7\\n}"


def _facts(kind: str, diff: str, ago: timedelta = timedelta(hours=9)) -> Facts:
    change: dict[str, Any] = {"at": (AT - ago).isoformat().replace("+00:00", "Z"), "type": "updated",
                              "object": {"kind": kind, "namespace": "ops", "name": "rotator"},
                              "summary": f"{kind} ops/rotator written by flux: x", "diff": [diff]}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E4")


def test_a_configmap_losing_copytruncate_is_named_in_a_disk_incident() -> None:
    [hit] = rotation_mode.found(_facts("ConfigMap", f"data.logrotate.conf '{COPY}' -> '{RENAME}'"), {"pvc"})
    assert (hit.target.kind, hit.target.name, hit.dropped, hit.by) == ("ConfigMap", "rotator", "copytruncate", "flux")
    assert "deleted" in rotation_mode.finding(hit, AT)["message"]


def test_a_cronjob_losing_its_postrotate_signal_is_named() -> None:
    [hit] = rotation_mode.found(_facts("CronJob", f"rotate args ['{SIGNAL}'] -> ['{NO_SIGNAL}']"), {"pvc", "node"})
    assert hit.target.kind == "CronJob" and hit.dropped == "the postrotate signal"


def test_adding_copytruncate_keeping_a_signal_or_changing_the_count_is_not_named() -> None:
    assert rotation_mode.found(_facts("ConfigMap", f"data.conf '{RENAME}' -> '{COPY}'"), {"pvc"}) == []
    reopen = NO_SIGNAL.replace("}", "  postrotate\\n    nginx -s reopen\\n  endscript\\n}")
    assert rotation_mode.found(_facts("ConfigMap", f"data.conf '{COPY}' -> '{reopen}'"), {"pvc"}) == []
    assert rotation_mode.found(_facts("ConfigMap", f"data.conf '{COPY}' -> '{COPY.replace('5', '9')}'"),
                               {"pvc"}) == []


def test_the_same_edit_outside_a_disk_incident_or_long_before_is_not_named() -> None:
    diff = f"data.logrotate.conf '{COPY}' -> '{RENAME}'"
    assert rotation_mode.found(_facts("ConfigMap", diff), {"oom"}) == []
    assert rotation_mode.found(_facts("ConfigMap", diff, timedelta(days=5)), {"pvc"}) == []
