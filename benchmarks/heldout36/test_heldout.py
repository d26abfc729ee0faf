"""What round 36 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and where the cause is a node, runtime or accelerator setting outside the paged object, the
bundle really carries the change, its effect on the nodes or pods, and the victim's errors.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout36`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout36/test_heldout.py
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
    return heldout_built("heldout36")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _one(root: Path, kind: str, name: str) -> dict[str, Any]:
    return next(i for i in rc.bundle_items(root) if i["kind"] == kind and i["metadata"]["name"] == name)


def _nodes(root: Path) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / "nodes.json").read_text())["items"])


def _logs(root: Path, ns: str, prefix: str) -> dict[str, str]:
    """Pod name -> its current and previous logs, for the pods of `ns` whose name starts with `prefix`."""
    return {p.name: "".join(f.read_text() for f in sorted(p.glob("*.txt")))
            for p in sorted((root / "cluster" / ns).iterdir()) if p.is_dir() and p.name.startswith(prefix)}


def _incident(root: Path) -> str:
    return str(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])


def _last_change(obj: dict[str, Any]) -> str:
    return max(m["time"] for m in obj["metadata"]["managedFields"])


def _within_hours_before(stamp: str, incident: str, hours: int) -> bool:
    return stamp < incident and stamp[:10] == incident[:10] and int(incident[11:13]) - int(stamp[11:13]) <= hours


def _sets(root: Path, ns: str, owner: str) -> list[dict[str, Any]]:
    return sorted((r for r in _items(root, ns, "replicasets.json")
                   if r["metadata"]["ownerReferences"][0]["name"] == owner),
                  key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout36").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors_and_simple_share(built: Built) -> None:
    """Two chat questions (one naming only a workload and no namespace, one naming only a node), two PagerDuty
    events, an SLO burn, a grouped notification of three alerts; three incidents are simple (the page names
    the culprit)."""
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
    namespaces = {k["culprit"]["namespace"] for k in keys.values()} | {"trust"}
    assert any("image-moderation" in q and not any(ns in q for ns in namespaces if ns) for q in questions)
    assert simple == 3
    burn = json.loads((_bundle(built, "catalog-search-errors-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "subtitle-jobs-backlog-grouped") / "alerts" / "alertmanager.json")
                         .read_text())
    assert len(grouped["alerts"]) == 3
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 2


def test_mig_strategy_renames_the_gpu_resource(built: Built) -> None:
    """The ClusterPolicy says mixed and was edited within the hour; the GPU nodes offer no nvidia.com/gpu but
    MIG slices; the device plugin registered the MIG resource; only the pods asking for nvidia.com/gpu after
    the change are Pending."""
    root = _bundle(built, "transcribe-api-queueing-page")
    policy = _one(root, "ClusterPolicy", "cluster-policy")
    assert policy["spec"]["mig"]["strategy"] == "mixed" and "namespace" not in policy["metadata"]
    assert _within_hours_before(_last_change(policy), _incident(root), 1)
    gpu_nodes = [n for n in _nodes(root) if "nvidia.com/mig-3g.20gb" in n["status"]["allocatable"]]
    assert len(gpu_nodes) == 2
    assert all(n["status"]["allocatable"]["nvidia.com/gpu"] == "0" for n in gpu_nodes)
    assert "Registered device plugin for 'nvidia.com/mig-3g.20gb'" in "".join(
        _logs(root, "gpu-operator", "nvidia-device-plugin").values())
    pods = [p for p in _items(root, "speech", "pods.json") if p["metadata"]["name"].startswith("transcribe-api")]
    pending = [p for p in pods if p["status"]["phase"] == "Pending"]
    assert len(pods) == 6 and len(pending) == 2
    assert all(p["metadata"]["creationTimestamp"] > _last_change(policy) for p in pending)
    assert all(p["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1" for p in pods)


def test_simple_revisions_differ_in_the_named_setting(built: Built) -> None:
    """vLLM: only --max-model-len changes and the new pod's log has the KV-cache ValueError. text-embedder:
    the image moves to cu121 on nodes labelled driver 470, and torch says the driver is too old."""
    root = _bundle(built, "llm-chat-crashloop")
    old, new = (r["spec"]["template"]["spec"]["containers"][0]["args"] for r in _sets(root, "genai", "llm-chat")[-2:])
    assert [a for a in old if a not in new] == ["8192"] and [a for a in new if a not in old] == ["32768"]
    assert "larger than the maximum number of tokens that can be stored in KV cache" in "".join(
        _logs(root, "genai", "llm-chat").values())
    root = _bundle(built, "text-embedder-latency-high")
    old_img, new_img = (r["spec"]["template"]["spec"]["containers"][0]["image"]
                        for r in _sets(root, "ml", "text-embedder")[-2:])
    assert old_img.endswith("-cu113") and new_img.endswith("-cu121")
    t4 = [n for n in _nodes(root) if n["metadata"]["labels"].get("workload-class") == "gpu-t4"]
    assert t4 and all(n["metadata"]["labels"]["nvidia.com/cuda.driver.major"] == "470" for n in t4)
    logs = "".join(_logs(root, "ml", "text-embedder").values())
    assert "The NVIDIA driver on your system is too old (found version 11040)" in logs
    assert "device_name: cpu" in logs


def test_priority_class_outranks_serving_and_preempts_it(built: Built) -> None:
    """training-batch was re-created today above inference-serving; the trainer carries it; the scheduler's
    Preempted events name the trainer and four assistant pods wait Pending."""
    root = _bundle(built, "support-assistant-replicas-mismatch")
    batch, serving = _one(root, "PriorityClass", "training-batch"), _one(root, "PriorityClass", "inference-serving")
    assert batch["value"] > serving["value"]
    assert batch["metadata"]["creationTimestamp"][:10] == _incident(root)[:10]
    trainers = [p for p in _items(root, "ml-training", "pods.json")]
    assert trainers and all(p["spec"]["priorityClassName"] == "training-batch" for p in trainers)
    preempted = [e for e in _items(root, "genai", "events.json") if e["reason"] == "Preempted"]
    assert len(preempted) == 4 and all("ml-training/llm-finetune-nightly" in e["message"] for e in preempted)
    pending = [p for p in _items(root, "genai", "pods.json") if p["status"]["phase"] == "Pending"]
    assert len(pending) == 4


def test_custom_culprits_hold_the_changed_setting(built: Built) -> None:
    """InferenceService at minReplicas 0, RayService asking a whole GPU per replica for more replicas than the
    worker group has GPUs, EC2NodeClass user data with podPidsLimit 1024: each changed within hours of the page,
    and each effect is in the bundle."""
    root = _bundle(built, "checkout-risk-score-timeouts")
    isvc = _one(root, "InferenceService", "fraud-xgb")
    assert isvc["spec"]["predictor"]["minReplicas"] == 0
    assert _within_hours_before(_last_change(isvc), _incident(root), 4)
    assert "Did not observe any item or terminal signal within 3000ms" in "".join(
        _logs(root, "checkout", "checkout-risk").values())

    root = _bundle(built, "subtitle-jobs-backlog-grouped")
    ray = _one(root, "RayService", "translator")
    serve = yaml.safe_load(ray["spec"]["serveConfigV2"])["applications"][0]["deployments"][0]
    group = ray["spec"]["rayClusterConfig"]["workerGroupSpecs"][0]
    gpus = group["replicas"] * int(group["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"])
    assert serve["ray_actor_options"]["num_gpus"] * serve["num_replicas"] > gpus
    assert _within_hours_before(_last_change(ray), _incident(root), 1)
    assert "Request dropped due to backpressure" in "".join(_logs(root, "ray", "translator-raycluster").values())

    root = _bundle(built, "pricing-queries-failing-page")
    nodeclass = _one(root, "EC2NodeClass", "al2023-compute")
    assert "podPidsLimit: 1024" in nodeclass["spec"]["userData"] and "namespace" not in nodeclass["metadata"]
    changed_at = _last_change(nodeclass)
    workers = [p for p in _items(root, "trino", "pods.json") if p["metadata"]["name"].startswith("trino-worker")]
    by_node = {n["metadata"]["name"]: n["metadata"]["creationTimestamp"] for n in _nodes(root)}
    crashing = {p["spec"]["nodeName"] for p in workers if p["status"]["containerStatuses"][0]["restartCount"] > 0}
    assert len(crashing) == 2 and all(by_node[n] > changed_at for n in crashing)
    assert "unable to create native thread" in "".join(_logs(root, "trino", "trino-worker").values())


def test_windows_host_runs_an_older_build_than_the_new_image(built: Built) -> None:
    """The question's node is Windows Server 2022; the only failing pod there runs the ltsc2025 image of the
    newest revision and fails in HCS, the older revision's pods run."""
    root = _bundle(built, "node-pods-not-starting-question")
    question = (root / "alerts" / "question.txt").read_text()
    node = next(n for n in _nodes(root) if n["metadata"]["name"] in question)
    assert node["status"]["nodeInfo"]["osImage"] == "Windows Server 2022 Datacenter"
    pods = _items(root, "b2b", "pods.json")
    failing = [p for p in pods if p["status"]["phase"] != "Running"]
    assert len(failing) == 1 and failing[0]["spec"]["nodeName"] == node["metadata"]["name"]
    assert failing[0]["spec"]["containers"][0]["image"].endswith("-ltsc2025")
    assert all(p["spec"]["containers"][0]["image"].endswith("-ltsc2022") for p in pods if p not in failing)
    events = " ".join(e["message"] for e in _items(root, "b2b", "events.json"))
    assert "does not match the host operating system" in events


