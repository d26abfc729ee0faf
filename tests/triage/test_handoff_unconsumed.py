"""agent.triage.handoff_unconsumed: a flag/config write routes work to a queue (topic) nothing consumes.

Shapes: a Rails app whose ConfigMap switches receipts to ActiveJob/Sidekiq while `receipts-worker` sits at 0; a Go
service whose flagd document enables a Kafka topic whose projector is at 0; a RabbitMQ queue whose broker counts 0
consumers and whose consumer was never deployed. Twins: the consumer running, the hand-off already made before the
write, the broker counting consumers, a KEDA ScaledObject that wakes the zero-replica worker, a write older than the
window.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from typing import Any

from agent.triage import handoff_unconsumed as hu
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 7, 3, 14, 0, tzinfo=UTC)
WRITE = "2026-07-03T13:10:00Z"
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")


class Cluster:
    """One namespace's pods, logs, workloads' replicas, a written object and broker gauges, served as the hub does."""

    def __init__(self, ns: str, logs: dict[str, list[str]], replicas: dict[str, int], written: dict[str, Any],
                 gauge: float | None = None, scaled: dict[str, str] | None = None) -> None:
        self.ns, self.logs, self.replicas, self.written = ns, logs, replicas, written
        self.gauge, self.scaled = gauge, scaled or {}

    async def call(self, tool: str, args: dict[str, Any], step: str) -> Any:
        if tool == "k8s_logs":
            lines = self.logs.get(str(args["name"]), [])
            since = str(args.get("since_time") or "")
            if since:
                lines = [ln for ln in lines if (m := _STAMP.match(ln)) and m.group(1) >= since]
            head = f"logs of {self.ns}/{args['name']} container app: {len(lines)} lines"
            needle = str(args.get("grep") or "").lower()
            if needle:
                lines = [ln for ln in lines if needle in ln.lower()]
                head += f", {len(lines)} containing {args['grep']!r}"
            return outcome(True, {}, "\n".join([head, *lines]), f"E-{step}")
        if tool == "k8s_list" and args["kind"] == "Pod":
            rows = [{"name": p, "namespace": self.ns, "status": "Running"} for p in self.logs]
            return outcome(True, {"rows": rows}, "", f"E-{step}")
        if tool == "k8s_list" and args["kind"] == "Deployment":
            rows = [{"name": n, "ready": f"{r}/{r}"} for n, r in self.replicas.items()]
            return outcome(True, {"rows": rows}, "", f"E-{step}")
        if tool == "k8s_list" and args["kind"] == "customresourcedefinitions":
            rows = [{"name": "scaledobjects.keda.sh"}] if self.scaled else []
            return outcome(True, {"rows": rows}, "", f"E-{step}")
        if tool == "k8s_list" and args["kind"] == "scaledobjects":
            return outcome(True, {"rows": [{"name": n} for n in self.scaled]}, "", f"E-{step}")
        if tool == "k8s_list":
            return outcome(True, {"rows": []}, "", f"E-{step}")
        if tool == "k8s_get" and args["kind"] == "scaledobjects":
            obj = {"kind": "ScaledObject", "metadata": {"name": args["name"]},
                   "spec": {"scaleTargetRef": {"name": self.scaled[str(args["name"])]}}}
            return outcome(True, {}, json.dumps(obj), f"E-{step}")
        if tool == "k8s_get":
            return outcome(True, {}, json.dumps(self.written), f"E-{step}")
        if tool == "prom_query":
            samples = [] if self.gauge is None else [{"labels": {}, "value": self.gauge}]
            return outcome(True, {"samples": samples}, "", f"E-{step}")
        raise AssertionError(f"unexpected {tool} {args}")


def _facts(kind: str, ns: str, name: str, at: str = WRITE) -> Facts:
    change = {"at": at, "type": "config", "object": {"kind": kind, "namespace": ns, "name": name},
              "summary": f"{kind} {ns}/{name} updated by kubectl-patch: data key settings set", "diff": []}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2")


def _run(facts: Facts, cluster: Cluster, subject: Subject) -> list[hu.Unconsumed]:
    asyncio.run(hu.read(subject, facts, cluster.call, "2026-07-03T14:00:00Z"))
    return hu.found(facts)


RAILS_BEFORE = [f"2026-07-03T12:{m:02d}:00Z INFO Sent receipt mail for order {m} (412ms)" for m in range(0, 60, 5)]
RAILS_AFTER = [f"2026-07-03T13:{m:02d}:30Z INFO [ActiveJob] Enqueued ReceiptJob (Job ID: 9a{m}) to Sidekiq(receipts) "
               f"with arguments: {m}" for m in range(11, 60, 4)]
RAILS_CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "storefront-settings", "namespace": "shop"},
            "data": {"DELIVER_RECEIPTS_LATER": "true", "CURRENCY": "EUR"}}


def _rails(replicas: int = 0, before: list[str] | None = None, gauge: float | None = None,
           scaled: dict[str, str] | None = None) -> Cluster:
    logs = {"storefront-7f9c8d6b5d-q2w4x": [*(before if before is not None else RAILS_BEFORE), *RAILS_AFTER]}
    return Cluster("shop", logs, {"storefront": 3, "receipts-worker": replicas}, RAILS_CM, gauge, scaled)


def test_rails_receipts_sent_to_sidekiq_whose_worker_is_at_zero() -> None:
    [hit] = _run(_facts("ConfigMap", "shop", "storefront-settings"), _rails(), Subject("shop", ["storefront"]))
    assert (hit.dest, hit.producer, hit.consumer, hit.replicas) == ("receipts", "storefront", "receipts-worker", 0)
    assert hit.flag.startswith("DELIVER_RECEIPTS_LATER")
    [(ref, finding, _, explains)] = hu.suspects(_facts_with(hit))
    assert (ref.kind, ref.name) == ("ConfigMap", "storefront-settings")
    assert "receipts-worker" in finding["message"] and "kubectl-patch" in finding["message"]
    assert [e.name for e in explains] == ["storefront", "receipts-worker"]


def _facts_with(hit: hu.Unconsumed) -> Facts:
    facts = Facts(at=AT)
    facts.reads[hu.STORE] = [hit]
    return facts


def test_a_running_worker_consumes_the_queue() -> None:
    assert _run(_facts("ConfigMap", "shop", "storefront-settings"), _rails(replicas=2),
                Subject("shop", ["storefront"])) == []


def test_hand_offs_made_before_the_write_are_not_its_doing() -> None:
    old = [ln.replace("T13:", "T12:") for ln in RAILS_AFTER]
    assert _run(_facts("ConfigMap", "shop", "storefront-settings"), _rails(before=old),
                Subject("shop", ["storefront"])) == []


def test_a_broker_counting_consumers_means_someone_else_consumes() -> None:
    assert _run(_facts("ConfigMap", "shop", "storefront-settings"), _rails(gauge=3),
                Subject("shop", ["storefront"])) == []


def test_a_worker_keda_wakes_from_zero_is_not_unlaunched() -> None:
    assert _run(_facts("ConfigMap", "shop", "storefront-settings"),
                _rails(scaled={"receipts-worker-scaler": "receipts-worker"}), Subject("shop", ["storefront"])) == []


def test_a_write_older_than_the_window_is_not_read() -> None:
    assert _run(_facts("ConfigMap", "shop", "storefront-settings", at="2026-07-03T06:00:00Z"), _rails(),
                Subject("shop", ["storefront"])) == []


GO_BEFORE = [f'2026-07-03T12:{m:02d}:00Z level=info msg="posted entry" account=acc-{m} took=12ms' for m in range(60)]
GO_AFTER = [f'2026-07-03T13:{m:02d}:05Z level=info msg="published LedgerPosted to topic ledger.postings.v2" '
            f'partition={m % 6}' for m in range(12, 60)]
FLAGD = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "flagd-config", "namespace": "ledger"},
         "data": {"flags.json": json.dumps({"flags": {
             "ledger-events-v2": {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "on"},
             "dark-mode": {"state": "DISABLED", "variants": {"on": True, "off": False}, "defaultVariant": "off"}}})}}


def test_go_service_publishing_to_a_kafka_topic_whose_projector_is_at_zero() -> None:
    cluster = Cluster("ledger", {"ledger-api-5c7d9f8b6x-zz8k2": [*GO_BEFORE, *GO_AFTER]},
                      {"ledger-api": 2, "postings-projector": 0, "statements": 1}, FLAGD)
    [hit] = _run(_facts("ConfigMap", "ledger", "flagd-config"), cluster, Subject("ledger", ["ledger-api"]))
    assert (hit.dest, hit.consumer) == ("ledger.postings.v2", "postings-projector")
    assert "ledger-events-v2" in hit.flag


def test_rabbitmq_queue_with_no_consumer_deployed_at_all() -> None:
    after = [f"2026-07-03T13:{m:02d}:10Z INFO exporter: export 77{m} queued on queue partner-exports"
             for m in range(15, 60, 3)]
    before = [f"2026-07-03T12:{m:02d}:10Z INFO exporter: export 77{m} uploaded inline" for m in range(0, 60, 3)]
    cm = {"kind": "ConfigMap", "metadata": {"name": "exporter-env", "namespace": "data"},
          "data": {"EXPORT_MODE": "queued", "PARTNER_EXPORTS_ASYNC": "on"}}
    cluster = Cluster("data", {"exporter-6d5f7c8b9x-bcdfg": [*before, *after]}, {"exporter": 1}, cm, gauge=0)
    [hit] = _run(_facts("ConfigMap", "data", "exporter-env"), cluster, Subject("data", ["exporter"]))
    assert (hit.dest, hit.consumer, hit.consumers_now) == ("partner-exports", "", 0)
    assert hit.flag.startswith("PARTNER_EXPORTS_ASYNC")
    # no gauge and no consumer by name: nothing to say
    cluster.gauge = None
    assert _run(_facts("ConfigMap", "data", "exporter-env"), cluster, Subject("data", ["exporter"])) == []


def test_lines_that_name_no_queue_are_no_hand_off() -> None:
    assert hu.handoff("2026-07-03T13:00:00Z INFO sent invoice INV-7 to customer 9") == ""
    assert hu.handoff("published metrics to prometheus in 3ms") == ""
    assert hu.handoff("job enqueued queue=thumbnails id=3") == "thumbnails"


def test_registered_with_its_weight() -> None:
    from agent.triage import behind
    assert behind.WEIGHTS[hu.CHECK] == hu.WEIGHT
