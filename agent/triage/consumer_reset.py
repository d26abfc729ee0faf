"""A consumer that took a new identity and starts from the beginning: it replays everything the broker retains.

A broker remembers how far each consumer got under its identity: Kafka commits offsets per `group.id` (Kafka
Streams per `application.id`), NATS JetStream keeps a durable consumer's position under its durable name, a
RabbitMQ stream consumer's offset is stored under its consumer name, a Pulsar subscription keeps its cursor. A new
identity has no stored position, so where it starts is the client's start setting: Kafka `auto.offset.reset`
(`earliest` / `smallest`), KafkaJS `fromBeginning: true`, JetStream `deliver_policy: all`, RabbitMQ
`x-stream-offset: first`, Pulsar `subscriptionInitialPosition: Earliest`, Kinesis KCL (identity `applicationName`)
`initialPositionInStream: TRIM_HORIZON`, Redpanda Connect `start_from_oldest: true`, Flink `scan.startup.mode:
earliest-offset`, Spark (identity `checkpointLocation`) `startingOffsets: earliest`. Kafka Streams and JetStream
start at the beginning when nothing is set (their documented defaults), so a rename alone replays there.
Renaming the identity in a release
with the start set to the beginning makes the consumer re-read the whole retained topic or stream: every message
is handled again (emails and webhooks re-sent, payments re-applied), the lag jumps to the topic's size, and the
work it does downstream floods whatever it calls. Setting the start to earliest without renaming the identity is
harmless (the committed offsets still stand), and so is a rename that starts at the end (it skips, not replays).

`found` is pure over the facts: a workload (or the ConfigMap it reads) written within `LEAD` whose diff renames a
consumer identity key (old and new both known, different) while its start setting, in the diff or in the workload
as read back (env, args, the ConfigMaps it reads), points to the beginning; where no start setting is visible (set
in code), records days old in its pods' logs after the rename stand for it. `read` (reading only, bounded) reads
the written workload and its ConfigMaps back when its diff does not show the start setting, and one of its pods'
logs: records it handles whose own timestamps are days older than the line (`order_created_at`, an event time)
are the replay itself, quoted in the finding.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, pod_of
from agent.triage.limit_hit import Setting, settings_of
from agent.triage.limit_table import key_form

CHECK = "change.consumer_reset"
WEIGHT = 0.9
"""A documented replay by the write's own values: below a write that an error names (limit_hit, 0.93)."""
LEAD = timedelta(hours=24)
READS = "consumer_reset"
MAX_READS = 2
OLD_RECORD = timedelta(hours=24)
"""A handled record whose own time is this much older than the line is history being re-read, not live traffic."""
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout")

Call = Callable[..., Awaitable[Any]]

IDENTITY = re.compile(r"(?:^|_)(?:group_?id|consumer_?group(?:_id|_name)?|group_name|application_id|"
                      r"durable(?:_name|_consumer)?|consumer_name|subscription(?:_name)?|"
                      r"application_name|lease_table(?:_name)?|checkpoint_location|stream_group)$")
"""Normal-form keys of a consumer's identity on the broker (its stored position is kept under it): Kafka `group.id`,
Kafka Streams `application.id`, JetStream durable, RabbitMQ stream consumer name, Pulsar subscription, Kinesis KCL
`applicationName` (its lease table keeps the checkpoints), Spark Structured Streaming `checkpointLocation` (offsets
are kept in the checkpoint), a Redis Streams consumer group."""
START = re.compile(r"(?:^|_)(?:auto_offset_reset|offset_reset|from_beginning|start_from_beginning|start_from|"
                   r"start_position|initial_position|subscription_initial_position|start_offset|starting_offsets?|"
                   r"deliver_policy|x_stream_offset|consume_from|start_from_oldest|initial_position_in_stream|"
                   r"startup_mode|starting_position)$")
