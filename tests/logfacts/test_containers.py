"""Which container k8s_logs reads when the caller names none (mcp_servers/kubernetes/logs.py).

Pods are written here as the API returns them (spec and status), for the shapes that matter: one
container, an app container among healthy sidecars, a failing init container, none failing.
"""

from __future__ import annotations

from typing import Any

import pytest

from mcp_servers.kubernetes.client import KubeError
from mcp_servers.kubernetes.logs import choose_container


def _pod(app: list[tuple[str, dict[str, Any]]], init: list[tuple[str, dict[str, Any]]] | None = None) -> dict[str, Any]:
    def statuses(items: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        return [{"name": n, "ready": s.pop("ready", False), "restartCount": s.pop("restarts", 0), **s}
                for n, s in items]

    pod: dict[str, Any] = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": n} for n, _ in app]},
                           "status": {"containerStatuses": statuses(app)}}
    if init:
        pod["spec"]["initContainers"] = [{"name": n} for n, _ in init]
        pod["status"]["initContainerStatuses"] = statuses(init)
    return pod


RUNNING = {"state": {"running": {}}, "ready": True}


def test_single_container_is_read_without_a_note() -> None:
    assert choose_container(_pod([("app", {"state": {"waiting": {"reason": "CrashLoopBackOff"}}})]), None)[:2] == (
        "app", None)


def test_the_crashing_app_container_is_chosen_over_healthy_sidecars() -> None:
    pod = _pod([("istio-proxy", dict(RUNNING)), ("api", {"state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                                        "lastState": {"terminated": {"exitCode": 2}}, "restarts": 7}),
                ("log-shipper", dict(RUNNING))])
    name, why, containers = choose_container(pod, None)
    assert name == "api" and why is not None and "CrashLoopBackOff" in why and "7 restarts" in why
    assert "istio-proxy" in why and [c.failing for c in containers] == [False, True, False]


def test_failing_init_container_is_chosen_while_the_app_waits() -> None:
    pod = _pod([("app", {"state": {"waiting": {"reason": "PodInitializing"}}})],
               init=[("wait-for-db", {"state": {"terminated": {"exitCode": 0}}}),
                     ("migrate", {"state": {"terminated": {"exitCode": 1, "reason": "Error"}}})])
    name, why, containers = choose_container(pod, None)
    assert name == "migrate" and why and "init container" in why and "exit code 1" in why
    assert [(c.name, c.init) for c in containers] == [("wait-for-db", True), ("migrate", True), ("app", False)]


def test_several_healthy_containers_read_the_first_app_container_and_say_so() -> None:
    name, why, _ = choose_container(_pod([("web", dict(RUNNING)), ("cache", dict(RUNNING))]), None)
    assert name == "web" and why and "none is failing" in why


def test_a_container_that_never_started_is_not_chosen_for_logs() -> None:
    pod = _pod([("web", {"state": {"running": {}}, "ready": False, "restarts": 1}),
                ("sidecar", {"state": {"waiting": {"reason": "ImagePullBackOff"}}})])
    assert choose_container(pod, None)[0] == "web"


def test_named_container_must_exist_and_the_error_lists_init_containers() -> None:
    pod = _pod([("app", dict(RUNNING))], init=[("migrate", {"state": {"terminated": {"exitCode": 0}}})])
    assert choose_container(pod, "migrate")[:2] == ("migrate", None)
    with pytest.raises(KubeError) as err:
        choose_container(pod, "nope")
    assert err.value.status == 400 and "migrate (init), app" in err.value.message
