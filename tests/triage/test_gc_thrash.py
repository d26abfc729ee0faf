"""gc_thrash: a heap ceiling / GC memory target written down to the live heap, and the collector running nonstop.

Shapes: a Go agent DaemonSet given a `GOMEMLIMIT` in its env; a JVM service whose env ConfigMap lowers `-Xmx` in
`JAVA_OPTS`. Negative twins: a raise of the same setting, a write followed by no rise, a rise that came before
the write, a rise with no ceiling write (an image bump), a modest rise.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import gc_thrash as gt
from agent.triage.facts import Facts

AT = datetime(2026, 7, 8, 9, 0, tzinfo=UTC)


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _facts(kind: str, ns: str, name: str, diff: str, workload: str, rose: int | None, before: float = 0.2,
           after: float = 30.0, written: int = 40) -> Facts:
    related = [] if kind != "ConfigMap" else [{"kind": "Deployment", "namespace": ns, "name": workload}]
    change = {"at": _stamp(written), "type": "rollout", "object": {"kind": kind, "namespace": ns, "name": name},
              "summary": f"{kind} {ns}/{name} written", "diff": [diff], "related": related}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")
    wl = name if kind != "ConfigMap" else workload
    wk = kind if kind != "ConfigMap" else "Deployment"
    series = [] if rose is None else [{"at": _stamp(rose), "before": before, "after": after}]
    facts.reads[gt.READS] = {f"{wk} {ns}/{wl}": {"series": series, "evidence": ["E9"]}}
    return facts


def _go(**kw: Any) -> Facts:
    return _facts("DaemonSet", "telemetry", "log-shipper", "shipper env GOMEMLIMIT (unset) -> GOMEMLIMIT='300MiB'",
                  "log-shipper", **kw)


def _jvm(diff: str = "data key JAVA_OPTS '-Xmx2g -XX:+UseZGC' -> '-Xmx512m -XX:+UseZGC'", **kw: Any) -> Facts:
    return _facts("ConfigMap", "risk", "scorer-jvm", diff, "scorer", **kw)


def test_read_keys_match_found() -> None:
    """The store key read() writes is the one found() looks up (str of the workload Ref)."""
    facts = _go(rose=None)
    facts.reads.clear()

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        assert tool == "prom_query_range" and "go_gc_cycles_total_gc_cycles_total" in args["query"]
        change = {"at": _stamp(36), "before": 0.1, "after": 20.0}
        return ToolOutcome(tool=tool, arguments=args, ok=True, data={"series": [{"change": change}]}, text="",
                           evidence_id="E5")

    asyncio.run(gt.read(None, facts, call, _stamp(0)))  # type: ignore[arg-type]
    [hit] = gt.found(facts)
    assert hit.target.name == "log-shipper" and hit.after == 20.0


def test_go_soft_limit_set_on_an_agent_then_collections_jump_is_named() -> None:
    [hit] = gt.found(_go(rose=37))
    assert hit.target.kind == "DaemonSet" and "GOMEMLIMIT" in hit.line
    message = gt.finding(hit)["message"]
    assert "garbage collect nonstop" in message and "30/s" in message


def test_go_soft_limit_without_a_rise_is_not_named() -> None:
    assert gt.found(_go(rose=None)) == []


def test_go_rise_before_the_write_is_not_its_doing() -> None:
    assert gt.found(_go(rose=120)) == []


def test_go_modest_rise_is_not_thrash() -> None:
    assert gt.found(_go(rose=37, before=0.5, after=1.5)) == []


def test_jvm_heap_lowered_in_an_env_config_map_names_the_config_map() -> None:
    [hit] = gt.found(_jvm(rose=35))
    assert hit.target.kind == "ConfigMap" and hit.workload.name == "scorer"
    assert gt.suspects(_jvm(rose=35))[0][3][0].name == "scorer"


def test_jvm_heap_raised_is_not_blamed() -> None:
    assert gt.found(_jvm(diff="data key JAVA_OPTS '-Xmx512m' -> '-Xmx2g'", rose=35)) == []


def test_options_variable_changed_in_what_is_not_a_ceiling_is_not_blamed() -> None:
    diff = "data key JAVA_OPTS '-Xmx2g' -> '-Xmx2g -javaagent:/otel/agent.jar'"
    assert gt.found(_jvm(diff=diff, rose=35)) == []


def test_rise_after_an_image_bump_is_not_blamed_here() -> None:
    assert gt.found(_jvm(diff="data key LOG_LEVEL 'info' -> 'debug'", rose=35)) == []


# ---- other exporters' names for the collection counter (issue #12 audit) ----


def _read_with(counter: str, diff: str, kind: str, name: str, ns: str, rose: int) -> Facts:
    """read() against a Prometheus that answers a step only when the query names `counter` (the one the
    workload's exporter publishes)."""
    facts = _facts(kind, ns, name, diff, name, rose=None)
    facts.reads.clear()

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        series = [{"change": {"at": _stamp(rose), "before": 0.05, "after": 12.0}}] if counter in args["query"] else []
        return ToolOutcome(tool=tool, arguments=args, ok=True, data={"series": series}, text="", evidence_id="E5")

    asyncio.run(gt.read(None, facts, call, _stamp(0)))  # type: ignore[arg-type]
    return facts


OTEL_JVM = "api env JAVA_TOOL_OPTIONS='-XX:MaxRAMPercentage=75' -> '-XX:MaxHeapSize=256m'"
NET_DIFF = "billing env DOTNET_GCHeapHardLimit (unset) -> DOTNET_GCHeapHardLimit='0x10000000'"


def test_opentelemetry_jvm_gc_duration_count_after_a_max_heap_size_cut() -> None:
    [hit] = gt.found(_read_with("jvm_gc_duration_seconds_count", OTEL_JVM, "Deployment", "api", "shop", rose=35))
    assert hit.target.name == "api" and hit.after == 12.0


def test_twin_opentelemetry_jvm_rise_long_before_the_cut() -> None:
    assert gt.found(_read_with("jvm_gc_duration_seconds_count", OTEL_JVM, "Deployment", "api", "shop",
                               rose=300)) == []


def test_prometheus_net_collection_count_after_a_dotnet_hard_limit() -> None:
    [hit] = gt.found(_read_with("dotnet_collection_count_total", NET_DIFF, "Deployment", "billing", "pay", rose=38))
    assert hit.target.name == "billing"


def test_twin_prometheus_net_rise_after_a_raised_limit() -> None:
    raised = "billing env DOTNET_GCHeapHardLimit='0x10000000' -> DOTNET_GCHeapHardLimit='0x40000000'"
    assert gt.found(_read_with("dotnet_collection_count_total", raised, "Deployment", "billing", "pay",
                               rose=38)) == []