"""Normal-form keys of where a consumer with no stored position starts: also Redpanda Connect/Benthos
`start_from_oldest`, KCL `initialPositionInStream`, Flink `scan.startup.mode`, Event Hubs/Kinesis `startingPosition`."""
_FROM_START = re.compile(r"^(?:earliest|smallest|beginning|from_?beginning|oldest|offset_?oldest|first|all|-2|"
                         r"true|trim_?horizon|earliest[-_]offset|deliver_?all)$", re.I)
_FROM_END = re.compile(r"^(?:latest|largest|end|newest|offset_?newest|last|new|-1|false|latest[-_]offset|"
                       r"deliver_?new)$", re.I)
DEFAULT_FROM_START: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?:^|_)application_id$"), "Kafka Streams' own default (auto.offset.reset=earliest)"),
    (re.compile(r"(?:^|_)durable(?:_name|_consumer)?$"), "JetStream's default deliver policy (all)"),
)
"""Identities whose client starts at the beginning when nothing says otherwise (documented defaults): Kafka Streams
sets its consumers' auto.offset.reset to earliest, a JetStream consumer's DeliverPolicy defaults to DeliverAll.
A plain Kafka consumer (default latest), Pulsar (Latest) and KCL (LATEST) start at the end."""
_PAIR = re.compile(r"([A-Za-z_][\w.-]*)['\"]?\s*[=:]\s*['\"]?([\w-]+)")
_STAMPS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


@dataclass
class Reset:
    """A rename of a consumer identity with the start at the beginning, and what its pods show of the replay."""

    target: Ref
    identity: Setting
    start: Setting
    start_from: str
    """Where the start setting was seen: the diff or the workload read back."""
    at: str
    minutes_before: int
    replay: str = ""
    """A handled record days older than its line, quoted from the pods' logs."""
    joined: str = ""
    evidence: list[str] = field(default_factory=list)


def _start(settings: list[Setting]) -> Setting | None:
    """The first start setting with a value that says where: the beginning or the end (`true`/`false`/`all` only
    for a from-beginning flag or a deliver policy)."""
    for s in settings:
        form, value = key_form(s.key), (s.new or "").strip("'\"")
        if not START.search(form) or not (_FROM_START.match(value) or _FROM_END.match(value)):
            continue
        if value.lower() in ("true", "false", "all", "new") and not re.search(r"beginning|oldest|deliver_policy", form):
            continue
        return s
    return None


def _from_start(setting: Setting) -> bool:
    return bool(_FROM_START.match((setting.new or "").strip("'\"")))


def _pairs(text: str) -> list[Setting]:
    """`key=value` / `key: value` pairs of a text (a properties file in a ConfigMap, an env list read back)."""
    return [Setting(k, None, v) for k, v in _PAIR.findall(text.replace("\\n", "\n"))]


def _object_settings(facts: Facts, target: Ref) -> list[Setting]:
    """The env values and args of a workload as read back (its start setting may be unchanged, so not in the diff)."""
    for obj, _ in facts.objects:
        meta = obj.get("metadata") or {}
        if obj.get("kind") != target.kind or meta.get("name") != target.name \
                or (meta.get("namespace") or "") != target.namespace:
            continue
        pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
        out: list[Setting] = []
        for c in [*(pod.get("containers") or []), *(pod.get("initContainers") or [])]:
            out += [Setting(str(e.get("name")), None, str(e.get("value"))) for e in c.get("env") or []
                    if isinstance(e, dict) and e.get("value") is not None]
            out += _pairs(" ".join(str(a) for a in [*(c.get("args") or []), *(c.get("command") or [])]))
        for name in _configs_of(obj):
            cm = next((o for o, _ in facts.objects if o.get("kind", "ConfigMap") == "ConfigMap"
                       and (o.get("metadata") or {}).get("name") == name
                       and ((o.get("metadata") or {}).get("namespace") or "") == target.namespace), None)
            for key, value in ((cm or {}).get("data") or {}).items():
                out += [Setting(str(key), None, str(value)), *_pairs(str(value))]
        return out
    return []


