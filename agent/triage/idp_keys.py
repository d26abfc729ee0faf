"""An identity provider scaled out with per-replica signing keys: relying parties cannot verify most tokens.

An OIDC provider signs tokens with a key it keeps in its storage and publishes in its JWKS. Keep that storage in
process memory (dex `storage: memory` / `DEX_STORAGE_TYPE=memory`, Ory Hydra `DSN=memory`, Keycloak's `dev-mem`
database or `start-dev`, a home-grown token service with an in-memory key) and each replica generates its own
keys at start: scale it to several replicas (or roll it so old and new pods overlap) and a token signed by one
replica carries a `kid` that the JWKS answered by another lacks. Relying parties then fail about (n-1)/n of their
verifications with their library's key-id miss (jose `JWKSNoMatchingKey`, PyJWT `Unable to find a signing key that
matches`, Spring's `no matching key(s) found`, Envoy's `Jwks doesn't have key to match kid`), and the IdP itself
looks healthy. A restart of the relying party does not help; sharing the keys (a database, the kubernetes CRD
storage, a mounted key Secret) or one replica does.

Named: a write within LEAD to a Deployment/StatefulSet whose containers are an identity provider (by image: dex,
keycloak, hydra, authelia, zitadel, authentik, or its own words: oidc / oauth / token / sso / login service) that now
runs more than one replica with in-memory key storage (its env, args, or its own log lines), when a path log shows a
key-id miss. An IdP on shared storage, a single replica, a non-IdP workload scaled, or a key-id miss with no IdP
write (a rotation: rotation_cadence) is not named here.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.idp_import import container_words
from agent.triage.kube_reads import get_yaml, list_names
from agent.triage.rotation_cadence import KID_MISS
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.idp_keys"
WEIGHT = 0.94
"""Above the relying party's verification errors it explains and above unrelated rollouts."""
RECORD = "idp_keys"
LEAD = timedelta(hours=6)
MAX_WORKLOADS = 4

IDP_IMAGE = re.compile(r"dexidp|/dex\b|\bdex:|keycloak|ory/hydra|\bhydra\b|authelia|zitadel|authentik|"
                       r"authori[sz]ation[-_]?server|oauth2-mock|mock-oauth2|"
                       r"\b(?:oidc|oauth2?|sso|token|login|auth)[-_]?(?:server|service|provider|issuer)\b", re.I)
"""An identity provider's image (or a home-grown issuer's image or name)."""
MEMORY_KEYS = re.compile(
    r"(?:storage[_ ]?type|storage)\W{0,3}\s*memory\b|DEX_STORAGE_TYPE\W+memory|\bDSN\W+memory\b|KC_DB\W+dev-mem|"
    r"\bstart-dev\b|--db[= ]dev-mem\b|--storage[= ]memory|development-only signing keys|"
    r"in-?memory (?:storage|key ?store|keys?)|"
    r"(?:signing|jwt|private)[_ ]?keys?\W+(?:generated|in[- ]memory|ephemeral)", re.I)
"""In-process key storage: dex's memory storage (its config, env or `config storage: memory` log line), Hydra's
`DSN=memory`, Keycloak's `dev-mem` database (env or `--db=dev-mem`) or dev mode, node oidc-provider's
`development-only signing keys` warning, an issuer's 'signing key generated / in-memory'."""
KEY_MISS = re.compile(KID_MISS.pattern + r"|no applicable key found in the JSON Web Key Set|"
                      r"failed to verify id token signature|could not verify message using any of the signatures or "
                      r"keys|IDX105(?:03|11)\b", re.I)
"""A verifier that found no published key for a token (rotation_cadence's key-id misses), plus the wordings that
say so without the word kid: jose's JWKSNoMatchingKey message, go-oidc after its JWKS refetch, lestrrat-go/jwx,
.NET's IDX10503/IDX10511 (keys tried, none verified)."""


@dataclass
class SplitKeys:
    """An IdP written to run several replicas, each with its own in-memory signing keys."""

    target: Ref
    replicas: int
    storage: str
    minutes_before: int
    wrote: str
    miss: str
    verifier: str
    evidence: list[str] = field(default_factory=list)


def misses(facts: Facts) -> list[tuple[str, str]]:
    """(key-id miss line, verifier workload) from the survey's logs."""
    out: list[tuple[str, str]] = []
    for log in facts.logs:
        for entry in log.entries():
            text = str(entry.get("example") or entry.get("message") or entry.get("template") or "")
            if KEY_MISS.search(text):
                out.append((text, workload_of_pod(log.pod)))
                break
    return out


