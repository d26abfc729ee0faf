"""What round 40 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and the bundle really carries the network change, what it did to the data path's telemetry,
and what the hurt application shows.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout40`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout40/test_heldout.py
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout40")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _one(root: Path, kind: str, name: str, ns: str | None = None) -> dict[str, Any]:
    return next(i for i in rc.bundle_items(root) if i["kind"] == kind and i["metadata"]["name"] == name
                and (ns is None or i["metadata"].get("namespace", "") == ns))


def _logs(root: Path, ns: str, prefix: str) -> dict[str, str]:
    """Pod name -> its current logs, for the pods of `ns` whose name starts with `prefix`."""
    return {p.name: (p / "logs.txt").read_text() for p in sorted((root / "cluster" / ns).iterdir())
            if p.is_dir() and p.name.startswith(prefix) and (p / "logs.txt").exists()}


def _incident(root: Path) -> str:
    return str(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])


def _last_change(obj: dict[str, Any]) -> str:
    return max(m["time"] for m in obj["metadata"]["managedFields"])


def _within_hour_before(stamp: str, incident: str) -> bool:
    return stamp < incident and stamp[:10] == incident[:10] and int(incident[11:13]) - int(stamp[11:13]) <= 1


def _metric(root: Path, name: str, **labels: str) -> list[float]:
    """The samples (in file order) of the series named `name` whose labels include `labels`."""
    values = []
    for line in (root / "metrics" / "metrics.om.txt").read_text().splitlines():
        if not line.startswith(name + "{"):
            continue
        head, value, _ = line.rsplit(" ", 2)
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            values.append(float(value))
    return values


def _revisions(root: Path, ns: str, deployment: str) -> list[dict[str, Any]]:
    return sorted((r for r in _items(root, ns, "replicasets.json")
                   if r["metadata"]["ownerReferences"][0]["name"] == deployment),
                  key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))


def _env(rs: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in rs["spec"]["template"]["spec"]["containers"][0].get("env", [])}


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout40").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors(built: Built) -> None:
    """Two chat questions (one naming only a workload, no namespace); three PagerDuty events; an SLO burn; a
    grouped notification of three alerts; query-router and ingress-nginx-controller pages name their culprit."""
    bundles, answers = built
    keys = rc.keys(bundles, answers)
    questions, named = [], set()
    for name, key in keys.items():
        root = answers.parent / "bundles" / name
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        if manifest.get("question"):
            questions.append(manifest["question"])
        said = " ".join((root / a).read_text() for a in manifest["alerts"]) + manifest.get("question", "")
        if key["culprit"]["name"] in said:
            named.add(name)
    assert len(questions) == 2
    assert any("storefront-web" in q and " storefront " not in f" {q} " and "namespace" not in q for q in questions)
    assert named == {"query-router-unavailable-alert", "public-api-probe-failures"}
    burn = json.loads((_bundle(built, "ratings-latency-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "log-forwarding-alerts-grouped") / "alerts" / "alertmanager.json").read_text())
    assert len(grouped["alerts"]) == 3
    assert len({a["labels"]["instance"] for a in grouped["alerts"]}) == 3
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 3


def test_custom_culprits_hold_the_changed_setting(built: Built) -> None:
    """IngressClassParams (cluster-scoped), ENIConfig (cluster-scoped) and TargetGroupBinding hold the changed
    setting, changed within about the hour before the page."""
    cases = (("storefront-502-question", "IngressClassParams", "alb-public",
              lambda o: {"key": "idle_timeout.timeout_seconds", "value": "600"} in o["spec"]["loadBalancerAttributes"]),
             ("order-api-replicas-mismatch", "ENIConfig", "eu-west-1b",
              lambda o: o["spec"]["subnet"] == "subnet-0f3c7d29b1e6a8c54"),
             ("partner-api-not-found-alert", "TargetGroupBinding", "partners-api-ip",
              lambda o: o["spec"]["serviceRef"]["port"] == 9000))
    for name, kind, obj_name, holds in cases:
        root = _bundle(built, name)
        obj = _one(root, kind, obj_name)
        assert holds(obj), name
        assert _within_hour_before(_last_change(obj), _incident(root)), name
    for name, kind, obj_name in (("storefront-502-question", "IngressClassParams", "alb-public"),
                                 ("order-api-replicas-mismatch", "ENIConfig", "eu-west-1b")):
        assert "namespace" not in _one(_bundle(built, name), kind, obj_name)["metadata"]


def test_load_balancer_effects(built: Built) -> None:
    """The ALB itself answers 502 while targets send no 5xx and storefront-web keeps a 65 s keep-alive; the NLB
    counts four healthy hosts for two ingress pods after the health check turned TCP under ETP Local; the
    TargetGroupBinding's port is the Service's management port and the app's counter stops."""
    root = _bundle(built, "storefront-502-question")
    assert _metric(root, "aws_applicationelb_httpcode_elb_502_count_sum")[-1] > 100
    assert max(_metric(root, "aws_applicationelb_httpcode_target_5_xx_count_sum")) == 0
    web = _one(root, "Deployment", "storefront-web")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "KEEP_ALIVE_TIMEOUT_MS", "value": "65000"} in web
    assert all('"statusCode":200' in t for t in _logs(root, "storefront", "storefront-web").values())

    root = _bundle(built, "public-api-probe-failures")
    svc = _one(root, "Service", "ingress-nginx-controller", "ingress-nginx")
    assert svc["spec"]["externalTrafficPolicy"] == "Local"
    assert svc["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol"] == "tcp"
    assert _within_hour_before(_last_change(svc), _incident(root))
    healthy = _metric(root, "aws_networkelb_healthy_host_count_average")
    pods = {p["spec"]["nodeName"] for p in _items(root, "ingress-nginx", "pods.json")}
    assert healthy[0] == len(pods) < healthy[-1] == 4

    root = _bundle(built, "partner-api-not-found-alert")
    ports = {p["port"]: p["name"] for p in _one(root, "Service", "partner-api")["spec"]["ports"]}
    assert ports[9000] == "management"
    counts = _metric(root, "http_server_requests_seconds_count", uri="/v1/orders")
    assert counts[-1] == counts[-2] > 0
    assert '"Port":9000' in "".join(_logs(root, "kube-system", "aws-load-balancer-controller").values())


