"""Pure functions: selectors, pod health words, quantities, sanitising, event dedupe, log fitting."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from mcp_servers.common.compact import estimate_tokens
from mcp_servers.kubernetes import health as h
from mcp_servers.kubernetes import render as r
from mcp_servers.kubernetes.reads import template_diff
from mcp_servers.kubernetes.resources import BUILTIN, guess_type, resolve
from mcp_servers.kubernetes.selectors import SelectorError, field_selector, label_selector


def _obj(labels: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
    return {"metadata": {"name": "x", "labels": labels or {}}, **fields}


@pytest.mark.parametrize(("selector", "labels", "match"), [
    ("app=web", {"app": "web"}, True),
    ("app==web", {"app": "api"}, False),
    ("app!=web", {}, True),
    ("tier in (a, b),app", {"tier": "b", "app": "x"}, True),
    ("tier notin (a,b)", {"tier": "a"}, False),
    ("!canary", {"canary": "1"}, False),
    ("", {"anything": "1"}, True),
])
def test_label_selector(selector: str, labels: dict[str, str], match: bool) -> None:
    assert label_selector(selector)(_obj(labels)) is match


def test_field_selector_and_errors() -> None:
    pod = _obj(status={"phase": "Running"}, spec={"nodeName": "n1"})
    assert field_selector("status.phase=Running,spec.nodeName!=n2")(pod)
    assert not field_selector("status.phase!=Running")(pod)
    assert field_selector("spec.missing=")(pod)
    with pytest.raises(SelectorError):
        field_selector("status.phase")
    with pytest.raises(SelectorError):
        label_selector("a in (b")


def _pod(state: dict[str, Any], ready: bool = False, restarts: int = 0, last: dict[str, Any] | None = None,
         phase: str = "Running") -> dict[str, Any]:
    status = {"name": "app", "ready": ready, "restartCount": restarts, "state": state,
              "lastState": {"terminated": last} if last else {}}
    return {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "app"}]},
            "status": {"phase": phase, "containerStatuses": [status]}}


def test_pod_status_words_follow_kubectl() -> None:
    assert h.pod_status(_pod({"waiting": {"reason": "CrashLoopBackOff"}})) == "CrashLoopBackOff"
    assert h.pod_status(_pod({"terminated": {"reason": "OOMKilled", "exitCode": 137}})) == "OOMKilled"
    assert h.pod_status(_pod({"terminated": {"exitCode": 2}})) == "ExitCode:2"
    assert h.pod_status(_pod({"running": {}}, ready=True)) == "Running"
    deleting = _pod({"running": {}}, ready=True)
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert h.pod_status(deleting) == "Terminating"
    init = _pod({"waiting": {"reason": "PodInitializing"}})
    init["status"]["initContainerStatuses"] = [{"state": {"waiting": {"reason": "ImagePullBackOff"}}}]
    assert h.pod_status(init) == "Init:ImagePullBackOff"


def test_pod_problem_and_restarts_cell() -> None:
    last = {"reason": "OOMKilled", "exitCode": 137, "finishedAt": "2026-03-12T15:00:00Z"}
    pod = _pod({"running": {}}, ready=True, restarts=4, last=last)
    assert h.pod_problem(pod) == "restarted 4x (last: OOMKilled)"
    now = datetime(2026, 3, 12, 15, 3, 12, tzinfo=UTC)
    assert h.restarts_cell(pod, now) == "4 (3m12s ago)"
    assert h.pod_problem(_pod({"running": {}}, ready=True)) is None
    assert h.pod_problem(_pod({"running": {}}, ready=False)) == "container app not ready"


@pytest.mark.parametrize(("seconds", "text"), [(45, "45s"), (192, "3m12s"), (5700, "95m"), (18180, "5h3m"),
                                               (100000, "27h"), (187200, "2d4h"), (3542400, "41d"),
                                               (3 * 365 * 86400 + 10 * 86400, "3y10d")])
def test_human_duration(seconds: int, text: str) -> None:
    assert h.human_duration(seconds) == text


@pytest.mark.parametrize(("q", "value"), [("250m", 0.25), ("512Mi", 512 * 1024**2), ("2", 2.0), ("1Gi", 1024**3),
                                          ("3910m", 3.91), ("1500000n", 0.0015), ("", 0.0), ("junk", 0.0)])
def test_parse_quantity(q: str, value: float) -> None:
    assert h.parse_quantity(q) == pytest.approx(value)


def test_resolve_kinds_by_any_spelling() -> None:
    for spelling, kind in [("pods", "Pod"), ("po", "Pod"), ("Pod", "Pod"), ("deploy", "Deployment"),
                           ("deployments.apps", "Deployment"), ("crd", "CustomResourceDefinition")]:
        found = resolve(BUILTIN, spelling)
        assert found is not None and found.kind == kind, spelling
    assert resolve(BUILTIN, "widgets") is None
    assert guess_type("NetworkPolicy", "networking.k8s.io/v1", True).plural == "networkpolicies"


def test_sanitize_removes_secret_values_everywhere() -> None:
    secret = {"kind": "Secret", "metadata": {"name": "s", "managedFields": [{"manager": "kubectl"}],
                                             "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
                                                             '{"stringData":{"k":"hunter2"}}', "team": "a"}},
              "data": {"k": "aHVudGVyMg=="}, "stringData": {"k2": "hunter2"}}
    original = copy.deepcopy(secret)
    clean = r.sanitize(secret)
    assert secret == original  # the input is not modified
    assert clean["data"] == {"k": "<redacted: 7 bytes>"} and clean["stringData"] == {"k2": "<redacted: 7 bytes>"}
    assert "managedFields" not in clean["metadata"]
    assert clean["metadata"]["annotations"] == {"team": "a"}
    assert "hunter2" not in str(clean) and "aHVudGVyMg" not in str(clean)


def _event(reason: str, kind: str, count: int, last: str, type_: str = "Normal") -> dict[str, Any]:
    return {"metadata": {"name": reason, "namespace": "ns"}, "type": type_, "reason": reason, "count": count,
            "message": f"{reason} happened", "involvedObject": {"kind": kind, "name": "p", "namespace": "ns"},
            "firstTimestamp": last, "lastTimestamp": last}


def test_events_are_merged_and_ranked() -> None:
    events = [_event("Pulled", "Pod", 2, "2026-01-01T00:05:00Z"), _event("Pulled", "Pod", 3, "2026-01-01T00:09:00Z"),
              _event("BackOff", "Pod", 7, "2026-01-01T00:01:00Z", "Warning")]
    merged = r.dedupe_events(events)
    pulled = next(e for e in merged if e["reason"] == "Pulled")
    assert pulled["count"] == 5 and pulled["lastTimestamp"] == "2026-01-01T00:09:00Z"
    assert pulled["firstTimestamp"] == "2026-01-01T00:05:00Z"
    text = r.events_answer(events, all_namespaces=False, hidden=[], budget=2000, more_hint="x")
    rows = [ln for ln in text.splitlines() if ln.startswith("| 2026")]
    assert "BackOff" in rows[0] and "| 5 |" in rows[1]


def test_logs_answer_keeps_the_newest_lines_within_budget() -> None:
    text = "\n".join([f"line {i}" for i in range(2000)] + ["same"] * 50) + "\n"
    answer = r.logs_answer(text, header="logs", grep=None, budget=300, more_hint="narrow")
    assert estimate_tokens(answer) <= 330
    assert answer.rstrip().endswith("same  (x50)")
    assert "earlier lines left out; narrow" in answer and "49 repeats collapsed" in answer


def test_list_answer_ranks_unhealthy_first() -> None:
    healthy = _pod({"running": {}}, ready=True)
    sick = _pod({"waiting": {"reason": "ImagePullBackOff"}})
    for i, pod in enumerate((healthy, sick)):
        pod["metadata"] = {"name": f"p{i}", "namespace": "a"}
    text = r.list_answer("Pod", [healthy, sick], all_namespaces=True, hidden=["kube-system"], budget=2000,
                         more_hint="more")
    rows = [ln for ln in text.splitlines() if ln.startswith("| a |")]
    assert "ImagePullBackOff" in rows[0] and text.startswith("2 Pods in 1 namespaces; 1 need attention")


def test_template_diff_names_image_env_and_containers() -> None:
    old = {"spec": {"containers": [{"name": "app", "image": "a:1", "env": [{"name": "T", "value": "5"}]},
                                   {"name": "old", "image": "o:1"}]}}
    new = {"spec": {"containers": [{"name": "app", "image": "a:2", "env": [{"name": "T", "value": "5s"},
                                                                            {"name": "N", "value": "1"}]}]}}
    assert template_diff(old, new) == ["app image a:1 -> a:2", "app env N (unset) -> N='1'",
                                       "app env T='5' -> T='5s'", "container old removed"]


def test_frequent_patterns_mask_numbers_and_ids() -> None:
    lines = [f'error="timeout after {i}ms" req=3f2a1b4c-0000-4000-8000-00000000000{i % 10}' for i in range(30)]
    lines += ["started", "started", "ok 1"]
    patterns = r.frequent_patterns(lines)
    assert patterns == ['repeated 30x: error="timeout after #ms" req=#']
    answer = r.logs_answer("\n".join(lines), header="logs", grep=None, budget=200, more_hint="m")
    assert answer.splitlines()[1] == patterns[0] and estimate_tokens(answer) <= 220
