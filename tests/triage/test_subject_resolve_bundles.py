"""The subject resolved from what an alert carries, end to end: a probe's URL and an exporter's queue name.

Bundles written by the corpus generator's own writer, replayed by the replay API server with Debian's
Prometheus, investigated blind in runbook-only mode and scored as `vigil eval` does. In both, the alert
names no workload, namespace or pod; only following its value through the cluster finds the culprit, and
a decoy elsewhere has a problem of its own:

- a blackbox probe fails for `https://tickets.example.net/health`: Ingress edge/tickets serves that host from
  Service boxoffice/ticket-web, whose pods exit at start (a variable their program requires is unset);
  cart-sync in namespace shop crash-loops too;
- RabbitMQ's exporter says queue `invoice-jobs` (vhost /billing) loses messages: messaging-topology Queue
  mq/invoices (spec.name invoice-jobs) had its `x-max-length` argument cut to 100 three hours before.
"""

from __future__ import annotations

import shutil
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
for where in (ROOT / "examples", ROOT / "benchmarks" / "peercases"):
    if str(where) not in sys.path:
        sys.path.insert(0, str(where))

from corpus import logs as L  # noqa: E402
from corpus.kit import Incident, P, ts  # noqa: E402
from scenarios import _deploy, _key, _start  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]


def _decoy(inc: Incident, ns: str, name: str) -> None:
    log = lambda p, s, e: L.lines([(s, f"{name} starting"),  # noqa: E731
                                   (s, "panic: runtime error: invalid memory address or nil pointer dereference")])
    _deploy(inc, ns, name, [P("crashloop", log=log, exit_code=2, run_s=lambda n: 1.0)])


def probe_url() -> Incident:
    """ticket-web exits at start (SESSION_SECRET unset); the alert is a blackbox probe of its public URL."""
    ns, name = "boxoffice", "ticket-web"
    inc = _start("probe-url-ingress", 693, ns, "", probe_url.__doc__ or "")
    log = lambda p, s, e: L.lines([(s, "ticket-web 2.8.1 starting"),  # noqa: E731
                                   (s, "Error: Config validation error: \"SESSION_SECRET\" is required")])
    _deploy(inc, ns, name, [P("crashloop", log=log, exit_code=1, run_s=lambda n: 0.4)] * 2)
    inc.service(ns, name, {"app": name})
    backend = {"service": {"name": name, "port": {"number": 80}}}
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "tickets", "namespace": ns},
             "spec": {"ingressClassName": "nginx", "rules": [{"host": "tickets.example.net", "http": {"paths": [{
                 "path": "/", "pathType": "Prefix", "backend": backend}]}}]},
             "status": {"loadBalancer": {"ingress": [{"hostname": "lb-3.elb.example.com"}]}}})
    _decoy(inc, "shop", "cart-sync")
    inc.alertmanager("BlackboxProbeFailed", {"instance": "https://tickets.example.net/health", "job": "blackbox"},
                     "Probe failed", "Probe of https://tickets.example.net/health failed.",
                     'probe_success{job="blackbox"} == 0', severity="critical", starts=inc.at + timedelta(minutes=3))
    return _key(inc, ("Deployment", ns, name), ["SESSION_SECRET", "required"],
                "ticket-web exits at start because SESSION_SECRET is unset.", "probe-url-crashloop")


def queue_limit() -> Incident:
    """Queue mq/invoices' x-max-length cut to 100; RabbitMQ's exporter names the queue by its broker name."""
    inc = _start("exporter-queue-cr", 694, "mq", "", queue_limit.__doc__ or "")
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": "queues.rabbitmq.com"},
             "spec": {"group": "rabbitmq.com", "scope": "Namespaced",
                      "names": {"kind": "Queue", "plural": "queues", "singular": "queue", "listKind": "QueueList"},
                      "versions": [{"name": "v1beta1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                          "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"conditions": [{"type": "Established", "status": "True", "reason": "InitialNamesAccepted"}]}})
    edit = inc.at - timedelta(hours=3)
    inc.add({"apiVersion": "rabbitmq.com/v1beta1", "kind": "Queue",
             "metadata": {"name": "invoices", "namespace": "mq", "generation": 4, "managedFields": [{
                 "manager": "kubectl-edit", "operation": "Update", "apiVersion": "rabbitmq.com/v1beta1",
                 "time": ts(edit), "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:spec": {"f:arguments": {"f:x-max-length": {}}}}}]},
             "spec": {"name": "invoice-jobs", "vhost": "/billing", "durable": True,
                      "arguments": {"x-max-length": 100, "x-overflow": "drop-head"},
                      "rabbitmqClusterReference": {"name": "rabbit"}},
             "status": {"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": ts(edit)}],
                        "observedGeneration": 4}})
    _decoy(inc, "shop", "cart-sync")
    inc.alertmanager("RabbitMQQueueMessagesDropped", {"namespace": "mq", "queue": "invoice-jobs",
                                                      "vhost": "/billing", "job": "rabbitmq-exporter"},
                     "Messages are dropped from a queue",
                     "Queue invoice-jobs in /billing dropped 4210 messages in 10m.",
                     "increase(rabbitmq_queue_messages_dropped_total[10m]) > 0", severity="critical",
                     starts=inc.at + timedelta(minutes=3))
    return _key(inc, ("Queue", "mq", "invoices"), ["x-max-length", "100"],
                "Queue invoices' x-max-length was cut to 100: the broker drops the oldest messages.",
                "queue-length-cut")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((probe_url, queue_limit), tmp_path_factory.mktemp("resolve"))


@pytest.mark.parametrize("bundle", ["probe-url-ingress", "exporter-queue-cr"])
def test_the_object_the_alerts_value_names_is_blamed(results: dict[str, object], bundle: str) -> None:
    row = results[bundle]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
