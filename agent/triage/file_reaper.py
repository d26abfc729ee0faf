"""A cleanup job, just edited, that deletes files a running workload still needs from a shared volume.

Temporary files (upload chunks, spool entries, export parts, render scratch) live on a volume that a cleanup
CronJob sweeps with an age threshold: `find DIR -mmin +1440 -delete`, `find DIR -mtime +2 -exec rm {} +`,
`tmpreaper 24h DIR`, `tmpwatch 48 DIR`, `rm -rf DIR/*`. When someone cuts the threshold (or points it at a
parent directory), the sweep deletes files the application is still writing or about to read, and the
application fails in its own words for a missing file: Node's `ENOENT: no such file or directory`, Python's
`FileNotFoundError`, Java's `NoSuchFileException`, Go's `open ...: no such file or directory`. Nothing in
Kubernetes fails: the job succeeds every run. The evidence is the path: the missing file lies under the directory
the job deletes from, on the same claim both mount, and the job's template was written shortly before the first
missing-file error.

Told apart from its twins: a job that sweeps another directory or another claim, and a job whose template was not
written in the LEAD before the failures (an old, steady sweep is not what changed), are not named. Reading only:
the failing pods' specs and their namespace's CronJobs; when the template was written comes from the change
timeline. `found` is pure over what was read.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage.deleter_run import template_text
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.pod_spec_words import pod_template
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.file_reaper"
WEIGHT = 0.93
"""Outranks the workload whose logs show the missing files: the edited sweep is what changed."""
RECORD = "file_reaper"
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
MAX_NAMESPACES = 2
MAX_JOBS = 8
MISSING = re.compile(r"ENOENT|no such file or directory|FileNotFoundError|NoSuchFileException|"
                     r"FileNotFoundException|cannot find the (?:file|path)|file does not exist", re.I)
"""A file the process expected is gone, in several runtimes' words."""
SWEEPERS = ("find", "rm", "unlink", "tmpreaper", "tmpwatch")
"""The commands whose runs delete files under a directory."""
_PATH = re.compile(r"(?<![\w.])(/[A-Za-z0-9._@+-]+(?:/[A-Za-z0-9._@+-]+)+)")


@dataclass
class Sweep:
    """A CronJob that deletes under a directory of a claim, written shortly before files there went missing."""

    job: Ref
    command: str
    directory: str
    written: datetime
    by: str
    first: datetime
    path: str
    said: str
    victim: Ref
    evidence: list[str]


def _mounts(pod_spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(mount path, claim) of a pod spec's containers' claim-backed mounts."""
    claims = {str(v.get("name")): str(v["persistentVolumeClaim"].get("claimName") or "")
              for v in pod_spec.get("volumes") or [] if isinstance(v, dict)
              and isinstance(v.get("persistentVolumeClaim"), dict)}
    out: list[tuple[str, str]] = []
    for c in [*(pod_spec.get("initContainers") or []), *(pod_spec.get("containers") or [])]:
        for m in c.get("volumeMounts") or []:
            if isinstance(m, dict) and claims.get(str(m.get("name"))):
                out.append((str(m.get("mountPath") or "").rstrip("/"), claims[str(m["name"])]))
    return [m for m in out if m[0]]


def swept_directories(command: str) -> list[str]:
    """The directories a shell command deletes files under: `find DIR ... -delete|-exec rm`, `rm -r DIR/...`,
    `tmpreaper AGE DIR`, `tmpwatch AGE DIR`; each command of a `;`/`&&`/`|` chain on its own."""
    out: list[str] = []
    for part in re.split(r"[;&|\n]+", command):
        try:
            words = shlex.split(part)
        except ValueError:
            words = part.split()
        # a wrapper before the tool (`/bin/sh -c find ...`, `exec`, `nice -n 10`, `timeout 600`) is skipped
        start = next((i for i, w in enumerate(words) if w.rsplit("/", 1)[-1] in SWEEPERS), None)
        if start is None:
            continue
        words = words[start:]
        tool = words[0].rsplit("/", 1)[-1]
        paths = [w.rstrip("*").rstrip("/") or "/" for w in words[1:] if w.startswith("/")]
        if tool == "find" and ("-delete" in words or any(w == "-exec" and i + 1 < len(words)
                                                          and words[i + 1].rsplit("/", 1)[-1] in ("rm", "unlink")
                                                          for i, w in enumerate(words))):
            out += paths[:1]
        elif tool in ("rm", "unlink", "tmpreaper", "tmpwatch"):
            out += paths
    return [p for p in out if p != "/"]


def _written(facts: Facts, namespace: str, name: str, first: datetime) -> tuple[datetime | None, str, str]:
    """When the CronJob's job template was last written in the change timelines within LEAD before (or SLACK after)
    the first missing file, by which manager, and the evidence id of the timeline: an object read keeps no
    managedFields, the timeline does (mcp_servers.kubernetes.template_writes)."""
    best: tuple[datetime | None, str, str] = (None, "", "")
    for change, evidence, target in facts.writes_to(("CronJob",), deletions=False):
        when = parse_time(change.get("at"))
        if target.namespace != namespace or target.name != name or when is None \
                or not first - LEAD <= when <= first + SLACK or change.get("type") == "created":
            continue
        if best[0] is None or when > best[0]:
            best = (when, written_by(change) or "a writer", evidence)
    return best


def _missing(facts: Facts) -> list[tuple[str, str, str, datetime, str]]:
    """(namespace, pod, missing path, first seen, line) of logs saying an absolute path's file is gone."""
    out: list[tuple[str, str, str, datetime, str]] = []
    for log in facts.logs:
        for entry in log.entries():
            text = " ".join(str(entry.get(k) or "") for k in ("example", "message", "template"))
            first = parse_time(entry.get("first_seen"))
            path = _PATH.search(text) if MISSING.search(text) else None
            if path and first is not None:
                out.append((log.namespace, log.pod, path.group(1), first, str(entry.get("example") or text)[:240]))
    return out


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a log says an absolute path's file is gone: the failing pods' specs (claim mounts) and
    their namespace's CronJobs (templates and mounts)."""
    if RECORD in facts.reads:
        return
    missing = _missing(facts)
    if not missing:
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"pods": {}, "jobs": []})
    for namespace in list(dict.fromkeys(m[0] for m in missing))[:MAX_NAMESPACES]:
        pod = next(m[1] for m in missing if m[0] == namespace)
        got = await get_yaml(call, "Pod", pod, namespace, f"survey-file-reaper-pod-{pod}")
        if got is None:
            continue
        kept["pods"][f"{namespace}/{pod}"] = {"mounts": _mounts(got[0].get("spec") or {}), "evidence": got[1]}
        listed = await call("k8s_list", {"kind": "CronJob", "namespace": namespace},
                            f"survey-file-reaper-cronjobs-{namespace}")
        for row in rows_of(listed)[:MAX_JOBS]:
            job = await get_yaml(call, "CronJob", str(row.get("name")), namespace,
                                 f"survey-file-reaper-cronjob-{row.get('name')}")
            if job is None:
                continue
            kept["jobs"].append({"namespace": namespace, "name": str(row.get("name")),
                                 "template": template_text(job[0]),
                                 "mounts": _mounts(pod_template(job[0]).get("spec") or {}),
                                 "evidence": job[1]})


