"""An image that pulled before now pulls `not found`: a registry cleanup job ran in between and deleted it.

Registries are cleaned by scheduled jobs: the distribution registry's `registry garbage-collect` (with
`--delete-untagged`, every manifest no tag points at goes), `crane delete`/`gcrane gc`, `regctl image delete`,
`skopeo delete`, `az acr purge`, `aws ecr batch-delete-image`, `gcloud artifacts docker images delete`, Harbor
or Nexus cleanup calls. A rule that is too wide deletes what production still runs: an image pinned by digest
whose tag was moved, an old tag a workload never left. Nothing fails when it runs; pods running the image keep
it, and nodes that cached it keep starting it. Only a pod on a node without it (a scale-up, a new node, a
rescheduled pod) pulls, and the registry answers `manifest unknown` / `not found`. The ErrImagePull is the
symptom; the cleanup job is the thing to stop.

The evidence any instance leaves, read here: a pull refused as not found (the scan's `pod.image_pull` whose
error says so) for an image other pods of the same workload run (so it existed: not a typo, not a tag never
pushed); a CronJob whose job template runs a registry cleanup; its last run between the newest running pod's
start (the image was there then) and the first refused pod. Its last run's own words are quoted, and a run log
that names the image's repository or digest says it outright.

Not named: an image no sibling runs (it may never have existed); a cleanup that last ran before the running
pods pulled, or after the refusal began; a cleanup aimed at another registry host; a job that only deletes
something else (logs, backups). The survey calls `read` (reading only); `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.triage import pod_spec_words
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, pods_at_ends, rows_of
from agent.triage.subject import workload_of_pod

CHECK = "change.registry_cleanup"
WEIGHT = 0.95
"""The cleanup that deleted a running image outranks the refused pulls it caused and the overload behind them."""
STORE = "registry_cleanup"
MAX_CRONJOBS = 16
MAX_WORKLOADS = 2
NOT_FOUND = re.compile(r"not found|manifest unknown|MANIFEST_UNKNOWN|NotFound|no such manifest|"
                       r"does not exist|name unknown|\b404\b", re.I)
"""How runtimes and registries word a reference that resolves to nothing (containerd, CRI-O, Docker, OCI codes)."""
CLEANUP = re.compile(r"garbage-collect|delete-untagged|\bgcrane gc\b|crane (?:delete|gc)|regctl (?:image|manifest|tag) "
                     r"(?:delete|rm)|skopeo delete|acr purge|ecr batch-delete-image|artifacts docker images delete|"
                     r"artifacts versions delete|untagged.*delet|delet\w*.*untagged|retention.*(?:run|execute)|"
                     r"/gc/schedule|/system/gc|cleanup-policies|reg rm\b|"
                     r"(?:-X|--request)\s*DELETE\b[^\n]*/v2/\S+/manifests/|oras (?:manifest|blob) delete|"
                     r"gcloud container images (?:delete|untag)|acr (?:repository|manifest) (?:delete|untag)|"
                     r"\bjf(?:rog)? rt (?:del|delete)\b", re.I)
"""Words of a command that deletes registry manifests or tags (distribution, crane, regctl, skopeo, ACR, ECR, GAR,
Harbor, Nexus, reg; the registry HTTP API's `DELETE /v2/<repo>/manifests/<ref>` as curl sends it, ORAS, GCR's
gcloud, ACR's repository/manifest commands, JFrog's CLI); `rm -rf /var/log`, a database prune, a node's local
`docker image prune`, a DELETE to another API path are not among them."""
_HOST = re.compile(r"(?<![\w.-])((?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?)/[\w.-]", re.I)
"""A registry host as it starts an image reference or URL path (`quay.example.org/team/app`)."""
_POD_WORDS = re.compile(r"^(?:\S+Z\s+)?")

Call = Callable[..., Awaitable[Any]]


@dataclass
class Cleanup:
    """A registry cleanup CronJob whose last run deleted an image a workload still runs."""

    cronjob: Ref
    command: str
    ran: datetime
    image: str
    workload: Ref
    said: str
    named: bool
    error: str
    evidence: list[str]


def refused_as_missing(facts: Facts) -> list[tuple[Ref, str, str]]:
    """Workloads whose image pull came back `not found`: (workload, image, the refusal's words)."""
    out: list[tuple[Ref, str, str]] = []
    for f in facts.findings():
        details = f.get("details") or {}
        ref = Ref.of(f.get("object"))
        if f.get("check") != "pod.image_pull" or not isinstance(details, dict) or ref is None:
            continue
        error = str(details.get("error") or "")
        if NOT_FOUND.search(error) and "pull_secrets" not in details and details.get("image"):
            out.append((ref, str(details["image"]), error))
    return out


async def read(facts: Facts, call: Call) -> None:
    """Reading only: when a pull came back not found, the refused workloads' pods, the CronJobs that clean a
    registry, and the log of each one's last run."""
    refused = refused_as_missing(facts)[:MAX_WORKLOADS]
    if not refused:
        return
    store = facts.reads.setdefault(STORE, {"pods": [], "cronjobs": []})
    for workload in dict.fromkeys(w for w, _, _ in refused):  # one workload may refuse two images
        store["pods"] += await pods_at_ends(call, workload, 2, 2, "survey-registry-cleanup")
    listed = await call("k8s_list", {"kind": "CronJob"}, "survey-registry-cleanup-cronjobs")
    for row in rows_of(listed)[:MAX_CRONJOBS]:
        name, ns = str(row.get("name") or ""), str(row.get("namespace") or "")
        got = await get_yaml(call, "CronJob", name, ns, f"survey-registry-cleanup-{name}")
        if got is None or not CLEANUP.search(pod_spec_words.job_command_text(got[0])):
            continue
        pods = await call("k8s_list", {"kind": "Pod", "namespace": ns}, f"survey-registry-cleanup-runs-{name}")
        runs = sorted((str(p.get("name")) for p in rows_of(pods) if str(p.get("name") or "").startswith(f"{name}-")),
                      reverse=True)
        text = ""
        if runs:
            logs = await call("k8s_logs", {"name": runs[0], "namespace": ns, "tail": 400, "budget_tokens": 4000},
                              f"survey-registry-cleanup-logs-{runs[0]}")
            if logs is not None and logs.ok:
                text = str(logs.full_text or logs.text)
        store["cronjobs"].append((got[0], got[1], text))


def _image_parts(image: str) -> tuple[str, str, str]:
    """(host, repository, digest or tag) of an image reference."""
    ref, _, dig = image.partition("@")
    host, _, path = ref.partition("/") if "/" in ref and ("." in ref.split("/")[0] or ":" in ref.split("/")[0]) \
        else ("docker.io", "", ref)
    repo, _, tag = path.rpartition(":") if ":" in path.rsplit("/", 1)[-1] else (path, "", "")
    return host, repo, dig or tag


def _said(log: str, repo: str, ident: str) -> tuple[str, bool]:
    """The run's line that names the image (its digest, else its repository), else its last line; and whether
    it named the image."""
    lines = [ln for ln in log.splitlines() if ln.strip() and not ln.startswith(("====", "repeated ", "["))]
    bare = ident.split(":", 1)[-1] if ident.startswith("sha256:") else ident
    for needle in [n for n in (bare, repo) if n and len(n) >= 6]:
        hit = [ln for ln in lines if needle in ln]
        if hit:
            # a deletion line over a marking line: what the run did to the image
            pick = next((ln for ln in hit if re.search(r"delet|remov|purg", ln, re.I)), hit[-1])
            return _POD_WORDS.sub("", pick.strip())[:200], True
    return (_POD_WORDS.sub("", lines[-1].strip())[:160] if lines else ""), False


def found(facts: Facts) -> list[Cleanup]:
    """Each registry cleanup whose last run came after the refused image was last pulled and before it was
    refused, for an image other pods of the same workload run."""
    store = facts.reads.get(STORE) or {}
    pods: list[tuple[dict[str, Any], str]] = store.get("pods") or []
    out: list[Cleanup] = []
    for workload, image, error in refused_as_missing(facts):
        mine = [p for p, _ in pods if workload_of_pod(str((p.get("metadata") or {}).get("name") or ""))
                == workload.name]
        running = [p for p in mine if _runs(p, image)]
        refused = [p for p in mine if _refused(p, image)]
        if not running or not refused:
            continue  # no sibling runs it: the image may never have existed
        starts = [t for t in (_started(p) for p in running) if t is not None]
        pulled = max(starts) if starts else None
        first = min(parse_time((p.get("metadata") or {}).get("creationTimestamp")) or facts.at for p in refused)
        host, repo, ident = _image_parts(image)
        for obj, evidence_id, log in store.get("cronjobs") or []:
            ran = parse_time((obj.get("status") or {}).get("lastScheduleTime"))
            command = pod_spec_words.job_command_text(obj)
            hosts = {h.lower() for h in _HOST.findall(command)}
            if not CLEANUP.search(command):
                continue  # read keeps only cleanups; a store filled otherwise must not make one of any CronJob
            if ran is None or pulled is None or not pulled <= ran <= first or (hosts and host.lower() not in hosts):
                continue
            said, named = _said(log, repo, ident)
            meta = obj.get("metadata") or {}
            match = CLEANUP.search(command)
            start = match.start() if match else 0
            out.append(Cleanup(Ref("CronJob", str(meta.get("namespace") or ""), str(meta.get("name") or "")),
                               command[max(0, start - 40):start + 100].strip(), ran, image, workload, said, named,
                               error,
                               [evidence_id]))
    return sorted(out, key=lambda c: not c.named)


def _containers(pod: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    spec = pod.get("spec") or {}
    statuses = {str(s.get("name")): s for s in ((pod.get("status") or {}).get("containerStatuses") or [])
                + ((pod.get("status") or {}).get("initContainerStatuses") or []) if isinstance(s, dict)}
    return [(c, statuses.get(str(c.get("name"))) or {}) for c in (spec.get("containers") or [])
            + (spec.get("initContainers") or []) if isinstance(c, dict)]


def _runs(pod: dict[str, Any], image: str) -> bool:
    return any(c.get("image") == image and "running" in (s.get("state") or {}) for c, s in _containers(pod))


def _refused(pod: dict[str, Any], image: str) -> bool:
    return any(c.get("image") == image and ((s.get("state") or {}).get("waiting") or {}).get("reason")
               in ("ErrImagePull", "ImagePullBackOff") for c, s in _containers(pod))


def _started(pod: dict[str, Any]) -> datetime | None:
    """When the pod's image was last pulled at the latest: its creation (a running pod pulled it by then)."""
    meta = pod.get("metadata") or {}
    return parse_time(meta.get("creationTimestamp")) or parse_time((pod.get("status") or {}).get("startTime"))


def finding(c: Cleanup, at: datetime) -> dict[str, Any]:
    """The suspect's finding: its command, when it last ran, what it said of the image, and whose pulls fail."""
    ago = minutes_text(int((at - c.ran).total_seconds() // 60))
    words = (f"; its run names the image: '{c.said}'" if c.named else
             f" (its last run: '{c.said}')" if c.said else "")
    message = (f"{c.cronjob} cleans the registry ({c.command}) and last ran {ago} before the alert, after the running "
               f"pods of {c.workload} pulled {c.image} and before new ones were refused it ({c.error}: the "
               f"manifest is gone){words}. Stop the cleanup (suspend the CronJob), push the image again or "
               f"move the workload to an image that exists")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": "CronJob", "namespace": c.cronjob.namespace, "name": c.cronjob.name},
            "reason": "RegistryCleanupDeletedImage", "message": message,
            "evidence": [x for x in (c.said,) if x],
            "details": {"command": c.command, "ran": str(c.ran), "image": c.image, "named": c.named,
                        "workload": str(c.workload)}}
