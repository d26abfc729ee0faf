"""What round 35 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and where the cause is a change outside the paged object, the bundle really carries the change,
its effect on names or traffic, and the victim's errors.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout35`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout35/test_heldout.py
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
    return heldout_built("heldout35")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _one(root: Path, kind: str, name: str) -> dict[str, Any]:
    return next(i for i in rc.bundle_items(root) if i["kind"] == kind and i["metadata"]["name"] == name)


def _logs(root: Path, ns: str, prefix: str) -> dict[str, str]:
    """Pod name -> its current logs, for the pods of `ns` whose name starts with `prefix`."""
    return {p.name: (p / "logs.txt").read_text() for p in sorted((root / "cluster" / ns).iterdir())
            if p.is_dir() and p.name.startswith(prefix) and (p / "logs.txt").exists()}


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def _incident(root: Path) -> str:
    return str(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])


def _last_change(obj: dict[str, Any]) -> str:
    return max(m["time"] for m in obj["metadata"]["managedFields"])


def _within_hour_before(stamp: str, incident: str) -> bool:
    return stamp < incident and stamp[:10] == incident[:10] and int(incident[11:13]) - int(stamp[11:13]) <= 1


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout35").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors_and_simple_share(built: Built) -> None:
    """Two chat questions (one naming only a workload, no namespace), PagerDuty, an SLO burn, a grouped
    notification of three alerts; three or four incidents are simple (the page names the culprit)."""
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
    namespaces = {k["culprit"]["namespace"] for k in keys.values()} | {"orders"}
    assert any("order-router" in q and not any(f" {ns}" in q for ns in namespaces if ns) for q in questions)
    assert 3 <= simple <= 4
    burn = json.loads((_bundle(built, "storefront-pages-failing-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "live-chat-disconnects-grouped") / "alerts" / "alertmanager.json").read_text())
    assert len(grouped["alerts"]) == 3
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 2


def test_dns_policy_default_sends_cluster_names_to_the_vpc_resolver(built: Built) -> None:
    """Only stock-sync's newest ReplicaSet sets dnsPolicy Default, and its pods fail lookups at the VPC
    resolver (10.0.0.2), not at the cluster DNS."""
    root = _bundle(built, "stock-sync-runs-failing")
    sets = sorted((r for r in _items(root, "inventory", "replicasets.json")
                   if r["metadata"]["ownerReferences"][0]["name"] == "stock-sync"),
                  key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
    assert [r["spec"]["template"]["spec"]["dnsPolicy"] for r in sets[-2:]] == ["ClusterFirst", "Default"]
    logs = "".join(_logs(root, "inventory", "stock-sync").values())
    assert "on 10.0.0.2:53: no such host" in logs and "172.20.0.10" not in logs


def test_samesite_and_arch_changes_are_in_the_new_revision(built: Built) -> None:
    """The two simple Deployment incidents: the newest ReplicaSet differs in exactly the named setting, and the
    victim shows the matching symptom (Authlib state mismatch; Pending with a node selector mismatch)."""
    root = _bundle(built, "account-login-callback-errors")
    sets = sorted((r for r in _items(root, "identity", "replicasets.json")
                   if r["metadata"]["ownerReferences"][0]["name"] == "account-bff"),
                  key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
    old, new = (_env(r["spec"]["template"]["spec"]["containers"][0]) for r in sets[-2:])
    assert (old["SESSION_COOKIE_SAMESITE"], new["SESSION_COOKIE_SAMESITE"]) == ("Lax", "Strict")
    assert "MismatchingStateException" in "".join(_logs(root, "identity", "account-bff").values())
    root = _bundle(built, "thumbnailer-replicas-pending")
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    assert {n["metadata"]["labels"]["kubernetes.io/arch"] for n in nodes} == {"amd64"}
    pending = [p for p in _items(root, "media", "pods.json") if p["status"]["phase"] == "Pending"]
    assert len(pending) == 2
    assert all(p["spec"]["nodeSelector"] == {"kubernetes.io/arch": "arm64"} for p in pending)


def test_custom_culprits_hold_the_setting_that_broke_traffic(built: Built) -> None:
    """The route, middleware, egress policy, DNS endpoint and admission policy hold the changed setting,
    changed by a person or tool within about the hour before the page; two are cluster-scoped."""
    cases = (("checkout-quotes-unimplemented", "GRPCRoute", "shipping-quotes",
              lambda o: o["spec"]["rules"][0]["matches"][0]["method"]["service"] == "shipping.v2.QuoteService"),
             ("basket-adds-dropped-page", "Middleware", "api-cors",
              lambda o: all(x.endswith("/") for x in o["spec"]["headers"]["accessControlAllowOriginList"])),
             ("partner-uploads-failing-page", "CiliumClusterwideNetworkPolicy", "baseline-egress",
              lambda o: "world" not in json.dumps(o["spec"]) and "::/0" not in json.dumps(o["spec"])
              and "0.0.0.0/0" in json.dumps(o["spec"])),
             ("psp-callbacks-absent", "DNSEndpoint", "psp-callbacks",
              lambda o: "eu-central-1" in o["spec"]["endpoints"][0]["targets"][0]),
             ("order-router-errors-question", "ClusterPolicy", "dns-ndots-tuning",
              lambda o: "ndots" in json.dumps(o["spec"])))
    for name, kind, obj_name, holds in cases:
        root = _bundle(built, name)
        obj = _one(root, kind, obj_name)
        assert holds(obj), name
        assert _within_hour_before(_last_change(obj), _incident(root)), name
    for name, kind, obj_name in (("partner-uploads-failing-page", "CiliumClusterwideNetworkPolicy", "baseline-egress"),
                                 ("order-router-errors-question", "ClusterPolicy", "dns-ndots-tuning")):
        assert "namespace" not in _one(_bundle(built, name), kind, obj_name)["metadata"]


def test_ndots_mutation_only_on_pods_created_after_the_policy(built: Built) -> None:
    """order-router's pods created after the ClusterPolicy carry ndots 1 and Kyverno's patch annotation and log
    musl's `Name does not resolve`; the older pods carry neither and keep working."""
    root = _bundle(built, "order-router-errors-question")
    created = _one(root, "ClusterPolicy", "dns-ndots-tuning")["metadata"]["creationTimestamp"]
    logs = _logs(root, "orders", "order-router")
    pods = [p for p in _items(root, "orders", "pods.json") if p["metadata"]["name"].startswith("order-router")]
    assert len(pods) == 4
    for pod in pods:
        after = pod["metadata"]["creationTimestamp"] > created
        mutated = pod["spec"].get("dnsConfig") == {"options": [{"name": "ndots", "value": "1"}]}
        assert mutated == after == ("Name does not resolve" in logs[pod["metadata"]["name"]])
    coredns = "".join(_logs(root, "kube-system", "coredns").values())
    assert '"A IN ledger.payments. udp' in coredns and "NXDOMAIN" in coredns


