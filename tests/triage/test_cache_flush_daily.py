"""A daily maintenance job edited to flush a whole cache, written long before its first run (issue #12, round 50 class).

Written here, not taken from the held-out bundles. The class: a CronJob that runs once a day is edited in the
evening to empty the cache (memcached's `memcflush`, Symfony's `cache:pool:clear`); its next run, the following
morning, sends a herd of misses to the origin. The write is older than the survey's 6 h timeline, so
`cache_flush` finds the flushing CronJob among the failing workloads' namespace and dates its write in the 48 h
timeline. Two shapes (memcached, read through its hit/get counters; a Symfony app's Redis pool, read through an
exporter's hit-ratio gauge in percent). Negative twins: the same CronJob written three days ago (outside the lead),
and a run the hit ratio shrugs off; and no longer timeline is read when no CronJob there flushes anything.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import cache_flush
from agent.triage.facts import Facts, LogEvidence
from tests.triage.doubles import Call, outcome
from tests.triage.test_cache_flush import Curve, Hub

AT = datetime(2026, 11, 2, 6, 40, tzinfo=UTC)
RUN = datetime(2026, 11, 2, 6, 15, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


class DailyHub(Hub):
    """The curve hub, plus CronJob rows of a namespace and the 48 h change timeline holding the CronJob's write."""

    def __init__(self, cronjob: dict[str, Any], written: datetime, curves: dict[str, tuple[dict[str, str], Curve]]
                 ) -> None:
        meta = cronjob["metadata"]
        name, ns = meta["name"], meta["namespace"]
        super().__init__({("CronJob", name): cronjob}, [
            {"name": f"{name}-{29360000 + i}", "namespace": ns, "created": _iso(RUN - timedelta(days=i))}
            for i in range(3)], curves)
        self.lists[("CronJob", ns)] = [{"name": name, "namespace": ns}, {"name": "report-mailer", "namespace": ns}]
        self.objects[("CronJob", "report-mailer")] = {"kind": "CronJob", "metadata": {"name": "report-mailer"},
                                                      "spec": {"schedule": "0 7 * * 1", "jobTemplate": {"spec": {
                                                          "template": {"spec": {"containers": [
                                                              {"name": "m", "command": ["send-reports"]}]}}}}}}
        self.history = {"window_start": _iso(AT - timedelta(hours=48)), "changes": [
            {"at": _iso(written), "type": "other", "object": {"kind": "CronJob", "namespace": ns, "name": name},
             "summary": f"CronJob {ns}/{name} written by kubectl-edit: pod template",
             "diff": ["pod template written by kubectl-edit"]}]}

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool == "k8s_changes":
            return outcome(True, self.history, "", eid)
        return super().answer(call, eid)


def _facts(namespace: str) -> Facts:
    """No CronJob in the 6 h timeline; the failing workload's log times out on the origin behind the cache."""
    log = LogEvidence(pod="web-5d8c7b9f6d-k2p4x", namespace=namespace, evidence_id="E5",
                      top={"message": "SQLSTATE[HY000]: General error: 2006 MySQL server has gone away",
                           "severity": "error"}, hosts=[], error_classes={"timeout"}, previous=False)
    return Facts(at=AT, changes={"changes": []}, changes_id="E2", logs=[log])


def _cronjob(name: str, ns: str, command: list[str]) -> dict[str, Any]:
    return {"kind": "CronJob", "metadata": {"name": name, "namespace": ns},
            "spec": {"schedule": "15 6 * * *", "jobTemplate": {"spec": {"template": {"spec": {
                "containers": [{"name": "task", "image": "registry.local/ops:3", "command": command}]}}}}}}


def _after_run(high: float, low: float) -> Curve:
    def curve(t: datetime) -> float:
        return low if timedelta(0) <= t - RUN < timedelta(minutes=4) else high
    return curve


MEMC = _cronjob("nightly-tidy", "shop", ["sh", "-c", "memcflush --servers=memcached.shop.svc:11211"])
SYMFONY = _cronjob("pool-maintenance", "storefront", ["php", "bin/console", "cache:pool:clear", "cache.app"])


def _run(facts: Facts, hub: DailyHub) -> None:
    asyncio.run(cache_flush.read(facts, hub))


def test_memcached_flushed_by_a_job_edited_the_evening_before_is_named() -> None:
    facts = _facts("shop")
    hub = DailyHub(MEMC, AT - timedelta(hours=15), {"cache_hit": ({"cache": "memcached"}, _after_run(0.94, 0.07))})
    _run(facts, hub)
    [hit] = cache_flush.found(facts)
    message = cache_flush.finding(hit)["message"]
    assert message.startswith("CronJob shop/nightly-tidy runs a memcached flush_all on schedule 15 6 * * * "
                              "(ran at 06:15 UTC), written 15 h 0 min before the incident")
    assert "herd of misses" in message and "drops from 94% to 7%" in message
    assert "k8s_changes" in hub.tools


def test_a_symfony_pool_clear_edited_overnight_is_named() -> None:
    facts = _facts("storefront")
    hub = DailyHub(SYMFONY, AT - timedelta(hours=20), {"cache_hit": ({"service": "app-redis"},
                                                                     _after_run(88.0, 4.0))})
    _run(facts, hub)
    [hit] = cache_flush.found(facts)
    assert hit.job.name == "pool-maintenance" and hit.flush.what == "framework cache clear" and hit.runs == ["06:15"]


def test_twin_the_same_flush_written_days_ago_is_not_named() -> None:
    facts = _facts("shop")
    _run(facts, DailyHub(MEMC, AT - timedelta(days=3), {"cache_hit": ({"cache": "memcached"},
                                                                       _after_run(0.94, 0.07))}))
    assert cache_flush.found(facts) == []


def test_twin_a_run_the_hit_ratio_shrugs_off_is_not_named() -> None:
    facts = _facts("storefront")
    _run(facts, DailyHub(SYMFONY, AT - timedelta(hours=20), {"cache_hit": ({"service": "app-redis"},
                                                                            _after_run(88.0, 83.0))}))
    assert cache_flush.found(facts) == []


def test_twin_no_flushing_cronjob_reads_no_longer_timeline() -> None:
    facts = _facts("shop")
    hub = DailyHub(_cronjob("nightly-tidy", "shop", ["sh", "-c", "memcstat --servers=memcached.shop.svc:11211"]),
                   AT - timedelta(hours=15), {"cache_hit": ({"cache": "memcached"}, _after_run(0.94, 0.07))})
    _run(facts, hub)
    assert cache_flush.found(facts) == [] and "k8s_changes" not in hub.tools
