"""A DaemonSet that writes the nodes' container-runtime registry config, changed shortly before pulls began to
fail with network errors (agent.triage.runtime_registry_config).

Findings in the scan's own shape (pod.image_pull with its `error` and `since`), DaemonSets in Kubernetes' shape.
Two shapes: a CRI-O `registries.conf.d` writer now naming a `*.svc` mirror (`no such host`), and a Docker
`daemon.json` writer pointing at a node port that refuses (`connection refused`, no cluster name). Twins: a
writer unchanged for days or changed after the failure, a pull the registry refused (credentials), a
DaemonSet mounting other host paths, and a GPU runtime installer mounting containerd's config without registry words.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import runtime_registry_config as rrc
from agent.triage.facts import Facts

AT = datetime(2026, 7, 8, 16, 0, tzinfo=UTC)
CRIO = ("cat > /host/registries.conf.d/10-mirror.conf <<EOF\n[[registry]]\nprefix = \"quay.io\"\n"
        "location = \"quay.io\"\n[[registry.mirror]]\nlocation = \"pull-cache.mirrors.svc:5000\"\nEOF\nsleep 1d")
DOCKER = 'echo \'{"registry-mirrors": ["http://10.20.0.5:31500"]}\' > /host/docker/daemon.json; sleep infinity'


def _daemonset(name: str, path: str, script: str, written: str) -> dict[str, Any]:
    return {"kind": "DaemonSet", "metadata": {
        "name": name, "namespace": "node-config",
        "managedFields": [{"manager": "argocd-controller", "operation": "Update", "time": written}]},
        "spec": {"template": {"spec": {
            "containers": [{"name": "writer", "image": "alpine:3.20", "command": ["/bin/sh", "-c", script]}],
            "volumes": [{"name": "conf", "hostPath": {"path": path}}]}}}}


def _facts(error: str, writers: list[dict[str, Any]], since: str = "2026-07-08T15:30:00Z",
           secrets: bool = False) -> Facts:
    facts = Facts(at=AT)
    details: dict[str, Any] = {"image": "quay.io/org/worker:3.1", "error": error}
    if secrets:
        details["pull_secrets"] = ["quay-pull"]
    facts.scan = {"findings": [{"check": "pod.image_pull", "severity": "critical", "since": since,
                                "object": {"kind": "StatefulSet", "namespace": "jobs", "name": "worker"},
                                "message": f"ImagePullBackOff ({error})", "details": details}]}
    facts.reads[rrc.STORE] = {"writers": [(w, f"D{i}") for i, w in enumerate(writers)]}
    return facts


def test_a_crio_mirror_writer_naming_a_cluster_service_is_named_with_why() -> None:
    ds = _daemonset("crio-mirrors", "/etc/containers/registries.conf.d", CRIO, "2026-07-08T14:10:00Z")
    [w] = rrc.found(_facts("dial tcp: lookup pull-cache.mirrors.svc: no such host", [ds]))
    message = rrc.finding(w, AT)["message"]
    assert str(w.writer) == "DaemonSet node-config/crio-mirrors" and w.cluster_host == "pull-cache.mirrors.svc"
    assert "changed by argocd-controller 110 min before" in message and "node's own resolver" in message
    assert "StatefulSet jobs/worker" in message


def test_a_docker_daemon_json_writer_is_named_without_a_cluster_name() -> None:
    ds = _daemonset("docker-mirror", "/etc/docker", DOCKER, "2026-07-08T11:00:00Z")
    [w] = rrc.found(_facts("connection refused", [ds]))
    assert w.cluster_host == "" and w.paths == ["/etc/docker"]
    assert "cluster Service name" not in rrc.finding(w, AT)["message"]


def test_a_writer_unchanged_for_days_or_changed_after_the_failure_is_not_named() -> None:
    old = _daemonset("crio-mirrors", "/etc/containers/registries.conf.d", CRIO, "2026-07-01T09:00:00Z")
    assert rrc.found(_facts("no such host", [old])) == []
    late = _daemonset("crio-mirrors", "/etc/containers/registries.conf.d", CRIO, "2026-07-08T15:45:00Z")
    assert rrc.found(_facts("no such host", [late])) == []


def test_a_refused_credential_or_an_unrelated_host_mount_reads_nothing() -> None:
    ds = _daemonset("crio-mirrors", "/etc/containers/registries.conf.d", CRIO, "2026-07-08T14:10:00Z")
    assert rrc.found(_facts("401 Unauthorized", [ds])) == []  # the registry answered
    assert rrc.found(_facts("i/o timeout", [ds], secrets=True)) == []  # a credential refusal: another story
    logs = _daemonset("log-shipper", "/var/log", "tail -F /var/log/*.log", "2026-07-08T14:10:00Z")
    assert rrc.config_paths(logs) == [] and rrc.config_paths(ds) == ["/etc/containers/registries.conf.d"]


def test_a_runtime_installer_mounting_containerd_config_without_registry_words_is_not_named() -> None:
    toolkit = _daemonset("gpu-toolkit", "/etc/containerd", "toolkit install --runtime=containerd "
                         "--config=/etc/containerd/config.toml --set-as-default", "2026-07-08T14:10:00Z")
    assert not rrc.writes_registry_config(toolkit) and rrc.found(_facts("i/o timeout", [toolkit])) == []


# Distributions that keep the runtime's mirrors in their own file (issue #12): k3s and RKE2 render containerd's
# config from /etc/rancher/<dist>/registries.yaml.
K3S = ("cat > /host/registries.yaml <<EOF\nmirrors:\n  docker.io:\n    endpoint:\n"
       "      - \"http://registry-cache.infra.svc.cluster.local:5000\"\nEOF\nsleep infinity")
RKE2 = ("printf 'mirrors:\\n  \"*\":\\n    endpoint: [\"https://10.40.0.9:8443\"]\\n' > /host/registries.yaml; "
        "sleep infinity")


def test_k3s_and_rke2_registries_yaml_writers_are_named() -> None:
    k3s = _daemonset("k3s-mirrors", "/etc/rancher/k3s", K3S, "2026-07-08T13:00:00Z")
    [w] = rrc.found(_facts("dial tcp: lookup registry-cache.infra.svc.cluster.local: no such host", [k3s]))
    assert str(w.writer) == "DaemonSet node-config/k3s-mirrors"
    assert w.cluster_host == "registry-cache.infra.svc.cluster.local"
    rke2 = _daemonset("rke2-mirrors", "/etc/rancher/rke2/registries.yaml", RKE2, "2026-07-08T13:00:00Z")
    [w] = rrc.found(_facts("dial tcp 10.40.0.9:8443: i/o timeout", [rke2]))
    assert w.paths == ["/etc/rancher/rke2/registries.yaml"] and w.cluster_host == ""


def test_a_daemonset_reading_the_distributions_other_files_is_not_named() -> None:
    kubeconfig = _daemonset("k3s-kubeconfig-sync", "/etc/rancher/k3s",
                            "cp /host/k3s.yaml /out/kubeconfig; sleep 1h", "2026-07-08T13:00:00Z")
    assert rrc.found(_facts("no such host", [kubeconfig])) == []
    tokens = _daemonset("rke2-node-password", "/etc/rancher/node", "cat /host/password", "2026-07-08T13:00:00Z")
    assert rrc.found(_facts("i/o timeout", [tokens])) == []


# Issue #12: the same fact carried by cluster objects a node agent renders into every node's registries.conf.
def _object_write(kind: str, name: str, at: str, diff: list[str], error: str) -> Facts:
    facts = _facts(error, [])
    facts.changes = {"changes": [{"at": at, "type": "other", "object": {"kind": kind, "namespace": "", "name": name},
                                  "summary": f"{kind} {name} written by oc (generation 3)", "diff": diff}]}
    return facts


IDMS = ["spec.imageDigestMirrors[0].mirrors = ['mirror-cache.registry.svc:5000/org']",
        "spec.imageDigestMirrors[0].source = 'quay.io/org'"]
MC_REGISTRIES = ["spec.config.storage.files[0].path = '/etc/containers/registries.conf.d/99-mirror.conf'"]
MC_CHRONY = ["spec.config.storage.files[0].path = '/etc/chrony.conf'"]


def test_a_mirror_set_or_a_machine_config_writing_registries_is_named() -> None:
    [w] = rrc.found(_object_write("ImageDigestMirrorSet", "quay-mirror", "2026-07-08T14:00:00Z", IDMS,
                                  "dial tcp: lookup mirror-cache.registry.svc: no such host"))
    assert str(w.writer) == "ImageDigestMirrorSet quay-mirror" and w.cluster_host == "mirror-cache.registry.svc"
    assert "Roll the ImageDigestMirrorSet back" in rrc.finding(w, AT)["message"]
    [w] = rrc.found(_object_write("MachineConfig", "99-worker-registries", "2026-07-08T12:00:00Z", MC_REGISTRIES,
                                  "dial tcp 10.9.8.7:5000: i/o timeout"))
    assert w.writer.name == "99-worker-registries" and w.manager == "oc"


def test_a_late_mirror_set_or_a_machine_config_about_something_else_is_not_named() -> None:
    assert rrc.found(_object_write("ImageDigestMirrorSet", "quay-mirror", "2026-07-08T15:40:00Z", IDMS,
                                   "no such host")) == []  # written after the pulls began to fail
    assert rrc.found(_object_write("MachineConfig", "99-worker-chrony", "2026-07-08T12:00:00Z", MC_CHRONY,
                                   "i/o timeout")) == []