def test_host_question_only_the_windows_node_runs_a_broken_pod(built: Built) -> None:
    """The question's node alone is Windows; the only fluent-bit pod not running is there, pulling a Linux-only
    image; revision 1 selected Linux nodes, revision 2 tolerates everything and selects none."""
    root = _bundle(built, "win-node-pods-failing-question")
    question = (root / "alerts" / "question.txt").read_text()
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    windows = [n["metadata"]["name"] for n in nodes if n["metadata"]["labels"]["kubernetes.io/os"] == "windows"]
    assert len(windows) == 1 and windows[0] in question
    broken = [p for p in _items(root, "logging", "pods.json") if p["status"]["phase"] != "Running"]
    assert [p["spec"]["nodeName"] for p in broken] == windows
    events = " ".join(e["message"] for e in _items(root, "logging", "events.json"))
    assert "no match for platform in manifest" in events
    revisions = sorted((i for i in rc.bundle_items(root) if i["kind"] == "ControllerRevision"
                        and i["metadata"]["name"].startswith("fluent-bit-")), key=lambda r: r["revision"])
    specs = [r["data"]["spec"]["template"]["spec"] for r in revisions]
    assert specs[0]["nodeSelector"] == {"kubernetes.io/os": "linux"} and "tolerations" not in specs[0]
    assert specs[1]["tolerations"] == [{"operator": "Exists"}] and "nodeSelector" not in specs[1]


def test_edge_changes_and_their_effects(built: Built) -> None:
    """The ClusterMesh Service's affinity annotation was added by kubectl annotate before the burn and callers
    log peer-cluster addresses; the Ingress read timeout is below chat-gateway's ping interval and nginx cuts
    sockets at it; the CSP ConfigMap forbids other origins, rolled storefront-web, and reports name the API."""
    root = _bundle(built, "storefront-pages-failing-burn")
    svc = _one(root, "Service", "inventory")
    assert svc["metadata"]["annotations"]["service.cilium.io/affinity"] == "remote"
    assert svc["metadata"]["managedFields"][-1]["manager"] == "kubectl-annotate"
    assert _within_hour_before(_last_change(svc), _incident(root))
    assert '"upstream":"10.32.' in "".join(_logs(root, "web", "storefront").values())

    root = _bundle(built, "live-chat-disconnects-grouped")
    ing = _one(root, "Ingress", "support-realtime")
    gateway = next(d for d in _items(root, "support", "deployments.json") if d["metadata"]["name"] == "chat-gateway")
    ping = int(_env(gateway["spec"]["template"]["spec"]["containers"][0])["WS_PING_INTERVAL_SECS"])
    assert int(ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"]) < ping
    nginx = "".join(_logs(root, "ingress-nginx", "ingress-nginx-controller").values())
    assert '"GET /ws HTTP/1.1" 101' in nginx and " 60.001 " in nginx and "upstream timed out" in nginx

    root = _bundle(built, "checkout-starts-dropped")
    cm = _one(root, "ConfigMap", "storefront-headers")
    assert "connect-src 'self';" in cm["data"]["security-headers.conf"]
    edited = _last_change(cm)
    web = [p for p in _items(root, "web", "pods.json") if p["metadata"]["name"].startswith("storefront-web")]
    assert web and all(p["metadata"]["creationTimestamp"] > edited for p in web)
    reports = "".join(_logs(root, "web", "csp-collector").values())
    assert '"blocked-uri":"https://api.example.com' in reports
