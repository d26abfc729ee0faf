"""agent.triage.platform_spread and subject_resolve's node names: a workload's own placement write that put a pod
on a node of another OS or CPU, where its image has no variant.

Shapes: a Deployment whose rollout dropped its `kubernetes.io/arch: amd64` selector, its pod on an arm64 node
crash-looping with `exec format error`; a StatefulSet that gained a toleration for every taint, its pod on a
Windows node failing with Docker's `no matching manifest for windows/amd64`. Twins: the same platform failure with
no placement write (only the image tag changed); a placement write whose pod fails with a tag not found. The node's
name asked about resolves to the failing pod there; a node whose pods are all healthy resolves to nothing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import platform_spread
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from agent.triage.subject_resolve import _resolve_node
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 9, 3, 16, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def node(name: str, os_: str, arch: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/os": os_, "kubernetes.io/arch": arch}}}


def pod(ns: str, name: str, on: str, message: str, created_before: int) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns,
                         "creationTimestamp": iso(AT - timedelta(minutes=created_before))},
            "spec": {"nodeName": on, "containers": [{"name": "app", "image": "registry.local/app:2"}]},
            "status": {"containerStatuses": [{"name": "app", "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                              "lastState": {"terminated": {"exitCode": 1, "message": message}}}]}}


def run(kind: str, ns: str, workload: str, pod_name: str, diff: list[str], message: str, scan_message: str,
        the_node: dict[str, Any]) -> Facts:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [{"at": iso(AT - timedelta(minutes=35)), "type": "rollout",
                                  "object": {"kind": kind, "namespace": ns, "name": workload},
                                  "summary": f"{kind} {ns}/{workload} rolled out revision 5: " + "; ".join(diff),
                                  "diff": diff, "related": []}]}
    facts.scan = {"findings": [{"check": "pod.crashloop", "severity": "critical",
                                "object": {"kind": kind, "namespace": ns, "name": workload},
                                "owner": {"kind": kind, "namespace": ns, "name": workload},
                                "message": scan_message, "evidence": [], "pods": [pod_name]}]}
    name = the_node["metadata"]["name"]
    hub = RecordingHub(objects={("Pod", ns, pod_name): pod(ns, pod_name, name, message, 30),
                                ("Node", "", name): the_node})
    asyncio.run(platform_spread.read(Subject(names=[workload]), facts, hub, iso(AT)))
    return facts


ARM = node("pool-b-7f2kq", "linux", "arm64")
WIN = node("akswin000002", "windows", "amd64")
EXEC = "exec /usr/local/bin/renderer: exec format error"
DOCKER = "no matching manifest for windows/amd64 10.0.17763 in the manifest list entries"


def test_a_dropped_arch_selector_that_put_a_pod_on_an_arm_node_is_named() -> None:
    facts = run("Deployment", "media", "renderer", "renderer-5d8c7b9f4-x2k8p",
                ["pod nodeSelector.kubernetes.io/arch 'amd64' -> unset"], EXEC,
                "Deployment media/renderer: 1/4 pods CrashLoopBackOff (exit 1)", ARM)
    [(ref, finding, evidence, explains)] = platform_spread.suspects(facts)
    assert (ref.kind, ref.name) == ("Deployment", "renderer") and explains[0].name == "renderer-5d8c7b9f4-x2k8p"
    assert "linux/arm64" in finding["message"] and "exec format error" in finding["message"] and "C1" in evidence


def test_a_toleration_for_every_taint_that_put_a_pod_on_a_windows_node_is_named() -> None:
    facts = run("StatefulSet", "search", "indexer", "indexer-2", ["pod tolerations[0].operator unset -> 'Exists'"],
                "", f"StatefulSet search/indexer: 1/3 pods ImagePullBackOff ({DOCKER})", WIN)
    [(ref, finding, _, _)] = platform_spread.suspects(facts)
    assert (ref.kind, ref.name) == ("StatefulSet", "indexer")
    assert "windows/amd64" in finding["message"] and "tolerations" in finding["message"]


def test_a_platform_failure_after_an_image_change_only_is_not_named() -> None:
    facts = run("Deployment", "media", "renderer", "renderer-5d8c7b9f4-x2k8p",
                ["renderer image media/renderer:4.1 -> media/renderer:4.2"], EXEC,
                "Deployment media/renderer: 1/4 pods CrashLoopBackOff (exit 1)", ARM)
    assert platform_spread.suspects(facts) == []


def test_a_placement_write_whose_pod_fails_for_a_missing_tag_is_not_named() -> None:
    facts = run("StatefulSet", "search", "indexer", "indexer-2", ["pod tolerations[0].operator unset -> 'Exists'"],
                "", "StatefulSet search/indexer: 1/3 pods ImagePullBackOff: manifest for indexer:9.9 not found",
                WIN)
    assert platform_spread.suspects(facts) == []


def rows(items: list[dict[str, Any]]) -> Any:
    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        assert tool == "k8s_list" and arguments["field_selector"] == "spec.nodeName=akswin000002"
        return ToolOutcome(evidence_id="E1", tool=tool, arguments=arguments, ok=True, text="", data={"rows": items})
    return call


def test_a_node_asked_about_resolves_to_the_failing_pod_there_not_its_healthy_neighbours() -> None:
    call = rows([{"name": "indexer-2", "namespace": "search", "status": "ImagePullBackOff", "ready": "0/1",
                  "problem": "ImagePullBackOff", "node": "akswin000002"},
                 {"name": "billing-7c9-abcde", "namespace": "finance", "status": "Running", "ready": "1/1",
                  "node": "akswin000002"}])
    [match] = asyncio.run(_resolve_node("akswin000002", call))
    assert (match.ref.kind, match.ref.namespace, match.ref.name) == ("Pod", "search", "indexer-2")


def test_a_node_whose_pods_are_all_healthy_resolves_to_nothing() -> None:
    call = rows([{"name": "billing-7c9-abcde", "namespace": "finance", "status": "Running", "ready": "1/1",
                  "node": "akswin000002"}])
    assert asyncio.run(_resolve_node("akswin000002", call)) == []


# Issue #12: CRI-O/podman's and Windows hosts' own words for an image without the node's platform.
CRIO = ('Error: choosing an image from manifest list docker://registry.local/app:2: no image found in manifest '
        'list for architecture "arm64", variant "v8", OS "linux"')
HCS = ("hcs::CreateComputeSystem app: The operating system of the container does not match the operating system "
       "of the host.")
CRIO_MISSING = ("Error: choosing an image from manifest list docker://registry.local/app:2: reading manifest "
                "sha256:4f1c: manifest unknown")
HCS_OTHER = "hcs::CreateComputeSystem app: The operating system of the container is shutting down."


def test_crio_and_windows_hosts_platform_words_are_named() -> None:
    facts = run("Deployment", "media", "renderer", "renderer-5d8c7b9f4-x2k8p",
                ["pod nodeSelector.kubernetes.io/arch 'amd64' -> unset"], "",
                f"Deployment media/renderer: 1/4 pods ImagePullBackOff ({CRIO})", ARM)
    [(ref, finding, _, _)] = platform_spread.suspects(facts)
    assert ref.name == "renderer" and "no image found in manifest list" in finding["message"]
    facts = run("StatefulSet", "search", "indexer", "indexer-2", ["pod tolerations[0].operator unset -> 'Exists'"],
                HCS, "StatefulSet search/indexer: 1/3 pods CrashLoopBackOff (exit 1)", WIN)
    [(ref, finding, _, _)] = platform_spread.suspects(facts)
    assert ref.name == "indexer" and "operating system of the container" in finding["message"]


def test_the_same_hosts_other_failures_are_not_platform_words() -> None:
    facts = run("Deployment", "media", "renderer", "renderer-5d8c7b9f4-x2k8p",
                ["pod nodeSelector.kubernetes.io/arch 'amd64' -> unset"], "",
                f"Deployment media/renderer: 1/4 pods ImagePullBackOff ({CRIO_MISSING})", ARM)
    assert platform_spread.suspects(facts) == []
    facts = run("StatefulSet", "search", "indexer", "indexer-2", ["pod tolerations[0].operator unset -> 'Exists'"],
                HCS_OTHER, "StatefulSet search/indexer: 1/3 pods CrashLoopBackOff (exit 1)", WIN)
    assert platform_spread.suspects(facts) == []
