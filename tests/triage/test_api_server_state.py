"""An HPA that cannot get its metrics -> the APIService of that group -> the workload serving it -> that workload's
own change and errors (agent.triage.api_server_of with agent.triage.api_server_state).

Written here, not taken from any held-out bundle. `read` is driven through a recorded fake of the tool hub in the
tools' documented shapes (`k8s_get -o yaml` text, `k8s_topology`'s subject/workloads, `k8s_list` rows, `k8s_logs`
facts). Shapes: (1) metrics-server rolled without a flag it needs (`--kubelet-insecure-tls`) and now failing to
verify the kubelets' certificates (x509), its pods not Ready, the HPA's words clipped before they name the API
(only its reason, FailedGetResourceMetric, says which group); (2) KEDA's metrics API server, its env pointed at a
new token, answering 401 Unauthorized from the scaler's source, the HPA failing FailedGetExternalMetric in its
events' words, the server's logs read by the module itself (the survey had not). Twins: an HPA failing for its own
spec (`missing request for cpu`) names no API; a write to the server after the HPA's failure began (an attempted
fix) or weeks before is not named as the change; another workload's write is not the server's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import api_server_of, api_server_state, rank, subject_of
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import outcome
from tests.triage.test_rank import alert, finding

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


FAILED_AT = AT - timedelta(hours=6)
"""When the HPA's ScalingActive turned False."""

CLIPPED = ("HorizontalPodAutoscaler shop/checkout: cannot scale Deployment/checkout, FailedGetResourceMetric: the HPA "
           "was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resou…")
X509 = ('E0501 06:01:10.000000 1 scraper.go:149] "Failed to scrape node" err="Get \\"https://10.1.2.3:10250/metrics/'
        'resource\\": tls: failed to verify certificate: x509: cannot validate certificate for 10.1.2.3 because it '
        'doesn\'t contain any IP SANs" node="ip-10-1-2-3"')
KEDA_401 = ('2026-05-01T09:12:00Z ERROR prometheus_scaler error executing prometheus query {"type": "ScaledObject", '
            '"name": "worker"} error: "prometheus query api returned error. status: 401 response: Unauthorized"')


def _rollout(ns: str, name: str, at: datetime, line: str, revision: int = 6) -> dict[str, Any]:
    return {"at": _iso(at), "type": "rollout", "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": f"Deployment {ns}/{name} rolled out revision {revision}: {line}", "diff": [line],
            "revision": revision}


DROPPED_FLAG = ("metrics-server args ['--cert-dir=/tmp', '--secure-port=10250', '--kubelet-insecure-tls'] -> "
                "['--cert-dir=/tmp', '--secure-port=10250']")
NEW_TOKEN = "keda-operator-metrics-apiserver env PROMETHEUS_TOKEN_FILE='/var/run/keda/token' -> " \
            "PROMETHEUS_TOKEN_FILE='/var/run/keda/token-v2'"


@dataclass
class Hub:
    """The tool hub as the cluster answers: one APIService, its Service's workload, that workload's pods and logs."""

    group: str
    service: tuple[str, str]
    workload: tuple[str, str]
    log: str = ""
    available: bool = False
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> ToolOutcome | None:
        self.calls.append((tool, args))
        ns, name = self.workload
        if tool == "k8s_get" and args["kind"] == "APIService":
            if args["name"] != f"v1beta1.{self.group}":
                return outcome(False, None, "NotFound")
            obj = {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": args["name"]},
                   "spec": {"group": self.group, "version": "v1beta1",
                            "service": {"namespace": self.service[0], "name": self.service[1]}},
                   "status": {"conditions": [{"type": "Available", "status": "True" if self.available else "False",
                                              "reason": "Passed" if self.available else "MissingEndpoints"}]}}
            return outcome(True, None, yaml.safe_dump(obj), "E20")
        if tool == "k8s_topology":
            return outcome(True, {"subject": {"kind": "Service", "namespace": self.service[0],
                                              "name": self.service[1]},
                                  "workloads": [{"kind": "Deployment", "namespace": ns, "name": name}]}, "", "E21")
        if tool == "k8s_get" and args["kind"] == "Deployment":
            obj = {"kind": "Deployment", "metadata": {"name": name, "namespace": ns},
                   "spec": {"template": {"spec": {"containers": [{"name": name, "image": f"{name}:1"}]}}}}
            return outcome(True, None, yaml.safe_dump(obj), "E22")
        if tool == "k8s_list" and args["kind"] == "ConfigMap":
            return outcome(True, {"rows": []}, "", "E23")
        if tool == "k8s_list" and args["kind"] == "Pod":
            return outcome(True, {"rows": [{"name": f"{name}-7d9f8c6b5-x2x4z"}]}, "", "E24")
        if tool == "k8s_logs":
            errors = [{"example": self.log, "error_class": "auth_failure", "severity": "error",
                       "first_seen": "2026-05-01T09:12:00Z"}] if self.log else []
            return outcome(True, {"pod": args["name"], "namespace": args["namespace"],
                                  "facts": {"errors": errors, "hosts": []}}, self.log, "E25")
        return None


