"""Replicas stacked on one node by a rollout's placement change, end to end: bundles of our own, investigated blind.

Written with the corpus generator's writer, served by the replay API server and Debian's Prometheus, investigated in
runbook-only mode as `vigil eval` does, so the reads (the node's pods by field selector, the namespace's pods, the
rollout history built from real ReplicaSets, the Deployment and the affinity target by label selector) run against a
real API path:

- an alert (Alertmanager) on a node's load naming only its address (`instance="10.0.2.21:9100"`, node-exporter's
  scrape target): search-indexer's revision made its topology spread
  whenUnsatisfiable ScheduleAnyway and dropped its podAntiAffinity, and five of its six replicas sit on the node;
- a chat question naming a node by its short name: report-builder's revision set a nodeSelector and a toleration
  for a reporting pool that one node carries, and all five replicas run there;
- a question about a slow service (no node named): one of its pods shares a node onto which feature-builder's
  revision pinned six replicas with a required nodeAffinity on the hostname; they use most of the node's CPU;
- twin: a node hot from one pod's own CPU after an image rollout (one replica per node): nothing is "stacked";
- twin: the same slow service and the same pinned pile, but the pile idles (a few millicores): the node is not
  strained, and its neighbour is not blamed on it;
- twin: a required podAffinity added to a target that runs on every node: the replicas still spread, and the
  placement change is not said to have stacked them.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus.kit import REGISTRY, Incident, P, Rev, c  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]


def _load(inc: Incident, hot: str, since: datetime) -> None:
    """node-exporter's 1m load average per node: the hot node's climbs at `since`."""
    for i, n in enumerate(inc.node_names()):
        inc.series("node_load1", "gauge", "1m load average.", {"instance": n, "job": "node-exporter"},
                   lambda t, n=n, i=i: 24.0 if n == hot and t >= since else 1.1 + 0.2 * i, step_s=60)


def spread_relaxed_alert() -> Incident:
    """search-indexer's revision 5 made its spread ScheduleAnyway and dropped its anti-affinity: 5 of 6 on one node."""
    at = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    inc = Incident("node-load-alert-spread", title="node load", story=spread_relaxed_alert.__doc__ or "", at=at,
                   seed=981, namespaces=("catalog",))
    nodes = inc.node_names()
    hot, rolled = nodes[1], at - timedelta(minutes=50)
    img = f"{REGISTRY}/catalog/search-indexer:7.2.0"
    spread = {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels":
                                                                                      {"app": "search-indexer"}}}
    before = {"topologySpreadConstraints": [{**spread, "whenUnsatisfiable": "DoNotSchedule"}],
              "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                  {"labelSelector": {"matchLabels": {"app": "search-indexer"}},
                   "topologyKey": "kubernetes.io/hostname"}]}}}
    after = {"topologySpreadConstraints": [{**spread, "whenUnsatisfiable": "ScheduleAnyway"}]}
    inc.deployment("catalog", "search-indexer", [
        Rev(4, inc.born + timedelta(days=20), "helm upgrade", [c("search-indexer", img, cpu_request="100m")],
            pod_spec=before),
        Rev(5, rolled, "helm upgrade", [c("search-indexer", img, cpu_request="100m")], pod_spec=after)],
        {5: [P(node=hot) for _ in range(5)] + [P(node=nodes[0])]})
    _load(inc, hot, rolled + timedelta(minutes=3))
    address = ".".join(hot.split(".")[0].split("-")[1:])  # the EC2 node's private address, as node-exporter's target
    inc.alertmanager("NodeLoadHigh", {"instance": f"{address}:9100", "job": "node-exporter"},
                     f"Instance {address}:9100 load average is 24 (4 cores)",
                     "The 1m load average has been above 3x the core count for 15 minutes.",
                     f'node_load1{{node="{hot}"}} > 3 * count by (node) (node_cpu_seconds_total{{mode="idle"}})')
    inc.answer_key(culprit=("Deployment", "catalog", "search-indexer"), keywords=["same node", "replicas"],
                   root_cause="revision 5 relaxed the spread and dropped the anti-affinity; 5 of 6 on one node",
                   category="spread-removed-packs-one-node", red_herrings=[])
    return inc


