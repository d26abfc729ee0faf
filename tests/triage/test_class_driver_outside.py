"""agent.triage.class_driver against class kinds and wordings its round never showed (issue #12).

The class: a class object written to name a driver nothing in the cluster runs, so what uses it waits forever.
Shapes beyond the round's storage/Gateway classes: an IngressClass whose `spec.controller` names an ingress
controller nobody runs (`k8s.io/ingress-nginx` vs Traefik's `traefik.io/ingress-controller`; its Ingress never
gets an address, the others' class gets one); a RuntimeClass whose `handler` no node's runtime has configured,
shown by containerd's `no runtime for "kata-qemu" is configured` or CRI-O's `failed to find runtime handler
gvisor from runtime list` in the pod's sandbox event. Twins: an IngressClass naming the controller that does
serve the other Ingresses, a RuntimeClass whose handler runs other pods (the refusal is one node's config, not
the class), a RuntimeClass with no refusal and no running peer (nothing says which handlers exist).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from agent.triage import class_driver
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, keyed, outcome
from tests.triage.test_class_driver import AT, WRITE, _iso

CONTAINERD = ('Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no '
              'runtime for "kata-qemu" is configured')
CRIO = ('Failed to create pod sandbox: rpc error: code = Unknown desc = failed to find runtime handler gvisor from '
        'runtime list map[crun:0xc000a1 runc:0xc000a2]')


def _facts(kind: str, name: str, text: str, obj: dict[str, str]) -> Facts:
    return Facts(at=AT, scan={"findings": [
        {"check": "pod.pending", "object": obj, "owner": obj, "reason": "FailedCreatePodSandBox",
         "message": text, "evidence": [text]}]},
        changes={"changes": [{"at": _iso(WRITE), "type": "updated", "summary": f"{kind} {name} updated by helm",
                              "object": {"kind": kind, "namespace": "", "name": name}}]}, changes_id="E2")


def _found(hub: RecordingHub, facts: Facts) -> list[class_driver.Unserved]:
    asyncio.run(class_driver.read(Subject(namespace="shop"), facts, hub, _iso(AT)))
    return class_driver.found(facts)


def _hub(objects: list[dict[str, Any]], lists: dict[Any, list[dict[str, Any]]]) -> RecordingHub:
    return RecordingHub(objects=keyed(objects), lists=lists,
                        otherwise=lambda _, eid: outcome(True, {"changes": []}, "", eid))


def _ingress(name: str, klass: str, address: bool, made_days: int) -> dict[str, Any]:
    return {"kind": "Ingress", "metadata": {"name": name, "namespace": "shop",
                                            "creationTimestamp": _iso(AT - timedelta(days=made_days))},
            "spec": {"ingressClassName": klass},
            "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]} if address else {}}}


def _ingress_cluster(controller: str) -> RecordingHub:
    objects = [{"kind": "IngressClass", "metadata": {"name": "public"}, "spec": {"controller": controller}},
               {"kind": "IngressClass", "metadata": {"name": "internal"},
                "spec": {"controller": "traefik.io/ingress-controller"}},
               _ingress("storefront", "public", False, 30), _ingress("admin", "internal", True, 30)]
    return _hub(objects, {"IngressClass": [{"name": "public"}, {"name": "internal"}],
                          ("Ingress", "shop"): [{"name": "storefront"}, {"name": "admin"}]})


STOREFRONT = {"kind": "Ingress", "namespace": "shop", "name": "storefront"}


def test_an_ingress_class_naming_a_controller_nobody_runs_is_named_with_its_addressless_ingress() -> None:
    found = _found(_ingress_cluster("k8s.io/ingress-nginx"),
                   _facts("IngressClass", "public", "Ingress shop/storefront has no address", STOREFRONT))
    [u] = found
    assert (str(u.klass), u.driver) == ("IngressClass public", "k8s.io/ingress-nginx")
    assert [str(w) for w in u.waiting] == ["Ingress shop/storefront"] and u.served == ["traefik.io/ingress-controller"]
    message = class_driver.finding(u, AT)["message"]
    assert message.startswith("IngressClass public names controller 'k8s.io/ingress-nginx'")
    assert "no ingress controller" in message[:400] and "no address" in message[:400]


def test_an_ingress_class_naming_the_running_controller_is_not_named() -> None:
    assert _found(_ingress_cluster("traefik.io/ingress-controller"),
                  _facts("IngressClass", "public", "Ingress shop/storefront has no address", STOREFRONT)) == []


def _runtime_cluster(handler: str, peer_running: bool) -> RecordingHub:
    made = _iso(AT - timedelta(hours=2))
    objects: list[dict[str, Any]] = [
        {"kind": "RuntimeClass", "metadata": {"name": "sandboxed"}, "handler": handler},
        {"kind": "Pod", "metadata": {"name": "render-0", "namespace": "shop", "creationTimestamp": made},
         "spec": {"runtimeClassName": "sandboxed"}, "status": {"phase": "Pending"}}]
    lists: dict[Any, list[dict[str, Any]]] = {"RuntimeClass": [{"name": "sandboxed"}],
                                              ("Pod", "shop"): [{"name": "render-0"}]}
    if peer_running:
        objects += [{"kind": "RuntimeClass", "metadata": {"name": "isolated"}, "handler": handler},
                    {"kind": "Pod", "metadata": {"name": "thumbs-0", "namespace": "shop", "creationTimestamp": made},
                     "spec": {"runtimeClassName": "isolated"}, "status": {"phase": "Running"}}]
        lists["RuntimeClass"].append({"name": "isolated"})
        lists[("Pod", "shop")].append({"name": "thumbs-0"})
    return _hub(objects, lists)


RENDER = {"kind": "Pod", "namespace": "shop", "name": "render-0"}


@pytest.mark.parametrize(("handler", "said"), [("kata-qemu", CONTAINERD), ("gvisor", CRIO)])
def test_a_runtime_class_whose_handler_the_runtime_refuses_is_named(handler: str, said: str) -> None:
    [u] = _found(_runtime_cluster(handler, False), _facts("RuntimeClass", "sandboxed", said, RENDER))
    assert (str(u.klass), u.driver) == ("RuntimeClass sandboxed", handler)
    assert [str(w) for w in u.waiting] == ["Pod shop/render-0"]
    message = class_driver.finding(u, AT)["message"]
    assert message.startswith(f"RuntimeClass sandboxed names handler '{handler}'") and "sandbox" in message[:400]


def test_a_handler_that_runs_other_pods_is_not_the_class() -> None:
    assert _found(_runtime_cluster("kata-qemu", True), _facts("RuntimeClass", "sandboxed", CONTAINERD, RENDER)) == []


def test_a_runtime_class_without_a_refusal_or_a_running_peer_is_not_named() -> None:
    assert _found(_runtime_cluster("kata-qemu", False),
                  _facts("RuntimeClass", "sandboxed", "0/3 nodes are available: insufficient memory", RENDER)) == []
