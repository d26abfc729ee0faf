"""A DNS controller's flags changed, and since then its own sync fails: the records the incident needs never land.

A DNS controller (ExternalDNS, kops' dns-controller, k8gb, a cloud's own) writes the records for the hosts of
Ingresses, Services and Gateways into a provider zone. Flags decide how it recognises its own records and what
it may do: ExternalDNS's TXT registry (`--registry=txt`, `--txt-prefix`, `--txt-suffix`, `--txt-owner-id`,
`--txt-new-format-only`), its `--policy` (sync, upsert-only, create-only), `--domain-filter`, `--zone-id-filter`,
`--provider`, `--aws-zone-type`. Changing the registry's prefix, suffix or owner id makes the records it created
before look foreign (their TXT ownership record is looked up under the new name or owner): it then plans to
create records that already exist, the provider rejects the whole batch (Route 53 `InvalidChangeBatch ... but it
already exists`, Cloud DNS `alreadyExists`, Azure `Conflict`), and since a batch is all-or-nothing no record of
the zone is created or updated, a new host included. Resolution of that host fails (NXDOMAIN) while the cluster's
DNS is healthy and nothing about the site changed.

The suspect is a rollout (or an edit of the ConfigMap it reads) in the day before an incident about names not
resolving, that changed such a flag, of a workload that is a DNS controller (its name or image), whose own logs
show sync errors from the write on (none before). Reading only; the survey hook reads the controller's pod logs.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.subject import Subject, workload_of_pod
from agent.triage.time_limit import line_time, pairs_of

CHECK = "change.dns_controller_flags"
WEIGHT = 0.93
"""A controller's own errors since its flag change explain a name that never resolves outright."""
READS = "dns_sync_flags"
LEAD = timedelta(hours=24)
TAIL = 400

CONTROLLER = re.compile(r"external-?dns|dns-controller|\bk8gb\b|dns-operator|route53-controller", re.I)
"""Names and images of controllers that write a provider's DNS records from cluster objects."""
SYNC_FLAG = re.compile(r"^--?(?:txt-[\w-]+|registry|policy|domain-filter|exclude-domains|regex-domain-filter|"
                       r"zone-id-filter|zone-name-filter|provider|aws-zone-type|aws-prefer-cname|source|"
                       r"annotation-filter|label-filter|ingress-class|managed-record-types|dynamodb-[\w-]+)$")
"""Flags that decide which records the controller owns, may change, and for which hosts."""
OWNERSHIP = re.compile(r"^--?(?:txt-(?:prefix|suffix|owner-id|new-format-only|wildcard-replacement)|registry|"
                       r"dynamodb-[\w-]+)$")
SYNC_ERROR = re.compile(
    r"InvalidChangeBatch|already exists|when submitting change batch|failed to (?:submit|apply|sync|update) "
    r"(?:changes|records)|Failure in zone|alreadyExists|Conflict|AccessDenied|not authorized to perform|"
    r"Throttling|PriorRequestNotComplete|failed to list zones|No hosted zone|owned by (?:another|a different)|"
    r"Skipping record .* because owner id does not match|level=error", re.I)
"""A DNS controller's own words for a sync that did not land (AWS, Google, Azure wording, ExternalDNS's)."""

Call = Callable[..., Awaitable[Any]]


@dataclass
class FlagWrite:
    """A DNS controller's sync flags changed, and the sync errors its logs show since."""

    workload: Ref
    change: dict[str, Any]
    flags: list[tuple[str, str | None, str | None]]
    errors: list[str]
    minutes_before: int
    evidence: list[str] = field(default_factory=list)

    @property
    def ownership(self) -> bool:
        return any(OWNERSHIP.match(k) for k, _, _ in self.flags)


def _is_controller(change: dict[str, Any], target: Ref) -> bool:
    return bool(CONTROLLER.search(target.name) or CONTROLLER.search(str(change.get("summary") or "")))


