"""agent.triage.warmup_off: a cache warm-up switched off, then a restart brings the replicas up cold.

Shapes: a properties-file ConfigMap (`catalog.cache.warmup.enabled=false`) used by a Deployment restarted an hour
later, whose pod says it skipped its warm-up; an env write on a StatefulSet (`CACHE_PREWARM=false`), its own rollout,
whose pod then logs read timeouts. Twins: a warm-up switched on, a warm-up off with no restart since, a write to
another key of the ConfigMap while the warm-up key was long off.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.triage import warmup_off as wo
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 7, 21, 9, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def cm_write(name: str, key: str, ago: timedelta, used_by: str | None = "catalog") -> dict[str, Any]:
    related = [{"kind": "Deployment", "namespace": "shop", "name": used_by}] if used_by else []
    return {"at": iso(AT - ago), "type": "config", "object": {"kind": "ConfigMap", "namespace": "shop", "name": name},
            "summary": f"ConfigMap shop/{name} updated by helm: data key {key} set by helm",
            "diff": [f"data key {key} set by helm"], "related": related}


def restart(kind: str, name: str, ago: timedelta, diff: list[str] | None = None) -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "rollout", "object": {"kind": kind, "namespace": "shop", "name": name},
            "summary": f"{kind} shop/{name} rolled out revision 3", "diff": diff or [], "related": []}


def configmap(name: str, data: dict[str, str]) -> str:
    return yaml.safe_dump({"kind": "ConfigMap", "metadata": {"name": name, "namespace": "shop"}, "data": data})


def run(changes: list[dict[str, Any]], objects: dict[Any, str], pods: list[str], logs: dict[str, list[str]]
        ) -> Facts:
    hub = RecordingHub(objects=objects, lists={("Pod", "shop"): [{"name": p} for p in pods]}, logs=logs)
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1")
    asyncio.run(wo.read(Subject(namespace="shop"), facts, hub, iso(AT)))
    return facts


PROPS = "catalog.cache.warmup.enabled=false\ncatalog.db.pool=20\n"
SKIPPED = "2026-07-21T08:01:02Z INFO CatalogCache - skipping cache warm-up; entries load on first use"


def test_properties_configmap_warmup_off_then_restart_and_a_cold_start() -> None:
    facts = run([cm_write("catalog-settings", "app.properties", timedelta(hours=5)),
                 restart("Deployment", "catalog", timedelta(hours=1))],
                {("ConfigMap", "shop", "catalog-settings"): configmap("catalog-settings", {"app.properties": PROPS})},
                ["catalog-5d8f7c6b9-k2x7p"], {"catalog-5d8f7c6b9-k2x7p": [SKIPPED]})
    hits = wo.suspects(facts)
    assert len(hits) == 1
    ref, finding, evidence, explains = hits[0]
    assert (ref.kind, ref.name) == ("ConfigMap", "catalog-settings") and explains[0].name == "catalog"
    message = finding["message"]
    assert "catalog.cache.warmup.enabled=false" in message and "cold cache" in message
    assert "skipping cache warm-up" in message and "restart of Deployment shop/catalog 60 min" in message
    assert evidence[0] == "C1" and len(evidence) == 3


def test_statefulset_env_prewarm_off_is_its_own_restart_then_timeouts() -> None:
    env = restart("StatefulSet", "ranker", timedelta(minutes=30),
                  ["ranker env CACHE_PREWARM='true' -> CACHE_PREWARM='false'"])
    logs = {"ranker-0": ["2026-07-21T08:35:00Z ERROR feature fetch failed: context deadline exceeded (after 500ms)"]}
    facts = run([env], {}, ["ranker-0"], logs)
    hits = wo.suspects(facts)
    assert [h[0].name for h in hits] == ["ranker"] and "set CACHE_PREWARM=false:" in hits[0][1]["message"]
    assert "deadline exceeded" in hits[0][1]["message"]


def test_twin_warmup_switched_on() -> None:
    env = restart("StatefulSet", "ranker", timedelta(minutes=30),
                  ["ranker env CACHE_PREWARM='false' -> CACHE_PREWARM='true'"])
    facts = run([env], {}, ["ranker-0"], {"ranker-0": ["2026-07-21T08:35:00Z ERROR read timed out"]})
    assert wo.suspects(facts) == []


def test_twin_warmup_off_without_a_restart_since() -> None:
    facts = run([cm_write("catalog-settings", "app.properties", timedelta(hours=2)),
                 restart("Deployment", "catalog", timedelta(hours=6))],
                {("ConfigMap", "shop", "catalog-settings"): configmap("catalog-settings", {"app.properties": PROPS})},
                ["catalog-5d8f7c6b9-k2x7p"], {"catalog-5d8f7c6b9-k2x7p": [SKIPPED]})
    assert wo.suspects(facts) == []


def test_twin_another_key_written_while_warmup_was_long_off() -> None:
    data = {"app.properties": PROPS, "log-level": "info"}
    facts = run([cm_write("catalog-settings", "log-level", timedelta(hours=5)),
                 restart("Deployment", "catalog", timedelta(hours=1))],
                {("ConfigMap", "shop", "catalog-settings"): configmap("catalog-settings", data)},
                ["catalog-5d8f7c6b9-k2x7p"], {"catalog-5d8f7c6b9-k2x7p": [SKIPPED]})
    assert wo.suspects(facts) == []


def test_twin_ingress_hsts_preload_off_is_no_cache_warmup() -> None:
    write = cm_write("edge-nginx", "hsts-preload", timedelta(hours=3), used_by="edge-nginx-controller")
    data = {"hsts-preload": "false", "proxy-read-timeout": "30"}
    facts = run([write, restart("Deployment", "edge-nginx-controller", timedelta(hours=1))],
                {("ConfigMap", "shop", "edge-nginx"): configmap("edge-nginx", data)},
                ["edge-nginx-controller-5d8f7c6b9-w4x7q"],
                {"edge-nginx-controller-5d8f7c6b9-w4x7q": ["2026-07-21T08:30:00Z upstream timed out (110)"]})
    assert wo.suspects(facts) == []


def test_registered_with_its_weight() -> None:
    from agent.triage import behind

    assert wo in behind.MODULES and behind.WEIGHTS[wo.CHECK] == wo.WEIGHT
