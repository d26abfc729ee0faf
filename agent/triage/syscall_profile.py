"""A syscall-filtering profile rewritten so the runtime it confines is refused a call it needs at start.

Hardening a workload with a Localhost seccomp profile (the Security Profiles Operator's `SeccompProfile`, often
recorded from a sample run), an AppArmor profile or an SELinux policy allows what the recording saw and refuses the
rest (`defaultAction: SCMP_ACT_ERRNO` answers EPERM; `SCMP_ACT_KILL` sends SIGSYS). A new recording that missed a
call (glibc's `clone3` for threads, `rseq`, `statx`, `io_uring_setup`) changes nothing for the pods already
running; every pod started after it fails at start, in its runtime's words for a thread or call it could not make:
Node `uv_thread_create` assertion, glibc/C++ `pthread_create failed`, Go `failed to create new OS thread`, CPython
`can't start new thread`, the JVM `unable to create native thread`, or plainly `Operation not permitted`, `Bad
system call`, `Function not implemented`, a kernel `apparmor="DENIED"` / `avc: denied`. The crash reads like the
image's fault, and a rollout nearby like its cause.

So: a write within `LEAD` to a profile object (kinds in `PROFILE_KINDS`), and a workload of its namespace whose logs
say one of those things, when that workload's pod template names the profile (a `localhostProfile`, an AppArmor
annotation, an SELinux type) or the profile's status lists the workload among its users. A profile write whose
workloads fail otherwise, refusal words in a workload that does not use the profile, or those words without a
profile write are no fit. `read` fetches the profile and the failing workload's template; `suspects` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.syscall_profile"
WEIGHT = 0.94
"""Above the crash loop it explains and the rollout beside it: the refused call is why the runtime aborts."""
LEAD = timedelta(hours=24)
PROFILE_KINDS = ("SeccompProfile", "AppArmorProfile", "AppArmor", "SelinuxProfile", "RawSelinuxProfile")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
MAX_WORKLOADS = 3
REFUSED = re.compile(
    r"uv_thread_create|pthread_create(?:\(\))?:? (?:failed|returned|Operation not permitted)|"
    r"failed to create new OS thread|can'?t start new thread|unable to create (?:new )?native thread|"
    r"Operation not permitted|\bEPERM\b|Bad system call|\bSIGSYS\b|Function not implemented|\bENOSYS\b|"
    r"\bclone3?\b[^\n]{0,60}(?:failed|denied|not permitted)|seccomp|apparmor=\"?DENIED|avc:\s+denied", re.I)
"""Runtimes' and kernels' words for a thread or system call the process was refused."""


@dataclass
class Confined:
    """A profile write and the workload under it that fails with refused-call words."""

    profile: Ref
    workload: Ref
    summary: str
    minutes: int
    said: str
    tie: str
    evidence: list[str]


def _profile_writes(facts: Facts) -> list[tuple[dict[str, Any], str, Ref]]:
    return [w for w in facts.writes_to(PROFILE_KINDS, within=LEAD, deletions=False)]


def _texts(log: LogEvidence) -> list[str]:
    entries = [e for e in log.entries() if isinstance(e, dict)]
    return [str(e.get("example") or e.get("message") or e.get("template") or "") for e in entries] + \
        list(log.last_lines)


def _refused(log: LogEvidence) -> str | None:
    for text in _texts(log):
        m = REFUSED.search(text)
        if m is not None:
            start = max(0, m.start() - 60)
            return text[start:start + 220]
    return None


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, and only when a profile was written and a workload of its namespace says a call was refused:
    the profile (its status names its users) and those workloads (their templates name their profiles)."""
    del subject, at
    writes = _profile_writes(facts)
    if not writes:
        return
    spaces = {t.namespace for _, _, t in writes}
    wanted: list[tuple[str, str]] = []
    for log in facts.logs:
        key = (log.namespace, workload_of_pod(log.pod))
        if log.namespace in spaces and key not in wanted and _refused(log):
            wanted.append(key)
    if not wanted:
        return
    for _, _, target in writes[:2]:
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-profile-{target.name}")
        if got is not None:
            facts.objects.append(({"kind": target.kind, **got[0]}, got[1]))
    for namespace, name in wanted[:MAX_WORKLOADS]:
        for kind in WORKLOAD_KINDS:
            got = await get_yaml(call, kind, name, namespace, f"survey-profile-user-{name}")
            if got is not None and got[0].get("kind", kind) == kind:
                facts.objects.append(({"kind": kind, **got[0]}, got[1]))
                break


