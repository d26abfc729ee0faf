"""A rolling update with no surge that lets half the pods or more go at once, rolled out just before the alert:
the pods left carry the load and the callers time out (agent.triage.rollout_budget, the halving shape)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import subject_of
from agent.triage.facts import Facts, Ref
from agent.triage.rank import rank
from agent.triage.rollout_budget import budgets, finding, read
from tests.triage.test_rank import alert

AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def _ts(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def _deployment(ns: str, name: str, replicas: int, surge: str, unavailable: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "strategy": {"type": "RollingUpdate", "rollingUpdate": {
                "maxSurge": surge, "maxUnavailable": unavailable}}}}


def _facts(ns: str, name: str, manager: str, diff: list[str], written: int, rolled: int,
           obj: dict[str, Any] | None = None) -> Facts:
    target = {"kind": "Deployment", "namespace": ns, "name": name}
    changes = [{"at": _ts(rolled), "type": "rollout", "object": target,
                "summary": f"Deployment {ns}/{name} rolled out revision 7", "diff": ["image a:1 -> a:2"]},
               {"at": _ts(written), "type": "other", "object": target,
                "summary": f"Deployment {ns}/{name} written by {manager}: spec.strategy", "diff": diff}]
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", objects=[(obj, "E5")] if obj else [])


def _valued(replicas: int, surge: str, unavailable: str, rolled: int = 12) -> Facts:
    """An Argo CD sync that wrote the values into the timeline (the object read only for its replicas)."""
    diff = [f"spec.strategy.rollingUpdate.maxSurge written by argocd-controller (now '{surge}')",
            f"spec.strategy.rollingUpdate.maxUnavailable written by argocd-controller (now '{unavailable}')"]
    return _facts("payments", "ledger-api", "argocd-controller", diff, 14, rolled,
                  _deployment("payments", "ledger-api", replicas, surge, unavailable))


def _bare(replicas: int, surge: str, unavailable: str, written: int = 20, rolled: int = 20) -> Facts:
    """A Flux write whose timeline line names only the fields: the values come from the object as read."""
    diff = ["spec.strategy.rollingUpdate.maxSurge", "spec.strategy.rollingUpdate.maxUnavailable"]
    return _facts("media", "thumbnailer", "kustomize-controller", diff, written, rolled,
                  _deployment("media", "thumbnailer", replicas, surge, unavailable))


def test_no_surge_and_half_the_pods_let_go_names_the_strategy_write() -> None:
    [b] = budgets(_valued(6, "0%", "3"))
    assert b.halved and b.target == Ref("Deployment", "payments", "ledger-api") and b.manager == "argocd-controller"
    message = finding(b, "change.related")["message"]
    assert "3 of 6 pods" in message and "maxSurge '0%'" in message and "rolling update" in message
    [b] = budgets(_bare(3, "0", "67%"))
    assert b.halved and b.max_unavailable == "67%" and b.replicas == 3 and b.manager == "kustomize-controller"


def test_a_surge_a_kept_majority_or_a_rollout_long_over_is_not_named() -> None:
    assert budgets(_valued(6, "25%", "3")) == []  # new pods come up before old ones go
    assert budgets(_valued(6, "0", "2")) == []  # four of six keep serving
    assert budgets(_valued(6, "0%", "3", rolled=50)) == []  # the rollout ended long before the alert
    assert budgets(_bare(3, "0", "67%", written=100, rolled=100)) == []
    assert budgets(_bare(3, "0", "67%", written=20, rolled=25)) == []  # rolled before the write: not under it
    assert budgets(_facts("media", "thumbnailer", "kustomize-controller",
                          ["spec.strategy.rollingUpdate.maxUnavailable"], 20, 20)) == []  # values never read


def test_the_halving_write_is_the_callers_top_suspect_and_a_surge_leaves_it_out() -> None:
    subject = subject_of(alert(alertname="UpstreamTimeouts", namespace="checkout", service="cart-bff"))
    [top, *_] = rank(subject, _valued(4, "0", "50%"))
    assert top.ref == Ref("Deployment", "payments", "ledger-api") and "take 2 of 4" not in top.cause
    assert "2 of 4 pods down at once" in top.cause
    assert not any("pods down at once" in c.cause for c in rank(subject, _valued(4, "1", "50%")))


def test_read_fetches_only_a_deployment_that_rolled_out_under_a_strategy_write() -> None:
    asked: list[dict[str, Any]] = []
    obj = _deployment("media", "thumbnailer", 4, "0", "50%")

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append(arguments)
        text = yaml.safe_dump(obj)
        return ToolOutcome("E7", tool, arguments, True, text, full_text=text)

    facts = _bare(4, "0", "50%")
    facts.objects = []
    asyncio.run(read(facts, call))
    assert [a["name"] for a in asked] == ["thumbnailer"] and budgets(facts)[0].replicas == 4
    asked.clear()
    quiet = _bare(4, "0", "50%", written=100, rolled=100)
    quiet.objects = []
    asyncio.run(read(quiet, call))
    assert asked == []
