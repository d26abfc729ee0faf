"""A consumer's subscription made exclusive: one replica consumes, the others are refused, the backlog grows.

Brokers let several consumers share one subscription or queue only in a sharing mode. A release that switches the
mode (a new client wrapper's default, a copied setting) leaves one replica attached and refuses the rest:

- Pulsar: subscription type `Shared`/`Key_Shared` -> `Exclusive` (or `Failover`, where the others attach but stay
  idle): the broker admits one consumer and answers the others "Exclusive consumer is already connected"; the
  client logs `ConsumerBusyException` and retries forever.
- RabbitMQ: a consumer declared `exclusive` (basic.consume exclusive=true, a queue declared exclusive): the second
  consumer gets "ACCESS_REFUSED - queue '...' in exclusive use" or "RESOURCE_LOCKED - cannot obtain exclusive access
  to locked queue".

The backlog then grows at the rate one consumer cannot keep up with. The alert is about the subscription's backlog
(often in the broker's namespace); the cause is the consumer workload's write.

`read` (reading only) takes each workload write of the hours before the alert whose diff turns a subscription-mode
setting exclusive, lists that workload's pods and greps up to three of them for the broker's refusal; `found` is
pure. A mode made shared, a workload with one replica, or no refusal in its pods: nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.consumer_exclusive"
WEIGHT = 0.94
"""The write that made the subscription exclusive outranks the backlog and the refused replicas' errors."""
READS = "consumer_mode"
WINDOW = timedelta(hours=6)
MAX_PODS = 3
WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet"})

MODE_KEY = re.compile(r"subscription[_.-]?type|sub[_.-]?type|subscriptiontype|consumer[_.-]?exclusive|"
                      r"exclusive[_.-]?consumer|queue[_.-]?exclusive|consume[_.-]?exclusive|^(?:\w+[_.-])?exclusive$",
                      re.I)
"""Settings that choose whether a subscription or queue is shared among consumers (Pulsar subscriptionType, a
RabbitMQ consumer's exclusive flag)."""
SHARED = {"shared", "key_shared", "keyshared", "false", "0", "no", "off", ""}
EXCLUSIVE = {"exclusive", "failover", "true", "1", "yes", "on"}
_DIFF = re.compile(r"(?P<key>[A-Za-z_][\w.-]*)\s*[=:]\s*'?(?P<old>[\w.-]*)'?\s*->\s*(?:(?P=key)\s*[=:]\s*)?"
                   r"'?(?P<new>[\w.-]*)'?")
REFUSED = re.compile(r"ConsumerBusy(?:Exception)?|Exclusive consumer is already connected|"
                     r"ACCESS_REFUSED - queue '[^']*' in vhost '[^']*' in exclusive use|"
                     r"RESOURCE_LOCKED - cannot obtain exclusive access to locked queue", re.I)
GREP = "xclusive"
"""One word every refusal above carries (Exclusive/exclusive), for the log read's grep."""


