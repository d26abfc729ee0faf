"""What round 39 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and the bundle really carries the changed runtime or library setting, what the runtime logged
or measured because of it, and what the victim shows.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout39`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout39/test_heldout.py
"""

from __future__ import annotations

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
    return heldout_built("heldout39")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _one(root: Path, kind: str, name: str) -> dict[str, Any]:
    return next(i for i in rc.bundle_items(root) if i["kind"] == kind and i["metadata"]["name"] == name)


def _pods(root: Path, ns: str, prefix: str) -> list[dict[str, Any]]:
    return [p for p in _items(root, ns, "pods.json") if p["metadata"]["name"].startswith(prefix + "-")]


def _logs(root: Path, ns: str, prefix: str, previous: bool = False) -> str:
    """The current (or previous) logs of every pod of `ns` whose name starts with `prefix`, joined."""
    text = ""
    for p in sorted((root / "cluster" / ns).iterdir()):
        if p.is_dir() and p.name.startswith(prefix):
            files = sorted(p.glob("*.previous.txt")) if previous else [p / "logs.txt"]
            text += "".join(f.read_text() for f in files if f.exists())
    return text


def _incident(root: Path) -> str:
    return str(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])


def _last_change(obj: dict[str, Any]) -> str:
    return max(m["time"] for m in obj["metadata"]["managedFields"] if m["manager"] != "kube-controller-manager")


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


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout39").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors_and_simple_share(built: Built) -> None:
    """Two chat questions (one naming only billing-gateway, one only a node), two PagerDuty events, an SLO burn,
    a grouped notification of three alerts; three incidents are simple (the page names the culprit)."""
    bundles, answers = built
    keys = rc.keys(bundles, answers)
    questions, simple = [], 0
    for name, key in keys.items():
        root = answers.parent / "bundles" / name
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        if manifest.get("question"):
            questions.append(manifest["question"])
        said = " ".join((root / a).read_text() for a in manifest["alerts"]) + manifest.get("question", "")
        simple += key["culprit"]["name"] in said
    assert len(questions) == 2
    assert any("billing-gateway" in q and "namespace" not in q and " billing " not in q for q in questions)
    assert simple == 3
    assert rc.questions_naming_only_a_host(bundles, answers) == 1
    burn = json.loads((_bundle(built, "checkout-errors-budget-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "feed-builder-alerts-grouped") / "alerts" / "alertmanager.json").read_text())
    assert len(grouped["alerts"]) == 3
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 3


def test_custom_culprits_hold_the_changed_setting(built: Built) -> None:
    """The ClusterPolicy (cluster-scoped), Instrumentation and FeatureFlag hold the changed setting, changed in
    the day before the page and before the pods that show its effect were created."""
    root = _bundle(built, "order-pricing-latency-alert")
    policy = _one(root, "ClusterPolicy", "inject-jvm-defaults")
    assert "namespace" not in policy["metadata"]
    injected = json.dumps(policy["spec"])
    assert "-XX:ActiveProcessorCount=1" in injected and "JAVA_TOOL_OPTIONS" in injected
    pods = _pods(root, "orders", "order-pricing")
    assert pods and all(p["metadata"]["creationTimestamp"] > _last_change(policy) for p in pods)
    assert all("-XX:ActiveProcessorCount=1" in _env(p["spec"]["containers"][0]).get("JAVA_TOOL_OPTIONS", "")
               for p in pods)
    template = _one(root, "Deployment", "order-pricing")["spec"]["template"]["spec"]["containers"][0]
    assert "JAVA_TOOL_OPTIONS" not in _env(template)  # only the admission policy puts it there

    root = _bundle(built, "billing-gateway-traces-question")
    inst = _one(root, "Instrumentation", "java")
    assert inst["spec"]["java"]["image"].endswith(":2.10.0") and inst["spec"]["exporter"]["endpoint"].endswith(":4317")
    pods = _pods(root, "billing", "billing-gateway")
    assert pods and all(p["spec"]["initContainers"][0]["image"] == inst["spec"]["java"]["image"] for p in pods)
    assert all(p["metadata"]["creationTimestamp"] > _last_change(inst) for p in pods)

    root = _bundle(built, "product-pages-failing-page")
    flag = _one(root, "FeatureFlag", "catalog-flags")
    assert flag["spec"]["flagSpec"]["flags"]["product-response-cache"]["defaultVariant"] == "on"
    assert flag["metadata"]["managedFields"][-1]["manager"] == "kubectl-edit"
    assert _last_change(flag) < _incident(root)


def test_runtime_settings_show_in_the_runtime(built: Built) -> None:
    """The runtime's own wording and metrics follow each changed setting: Server GC pods OOMKilled; Alloy's GC
    cycles and CPU jump only on the node asked about; V8 killed by the kernel under a 3 GB heap ceiling; the
    JVM prints the injected options and picks Serial; OpenSearch's heap halves and its parent breaker trips."""
    root = _bundle(built, "invoice-api-oomkilled")
    old, new = (r["spec"]["template"]["spec"]["containers"][0] for r in _revisions(root, "billing", "invoice-api")[-2:])
    assert "DOTNET_gcServer" not in _env(old) and _env(new)["DOTNET_gcServer"] == "1"
    pods = _pods(root, "billing", "invoice-api")
    assert all(p["status"]["containerStatuses"][0]["lastState"]["terminated"]["reason"] == "OOMKilled" for p in pods)

    root = _bundle(built, "node-cpu-pegged-agent-question")
    question = (root / "alerts" / "question.txt").read_text()
    agents = _pods(root, "observability", "alloy")
    (hot,) = [p for p in agents if p["spec"]["nodeName"] in question]
    cycles = _metric(root, "go_gc_cycles_total_gc_cycles_total", pod=hot["metadata"]["name"])
    assert cycles[-1] - cycles[-2] > 100 * (cycles[1] - cycles[0])
    for cold in (p for p in agents if p is not hot):
        calm = _metric(root, "go_gc_cycles_total_gc_cycles_total", pod=cold["metadata"]["name"])
        assert calm[-1] - calm[-2] < 2 * (calm[1] - calm[0])
    ds = _one(root, "DaemonSet", "alloy")
    assert _env(ds["spec"]["template"]["spec"]["containers"][0]) == {"GOMEMLIMIT": "400MiB"}
    assert "cpu" not in ds["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]

    root = _bundle(built, "checkout-errors-budget-burn")
    cm = _one(root, "ConfigMap", "quote-engine-env")
    assert cm["data"]["NODE_OPTIONS"] == "--max-old-space-size=3072"
    assert cm["metadata"]["managedFields"][-1]["manager"] == "kubectl-edit"
    pods = _pods(root, "quotes", "quote-engine")
    assert all(p["spec"]["containers"][0]["resources"]["limits"]["memory"] == "1Gi" for p in pods)
    assert all(p["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 137 for p in pods)
    assert "heap out of memory" not in _logs(root, "quotes", "quote-engine", previous=True)

    root = _bundle(built, "order-pricing-latency-alert")
    jvm = _logs(root, "orders", "order-pricing")
    assert "Picked up JAVA_TOOL_OPTIONS: -XX:ActiveProcessorCount=1" in jvm and "[gc] Using Serial" in jvm

    root = _bundle(built, "search-requests-rejected")
    sts = _one(root, "StatefulSet", "opensearch")
    assert _env(sts["spec"]["template"]["spec"]["containers"][0])["OPENSEARCH_JAVA_OPTS"] == "-Xms2g -Xmx2g"
    revisions = sorted((i for i in rc.bundle_items(root) if i["kind"] == "ControllerRevision"),
                       key=lambda r: r["revision"])
    opts = [_env(r["data"]["spec"]["template"]["spec"]["containers"][0])["OPENSEARCH_JAVA_OPTS"] for r in revisions]
    assert opts == ["-Xms4g -Xmx4g", "-Xms2g -Xmx2g"]
    assert "[parent] Data too large" in _logs(root, "search", "opensearch")
    heap = _metric(root, "opensearch_jvm_mem_heap_max_bytes")
    assert heap[0] > 1.9 * heap[-1]


def test_library_defaults_show_at_the_boundary(built: Built) -> None:
    """Node 20's ::1 against a proxy on 127.0.0.1; Z against a -07:00 layout while the CronJob's runs succeed;
    OTLP over HTTP against the gRPC port; a gRPC request over 4194304 bytes after the batch size grew."""
    root = _bundle(built, "product-prices-missing-page")
    sets = _revisions(root, "shop", "price-api")
    assert [r["spec"]["template"]["spec"]["containers"][0]["image"].rsplit(":", 1)[1] for r in sets[-2:]] == [
        "3.4.2", "3.5.0"]
    logs = _logs(root, "shop", "price-api")
    assert "node v20.18.1" in logs and "connect ECONNREFUSED ::1:5432" in logs and "Listening on 127.0.0.1:5432" in logs

    root = _bundle(built, "fx-rates-stale-alert")
    cron = _one(root, "CronJob", "rates-publisher")
    assert cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":3.0.0")
    jobs = [i for i in rc.bundle_items(root) if i["kind"] == "Job" and i["metadata"]["name"].startswith("rates-pub")]
    assert len(jobs) == 3 and all(j["status"]["succeeded"] == 1 for j in jobs)
    assert 'cannot parse "Z" as "-07:00"' in _logs(root, "fx", "fx-quote")
    rejected = _metric(root, "fx_rates_snapshot_rejected_total")
    assert rejected[-1] > rejected[0] > 0  # rejecting since hours before the window began

    root = _bundle(built, "billing-gateway-traces-question")
    assert "Failed to export spans" in _logs(root, "billing", "billing-gateway")
    billing = _metric(root, "otelcol_receiver_accepted_spans_total", service_namespace="billing")
    shop = _metric(root, "otelcol_receiver_accepted_spans_total", service_namespace="shop")
    assert billing[-1] == billing[-2] and shop[-1] > shop[-2]

    root = _bundle(built, "feed-builder-alerts-grouped")
    old, new = (r["spec"]["template"]["spec"]["containers"][0] for r in _revisions(root, "merch", "feed-builder")[-2:])
    assert (_env(old)["FEED_BATCH_SIZE"], _env(new)["FEED_BATCH_SIZE"]) == ("800", "5000")
    assert "received message larger than max" in _logs(root, "merch", "feed-builder")


def test_environment_and_admission_defaults_reach_the_pods(built: Built) -> None:
    """The proxy variables arrive from the Secret (External Secrets) and Squid denies the in-cluster calls; the
    LimitRange's 1Gi default is on ledger-sync's pods, stamped by LimitRanger, under a 1536m fixed heap."""
    root = _bundle(built, "merch-search-errors-alert")
    sec = _one(root, "Secret", "merch-search-env")
    assert {"HTTP_PROXY", "HTTPS_PROXY"} <= set(sec["data"]) and "NO_PROXY" not in sec["data"]
    assert sec["metadata"]["managedFields"][-1]["manager"] == "external-secrets"
    assert "TCP_DENIED/403 3921 GET http://inventory.merch.svc" in _logs(root, "egress", "egress-proxy")
    assert "403 Client Error: Forbidden for url: http://inventory.merch" in _logs(root, "merch", "merch-search")

    root = _bundle(built, "ledger-sync-restarts-page")
    lr = _one(root, "LimitRange", "default-limits")
    assert lr["spec"]["limits"][0]["default"]["memory"] == "1Gi"
    template = _one(root, "Deployment", "ledger-sync")["spec"]["template"]["spec"]["containers"][0]
    assert "limits" not in template["resources"] and "-Xmx1536m" in _env(template)["JAVA_OPTS"]
    for pod in _pods(root, "payments", "ledger-sync"):
        assert pod["spec"]["containers"][0]["resources"]["limits"]["memory"] == "1Gi"
        assert "LimitRanger plugin set" in pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"]
        assert pod["metadata"]["creationTimestamp"] > lr["metadata"]["creationTimestamp"]
