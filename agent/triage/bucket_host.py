"""An object-store client that puts the bucket into the hostname where the store only serves it in the path.

S3 SDKs address a bucket one of two ways: virtual-host style (`https://<bucket>.<endpoint>/<key>`, the default of
every current AWS SDK) or path style (`https://<endpoint>/<bucket>/<key>`). A self-hosted store (MinIO, Ceph RGW,
SeaweedFS, Garage, a LocalStack) reached by a Service or plain hostname serves only path style unless someone made
a wildcard DNS name for it, so its clients set a switch: `forcePathStyle`/`S3_FORCE_PATH_STYLE` (JS SDK),
`s3ForcePathStyle`, `usePathStyle` (Go SDK v2), `pathStyleAccessEnabled` (Java), `addressing_style: path`
(boto3), `use_path_style_endpoint` (PHP), `s3.path-style-access` (Iceberg, Hadoop's `fs.s3a.path.style.access`).
When a new release or a rewritten chart drops the switch, the SDK asks DNS for `<bucket>.<endpoint host>`, which does
not exist: every request (often a start-up bucket check) fails with the resolver's "no such name" in the client's
wording (`getaddrinfo ENOTFOUND`, `UnknownHostException`, `lookup ...: no such host`, `Name or service not known`).

Evidence any instance leaves: a no-such-name failure for a host that is exactly one label in front of an endpoint
host the same pod is configured with (an env value that is a URL or host), where that label is the bucket the pod is
configured with (an env whose name says BUCKET) or the workload's recent change touched a path-style/addressing
setting. `read` (only when such a failure is logged) reads the failing pods; `found` is pure.
Not named: the endpoint host itself not resolving (a store or Service gone), a name one label in front of an
endpoint that is neither the configured bucket nor behind an addressing change (a StatefulSet pod's own DNS name in
front of its headless Service), AWS's own endpoints (which serve virtual-host style).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from agent.triage.facts import Facts, LogEvidence, Ref, said_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.bucket_host_addressing"
WEIGHT = 0.93
"""Above the crash-looping client's own failure: the addressing style is why its lookups fail."""
STORE = "bucket_host"
MAX_PODS = 3

NO_SUCH_NAME = re.compile(r"ENOTFOUND|NXDOMAIN|no such host|UnknownHost|Name or service not known|nodename nor "
                          r"servname|Could not resolve host|Name does not resolve|EAI_NONAME|Host not found|"
                          r"No address associated|Temporary failure in name resolution", re.I)
"""Clients' wordings of a name the resolver does not know."""
HOST = re.compile(r"(?<![\w.@/-])([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?){2,})"
                  r"(?![\w-]|\.[a-z0-9])", re.I)
BUCKET_ENV = re.compile(r"BUCKET", re.I)
ADDRESSING = re.compile(r"path[_.\s-]?style|pathstyle|addressing[_.\s-]?style|virtual[_.\s-]?host", re.I)
"""A setting of how a client addresses a bucket, in SDKs' and tools' spellings."""
AWS = re.compile(r"amazonaws\.com$", re.I)


@dataclass
class Misaddressed:
    workload: Ref
    host: str
    bucket: str
    endpoint: str
    line: str
    log: LogEvidence
    setting: str
    """The change line that touched the addressing setting, or "" when the bucket's env alone says it."""
    evidence: list[str] = field(default_factory=list)


def _short(host: str) -> str:
    """A host without the cluster domain the resolver's search list adds."""
    return re.sub(r"\.cluster\.local\.?$", "", host.lower().rstrip("."))


def unresolved(log: LogEvidence) -> list[tuple[str, str]]:
    """(host, line) for each host a no-such-name failure of these logs names."""
    out: list[tuple[str, str]] = []
    for text in [said_by(e) for e in log.entries()] + list(log.last_lines):
        if not NO_SUCH_NAME.search(text):
            continue
        for m in HOST.finditer(text):
            host = m.group(1)
            if not re.fullmatch(r"[\d.]+", host) and all(h != host for h, _ in out):
                out.append((host, text.strip()[:300]))
    return out


