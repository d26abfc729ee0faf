"""A node-level setting a change made wrong for a workload, end to end (agent.triage.node_prerequisite).

Bundles written here with the corpus generator's writer, served by the replay API server and investigated blind
in runbook-only mode (as `vigil eval` does), in two shapes with a negative twin each:

- tuning: DaemonSet platform/kernel-tuner's revision adds `vm.overcommit_memory=2` to its `sysctl -w` line; the
  invoice-api pods started since die in the JVM's words (`os::commit_memory ... errno=12`, `insufficient memory
  for the Java Runtime`), the older ones run. Twin: the revision adds `vm.overcommit_memory=1` (heuristic, which
  refuses nothing a JVM reserves): the DaemonSet is not named for the crash.
- architecture: a Karpenter NodePool written to admit arm64 beside amd64; the node it launched since is arm64 and
  the Go service's pod there dies `exec /app/server: exec format error`, its pods on the older amd64 nodes run;
  the question names only the node. Twin: the new node is amd64 like the rest: the pool is not what differs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402

M = timedelta(minutes=1)


def _served(pod: str, start: datetime, end: datetime) -> str:
    return L.lines(L.ticker(start, end, 60, lambda i, t: L.js(t, "info", "served", path="/v1/items", status=200)))


def _once(text: str) -> Callable[[str, datetime, datetime], str]:
    def log(pod: str, start: datetime, end: datetime) -> str:
        return "\n".join(f"{ts(start + timedelta(milliseconds=40 * i))} {line}"
                         for i, line in enumerate(text.splitlines())) + "\n"
    return log


JVM_DEATH = ("OpenJDK 64-Bit Server VM warning: INFO: os::commit_memory(0x00000006c0000000, 3221225472, 0) failed; "
             "error='Not enough space' (errno=12)\n"
             "#\n# There is insufficient memory for the Java Runtime Environment to continue.\n"
             "# Native memory allocation (mmap) failed to map 3221225472 bytes for committing reserved memory.\n")


def _tuner(name: str, overcommit: int) -> Incident:
    at = datetime(2026, 11, 10, 14, 0, tzinfo=UTC)
    inc = Incident(name, title="invoice-api new pods crash", story="", at=at, seed=7301,
                   namespaces=("billing", "platform"))
    rolled = at - 35 * M
    ns, ds_name = "platform", "kernel-tuner"
    pods = inc.cluster.daemonset(ns, ds_name, "docker.io/library/busybox:1.36.1", inc.born + timedelta(days=3),
                                 memory_mi=1)
    keys = {3: "fs.inotify.max_user_watches=524288",
            4: f"fs.inotify.max_user_watches=524288 vm.overcommit_memory={overcommit}"}

    def spec(rev: int) -> dict[str, Any]:
        return {"hostPID": True, "containers": [
            {"name": ds_name, "image": "docker.io/library/busybox:1.36.1", "securityContext": {"privileged": True},
             "command": ["sh", "-c", f"sysctl -w {keys[rev]} && sleep infinity"]}]}
    ds = inc.find("DaemonSet", ns, ds_name)
    ds["spec"]["template"] = {"metadata": {"labels": {"app": ds_name}}, "spec": spec(4)}
    ds["metadata"]["generation"] = 4
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "4"
    for rev, when in ((3, inc.born + timedelta(days=5)), (4, rolled)):
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                 "metadata": {"name": f"{ds_name}-{o.suffix(f'{ds_name}{rev}', 10)}", "namespace": ns,
                              "creationTimestamp": ts(when),
                              "labels": {"app": ds_name, "controller-revision-hash": o.suffix(f"{ds_name}{rev}", 10)},
                              "ownerReferences": [o.owner_ref("DaemonSet", ds_name, ns)]},
                 "revision": rev, "data": {"spec": {"template": {"metadata": {"labels": {"app": ds_name}},
                                                                 "spec": spec(rev), "$patch": "replace"}}}})
    for i, h in enumerate(pods):
        h.created = rolled + timedelta(seconds=30 + 40 * i)
        h.states[0].started_at = h.created + timedelta(seconds=4)
    nodes = inc.node_names()
    crash = P(state="crashloop", log=_once(JVM_DEATH), exit_code=1, created=at - 20 * M, node=nodes[1])
    inc.deployment("billing", "invoice-api", [Rev(6, inc.born + timedelta(days=6), "helm upgrade invoice-api",
                                                  [c("invoice-api", f"{REGISTRY}/billing/invoice-api:4.2.0",
                                                     memory_request="4Gi")])],
                   {6: [P(log=_served, node=nodes[0]), P(log=_served, node=nodes[2]),
                        crash, P(state="crashloop", log=_once(JVM_DEATH), exit_code=1, created=at - 19 * M,
                                 node=nodes[2])]})
    inc.ask("why do the new invoice-api pods keep crash looping? the old ones are fine and the nodes have free "
            "memory")
    inc.answer_key(culprit=("DaemonSet", ns, ds_name), keywords=["overcommit_memory", "CommitLimit"],
                   root_cause="kernel-tuner sets vm.overcommit_memory=2", category="strict-overcommit",
                   red_herrings=[])
    return inc


def _crd(inc: Incident) -> None:
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": "nodepools.karpenter.sh"},
             "spec": {"group": "karpenter.sh", "scope": "Cluster",
                      "names": {"kind": "NodePool", "listKind": "NodePoolList", "plural": "nodepools",
                                "singular": "nodepool"},
                      "versions": [{"name": "v1", "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": {"kind": "NodePool", "plural": "nodepools"}, "storedVersions": ["v1"]}})


def _pool(name: str, new_arch: str) -> Incident:
    at = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
    inc = Incident(name, title="pods on a new node crash", story="", at=at, seed=7302, namespaces=("geo",))
    written, launched = at - timedelta(hours=4), at - timedelta(hours=2)
    _crd(inc)
    pool = inc.add({"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "workers"},
                    "spec": {"template": {"spec": {"requirements": [
                        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]},
                        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]}],
                        "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"}}},
                        "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized"}}})
    pool["metadata"]["managedFields"] = [
        {"manager": "argocd-controller", "operation": "Apply", "apiVersion": "karpenter.sh/v1", "time": ts(written),
         "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:requirements": {}}}}}}]
    for n in inc.cluster.nodes:
        n["metadata"]["labels"]["karpenter.sh/nodepool"] = "workers"
    new = inc.cluster.nodes[2]
    new["metadata"]["creationTimestamp"] = ts(launched)
    for key in ("kubernetes.io/arch", "beta.kubernetes.io/arch"):
        new["metadata"]["labels"][key] = new_arch
    new.setdefault("status", {}).setdefault("nodeInfo", {})["architecture"] = new_arch
    names = inc.node_names()
    death = _once("exec /app/server: exec format error\n")
    inc.deployment("geo", "tile-cache", [Rev(2, inc.born + timedelta(days=9), "helm upgrade tile-cache",
                                                 [c("tile-cache", f"{REGISTRY}/geo/tile-cache:1.8.0")])],
                   {2: [P(log=_served, node=names[0]), P(log=_served, node=names[1]),
                        P(state="crashloop", log=death, exit_code=255, created=launched + 3 * M, node=names[2])]})
    inc.ask(f"what is wrong with {names[2]}? the pods scheduled there since this morning keep crashing")
    inc.answer_key(culprit=("NodePool", "", "workers"), keywords=["arm64", "exec format error", "architecture"],
                   root_cause="workers admits arm64; tile-cache's image is amd64 only", category="nodepool-arch",
                   red_herrings=[])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return investigate_blind((lambda: _tuner("invoice-strict-overcommit", 2),
                              lambda: _tuner("invoice-heuristic-overcommit", 1),
                              lambda: _pool("tiles-arm-node", "arm64"), lambda: _pool("tiles-amd-node", "amd64")),
                             tmp_path_factory.mktemp("node-prerequisite"))


def _top(results: dict[str, Any], bundle: str) -> str:
    return str(getattr(results[bundle], "top", "") or "")


def test_the_daemonset_that_made_overcommit_strict_is_named_for_the_jvm_that_cannot_reserve(
        results: dict[str, Any]) -> None:
    top = _top(results, "invoice-strict-overcommit")
    assert top.startswith("DaemonSet platform/kernel-tuner"), top
    assert all(w in top for w in ("vm.overcommit_memory=2", "CommitLimit", "commit_memory")), top


def test_a_tuner_that_set_a_harmless_overcommit_mode_is_not_named_for_the_crash(results: dict[str, Any]) -> None:
    top = _top(results, "invoice-heuristic-overcommit")
    assert not top.startswith("DaemonSet platform/kernel-tuner"), top


def test_the_pool_that_admitted_arm64_is_named_for_the_exec_format_error(results: dict[str, Any]) -> None:
    top = _top(results, "tiles-arm-node")
    assert top.startswith("NodePool workers"), top
    assert all(w in top for w in ("arm64", "amd64", "architecture", "exec format error")), top


def test_a_new_node_of_the_same_architecture_is_not_the_pool_s_doing(results: dict[str, Any]) -> None:
    top = _top(results, "tiles-amd-node")
    assert not top.startswith("NodePool workers") and "architecture" not in top[:200], top
