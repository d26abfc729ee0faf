"""agent.triage.first_page: a batch run after its workload's write stops at a listing's first page and succeeds.

Shapes (not the round's wording): a CronJob syncing CRM contacts whose new run logs Google-style
`next_page_token=...` and 500 contacts where an older run synced 4,200; a Deployment indexing a bucket whose new pod
logs S3's `IsTruncated: true` and 1000 objects where an older pod indexed 12000. Twins: the new run says no page
remains (the work shrank); the new run walked several pages; the older run also stopped with pages left; counts of a
similar size; the newest run started before the write."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import first_page
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 8, 3, 12, 0, tzinfo=UTC)
WRITTEN = AT - timedelta(hours=10)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


class Hub:
    """`k8s_list` pod rows (name, created) per namespace and `k8s_logs` text per pod."""

    def __init__(self, rows: dict[str, list[dict[str, Any]]], logs: dict[str, str]) -> None:
        self.rows, self.logs = rows, logs

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> Any:
        if tool == "k8s_list":
            return outcome(True, {"rows": self.rows.get(args["namespace"], [])}, "pods", "E11")
        if tool == "k8s_logs":
            return outcome(True, {}, f"logs of {args['name']}\n{self.logs.get(str(args['name']), '')}", "E12")
        return None


def _write(kind: str, namespace: str, name: str) -> dict[str, Any]:
    return {"at": _iso(WRITTEN), "type": "updated", "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {namespace}/{name} pod template written by argocd: image crm-sync:4.0.0", "diff": []}


def _run(change: dict[str, Any], rows: dict[str, list[dict[str, Any]]],
         logs: dict[str, str]) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E3")
    asyncio.run(first_page.read(Subject(), facts, Hub(rows, logs), _iso(AT)))
    return first_page.suspects(facts)


OLD, NEW = "crm-sync-29200100-abcde", "crm-sync-29201540-fghij"
ROWS = {"sales": [{"name": OLD, "created": _iso(WRITTEN - timedelta(hours=20))},
                  {"name": NEW, "created": _iso(WRITTEN + timedelta(hours=2))}]}
OLD_LOG = '{"msg":"contacts page","count":500,"next_page_token":"Cg4xNzA"}\n' * 8 + '{"msg":"done","synced":4200}'
NEW_LOG = '{"msg":"contacts page","count":500,"next_page_token":"Cg4xNzA"}\n{"msg":"done","synced":500}'


def test_a_crm_sync_cronjob_that_stops_after_one_next_page_token() -> None:
    old = "\n".join(['{"msg":"contacts page","count":500}'] * 8 + ['{"msg":"done","synced":4200}'])
    [(ref, found, _, _)] = _run(_write("CronJob", "sales", "crm-sync"), ROWS, {OLD: old, NEW: NEW_LOG})
    assert ref == Ref("CronJob", "sales", "crm-sync")
    assert "first page" in found["message"] and "500 items" in found["message"] and "4200" in found["message"]


def test_a_bucket_indexer_deployment_that_stops_at_is_truncated() -> None:
    rows = {"search": [{"name": "indexer-6d8f7c9b5d-x7k2p", "created": _iso(WRITTEN - timedelta(days=1))},
                       {"name": "indexer-7f9c8d6b4z-q9m4z", "created": _iso(WRITTEN + timedelta(minutes=5))}]}
    logs = {"indexer-6d8f7c9b5d-x7k2p": "level=info msg=\"scan complete\" indexed=12000",
            "indexer-7f9c8d6b4z-q9m4z": "level=info msg=\"list objects\" IsTruncated: true\n"
                                        "level=info msg=\"scan complete\" indexed=1000"}
    [(ref, _, _, _)] = _run(_write("Deployment", "search", "indexer"), rows, logs)
    assert ref == Ref("Deployment", "search", "indexer")


def test_twin_the_new_run_says_no_page_remains() -> None:
    new = '{"msg":"contacts page","count":500,"next_page_token":""}\n{"msg":"done","synced":500}'
    old = '{"msg":"done","synced":4200}'
    assert _run(_write("CronJob", "sales", "crm-sync"), ROWS, {OLD: old, NEW: new}) == []


def test_twin_the_older_run_also_stopped_with_pages_left() -> None:
    assert _run(_write("CronJob", "sales", "crm-sync"), ROWS, {OLD: OLD_LOG, NEW: NEW_LOG}) == []


def test_twin_the_new_run_walked_several_pages() -> None:
    new = '{"msg":"contacts page","count":50,"next_page_token":"Cg4xNzA"}\n' * 3 + '{"msg":"done","synced":150}'
    old = '{"msg":"done","synced":4200}'
    assert _run(_write("CronJob", "sales", "crm-sync"), ROWS, {OLD: old, NEW: new}) == []


def test_twin_counts_of_a_similar_size() -> None:
    old = '{"msg":"done","synced":900}'
    assert _run(_write("CronJob", "sales", "crm-sync"), ROWS, {OLD: old, NEW: NEW_LOG}) == []


def test_twin_the_newest_run_started_before_the_write() -> None:
    rows = {"sales": [{"name": OLD, "created": _iso(WRITTEN - timedelta(hours=20))},
                      {"name": NEW, "created": _iso(WRITTEN - timedelta(hours=1))}]}
    old = '{"msg":"done","synced":4200}'
    assert _run(_write("CronJob", "sales", "crm-sync"), rows, {OLD: old, NEW: NEW_LOG}) == []


def test_counts_are_work_not_amounts() -> None:
    assert first_page.largest("paid 120 invoices, total USD 88,120.50; processed=120") == 120


def test_registered_with_its_weight() -> None:
    from agent.triage import behind

    assert first_page in behind.MODULES and behind.WEIGHTS[first_page.CHECK] == first_page.WEIGHT


def test_a_pod_that_never_started_is_not_a_run_to_read() -> None:
    """A rollout stuck pulling its image leaves a pod with no log: asking for one fails the call, so it is no run."""
    target = Ref("Deployment", "shop", "catalog")
    rows = [{"name": "catalog-zt87xdkqvk-w29v2", "status": "Running", "created": "2026-03-01T10:00:00Z"},
            {"name": "catalog-b6d8k2xq9n-f4g7h", "status": "ImagePullBackOff", "created": "2026-03-02T10:00:00Z"},
            {"name": "catalog-b6d8k2xq9n-k5l8m", "status": "Init:0/1", "created": "2026-03-02T10:01:00Z"}]
    assert [r["name"] for r in first_page._runs_of(rows, target)] == ["catalog-zt87xdkqvk-w29v2"]