def _hpa_finding(ns: str, name: str, message: str, reason: str) -> dict[str, Any]:
    out = finding("hpa.metrics_unavailable", "HorizontalPodAutoscaler", ns, name, message, reason=reason,
                  evidence=[message[:200]])
    out["since"] = _iso(FAILED_AT)
    return out


def _metrics_server(write_at: datetime | None, line: str = DROPPED_FLAG,
                    target: tuple[str, str] = ("kube-system", "metrics-server")) -> tuple[Facts, Hub]:
    facts = Facts(at=AT, scan_id="E1", changes_id="E2")
    facts.scan = {"findings": [
        _hpa_finding("shop", "checkout", CLIPPED, "FailedGetResourceMetric"),
        finding("pod.not_ready", "Deployment", "kube-system", "metrics-server",
                "Deployment kube-system/metrics-server: 1/1 pods not Ready (container metrics-server)")]}
    facts.changes = {"changes": [_rollout(*target, write_at, line)] if write_at else []}
    facts.logs = [LogEvidence(pod="metrics-server-5c6d7f8b9-q2w4z", namespace="kube-system", evidence_id="E5",
                              top={"example": X509, "error_class": "tls_error", "severity": "error"},
                              hosts=["10.1.2.3"], error_classes={"tls_error"}, previous=False)]
    hub = Hub("metrics.k8s.io", ("kube-system", "metrics-server"), ("kube-system", "metrics-server"))
    asyncio.run(api_server_of.read(Subject(namespace="shop", names=["checkout"]), facts, hub, _iso(AT)))
    return facts, hub


def test_an_hpa_without_resource_metrics_leads_to_metrics_server_its_dropped_flag_and_its_x509() -> None:
    facts, _ = _metrics_server(FAILED_AT - timedelta(minutes=2))
    [(ref, found, evidence, explains)] = api_server_of.suspects(facts)
    assert ref == Ref("Deployment", "kube-system", "metrics-server")
    head = found["message"][:400]
    assert head.startswith("Deployment kube-system/metrics-server, which serves metrics.k8s.io (the resource "
                           "metrics API, APIService v1beta1.metrics.k8s.io), changed 6 h 2 min before"), head
    for words in ("removed --kubelet-insecure-tls", "x509: cannot validate certificate", "its pods are not Ready"):
        assert words in head, (words, head)
    assert "APIService v1beta1.metrics.k8s.io Available=False (MissingEndpoints)" in found["message"]
    assert "E5" in evidence and "E2" in evidence
    assert Ref("HorizontalPodAutoscaler", "shop", "checkout") in explains
    top = rank(subject_of(alert(alertname="CheckoutLatencyHigh", namespace="shop", deployment="checkout")), facts)[0]
    assert top.ref is not None and top.ref.same_object(Ref("Deployment", "kube-system", "metrics-server")), top.cause


def test_a_write_after_the_failure_began_or_weeks_before_is_not_the_change() -> None:
    for at in (FAILED_AT + timedelta(hours=2), AT - timedelta(days=20)):
        facts, _ = _metrics_server(at)
        [(ref, found, _, _)] = api_server_of.suspects(facts)
        assert ref == Ref("Deployment", "kube-system", "metrics-server")  # its own x509 still names it
        assert "changed" not in found["message"] and "kubelet-insecure-tls" not in found["message"]
        assert found["message"].startswith("Deployment kube-system/metrics-server, which serves metrics.k8s.io")
        assert "fails in its own words: 'tls: failed to verify certificate: x509" in found["message"]


