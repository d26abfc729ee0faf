"""Writes recorded only in managedFields, which `k8s_get` strips: key_split and purge_job find them in the timeline.

The hub serves objects as the Kubernetes MCP server's `k8s_get` does, WITHOUT managedFields; the write is in the
48 h change timeline only (`k8s_changes`, the server's own reading of those managedFields: a Secret's `data key K
set by M`, a CronJob's `pod template written by M`). Shapes: a Django Secret whose SECRET_KEY helm rewrote 20 h ago
between the replicas' starts; a cart-purge CronJob re-rendered by helm 10 h ago whose run removed 1200 rows. Twins:
the timeline's Secret write touched only a database password; the CronJob's write is 30 h old (outside its 24 h
lead); a CronJob whose answer does carry its managedFields needs no timeline read at all (call count).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import key_split, purge_job
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)
DJANGO = "WARNING django.security.csrf: Forbidden (CSRF token from POST incorrect.): /admin/"
CART = "level=error msg=\"cart not found\" cart_id=c-77 status=404"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def victim(pod: str, ns: str, message: str, first: datetime) -> LogEvidence:
    entry = {"message": message, "example": message, "first_seen": iso(first), "severity": "warning"}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="L1", top=None, hosts=[], error_classes=set(),
                       previous=False, warnings=[entry])


def history(changes: list[dict[str, Any]]) -> Any:
    def answer(call: Call, eid: str) -> Any:
        return outcome(True, {"changes": changes, "window_start": iso(AT - timedelta(hours=48)),
                              "window_end": iso(AT)}, "", eid)
    return answer


def _secret_write(keys: list[str], ago: timedelta) -> dict[str, Any]:
    diff = [f"data key {k} set by helm" for k in keys]
    return {"at": iso(AT - ago), "type": "secret", "object": {"kind": "Secret", "namespace": "backoffice",
                                                             "name": "admin-django"},
            "summary": "Secret backoffice/admin-django updated by helm: " + "; ".join(diff), "diff": diff}


def _django(changes: list[dict[str, Any]]) -> tuple[Facts, RecordingHub]:
    facts = Facts(at=AT, changes={"changes": []}, changes_id="C1",
                  logs=[victim("admin-6d8f7c9b5-x2k4q", "backoffice", DJANGO, AT - timedelta(minutes=15))])
    names = ["admin-6d8f7c9b5-x2k4q", "admin-6d8f7c9b5-p7r2m", "admin-6d8f7c9b5-b9c3d", "admin-6d8f7c9b5-z8w4t"]
    starts = [AT - timedelta(days=2)] * 2 + [AT - timedelta(minutes=18)] * 2
    objects: dict[Any, Any] = {("Secret", "admin-django"): {"kind": "Secret", "metadata": {
        "name": "admin-django", "namespace": "backoffice"}, "type": "Opaque"}}
    for name, start in zip(names, starts, strict=True):
        objects[("Pod", name)] = {"kind": "Pod", "metadata": {"name": name, "namespace": "backoffice"},
                                  "spec": {"containers": [{"name": "admin", "image": "admin:3",
                                                           "envFrom": [{"secretRef": {"name": "admin-django"}}]}]},
                                  "status": {"phase": "Running", "startTime": iso(start)}}
    hub = RecordingHub(objects=objects, lists={("Pod", "backoffice"): [{"name": n} for n in names]},
                       answers={"k8s_changes": history(changes)})
    return facts, hub


def test_a_signing_key_write_seen_only_in_the_timeline_splits_the_replicas() -> None:
    facts, hub = _django([_secret_write(["DJANGO_SECRET_KEY"], timedelta(hours=20))])
    asyncio.run(key_split.read(Subject(), facts, hub, iso(AT)))
    hits = key_split.found(facts)
    assert [(h.secret.name, h.keys, h.by) for h in hits] == [("admin-django", ["DJANGO_SECRET_KEY"], "helm")]
    assert hub.tools.count("k8s_changes") == 1
    assert ("k8s_changes", {"at": iso(AT), "window": "48h"}) in hub.calls


def test_a_password_written_in_the_timeline_is_no_key_split() -> None:
    facts, hub = _django([_secret_write(["DATABASE_PASSWORD"], timedelta(hours=20))])
    asyncio.run(key_split.read(Subject(), facts, hub, iso(AT)))
    assert key_split.found(facts) == []


def _cart(changes: list[dict[str, Any]], managed: list[dict[str, Any]] | None = None) -> tuple[Facts, RecordingHub]:
    facts = Facts(at=AT, changes={"changes": []}, changes_id="C1",
                  logs=[victim("shop-7f9c8d6b4-m4n8p", "retail", CART, AT - timedelta(minutes=28))])
    run = f"cart-purge-{int((AT - timedelta(minutes=30)).timestamp() // 60)}-k2x9q"
    cronjob: dict[str, Any] = {"kind": "CronJob", "metadata": {"name": "cart-purge", "namespace": "retail"},
                               "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
                                   "containers": [{"name": "purge", "image": "purge:2",
                                                   "args": ["--table", "carts"]}]}}}}}}
    if managed is not None:
        cronjob["metadata"]["managedFields"] = managed
    hub = RecordingHub(objects={("CronJob", "cart-purge"): cronjob},
                       lists={("CronJob", "retail"): [{"name": "cart-purge"}],
                              ("Pod", "retail"): [{"name": run}, {"name": "shop-7f9c8d6b4-m4n8p"}]},
                       logs={run: ["2026-12-03T15:00:09Z purge: removed 1200 rows from carts"]},
                       answers={"k8s_changes": history(changes)})
    return facts, hub


def _template_write(ago: timedelta) -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "other", "object": {"kind": "CronJob", "namespace": "retail",
                                                            "name": "cart-purge"},
            "summary": "CronJob retail/cart-purge pod template written by helm (no revision in view; previous "
                       "values not recorded): purge args now ['--table', 'carts']",
            "diff": ["purge args now ['--table', 'carts']"]}


def test_a_cronjob_template_write_seen_only_in_the_timeline_names_the_purge() -> None:
    facts, hub = _cart([_template_write(timedelta(hours=10))])
    asyncio.run(purge_job.read(Subject(), facts, hub, iso(AT)))
    hits = purge_job.suspects(facts)
    assert [h[0].name for h in hits] == ["cart-purge"]
    assert "was rewritten by helm 10 h 0 min before the alert" in hits[0][1]["message"]


def test_a_cronjob_written_outside_its_lead_is_not_named() -> None:
    facts, hub = _cart([_template_write(timedelta(hours=30))])
    asyncio.run(purge_job.read(Subject(), facts, hub, iso(AT)))
    assert purge_job.suspects(facts) == [] and hub.tools.count("k8s_changes") == 1


def test_managed_fields_in_the_answer_need_no_timeline_read() -> None:
    managed = [{"manager": "helm", "operation": "Update", "time": iso(AT - timedelta(hours=3)),
                "fieldsV1": {"f:spec": {"f:jobTemplate": {}}}}]
    facts, hub = _cart([], managed)
    asyncio.run(purge_job.read(Subject(), facts, hub, iso(AT)))
    assert [h[0].name for h in purge_job.suspects(facts)] == ["cart-purge"] and "k8s_changes" not in hub.tools
