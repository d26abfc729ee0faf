"""A Service proxy mode switch whose dropped SYNs add a one-second step to calls (agent.triage.syn_retry_step).

Victim lines are the real wording of each client: a Python service logging `elapsed_ms=1102`, a Go service's
logfmt `took=3.021s`. The proxy side is read from kube-proxy's own startup line (klog: `I1202 15:55:40.000000 1
server_linux.go:233] "Using ipvs Proxier"`), its `--proxy-mode` flag, or its KubeProxyConfiguration (`mode:`).

Shapes: IPVS by flag, the time from the agent's startup line, a +1 s step (Python, elapsed_ms); nftables by
ConfigMap written in the change timeline, a +3 s step (Go, took=). Twins: the step already there before the write,
a slow backend (durations spread, no step), a write older than a day, calls all fast after the switch.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import syn_retry_step as srs
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 12, 2, 16, 30, tzinfo=UTC)
SWITCH = AT - timedelta(minutes=35)


def _py(t: datetime, ms: int) -> str:
    level = "WARNING" if ms > 800 else "INFO"
    return (f"{t:%Y-%m-%dT%H:%M:%S}.000000000Z {t:%Y-%m-%d %H:%M:%S},000 {level} orders.inventory: "
            f"POST http://inventory.orders.svc/reserve status=200 elapsed_ms={ms}")


def _go(t: datetime, seconds: float) -> str:
    return f'time="{t:%Y-%m-%dT%H:%M:%SZ}" level=info msg="rate fetched" upstream=rates.fx.svc took={seconds:.3f}s'


def _calls(start: datetime, end: datetime, fast: float, slow_every: int, added: float, line: Any) -> list[str]:
    out, t, i = [], start, 0
    while t < end:
        d = fast + (added if slow_every and i % slow_every == 0 else 0.0) + (i % 5) * 0.003
        out.append(line(t, int(d * 1000)) if line is _py else line(t, d))
        t, i = t + timedelta(seconds=15), i + 1
    return out


def _facts(proxy: srs.ProxyWrite, lines: list[str], changes: list[dict[str, Any]] | None = None) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes or []}, changes_id="E2")
    facts.reads[srs.READS] = {"lines": {"orders/checkout": (lines, "E11")}, "proxies": [proxy]}
    return facts


KUBE_PROXY: dict[str, Any] = {"kind": "DaemonSet", "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
                              "spec": {"template": {"spec": {"containers": [{
                                  "name": "kube-proxy", "image": "registry.k8s.io/kube-proxy:v1.30.4",
                                  "command": ["kube-proxy", "--config=/var/lib/kube-proxy-config/config",
                                              "--proxy-mode=ipvs"]}]}}}}
STARTUP = ['I1202 15:55:40.000000       1 server_linux.go:233] "Using ipvs Proxier"',
           'I1202 15:55:42.000000       1 server.go:872] "Version info" version="v1.30.4"']


def test_klog_time_and_mode_from_flag_and_startup_line() -> None:
    assert srs._klog_time(STARTUP[0], AT) == datetime(2026, 12, 2, 15, 55, 40, tzinfo=UTC)
    mode, said = srs.mode_of(KUBE_PROXY, [], STARTUP)
    assert mode == "ipvs" and said == ["--proxy-mode=ipvs", 'its pods log "Using ipvs Proxier"']
    facts = Facts(at=AT, changes={"changes": []})
    when, how = srs._written_at(facts, Ref("DaemonSet", "kube-system", "kube-proxy"), STARTUP)
    assert when == datetime(2026, 12, 2, 15, 55, 40, tzinfo=UTC) and "startup" in how


def test_ipvs_switch_then_a_one_second_step_in_the_callers_latency() -> None:
    lines = _calls(AT - timedelta(hours=4), SWITCH, 0.07, 0, 0, _py) + _calls(SWITCH, AT, 0.07, 6, 1.03, _py)
    mode, said = srs.mode_of(KUBE_PROXY, [], STARTUP)
    proxy = srs.ProxyWrite(Ref("DaemonSet", "kube-system", "kube-proxy"), SWITCH, mode, said, ["E30"], "startup")
    [got] = srs.found(_facts(proxy, lines))
    assert got.step.added == 1.0 and got.step.slow >= 3 and got.step.slow_before == 0
    head = srs.finding(got)["message"][:400]
    assert head.startswith("DaemonSet kube-system/kube-proxy runs the Service proxy in IPVS mode")
    assert "conn_reuse_mode" in head and "SYN" in head


def test_nftables_in_a_configmap_written_then_a_three_second_step() -> None:
    config = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: \"nftables\"\n"
    ds = {"kind": "DaemonSet", "spec": {"template": {"spec": {"containers": [{"name": "kube-proxy"}]}}}}
    mode, said = srs.mode_of(ds, [config], [])
    assert mode == "nftables" and said == ["config mode: nftables"]
    written = SWITCH - timedelta(minutes=5)
    change = {"at": written.isoformat().replace("+00:00", "Z"), "type": "config",
              "object": {"kind": "ConfigMap", "namespace": "kube-system", "name": "kube-proxy-config"},
              "diff": ["data key config.conf changed"]}
    facts = Facts(at=AT, changes={"changes": [change]})
    when, how = srs._written_at(facts, Ref("DaemonSet", "kube-system", "kube-proxy"), [])
    assert when == written and how == "the change timeline"
    lines = _calls(AT - timedelta(hours=3), written, 0.02, 0, 0, _go) + _calls(written, AT, 0.02, 8, 3.0, _go)
    proxy = srs.ProxyWrite(Ref("DaemonSet", "kube-system", "kube-proxy"), written, mode, said, [], how)
    [got] = srs.found(_facts(proxy, lines, [change]))
    assert got.step.added == 3.0 and "NFTABLES mode" in srs.finding(got)["message"]


def test_negative_twins_step_before_the_write_slow_backend_old_write_all_fast() -> None:
    proxy = srs.ProxyWrite(Ref("DaemonSet", "kube-system", "kube-proxy"), SWITCH, "ipvs", [], [], "startup")
    always = _calls(AT - timedelta(hours=4), AT, 0.07, 6, 1.03, _py)
    assert srs.found(_facts(proxy, always)) == []
    spread = [_py(SWITCH + timedelta(seconds=10 * i), 80 + (i * 37) % 2400) for i in range(200)]
    assert srs.step_of(spread) is None and srs.found(_facts(proxy, spread)) == []
    stepped = _calls(AT - timedelta(hours=4), SWITCH, 0.07, 0, 0, _py) + _calls(SWITCH, AT, 0.07, 6, 1.03, _py)
    old = srs.ProxyWrite(Ref("DaemonSet", "kube-system", "kube-proxy"), AT - timedelta(days=2), "ipvs", [], [], "")
    assert srs.found(_facts(old, stepped)) == []
    fast = _calls(AT - timedelta(hours=4), AT, 0.07, 0, 0, _py)
    assert srs.found(_facts(proxy, fast)) == []


def _hub(victim: list[str]) -> RecordingHub:
    lists: dict[str | tuple[str, str], list[dict[str, Any]]] = {
        ("Pod", "orders"): [{"name": "checkout-7d9f8c6b5-x2k4q", "status": "Running"}],
        ("Pod", "kube-system"): [{"name": "kube-proxy-h7t2m", "status": "Running"}],
        "DaemonSet": [{"namespace": "kube-system", "name": "kube-proxy"}]}
    return RecordingHub(objects={("DaemonSet", "kube-system", "kube-proxy"): KUBE_PROXY}, lists=lists,
                        logs={"checkout-7d9f8c6b5-x2k4q": victim, "kube-proxy-h7t2m": STARTUP})


def _log_tails(hub: RecordingHub, pod: str) -> list[int]:
    return [int(args["tail"]) for tool, args in hub.calls if tool == "k8s_logs" and args["name"] == pod]


def test_read_pays_the_long_tail_only_when_the_last_lines_show_the_step() -> None:
    subject = Subject(namespace="orders", names=["checkout"])
    stepped = _calls(AT - timedelta(hours=8), SWITCH, 0.07, 0, 0, _py) + _calls(SWITCH, AT, 0.07, 6, 1.03, _py)
    hub, facts = _hub(stepped), Facts(at=AT, changes={"changes": []})
    asyncio.run(srs.read(subject, facts, hub))
    assert _log_tails(hub, "checkout-7d9f8c6b5-x2k4q") == [srs.STEP_TAIL, srs.LOG_TAIL]
    lines, _ = facts.reads[srs.READS]["lines"]["orders/checkout"]
    assert len(lines) == srs.LOG_TAIL  # the long read is what the before/after comparison gets
    [got] = srs.found(facts)
    assert str(got.proxy.daemonset) == "DaemonSet kube-system/kube-proxy" and got.step.added == 1.0
    # Calls all at their usual time now: the short tail is all that is read, nothing of the node agents.
    for quiet in (_calls(AT - timedelta(hours=5), AT, 0.07, 0, 0, _py),
                  [f"{AT:%Y-%m-%dT%H:%M:%S}Z INFO worker: processed batch {i}" for i in range(2000)]):
        hub, facts = _hub(quiet), Facts(at=AT, changes={"changes": []})
        asyncio.run(srs.read(subject, facts, hub))
        assert _log_tails(hub, "checkout-7d9f8c6b5-x2k4q") == [srs.STEP_TAIL]
        assert "DaemonSet" not in [a.get("kind") for _, a in hub.calls] and srs.found(facts) == []
