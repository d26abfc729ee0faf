"""What round 37 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and where the cause is a change to an identity, a secret or a policy, the bundle really carries
the change, its effect on the workloads it governs, and the victims' errors.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout37`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout37/test_heldout.py
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
    return heldout_built("heldout37")


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


def _pods(root: Path, ns: str, prefix: str) -> list[dict[str, Any]]:
    return [p for p in _items(root, ns, "pods.json") if p["metadata"]["name"].startswith(prefix)]


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def _incident(root: Path) -> str:
    return str(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])


def _last_change(obj: dict[str, Any]) -> str:
    return max(m["time"] for m in obj["metadata"]["managedFields"] if not m.get("subresource"))


def _within_hour_before(stamp: str, incident: str) -> bool:
    return stamp < incident and stamp[:10] == incident[:10] and int(incident[11:13]) - int(stamp[11:13]) <= 1


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout37").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors_and_simple_share(built: Built) -> None:
    """Two chat questions (one naming only a workload, no namespace), two PagerDuty events, an SLO burn, a
    grouped notification of three alerts; three or four incidents are simple (the page names the culprit)."""
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
    assert any("edge-cache" in q and " cdn" not in q for q in questions)
    assert 3 <= simple <= 4
    burn = json.loads((_bundle(built, "intranet-login-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "payment-callers-tls-grouped") / "alerts" / "alertmanager.json").read_text())
    assert len(grouped["alerts"]) == 3
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 2


def test_workload_identity_wiring_is_what_changed(built: Built) -> None:
    """media-ingest: only the older ReplicaSet's pod template carries the Azure workload-identity label, and
    the new pods fail in WorkloadIdentityCredential; statement-archiver: the pods created after the
    ServiceAccount's annotation carry the role the webhook injected from it, and STS refuses it."""
    root = _bundle(built, "media-ingest-uploads-failing")
    sets = sorted(_items(root, "media", "replicasets.json"),
                  key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
    sets = [r for r in sets if r["metadata"]["ownerReferences"][0]["name"] == "media-ingest"]
    labelled = ["azure.workload.identity/use" in r["spec"]["template"]["metadata"]["labels"] for r in sets]
    assert labelled == [True, False]
    deploy = next(d for d in _items(root, "media", "deployments.json") if d["metadata"]["name"] == "media-ingest")
    assert deploy["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    logs = "".join(_logs(root, "media", "media-ingest").values())
    assert "WorkloadIdentityCredential authentication unavailable" in logs

    root = _bundle(built, "statement-archive-stalled-page")
    sa = _one(root, "ServiceAccount", "s3-writer")
    assert sa["metadata"]["managedFields"][-1]["manager"] == "kubectl-annotate"
    changed_at = _last_change(sa)
    assert _within_hour_before(changed_at, _incident(root))
    for pod in _pods(root, "archive", "statement-archiver"):
        assert pod["metadata"]["creationTimestamp"] > changed_at
        assert _env(pod["spec"]["containers"][0])["AWS_ROLE_ARN"] == \
            sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert "Not authorized to perform sts:AssumeRoleWithWebIdentity" in "".join(
        _logs(root, "archive", "statement-archiver").values())


def test_trust_changes_and_their_effects(built: Built) -> None:
    """The cluster-scoped Bundle lists only the new root, changed before the grouped page, while the server's
    certificate comes from the 2023 issuer; all three callers fail PKIX; invoice-sender's newest revision
    alone sets REQUESTS_CA_BUNDLE and its public calls fail verification."""
    root = _bundle(built, "payment-callers-tls-grouped")
    bundle = _one(root, "Bundle", "acme-internal-roots")
    assert "namespace" not in bundle["metadata"]
    assert "2023" not in json.dumps(bundle["spec"]["sources"]) and "2026" in json.dumps(bundle["spec"]["sources"])
    assert _within_hour_before(_last_change(bundle), _incident(root))
    assert "2023" in _one(root, "Certificate", "payments-api-tls")["spec"]["issuerRef"]["name"]
    for ns, app in (("checkout", "checkout-api"), ("refunds", "refund-worker"), ("payouts", "payout-engine")):
        assert "PKIX path building failed" in "".join(_logs(root, ns, app).values()), app

    root = _bundle(built, "invoice-sender-errors")
    sets = sorted((r for r in _items(root, "invoicing", "replicasets.json")
                   if r["metadata"]["ownerReferences"][0]["name"] == "invoice-sender"),
                  key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
    bundles_set = ["REQUESTS_CA_BUNDLE" in _env(r["spec"]["template"]["spec"]["containers"][0]) for r in sets]
    assert bundles_set == [False, True]
    assert "CERTIFICATE_VERIFY_FAILED" in "".join(_logs(root, "invoicing", "invoice-sender").values())


def test_admission_policies_refuse_or_mutate_only_new_pods(built: Built) -> None:
    """The reconcile namespace's enforce label was raised by kubectl label and the Job's pods are refused by
    PodSecurity; the Assign covers the cdn namespace and exactly the edge-cache pods created after its change
    carry the seccomp mutation and crash on io_uring."""
    root = _bundle(built, "reconcile-jobs-not-running")
    ns = _one(root, "Namespace", "reconcile")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert ns["metadata"]["managedFields"][-1]["manager"] == "kubectl-label"
    events = " ".join(e["message"] for e in _items(root, "reconcile", "events.json"))
    assert 'violates PodSecurity "restricted:latest"' in events

    root = _bundle(built, "edge-cache-crashloop-question")
    assign = _one(root, "Assign", "default-seccomp-runtime")
    assert "namespace" not in assign["metadata"]
    assert "cdn" not in assign["spec"]["match"]["excludedNamespaces"]
    assert assign["spec"]["parameters"]["assign"]["value"] == {"type": "RuntimeDefault"}
    changed_at = _last_change(assign)
    assert _within_hour_before(changed_at, _incident(root))
    logs = _logs(root, "cdn", "edge-cache")
    pods = _pods(root, "cdn", "edge-cache")
    assert len(pods) == 4
    for pod in pods:
        after = pod["metadata"]["creationTimestamp"] > changed_at
        mutated = pod["spec"].get("securityContext", {}).get("seccompProfile") == {"type": "RuntimeDefault"}
        assert mutated == after == ("io_uring" in logs[pod["metadata"]["name"]] and
                                    "os error 1" in logs[pod["metadata"]["name"]])


def test_host_question_node_has_no_apparmor_loader(built: Built) -> None:
    """The question's node alone is tainted and runs no apparmor-loader pod; the loader's revision 2 dropped
    the catch-all toleration; the only failing pods are there, refused by runc's AppArmor step."""
    root = _bundle(built, "node-pods-stuck-host-question")
    question = (root / "alerts" / "question.txt").read_text()
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    tainted = [n["metadata"]["name"] for n in nodes if n["spec"].get("taints")]
    assert len(tainted) == 1 and tainted[0] in question
    loaders = {p["spec"]["nodeName"] for p in _pods(root, "kube-system", "apparmor-loader")}
    assert loaders == {n["metadata"]["name"] for n in nodes} - set(tainted)
    revisions = sorted((i for i in rc.bundle_items(root) if i["kind"] == "ControllerRevision"
                        and i["metadata"]["name"].startswith("apparmor-loader-")), key=lambda r: r["revision"])
    tolerations = [r["data"]["spec"]["template"]["spec"]["tolerations"] for r in revisions]
    assert tolerations[0] == [{"operator": "Exists"}] and {"operator": "Exists"} not in tolerations[1]
    broken = [p for p in _items(root, "ingest", "pods.json") if p["status"]["phase"] != "Running"]
    assert broken and {p["spec"]["nodeName"] for p in broken} == set(tainted)
    assert all("apparmor failed to apply profile" in p["status"]["containerStatuses"][0]["state"]["waiting"]
               ["message"] for p in broken)


def test_secret_rotations_reach_the_victims(built: Built) -> None:
    """VSO rewrote orders-db-creds after orders-api's pods started, the VaultDynamicSecret names no restart
    target, and the database refuses the old user; the LDAP bind Secret changed under running Keycloak pods,
    which bind with error 52e only afterwards."""
    root = _bundle(built, "orders-api-db-errors")
    vds = _one(root, "VaultDynamicSecret", "orders-db-creds")
    assert "rolloutRestartTargets" not in vds["spec"]
    secret = _one(root, "Secret", "orders-db-creds")
    rotated = _last_change(secret)
    assert secret["metadata"]["managedFields"][-1]["manager"] == "vault-secrets-operator"
    assert all(p["metadata"]["creationTimestamp"] < rotated for p in _pods(root, "orders", "orders-api"))
    assert '"code":"28P01"' in "".join(_logs(root, "orders", "orders-api").values())
    assert "password authentication failed" in "".join(_logs(root, "orders", "orders-db").values())

    root = _bundle(built, "intranet-login-burn")
    secret = _one(root, "Secret", "keycloak-ldap-bind")
    changed_at = _last_change(secret)
    assert _within_hour_before(changed_at, _incident(root))
    for name, text in _logs(root, "identity", "keycloak").items():
        failing = [line[:30] for line in text.splitlines() if "data 52e" in line]
        assert failing and min(failing) > changed_at[:19], name


def test_rate_limit_rbac_and_authz_changes(built: Built) -> None:
    """crm-backfill was un-suspended onto a 15-minute schedule and its Jobs use lead-sync's token Secret, whose
    429s begin with the first run; the leader-election Role grants no leases and the operator is forbidden
    them; the OPA policy requires x-tenant-id and only requests without it (okhttp) are denied."""
    root = _bundle(built, "lead-sync-lagging")
    cron = _one(root, "CronJob", "crm-backfill")
    assert cron["spec"]["schedule"] == "*/15 * * * *" and cron["spec"]["suspend"] is False
    ref = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"][0]["valueFrom"]
    sync = next(d for d in _items(root, "sales", "deployments.json") if d["metadata"]["name"] == "lead-sync")
    assert sync["spec"]["template"]["spec"]["containers"][0]["env"][0]["valueFrom"] == ref
    jobs = sorted(j["status"]["startTime"] for j in rc.bundle_items(root) if j["kind"] == "Job"
                  and j["metadata"]["name"].startswith("crm-backfill-"))
    throttled = [line[:19] for line in "".join(_logs(root, "sales", "lead-sync").values()).splitlines()
                 if "TEN_SECONDLY_ROLLING" in line]
    assert jobs and throttled and min(throttled) >= jobs[0][:19] > _last_change(cron)[:19]

    root = _bundle(built, "topology-operator-crashloop")
    role = _one(root, "Role", "messaging-topology-leader-election")
    assert not any("leases" in r["resources"] for r in role["rules"])
    logs = "".join(_logs(root, "rabbitmq-system", "messaging-topology-operator").values())
    assert 'cannot get resource "leases" in API group "coordination.k8s.io"' in logs

    root = _bundle(built, "mobile-orders-forbidden-page")
    policy = _one(root, "ConfigMap", "opa-authz-policy")
    assert 'http.headers["x-tenant-id"]' in policy["data"]["authz.rego"]
    assert _within_hour_before(_last_change(policy), _incident(root))
    decisions = [json.loads(line.split(" ", 1)[1]) for text in _logs(root, "api", "api-gateway").values()
                 for line in text.splitlines() if '"input"' in line]
    assert decisions
    for d in decisions:
        headers = d["input"]["attributes"]["request"]["http"]["headers"]
        assert d["result"] == ("x-tenant-id" in headers)
        assert (headers["user-agent"] == "okhttp/4.12.0") == (not d["result"])
