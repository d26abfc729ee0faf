"""What round 32 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and where the cause is a change outside the paged object, the bundle really carries the
change, its effect on the managed service or egress path, and the victim's errors.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout32`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout32/test_heldout.py
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
    return heldout_built("heldout32")


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


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout32").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors_and_simple_share(built: Built) -> None:
    """The round's mix: two chat questions (one naming only a workload, no namespace), a PagerDuty event, an SLO
    burn, a grouped notification; about a third of the incidents are simple (the page names the culprit)."""
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
    namespaces = {k["culprit"]["namespace"] for k in keys.values()}
    assert any("session-api" in q and not any(f" {ns}" in q for ns in namespaces if ns) for q in questions)
    assert 3 <= simple <= 4
    burn = json.loads((_bundle(built, "card-captures-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"


def test_proxy_list_lost_cluster_domains_and_squid_denies_them(built: Built) -> None:
    """The ConfigMap's NO_PROXY no longer excludes in-cluster names, the victim's pods (created after the edit)
    read it through envFrom, and the egress proxy logs TCP_DENIED for an in-cluster host."""
    root = _bundle(built, "pick-lists-failing-page")
    cm = _one(root, "ConfigMap", "outbound-proxy-env")
    assert ".svc" not in cm["data"]["NO_PROXY"] and ".cluster.local" not in cm["data"]["NO_PROXY"]
    edited = max(m["time"] for m in cm["metadata"]["managedFields"])
    pods = _items(root, "fulfil", "pods.json")
    assert pods and all(p["metadata"]["creationTimestamp"] > edited for p in pods)
    assert all(p["spec"]["containers"][0]["envFrom"] == [{"configMapRef": {"name": "outbound-proxy-env"}}]
               for p in pods)
    squid = "".join(_logs(root, "platform", "egress-proxy").values())
    assert "TCP_DENIED/403" in squid and "svc.cluster.local" in squid


def test_managed_resource_culprits_carry_the_setting_that_broke_clients(built: Built) -> None:
    """The three cloud objects managed from the cluster hold the changed setting in spec and status, changed
    by a person or tool within the hour before the page; the RDS Instance is cluster-scoped."""
    cases = (("ledger-writes-failing", "Instance", "ledger-prod-pg",
              lambda o: o["spec"]["forProvider"]["caCertIdentifier"] == o["status"]["atProvider"]["caCertIdentifier"]
              == "rds-ca-ecc384-g1"),
             ("session-api-errors-question", "ReplicationGroup", "sessions-cache",
              lambda o: o["spec"]["transitEncryptionMode"] == o["status"]["transitEncryptionMode"] == "required"),
             ("invoice-dead-letters-rising", "Queue", "render-queue",
              lambda o: int(o["spec"]["visibilityTimeout"]) == 30))
    for name, kind, obj_name, holds in cases:
        root = _bundle(built, name)
        obj = _one(root, kind, obj_name)
        assert holds(obj), name
        incident = yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"]
        last = max(m["time"] for m in obj["metadata"]["managedFields"])
        assert last < incident and last[:10] == incident[:10], name
    assert "namespace" not in _one(_bundle(built, "ledger-writes-failing"), "Instance", "ledger-prod-pg")["metadata"]


def test_stopper_job_ran_on_the_cluster_the_victims_use(built: Built) -> None:
    """The CronJob's last run completed just before the page and its log names the cluster that orders-api's
    DATABASE_HOST points at; the grouped notification names neither the CronJob nor its namespace."""
    root = _bundle(built, "order-services-failing-grouped")
    job_log = "".join(_logs(root, "finops", "rds-office-hours-stop").values())
    assert "orders-prod-aurora\tstopping" in job_log
    api = next(d for d in _items(root, "orders", "deployments.json") if d["metadata"]["name"] == "orders-api")
    assert _env(api["spec"]["template"]["spec"]["containers"][0])["DATABASE_HOST"].startswith("orders-prod-aurora.")
    page = (root / "alerts" / "alertmanager.json").read_text()
    assert len(json.loads(page)["alerts"]) == 3
    assert "finops" not in page and "office-hours" not in page


def test_host_question_only_the_public_node_fails(built: Built) -> None:
    """The question's node alone is in a public subnet; only pods there log outbound timeouts, and aws-node's
    newest ControllerRevision turned external SNAT on (the older one had it off)."""
    root = _bundle(built, "edge-node-calls-timing-out-question")
    question = (root / "alerts" / "question.txt").read_text()
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    public = [n["metadata"]["name"] for n in nodes
              if n["metadata"]["labels"]["network.example.com/subnet-tier"] == "public"]
    assert len(public) == 1 and public[0] in question
    for ns, prefix in (("web", "link-preview"), ("shop", "shipping-rates")):
        where = {p["metadata"]["name"]: p["spec"]["nodeName"] for p in _items(root, ns, "pods.json")}
        for pod, text in _logs(root, ns, prefix).items():
            assert ("timed out" in text or "Timeout" in text) == (where[pod] == public[0]), pod
    revisions = sorted((i for i in rc.bundle_items(root) if i["kind"] == "ControllerRevision"
                        and i["metadata"]["name"].startswith("aws-node-")), key=lambda r: r["revision"])
    snat = [_env(r["data"]["spec"]["template"]["spec"]["containers"][0])["AWS_VPC_K8S_CNI_EXTERNALSNAT"]
            for r in revisions]
    assert snat == ["false", "true"]


def test_simple_incidents_show_the_change_in_the_new_revision(built: Built) -> None:
    """In the three simple incidents the newest ReplicaSet of the paged Deployment differs from the one before
    in exactly the setting the key names, and the victim's own logs carry the vendor's error."""
    cases = (("sms-sender-failures", "notify", "sms-sender", "TWILIO_REGION", "code=20003"),
             ("payout-api-errors", "treasury", "payout-api", "DB_AUTH_MODE", "PAM authentication failed"),
             ("notification-fanout-crashloop", "comms", "notification-fanout", "AWS_REGION",
              "Invalid parameter: TopicArn"))
    for bundle, ns, name, var, error in cases:
        root = _bundle(built, bundle)
        sets = sorted((r for r in _items(root, ns, "replicasets.json")
                       if r["metadata"]["ownerReferences"][0]["name"] == name),
                      key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
        old, new = (_env(r["spec"]["template"]["spec"]["containers"][0]) for r in sets[-2:])
        assert old.get(var) != new.get(var), bundle
        logs = "".join(_logs(root, ns, name).values())
        if not logs:  # a crash-looping pod: the error is in its previous instance's log
            logs = "".join(p.read_text() for p in (root / "cluster" / ns).glob(f"{name}-*/*.previous.txt"))
        assert error in logs, bundle
