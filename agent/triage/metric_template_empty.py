"""A canary metric template rewritten to a query that returns nothing: every analysis halts on "no values".

Flagger's Canary can judge a custom metric through a MetricTemplate (`spec.analysis.metrics[].templateRef`). When
the template's query is rewritten to a series or label the service does not emit, the provider answers an empty
result and the controller halts each check with its no-data words (`no values found for custom metric ...`,
`Metric query failed for <metric>: ... no values found`), then rolls the release back. The release did nothing; the
query did. (The same class in Argo Rollouts' shape is read by agent.triage.analysis_gate.)

The evidence any instance leaves, read here: a MetricTemplate written in the window; warning events on a Canary,
first seen after that write, in no-data words, naming a metric of the Canary whose `templateRef` is that template.
Not named: no-data events that began before the write (the query was already empty: another story), a Canary
metric that refers to another template, a template not written in the window.

`read` only reads; `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from agent.triage.analysis_gate import NO_DATA, ChangedGate
from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml

KINDS = ("MetricTemplate",)
WITHIN = timedelta(hours=24)
MAX_TEMPLATES = 2
MAX_CANARIES = 3
READS_KEY = "metric_template_empty"

Call = Callable[..., Awaitable[Any]]


def _written(facts: Facts) -> list[tuple[Ref, datetime]]:
    """Each MetricTemplate written in WITHIN with its newest write."""
    newest: dict[str, tuple[Ref, datetime]] = {}
    for change, _, ref in facts.writes_to(KINDS, within=WITHIN, deletions=False):
        at = parse_time(change.get("at"))
        if at is not None and (str(ref) not in newest or at > newest[str(ref)][1]):
            newest[str(ref)] = (ref, at)
    return list(newest.values())


async def read(namespace: str, facts: Facts, call: Call) -> None:
    """Reading only: the events of the written templates' namespaces (and the incident's), and the Canaries those
    events show halting on no data."""
    written = _written(facts)[:MAX_TEMPLATES]
    if not written:
        return
    kept: dict[str, Any] = facts.reads.setdefault(READS_KEY, {"events": [], "canaries": []})
    for where in dict.fromkeys(n for n in [*(r.namespace for r, _ in written), namespace] if n):
        got = await call("k8s_events", {"namespace": where}, f"survey-metric-template-events-{where}")
        if got is not None and got.ok and isinstance(got.data, dict):
            kept["events"] += [(r, got.evidence_id) for r in got.data.get("events") or []
                               if isinstance(r, dict) and str(r.get("kind")) == "Canary"
                               and NO_DATA.search(str(r.get("message") or ""))]
    seen: set[tuple[str, str]] = set()
    for event, _ in kept["events"]:
        key = (str(event.get("namespace") or ""), str(event.get("name") or ""))
        if key in seen or len(seen) >= MAX_CANARIES:
            continue
        seen.add(key)
        got = await get_yaml(call, "Canary", key[1], key[0], f"survey-metric-template-canary-{key[1]}")
        if got is not None:
            kept["canaries"].append(got)


def found(facts: Facts) -> list[ChangedGate]:
    """Written MetricTemplates whose Canary metric began halting on no data after the write."""
    kept = facts.reads.get(READS_KEY) or {}
    out: list[ChangedGate] = []
    for template, written_at in _written(facts):
        hit = _judge(facts, kept, template, written_at)
        if hit is not None:
            out.append(hit)
    return out


def _judge(facts: Facts, kept: dict[str, Any], template: Ref, written_at: datetime) -> ChangedGate | None:
    for canary, c_evidence in kept.get("canaries") or []:
        meta = canary.get("metadata") or {}
        ns, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
        for metric in ((canary.get("spec") or {}).get("analysis") or {}).get("metrics") or []:
            ref = (metric or {}).get("templateRef") or {} if isinstance(metric, dict) else {}
            if str(ref.get("name") or "") != template.name or str(ref.get("namespace") or ns) != template.namespace:
                continue
            metric_name = str(metric.get("name") or "")
            said = re.compile(rf"(?<![\w-]){re.escape(metric_name)}(?![\w-])")
            halts = [(e, ev) for e, ev in kept.get("events") or [] if str(e.get("name")) == name
                     and str(e.get("namespace") or ns) == ns and said.search(str(e.get("message") or ""))]
            firsts = [parse_time(e.get("first_seen") or e.get("last_seen")) for e, _ in halts]
            dated = [t for t in firsts if t is not None]
            if not dated or min(dated) < written_at or min(dated) > facts.at:
                continue  # no halts, or halting on no data already before the write
            return ChangedGate(template, metric_name, "empty", f"Canary {ns}/{name}", [], [],
                               str(halts[0][0].get("message") or "")[:160], written_at,
                               [e for e in (facts.changes_id, c_evidence, halts[0][1]) if e])
    return None