def _configs_of(workload: dict[str, Any]) -> list[str]:
    """The ConfigMaps a workload's containers read: envFrom, env valueFrom, mounted volumes."""
    pod = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    names: list[str] = []
    for c in [*(pod.get("containers") or []), *(pod.get("initContainers") or [])]:
        names += [str((f.get("configMapRef") or {}).get("name")) for f in c.get("envFrom") or []
                  if isinstance(f, dict) and (f.get("configMapRef") or {}).get("name")]
        names += [str(((e.get("valueFrom") or {}).get("configMapKeyRef") or {}).get("name")) for e in c.get("env") or []
                  if isinstance(e, dict) and ((e.get("valueFrom") or {}).get("configMapKeyRef") or {}).get("name")]
    names += [str((v.get("configMap") or {}).get("name")) for v in pod.get("volumes") or []
              if isinstance(v, dict) and (v.get("configMap") or {}).get("name")]
    return list(dict.fromkeys(names))


def _renamed(change: dict[str, Any]) -> tuple[Setting, list[Setting]] | None:
    settings = settings_of(change)
    for line in (str(d) for d in change.get("diff") or []):  # a properties file's unchanged start line
        settings += _pairs(line.rsplit(" -> ", 1)[-1])
    identity = next((s for s in settings if IDENTITY.search(key_form(s.key)) and s.old and s.new
                     and s.old.strip("'\"") != s.new.strip("'\"")), None)
    return (identity, settings) if identity is not None else None


def found(facts: Facts) -> list[Reset]:
    """Each recent write that renamed a consumer identity while its start setting points to the beginning."""
    out: list[Reset] = []
    recent = facts.writes_to((*WORKLOADS, "ConfigMap"), within=LEAD)
    for change, evidence, target in sorted(recent, key=lambda w: str(w[0].get("at") or ""), reverse=True):
        at = parse_time(change.get("at"))
        if at is None or any(r.target.same_object(target) for r in out):
            continue
        renamed = _renamed(change)
        if renamed is None:
            continue
        identity, settings = renamed
        seen = (facts.reads.get(READS) or {}).get(f"{target.namespace}/{target.name}") or {}
        start, where = _start([s for s in settings if s is not identity]), "the same write"
        if start is None:
            start, where = _start(_object_settings(facts, target)), "the workload's spec and config"
        if start is None and seen.get("replay"):  # set in code: the pods' records days old show where it began
            start, where = Setting("start position", None, "earliest"), "its pods' logs (records days old)"
        default = next((said for pattern, said in DEFAULT_FROM_START if pattern.search(key_form(identity.key))), "")
        if start is None and default:  # nothing set: the client's documented default starts at the beginning
            start, where = Setting("start position", None, "earliest"), default
        if start is None or not _from_start(start):
            continue  # no start setting seen, or it starts at the end: no replay
        out.append(Reset(target, identity, start, where, str(change.get("at")),
                         int((facts.at - at).total_seconds() // 60), str(seen.get("replay") or ""),
                         str(seen.get("joined") or ""), [e for e in (evidence, seen.get("evidence")) if e]))
    return out


def _family(key: str) -> tuple[str, str]:
    """(what the broker keeps under the identity, how to put the new one where the old one was)."""
    form = key_form(key)
    if "durable" in form:
        return ("a JetStream durable consumer's delivered position", "create the new durable with "
                "deliver_policy by_start_time at the old consumer's position, or restore the old durable name")
    if "subscription" in form:
        return ("a Pulsar subscription's cursor", "reset the new subscription's cursor to the old one's position "
                "(pulsar-admin topics reset-cursor), or restore the old subscription name")
    if "application_name" in form or "lease_table" in form:
        return ("a Kinesis KCL lease table's checkpoints", "restore the old applicationName (its lease table keeps "
                "the checkpoints), or start the new one AT_TIMESTAMP of the rename")
    if "checkpoint_location" in form:
        return ("a Spark checkpoint's stored offsets", "restore the old checkpointLocation, or start the new query "
                "at explicit startingOffsets taken from the old checkpoint")
    if "consumer_name" in form:
        return ("a stream consumer's stored offset", "restore the old consumer name, or start the new one at the "
                "old one's stored offset")
    return ("committed offsets (per group.id)", "restore the old group.id (its committed offsets still stand), "
            "or move the new group's offsets to the old group's position (kafka-consumer-groups --reset-offsets "
            "--to-datetime / --to-offset)")


def finding(r: Reset) -> dict[str, Any]:
    """The rename and the start setting, what they mean together (a replay), and the pods' proof; meaning first."""
    kept, fix = _family(r.identity.key)
    replay = f" Its pods handle records days old: '{r.replay[:200]}'." if r.replay else ""
    joined = f" It joined as the new consumer: '{r.joined[:140]}'." if r.joined else ""
    message = (f"{r.target} renamed its consumer group identity ({r.identity.key} {r.identity.old} -> "
               f"{r.identity.new}) with the start position at the beginning ({r.start.key}={r.start.new}, earliest; "
               f"seen in {r.start_from}), {minutes_text(r.minutes_before)} before the incident: the new identity "
               f"has no {kept}, so it starts from the earliest retained offsets and replays everything the broker "
               f"retains: every old message is handled again (duplicate sends downstream, lag jumps to the "
               f"topic's size, the calls it makes throttled).{replay}{joined} Fix: {fix}; make the handler "
               "idempotent")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": r.target.kind, "namespace": r.target.namespace, "name": r.target.name},
            "reason": "ConsumerIdentityReset", "message": message,
            "evidence": [x for x in (r.replay[:200], r.joined[:200]) if x] or [r.identity.text()],
            "details": {"identity": r.identity.key, "old": r.identity.old, "new": r.identity.new,
                        "start": r.start.key, "start_value": r.start.new, "change_at": r.at}}