def exclusive_writes(change: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, old, new) of each subscription-mode setting a write turned from a sharing mode to an exclusive one."""
    out: list[tuple[str, str, str]] = []
    for line in [str(d) for d in change.get("diff") or []] or [str(change.get("summary") or "")]:
        for m in _DIFF.finditer(line):
            key, old, new = m.group("key"), m.group("old"), m.group("new")
            if MODE_KEY.search(key) and old.lower() in SHARED and new.lower() in EXCLUSIVE and \
                    (key, old, new) not in out:
                out.append((key, old, new))
    return out


@dataclass
class Exclusive:
    """A consumer workload whose subscription turned exclusive, and its replicas the broker refuses."""

    target: Ref
    change: dict[str, Any]
    setting: tuple[str, str, str]
    pods: int
    refused: list[str]
    line: str
    evidence: list[str] = field(default_factory=list)


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: for each workload write that made a subscription exclusive, its pods and their refusals."""
    store = _store(facts)
    for change, evidence, ref in facts.writes_to(WORKLOADS, within=WINDOW):
        if not exclusive_writes(change):
            continue
        listed = await call("k8s_list", {"kind": "Pod", "namespace": ref.namespace}, f"survey-consumer-mode-{ref.name}")
        if listed is None or not listed.ok or not isinstance(listed.data, dict):
            continue
        pods = sorted(str(r.get("name")) for r in listed.data.get("rows") or [] if isinstance(r, dict) and
                      workload_of_pod(str(r.get("name") or "")) == ref.name)
        entry: dict[str, Any] = {"ref": [ref.kind, ref.namespace, ref.name], "change": change, "pods": len(pods),
                                 "refused": [], "line": "", "evidence": [e for e in (evidence, listed.evidence_id)
                                                                         if e]}
        for pod in pods[:MAX_PODS] if len(pods) > 1 else []:
            logs = await call("k8s_logs", {"name": pod, "namespace": ref.namespace, "grep": GREP, "tail": 200},
                              f"survey-consumer-mode-{pod}")
            text = str(getattr(logs, "full_text", "") or "") if logs is not None and logs.ok else ""
            said = REFUSED.search(text)
            if said is not None:
                entry["refused"].append(pod)
                entry["evidence"].append(logs.evidence_id)
                if not entry["line"]:
                    start = text.rfind("\n", 0, said.start()) + 1
                    entry["line"] = " ".join(text[start:start + 400].split())
        store.setdefault("written", []).append(entry)


def found(facts: Facts) -> list[Exclusive]:
    """Consumer workloads with several replicas whose subscription a write made exclusive, the broker refusing some."""
    out: list[Exclusive] = []
    for entry in _store(facts).get("written") or []:
        settings = exclusive_writes(entry["change"])
        if not settings or entry["pods"] < 2 or not entry["refused"]:
            continue
        out.append(Exclusive(Ref(*entry["ref"]), entry["change"], settings[0], entry["pods"], entry["refused"],
                             entry["line"], list(entry["evidence"])))
    return out


def _quote(line: str) -> str:
    m = REFUSED.search(line)
    start = max(0, (m.start() if m else 0) - 30)
    return ("..." if start else "") + line[start:start + 130]


def _admits(mode: str) -> str:
    """What the new mode does to a subscription's consumers, in the broker's terms."""
    if mode.lower() == "exclusive":
        return "an Exclusive subscription admits one consumer"
    if mode.lower() == "failover":
        return "a Failover subscription feeds only its one active consumer"
    return "an exclusive consumer holds the queue alone"


def finding(x: Exclusive, at: Any) -> dict[str, Any]:
    """The consumer and what the mode change means first (about 400 characters are quoted), then the refusal."""
    key, old, new = x.setting
    when = parse_time(x.change.get("at"))
    ahead = minutes_text(int((at - when).total_seconds() // 60)) if when else "?"
    pulsar = bool(re.search(r"ConsumerBusy|Exclusive consumer", x.line, re.I))
    what = "Pulsar subscription type" if pulsar or re.search(r"sub\w*type", key, re.I) else "consumer mode"
    refusal = "ConsumerBusy" if pulsar else "exclusive-use refusal"
    message = (f"{x.target} changed its {what} {old or '(unset)'} -> {new} ({key}, written {ahead} before the alert): "
               f"{_admits(new)}, so only one of its {x.pods} replicas consumes and the "
               f"others are refused with {refusal} ({len(x.refused)} of the pods read say so: '{_quote(x.line)}'); "
               f"the backlog grows at the rate one consumer cannot keep up with. Set {key} back to "
               f"{old or 'a shared mode'}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": x.target.kind, "namespace": x.target.namespace, "name": x.target.name},
            "reason": "SubscriptionMadeExclusive", "message": message,
            "evidence": [str(x.change.get("summary") or "")[:300], x.line[:300]],
            "details": {"setting": list(x.setting), "replicas": x.pods, "refused": x.refused}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the consumer workload, finding, evidence ids, its refused pods)."""
    return [(x.target, finding(x, facts.at), x.evidence, [Ref("Pod", x.target.namespace, p) for p in x.refused])
            for x in found(facts)]
