"""Checks the held-out rounds' tests make: valid bundles, sane keys, new failure types, one run each.

test_rounds.py calls these for every round of the registry (rounds.py) with the round's own
generate/bench modules and numbers, so a round's test_heldout.py says only what is particular to
it. No investigation runs: a round stays blind until it is measured once.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

BENCHMARKS = Path(__file__).resolve().parents[1]
CORPUS_SCENARIOS = BENCHMARKS.parent / "examples" / "corpus" / "scenarios"

BUILTIN_KINDS = frozenset({
    "ClusterRole", "ClusterRoleBinding", "ConfigMap", "ControllerRevision", "CronJob", "DaemonSet", "Deployment",
    "Endpoints", "HorizontalPodAutoscaler", "Ingress", "Job", "LimitRange", "MutatingWebhookConfiguration",
    "Namespace", "NetworkPolicy", "Node", "PersistentVolume", "PersistentVolumeClaim", "Pod",
    "PodDisruptionBudget", "PriorityClass", "ReplicaSet", "ResourceQuota", "Role", "RoleBinding", "Secret",
    "Service", "ServiceAccount", "StatefulSet", "StorageClass", "ValidatingWebhookConfiguration",
})
"""Kinds Kubernetes itself serves: a culprit of any other kind is a custom resource and needs its CRD."""


def keys(bundles: list[Path], answers: Path) -> dict[str, dict[str, Any]]:
    """Bundle name -> its answer key."""
    return {b.name: yaml.safe_load((answers / f"{b.name}.yaml").read_text()) for b in bundles}


def objects(bundle: Path) -> set[tuple[str, str, str]]:
    """(kind, namespace, name) of every object the bundle's cluster dump and extra/ hold."""
    found: set[tuple[str, str, str]] = set()
    for path in [*bundle.glob("cluster/**/*.json"), *bundle.glob("extra/*.json")]:
        doc = json.loads(path.read_text())
        if not isinstance(doc, dict) or "items" not in doc:
            continue
        list_kind = str(doc.get("kind", ""))
        for item in doc["items"]:
            if not isinstance(item, dict) or "metadata" not in item:
                continue
            kind = item.get("kind") or list_kind.removesuffix("List")
            meta = item["metadata"]
            found.add((kind, meta.get("namespace", "") or "", meta.get("name", "")))
    return found


def api_group(bundle: Path, kind: str) -> str:
    """The API group of the custom resources of `kind` in the bundle's extra/ files."""
    for path in bundle.glob("extra/*.json"):
        doc = json.loads(path.read_text())
        for item in doc.get("items", []):
            if isinstance(item, dict) and (item.get("kind") or str(doc.get("kind", "")).removesuffix("List")) == kind:
                return str(item.get("apiVersion") or doc.get("apiVersion", "")).split("/")[0]
    return ""


def valid(bundles: list[Path], answers: Path, count: int = 12) -> None:
    """Every bundle validates as `vigil bundle validate` does and every key makes sense (the preflight)."""
    from benchmarks.heldout.harness import preflight

    assert len(bundles) == count
    assert preflight(bundles, answers) == []


def culprits_and_herrings_exist(bundles: list[Path], answers: Path) -> None:
    """The culprit and exactly one red herring (a plausible, unrelated suspect) are objects of the bundle."""
    for name, key in keys(bundles, answers).items():
        found = objects(answers.parent / "bundles" / name)
        culprit = key["culprit"]
        assert (culprit["kind"], culprit["namespace"], culprit["name"]) in found, name
        assert len(key["red_herrings"]) == 1, name
        for herring in key["red_herrings"]:
            assert (herring["kind"], herring["namespace"], herring["name"]) in found, name
            assert herring != culprit, name


def new_to_earlier_sets(bundles: list[Path], answers: Path, earlier: tuple[str, ...], corpus: bool = True) -> None:
    """No failure type (category) or bundle name of the round appears in the earlier sets (and the corpus)."""
    texts = [(BENCHMARKS / d / "scenarios.py").read_text() for d in earlier]
    if corpus:
        texts += [p.read_text() for p in sorted(CORPUS_SCENARIOS.glob("*.py"))]
    for name, key in keys(bundles, answers).items():
        for text in texts:
            assert f'category="{key["category"]}"' not in text, name
            assert f'"{name}"' not in text, name


