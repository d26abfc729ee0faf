"""An identity provider scaled out with per-replica in-memory signing keys (agent.triage.idp_keys).

Written here, not taken from the held-out bundles. Shapes: dex at 3 replicas with `DEX_STORAGE_TYPE=memory` in its
env, a Node verifier's jose `JWKSNoMatchingKey`; Ory Hydra-like home-grown `token-issuer` StatefulSet at 2 replicas
whose memory key store shows only in its own log line (read from one pod), a Python verifier's PyJWT miss. Negative
twins: the same scale-out on shared storage, memory storage at one replica, a non-IdP workload scaled, and an IdP
write with no key-id miss on the path (nothing is read).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import idp_keys as ik
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 10, 12, 11, 0, tzinfo=UTC)
JOSE = '{"level":"error","msg":"token verification failed","err":"JWKSNoMatchingKey","status":401}'
PYJWT = "jwt.exceptions.PyJWKClientError: Unable to find a signing key that matches: 'c0ffee12'"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _write(kind: str, ns: str, name: str, minutes: int = 45) -> dict[str, Any]:
    return {"at": _iso(AT - timedelta(minutes=minutes)), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by argocd-controller: spec.replicas", "diff": ["spec.replicas"]}


def _workload(kind: str, ns: str, name: str, image: str, replicas: int, env: dict[str, str]) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [
                {"name": name, "image": image, "env": [{"name": k, "value": v} for k, v in env.items()]}]}}}}


def _facts(changes: list[dict[str, Any]], miss: str) -> Facts:
    log = LogEvidence(pod="portal-8ggrwd9qxh-7fdld", namespace="web", evidence_id="E7",
                      top={"message": miss, "example": miss}, hosts=[], error_classes=set(), previous=False)
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=[log])


def _run(facts: Facts, hub: RecordingHub) -> list[ik.SplitKeys]:
    asyncio.run(ik.read(Subject(), facts, hub, _iso(AT)))
    return ik.found(facts)


def _dex(replicas: int, storage: str) -> RecordingHub:
    return RecordingHub(objects={("Deployment", "dex"): _workload(
        "Deployment", "auth", "dex", "ghcr.io/dexidp/dex:v2.41.1", replicas, {"DEX_STORAGE_TYPE": storage})})


def test_dex_scaled_on_memory_storage_is_named() -> None:
    got = _run(_facts([_write("Deployment", "auth", "dex")], JOSE), _dex(3, "memory"))
    assert [(str(s.target), s.replicas) for s in got] == [("Deployment auth/dex", 3)]
    message = ik.finding(got[0])["message"]
    assert message.startswith("Deployment auth/dex now runs 3 replicas with memory storage")
    assert "signing keys" in message and "JWKSNoMatchingKey" in message


def test_home_grown_issuer_with_memory_keys_in_its_log() -> None:
    obj = _workload("StatefulSet", "id", "token-issuer", "registry.example.com/id/token-issuer:3.1", 2, {})
    hub = RecordingHub(objects={("StatefulSet", "token-issuer"): obj},
                       lists={("Pod", "id"): [{"name": "token-issuer-0"}, {"name": "token-issuer-1"}]},
                       logs={"token-issuer-0": ["level=info msg=\"key storage: memory\" kid=9a1f",
                                                "level=info msg=\"listening\" port=8443"]})
    got = _run(_facts([_write("StatefulSet", "id", "token-issuer")], PYJWT), hub)
    assert [str(s.target) for s in got] == ["StatefulSet id/token-issuer"]
    assert ("k8s_logs", {"name": "token-issuer-0", "namespace": "id", "grep": "storage", "tail": 5000}) in hub.calls


def test_shared_storage_and_single_replica_are_not_named() -> None:
    assert _run(_facts([_write("Deployment", "auth", "dex")], JOSE), _dex(3, "kubernetes")) == []
    assert _run(_facts([_write("Deployment", "auth", "dex")], JOSE), _dex(1, "memory")) == []


def test_non_idp_workload_scaled_is_not_named() -> None:
    hub = RecordingHub(objects={("Deployment", "pdf-render"): _workload(
        "Deployment", "web", "pdf-render", "registry.example.com/web/pdf-render:1.2", 4, {"CACHE": "memory"})})
    assert _run(_facts([_write("Deployment", "web", "pdf-render")], JOSE), hub) == []


def test_no_key_id_miss_reads_nothing() -> None:
    hub = _dex(3, "memory")
    assert _run(_facts([_write("Deployment", "auth", "dex")], "request completed status=200"), hub) == []
    assert hub.calls == []
