"""agent.triage.synthetic_check: a synthetic check's own write fails its probe against a site that answers.

Shapes: a prometheus-operator Probe whose module was swapped to a POST module (the Blackbox Exporter's log:
`Invalid HTTP response status code, wanted 2xx` status_code=405), named by the alert's `probe/<ns>/<name>` job; a
Blackbox modules file in a ConfigMap whose module now wants 204 (the site's 200 refused), read from
`probe_http_status_code` only. Twins: the same Probe write while the site answers 503 (the site is failing), a
probe timing out (no status), a written Probe the alert does not name, and an incident that is not a probe's.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import synthetic_check as sc
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, outcome

AT = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
MODULES = ("modules:\n  http_2xx:\n    prober: http\n    http:\n      method: GET\n      valid_status_codes: [204]\n"
           "  tcp_connect:\n    prober: tcp\n")


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def probe(name: str, module: str = "http_post_2xx") -> dict[str, Any]:
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "Probe",
            "metadata": {"name": name, "namespace": "observability"},
            "spec": {"module": module, "prober": {"url": "prober.observability.svc:9115"},
                     "targets": {"staticConfig": {"static": ["https://shop.example.org/"]}}}}


def probe_write(name: str, ago: timedelta = timedelta(minutes=20)) -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "other", "object": {"kind": "Probe", "namespace": "observability",
                                                              "name": name},
            "summary": f"Probe observability/{name} written by kubectl-client-side-apply: spec.module = "
                       "'http_post_2xx'", "diff": ["spec.module = 'http_post_2xx'"]}


def exporter_line(status: int) -> str:
    return (f'ts={iso(AT)} caller=main.go:190 module=http_post_2xx target=https://shop.example.org/ level=debug '
            f'msg="Invalid HTTP response status code, wanted 2xx" status_code={status}')


def run(subject: Subject, changes: list[dict[str, Any]], hub: RecordingHub) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1")
    asyncio.run(sc.read(subject, facts, hub, iso(AT)))
    return facts


def probe_hub(lines: list[str], name: str = "web-home") -> RecordingHub:
    return RecordingHub(objects={("Probe", "observability", name): probe(name)},
                        lists={("Pod", "observability"): [{"name": "prober-7d9f8c6b5-k2x4z"}]},
                        logs={"prober-7d9f8c6b5-k2x4z": lines},
                        answers={"prom_query": outcome(True, {"samples": []})})


PROBE_ALERT = Subject(labelled_values=["probe/observability/web-home", "blackboxprobefailed"],
                      hosts=["shop.example.org"])


def test_probe_module_swap_refused_405_names_the_probe() -> None:
    facts = run(PROBE_ALERT, [probe_write("web-home")], probe_hub(["starting", exporter_line(405)] * 3))
    [(ref, finding, evidence, _)] = sc.suspects(facts)
    assert (ref.kind, ref.name) == ("Probe", "web-home")
    assert "405 Method Not Allowed" in finding["message"] and "http_post_2xx" in finding["message"][:200]
    assert "C1" in evidence


def test_modules_file_narrowed_found_from_the_status_metric() -> None:
    write = {"at": iso(AT - timedelta(hours=2)), "type": "config",
             "object": {"kind": "ConfigMap", "namespace": "mon", "name": "bb-config"},
             "summary": "ConfigMap mon/bb-config updated by helm: data key blackbox.yml set",
             "diff": [], "related": [{"kind": "Deployment", "namespace": "mon", "name": "bb"}]}
    cm = {"kind": "ConfigMap", "metadata": {"name": "bb-config", "namespace": "mon"}, "data": {"blackbox.yml": MODULES}}
    hub = RecordingHub(objects={("ConfigMap", "mon", "bb-config"): cm}, lists={("Pod", "mon"): []},
                       answers={"prom_query": outcome(True, {"samples": [{"labels": {"job": "up"}, "value": 200}]})})
    facts = run(Subject(labelled_values=["uptime-homepage"], phrases=["probe-failed"]), [write], hub)
    [hit] = sc.found(facts)
    assert hit.check.name == "bb-config" and hit.status == 200 and hit.from_metric


def test_site_answering_503_is_not_the_check() -> None:
    facts = run(PROBE_ALERT, [probe_write("web-home")], probe_hub([exporter_line(503)] * 4))
    assert sc.found(facts) == []


def test_probe_timing_out_is_not_the_check() -> None:
    lines = [f'ts={iso(AT)} level=error msg="Error for HTTP request" err="context deadline exceeded"']
    facts = run(PROBE_ALERT, [probe_write("web-home")], probe_hub(lines))
    assert sc.found(facts) == []


def test_probe_the_alert_does_not_name_is_not_read_into_a_finding() -> None:
    subject = Subject(labelled_values=["probe/observability/api-health"], hosts=["api.example.org"])
    facts = run(subject, [probe_write("web-home")], probe_hub([exporter_line(405)] * 3))
    assert sc.found(facts) == []


def test_incident_that_is_not_a_probe_reads_nothing() -> None:
    hub = probe_hub([exporter_line(405)])
    facts = run(Subject(labelled_values=["checkout"], names=["checkout"]), [probe_write("web-home")], hub)
    assert hub.calls == [] and sc.found(facts) == []