def _named_values(node: Any, out: list[str], under: str = "") -> None:
    """Every string under a `localhostProfile`, an SELinux option or an AppArmor annotation of a template."""
    if isinstance(node, dict):
        for key, value in node.items():
            k = str(key)
            if isinstance(value, str) and (k == "localhostProfile" or under == "seLinuxOptions"
                                           or k.startswith("container.apparmor.security.beta.kubernetes.io/")):
                out.append(value)
            else:
                _named_values(value, out, k)
    elif isinstance(node, list):
        for item in node:
            _named_values(item, out, under)


def _tie(facts: Facts, profile: Ref, workload: Ref) -> str | None:
    """How the workload is known to run under the profile: its template names it, or the profile lists it."""
    # The name as a path part (`operator/ns/name.json`), an annotation's `localhost/name`, an SPO SELinux type
    # (`name_ns.process`); not a longer name (`name-v2`).
    token = re.compile(rf"(?<![A-Za-z0-9-]){re.escape(profile.name)}(?![A-Za-z0-9-])")
    for kind in WORKLOAD_KINDS:
        obj = facts.object_named(kind, workload.namespace, workload.name)
        if obj is None:
            continue
        template = (obj.get("spec") or {}).get("template") or {}
        values: list[str] = []
        _named_values(template, values)
        hit = next((v for v in values if token.search(v)), None)
        if hit is not None:
            return f"its pod template runs under '{hit}'"
    obj = facts.object_named(profile.kind, profile.namespace, profile.name) or {}
    users = (obj.get("status") or {}).get("activeWorkloads") or []
    if any(str(u).split("/")[-1] == workload.name for u in users if isinstance(u, str)):
        return f"the profile's status lists {workload.namespace}/{workload.name} among its users"
    return None


def found(facts: Facts) -> list[Confined]:
    """Each recent profile write and a workload under it that fails with refused-call words."""
    out: list[Confined] = []
    for change, evidence, profile in _profile_writes(facts):
        minutes = int((facts.at - (parse_time(change.get("at")) or facts.at)).total_seconds() // 60)
        for log in facts.logs:
            if log.namespace != profile.namespace:
                continue
            said = _refused(log)
            workload = Ref("Deployment", log.namespace, workload_of_pod(log.pod))
            tie = _tie(facts, profile, workload) if said else None
            if said is None or tie is None:
                continue
            for kind in WORKLOAD_KINDS:
                if facts.object_named(kind, workload.namespace, workload.name) is not None:
                    workload = Ref(kind, workload.namespace, workload.name)
                    break
            out.append(Confined(profile, workload, str(change.get("summary") or "")[:160], minutes, said, tie,
                                [e for e in (evidence, log.evidence_id) if e]))
            break
    return out


def finding(hit: Confined) -> dict[str, Any]:
    """The profile write, how the workload runs under it, and the runtime's words for the refused call."""
    message = (f"{hit.profile} was rewritten {minutes_text(hit.minutes)} before the incident ({hit.summary}) and "
               f"{hit.workload} runs under it ({hit.tie}); its pods fail at start saying '{hit.said}': the seccomp/"
               "AppArmor/SELinux profile no longer allows a system call the runtime makes (a thread's clone3, for "
               "one), so the kernel refuses it (EPERM, SIGSYS) and the process aborts. Pods started before the write "
               "keep running. Restore the previous profile or add the refused call, then restart the pods")
    return {"check": CHECK, "severity": "critical", "reason": "SyscallProfileRefusesRuntime",
            "object": {"kind": hit.profile.kind, "namespace": hit.profile.namespace, "name": hit.profile.name},
            "message": message, "evidence": [hit.said],
            "details": {"workload": str(hit.workload), "tie": hit.tie}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The rewritten profile, explaining the workload whose pods it makes fail."""
    return [(h.profile, finding(h), h.evidence, [h.workload]) for h in found(facts)]
