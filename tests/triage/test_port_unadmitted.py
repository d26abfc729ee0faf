"""agent.triage.port_unadmitted: an ingress allow-list written without a port its pods serve, a client timing out on it.

Shapes: a Kubernetes NetworkPolicy on a Ray head admitting 6379 and 8265 while a new Python worker's gRPC connects to
the head's pod IP on 10001 time out; a Calico NetworkPolicy on MinIO admitting only its console port 9001 while a
backup Job's curl times out on the Service host's port 9000. Twins: the port is admitted, the address is a pod the
policy does not select, the write is three days old, the client's connects are refused (a closed port).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import port_unadmitted as pu
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


class PodIPHub(RecordingHub):
    """Pods listed by `status.podIP` answer only the pod holding that IP, as the API server's field selector does."""

    def __init__(self, pod_ips: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pod_ips = pod_ips

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        selector = str(call.args.get("field_selector") or "")
        if call.tool == "k8s_list" and selector.startswith("status.podIP="):
            held = self.pod_ips.get(selector.split("=", 1)[1])
            rows = [{"name": held[1], "namespace": held[0]}] if held else []
            return outcome(True, {"rows": rows}, "", eid)
        return super().answer(call, eid)


def pod(ns: str, name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels}}


def written(kind: str, ns: str, name: str, hours: float) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(hours=hours)), "type": "created",
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": f"{kind} {ns}/{name} created",
            "diff": []}


def run(hub: RecordingHub, change: dict[str, Any], subject: Subject) -> Facts:
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    facts.history.append(({"changes": [change], "window": "7d"}, "C2"))
    asyncio.run(pu.read(subject, facts, hub, iso(AT)))
    return facts


def ray_hub(ports: list[int], line: str) -> PodIPHub:
    policy = {"kind": "NetworkPolicy", "metadata": {"name": "ray-head-lockdown", "namespace": "ml"},
              "spec": {"podSelector": {"matchLabels": {"ray.io/node-type": "head"}}, "policyTypes": ["Ingress"],
                       "ingress": [{"from": [{"podSelector": {}}],
                                    "ports": [{"protocol": "TCP", "port": p} for p in ports]}]}}
    head = pod("ml", "trainer-head-7bq2x", {"ray.io/node-type": "head", "ray.io/cluster": "trainer"})
    other = pod("ml", "feature-cache-0", {"app": "feature-cache"})
    worker = pod("ml", "trainer-worker-gpu-4kd8z", {"ray.io/node-type": "worker", "ray.io/cluster": "trainer"})
    return PodIPHub({"10.8.1.4": ("ml", "trainer-head-7bq2x"), "10.8.2.9": ("ml", "feature-cache-0")},
                    objects={("networkpolicies", "ml", "ray-head-lockdown"): policy,
                             ("Pod", "ml", "trainer-head-7bq2x"): head, ("Pod", "ml", "feature-cache-0"): other,
                             ("Pod", "ml", "trainer-worker-gpu-4kd8z"): worker,
                             ("Namespace", "", "ml"): {"kind": "Namespace", "metadata": {"name": "ml"}}},
                    lists={("networkpolicies", "ml"): [{"name": "ray-head-lockdown"}],
                           ("Pod", "ml"): [{"name": "trainer-worker-gpu-4kd8z", "created": iso(AT)},
                                           {"name": "trainer-head-7bq2x", "created": iso(AT - timedelta(days=9))}]},
                    logs={"trainer-worker-gpu-4kd8z": [
                        "INFO worker.py:1510 -- Connecting to existing Ray cluster at address: 10.8.1.4:6379",
                        line]})


RAY_TIMEOUT = ("E1120 09:12:44 grpc_client.py:88 failed to connect to all addresses; last error: UNAVAILABLE: "
               "ipv4:10.8.1.4:10001: Connection timed out")
RAY_SUBJECT = Subject(namespace="ml", names=["trainer"], from_labels={"trainer"})


def test_kubernetes_policy_leaves_out_the_port_a_new_worker_dials_on_the_head_ip() -> None:
    facts = run(ray_hub([6379, 8265], RAY_TIMEOUT), written("NetworkPolicy", "ml", "ray-head-lockdown", 20),
                RAY_SUBJECT)
    hits = pu.suspects(facts)
    assert len(hits) == 1
    ref, finding, _, explained = hits[0]
    assert (ref.kind, ref.name) == ("NetworkPolicy", "ray-head-lockdown")
    head = finding["message"][:300]
    assert "only on port(s) 6379, 8265, not 10001" in head and "trainer-worker-gpu-4kd8z" in head
    assert any(r.name == "trainer-head-7bq2x" for r in explained)


