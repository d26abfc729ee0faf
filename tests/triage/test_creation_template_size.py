"""A node pool's size bound written below what the Pending pods meant for it request: a Karpenter NodePool whose
instance-memory bound admits 16 GiB under 48 GiB pods (matched by their node selector), an Azure pool whose sku-cpu
list stops at 8 under 16-CPU pods (named by the provisioner's refusal); and the twins (pods that fit the bound,
pods meant for another pool, a write to another field of the pool)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import creation_template as ct
from agent.triage.facts import Facts, Ref

AT = datetime(2026, 11, 12, 7, 30, tzinfo=UTC)


def _pool(name: str, labels: dict[str, str], requirements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "NodePool", "metadata": {"name": name},
            "spec": {"template": {"metadata": {"labels": labels},
                                  "spec": {"requirements": requirements}}, "limits": {"cpu": "1000"}}}


def _pending(ns: str, name: str, requests: dict[str, str], selector: dict[str, str] | None,
             said: str) -> dict[str, Any]:
    owner = {"kind": "Deployment", "namespace": ns, "name": name}
    details: dict[str, Any] = {"requests": requests}
    if selector:
        details["node_selector"] = selector
    return {"check": "pod.pending", "object": owner, "owner": owner, "reason": "FailedScheduling",
            "message": f"Deployment {ns}/{name}: 3/5 pods Pending, FailedScheduling", "details": details,
            "evidence": [said]}


def _facts(pool: dict[str, Any], finding: dict[str, Any], diff: str) -> Facts:
    name = pool["metadata"]["name"]
    change = {"at": (AT - timedelta(hours=14)).isoformat().replace("+00:00", "Z"), "type": "other",
              "object": {"kind": "NodePool", "namespace": "", "name": name},
              "summary": f"NodePool {name} written by flux", "diff": [diff]}
    facts = Facts(at=AT, scan={"findings": [finding]}, changes={"changes": [change]}, changes_id="E2")
    facts.reads[ct.READS] = {"templates": {str(Ref("NodePool", "", name)): pool}, "evidence": ["E7"]}
    return facts


MEMORY_POOL = _pool("analytics-mem", {"team": "analytics"}, [
    {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
    {"key": "karpenter.k8s.aws/instance-memory", "operator": "Lt", "values": ["16385"]}])
AZURE_POOL = _pool("inference", {}, [
    {"key": "karpenter.azure.com/sku-family", "operator": "In", "values": ["D"]},
    {"key": "karpenter.azure.com/sku-cpu", "operator": "In", "values": ["2", "4", "8"]}])
REQUIREMENTS = 'spec.template.spec.requirements = [{"key": "karpenter.sh/capacity-type"'
DEFAULT_SAID = "0/9 nodes are available: 9 node(s) didn't match Pod's node affinity/selector."
AZURE_SAID = ('Failed to schedule pod, incompatible with nodepool "inference", daemonset overhead={"cpu":"180m"}, '
              'no instance type satisfied resources {"cpu":"16200m"}')


def test_memory_bound_below_the_pods_meant_for_the_pool_names_it() -> None:
    finding = _pending("analytics", "spark-driver", {"cpu": "4", "memory": "48Gi"}, {"team": "analytics"},
                       DEFAULT_SAID)
    [fit] = ct.found(_facts(MEMORY_POOL, finding, REQUIREMENTS))
    assert fit.template == Ref("NodePool", "", "analytics-mem") and fit.shape == "size"
    message = ct.finding(fit)["message"]
    assert "instance-memory Lt 16385" in message and "49152 MiB memory" in message and "no instance type" in message


def test_pods_that_fit_the_memory_bound_do_not_name_it() -> None:
    finding = _pending("analytics", "spark-driver", {"cpu": "4", "memory": "8Gi"}, {"team": "analytics"},
                       DEFAULT_SAID)
    assert ct.found(_facts(MEMORY_POOL, finding, REQUIREMENTS)) == []


def test_cpu_list_below_pods_the_provisioner_refusal_names_it() -> None:
    finding = _pending("ml", "ranker", {"cpu": "16", "memory": "8Gi"}, None, AZURE_SAID)
    [fit] = ct.found(_facts(AZURE_POOL, finding, REQUIREMENTS))
    assert fit.template == Ref("NodePool", "", "inference") and "at most 8" in fit.victims[0]


def test_pods_meant_for_another_pool_do_not_name_it() -> None:
    said = 'Failed to schedule pod, incompatible with nodepool "gpu", no instance type satisfied resources'
    finding = _pending("ml", "ranker", {"cpu": "16", "memory": "8Gi"}, {"accelerator": "a100"}, said)
    assert ct.found(_facts(AZURE_POOL, finding, REQUIREMENTS)) == []


def test_a_write_to_another_field_of_the_pool_did_not_bound_the_size() -> None:
    finding = _pending("ml", "ranker", {"cpu": "16", "memory": "8Gi"}, None, AZURE_SAID)
    assert ct.found(_facts(AZURE_POOL, finding, "spec.disruption.consolidateAfter = '30s'")) == []