def test_local_volume_bound_before_scheduling(built: Built) -> None:
    """local-nvme binds immediately; redpanda-3's claim is bound to a PV on the node that runs redpanda-0."""
    root = _bundle(built, "redpanda-brokers-missing")
    sc = _one(root, "StorageClass", "local-nvme")
    assert sc["volumeBindingMode"] == "Immediate" and sc["provisioner"] == "kubernetes.io/no-provisioner"
    claim = _one(root, "PersistentVolumeClaim", "datadir-redpanda-3")
    pv = _one(root, "PersistentVolume", claim["spec"]["volumeName"])
    pv_node = pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]["values"][0]
    pods = {p["metadata"]["name"]: p for p in _items(root, "streaming", "pods.json")}
    assert pods["redpanda-0"]["spec"]["nodeName"] == pv_node
    assert pods["redpanda-3"]["status"]["phase"] == "Pending"
    assert "volume node affinity conflict" in " ".join(e["message"] for e in _items(root, "streaming", "events.json"))


def test_node_level_causes_and_their_effects(built: Built) -> None:
    """datadog-agent revision 2 mounts the Docker socket on containerd nodes; the Xid-79 node's own GPU pod
    is the only one failing; opensearch's new revision lacks the sysctl init container and only ordinal 2
    (updated) crash-loops on the bootstrap check."""
    root = _bundle(built, "datadog-agent-rollout-stuck")
    revisions = sorted((i for i in rc.bundle_items(root) if i["kind"] == "ControllerRevision"
                        and i["metadata"]["name"].startswith("datadog-agent-")), key=lambda r: r["revision"])
    vols = [r["data"]["spec"]["template"]["spec"]["volumes"][0]["hostPath"] for r in revisions]
    assert vols == [{"path": "/var/run/containerd", "type": ""}, {"path": "/var/run/docker.sock", "type": "Socket"}]
    assert all(n["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://") for n in _nodes(root))
    assert "is not a socket file" in " ".join(e["message"] for e in _items(root, "datadog", "events.json"))

    root = _bundle(built, "image-moderation-errors-question")
    bad = [n for n in _nodes(root) if any(c["type"] == "NVIDIAXidError" for c in n["status"]["conditions"])]
    assert len(bad) == 1 and bad[0]["status"]["allocatable"]["nvidia.com/gpu"] == "0"
    logs = _logs(root, "trust", "image-moderation")
    pods = {p["metadata"]["name"]: p["spec"]["nodeName"] for p in _items(root, "trust", "pods.json")}
    failing = {pods[name] for name, text in logs.items() if "CUDA error: unknown error" in text}
    assert failing == {bad[0]["metadata"]["name"]}

    root = _bundle(built, "catalog-search-errors-burn")
    revisions = sorted((i for i in rc.bundle_items(root) if i["kind"] == "ControllerRevision"
                        and i["metadata"]["name"].startswith("opensearch-")), key=lambda r: r["revision"])
    assert [("initContainers" in r["data"]["spec"]["template"]["spec"]) for r in revisions] == [True, False]
    crashing = [n for n, text in _logs(root, "search-data", "opensearch").items() if "vm.max_map_count [65530]" in text]
    assert crashing == ["opensearch-2"]
    assert "missing shards" in "".join(_logs(root, "catalog", "catalog-search").values())
