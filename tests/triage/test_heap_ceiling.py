"""heap_ceiling: a runtime heap ceiling written at or above the container's memory limit, and the container
OOM-killed since.

Shapes: a JVM `-Xmx` in a StatefulSet's own `JAVA_TOOL_OPTIONS` env; Go `GOMEMLIMIT` from an env ConfigMap read
through `envFrom`; .NET `DOTNET_GCHeapHardLimit` (hex bytes) through `configMapKeyRef`. Negative twins: a
ceiling under the limit, a ConfigMap write to another key, kills that began before the write, no kills.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import heap_ceiling as hc
from agent.triage.facts import Facts

AT = datetime(2026, 5, 6, 14, 0, tzinfo=UTC)


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _workload(kind: str, ns: str, name: str, memory: str, **container: Any) -> tuple[dict[str, Any], str]:
    c = {"name": name, "resources": {"limits": {"memory": memory}}, **container}
    return ({"kind": kind, "metadata": {"name": name, "namespace": ns},
             "spec": {"template": {"spec": {"containers": [c]}}}}, "E7")


def _config_map(ns: str, name: str, data: dict[str, str]) -> tuple[dict[str, Any], str]:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data}, "E8"


def _oom(kind: str, ns: str, name: str, since_minutes: int) -> dict[str, Any]:
    return {"findings": [{"check": "pod.oomkilled", "reason": "OOMKilled", "since": _stamp(since_minutes),
                          "object": {"kind": kind, "namespace": ns, "name": name},
                          "message": f"{kind} {ns}/{name}: 2/2 pods OOMKilled, 5 restarts"}]}


def _change(kind: str, ns: str, name: str, diff: list[str], minutes: int = 40,
            related: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": "config", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written", "diff": diff, "related": related or []}


def _jvm(xmx: str = "-Xmx2g", since: int = 30, scan: bool = True) -> Facts:
    env = [{"name": "JAVA_TOOL_OPTIONS", "value": f"{xmx} -XX:+UseG1GC"}]
    change = _change("StatefulSet", "ledger", "posting", [f"posting env JAVA_TOOL_OPTIONS='-Xmx1g' -> '{xmx}'"])
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2",
                 scan=_oom("StatefulSet", "ledger", "posting", since) if scan else None, scan_id="E1",
                 objects=[_workload("StatefulSet", "ledger", "posting", "1536Mi", env=env)])


def test_jvm_xmx_above_the_limit_in_the_workloads_own_env_is_named() -> None:
    [hit] = hc.found(_jvm())
    assert hit.ceiling.carrier.kind == "StatefulSet" and hit.ceiling.setting == "-Xmx2g"
    f = hc.finding(hit)
    assert f["object"]["name"] == "posting" and "-Xmx2g" in f["message"] and "1.5 GiB memory limit" in f["message"]


def test_jvm_xmx_under_the_limit_is_not_blamed() -> None:
    assert hc.found(_jvm(xmx="-Xmx1g")) == []


def test_jvm_kills_that_began_before_the_write_are_not_its_doing() -> None:
    assert hc.found(_jvm(since=90)) == []


def test_jvm_without_kills_is_not_blamed() -> None:
    assert hc.found(_jvm(scan=False)) == []


def _go(key: str = "GOMEMLIMIT", value: str = "2GiB") -> Facts:
    change = _change("ConfigMap", "edge", "relay-env", [f"data key {key} set by kubectl-patch"],
                     related=[{"kind": "Deployment", "namespace": "edge", "name": "relay"}])
    data = {"GOMEMLIMIT": value, "LOG_LEVEL": "info"}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", scan=_oom("Deployment", "edge", "relay", 25),
                 scan_id="E1", objects=[_workload("Deployment", "edge", "relay", "1Gi",
                                                  envFrom=[{"configMapRef": {"name": "relay-env"}}]),
                                        _config_map("edge", "relay-env", data)])


def test_go_memory_limit_from_an_env_config_map_names_the_config_map() -> None:
    [hit] = hc.found(_go())
    assert hit.ceiling.carrier.kind == "ConfigMap" and hit.ceiling.carrier.name == "relay-env"
    assert hit.ceiling.workload.name == "relay" and "GOMEMLIMIT=2GiB" in hc.finding(hit)["message"]


def test_config_map_write_to_another_key_is_not_blamed() -> None:
    assert hc.found(_go(key="LOG_LEVEL")) == []


def test_go_memory_limit_under_the_container_limit_is_not_blamed() -> None:
    assert hc.found(_go(value="700MiB")) == []


def _dotnet(hex_value: str, key: str = "heap-limit") -> Facts:
    change = _change("ConfigMap", "pay", "gateway-runtime", [f"data key {key} '0x20000000' -> '{hex_value}'"],
                     related=[{"kind": "Deployment", "namespace": "pay", "name": "gateway"}])
    env = [{"name": "DOTNET_GCHeapHardLimit",
            "valueFrom": {"configMapKeyRef": {"name": "gateway-runtime", "key": "heap-limit"}}}]
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", scan=_oom("Deployment", "pay", "gateway", 20),
                 scan_id="E1", objects=[_workload("Deployment", "pay", "gateway", "512Mi", env=env),
                                        _config_map("pay", "gateway-runtime", {"heap-limit": hex_value})])


def test_dotnet_hard_limit_read_as_hex_bytes_above_the_limit() -> None:
    [hit] = hc.found(_dotnet("0x40000000"))  # 1 GiB in a 512 MiB container
    assert hit.ceiling.carrier.name == "gateway-runtime" and hit.ceiling.ceiling == 1024 ** 3


def test_dotnet_write_to_another_key_of_the_same_config_map_is_not_blamed() -> None:
    assert hc.found(_dotnet("0x40000000", key="gc-server")) == []


def test_dotnet_hard_limit_under_the_limit_is_not_blamed() -> None:
    assert hc.found(_dotnet("0x18000000")) == []  # 384 MiB in a 512 MiB container


def test_node_old_space_and_ram_percentage_are_read_against_the_limit() -> None:
    limit = 1024.0 ** 3
    assert hc.ceilings_in("NODE_OPTIONS=--max-old-space-size=3072", limit) == [("--max-old-space-size=3072",
                                                                                3072.0 * 1024 ** 2)]
    assert hc.ceilings_in("JAVA_OPTS=-XX:MaxRAMPercentage=100.0", limit)[0][1] == limit


# ---- the same ceiling in other spellings (issue #12 audit): HotSpot's long form, JDK 8's fraction, .NET's share ----


def _jdk(options: str, memory: str = "1536Mi") -> Facts:
    """A JDK_JAVA_OPTIONS env ConfigMap edited (its diff shows the key only), read by a Deployment through envFrom."""
    change = _change("ConfigMap", "quotes", "pricer-jvm", ["data key JDK_JAVA_OPTIONS changed"],
                     related=[{"kind": "Deployment", "namespace": "quotes", "name": "pricer"}])
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", scan=_oom("Deployment", "quotes", "pricer", 25),
                 scan_id="E1", objects=[_workload("Deployment", "quotes", "pricer", memory,
                                                  envFrom=[{"configMapRef": {"name": "pricer-jvm"}}]),
                                        _config_map("quotes", "pricer-jvm", {"JDK_JAVA_OPTIONS": options})])


def test_hotspot_max_heap_size_long_form_above_the_limit() -> None:
    [hit] = hc.found(_jdk("-XX:+UseZGC -XX:MaxHeapSize=2g"))
    assert hit.ceiling.setting == "-XX:MaxHeapSize=2g" and hit.ceiling.carrier.name == "pricer-jvm"


def test_twin_hotspot_max_heap_size_under_the_limit() -> None:
    assert hc.found(_jdk("-XX:+UseZGC -XX:MaxHeapSize=1g")) == []


def test_jdk8_ram_fraction_of_one_is_the_whole_limit() -> None:
    [hit] = hc.found(_jdk("-XX:+UseCGroupMemoryLimitForHeap -XX:MaxRAMFraction=1"))
    assert hit.ceiling.ceiling == hit.ceiling.limit


def test_twin_jdk8_ram_fraction_of_two_leaves_half() -> None:
    assert hc.found(_jdk("-XX:+UseCGroupMemoryLimitForHeap -XX:MaxRAMFraction=2")) == []


def _dotnet_share(hex_value: str) -> Facts:
    env = [{"name": "DOTNET_GCHeapHardLimitPercent", "value": hex_value}]
    diff = f"ledger env DOTNET_GCHeapHardLimitPercent='0x4B' -> '{hex_value}'"
    change = _change("Deployment", "pay", "ledger", [diff])
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", scan=_oom("Deployment", "pay", "ledger", 20),
                 scan_id="E1", objects=[_workload("Deployment", "pay", "ledger", "768Mi", env=env)])


def test_dotnet_hard_limit_percent_read_as_a_hex_share_of_the_limit() -> None:
    [hit] = hc.found(_dotnet_share("0x64"))  # 100%
    assert hit.ceiling.ceiling == hit.ceiling.limit and "Percent" in hit.ceiling.setting


def test_twin_dotnet_hard_limit_percent_under_the_limit() -> None:
    assert hc.found(_dotnet_share("0x4B")) == []  # 75%
