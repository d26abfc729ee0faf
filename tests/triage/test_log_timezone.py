"""A log pipeline told the wrong zone for naive timestamps: events land hours off (agent.triage.log_timezone).

Written here, not taken from the held-out bundles. Shapes: a Fluent Bit parsers file in a ConfigMap that gained
`Time_Offset -0500` (events land five hours in the future); a Vector config whose `parse_timestamp` now names
`Asia/Kolkata`; a Promtail timestamp stage with `location: America/Sao_Paulo`. Negative twins: a zone equal to UTC
(`Etc/UTC`), an app's own ConfigMap that sets a zone (no log pipeline), an app whose timestamps carry an offset (`Z`,
`+00:00`), a directive the write's old side already held, and an incident that does not say logs are missing (nothing
read).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import log_timezone as lt
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 11, 9, 12, 0, tzinfo=UTC)
NAIVE = "2026-11-09 11:58:40.120 INFO settle.worker: settled 40 invoices in 212 ms"
MISSING = Subject(names=["settle-worker", "logs", "missing"], phrases=["settle-worker-logs-missing"])


def _run(data: dict[str, str], line: str = NAIVE, subject: Subject = MISSING,
         diff: list[str] | None = None) -> tuple[list[lt.Shifted], list[str]]:
    obj = {"kind": "ConfigMap", "metadata": {"name": "log-pipeline", "namespace": "logs"}, "data": data}
    change = {"at": (AT - timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "config",
              "object": {"kind": "ConfigMap", "namespace": "logs", "name": "log-pipeline"},
              "summary": "ConfigMap logs/log-pipeline updated by helm", "diff": diff or ["data key changed"]}
    seen: list[str] = []

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome | None:
        seen.append(tool)
        return outcome(True, {}, yaml.safe_dump(obj), "E2") if tool == "k8s_get" else None

    log = LogEvidence(pod="settle-worker-7c9d8-abcde", namespace="billing", evidence_id="E3", top=None, hosts=[],
                      error_classes=set(), previous=False, last_lines=[line])
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1", logs=[log])
    asyncio.run(lt.read(subject, facts, call, "2026-11-09T12:00:00Z"))
    return lt.found(facts), seen


FLUENT_BIT = "[PARSER]\n    Name   app\n    Format regex\n    Time_Key time\n    Time_Offset -0500\n"


def test_a_fluent_bit_time_offset_names_the_pipeline_and_the_future_shift() -> None:
    [s], _ = _run({"parsers.conf": FLUENT_BIT})
    message = lt.finding(s)["message"]
    assert s.shift == timedelta(hours=-5) and "in the future" in message and "5 h 0 min" in message


def test_a_vector_parse_timestamp_zone_is_named() -> None:
    vrl = ('[transforms.ts]\ntype = "remap"\n'
           'source = """\n.ts = parse_timestamp!(.t, "%F %T", timezone: "Asia/Kolkata")\n"""\n')
    [s], _ = _run({"vector.toml": vrl})
    assert s.zone == "Asia/Kolkata" and s.shift == timedelta(hours=5, minutes=30)


def test_a_promtail_timestamp_location_is_named() -> None:
    stage = yaml.safe_dump({"pipeline_stages": [{"timestamp": {"source": "t", "format": "2006-01-02 15:04:05",
                                                                "location": "America/Sao_Paulo"}}]})
    [s], _ = _run({"promtail.yaml": stage})
    assert s.zone == "America/Sao_Paulo" and "in the future" in lt.finding(s)["message"]


def test_an_apps_own_timezone_setting_names_nothing() -> None:
    app = yaml.safe_dump({"scheduler": {"timezone": "Europe/Berlin", "run_at": "02:00"}})
    assert _run({"settings.yaml": app})[0] == []


def test_a_zone_equal_to_utc_names_nothing() -> None:
    assert _run({"parsers.conf": FLUENT_BIT.replace("Time_Offset -0500", "Time_Zone Etc/UTC")})[0] == []


def test_timestamps_that_carry_their_offset_name_nothing() -> None:
    for line in ("2026-11-09T11:58:40.120Z level=info msg=settled", "2026-11-09 11:58:40,120+00:00 INFO settled"):
        found, seen = _run({"parsers.conf": FLUENT_BIT}, line=line)
        assert found == [] and seen == []


def test_a_directive_the_old_side_held_names_nothing() -> None:
    diff = ["parsers.conf Time_Offset -0500 Time_Keep Off -> Time_Offset -0500 Time_Keep On"]
    assert _run({"parsers.conf": FLUENT_BIT}, diff=diff)[0] == []


def test_an_incident_not_about_missing_logs_reads_nothing() -> None:
    busy = Subject(names=["settle-worker", "latency", "high"], phrases=["settle-worker-latency-high"])
    found, seen = _run({"parsers.conf": FLUENT_BIT}, subject=busy)
    assert found == [] and seen == []


# ---- other pipelines' zone wording and other naive stamps (issue #12 audit: ISO-dashed stamps and key=/key: only) --

GO_LINE = "2026/11/09 11:58:40 settle: settled 40 invoices in 212 ms"
SYSLOG_LINE = "Nov  9 11:58:40 settle-7c9d8 settle[1]: settled 40 invoices in 212 ms"
SYSLOG_NG = ('@version: 4.8\nsource s_app { file("/var/log/app/*.log"); };\n'
             'parser p_stamp { date-parser(format("%Y/%m/%d %H:%M:%S") template("${DATE}") time-zone("ZONE")); };\n'
             'destination d_es { elasticsearch-http(url("https://es:9200/_bulk")); };\n')
SPLUNK = "[settle:app]\nTIME_FORMAT = %b %d %H:%M:%S\nTZ = {zone}\nSHOULD_LINEMERGE = false\n"


def test_a_syslog_ng_time_zone_on_go_slashed_stamps_is_named() -> None:
    [s], _ = _run({"syslog-ng.conf": SYSLOG_NG.replace("ZONE", "Asia/Tokyo")}, line=GO_LINE)
    assert s.zone == "Asia/Tokyo" and s.shift == timedelta(hours=9) and "in the past" in lt.finding(s)["message"]


def test_a_splunk_props_tz_on_bsd_syslog_stamps_is_named() -> None:
    [s], _ = _run({"props.conf": SPLUNK.format(zone="America/Chicago")}, line=SYSLOG_LINE)
    assert s.zone == "America/Chicago" and s.shift == timedelta(hours=-6)


def test_a_syslog_ng_time_zone_equal_to_utc_names_nothing() -> None:
    assert _run({"syslog-ng.conf": SYSLOG_NG.replace("ZONE", "Etc/UTC")}, line=GO_LINE)[0] == []


def test_a_splunk_tz_over_stamps_that_carry_their_offset_names_nothing() -> None:
    stamped = "2026/11/09 11:58:40 +0000 settle: settled 40 invoices"
    assert _run({"props.conf": SPLUNK.format(zone="America/Chicago")}, line=stamped)[0] == []


def test_an_apps_own_tz_key_outside_a_pipeline_names_nothing() -> None:
    assert _run({"app.env": "TZ = America/Chicago\nWORKERS = 4\n"}, line=GO_LINE)[0] == []