def _sync_flags(change: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    """(flag, old, new) of the sync flags one write changed (container args, env values, ConfigMap keys)."""
    out: list[tuple[str, str | None, str | None]] = []
    for line in (str(d) for d in change.get("diff") or []):
        for key, old, new in pairs_of(line):
            name = key if key.startswith("-") else "--" + key.lower().replace("_", "-").removeprefix("external-dns-")
            if SYNC_FLAG.match(name) and old != new:
                out.append((name, old, new))
    return out


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, list[tuple[str, str | None, str | None]]]]:
    """Each write in the day before to a DNS controller that changed a sync flag, newest first."""
    out: list[tuple[dict[str, Any], Ref, list[tuple[str, str | None, str | None]]]] = []
    for change, _, target in facts.writes_to(None, within=LEAD):
        if not _is_controller(change, target):
            continue
        flags = _sync_flags(change)
        if flags and not any(t.same_object(target) for _, t, _ in out):
            out.append((change, target, flags))
    out.sort(key=lambda c: str(c[0].get("at")), reverse=True)
    return out


def found(facts: Facts) -> list[FlagWrite]:
    """Each controller flag write after which its own logs show sync errors, and none before (pure)."""
    store = facts.reads.get(READS) or {}
    out: list[FlagWrite] = []
    for change, target, flags in candidates(facts):
        lines, evidence_id = (store.get("lines") or {}).get(str(target), ([], ""))
        at = parse_time(change.get("at"))
        errors_after: list[str] = []
        errors_before = 0
        for line in lines:
            if not SYNC_ERROR.search(line):
                continue
            t = line_time(line)
            if t is not None and at is not None and t < at:
                errors_before += 1
            else:
                errors_after.append(line.strip())
        if not errors_after or errors_before:
            continue
        minutes = int((facts.at - at).total_seconds() // 60) if at else 0
        out.append(FlagWrite(target, change, flags, errors_after, minutes,
                             [e for e in (facts.changes_id, evidence_id) if e]))
    return out


def _said(value: str | None) -> str:
    return "unset" if value is None else repr(value)


def finding(got: FlagWrite) -> dict[str, Any]:
    """The finding: the flag and what it means first, then the controller's own error."""
    flags = ", ".join(f"{k} {_said(o)} -> {_said(n)}" for k, o, n in got.flags[:3])
    error = got.errors[-1]
    m = re.search(r"InvalidChangeBatch|already exists|Conflict|AccessDenied|Throttling|error", error, re.I)
    quote = error[max(0, m.start() - 20): m.start() + 160] if m else error[:180]
    meaning = ("the TXT registry's ownership records are now looked up under a new name/owner, so the records it "
               "created before no longer count as its own: each sync tries to create records that already exist, "
               "the provider rejects the whole change batch, and no record is created or updated"
               if got.ownership else
               "the controller now plans other changes than before, and the provider refuses them, so no record is "
               "created or updated")
    message = (f"{got.workload}: the DNS controller's sync flags changed {minutes_text(got.minutes_before)} before "
               f"the incident ({flags}): {meaning}, so a new host never resolves. Its own logs since "
               f"({len(got.errors)} sync errors): '{quote.strip()}'. Revert the flag (or migrate the ownership "
               f"records) and watch the next sync")
    return {"check": CHECK, "severity": "critical", "object": got.change.get("object"),
            "reason": "DnsControllerFlagsChanged", "message": message, "evidence": [error[:200], flags],
            "details": {"flags": [list(f) for f in got.flags], "change_at": got.change.get("at"),
                        "errors": len(got.errors)}}


# ---- reading ------------------------------------------------------------------------------------------


async def read(subject: Subject, facts: Facts, call: Call) -> None:
    """Reading only: for an incident about names (or the hosts it names) and a DNS controller whose sync flags
    changed in the day before, one pod's log lines of that controller."""
    if "dns" not in subject.problems and not subject.hosts:
        return
    store = facts.reads.setdefault(READS, {})
    for _, target, _ in candidates(facts)[:2]:
        listed = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace},
                            f"survey-dns-sync-pods-{target.name}")
        rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok and \
            isinstance(listed.data, dict) else []
        pod = next((str(r.get("name")) for r in rows if isinstance(r, dict)
                    and workload_of_pod(str(r.get("name") or "")) == target.name), "")
        if not pod:
            continue
        got = await call("k8s_logs", {"name": pod, "namespace": target.namespace, "tail": TAIL, "grep": "error"},
                         f"survey-dns-sync-logs-{pod}")
        if got is None or not got.ok:
            continue
        text = str(getattr(got, "full_text", "") or got.text or "")
        lines = [ln for ln in text.splitlines() if not ln.startswith(("repeated ", "[", "logs of", "===="))]
        store.setdefault("lines", {})[str(target)] = (lines, str(got.evidence_id))