def test_connection_reuse_and_keepalive(built: Built) -> None:
    """product-page's revision 7 left the headless round_robin target and only two ratings pods take RPCs;
    query-router's revision 12 adds a 10 s keepalive and index-shard refuses the pings."""
    root = _bundle(built, "ratings-latency-burn")
    old, new = (_env(r) for r in _revisions(root, "reviews", "product-page")[-2:])
    assert old["GRPC_LB_POLICY"] == "round_robin" and old["RATINGS_ADDR"].startswith("dns:///ratings-headless")
    assert "GRPC_LB_POLICY" not in new and new["RATINGS_ADDR"].startswith("ratings.reviews.svc")
    busy = [p["metadata"]["name"] for p in _items(root, "reviews", "pods.json")
            if p["metadata"]["name"].startswith("ratings-")
            and (lambda v: v[-1] > v[-2])(_metric(root, "grpc_server_handled_total", pod=p["metadata"]["name"]))]
    assert len(busy) == 2
    assert _one(root, "HorizontalPodAutoscaler", "ratings")["status"]["currentReplicas"] == 6

    root = _bundle(built, "query-router-unavailable-alert")
    old, new = (_env(r) for r in _revisions(root, "search", "query-router")[-2:])
    assert "GRPC_KEEPALIVE_TIME" not in old and new["GRPC_KEEPALIVE_TIME"] == "10s"
    assert "too_many_pings" in "".join(_logs(root, "search", "query-router").values())
    assert "Got too many pings from the client" in "".join(_logs(root, "search", "index-shard").values())


