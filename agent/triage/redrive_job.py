"""A Job that moved dead-lettered messages back to a live queue, and the consumer of that queue crashing on them.

A dead-letter queue holds the messages a consumer could not handle: malformed, missing a field, from an older
schema. "Retry everything" jobs move them back wholesale: SQS `start-message-move-task` (redrive), a RabbitMQ shovel
or `rabbitmqadmin` move from the DLQ, a Kafka DLT replayer, `sidekiq` dead-set retry-all, a Celery/BullMQ
"retry failed" script. The poison messages among them reach the consumer again, crash it (a TypeError on a missing
field, a deserialisation error) and, unacknowledged, come back after the visibility timeout to crash it again. The
consumer's own code did not change; the crash is the Job's doing, and the page is about the consumer.

`read` (reading only, bounded) reads the logs of the pods of each Job the timeline shows run in the LEAD before the
incident, keeps those whose log says it moved messages out of a dead-letter queue (the software's own wording:
`StartMessageMoveTask`, `ApproximateNumberOfMessagesMoved`, `moved N messages`, `redrive`, `shovel`, `replayed`) and
the live queue they went to, then reads a pod's logs of each workload the scan finds failing on message content
(TypeError, KeyError, a parse or deserialisation error, a NullPointerException) for that queue's name. `found`
names the Job when such a consumer polls the queue it refilled. A Job that moved nothing out of a dead-letter queue,
a crashing consumer of another queue, or one failing for a reason that is not message content names nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import pod_of
from agent.triage.subject import Subject

CHECK = "change.redrive_job"
WEIGHT = 0.94
"""Above the consumer's own crash finding: the crash is explained by what the Job put on its queue."""
STORE = "redrive_job"
LEAD = timedelta(hours=6)
MAX_JOBS = 3
MAX_VICTIMS = 3
WORKLOADS = ("Deployment", "StatefulSet", "Rollout")

Call = Callable[..., Awaitable[Any]]

MOVED = re.compile(r"StartMessageMoveTask|start-message-move-task|ApproximateNumberOfMessagesMoved|"
                   r"\bredr(?:ive|ove|iven)\b|\bmoved\s+\d[\d,]*\s+messages?|\bshovel|\breplay(?:ed|ing)?\s+\d[\d,]*|"
                   r"retry[-_ ]?all|\brequeued\s+\d[\d,]*", re.I)
"""A mover's own words for moving messages (SQS redrive, RabbitMQ shovel, a replayer, retry-all)."""
DEAD = re.compile(r"dlq|dead[-_. ]?letter|\.dlt\b|-dlt\b|_dlt\b|deadletter|dead[-_ ]set|parking[-_]lot", re.I)
"""How dead-letter queues and sets are named (`orders-dlq`, `orders.DLT`, `x-dead-letter`, Sidekiq's dead set)."""
COUNT = re.compile(r"(?:ApproximateNumberOfMessagesMoved=|moved\s+|replayed\s+|requeued\s+)(\d[\d,]*)", re.I)
TARGET = re.compile(r"(?:target|destination|dest|to)[=:]\s*['\"]?(\S+?)['\"]?(?:\s|$)", re.I)
SOURCE = re.compile(r"(?:source|from|src)[=:]\s*['\"]?(\S+?)['\"]?(?:\s|$)", re.I)
CONTENT = re.compile(r"TypeError|KeyError|AttributeError|ValueError|NullPointerException|Cannot read propert|"
                     r"undefined|JSONDecodeError|Unexpected token|cannot (?:parse|unmarshal|deserial)|"
                     r"deserializ|unmarshal|malformed|SerializationException|missing (?:required )?field", re.I)
"""Failure on what a message holds, not on where the consumer connects."""


def _queue_name(address: str) -> str:
    """The queue's own name in an address: the last path segment of an SQS URL, an ARN's last part, or itself."""
    return re.split(r"[/:]", address.rstrip("/"))[-1]


def _live_name(dead: str) -> str:
    """The live queue a dead-letter queue belongs to, by the usual suffixes (`orders-dlq` -> `orders`)."""
    return re.sub(r"(?i)[-_.]?(?:dlq|dlt|dead[-_.]?letter(?:s)?)$", "", dead)


def _mover(text: str) -> dict[str, Any] | None:
    """What a Job's log says it moved: from which dead-letter queue to which live queue, and how many."""
    if not MOVED.search(text) or not DEAD.search(text):
        return None
    sources = [_queue_name(m) for m in SOURCE.findall(text)]
    targets = [_queue_name(m) for m in TARGET.findall(text)]
    dead = next((s for s in sources if DEAD.search(s)), "")
    if not dead:
        dead = next((_queue_name(w) for w in re.findall(r"\S+", text) if DEAD.search(w)), "")
    live = next((t for t in targets if not DEAD.search(t)), "") or _live_name(dead)
    counts = [int(c.replace(",", "")) for c in COUNT.findall(text)]
    if not live:
        return None
    moved = next((ln.strip() for ln in text.splitlines() if MOVED.search(ln) and COUNT.search(ln)), "")
    return {"dead": dead, "live": live, "count": max(counts, default=0), "line": moved[:240]}