# ---- reading ---------------------------------------------------------------------------------------------


def _replay_line(text: str, since: datetime) -> str:
    """The first log line from `since` on that handles a record whose own timestamp is `OLD_RECORD` older than
    the line's."""
    for line in text.splitlines():
        stamps = [t for t in (parse_time(s + "Z") for s in _STAMPS.findall(line)) if t is not None]
        if len(stamps) >= 2 and stamps[0] >= since and stamps[0] - min(stamps[1:]) >= OLD_RECORD:
            return " ".join(line.split())
    return ""


async def read(facts: Facts, call: Call) -> None:
    """Reading only: for each recent write that renamed a consumer identity (at most `MAX_READS`), the workload
    read back when the diff shows no start setting, and one pod's logs (its group join, records days old)."""
    store: dict[str, Any] = facts.reads.setdefault(READS, {})
    reads = 0
    for change, _, target in facts.writes_to(WORKLOADS, within=LEAD):
        at = parse_time(change.get("at"))
        if at is None or reads >= MAX_READS or f"{target.namespace}/{target.name}" in store:
            continue
        renamed = _renamed(change)
        if renamed is None:
            continue
        reads += 1
        seen: dict[str, Any] = {}
        store[f"{target.namespace}/{target.name}"] = seen
        if _start([s for s in renamed[1] if s is not renamed[0]]) is None:
            got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-reset-{target.name}")
            if got is not None:
                facts.objects.append(got)
                for name in [] if _start(_object_settings(facts, target)) else _configs_of(got[0])[:MAX_READS]:
                    cm = await get_yaml(call, "ConfigMap", name, target.namespace, f"survey-reset-config-{name}")
                    if cm is not None and cm[0].get("kind", "ConfigMap") == "ConfigMap":
                        facts.objects.append(cm)
        pod = await pod_of(call, target, f"survey-reset-{target.name}-pods")
        if not pod:
            continue
        outcome = await call("k8s_logs", {"name": pod, "namespace": target.namespace, "tail": 300},
                             f"survey-reset-{target.name}-log")
        if outcome is None or not outcome.ok:
            continue
        text = str(outcome.full_text or "")
        new = str(renamed[0].new or "").strip("'\"")
        seen["joined"] = next((" ".join(ln.split()) for ln in text.splitlines()
                               if new and new in ln and re.search(r"join|assign|subscri", ln, re.I)), "")
        seen["replay"] = _replay_line(text, at - timedelta(minutes=2))
        seen["evidence"] = outcome.evidence_id