def test_addressing_and_packet_size(built: Built) -> None:
    """order-api's pods on the 1b node wait for an IP and aws-node there logs the subnet error; the WireGuard
    Secret says MTU 1500 and wg-gateway's restart applied it; the egress policy allows only the Service CIDR."""
    root = _bundle(built, "order-api-replicas-mismatch")
    pods = [p for p in _items(root, "orders", "pods.json") if p["metadata"]["name"].startswith("order-api")]
    waiting = [p for p in pods if p["status"]["phase"] == "Pending"]
    assert len(waiting) == 4 and len({p["spec"]["nodeName"] for p in waiting}) == 1
    assert "InsufficientFreeAddressesInSubnet" in "".join(_logs(root, "kube-system", "aws-node").values())
    reasons = {e["reason"] for e in _items(root, "orders", "events.json")}
    assert "FailedCreatePodSandBox" in reasons

    root = _bundle(built, "ledger-export-hanging-page")
    conf = base64.b64decode(_one(root, "Secret", "wg-onprem")["data"]["wg0.conf"]).decode()
    assert "MTU = 1500" in conf
    assert "ip link set mtu 1500 up dev wg0" in "".join(_logs(root, "netops", "wg-gateway").values())
    assert "could not receive data from server" in "".join(_logs(root, "finance", "ledger-export").values())

    root = _bundle(built, "invoice-api-billing-timeouts-page")
    pol = _one(root, "NetworkPolicy", "invoice-api-egress")
    assert {"ipBlock": {"cidr": "172.20.0.0/16"}} in pol["spec"]["egress"][1]["to"]
    cluster_ip = _one(root, "Service", "legacy-billing", "legacy")["spec"]["clusterIP"]
    assert cluster_ip.startswith("172.20.")
    assert "Connection timed out" in "".join(_logs(root, "billing", "invoice-api").values())


def test_node_and_nat_paths(built: Built) -> None:
    """kube-proxy restarted into nftables and every fluent-bit pod is refused at 127.0.0.1:30224; only the pods
    of statement-builder on ledger-api's nodes time out; the NAT gateway's port errors follow the sync job's run;
    only the question's node runs node-tuning revision 2 with the 300 s conntrack timeout."""
    root = _bundle(built, "log-forwarding-alerts-grouped")
    assert "mode: nftables" in _one(root, "ConfigMap", "kube-proxy-config")["data"]["config"]
    assert all("Using nftables Proxier" in t for t in _logs(root, "kube-system", "kube-proxy").values())
    fb = _logs(root, "logging", "fluent-bit")
    assert len(fb) == 4 and all("127.0.0.1:30224 (Connection refused)" in t for t in fb.values())

    root = _bundle(built, "statement-builder-timeouts-page")
    ledger_nodes = {p["spec"]["nodeName"] for p in _items(root, "ledger", "pods.json")
                    if p["metadata"]["name"].startswith("ledger-api")}
    logs = _logs(root, "statements", "statement-builder")
    for p in _items(root, "statements", "pods.json"):
        assert ("i/o timeout" in logs[p["metadata"]["name"]]) == (p["spec"]["nodeName"] in ledger_nodes)

    root = _bundle(built, "supplier-orders-connect-timeouts")
    job = _one(root, "Job", "supplier-image-sync-29411820")
    errors = _metric(root, "aws_natgateway_error_port_allocation_sum")
    assert errors[0] == 0 and errors[-1] > 1000 and job["status"]["startTime"] < _incident(root)
    assert "Starting new HTTPS connection (1)" in "".join(_logs(root, "catalog", "supplier-image-sync").values())

    root = _bundle(built, "node-db-resets-question")
    question = (root / "alerts" / "question.txt").read_text()
    (tuner,) = [p for p in _items(root, "kube-system", "pods.json") if p["metadata"]["name"].startswith("node-tuning")]
    assert tuner["spec"]["nodeName"] in question
    revisions = sorted((i for i in rc.bundle_items(root) if i["kind"] == "ControllerRevision"
                        and i["metadata"]["name"].startswith("node-tuning-")), key=lambda r: r["revision"])
    scripts = [r["data"]["spec"]["template"]["spec"]["containers"][0]["command"][2] for r in revisions]
    assert "nf_conntrack_tcp_timeout_established" not in scripts[0] and "=300" in scripts[1]
    assert tuner["metadata"]["labels"]["controller-revision-hash"] == revisions[-1]["metadata"]["name"].rsplit("-")[-1]
    entries = _metric(root, "node_nf_conntrack_entries", instance=tuner["spec"]["nodeName"])
    assert entries[-1] < entries[0] / 2