def _victims(facts: Facts) -> list[Ref]:
    """Workloads the scan finds failing (crash-looping, erroring): their logs say whether on message content."""
    out: list[Ref] = []
    for f in facts.findings():
        ref = Ref.of(f.get("object"))
        if ref is None or ref.kind not in WORKLOADS or str(f.get("severity") or "") not in ("critical", "warning"):
            continue
        if not any(r.same_object(ref) for r in out):
            out.append(ref)
    return out[:MAX_VICTIMS]


def _content_error(text: str) -> str:
    """The first words of a failure on message content in a consumer's log (`TypeError: Cannot read ...`)."""
    for line in text.splitlines():
        if CONTENT.search(line) and (said := re.search(r"\w*(?:Error|Exception)\b.{0,100}", line)):
            return said.group(0).strip()
    return ""


async def _logs(call: Call, pod: str, namespace: str, step: str) -> tuple[str, str]:
    args: dict[str, Any] = {"name": pod, "namespace": namespace, "tail": 300}
    got = await call("k8s_logs", args, step)
    if got is None or not got.ok:
        return "", ""
    return str(getattr(got, "full_text", "") or got.text or ""), got.evidence_id


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the recent Jobs' logs for a dead-letter move, then the content-failing consumers' logs for
    the queue it refilled."""
    if STORE in facts.reads:
        return
    victims = _victims(facts)
    jobs = [(c, e, t) for c, e, t in facts.writes_to(("Job",), within=LEAD, deletions=False)]
    if not victims or not jobs:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    seen: list[Ref] = []
    for change, evidence, job in jobs:
        if len(seen) >= MAX_JOBS or any(j.same_object(job) for j in seen):
            continue
        seen.append(job)
        pod = await pod_of(call, job, f"survey-redrive-pods-{job.name}")
        if not pod:
            continue
        text, eid = await _logs(call, pod, job.namespace, f"survey-redrive-job-{job.name}")
        moved = _mover(text)
        if moved is None:
            continue
        for victim in victims:
            vpod = await pod_of(call, victim, f"survey-redrive-victim-pods-{victim.name}")
            if not vpod:
                continue
            vtext, vid = await _logs(call, vpod, victim.namespace, f"survey-redrive-victim-{victim.name}")
            line = next((ln for ln in vtext.splitlines()[1:] if _polls(ln, moved["live"])), "")
            said = _content_error(vtext)
            if not line or not said:
                continue  # another queue's consumer, or failing for a reason other than what a message holds
            store.append({"job": [job.kind, job.namespace, job.name], "change": change, **moved,
                          "victim": [victim.kind, victim.namespace, victim.name], "said": said,
                          "polls": line.strip()[:200], "evidence": [e for e in (evidence, eid, vid) if e]})
            break


def _polls(line: str, queue: str) -> bool:
    """Whether a consumer's line names the queue as a whole name (not `orders` inside `orders-dlq`)."""
    return bool(re.search(rf"(?:^|[\s/:=\"'@]){re.escape(queue)}(?:$|[\s\"',?&])", line))


@dataclass
class Redrive:
    """A Job that moved a dead-letter queue back onto a live queue whose consumer now fails on message content."""

    job: Ref
    change: dict[str, Any]
    dead: str
    live: str
    count: int
    line: str
    victim: Ref
    said: str
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[Redrive]:
    """Each dead-letter move whose live queue's consumer fails on message content."""
    return [Redrive(Ref(*e["job"]), e["change"], str(e["dead"]), str(e["live"]), int(e["count"]), str(e["line"]),
                    Ref(*e["victim"]), str(e["said"]), list(e["evidence"]))
            for e in facts.reads.get(STORE) or []][:1]


def finding(hit: Redrive, at: datetime) -> dict[str, Any]:
    """The move first (a redrive of dead-letter messages to the live queue), then the consumer's crash on them."""
    when = parse_time(hit.change.get("at"))
    ago = f" {minutes_text(int((at - when).total_seconds() // 60))} before the incident" if when else ""
    count = f"{hit.count} " if hit.count else ""
    dead = f" {hit.dead}" if hit.dead else ""
    said = f" ({hit.said})" if hit.said else ""
    message = (f"{hit.job} redrove {count}dead-letter messages from{dead} back onto the live queue {hit.live}{ago}; "
               f"{hit.victim}, which consumes {hit.live}, now fails on message content{said}: the redrive "
               f"re-injected the poison messages that had been dead-lettered for a reason, and each returns after "
               f"its visibility timeout to fail the consumer again. Move them back to the dead-letter queue (or "
               f"skip them in the consumer), then redrive only what was fixed")
    return {"check": CHECK, "severity": "critical", "reason": "DeadLetterRedrive",
            "object": {"kind": hit.job.kind, "namespace": hit.job.namespace, "name": hit.job.name},
            "message": message, "evidence": [hit.line] if hit.line else [],
            "details": {"live": hit.live, "dead": hit.dead, "victim": str(hit.victim)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The Job that redrove the messages; it explains the consumer's crash."""
    return [(h.job, finding(h, facts.at), h.evidence, [h.victim]) for h in found(facts)]