def test_twin_port_admitted_names_nothing() -> None:
    facts = run(ray_hub([6379, 8265, 10001], RAY_TIMEOUT), written("NetworkPolicy", "ml", "ray-head-lockdown", 20),
                RAY_SUBJECT)
    assert pu.suspects(facts) == []


def test_twin_address_outside_the_policy_names_nothing() -> None:
    line = RAY_TIMEOUT.replace("10.8.1.4", "10.8.2.9")
    facts = run(ray_hub([6379, 8265], line), written("NetworkPolicy", "ml", "ray-head-lockdown", 20), RAY_SUBJECT)
    assert pu.suspects(facts) == []


def test_twin_refused_connects_and_an_old_write_name_nothing() -> None:
    refused = "dial tcp 10.8.1.4:10001: connect: connection refused"
    assert pu.suspects(run(ray_hub([6379, 8265], refused), written("NetworkPolicy", "ml", "ray-head-lockdown", 20),
                           RAY_SUBJECT)) == []
    assert pu.suspects(run(ray_hub([6379, 8265], RAY_TIMEOUT),
                           written("NetworkPolicy", "ml", "ray-head-lockdown", 72), RAY_SUBJECT)) == []


def minio_hub(host: str) -> RecordingHub:
    policy = {"kind": "NetworkPolicy", "apiVersion": "crd.projectcalico.org/v1",
              "metadata": {"name": "object-store-ingress", "namespace": "storage"},
              "spec": {"selector": "app == 'minio'", "types": ["Ingress"],
                       "ingress": [{"action": "Allow", "protocol": "TCP", "destination": {"ports": [9001]}}]}}
    services = {("Service", "storage", "minio"): {"kind": "Service", "metadata": {"name": "minio"},
                                                 "spec": {"selector": {"app": "minio"}}},
                ("Service", "storage", "registry"): {"kind": "Service", "metadata": {"name": "registry"},
                                                    "spec": {"selector": {"app": "registry"}}}}
    backup = pod("storage", "nightly-backup-29391840-x8k2c", {"job-name": "nightly-backup-29391840"})
    return RecordingHub(
        objects={("networkpolicies.crd.projectcalico.org", "storage", "object-store-ingress"): policy, **services,
                 ("Pod", "storage", "nightly-backup-29391840-x8k2c"): backup},
        lists={("networkpolicies.crd.projectcalico.org", "storage"): [{"name": "object-store-ingress"}],
               ("Pod", "storage"): [{"name": "nightly-backup-29391840-x8k2c", "created": iso(AT)}]},
        logs={"nightly-backup-29391840-x8k2c": [
            "+ curl -fsS -T /dump/pg.tar.gz http://" + host + ":9000/backups/",
            f"curl: (28) Failed to connect to {host} port 9000 after 10002 ms: Connection timed out"]})


BACKUP_SUBJECT = Subject(namespace="storage", names=["nightly-backup"], from_labels={"nightly-backup"})


def test_calico_policy_leaves_out_the_api_port_a_backup_job_curls_by_service_host() -> None:
    facts = run(minio_hub("minio.storage"), written("NetworkPolicy", "storage", "object-store-ingress", 30),
                BACKUP_SUBJECT)
    hits = pu.suspects(facts)
    assert len(hits) == 1
    ref, finding, _, _ = hits[0]
    assert ref.name == "object-store-ingress"
    assert "only on port(s) 9001, not 9000" in finding["message"] and "Connection timed out" in finding["message"]


def test_twin_calico_policy_and_a_host_it_does_not_select() -> None:
    facts = run(minio_hub("registry.storage"), written("NetworkPolicy", "storage", "object-store-ingress", 30),
                BACKUP_SUBJECT)
    assert pu.suspects(facts) == []


def test_failed_connects_reads_addresses_not_stack_frames() -> None:
    text = ("java.io.IOException: Failed to fetch file from head.ml/10.0.0.5:7070\n"
            "\tat org.example.FileClient.download(FileClient.java:168)\n"
            "Caused by: java.net.SocketTimeoutException: Connect timed out")
    found = pu.failed_connects(text)
    assert [(ip, port) for ip, _, port, _ in found] == [("10.0.0.5", 7070)]
