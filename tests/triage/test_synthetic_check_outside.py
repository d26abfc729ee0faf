"""agent.triage.synthetic_check against check objects, probers and wording its round-30 incident did not use.

Shapes: a VictoriaMetrics VMProbe (`vmProberSpec.url`, `targets.staticConfig.targets`) whose module was swapped to
one without the API's auth header, the Blackbox Exporter answering `status_code=401`, named by the alert's host
alone; a prometheus-operator ScrapeConfig of blackbox targets (`staticConfigs`, the exporter reached by relabelling
`__address__`) whose `params.module` changed, read from `probe_http_status_code` 403 under its `scrapeConfig/<ns>/
<name>` job. Twins: the VMProbe write while the site's ingress answers 502 (the site is failing), an ICMP module
timing out (no HTTP answer at all), and another class's evidence on the same Probe write: a certificate that
expired (`x509: certificate has expired`, no status), which is the site's, not the check's.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import synthetic_check as sc
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, outcome

AT = datetime(2026, 12, 5, 7, 30, tzinfo=UTC)
PROBER_POD = "blackbox-exporter-6c9d8f7b5d-x2k4q"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def vmprobe(module: str = "http_2xx_public") -> dict[str, Any]:
    return {"apiVersion": "operator.victoriametrics.com/v1beta1", "kind": "VMProbe",
            "metadata": {"name": "partner-api", "namespace": "vm"},
            "spec": {"module": module, "vmProberSpec": {"url": "blackbox-exporter.vm.svc:9115"},
                     "targets": {"staticConfig": {"targets": ["https://api.partner.example.com/v2/health"]}}}}


def write(kind: str, ns: str, name: str, diff: str) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=40)), "type": "other", "object": {"kind": kind, "namespace": ns,
                                                                                "name": name},
            "summary": f"{kind} {ns}/{name} written by kubectl-client-side-apply: {diff}", "diff": [diff]}


def exporter(line: str) -> str:
    return (f"ts={iso(AT)} caller=main.go:190 module=http_2xx_public target=https://api.partner.example.com/v2/health "
            f"level=debug {line}")


def vm_case(lines: list[str], subject: Subject | None = None) -> tuple[Facts, RecordingHub]:
    hub = RecordingHub(objects={("VMProbe", "vm", "partner-api"): vmprobe()},
                       lists={("Pod", "vm"): [{"name": PROBER_POD}]}, logs={PROBER_POD: lines},
                       answers={"prom_query": outcome(True, {"samples": []})})
    facts = Facts(at=AT, changes={"changes": [write("VMProbe", "vm", "partner-api",
                                                    "spec.module = 'http_2xx_public'")]}, changes_id="C2")
    subject = subject or Subject(labelled_values=["PartnerApiDown", "blackbox"], hosts=["api.partner.example.com"])
    asyncio.run(sc.read(subject, facts, hub, iso(AT)))
    return facts, hub


def test_vmprobe_module_without_auth_refused_401_named_by_its_host() -> None:
    line = exporter('msg="Invalid HTTP response status code, wanted 2xx" status_code=401')
    facts, _ = vm_case(["starting", line, line])
    [(ref, finding, evidence, _)] = sc.suspects(facts)
    assert (ref.kind, ref.name) == ("VMProbe", "partner-api") and "C2" in evidence
    head = finding["message"][:400]
    assert "401 Unauthorized" in head and "http_2xx_public" in head and "false page" in head


def test_scrapeconfig_module_changed_read_from_its_status_metric() -> None:
    cfg = {"kind": "ScrapeConfig", "metadata": {"name": "status-pages", "namespace": "monitoring"},
           "spec": {"metricsPath": "/probe", "params": {"module": ["http_2xx_strict"]},
                    "staticConfigs": [{"targets": ["https://status.example.io/"]}],
                    "relabelings": [{"sourceLabels": ["__address__"], "targetLabel": "__param_target"},
                                    {"targetLabel": "__address__",
                                     "replacement": "blackbox-exporter.monitoring.svc:9115"}]}}
    queries: list[str] = []

    def metric(call: Any, eid: str) -> Any:
        queries.append(str(call.args.get("query")))
        return outcome(True, {"samples": [{"labels": {"job": "scrapeConfig/monitoring/status-pages"}, "value": 403}]},
                       evidence_id=eid)

    hub = RecordingHub(objects={("ScrapeConfig", "monitoring", "status-pages"): cfg},
                       lists={("Pod", "monitoring"): [{"name": PROBER_POD}]}, logs={PROBER_POD: ["started"]},
                       answers={"prom_query": metric})
    facts = Facts(at=AT, changes={"changes": [write("ScrapeConfig", "monitoring", "status-pages",
                                                    "spec.params.module = ['http_2xx_strict']")]}, changes_id="C2")
    asyncio.run(sc.read(Subject(phrases=["synthetic-check-failing"], hosts=["status.example.io"]), facts, hub,
                        iso(AT)))
    [hit] = sc.found(facts)
    assert hit.check.kind == "ScrapeConfig" and hit.status == 403 and hit.from_metric
    assert 'job=~"scrapeConfig/monitoring/status' in queries[0]
    assert ("k8s_logs", {"name": PROBER_POD, "namespace": "monitoring", "tail": sc.LOG_TAIL}) in hub.calls


def test_site_ingress_answering_502_is_not_the_check() -> None:
    line = exporter('msg="Invalid HTTP response status code, wanted 2xx" status_code=502')
    facts, _ = vm_case([line] * 3)
    assert sc.found(facts) == []


def test_icmp_probe_timing_out_is_not_the_check() -> None:
    lines = [f'ts={iso(AT)} caller=icmp.go:322 module=icmp target=10.2.0.14 level=debug msg="Timeout reading from '
             f'socket" err="read ip4 0.0.0.0: i/o timeout"', f'ts={iso(AT)} level=debug msg="Probe failed"']
    facts, _ = vm_case(lines)
    assert sc.found(facts) == []


def test_expired_certificate_is_the_sites_not_the_checks() -> None:
    lines = [exporter('msg="Error for HTTP request" err="Get \\"https://api.partner.example.com/v2/health\\": '
                      'x509: certificate has expired or is not yet valid"'), exporter('msg="Probe failed"')]
    facts, _ = vm_case(lines, Subject(labelled_values=["ProbeSSLCertExpired", "probe"],
                                      hosts=["api.partner.example.com"]))
    assert sc.found(facts) == []


def test_prober_wording_of_other_checkers_gives_the_status() -> None:
    kuma = ("2026-12-05T07:29:00Z [MONITOR] WARN: Monitor #12 'partner-api': Failing: Request failed with status "
            "code 405 | Interval: 60 seconds | Type: http | Down Count: 0")
    prom = 'msg="Scrape failed" err="server returned HTTP status 404 Not Found"'
    for line, status in ((kuma, 405), (prom, 404)):
        m = sc._STATUS.search(line)
        assert sc._FAILED.search(line) and m is not None and int(m.group(1)) == status
