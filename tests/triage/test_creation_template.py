"""A template that decides what new pods or nodes get was written: only what it made since fails
(agent.triage.creation_template).

Units on the pure parts (which node a template made, what a written field means), then six incident bundles
written with the corpus writer, served by the replay API server and investigated blind in runbook-only mode as
`vigil eval` does. Three shapes of the class, each with a negative twin where the same template write is there
but the victims do not split on it:

- pods: PriorityClass `spare-capacity` (value -1) made globalDefault; shop/orders-api's pods created since are
  Pending at priority -1 (`No preemption victims found`), its older pods run at 0. Twin: an older pod of the
  same Deployment is Pending too, since before the write: the write is not what the Pending pods differ by.
- interruptions: a Karpenter v1alpha5 Provisioner `general` whose requirements now admit spot; its spot nodes
  get `TerminatingOnInterruption` events and the single memcached restarts. Twin: the Provisioner's write
  admits on-demand only; the interrupted spot nodes were made by another provisioner.
- connectivity: EC2NodeClass `workers` whose subnetSelectorTerms changed; the node it launched since runs a
  catalog pod that times out (`connect ETIMEDOUT`) to its cache while the same Deployment's pod on an older node
  is fine. Twin: the older node's pod times out too.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.triage import creation_template as ct
from agent.triage.facts import Ref
from agent.triage.template_meaning import node_field, priority_meaning
from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts  # noqa: E402

M = timedelta(minutes=1)


# ---- units ----------------------------------------------------------------------------------------

def _node(labels: dict[str, str]) -> dict[str, Any]:
    return {"metadata": {"name": "n1", "labels": labels}}


@pytest.mark.parametrize(("labels", "template", "made"), [
    ({"karpenter.sh/nodepool": "default"}, Ref("NodePool", "", "default"), True),
    ({"karpenter.k8s.aws/ec2nodeclass": "workers"}, Ref("EC2NodeClass", "", "workers"), True),
    ({"karpenter.sh/provisioner-name": "general"}, Ref("Provisioner", "", "general"), True),
    ({"cluster.x-k8s.io/deployment-name": "md-0"}, Ref("MachineDeployment", "capi", "md-0"), True),
    ({"karpenter.sh/nodepool": "batch"}, Ref("NodePool", "", "default"), False),
    ({"app": "default"}, Ref("NodePool", "", "default"), False),
])
def test_a_node_is_made_by_the_template_its_provisioner_label_names(labels: dict[str, str], template: Ref,
                                                                     made: bool) -> None:
    assert ct.made_by(_node(labels), template) is made


def test_a_written_field_says_what_it_decides_for_new_objects() -> None:
    assert "security groups" in node_field(["spec.securityGroupSelectorTerms"])[1]
    assert "interruptible" in node_field(["karpenter.sh/capacity-type"])[1]
    assert "subnets" in node_field(["spec.subnetSelectorTerms"])[1]
    assert node_field(["spec.kubelet.maxPods", "spec.securityGroupSelectorTerms"])[0] == \
        "spec.securityGroupSelectorTerms"
    made_default = priority_meaning("globalDefault", "spare", -1, True)
    assert "globalDefault" in made_default and "preemption" in made_default and "placeholder" in made_default
    assert "globalDefault" not in priority_meaning("value", "spare", 5, False)


AT = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def _pool_facts(line: str) -> Any:
    """A NodePool admitting spot, written 4 h before, two of its spot nodes interrupted, one on-demand node."""
    from agent.triage.facts import Facts
    pool = {"kind": "NodePool", "metadata": {"name": "default"}, "spec": {"template": {"spec": {"requirements": [
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]}]}}}}
    nodes = [{"metadata": {"name": f"n{i}", "creationTimestamp": "2026-09-01T00:00:00Z",
                           "labels": {"karpenter.sh/nodepool": "default",
                                      "karpenter.sh/capacity-type": "spot" if i < 2 else "on-demand"}}}
             for i in range(3)]
    events = [{"reason": "SpotInterrupted", "kind": "Node", "name": f"n{i}", "count": 1,
               "message": "Spot interruption warning was triggered"} for i in range(2)]
    change = {"at": "2026-10-01T08:00:00Z", "type": "other", "object": {"kind": "NodePool", "name": "default"},
              "summary": f"NodePool default written by argocd: {line}", "diff": [line]}
    store = {"templates": {"NodePool default": pool}, "nodes": nodes, "node_events": events, "evidence": ["E30"],
             "pod_rows": [{"name": "sessions-0", "namespace": "web", "node": "n1", "restarts": 2}]}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", reads={ct.READS: store})


def test_interrupted_nodes_of_the_capacity_a_requirement_write_admits_name_the_pool() -> None:
    [fit] = ct.found(_pool_facts('spec.template.spec.requirements = [{"key": "karpenter.sh/capacity-type"}]'))
    assert fit.template == Ref("NodePool", "", "default") and fit.shape == "interruptions"
    assert [v.split()[0] for v in fit.victims] == ["n0", "n1"] and fit.peers == ["n2 (on-demand)"]
    assert Ref("StatefulSet", "web", "sessions") in fit.explains
    assert "interruptible" in ct.finding(fit)["message"]


def test_a_write_to_another_field_of_the_pool_did_not_choose_the_capacity() -> None:
    assert ct.found(_pool_facts("spec.disruption.consolidateAfter = '30s'")) == []


# ---- end to end -----------------------------------------------------------------------------------

def _managed(obj: dict[str, Any], *entries: tuple[str, datetime, dict[str, Any]]) -> None:
    obj["metadata"]["managedFields"] = [
        {"manager": m, "operation": "Update", "apiVersion": obj.get("apiVersion", "v1"), "time": ts(t),
         "fieldsType": "FieldsV1", "fieldsV1": f} for m, t, f in entries]


def _crd(inc: Incident, group: str, kind: str, plural: str, version: str) -> None:
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": "Cluster",
                      "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
                      "versions": [{"name": version, "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def _quiet(pod: str, start: datetime, end: datetime) -> str:
    return L.lines(L.ticker(start, end, 60, lambda i, t: L.js(t, "info", "served", path="/v1/orders", status=200)))


def _orders(name: str, old_pending: bool) -> Incident:
    at = datetime(2026, 10, 14, 9, 30, tzinfo=UTC)
    inc = Incident(name, title="orders-api short of replicas", story="", at=at, seed=911, namespaces=("shop",))
    write = at - timedelta(minutes=95)
    pc = inc.add({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                  "metadata": {"name": "spare-capacity", "creationTimestamp": ts(inc.born + timedelta(days=3))},
                  "value": -1, "globalDefault": True, "preemptionPolicy": "Never",
                  "description": "Pause pods holding headroom for bursts."})
    _managed(pc, ("helm", inc.born + timedelta(days=3), {"f:value": {}, "f:description": {}}),
             ("kubectl-patch", write, {"f:globalDefault": {}}))
    msg = ("0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: "
           "3 No preemption victims found for incoming pod.")
    plans = [P(log=_quiet), P(log=_quiet), P(state="pending", message=msg, created=at - 6 * M)]
    plans.append(P(state="pending", message=msg, created=at - timedelta(days=2)) if old_pending
                 else P(state="pending", message=msg, created=at - 5 * M))
    wl = inc.deployment("shop", "orders-api", [Rev(3, at - timedelta(days=5), "helm upgrade orders",
                                                   [c("orders-api", f"{REGISTRY}/shop/orders-api:2.4.1",
                                                      memory_request="1Gi")])], {3: plans}, replicas=4)
    for h in wl.pods:
        def prio(pod: dict[str, Any], new: bool = h.created >= write) -> None:
            pod["spec"]["priority"] = -1 if new else 0
            if new:
                pod["spec"]["priorityClassName"] = "spare-capacity"
        inc.cluster.patch("shop", h.name, prio)
    inc.alertmanager("KubeDeploymentReplicasMismatch", {"namespace": "shop", "deployment": "orders-api",
                                                        "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment shop/orders-api has not matched the expected number of replicas for 15 minutes.",
                     'kube_deployment_spec_replicas > kube_deployment_status_replicas_available')
    inc.answer_key(culprit=("PriorityClass", "", "spare-capacity"), keywords=["globalDefault", "priority"],
                   root_cause="spare-capacity made globalDefault", category="priority-default", red_herrings=[])
    return inc


def _memcached(name: str, admits_spot: bool) -> Incident:
    at = datetime(2026, 10, 15, 22, 10, tzinfo=UTC)
    inc = Incident(name, title="quote cache restarting", story="", at=at, seed=912, namespaces=("pricing",))
    write = at - timedelta(hours=5)
    _crd(inc, "karpenter.sh", "Provisioner", "provisioners", "v1alpha5")
    values = ["spot", "on-demand"] if admits_spot else ["on-demand"]
    prov = inc.add({"apiVersion": "karpenter.sh/v1alpha5", "kind": "Provisioner", "metadata": {"name": "general"},
                    "spec": {"requirements": [{"key": "karpenter.sh/capacity-type", "operator": "In",
                                               "values": values},
                                              {"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]}],
                             "ttlSecondsAfterEmpty": 60}})
    _managed(prov, ("kubectl", inc.born, {"f:spec": {"f:ttlSecondsAfterEmpty": {}}}),
             ("flux-kustomize", write, {"f:spec": {"f:requirements": {}}}))
    for i, n in enumerate(inc.cluster.nodes):
        n["metadata"]["labels"]["karpenter.sh/capacity-type"] = "spot" if i < 2 else "on-demand"
        n["metadata"]["labels"]["karpenter.sh/provisioner-name"] = "general" if admits_spot or i >= 2 else "batch"
    dep = inc.deployment("pricing", "quote-cache", [Rev(1, inc.born + timedelta(days=4), "helm install",
                                                        [c("memcached", "docker.io/library/memcached:1.6.29",
                                                           port=11211)])], {1: [P(log=_quiet)]})
    for h in dep.pods:
        st = h.states[0]
        st.restarts, st.last_reason, st.last_exit_code = 3, "Error", 137
        st.last_finished = at - 3 * M
        st.started_at = at - 2 * M
        h.node = inc.node_names()[0]
    for i, minutes in enumerate((150, 70, 4)):
        node = inc.cluster.nodes[i % 2]
        inc.event(node, "TerminatingOnInterruption", "Interruption triggered termination for the Node",
                  at - timedelta(minutes=minutes), warning=True, component="karpenter")
    inc.alertmanager("KubePodCrashLooping", {"namespace": "pricing", "pod": dep.pods[0].name,
                                             "container": "memcached", "job": "kube-state-metrics"},
                     "Pod is crash looping.", f"Pod pricing/{dep.pods[0].name} restarted 3 times in 3 hours.",
                     "increase(kube_pod_container_status_restarts_total[3h]) >= 3")
    inc.answer_key(culprit=("Provisioner", "", "general"), keywords=["spot", "interruptible"],
                   root_cause="general admits spot", category="spot", red_herrings=[])
    return inc


def _catalog(name: str, old_fails: bool) -> Incident:
    at = datetime(2026, 10, 16, 13, 0, tzinfo=UTC)
    inc = Incident(name, title="catalog errors from some pods", story="", at=at, seed=913,
                   namespaces=("catalog",))
    write = at - timedelta(hours=3)
    launched = at - 40 * M
    _crd(inc, "karpenter.k8s.aws", "EC2NodeClass", "ec2nodeclasses", "v1")
    ncls = inc.add({"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "workers"},
                    "spec": {"role": "KarpenterNodeRole-shop", "amiSelectorTerms": [{"alias": "bottlerocket@latest"}],
                             "subnetSelectorTerms": [{"tags": {"tier": "private-b"}}],
                             "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "shop"}}]}})
    _managed(ncls, ("kubectl", inc.born, {"f:spec": {"f:role": {}}}),
             ("pulumi-kubernetes", write, {"f:spec": {"f:subnetSelectorTerms": {}}}))
    for n in inc.cluster.nodes:
        n["metadata"]["labels"].update({"karpenter.sh/nodepool": "workers",
                                        "karpenter.k8s.aws/ec2nodeclass": "workers"})
    new_node, old_node = inc.node_names()[2], inc.node_names()[0]
    inc.cluster.nodes[2]["metadata"]["creationTimestamp"] = ts(launched)

    def failing(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, launched + M), end, 20, lambda i, t: L.js(
            t, "error", "cache read failed", key=f"sku:{9100 + i}", err="connect ETIMEDOUT 10.40.22.7:6379")))
    wl = inc.deployment("catalog", "catalog-api", [Rev(2, at - timedelta(days=3), "helm upgrade catalog",
                                                       [c("catalog-api", f"{REGISTRY}/catalog/api:7.0.2",
                                                          port=8080)])],
                        {2: [P(log=failing, node=new_node, created=launched + M),
                             P(log=failing if old_fails else _quiet, node=old_node)]})
    del wl
    inc.alertmanager("CatalogErrorRate", {"namespace": "catalog", "service": "catalog-api"},
                     "catalog-api errors", "catalog-api answers errors on part of its requests.",
                     'sum(rate(http_requests_total{service="catalog-api",code=~"5.."}[5m])) > 1', starts=at)
    inc.answer_key(culprit=("EC2NodeClass", "", "workers"), keywords=["subnet"],
                   root_cause="workers' subnets changed", category="nodeclass-subnet", red_herrings=[])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return investigate_blind((lambda: _orders("orders-new-pods", False), lambda: _orders("orders-old-pending", True),
                              lambda: _memcached("cache-spot", True), lambda: _memcached("cache-other-pool", False),
                              lambda: _catalog("catalog-new-node", False), lambda: _catalog("catalog-all-nodes", True)),
                             tmp_path_factory.mktemp("creation-template"))


def _top(results: dict[str, Any], bundle: str) -> str:
    return str(getattr(results[bundle], "top", "") or "")


@pytest.mark.parametrize(("bundle", "words"), [
    ("orders-new-pods", ("PriorityClass spare-capacity", "globalDefault", "priority -1", "preemption")),
    ("cache-spot", ("Provisioner general", "karpenter.sh/capacity-type", "spot", "interrupted")),
    ("catalog-new-node", ("EC2NodeClass workers", "spec.subnetSelectorTerms", "subnets")),
])
def test_the_template_is_named_with_its_field_and_what_it_means_for_new_objects(
        results: dict[str, Any], bundle: str, words: tuple[str, ...]) -> None:
    top = _top(results, bundle)
    assert top.startswith(words[0]), top
    assert all(w in top for w in words), top


@pytest.mark.parametrize(("bundle", "template"), [
    ("orders-old-pending", "PriorityClass spare-capacity"), ("cache-other-pool", "Provisioner general"),
    ("catalog-all-nodes", "EC2NodeClass workers")])
def test_a_template_write_the_victims_do_not_split_on_is_not_blamed(results: dict[str, Any], bundle: str,
                                                                    template: str) -> None:
    top = _top(results, bundle)
    assert not top.startswith(template), top
    assert "Only pods created since" not in top and "Only nodes it launched since" not in top, top