def test_another_workloads_write_is_not_the_servers_change() -> None:
    facts, _ = _metrics_server(FAILED_AT - timedelta(minutes=2), "checkout image shop/checkout:1 -> shop/checkout:2",
                               ("shop", "checkout"))
    [(_, found, _, _)] = api_server_of.suspects(facts)
    assert "changed" not in found["message"]


def test_an_hpa_failing_on_its_own_spec_names_no_api() -> None:
    facts = Facts(at=AT, scan_id="E1")
    facts.scan = {"findings": [_hpa_finding("web", "web", "HorizontalPodAutoscaler web/web: cannot scale "
                                            "Deployment/web, FailedGetResourceMetric: missing request for cpu in "
                                            "container web of Pod web-1", "FailedGetResourceMetric")]}
    assert api_server_of.failures(facts) == []


def test_keda_metrics_server_refused_by_its_source_after_its_env_change_is_named() -> None:
    """Shape 2: the HPA's full condition read whole (an HPA object), the server's logs read by the module itself."""
    facts = Facts(at=AT, scan_id="E1", changes_id="E2")
    facts.objects.append(({"kind": "HorizontalPodAutoscaler", "metadata": {"name": "keda-hpa-worker",
                                                                           "namespace": "jobs"},
                           "status": {"conditions": [{
                               "type": "ScalingActive", "status": "False", "reason": "FailedGetExternalMetric",
                               "lastTransitionTime": _iso(FAILED_AT),
                               "message": "the HPA was unable to compute the replica count: unable to get external "
                                          "metric jobs/s0-prometheus/&LabelSelector{MatchLabels:map[string]string{"
                                          "scaledobject.keda.sh/name: worker,},}: unable to fetch metrics from "
                                          "external metrics API: rpc error: code = Unknown"}]}}, "E10"))
    facts.history.append(({"changes": [_rollout("keda", "keda-operator-metrics-apiserver",
                                                 FAILED_AT - timedelta(minutes=20), NEW_TOKEN, 3)]}, "E30"))
    facts.changes = {"changes": []}
    hub = Hub("external.metrics.k8s.io", ("keda", "keda-operator-metrics-apiserver"),
              ("keda", "keda-operator-metrics-apiserver"), log=KEDA_401, available=True)
    asyncio.run(api_server_of.read(Subject(namespace="jobs", names=["worker"]), facts, hub, _iso(AT)))
    assert ("k8s_logs", {"name": "keda-operator-metrics-apiserver-7d9f8c6b5-x2x4z", "namespace": "keda",
                         "tail": 300}) in hub.calls
    assert facts.logs == []  # kept apart: the server is no victim for the incident's other modules
    [(ref, found, evidence, _)] = api_server_of.suspects(facts)
    assert ref == Ref("Deployment", "keda", "keda-operator-metrics-apiserver")
    head = found["message"][:400]
    for words in ("external.metrics.k8s.io", "changed 6 h 20 min before", "PROMETHEUS_TOKEN_FILE",
                  "status: 401 response: Unauthorized"):
        assert words in head, (words, head)
    assert "Available=False" not in found["message"] and "E25" in evidence and "E30" in evidence


def test_a_healthy_unchanged_server_keeps_the_plain_finding() -> None:
    """Twin: nothing the server did or says: the chain is still named, but no change or error is claimed."""
    facts = Facts(at=AT, scan_id="E1", changes_id="E2")
    facts.scan = {"findings": [_hpa_finding("shop", "checkout", CLIPPED, "FailedGetResourceMetric")]}
    facts.changes = {"changes": []}
    hub = Hub("metrics.k8s.io", ("kube-system", "metrics-server"), ("kube-system", "metrics-server"), available=True)
    asyncio.run(api_server_of.read(Subject(namespace="shop", names=["checkout"]), facts, hub, _iso(AT)))
    [(_, found, _, _)] = api_server_of.suspects(facts)
    assert found["message"].startswith("Deployment kube-system/metrics-server serves metrics.k8s.io")
    assert not api_server_state.state_of(facts, Ref("Deployment", "kube-system", "metrics-server"), FAILED_AT).any()