def rounds_kept_apart(gen: ModuleType, other: str) -> None:
    """This round and `other` built in one process: each round's builders come from its own scenarios.py."""
    harness = gen.harness
    mine = set(harness.scenario_names(gen.ROUND))
    theirs = set(harness.scenario_names(harness.Round(other, BENCHMARKS / other)))
    assert mine and theirs and not mine & theirs
    assert sys.modules[f"{gen.ROUND.name}_scenarios"].__file__ == str(gen.ROUND.directory / "scenarios.py")
    assert sys.modules[f"{other}_scenarios"].__file__ == str(BENCHMARKS / other / "scenarios.py")


def deterministic(gen: ModuleType, bundles: list[Path], tmp_path: Path) -> None:
    """A second generation writes the same files, byte for byte."""
    again = gen.generate(tmp_path / "bundles", tmp_path / "answers")
    for first, second in zip(bundles, again, strict=True):
        files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
        assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


def bad_arguments_refused(gen: ModuleType, tmp_path: Path) -> None:
    """Answers inside the bundles and unknown --only names are refused before anything is written."""
    with pytest.raises(ValueError, match="outside --out"):
        gen.generate(tmp_path / "b", tmp_path / "b" / "answers")
    with pytest.raises(ValueError, match="unknown scenario"):
        gen.generate(tmp_path / "b", tmp_path / "a", ["no-such-incident"])


