"""The real kubectl against the replay API server prints what it would print for a cluster."""

from __future__ import annotations

import yaml

from mcp_servers.common.bundle import Bundle


def _crashing_pod(bundle: Bundle, namespace: str, reason: str) -> str:
    for pod in bundle.objects_of("Pod", namespace):
        state = pod["status"]["containerStatuses"][0]["state"]
        if state.get("waiting", {}).get("reason") == reason:
            return str(pod["metadata"]["name"])
    raise AssertionError(f"no {reason} pod in {namespace}")


def test_get_pods_all_namespaces_shows_server_side_columns(kubectl_for, bundles) -> None:
    out = kubectl_for("payments-bad-config")("get", "pods", "-A").stdout
    header = out.splitlines()[0].split()
    assert header == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    rows = [ln.split() for ln in out.splitlines()[1:]]
    assert len(rows) == len(bundles["payments-bad-config"].objects_of("Pod"))
    crashing = _crashing_pod(bundles["payments-bad-config"], "payments", "CrashLoopBackOff")
    row = next(r for r in rows if r[1] == crashing)
    assert row[0] == "payments" and row[2] == "0/1" and row[3] == "CrashLoopBackOff"
    assert row[4].isdigit() and int(row[4]) > 5 and row[5].startswith("(") and row[6] == "ago)"
    assert any(r[3] == "Running" and r[2] == "1/1" for r in rows)


def test_get_pod_yaml_round_trips_the_object(kubectl_for, bundles) -> None:
    pod = bundles["checkout-oom"].objects_of("Pod", "shop")[0]
    out = kubectl_for("checkout-oom")("get", "pod", "-n", "shop", pod["metadata"]["name"], "-o", "yaml").stdout
    parsed = yaml.safe_load(out)
    assert parsed["kind"] == "Pod" and parsed["apiVersion"] == "v1"
    assert parsed["metadata"]["uid"] == pod["metadata"]["uid"]
    assert parsed["status"]["containerStatuses"] == pod["status"]["containerStatuses"]


def test_describe_pod_shows_last_state_owner_and_events(kubectl_for, bundles) -> None:
    b = bundles["checkout-oom"]
    name = b.expected["key_evidence"][0]["args"]["name"]
    out = kubectl_for("checkout-oom")("describe", "pod", "-n", "shop", name).stdout
    assert f"Name:             {name}" in out
    assert "Controlled By:  ReplicaSet/checkout-" in out
    assert "Last State:     Terminated" in out and "OOMKilled" in out and "Exit Code:    137" in out
    assert "Warning  BackOff" in out
    assert "<set to the key 'password' in secret 'checkout-db'>" in out


def test_logs_previous_tail(kubectl_for, bundles) -> None:
    b = bundles["payments-bad-config"]
    name = _crashing_pod(b, "payments", "CrashLoopBackOff")
    out = kubectl_for("payments-bad-config")("logs", "-n", "payments", name, "--previous", "--tail=5").stdout
    lines = out.splitlines()
    assert len(lines) == 5
    assert lines[-1] == "ValueError: could not convert string to float: '5s'"
    full = kubectl_for("payments-bad-config")("logs", "-n", "payments", name, "--previous").stdout
    assert full.startswith("level=info") and "Traceback (most recent call last):" in full


def test_logs_of_a_pod_that_never_started_is_a_clear_error(kubectl_for, bundles) -> None:
    name = _crashing_pod(bundles["catalog-bad-image"], "shop", "ImagePullBackOff")
    result = kubectl_for("catalog-bad-image")("logs", "-n", "shop", name, ok=False)
    assert result.returncode != 0
    assert "is waiting to start" in result.stderr and "Back-off pulling image" in result.stderr


def test_get_events_all_namespaces(kubectl_for) -> None:
    out = kubectl_for("catalog-bad-image")("get", "events", "-A").stdout
    assert out.splitlines()[0].split()[:5] == ["NAMESPACE", "LAST", "SEEN", "TYPE", "REASON"]
    assert "Failed to pull image" in out and "ScalingReplicaSet" in out


def test_selectors_narrow_the_listing(kubectl_for, bundles) -> None:
    k = kubectl_for("checkout-oom")
    out = k("get", "pods", "-A", "-l", "app=checkout", "--no-headers").stdout
    assert len(out.splitlines()) == 3
    node = bundles["checkout-oom"].objects_of("Pod")[0]["spec"]["nodeName"]
    on_node = k("get", "pods", "-A", "--field-selector", f"spec.nodeName={node}", "--no-headers").stdout
    expected = [p for p in bundles["checkout-oom"].objects_of("Pod") if p["spec"]["nodeName"] == node]
    assert len(on_node.splitlines()) == len(expected)


def test_deployments_nodes_crds_and_top(kubectl_for) -> None:
    k = kubectl_for("catalog-bad-image")
    deploys = k("get", "deploy", "-n", "shop").stdout
    catalog = next(ln.split() for ln in deploys.splitlines() if ln.startswith("catalog "))
    assert catalog[1] == "2/3"
    assert "Ready" in k("get", "nodes").stdout
    assert "checkout" in k("get", "servicemonitors", "-A").stdout
    top = k("top", "pods", "-n", "shop").stdout
    assert top.splitlines()[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"]


def test_writes_are_refused_and_missing_objects_are_not_found(kubectl_for) -> None:
    k = kubectl_for("checkout-oom")
    deleted = k("delete", "namespace", "shop", ok=False)
    assert deleted.returncode != 0 and "MethodNotAllowed" in deleted.stderr and "read-only" in deleted.stderr
    missing = k("get", "pod", "-n", "shop", "nope", ok=False)
    assert missing.returncode != 0 and 'pods "nope" not found' in missing.stderr
    unknown = k("get", "widgets", ok=False)
    assert unknown.returncode != 0 and "widgets" in unknown.stderr
    assert "No resources found" in k("get", "jobs", "-A").stderr + k("get", "jobs", "-A").stdout


def test_endpoints_show_the_upstream_has_no_ready_pods(kubectl_for) -> None:
    k = kubectl_for("frontend-dependency-outage")
    listing = k("get", "endpoints", "-n", "web", "--no-headers").stdout
    rows = {ln.split()[0]: ln.split()[1] for ln in listing.splitlines()}
    assert rows["recommendations"] == "<none>" and rows["frontend"].endswith(":8080")
    described = k("describe", "service", "frontend", "-n", "web").stdout
    assert f"Endpoints:         {rows['frontend']}" in described


def test_logs_previous_tail_20_of_an_oom_killed_container(kubectl_for, bundles) -> None:
    b = bundles["checkout-oom"]
    name = b.expected["key_evidence"][0]["args"]["name"]
    out = kubectl_for("checkout-oom")("logs", name, "-n", "shop", "--previous", "--tail=20").stdout
    lines = out.splitlines()
    previous = (b.pod_log("shop", name, "checkout", previous=True) or "").splitlines()
    assert len(lines) == 20 and len(previous) > 20
    assert lines == [ln.split(" ", 1)[1] for ln in previous[-20:]]  # the timestamp prefix is stripped
    assert any("heap_mib=5" in ln for ln in lines)