def _env(pod: dict[str, Any]) -> dict[str, str]:
    """The plain env values of the pod's containers (references to Secrets are never read)."""
    out: dict[str, str] = {}
    for c in [*((pod.get("spec") or {}).get("containers") or []), *((pod.get("spec") or {}).get("initContainers")
                                                                     or [])]:
        for e in c.get("env") or []:
            if isinstance(e, dict) and isinstance(e.get("value"), str):
                out[str(e.get("name"))] = e["value"]
    return out


def endpoint_hosts(env: dict[str, str]) -> set[str]:
    """The hosts the env's URL or host[:port] values point at (short form)."""
    out = set()
    for value in env.values():
        value = value.strip()
        host = urlsplit(value).hostname if "://" in value else \
            (value.split(":")[0] if re.fullmatch(r"[A-Za-z0-9.-]+(?::\d+)?", value) and "." in value else None)
        if host and not AWS.search(host):
            out.add(_short(host))
    return out


def _addressing_change(facts: Facts, workload: str, namespace: str) -> str:
    """A change line of the workload (within the survey's timeline) that touched its bucket addressing setting."""
    for change, _, target in facts.writes_to(None, deletions=False):
        if target.namespace != namespace or target.name != workload:
            continue
        for line in [str(x) for x in change.get("diff") or []] + [str(change.get("summary") or "")]:
            if ADDRESSING.search(line):
                return line[:240]
    return ""


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a log names a host that does not resolve: the failing pods (their env)."""
    if STORE in facts.reads:
        return
    facts.reads[STORE] = {}
    pods: dict[str, tuple[dict[str, Any], str]] = {}
    for log in facts.logs:
        if len(pods) >= MAX_PODS or not unresolved(log):
            continue
        got = await get_yaml(call, "Pod", log.pod, log.namespace, f"survey-bucket-host-{log.pod}")
        if got is not None:
            pods[f"{log.namespace}/{log.pod}"] = got
    facts.reads[STORE] = pods


def found(facts: Facts) -> list[Misaddressed]:
    """One failing client per workload whose unresolved host is its bucket in front of its endpoint."""
    pods = facts.reads.get(STORE) or {}
    out: list[Misaddressed] = []
    for log in facts.logs:
        got = pods.get(f"{log.namespace}/{log.pod}")
        if got is None:
            continue
        env = _env(got[0])
        endpoints = endpoint_hosts(env)
        buckets = {v.strip().lower() for k, v in env.items() if BUCKET_ENV.search(k) and v.strip()}
        workload = workload_of_pod(log.pod)
        if any(m.workload.name == workload and m.workload.namespace == log.namespace for m in out):
            continue
        for host, line in unresolved(log):
            first, _, rest = _short(host).partition(".")
            if rest not in endpoints:
                continue
            setting = _addressing_change(facts, workload, log.namespace)
            if first not in buckets and not setting:
                continue
            kind = next((t.kind for _, _, t in facts.writes_to(None) if t.name == workload
                         and t.namespace == log.namespace and t.kind), "Deployment")
            out.append(Misaddressed(Ref(kind, log.namespace, workload), host, first, rest, line, log, setting,
                                    [e for e in (log.evidence_id, got[1]) if e]))
            break
    return out


def finding(m: Misaddressed) -> dict[str, Any]:
    change = f" Its change: {m.setting}." if m.setting else ""
    message = (f"{m.workload}: its object-store client addresses bucket '{m.bucket}' virtual-host style (the "
               f"bucket in the hostname: {m.host}) against endpoint {m.endpoint}, which serves buckets only "
               f"path-style, so the name does not resolve and every request fails: pod {m.log.namespace}/{m.log.pod} "
               f"logs '{m.line[:200]}'.{change} Turn path-style addressing back on (forcePathStyle / "
               f"S3_FORCE_PATH_STYLE, usePathStyle, pathStyleAccessEnabled, addressing_style: path) or give the store "
               f"a wildcard DNS name")
    return {"check": CHECK, "severity": "critical", "reason": "BucketInHostname",
            "object": {"kind": m.workload.kind, "namespace": m.workload.namespace, "name": m.workload.name},
            "message": message, "evidence": [m.line[:200]] + ([m.setting] if m.setting else []),
            "details": {"host": m.host, "bucket": m.bucket, "endpoint": m.endpoint, "setting": m.setting}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the misaddressing workload, its finding, evidence ids, itself: its pods are the ones failing)."""
    return [(m.workload, finding(m), m.evidence, [m.workload]) for m in found(facts)]
