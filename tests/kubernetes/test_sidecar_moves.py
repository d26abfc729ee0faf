"""The rollout diff says when a native sidecar's start order changed, instead of an unrelated add and remove.

A native sidecar is an init container with `restartPolicy: Always`: the kubelet starts it (and waits for its
startupProbe) before any app container. Moving it into `containers`, or dropping its restartPolicy, changes when the
app can reach it; the diff must say so in one line that names initContainers and restartPolicy.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.kubernetes.reads import template_diff


def _template(containers: list[dict[str, Any]], init: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": containers}
    if init is not None:
        spec["initContainers"] = init
    return {"metadata": {"labels": {"app": "x"}}, "spec": spec}


APP = {"name": "orders", "image": "reg.example/orders:3.1"}
VAULT = {"name": "vault-agent", "image": "hashicorp/vault:1.17", "args": ["agent", "-config=/etc/agent.hcl"]}


def test_native_sidecar_moved_into_containers_is_one_line() -> None:
    old = _template([APP], [VAULT | {"restartPolicy": "Always", "startupProbe": {"tcpSocket": {"port": 8200}}}])
    new = _template([APP, VAULT])
    lines = template_diff(old, new)
    moved = [x for x in lines if "vault-agent" in x]
    assert moved == [x for x in lines if x.startswith("container vault-agent moved out of initContainers")]
    assert len(moved) == 1
    assert "restartPolicy: Always" in moved[0] and "native sidecar" in moved[0]
    assert not any(x.startswith("container vault-agent added") or "-> none" in x for x in lines)


def test_native_sidecar_losing_restart_policy_is_said() -> None:
    proxy = {"name": "pgbouncer", "image": "bitnami/pgbouncer:1.23"}
    old = _template([APP], [proxy | {"restartPolicy": "Always"}])
    new = _template([APP], [dict(proxy)])
    lines = template_diff(old, new)
    assert any(x.startswith("init container pgbouncer restartPolicy 'Always' -> unset") and "native sidecar" in x
               for x in lines)


def test_native_sidecar_added_back_is_said_as_the_other_direction() -> None:
    lines = template_diff(_template([APP, VAULT]), _template([APP], [VAULT | {"restartPolicy": "Always"}]))
    assert any(x.startswith("container vault-agent moved into initContainers") for x in lines)


def test_twin_plain_init_container_turned_regular_is_not_a_native_sidecar_move() -> None:
    """A run-to-completion init container (no restartPolicy) replaced by a same-named container: no sidecar claim."""
    old = _template([APP], [VAULT])
    new = _template([APP, VAULT])
    lines = template_diff(old, new)
    assert "container vault-agent added" in lines
    assert not any("native sidecar" in x for x in lines)


def test_twin_native_sidecar_only_upgraded_says_only_the_image() -> None:
    old = _template([APP], [VAULT | {"restartPolicy": "Always"}])
    new = _template([APP], [VAULT | {"restartPolicy": "Always", "image": "hashicorp/vault:1.18"}])
    lines = template_diff(old, new)
    assert lines == ["init container vault-agent image hashicorp/vault:1.17 -> hashicorp/vault:1.18"]
