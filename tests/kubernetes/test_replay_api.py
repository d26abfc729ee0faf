"""The replay API server speaks the Kubernetes REST API: discovery, lists, Tables, logs, errors;
checked over real HTTP and with the official `kubernetes` client."""

from __future__ import annotations

import httpx
import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


@pytest.fixture
def http(replays):  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=replays["payments-bad-config"].url, timeout=10) as c:
        yield c


def test_discovery(http: httpx.Client) -> None:
    assert http.get("/version").json()["gitVersion"] == "v1.30.4"
    assert http.get("/api").json()["versions"] == ["v1"]
    groups = {g["name"]: g for g in http.get("/apis").json()["groups"]}
    assert {"apps", "batch", "metrics.k8s.io", "monitoring.coreos.com", "apiextensions.k8s.io"} <= set(groups)
    core = {r["name"]: r for r in http.get("/api/v1").json()["resources"]}
    assert core["pods"]["namespaced"] and core["pods"]["shortNames"] == ["po"] and "pods/log" in core
    assert not core["nodes"]["namespaced"] and core["nodes"]["verbs"] == ["get", "list"]
    crd = http.get("/apis/monitoring.coreos.com/v1").json()["resources"]
    assert crd[0]["kind"] == "ServiceMonitor" and crd[0]["shortNames"] == ["smon"]
    assert http.get("/apis/apps").json()["preferredVersion"]["groupVersion"] == "apps/v1"


def test_lists_are_typed_and_page_with_continue(http: httpx.Client, bundles) -> None:
    total = len(bundles["payments-bad-config"].objects_of("Pod"))
    first = http.get("/api/v1/pods", params={"limit": 10}).json()
    assert first["kind"] == "PodList" and len(first["items"]) == 10
    assert first["metadata"]["remainingItemCount"] == total - 10
    names = [p["metadata"]["name"] for p in first["items"]]
    token = first["metadata"]["continue"]
    while token:
        page = http.get("/api/v1/pods", params={"limit": 10, "continue": token}).json()
        names += [p["metadata"]["name"] for p in page["items"]]
        token = page["metadata"].get("continue")
    assert len(names) == total == len(set(names))


def test_selectors_filter(http: httpx.Client) -> None:
    pods = http.get("/api/v1/namespaces/payments/pods", params={"labelSelector": "app in (payments),app!=ledger"})
    assert {p["metadata"]["labels"]["app"] for p in pods.json()["items"]} == {"payments"}
    waiting = http.get("/api/v1/pods", params={"fieldSelector": "status.phase=Running,metadata.namespace=payments"})
    assert all(p["status"]["phase"] == "Running" for p in waiting.json()["items"])
    bad = http.get("/api/v1/pods", params={"labelSelector": "app in (a"})
    assert bad.status_code == 400 and bad.json()["kind"] == "Status"


def test_table_for_kubectl_get(http: httpx.Client) -> None:
    table = http.get("/api/v1/namespaces/payments/pods", headers={"Accept": TABLE}).json()
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"][:5]] == ["Name", "Ready", "Status", "Restarts", "Age"]
    row = table["rows"][0]
    assert row["object"]["kind"] == "PartialObjectMetadata" and row["object"]["metadata"]["namespace"] == "payments"
    full = http.get("/apis/apps/v1/namespaces/payments/deployments", params={"includeObject": "Object"},
                    headers={"Accept": TABLE}).json()
    assert full["rows"][0]["object"]["kind"] == "Deployment"


def test_logs_tail_since_and_timestamps(http: httpx.Client, bundles) -> None:
    b = bundles["payments-bad-config"]
    pod = b.expected["key_evidence"][0]["args"]["name"]
    path = f"/api/v1/namespaces/payments/pods/{pod}/log"
    tail = http.get(path, params={"previous": "true", "tailLines": 3}).text.splitlines()
    assert len(tail) == 3 and tail[-1].startswith("ValueError")
    stamped = http.get(path, params={"tailLines": 1, "timestamps": "true"}).text
    assert stamped.startswith("2026-04-08T") and "ValueError" in stamped
    healthy = next(p for p in b.objects_of("Pod", "payments") if p["metadata"]["name"].startswith("ledger"))
    lpath = f"/api/v1/namespaces/payments/pods/{healthy['metadata']['name']}/log"
    everything = http.get(lpath).text.splitlines()
    recent = http.get(lpath, params={"sinceSeconds": 300}).text.splitlines()
    assert 0 < len(recent) < len(everything)
    none = http.get(lpath, params={"previous": "true"})
    assert none.status_code == 400 and "previous terminated container" in none.json()["message"]
    wrong = http.get(path, params={"container": "sidecar"})
    assert wrong.status_code == 400 and "not valid" in wrong.json()["message"]


def test_errors_are_status_objects(http: httpx.Client) -> None:
    missing = http.get("/api/v1/namespaces/payments/pods/nope")
    assert missing.status_code == 404
    assert missing.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                              "message": 'pods "nope" not found', "reason": "NotFound", "code": 404,
                              "details": {"name": "nope", "group": "", "kind": "pods"}}
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        answer = http.request(method, "/api/v1/namespaces/payments/pods/x")
        assert answer.status_code == 405 and answer.json()["reason"] == "MethodNotAllowed"
    watch = http.get("/api/v1/pods", params={"watch": "true"})
    assert watch.status_code == 405
    assert http.get("/api/v1/namespaces/payments/nodes").status_code == 404
    assert http.get("/apis/nope.example.com/v1").status_code == 404
    assert http.get("/openapi/v2").status_code == 404


def test_official_client_reads_the_bundle(replays, bundles) -> None:
    handle = replays["checkout-oom"]
    api_client = k8s_config.new_client_from_config(config_file=str(handle.kubeconfig))
    core, apps = k8s.CoreV1Api(api_client), k8s.AppsV1Api(api_client)
    pods = core.list_namespaced_pod("shop", label_selector="app=checkout")
    assert len(pods.items) == 3
    status = pods.items[0].status
    assert status is not None and status.container_statuses is not None
    terminated = status.container_statuses[0].last_state
    assert terminated is not None and terminated.terminated is not None
    assert terminated.terminated.reason == "OOMKilled"
    deploy = apps.read_namespaced_deployment("checkout", "shop")
    assert deploy.spec is not None and deploy.spec.template.spec is not None
    assert deploy.spec.template.spec.containers[0].image == bundles["checkout-oom"].expected["bad_image"]
    with pytest.raises(k8s.exceptions.ApiException) as info:
        core.read_namespaced_pod("nope", "shop")
    assert info.value.status == 404
    api_client.close()
