"""The bundle format: the four scenarios load cleanly and say what their tests rely on; broken
bundles are reported field by field instead of crashing."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from mcp_servers.common.bundle import Bundle, BundleError, LogKey, validate_bundle
from tests.kubernetes.conftest import INCIDENTS, SCENARIOS


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_validates_without_problems(name: str) -> None:
    assert validate_bundle(INCIDENTS / name) == []


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_has_the_promised_shape(name: str, bundles: dict[str, Bundle]) -> None:
    b = bundles[name]
    pods = b.objects_of("Pod")
    assert len(pods) >= 30
    assert len({p["metadata"]["namespace"] for p in pods}) >= 5
    assert {"kube-system", "monitoring", "ingress-nginx"} <= set(b.namespaces())
    assert b.objects_of("Secret"), "every bundle carries Secrets so leak tests have something to catch"
    assert b.captured_at > b.incident_time
    # every pod's owner chain resolves up to its controller
    for pod in pods:
        owner = pod["metadata"]["ownerReferences"][0]
        assert b.get(owner["kind"], pod["metadata"]["namespace"], owner["name"]) is not None
    culprit = b.expected["culprit"]
    assert b.get(culprit["kind"], culprit["namespace"], culprit["name"]) is not None
    sources = {a.source for a in b.alerts}
    assert "alertmanager" in sources
    am = next(a for a in b.alerts if a.source == "alertmanager").payload
    assert am["version"] == "4" and am["status"] == "firing" and am["alerts"][0]["startsAt"]


def test_rollout_history_is_recorded_in_replicasets(bundles: dict[str, Bundle]) -> None:
    b = bundles["checkout-oom"]
    expected = b.expected
    revisions = {}
    for rs in b.objects_of("ReplicaSet", "shop"):
        if rs["metadata"]["ownerReferences"][0]["name"] == "checkout":
            revision = int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
            revisions[revision] = rs["spec"]["template"]["spec"]["containers"][0]["image"]
    assert revisions[expected["bad_revision"]] == expected["bad_image"]
    assert revisions[expected["good_revision"]] == expected["good_image"]


def test_payments_trace_points_at_real_lines_of_the_bundled_code(bundles: dict[str, Bundle]) -> None:
    b = bundles["payments-bad-config"]
    pod = b.expected["key_evidence"][0]["args"]["name"]
    log = b.pod_log("payments", pod, "payments", previous=True)
    assert log and "ValueError: could not convert string to float: '5s'" in log
    frames = re.findall(r'File "/app/(\S+)", line (\d+), in (\S+)\n\S+ +(.+)', log)
    assert len(frames) == 4
    assert b.code_dir is not None and b.manifest.code and b.manifest.code.container_root == "/app"
    for path, line, _func, text in frames:
        source = (b.code_dir / path).read_text().splitlines()
        assert source[int(line) - 1].strip() == text.strip()
    assert b.expected["code"]["line"] == int(frames[-1][1])


def test_hostile_text_is_planted_in_a_log_and_an_annotation(bundles: dict[str, Bundle]) -> None:
    b = bundles["checkout-oom"]
    hostile = b.expected["hostile_text"]
    assert "ignore previous instructions" in hostile["text"]
    log = hostile["log"]
    assert hostile["text"] in (b.pod_log(log["namespace"], log["pod"], log["container"]) or "")
    annotated = [p for p in b.objects_of("Pod", "shop")
                 if (p["metadata"].get("annotations") or {}).get(hostile["pod_annotation"]["key"]) == hostile["text"]]
    assert annotated


def test_secret_canaries_are_in_the_bundle(bundles: dict[str, Bundle]) -> None:
    """The leak tests are only meaningful if the values really are there to leak."""
    b = bundles["checkout-oom"]
    values = {base64.b64decode(v).decode() for s in b.objects_of("Secret") for v in s["data"].values()}
    assert set(b.expected["secret_canaries"]) <= values


def test_pagerduty_payload_is_a_v3_incident_event(bundles: dict[str, Bundle]) -> None:
    pd = next(a for a in bundles["checkout-oom"].alerts if a.source == "pagerduty").payload
    assert pd["event"]["event_type"] == "incident.triggered"
    assert pd["event"]["data"]["type"] == "incident" and pd["event"]["data"]["title"]


def test_previous_and_current_logs_are_split_per_container(bundles: dict[str, Bundle]) -> None:
    b = bundles["checkout-oom"]
    key = next(k for k in b.logs if k.previous)
    assert LogKey(key.namespace, key.pod, key.container, False) in b.logs
    assert b.logs[key] != b.logs[LogKey(key.namespace, key.pod, key.container, False)]


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENARIOS)
def test_metrics_backfill_with_promtool(name: str, bundles: dict[str, Bundle], tmp_path: Path) -> None:
    path = bundles[name].metrics_path
    assert path is not None and path.stat().st_size < 6_000_000
    result = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(path), str(tmp_path / "db")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    text = path.read_text()
    for series in ("kube_pod_container_status_restarts_total", "container_memory_working_set_bytes",
                   "kube_pod_container_resource_limits", "kube_deployment_status_replicas_available",
                   "http_requests_total", "http_request_duration_seconds_bucket"):
        assert f"\n{series}{{" in text, series


# ---- broken bundles ----------------------------------------------------------------------

@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "bundle"
    shutil.copytree(INCIDENTS / "catalog-bad-image", target)
    return target


def _messages(root: Path) -> list[str]:
    return [str(p) for p in validate_bundle(root) if p.severity == "error"]


def test_missing_manifest_is_named(copy: Path) -> None:
    (copy / "manifest.yaml").unlink()
    assert any("manifest.yaml: missing" in m for m in _messages(copy))
    with pytest.raises(BundleError, match=r"manifest\.yaml"):
        Bundle.load(copy)


def test_bad_manifest_field_is_named(copy: Path) -> None:
    data = yaml.safe_load((copy / "manifest.yaml").read_text())
    data["incident_time"] = "yesterday-ish"
    data["surprise"] = 1
    (copy / "manifest.yaml").write_text(yaml.safe_dump(data))
    messages = _messages(copy)
    assert any(m.startswith("manifest.yaml: incident_time") for m in messages)
    assert any(m.startswith("manifest.yaml: surprise") for m in messages)


def test_unparseable_json_and_bad_objects_are_reported(copy: Path) -> None:
    (copy / "cluster" / "web" / "services.json").write_text("{not json")
    (copy / "extra" / "odd.yaml").write_text("kind: ConfigMap\napiVersion: v1\nmetadata: {}\n---\n- 1\n")
    messages = _messages(copy)
    assert any(m.startswith("cluster/web/services.json: cannot parse") for m in messages)
    assert any("ConfigMap without metadata.name" in m for m in messages)
    assert any("not an object" in m for m in messages)


def test_metrics_problems_are_found(copy: Path) -> None:
    path = copy / "metrics" / "metrics.om.txt"
    lines = path.read_text().splitlines()
    sample = next(i for i, ln in enumerate(lines) if ln.startswith("kube_deployment_spec_replicas{"))
    head, value, ts = lines[sample].rsplit(" ", 2)
    lines.insert(sample + 1, f"{head} {value} {int(ts) - 600}")
    path.write_text("\n".join(lines[:-1]) + "\n")  # also drop '# EOF'
    messages = _messages(copy)
    assert any("timestamp goes backwards" in m for m in messages)
    assert any("does not end with '# EOF'" in m for m in messages)


def test_alert_and_expected_problems_are_found(copy: Path) -> None:
    payload = json.loads((copy / "alerts" / "alertmanager.json").read_text())
    payload["version"] = "3"
    (copy / "alerts" / "alertmanager.json").write_text(json.dumps(payload))
    expected = yaml.safe_load((copy / "expected.yaml").read_text())
    expected["culprit"]["name"] = "no-such-deployment"
    (copy / "expected.yaml").write_text(yaml.safe_dump(expected))
    messages = _messages(copy)
    assert any("Vigil reads version 4" in m for m in messages)
    assert any("no-such-deployment is not in the cluster dump" in m for m in messages)


def test_logs_for_unknown_pods_and_containers_are_reported(copy: Path) -> None:
    pod_dir = next(p for p in (copy / "cluster" / "shop").iterdir() if p.is_dir())
    (pod_dir / "sidecar.previous.txt").write_text("x\n")
    ghost = copy / "cluster" / "shop" / "ghost-pod"
    ghost.mkdir()
    (ghost / "logs.txt").write_text("==== START logs for container app of pod shop/ghost-pod ====\nhi\n"
                                    "==== END logs for container app of pod shop/ghost-pod ====\n")
    messages = _messages(copy)
    assert any("ghost-pod/app: pod is not in the bundle" in m for m in messages)
    assert any("has no container 'sidecar'" in m for m in messages)


def test_not_a_directory() -> None:
    problems = validate_bundle(INCIDENTS / "does-not-exist")
    assert problems and "not a directory" in problems[0].message


def test_built_in_cluster_scoped_kinds_need_no_namespace_or_crd(copy: Path) -> None:
    """A kubelet's pending CertificateSigningRequest, an admission policy or a CSINode is cluster-scoped in
    Kubernetes itself: a bundle that carries one must validate without a CRD, while an unknown kind
    without a namespace is still refused (its scope cannot be known)."""
    (copy / "extra" / "cluster.yaml").write_text(
        "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata: {name: csr-8x2kq}\n"
        "spec: {signerName: kubernetes.io/kube-apiserver-client-kubelet, usages: [client auth]}\n"
        "---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n"
        "metadata: {name: require-owner}\n"
        "---\napiVersion: storage.k8s.io/v1\nkind: CSINode\nmetadata: {name: ip-10-0-3-22}\n")
    assert [m for m in _messages(copy) if "cluster.yaml" in m] == []
    (copy / "extra" / "odd.yaml").write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
    assert any("Widget" in m and "no metadata.namespace" in m for m in _messages(copy))