def measured_once(gen: ModuleType, bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A result for the same scenarios is never overwritten without --remeasure."""
    rnd = gen.ROUND
    out = tmp_path / f"{rnd.name}.json"
    first = {"benchmark": rnd.name, "scenarios_fingerprint": rnd.fingerprint(), "accuracy": 0.5}
    out.write_text(json.dumps(first))
    assert bench.main(["--out", str(out)]) == 2
    assert json.loads(out.read_text()) == first
    assert "measured once per round" in capsys.readouterr().err
    assert rnd.results.name == f"{rnd.name}.json"
    assert re.fullmatch(r"[0-9a-f]{16}", rnd.fingerprint())


def keys_sane_and_varied(bundles: list[Path], answers: Path, min_kinds: int = 6, grouped_needed: bool = True) -> None:
    """Categories differ, culprits span kinds, each key has 2-4 keywords and its own canaries; titles and
    questions say only the symptom; alerts come from Alertmanager (one grouped, where `grouped_needed`),
    PagerDuty and chat."""
    found = keys(bundles, answers)
    assert len({k["category"] for k in found.values()}) == len(found)
    assert len({k["culprit"]["kind"] for k in found.values()}) >= min_kinds
    sources: set[str] = set()
    grouped = 0
    for name, key in found.items():
        assert 2 <= len(key["keywords"]) <= 4, name
        assert len(key["secret_canaries"]) > 3, name  # its own secret besides the background's three
        manifest = yaml.safe_load((answers.parent / "bundles" / name / "manifest.yaml").read_text())
        assert manifest["description"] == ""
        sources.update(Path(a).name for a in manifest["alerts"])
        for alert_file in manifest["alerts"]:
            payload = json.loads((answers.parent / "bundles" / name / alert_file).read_text())
            grouped += len(payload.get("alerts", [])) > 1
        if manifest.get("question"):
            sources.add("question")
        said = f"{name} {manifest['title']} {manifest.get('question', '')}".lower()
        assert not [k for k in key["keywords"] if k.lower() in said], name  # the cause is found, not told
    assert sources == {"alertmanager.json", "pagerduty.json", "question"}
    assert grouped >= 1 or not grouped_needed  # at least one grouped Alertmanager notification


def custom_culprits_ship_with_their_crd(bundles: list[Path], answers: Path, minimum: int) -> None:
    """A culprit of a kind Kubernetes does not define is only findable if its CRD (same kind and API group)
    is in extra/ too; at least `minimum` culprits are such custom resources."""
    custom = 0
    for name, key in keys(bundles, answers).items():
        kind = key["culprit"]["kind"]
        if kind in BUILTIN_KINDS:
            continue
        custom += 1
        bundle = answers.parent / "bundles" / name
        crds = json.loads((bundle / "extra" / "customresourcedefinitions.json").read_text())
        defined = {(i["spec"]["names"]["kind"], i["spec"]["group"]) for i in crds["items"]}
        assert (kind, api_group(bundle, kind)) in defined, name
    assert custom >= minimum


def pages_naming_only_a_victim(bundles: list[Path], answers: Path, minimum: int) -> None:
    """At least `minimum` incidents page on (or ask about) a victim: the culprit's name is nowhere in the
    alert payloads or the question, so it must be found in another object or namespace."""
    victims = []
    for name, key in keys(bundles, answers).items():
        root = answers.parent / "bundles" / name
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        said = " ".join((root / a).read_text() for a in manifest["alerts"]) + manifest.get("question", "")
        if key["culprit"]["name"].lower() not in said.lower():
            victims.append(name)
    assert len(victims) >= minimum, victims


def bundle_items(bundle: Path) -> list[dict[str, Any]]:
    """Every object of the bundle's cluster dump and extra/, with its kind filled in from its List."""
    found = []
    for path in [*bundle.glob("cluster/**/*.json"), *bundle.glob("extra/*.json")]:
        doc = json.loads(path.read_text())
        if not isinstance(doc, dict):
            continue
        for item in doc.get("items", []):
            if isinstance(item, dict) and "metadata" in item:
                found.append({**item, "kind": item.get("kind") or str(doc.get("kind", "")).removesuffix("List")})
    return found


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def culprit_object(bundle: Path, key: dict[str, Any]) -> dict[str, Any]:
    """The culprit's own object in the bundle."""
    c = key["culprit"]
    return next(i for i in bundle_items(bundle) if i["kind"] == c["kind"] and i["metadata"]["name"] == c["name"]
                and i["metadata"].get("namespace", "") == c["namespace"])


def cluster_scoped_culprits_have_a_cluster_scoped_crd(bundles: list[Path], answers: Path) -> None:
    """A custom resource without a namespace is served only if its CRD says scope Cluster (at least one)."""
    seen = 0
    for name, key in keys(bundles, answers).items():
        culprit = key["culprit"]
        if culprit["namespace"] or culprit["kind"] in BUILTIN_KINDS:
            continue
        seen += 1
        crds = json.loads((answers.parent / "bundles" / name / "extra" / "customresourcedefinitions.json").read_text())
        scopes = {i["spec"]["names"]["kind"]: i["spec"]["scope"] for i in crds["items"]}
        assert scopes[culprit["kind"]] == "Cluster", name
    assert seen >= 1


def culprits_carry_their_change(bundles: list[Path], answers: Path, minimum: int) -> None:
    """A change-only cause has evidence only if the bundle records the change on the culprit: a managedFields
    entry of a person or tool, a new ReplicaSet or ControllerRevision, or (a Job) its run, within the day
    before the incident. A Node culprit shows its cause in a condition instead and is not counted."""
    checked = 0
    for name, key in keys(bundles, answers).items():
        culprit = key["culprit"]
        if culprit["kind"] == "Node":
            continue
        root = answers.parent / "bundles" / name
        incident = _when(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])
        obj = culprit_object(root, key)
        times = [_when(m["time"]) for m in obj["metadata"].get("managedFields", [])
                 if not m.get("subresource") and m["manager"] != "kube-controller-manager"]
        times += [_when(i["metadata"]["creationTimestamp"]) for i in bundle_items(root)
                  if i["kind"] in ("ReplicaSet", "ControllerRevision")
                  and any(r["name"] == culprit["name"] for r in i["metadata"].get("ownerReferences", []))]
        if culprit["kind"] == "Job":
            times.append(_when(obj["status"]["startTime"]))
        assert [t for t in times if incident - timedelta(days=1) <= t <= incident], (
            f"{name}: no change on {culprit['kind']} {culprit['name']} in the day before the incident")
        checked += 1
    assert checked >= minimum


def questions_naming_only_a_host(bundles: list[Path], answers: Path) -> int:
    """How many chat questions name a node and no workload (the culprit must be found from the host)."""
    hosts = 0
    for name in keys(bundles, answers):
        root = answers.parent / "bundles" / name
        question = yaml.safe_load((root / "manifest.yaml").read_text()).get("question", "")
        nodes = {n["metadata"]["name"] for n in json.loads((root / "cluster" / "nodes.json").read_text())["items"]}
        workloads = {i["metadata"]["name"] for i in bundle_items(root)
                     if i["kind"] in ("Deployment", "DaemonSet", "StatefulSet")}
        if any(n in question for n in nodes) and not any(w in question for w in workloads):
            hosts += 1
    return hosts
