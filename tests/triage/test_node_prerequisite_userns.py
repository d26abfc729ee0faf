"""User namespaces disabled on a node by a tuning write, as a node prerequisite (agent.triage.node_prerequisite).

Sandboxed browsers (Chromium under Puppeteer/Playwright) and rootless builders (bubblewrap, Buildah) make a user
namespace for each launch; a hardening DaemonSet that sets `user.max_user_namespaces=0` (or Debian's
`kernel.unprivileged_userns_clone=0`) takes that away on the nodes it runs on. The victim keeps running and
fails each job, so the node the question names is read for its pods' words. Twins: the key raised, a tuner that
only writes other keys, an ordinary sandbox-free failure.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import node_prerequisite as npq
from agent.triage.facts import Facts, Ref
from agent.triage.prerequisites import named

AT = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
OLD = "2026-10-01T00:00:00Z"

CHROMIUM = ["[0412/101503.118:FATAL:zygote_host_impl_linux.cc(127)] No usable sandbox! Update your kernel or see "
            "the sandbox documentation", "Error: Failed to launch the browser process!"]
BWRAP = ["bwrap: setting up uid map: Permission denied", "build step 3 failed"]


def _row(name: str, ns: str, node: str) -> dict[str, Any]:
    return {"name": name, "namespace": ns, "node": node, "created": OLD, "status": "Running", "restarts": 0}


def _facts(diff: str, lines: list[str], kind: str = "DaemonSet") -> Facts:
    change = {"at": "2026-11-03T11:15:00Z", "type": "rollout",
              "object": {"kind": kind, "namespace": "hardening", "name": "kernel-tuner"}, "diff": [diff]}
    rows = [_row("thumbnailer-5c8d7f9b6-qk2zt", "media", "n1"), _row("thumbnailer-5c8d7f9b6-b7wnx", "media", "n2"),
            _row("kernel-tuner-x9zqb", "hardening", "n1"), _row("kernel-tuner-x9zqc", "hardening", "n2")]
    store = {"pods": {"rows": rows}, "pods_id": "E7", "lines": {"thumbnailer-5c8d7f9b6-qk2zt": lines},
             "log_ids": {"thumbnailer-5c8d7f9b6-qk2zt": ["E9"]}, "nodes": {}, "templates": {}, "evidence": []}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", reads={npq.READS: store})


def test_browser_and_builder_sandbox_wordings_name_user_namespaces() -> None:
    for lines in (CHROMIUM, BWRAP, ["unshare: write failed /proc/self/uid_map: Operation not permitted; "
                                    "user namespaces are not enabled in /proc/sys/user/max_user_namespaces"]):
        said = named(lines)
        assert said is not None and said[0].name == "user namespaces"


def test_twin_an_ordinary_launch_failure_names_no_prerequisite() -> None:
    assert named(["Error: Failed to launch the browser process! spawn /usr/bin/chromium ENOENT"]) is None


def test_a_tuner_setting_max_user_namespaces_to_zero_is_named_for_the_browser() -> None:
    diff = ("kernel-tuner args ['--write=kernel.kptr_restrict=2'] -> "
            "['--write=kernel.kptr_restrict=2', '--write=user.max_user_namespaces=0']")
    [fit] = npq.found(_facts(diff, CHROMIUM))
    assert fit.target == Ref("DaemonSet", "hardening", "kernel-tuner")
    assert fit.workload == Ref("Deployment", "media", "thumbnailer")
    message = npq.finding(fit)["message"]
    assert "user.max_user_namespaces=0 (was unset)" in message and "No usable sandbox" in message


def test_a_debian_clone_switch_turned_off_in_a_sysctl_conf_is_named_for_bubblewrap() -> None:
    diff = ("data 99-hardening.conf: 'kernel.unprivileged_userns_clone = 1\\nfs.protected_fifos = 1' -> "
            "'kernel.unprivileged_userns_clone = 0\\nfs.protected_fifos = 1'")
    [fit] = npq.found(_facts(diff, BWRAP, kind="ConfigMap"))
    assert "kernel.unprivileged_userns_clone=0 (was 1)" in npq.finding(fit)["message"]


def test_twin_a_tuner_that_raises_the_namespace_limit_is_not_blamed() -> None:
    diff = "kernel-tuner args ['--write=user.max_user_namespaces=1000'] -> ['--write=user.max_user_namespaces=63000']"
    assert npq.found(_facts(diff, CHROMIUM)) == []


def test_twin_a_tuner_that_writes_only_other_keys_is_not_blamed() -> None:
    diff = "kernel-tuner args ['--write=kernel.dmesg_restrict=0'] -> ['--write=kernel.dmesg_restrict=1']"
    assert npq.found(_facts(diff, CHROMIUM)) == []


def test_the_pods_read_on_a_named_node_skip_the_tuner_and_system_pods() -> None:
    rows = [_row("thumbnailer-5c8d7f9b6-qk2zt", "media", "n1"), _row("thumbnailer-5c8d7f9b6-b9x4k", "media", "n1"),
            _row("kernel-tuner-x9zqb", "hardening", "n1"), _row("coredns-6d4b75cb6d-x8f2k", "kube-system", "n1"),
            _row("checkout-7f9d8c-p2v5k", "shop", "n2")]
    assert [r["name"] for r in npq.on_nodes(rows, {"n1", "pdf"}, {"kernel-tuner"})] == ["thumbnailer-5c8d7f9b6-qk2zt"]
