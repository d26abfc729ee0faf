"""What round 25 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, the front doors and log formats are as varied as the brief asks, and where the cause sits outside
the paged object, the bundle really carries the trace of it.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout25`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout25/test_heldout.py
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout25")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, where: str) -> list[dict[str, Any]]:
    return list(json.loads((root / where).read_text())["items"])


def _manifest(root: Path) -> dict[str, Any]:
    return dict(yaml.safe_load((root / "manifest.yaml").read_text()))


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout25").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_at_least_four_culprits_sit_outside_the_paged_namespace(built: Built) -> None:
    """The culprit is cluster-scoped or in a namespace the alert or question never names, in four or more."""
    bundles, answers = built
    elsewhere = 0
    for name, key in rc.keys(bundles, answers).items():
        root = answers.parent / "bundles" / name
        said = " ".join(p.read_text() for p in (root / "alerts").iterdir())
        ns = key["culprit"]["namespace"]
        if not ns or (f'"{ns}"' not in said and f"{ns}/" not in said):
            elsewhere += 1
    assert elsewhere >= 4


def test_front_doors_are_the_ones_the_brief_asks_for(built: Built) -> None:
    """Two chat questions (one naming a workload and no namespace), a grouped notification, a PagerDuty v3
    event and an SLO burn."""
    bundles, _ = built
    questions, grouped, pagerduty, burns = [], 0, 0, 0
    for root in bundles:
        manifest = _manifest(root)
        if manifest.get("question"):
            questions.append((root, manifest["question"]))
        for alert_file in manifest["alerts"]:
            payload = json.loads((root / alert_file).read_text())
            if "event" in payload:
                assert payload["event"]["event_type"] == "incident.triggered"
                pagerduty += 1
                continue
            grouped += len(payload["alerts"]) > 1
            burns += any(a["labels"]["alertname"] == "ErrorBudgetBurn" for a in payload["alerts"])
    assert len(questions) >= 2 and grouped >= 1 and pagerduty >= 1 and burns >= 1
    workload_only = 0
    for root, question in questions:
        namespaces = {i["metadata"]["name"] for i in rc.bundle_items(root) if i["kind"] == "Namespace"}
        namespaces |= {p.name for p in (root / "cluster").iterdir() if p.is_dir()}
        workloads = {i["metadata"]["name"] for i in rc.bundle_items(root) if i["kind"] == "Deployment"}
        words = set(re.findall(r"[a-z0-9-]+", question.lower()))
        if words & workloads and not words & namespaces:
            workload_only += 1
    assert workload_only >= 1


def test_the_round_uses_at_least_four_log_formats(built: Built) -> None:
    """Envoy access logs, ingress-nginx access logs, logfmt and JSON lines, klog headers all appear somewhere."""
    bundles, _ = built
    text = "\n".join(p.read_text() for root in bundles for p in root.glob("cluster/*/*/logs.txt"))
    formats = {
        "envoy": re.search(r'\] "GET \S+ HTTP/1\.1" \d{3} (UT|RL|-) ', text),
        "nginx": re.search(r'\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "POST ', text),
        "logfmt": re.search(r'time=\S+ level=error msg="Failure in zone', text),
        "json": re.search(r'\{"ts":"[^"]+","level":"error"', text),
        "klog": re.search(r" I\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ server_linux\.go", text),
    }
    assert all(formats.values()), [k for k, v in formats.items() if not v]


def test_host_question_node_alone_is_in_the_new_pool(built: Built) -> None:
    """The question names one node: only that node carries the label pool-b selects, and the pod that logs the
    timeouts runs there with a pool-b address."""
    root = _bundle(built, "node-outbound-unreachable-question")
    question = _manifest(root)["question"]
    nodes = _items(root, "cluster/nodes.json")
    batch = [n["metadata"]["name"] for n in nodes if n["metadata"]["labels"].get("pool") == "batch"]
    assert len(batch) == 1 and batch[0] in question
    pools = {p["metadata"]["name"]: p["spec"] for p in _items(root, "extra/ippools.json")}
    assert pools["pool-b"]["natOutgoing"] is False and pools["default-ipv4-ippool"]["natOutgoing"] is True
    sender = [p for p in _items(root, "cluster/marketing/pods.json") if p["metadata"]["name"].startswith("newsletter")]
    assert [p["spec"]["nodeName"] for p in sender] == batch
    assert sender[0]["metadata"]["annotations"]["cni.projectcalico.org/ipv4pools"] == '["pool-b"]'


def test_coredns_crash_loops_on_its_own_forwarding_loop(built: Built) -> None:
    """The Corefile forwards to the node-local cache and both CoreDNS pods die with the loop plugin's message."""
    root = _bundle(built, "name-lookups-failing-grouped")
    corefile = next(c for c in _items(root, "extra/configmaps.json")
                    if c["metadata"]["name"] == "coredns")["data"]["Corefile"]
    assert "forward . 169.254.20.10" in corefile
    pods = [p for p in _items(root, "cluster/kube-system/pods.json") if p["metadata"]["name"].startswith("coredns-")]
    assert len(pods) == 2
    for pod in pods:
        assert pod["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "CrashLoopBackOff"
        log = (root / "cluster" / "kube-system" / pod["metadata"]["name"] / "logs.txt").read_text()
        assert "plugin/loop: Loop" in log


def test_proxy_protocol_is_on_at_the_load_balancer_only(built: Built) -> None:
    """The Service asks the NLB for PROXY protocol; the controller's ConfigMap never enables it; nginx logs 400s
    on requests that start with the PROXY header."""
    root = _bundle(built, "storefront-bad-requests-page")
    svc = next(s for s in _items(root, "cluster/ingress-nginx/services.json")
               if s["metadata"]["name"] == "ingress-nginx-controller")
    assert svc["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-proxy-protocol"] == "*"
    config = next(c for c in _items(root, "extra/configmaps.json")
                  if c["metadata"]["name"] == "ingress-nginx-controller")
    assert "use-proxy-protocol" not in config["data"]
    logs = "".join(p.read_text() for p in root.glob("cluster/ingress-nginx/*/logs.txt"))
    assert re.search(r'"PROXY TCP4 [\d.]+ [\d.]+ \d+ 80" 400 ', logs)