def selector_narrowed_question() -> Incident:
    """report-builder's revision 3 selects pool=reporting (one node carries it) and tolerates it: 5 of 5 there."""
    at = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    inc = Incident("node-slow-selector", title="question about a node", story=selector_narrowed_question.__doc__
                   or "", at=at, seed=982, namespaces=("bi",))
    nodes = inc.node_names()
    hot, rolled = nodes[3], at - timedelta(hours=2)
    next(n for n in inc.cluster.nodes if n["metadata"]["name"] == hot)["metadata"]["labels"]["pool"] = "reporting"
    img = f"{REGISTRY}/bi/report-builder:3.0.4"
    placed = {"nodeSelector": {"pool": "reporting"},
              "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "reporting", "effect": "NoSchedule"}]}
    inc.deployment("bi", "report-builder", [
        Rev(2, inc.born + timedelta(days=15), "helm upgrade", [c("report-builder", img, cpu_request="250m")]),
        Rev(3, rolled, "helm upgrade", [c("report-builder", img, cpu_request="250m")], pod_spec=placed)],
        {3: [P(node=hot) for _ in range(5)]})
    _load(inc, hot, rolled + timedelta(minutes=5))
    short = hot.split(".")[0]
    inc.ask(f"Everything on {short} has been sluggish for the last two hours and its load is through the roof. "
            "Why is that node so busy?")
    inc.answer_key(culprit=("Deployment", "bi", "report-builder"), keywords=["nodeSelector", "replicas"],
                   root_cause="revision 3 pinned every replica to the reporting node with a nodeSelector",
                   category="node-selector-packs-one-node", red_herrings=[])
    return inc


def own_cpu_twin() -> Incident:
    """The twin: one replica per node; the hot node's replica got a slower image. Nothing was stacked."""
    at = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)
    inc = Incident("node-hot-own-cpu", title="question about a node", story=own_cpu_twin.__doc__ or "", at=at,
                   seed=983, namespaces=("media",))
    nodes = inc.node_names()
    hot, rolled = nodes[2], at - timedelta(minutes=30)
    inc.deployment("media", "encoder", [
        Rev(1, inc.born + timedelta(days=10), "helm upgrade", [c("encoder", f"{REGISTRY}/media/encoder:1.4")]),
        Rev(2, rolled, "helm upgrade", [c("encoder", f"{REGISTRY}/media/encoder:1.5")])],
        {2: [P(node=n) for n in nodes]})
    _load(inc, hot, rolled + timedelta(minutes=2))
    inc.ask(f"{hot} has a load average of 20 since half an hour. What happened to that node?")
    inc.answer_key(culprit=("Deployment", "media", "encoder"), keywords=["encoder"],
                   root_cause="the encoder's new image uses more CPU", category="own-cpu", red_herrings=[])
    return inc


