"""What a node lacks, end to end: incident bundles of our own, investigated blind and scored.

Written with the corpus generator's writer (examples/corpus), served by the replay API server and Debian's
Prometheus, investigated in runbook-only mode as `vigil eval` does, so the survey's reads (k8s_nodes, the DaemonSet
list, each DaemonSet and the node as YAML, the rollout history built from real ControllerRevisions) run against
a real API path. The background cluster's DaemonSets (kube-proxy, aws-node, node-exporter) run on its four nodes;
each bundle adds a node of a new pool:

- a taint: node-exporter's revision 2 narrowed its tolerate-everything toleration to the batch pool's taint, and the
  new ML node (dedicated=ml:NoExecute) has no node-exporter; a question names the node. kube-proxy, which has no
  toleration in any revision, is not placed there either, but no change of its did that: it is no suspect;
- a selector: aws-node's revision 2 added `nodeSelector: node.kubernetes.io/lifecycle: normal`, and the new spot
  node (lifecycle=spot) has no CNI agent; the question names the node by its short name;
- the negative twin: a node tainted for a pool no DaemonSet ever tolerated, with nothing changed: nobody is named
  as having left it.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus.kit import Incident, o, ts  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]


def _node(inc: Incident, name: str, index: int, created: datetime, labels: dict[str, str],
          taints: list[dict[str, str]]) -> None:
    node = o.node(name, index, created, "eu-west-1b", now=inc.captured)
    node["kind"], node["apiVersion"] = "Node", "v1"
    node["metadata"]["labels"].update(labels)
    if taints:
        node.setdefault("spec", {})["taints"] = taints
    inc.cluster.nodes.append(node)


def _revisions(inc: Incident, ns: str, name: str, templates: list[tuple[datetime, dict[str, Any]]]) -> None:
    """The DaemonSet's ControllerRevisions (one per template, oldest first); the last is its current spec."""
    ds = inc.find("DaemonSet", ns, name)
    for number, (at, spec) in enumerate(templates, start=1):
        hash_ = o.suffix(f"{ns}/{name}/{number}", 10)
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                 "metadata": {"name": f"{name}-{hash_}", "namespace": ns, "creationTimestamp": ts(at),
                              "labels": {"controller-revision-hash": hash_},
                              "ownerReferences": [o.owner_ref("DaemonSet", name, ns)]},
                 "data": {"spec": {"template": {"spec": spec}}}, "revision": number})
    ds["spec"]["template"]["spec"] = templates[-1][1]
    ds["metadata"]["generation"] = len(templates)
    ds["metadata"].setdefault("annotations", {})["deprecated.daemonset.template.generation"] = str(len(templates))


def _template(inc: Incident, ns: str, name: str, **fields: Any) -> dict[str, Any]:
    base = {k: v for k, v in inc.find("DaemonSet", ns, name)["spec"]["template"]["spec"].items()
            if k not in ("tolerations", "nodeSelector")}
    return {**base, **fields}