def _under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def found(facts: Facts) -> list[Sweep]:
    """Each edited CronJob that deletes under the directory, on the same claim, where a victim's file went missing."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    out: list[Sweep] = []
    for namespace, pod, path, first, line in sorted(_missing(facts), key=lambda m: m[3]):
        victim = (kept.get("pods") or {}).get(f"{namespace}/{pod}")
        if not victim:
            continue
        held = [(m, c) for m, c in victim["mounts"] if _under(path, m)]
        if not held:
            continue
        mount, claim = max(held, key=lambda h: len(h[0]))
        relative = path[len(mount):]
        for job in kept.get("jobs") or []:
            if job.get("namespace") != namespace:
                continue
            written, by, timeline = _written(facts, namespace, str(job.get("name")), first)
            if written is None:
                continue
            for job_mount, job_claim in job.get("mounts") or []:
                if job_claim != claim:
                    continue
                for command in str(job.get("template") or "").splitlines():
                    for directory in swept_directories(command):
                        if _under(directory, job_mount) and _under(relative or "/", directory[len(job_mount):] or "/"):
                            ref = Ref("CronJob", namespace, str(job.get("name")))
                            if not any(s.job.same_object(ref) for s in out):
                                out.append(Sweep(ref, command.strip(), directory, written, by, first,
                                                 path, line, Ref("", namespace, workload_of_pod(pod)),
                                                 [e for e in (timeline, str(job.get("evidence")),
                                                              str(victim.get("evidence"))) if e]))
    return out


def finding(hit: Sweep, at: datetime) -> dict[str, Any]:
    """The sweep's finding: the edit, what it deletes, and the victim's own missing-file line."""
    age = ", ".join(m.group(0) for m in re.finditer(r"-(?:mmin|mtime|amin|atime)\s+\+?\d+", hit.command))
    message = (f"CronJob {hit.job.namespace}/{hit.job.name} was edited by {hit.by} "
               f"{minutes_text(int((at - hit.written).total_seconds() // 60))} before the alert; it deletes files "
               f"under {hit.directory} (`{hit.command[:160]}`{f', age threshold {age}' if age else ''}) on the "
               f"volume {hit.victim.name} also uses, and since {hit.first.strftime('%H:%M')} {hit.victim.name} "
               f"fails because a file there is gone ({hit.path}): '{hit.said[:200]}'. The cleanup now deletes files "
               f"still in use (in-flight); restore its previous age threshold or directory")
    return {"check": CHECK, "severity": "critical", "reason": "CleanupDeletesInUseFiles",
            "object": {"kind": "CronJob", "namespace": hit.job.namespace, "name": hit.job.name},
            "message": message, "evidence": [hit.said[:200]],
            "details": {"directory": hit.directory, "path": hit.path, "command": hit.command[:300],
                        "written": hit.written.isoformat().replace("+00:00", "Z"),
                        "first_failure": hit.first.isoformat().replace("+00:00", "Z")}}