def found(facts: Facts) -> list[SplitKeys]:
    """Each IdP written within LEAD that now runs several replicas on in-memory keys, with a key-id miss on path."""
    seen = misses(facts)
    kept = facts.reads.get(RECORD) or {}
    if not seen:
        return []
    miss, verifier = seen[0]
    out: list[SplitKeys] = []
    for change, evidence, target in facts.writes_to(("Deployment", "StatefulSet"), within=LEAD, deletions=False):
        obj = (kept.get("objects") or {}).get(str(target))
        at = parse_time(change.get("at"))
        if not obj or at is None or any(s.target.same_object(target) for s in out):
            continue
        words = container_words(obj)
        if not IDP_IMAGE.search(" ".join([target.name, *words])):
            continue
        replicas = int((obj.get("spec") or {}).get("replicas") or 1)
        texts = words + list((kept.get("log_lines") or {}).get(str(target)) or [])
        storage = next((m.group(0) for t in texts if (m := MEMORY_KEYS.search(t))), "")
        if replicas < 2 or not storage:
            continue
        wrote = str(change.get("summary") or "")[:160]
        out.append(SplitKeys(target, replicas, storage, int((facts.at - at).total_seconds() // 60), wrote, miss,
                             verifier, [e for e in (evidence, *((kept.get("evidence") or {}).get(str(target)) or []))
                                        if e]))
    return out


def finding(s: SplitKeys) -> dict[str, Any]:
    """The meaning first: N replicas, each with its own signing keys; then the verifier's words and the write."""
    message = (f"{s.target} now runs {s.replicas} replicas with memory storage ('{s.storage}'), written "
               f"{minutes_text(s.minutes_before)} before the incident: each replica generates its own signing keys "
               f"and publishes its own JWKS, so relying parties cannot verify tokens another replica signed (no "
               f"matching kid): {s.verifier} says '{s.miss[:160]}'. Scale it back to one replica or give the replicas "
               f"shared storage (a database, the kubernetes storage, a mounted key) so they share keys; the write: "
               f"{s.wrote}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": s.target.kind, "namespace": s.target.namespace, "name": s.target.name},
            "reason": "ReplicasSignWithOwnKeys", "message": message, "evidence": [s.miss[:200], s.storage],
            "details": {"replicas": s.replicas, "storage": s.storage}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the IdP workload, its finding, evidence ids, nothing further) for `agent.triage.behind`."""
    return [(s.target, finding(s), s.evidence, []) for s in found(facts)]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a path log shows a key-id miss: each Deployment/StatefulSet written within LEAD, and for
    an IdP among them that runs several replicas without a storage marker in its spec, one pod's lines that name
    its storage (dex prints `config storage: memory`), else its keys (oidc-provider warns of development-only
    signing keys)."""
    if RECORD in facts.reads or not misses(facts):
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"objects": {}, "evidence": {}, "log_lines": {}})
    writes = [t for _, _, t in facts.writes_to(("Deployment", "StatefulSet"), within=LEAD, deletions=False)]
    for target in list(dict.fromkeys(writes))[:MAX_WORKLOADS]:
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-idp-{target.name}")
        if got is None:
            continue
        obj, evidence = got
        kept["objects"][str(target)] = obj
        kept["evidence"][str(target)] = [evidence]
        words = container_words(obj)
        if not IDP_IMAGE.search(" ".join([target.name, *words])) or int((obj.get("spec") or {}).get("replicas") or 1) \
                < 2 or any(MEMORY_KEYS.search(w) for w in words):
            continue
        names = await list_names(call, "Pod", target.namespace, f"survey-idp-pods-{target.name}")
        pod = next((n for n in sorted(names[0] if names else set()) if n.startswith(target.name + "-")), None)
        if pod is None:
            continue
        for word in ("storage", "keys"):
            logs = await call("k8s_logs", {"name": pod, "namespace": target.namespace, "grep": word, "tail": 5000},
                              f"survey-idp-{word}-{target.name}")
            if logs is None or not logs.ok:
                continue
            lines = str(logs.full_text or logs.text).splitlines()[:40]
            if any(MEMORY_KEYS.search(t) for t in lines):
                kept["log_lines"][str(target)] = lines
                kept["evidence"][str(target)].append(logs.evidence_id)
                break