def exporter_toleration_narrowed() -> Incident:
    """node-exporter's revision 2 tolerates only dedicated=batch; the new ML node (dedicated=ml) has none."""
    at = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    inc = Incident("ml-node-no-metrics", title="question about a node", story=exporter_toleration_narrowed.__doc__
                   or "", at=at, seed=971, namespaces=("ml",))
    changed, joined = at - timedelta(hours=30), at - timedelta(hours=2)
    _node(inc, "ip-10-0-7-41.eu-west-1.compute.internal", 5, joined, {"pool": "ml"},
          [{"key": "dedicated", "value": "ml", "effect": "NoExecute"}])
    _revisions(inc, "monitoring", "node-exporter", [
        (inc.born, _template(inc, "monitoring", "node-exporter", tolerations=[{"operator": "Exists"}])),
        (changed, _template(inc, "monitoring", "node-exporter", tolerations=[
            {"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}]))])
    inc.find("DaemonSet", "kube-system", "aws-node")["spec"]["template"]["spec"]["tolerations"] = [
        {"operator": "Exists"}]
    inc.ask("Grafana has shown no CPU or memory data for ip-10-0-7-41.eu-west-1.compute.internal since it joined "
            "two hours ago. What is wrong with that node?")
    inc.answer_key(culprit=("DaemonSet", "monitoring", "node-exporter"), keywords=["toleration", "dedicated=ml"],
                   root_cause="node-exporter's revision 2 tolerates only dedicated=batch; the ML node is tainted "
                              "dedicated=ml:NoExecute, so no node-exporter runs there.",
                   category="daemonset-toleration-narrowed", red_herrings=[("DaemonSet", "kube-system", "kube-proxy")])
    return inc


def cni_selector_added() -> Incident:
    """aws-node's revision 2 selects lifecycle=normal nodes only; the new spot node has no CNI agent."""
    at = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    inc = Incident("spot-node-pods-stuck", title="question about a node", story=cni_selector_added.__doc__ or "",
                   at=at, seed=972, namespaces=("jobs",))
    changed, joined = at - timedelta(hours=5), at - timedelta(minutes=50)
    _node(inc, "ip-10-0-8-52.eu-west-1.compute.internal", 6, joined, {"node.kubernetes.io/lifecycle": "spot"}, [])
    _revisions(inc, "kube-system", "aws-node", [
        (inc.born, _template(inc, "kube-system", "aws-node", tolerations=[{"operator": "Exists"}])),
        (changed, _template(inc, "kube-system", "aws-node", tolerations=[{"operator": "Exists"}],
                            nodeSelector={"node.kubernetes.io/lifecycle": "normal"}))])
    inc.ask("Every pod scheduled onto ip-10-0-8-52 since it came up sits in ContainerCreating. What is wrong with "
            "that node?")
    inc.answer_key(culprit=("DaemonSet", "kube-system", "aws-node"), keywords=["nodeSelector", "aws-node"],
                   root_cause="aws-node's revision 2 added nodeSelector lifecycle=normal; the spot node has no CNI.",
                   category="daemonset-selector-narrowed", red_herrings=[])
    return inc


def never_targeted() -> Incident:
    """The twin: a node tainted for a pool no DaemonSet ever tolerated, nothing changed; no DaemonSet is named."""
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    inc = Incident("gpu-node-question", title="question about a node", story=never_targeted.__doc__ or "",
                   at=at, seed=973, namespaces=("ml",))
    _node(inc, "ip-10-0-9-63.eu-west-1.compute.internal", 7, at - timedelta(hours=1), {"pool": "gpu"},
          [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}])
    inc.ask("Is anything wrong with node ip-10-0-9-63.eu-west-1.compute.internal? It joined an hour ago.")
    inc.answer_key(culprit=("Node", "", "ip-10-0-9-63.eu-west-1.compute.internal"), keywords=["gpu"],
                   root_cause="Nothing a change did: no DaemonSet ever tolerated the GPU taint.",
                   category="daemonset-never-targeted", red_herrings=[])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    builders = (exporter_toleration_narrowed, cni_selector_added, never_targeted)
    return investigate_blind(builders, tmp_path_factory.mktemp("node-daemonsets"))


@pytest.mark.parametrize(("bundle", "words"), [
    ("ml-node-no-metrics", ("DaemonSet monitoring/node-exporter", "dedicated=ml:NoExecute", "Revision 2",
                            "tolerations")),
    ("spot-node-pods-stuck", ("DaemonSet kube-system/aws-node", "nodeSelector node.kubernetes.io/lifecycle=normal",
                              "Revision 2")),
])
def test_the_daemonset_a_change_cut_from_the_node_is_named(results: dict[str, object], bundle: str,
                                                           words: tuple[str, ...]) -> None:
    row = results[bundle]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert all(w in top for w in words), top


def test_a_daemonset_that_never_targeted_the_node_is_not_named(results: dict[str, object]) -> None:
    top = str(getattr(results["gpu-node-question"], "top", "") or "")
    assert "has no pod on node" not in top, top