def affinity_spread_twin() -> Incident:
    """The twin: a required podAffinity to a per-node agent (on every node); the replicas still spread."""
    at = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    inc = Incident("node-affinity-spread", title="question about a node", story=affinity_spread_twin.__doc__ or "",
                   at=at, seed=984, namespaces=("edge",))
    nodes = inc.node_names()
    hot, rolled = nodes[0], at - timedelta(minutes=40)
    img = f"{REGISTRY}/edge/gateway:5.1.0"
    affinity = {"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "local-proxy"}}, "topologyKey": "kubernetes.io/hostname"}]}}}
    inc.deployment("edge", "local-proxy", [Rev(1, inc.born + timedelta(days=12), "helm upgrade",
                                               [c("local-proxy", f"{REGISTRY}/edge/local-proxy:2.0")])],
                   {1: [P(node=n) for n in nodes]})
    inc.deployment("edge", "gateway", [
        Rev(7, inc.born + timedelta(days=8), "helm upgrade", [c("gateway", img)]),
        Rev(8, rolled, "helm upgrade", [c("gateway", img)], pod_spec=affinity)],
        {8: [P(node=n) for n in nodes for _ in range(3)]})
    _load(inc, hot, rolled + timedelta(minutes=2))
    inc.ask(f"{hot} has had a high load since 07:20. What happened to that node?")
    inc.answer_key(culprit=("Node", "", hot), keywords=["load"], root_cause="nothing stacked there",
                   category="affinity-spread", red_herrings=[])
    return inc


def _pinned_pile(name: str, seed: int, per_pod_cores: float) -> Incident:
    """feature-builder's revision 4 pins its six replicas to one node by hostname; checkout-api (one pod there, one
    elsewhere) is what the question is about."""
    at = datetime(2026, 12, 6, 10, 50, tzinfo=UTC)
    inc = Incident(name, title="slow service", story=_pinned_pile.__doc__ or "", at=at, seed=seed,
                   namespaces=("ml", "shop"))
    nodes = inc.node_names()
    hot, rolled = nodes[2], at - timedelta(minutes=45)
    img = f"{REGISTRY}/ml/feature-builder:0.9.3"
    pinned = {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": [hot]}]}]}}}}
    wl = inc.deployment("ml", "feature-builder", [
        Rev(3, inc.born + timedelta(days=11), "helm upgrade", [c("feature-builder", img, cpu_request="100m")]),
        Rev(4, rolled, "helm upgrade", [c("feature-builder", img, cpu_request="100m")], pod_spec=pinned)],
        {4: [P(node=hot) for _ in range(6)]})
    inc.deployment("shop", "checkout-api", [Rev(1, inc.born + timedelta(days=14), "helm upgrade",
                                               [c("checkout-api", f"{REGISTRY}/shop/checkout-api:5.2.1")])],
                   {1: [P(node=hot), P(node=nodes[0])]})
    for h in wl.pods:
        inc.series("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed in seconds.",
                   {"namespace": "ml", "pod": h.name, "container": "feature-builder", "node": hot, "job": "kubelet"},
                   lambda t, made=h.created: round(per_pod_cores * max(0.0, (t - made).total_seconds()), 3),
                   step_s=30)
    inc.ask("checkout-api in shop has been slow since about 10:10, half its requests take seconds. What changed?")
    inc.answer_key(culprit=("Deployment", "ml", "feature-builder"), keywords=["nodeAffinity", "replicas"],
                   root_cause="revision 4 pinned six replicas to one node, which checkout-api shares",
                   category="node-affinity-packs-one-node", red_herrings=[])
    return inc


def pinned_pile_victim() -> Incident:
    """A slow service on a node six pinned replicas saturate (0.6 core each)."""
    return _pinned_pile("checkout-slow-pinned-pile", 985, 0.6)


def idle_pile_twin() -> Incident:
    """The twin: the same pinned pile idles (0.005 core each); the node is not strained."""
    return _pinned_pile("checkout-slow-idle-pile", 986, 0.005)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    builders = (spread_relaxed_alert, selector_narrowed_question, own_cpu_twin, affinity_spread_twin,
                pinned_pile_victim, idle_pile_twin)
    return investigate_blind(builders, tmp_path_factory.mktemp("node-pileup"))


@pytest.mark.parametrize(("bundle", "words"), [
    ("node-load-alert-spread", ("Deployment catalog/search-indexer stacked 5 of its 6 replicas on the same node",
                                "ScheduleAnyway", "podAntiAffinity", "only 1 on the other")),
    ("node-slow-selector", ("Deployment bi/report-builder stacked 5 of its 5 replicas on the same node",
                            "nodeSelector pool=reporting", "toleration", "(revision 3)")),
    ("checkout-slow-pinned-pile", ("Deployment ml/feature-builder stacked 6 of its 6 replicas on the same node",
                                   "required nodeAffinity kubernetes.io/hostname in (", "CPU cores")),
])
def test_the_rollout_that_stacked_the_replicas_is_named(results: dict[str, object], bundle: str,
                                                        words: tuple[str, ...]) -> None:
    row = results[bundle]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert all(w in top for w in words), top


@pytest.mark.parametrize("bundle", ["node-hot-own-cpu", "node-affinity-spread", "checkout-slow-idle-pile"])
def test_nothing_is_said_to_be_stacked_when_the_replicas_spread(results: dict[str, object], bundle: str) -> None:
    row = results[bundle]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "error", None) in (None, ""), getattr(row, "error", "")
    assert "stacked" not in top and "on the same node" not in top, top
