"""The survey: the calls every investigation makes, whatever the runbook, before anyone concludes.

A runbook knows where to look for one kind of problem; an incident nobody wrote a runbook for
needs a wider look first, the way an on-call engineer starts: what is broken anywhere in the
cluster (`k8s_scan`), what changed shortly before (`k8s_changes`), what the alerting service is
made of and depends on (`k8s_topology`), and what the failing containers said before they died
(`k8s_logs`). Three short phases, each in parallel, every call through the tool hub and so
through the guardrails like any other; a tool that is not connected is simply not asked.

The survey also resolves the incident's candidate names against the cluster: a word from a
question counts only when an object of that name exists (in the scan's findings or as a topology
subject), which is how "why did the get-data job fail?" finds Job `get-data` and never `job=fail`.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from agent.telemetry import tracer
from agent.toolhub import ToolHub, ToolOutcome
from agent.triage import (
    backlog,
    clock,
    connections,
    full_volume,
    inode_change,
    kubelet_cert,
    lb_healthcheck,
    mesh,
    namespace_subject,
    pid_pressure,
    replica_writes,
    site,
)
from agent.triage.facts import Facts, LogEvidence, Ref, last_lines, log_evidence
from agent.triage.rank import CONNECTIVITY_ERRORS, cause_weight
from agent.triage.subject import Subject, workload_of_pod

MAX_LOG_CALLS = 4
"""Pods whose logs the survey reads: the likeliest causes' and one of the subject's."""

_LOG_WORTHY = ("crash", "error", "init", "ready", "probe", "job", "backoff", "oom", "fail", "dependency")
"""Problems whose cause usually stands in the container's own output."""

_NEVER_STARTED = ("image", "pull", "pending", "schedul", "createcontainerconfig", "config_error", "evict",
                  "containercreating")
"""Problems where the container never ran, so it has no logs to read."""


@dataclass
class SurveyResult:
    facts: Facts
    outcomes: list[ToolOutcome] = field(default_factory=list)
    resolved: set[str] = field(default_factory=set)
    """Candidate names confirmed to exist in the cluster."""


class SurveyReads:
    """The survey's one way to read: each distinct read is made once, however many steps want it.

    The survey's modules each ask for what they need (the CRD list for a resolver, a scaling check and a
    policy check; the nodes for two node checks), and each call costs a guardrail pass, an audit record,
    an evidence id and a line in the report. Within one survey an identical read (same tool, same
    arguments once the kube context is added) returns the first call's outcome, the same object, so
    every finding cites the one evidence id the report lists; the report and the hub show it once, under
    the step that asked first, and each later step that wanted it still has its `survey_step` span (with
    `vigil.survey.reused` naming that evidence id). Identical reads asked at the same time share the one
    call in flight. A failed read is not asked again with the same arguments (a retry that means it
    changes them: `previous=False`, another name), and nothing is kept beyond the survey: the runbook's
    own steps and the model read afresh.
    """

    def __init__(self, hub: ToolHub, result: SurveyResult,
                 with_context: Callable[[str, dict[str, Any]], dict[str, Any]]) -> None:
        self.hub = hub
        self.result = result
        self.with_context = with_context
        self.tools = {t.name for t in hub.tools()}
        self._reads: dict[str, asyncio.Task[ToolOutcome]] = {}

    async def call(self, tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome | None:
        """The outcome of `tool(arguments)` for `step`: the first identical read's, or a new call; None when the
        tool is not connected."""
        if tool not in self.tools:
            return None
        arguments = self.with_context(tool, arguments)
        key = read_key(tool, arguments)
        with tracer().start_as_current_span(f"survey_step {step}") as span:
            if span.is_recording():
                span.set_attributes({"vigil.survey.step": step, "vigil.runbook.step": step, "gen_ai.tool.name": tool})
            earlier = self._reads.get(key)
            if earlier is not None:
                outcome = await asyncio.shield(earlier)
                if span.is_recording():
                    span.set_attribute("vigil.survey.reused", outcome.evidence_id)
                return outcome
            read = asyncio.ensure_future(self.hub.call(tool, arguments, step_id=step))
            self._reads[key] = read
            outcome = await read
        self.result.outcomes.append(outcome)
        return outcome


def read_key(tool: str, arguments: dict[str, Any]) -> str:
    """What makes two reads the same read: the tool and its whole arguments, in any key order."""
    return tool + " " + json.dumps(arguments, sort_keys=True, default=str)


async def survey(hub: ToolHub, subject: Subject, at: datetime,
                 with_context: Callable[[str, dict[str, Any]], dict[str, Any]]) -> SurveyResult:
    """Scan, changes, topology, then the telling logs; returns the facts with their evidence ids."""
    result = SurveyResult(Facts(at=at.astimezone(UTC)))

    call = SurveyReads(hub, result, with_context).call

    window = {"at": at.astimezone(UTC).isoformat().replace("+00:00", "Z"), "window": "6h"}
    scan, changes = await asyncio.gather(call("k8s_scan", {}, "survey-scan"),
                                         call("k8s_changes", window, "survey-changes"))
    facts = result.facts
    if scan is not None and scan.ok and scan.data:
        facts.scan, facts.scan_id = scan.data, scan.evidence_id
    if changes is not None and changes.ok and changes.data:
        facts.changes, facts.changes_id = changes.data, changes.evidence_id
    _resolve_from_scan(subject, facts, result.resolved)
    from agent.triage import name_index  # a question's words that are real workloads go first

    await name_index.resolve_words(subject, result.resolved, call)
    subject_name = await _resolve_subject(subject, result, call)
    if subject_name is None and not result.resolved and await site.resolve(subject, call):
        subject_name = await _resolve_subject(subject, result, call)  # "the shop website": the Service behind it
    from agent.triage import subject_resolve  # a URL, an address, an exporter's value: the object it names

    subject_name = await subject_resolve.resolve_into(subject, facts, result.resolved, call, window["at"],
                                                      subject_name) or subject_name
    await _evicted_neighbourhood(facts, subject_name, call)
    log_calls = _log_calls(subject, facts, result)
    outcomes = list(await asyncio.gather(*(call("k8s_logs", args, f"survey-logs-{i + 1}")
                                           for i, args in enumerate(log_calls))))
    retries = [(i, {**o.arguments, "previous": False}) for i, o in enumerate(outcomes)
               if o is not None and not o.ok and o.arguments.get("previous")]
    for (i, _), retried in zip(retries, await asyncio.gather(
            *(call("k8s_logs", {k: v for k, v in a.items() if k != "context"}, f"survey-logs-{i + 1}-current")
              for i, a in retries)), strict=True):
        outcomes[i] = retried  # no previous instance (it never restarted): what the current one said
    subject_logs_failed = bool(log_calls) and not facts.topologies and outcomes and outcomes[-1] is not None \
        and not outcomes[-1].ok and str(log_calls[-1].get("name")) in subject.pods
    if subject_logs_failed:
        found = await _first_subject_logs(subject, facts, {str(c.get("name")) for c in log_calls}, call)
        if found is not None:
            outcomes.append(found)
    from agent.triage import sidecar_logs  # a quiet app container: the proxy beside it prints the refusals

    outcomes += await sidecar_logs.read(subject, outcomes, call)
    hosts: list[str] = []
    failing_calls = False
    for outcome in outcomes:
        evidence = _keep_logs(outcome, facts)
        if evidence is not None and subject.mentions(workload_of_pod(evidence.pod)):
            hosts += [h for h in evidence.hosts if h not in hosts]
            failing_calls = failing_calls or bool(evidence.error_classes & CONNECTIVITY_ERRORS)
    if namespace_subject.needed(subject, facts, bool(subject_name or result.resolved)):
        await namespace_subject.read(subject, facts, call, _keep_logs, timedelta(hours=6))  # only a namespace named
    if subject_name and hosts:
        topology = await call("k8s_topology", {**subject_name, "log_hosts": hosts[:10]}, "survey-topology-hosts")
        if topology is not None and topology.ok and topology.data:
            facts.topologies.insert(0, (topology.data, topology.evidence_id))
    if failing_calls:
        await _one_hop(facts, call)
        await _named_in_errors(subject, facts, call)
    if any(connections.limited(log) for log in facts.logs if subject.mentions(workload_of_pod(log.pod))):
        await connections.read_datastores(facts, call, _keep_logs, window["at"])
    await clock.read_clocks(subject, facts, call, _keep_logs, window["at"])
    await full_volume.read_volumes(subject, facts, call, _keep_logs, window["at"])
    await inode_change.read_history(facts, call, window["at"])  # a claim out of inodes: what multiplied files
    await backlog.read_alarm(facts, call, _keep_logs, window["at"])
    await kubelet_cert.read_ttls(facts, call, window["at"])  # a NotReady node: did its kubelet's cert expire
    from agent.triage import dns_config  # names that stopped resolving: the cluster DNS ConfigMap written

    await dns_config.read_config(facts, call)
    from agent.triage import cron_schedule  # a CronJob the incident names: its schedule and time zone written

    await cron_schedule.read(subject, facts, call, window["at"])
    await pid_pressure.read_processes(facts, call, window["at"])  # a node short of PIDs: who holds them
    await lb_healthcheck.read_services(facts, call)  # a load balancer's settings edited: their values
    if failing_calls:
        await mesh.read_policies(facts, call)
    from agent.triage import behind  # what serves an API, decides scaling, raised an alarm, fills a node

    await behind.read(subject, facts, call, window["at"])
    from agent.triage import pointers  # names that point nowhere: what the names the subject uses lead to

    await pointers.read(facts, call, _keep_logs)
    await replica_writes.read_settings(subject, facts, call)  # writes a replica refused
    from agent.triage import setting_effect  # a config file written: which setting, and what moved with it

    await setting_effect.read(facts, call)
    from agent.triage import ingress_annotations  # an ingress controller annotation whose own errors clients get

    await ingress_annotations.read(facts, call)
    from agent.triage import browser_policy  # a written CORS/CSP policy: the browser's refusals it causes

    await browser_policy.read(facts, call)
    from agent.triage import config_behind_restart  # a restart with no revision: the config it loaded

    await config_behind_restart.read(facts, call)
    from agent.triage import costly_setting  # callers time out: a recent change that made each request cost more

    await costly_setting.read(facts, call)
    from agent.triage import snapshot_fork  # callers time out: a write switched fork-based snapshots on

    await snapshot_fork.read(facts, call)
    from agent.triage import field_stripped  # records rejected for a missing field: the pipeline configs written

    await field_stripped.read(facts, call)
    from agent.triage import planner_setting  # slow statements: a planner cost setting written before

    await planner_setting.read(facts, call)
    from agent.triage import proxy_cost  # an edge slow while its backend is fast: the proxy's own CPU and time

    await proxy_cost.read(facts, call, window["at"])
    from agent.triage import actor_chain  # a controller's acts on the path: its own config written before

    await actor_chain.read(subject, facts, call, window["at"])
    from agent.triage import dependency_disruption  # a callee refusing: was its only pod disrupted

    await dependency_disruption.read(subject, facts, call)
    from agent.triage import qos_drop  # a rollout that left pods without requests: BestEffort, evicted first

    await qos_drop.read(subject, facts, call)
    from agent.triage import vpa_evictions  # a VPA updater evicting a workload too small to lose a pod

    await vpa_evictions.read(subject, facts, call)
    from agent.triage import shutdown_config  # errors at pod terminations: the revision that weakened the drain

    await shutdown_config.read(facts, call)
    from agent.triage import rollout_budget  # a rollout soon before: its Deployment's replicas and strategy values

    await rollout_budget.read(facts, call)
    from agent.triage import credential_refresher  # pulls refused: the CronJob that renews that Secret fails

    await credential_refresher.read(facts, call)
    from agent.triage import pull_secret_source  # pulls refused, no pull secret: the ServiceAccount lost it

    await pull_secret_source.read(facts, call)
    from agent.triage import registry_cleanup  # a pull now not found: a registry cleanup job deleted the image

    await registry_cleanup.read(facts, call)
    from agent.triage import runtime_registry_config  # pulls unreachable: the nodes' registry config rewritten

    await runtime_registry_config.read(facts, call)
    from agent.triage import disk_arrivals  # a node's DiskPressure: an unfenced disk-hungry pool just arrived

    await disk_arrivals.read(facts, call)
    from agent.triage import gitops_revert, job_changes  # a hand fix a controller wrote back; a Job's statement

    await gitops_revert.read(facts, call)
    await job_changes.read(facts, call)
    from agent.triage import dns_stall  # a workload rolled out to a musl image: its lookups' timings

    await dns_stall.read(facts, call)
    from agent.triage import front_proxy  # clients see HTTP errors nothing logged: the gateway's access log

    await front_proxy.read(subject, facts, call, _keep_logs)
    from agent.triage import served_backend  # a backend Service called missing: do its pods log requests via it

    await served_backend.read(facts, call)
    from agent.triage import tightened  # a limit on the path made smaller: older writes, the pod, hit series

    await tightened.read(subject, facts, call, window["at"])
    from agent.triage import time_limit  # a time limit cut below the work it bounds: its holders' logs, p99

    await time_limit.read(subject, facts, call, window["at"])
    from agent.triage import syn_retry_step  # calls a SYN-retransmit step slower: the node proxy's mode switch

    await syn_retry_step.read(subject, facts, call)
    from agent.triage import upstream_trust  # a proxy's upstream CA bundle written: its x509 verification lines

    await upstream_trust.read(facts, call)
    from agent.triage import dns_sync_flags  # a DNS controller's flags changed: its own sync errors since

    await dns_sync_flags.read(subject, facts, call)
    from agent.triage import concurrency_cap  # a thread/worker/connection cap cut: the holder's saturation gauges

    await concurrency_cap.read(subject, facts, call, window["at"])
    from agent.triage import paused_consumer  # a store filling or behind: a reader of it paused in the last days

    await paused_consumer.read(subject, facts, call, window["at"])
    from agent.triage import node_split  # pods failing only on nodes a node template's write made different

    await node_split.read(facts, call, window["at"])
    from agent.triage import written_paths  # a config suspected of filling storage: files it writes on no volume

    await written_paths.read(facts, call)
    from agent.triage import file_reaper  # a file gone (ENOENT): a cleanup CronJob sweeping its directory

    await file_reaper.read(subject, facts, call, window["at"])
    from agent.triage import creation_template  # a PriorityClass/NodePool/NodeClass write: what it made since fails

    await creation_template.read(facts, call, window["at"])
    from agent.triage import conn_settings  # a connection-string parameter changed: the lag that confirms it

    await conn_settings.read(facts, call, window["at"])
    from agent.triage import topology_routing  # zone-local routing turned on: endpoints by zone, per-pod load

    await topology_routing.read(facts, call, window["at"])
    from agent.triage import hash_balance  # a load balancer set to hash by a key: per-pod load of what it balances

    await hash_balance.read(facts, call, window["at"])
    from agent.triage import cache_flush  # a Job/CronJob written to flush a cache: the hit ratio at its runs

    await cache_flush.read(facts, call)
    from agent.triage import service_path  # a Service's routing changed: callers' nodes, endpoints' per-pod load

    await service_path.read(facts, call, window["at"])
    from agent.triage import keepalive_race  # proxy premature closes: the backend's keep-alive setting rolled out

    await keepalive_race.read(facts, call)
    from agent.triage import lb_idle_raised  # a balancer's idle timeout written above its backend's keep-alive

    await lb_idle_raised.read(facts, call, subject.problems)
    from agent.triage import loopback_nodeport  # an agent's refused 127.0.0.1:NodePort: kube-proxy's mode read back

    await loopback_nodeport.read(facts, call)
    from agent.triage import path_rewrite  # a proxy's path rewrite written: the backend's 404s, a segment apart

    await path_rewrite.read(facts, call)
    from agent.triage import route_weights  # a traffic split written: its weighted backends' own failure

    await route_weights.read(facts, call, _keep_logs, window["at"])
    from agent.triage import mesh_fault  # a mesh policy written: its proxies' own mark (FI, UO) on callers' errors

    await mesh_fault.read(facts, call, window["at"])
    from agent.triage import governing_change  # the setting an error's meaning names, on the side it lives

    await governing_change.read(subject, facts, call)
    from agent.triage import limit_hit  # a count/size limit the errors name: the change that made it reachable

    await limit_hit.read(facts, call)
    from agent.triage import memory_setting  # a per-connection memory setting raised: its server OOM-killed

    await memory_setting.read(facts, call)
    from agent.triage import heap_ceiling  # a runtime heap ceiling at/above its container's memory limit

    await heap_ceiling.read(facts, call)
    from agent.triage import loopback_family  # a rollout: its localhost calls now refused on ::1

    await loopback_family.read(subject, facts, call)
    from agent.triage import held_horizon  # the oldest transaction's age tied to a job run: vacuum held back

    await held_horizon.read(facts, call)
    from agent.triage import disabled_command  # an error naming a command/mode a server write took away

    await disabled_command.read(facts, call)
    from agent.triage import consumer_reset  # a consumer identity renamed with the start at the beginning: replay

    await consumer_reset.read(facts, call)
    from agent.triage import empty_value  # a rollout rendered a flag/env value empty: the chart it came from

    await empty_value.read(facts, call)
    from agent.triage import unexpanded  # a placeholder a failing log quotes: the ConfigMaps written

    await unexpanded.read(facts, call)
    from agent.triage import values_ignored  # a feature called off: a chart upgrade that ignores its values

    await values_ignored.read(facts, call)
    from agent.triage import configmap_keys  # a rollout onto a ConfigMap with fewer keys: both key sets

    await configmap_keys.read(facts, call, _keep_logs)
    from agent.triage import entrypoint_role  # an image-only rollout whose args name a role: template, one log

    await entrypoint_role.read(facts, call)
    from agent.triage import server_first_sidecar  # injection switched on for a server-first dependency

    await server_first_sidecar.read(facts, call)
    from agent.triage import image_automation  # an automated image change: the tag policy written before it

    await image_automation.read(facts, call)
    from agent.triage import analysis_query  # a canary analysis failed: its template's query selects no series

    await analysis_query.read(facts, call, window["at"])
    from agent.triage import join_without_data  # data not found: a datastore scaled out with bootstrap off

    await join_without_data.read(facts, call)
    from agent.triage import node_daemonsets  # a node named: the DaemonSets its peers run that a change cut from it

    await node_daemonsets.read(subject, facts, call)
    from agent.triage import node_taint  # a node named: a taint/cordon on it whose evictions or refusals show

    await node_taint.read(subject, facts, call)
    from agent.triage import dns_scope  # hosts named: a DNS controller's rollout narrowed its scope off them

    dns_scope.read(subject, facts)
    from agent.triage import issuer_solver  # a Certificate not Ready: its issuer's solver written, Challenges fail

    await issuer_solver.read(facts, call)
    from agent.triage import admission_rule  # a controller refused at admission: the rule objects its refusal quotes

    await admission_rule.read(facts, call, window["at"])
    from agent.triage import apiserver_flood  # the API server's 429 (APF): its priority levels, who asks more

    await apiserver_flood.read(facts, call, window["at"])
    from agent.triage import co_tenant  # slow calls to a shared dependency: who else on it was written before

    await co_tenant.read(subject, facts, call, window["at"])
    from agent.triage import access_rule  # a refusal (403, key usage, pg_hba): the rule of its kind narrowed before

    await access_rule.read(subject, facts, call)
    from agent.triage import write_semantics  # a writer's value a datastore's semantics turn into harm (48 h back)

    await write_semantics.read(facts, call, window["at"])
    from agent.triage import expiry_rule  # data gone: an expiry/TTL/lifecycle rule written shortly before

    await expiry_rule.read(subject, facts, call, window["at"])
    from agent.triage import idle_limit  # clients reuse closed connections: a server idle limit lowered, their pool

    await idle_limit.read(facts, call, window["at"])
    from agent.triage import flag_key  # a flag object written: the keys its clients now miss (FLAG_NOT_FOUND)

    await flag_key.read(subject, facts, call)
    from agent.triage import flag_heap  # a flag switched on: its reader's pods out of heap since

    await flag_heap.read(facts, call)
    return result


MAX_NAMED_CALLS = 2
_PACKAGE_PATH = re.compile(r"\b[a-z_][\w$]*(?:\.[a-z_][\w$]*)+\.[A-Z][\w$]*")
"""`o.h.engine.jdbc.spi.SqlExceptionHelper`, `com.zaxxer.hikari.pool.HikariPool`: a class's package path,
whose segments name no object (a logger like `checkout.inventory` may, and is kept)."""
_WORD = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_COMMON = frozenset({"error", "errors", "failed", "failure", "connect", "connection", "details", "status", "user",
                     "database", "timeout", "terminated", "unknown", "received", "from", "peer", "with", "that",
                     "request", "response", "call", "calls", "client", "server", "service", "unavailable", "refused",
                     "debug", "string", "info", "warn", "warning", "http", "https", "grpc", "true", "false", "none"})


async def _named_in_errors(subject: Subject, facts: Facts, call: Callable[..., Any]) -> None:
    """The subject's calls fail to an address the cluster does not know (a stale pod IP, a client-side
    balancer's peer): the object its error names (a logger `checkout.inventory`, `user=inventory`) may be
    the one it calls. Ask the topology about the first such words; one that exists is read like a hop
    (its topology and the logs of one of its pods). Reading only: a suspect still needs its own evidence."""
    if not facts.topologies:
        return
    known = {str((d.get("target") or {}).get("name")) for data, _ in facts.topologies
             for d in data.get("dependencies") or [] if isinstance(d, dict)
             and str((d.get("target") or {}).get("kind") or "").lower() == "service"}
    if known:
        return
    read = {str((data.get("subject") or {}).get("name")) for data, _ in facts.topologies}
    words: list[str] = []
    for log in facts.logs:
        if not subject.mentions(workload_of_pod(log.pod)) or log.top is None:
            continue
        text = _PACKAGE_PATH.sub(" ", str(log.top.get("message") or log.top.get("example") or "")).lower()
        words += [w for w in _WORD.findall(text) if len(w) >= 4 and w not in _COMMON and w not in read
                  and not subject.mentions(w) and w not in words]
    for word in words[:MAX_NAMED_CALLS]:
        topology = await call("k8s_topology", {"name": word}, f"survey-named-{word}")
        data = topology.data if topology is not None and topology.ok else None
        found = Ref.of((data or {}).get("subject"))
        if not data or found is None or not found.kind:
            continue
        await _read_neighbour(data, topology.evidence_id, found.namespace, f"survey-named-logs-{word}", facts, call)
        return


MAX_HOPS = 2
"""Dependencies whose own logs the survey reads when the subject's calls to them fail."""


def _keep_logs(outcome: ToolOutcome | None, facts: Facts) -> LogEvidence | None:
    """The log facts of one `k8s_logs` answer, kept in `facts` with the pod it came from."""
    if outcome is None or not outcome.ok or not outcome.data:
        return None
    evidence = log_evidence(outcome.data, outcome.evidence_id)
    if evidence is None:
        return None
    evidence.last_lines = last_lines(outcome.full_text)
    evidence.pod = evidence.pod or str(outcome.arguments.get("name") or "")
    evidence.namespace = evidence.namespace or str(outcome.arguments.get("namespace") or "")
    evidence.previous = evidence.previous or bool(outcome.arguments.get("previous"))
    facts.logs.append(evidence)
    return evidence


async def _one_hop(facts: Facts, call: Callable[..., Any]) -> None:
    """The subject's calls fail: read what the dependencies it calls say themselves (one hop).

    A service that times out on its dependency is usually a victim; the dependency's own logs name
    the next cause (its database refusing connections, a policy blocking its egress). Dependencies
    already known unhealthy come first, then those its error logs name; in-cluster Services only.
    """
    if not facts.topologies:
        return
    data = facts.topologies[0][0]
    named = {h.lower().split(":")[0].split(".")[0] for log in facts.logs for h in log.hosts}
    deps = [d for d in data.get("dependencies") or [] if isinstance(d, dict)
            and str((d.get("target") or {}).get("kind") or "").lower() == "service"]
    deps.sort(key=lambda d: (d.get("healthy") is not False, str((d.get("target") or {}).get("name")) not in named))
    for dep in deps[:MAX_HOPS]:
        target = Ref.of(dep.get("target"))
        if target is None:
            continue
        topology = await call("k8s_topology", {"name": target.name, "namespace": target.namespace},
                              f"survey-hop-{target.name}")
        if topology is None or not topology.ok or not topology.data:
            continue
        await _read_neighbour(topology.data, topology.evidence_id, target.namespace,
                              f"survey-hop-logs-{target.name}", facts, call)


async def _read_neighbour(topology: dict[str, Any], evidence_id: str, namespace: str, step: str, facts: Facts,
                          call: Callable[..., Any]) -> None:
    """Keep the topology of an object the subject calls and read the logs of one of its running pods,
    a not-ready one first (the replica in trouble says most) and none already read: what a hop to a
    dependency and an object named in the subject's errors both read. `namespace` stands in for a pod
    listed without one."""
    facts.topologies.append((topology, evidence_id))
    read = {log.pod for log in facts.logs}
    pods = [p for p in topology.get("pods") or [] if isinstance(p, dict) and p.get("phase") == "Running"
            and str(p.get("name")) not in read]
    pods.sort(key=lambda p: bool(p.get("ready")))
    if pods:
        pod = pods[0]
        _keep_logs(await call("k8s_logs", {"name": pod["name"], "namespace": pod.get("namespace") or namespace,
                                           "tail": 300}, step), facts)


def _resolve_from_scan(subject: Subject, facts: Facts, resolved: set[str]) -> None:
    """Names and namespaces of the scan's findings that the incident mentions exist: take them."""
    for finding in facts.findings():
        for ref in (Ref.of(finding.get("object")), Ref.of(finding.get("owner"))):
            if ref is None:
                continue
            if ref.name in subject.names:
                resolved.add(ref.name)
            if not subject.namespace and ref.namespace and ref.namespace in subject.namespace_words:
                subject.namespace = ref.namespace
        for pod in finding.get("pods") or []:
            if workload_of_pod(str(pod)) in subject.names:
                resolved.add(workload_of_pod(str(pod)))


async def _resolve_subject(subject: Subject, result: SurveyResult,
                           call: Callable[..., Any]) -> dict[str, Any] | None:
    """Ask the topology tool about the likeliest subject names until one exists; its arguments, or None."""
    labelled = [n for n in subject.names if n in subject.from_labels]
    guesses = [n for n in subject.names if n not in subject.from_labels]
    ordered = list(dict.fromkeys([n for n in subject.names if n in result.resolved] + labelled + guesses))
    # An exporter's alert carries its own namespace (kafka-exporter's, the broker's), not the consumer's: its label
    # values (the prose's first) or else the likeliest name, found nowhere there, are looked for in every visible
    # namespace (unique there, or no answer).
    values = [v for v in subject.labelled_values if v != subject.namespace]
    elsewhere = ([n for n in ordered if n in values] + [v for v in values if v not in ordered])[:2] or ordered[:1]
    elsewhere = elsewhere if subject.namespace else []
    for name, anywhere in [*((n, False) for n in ordered[:3]), *((n, True) for n in elsewhere)]:
        arguments: dict[str, Any] = {"name": name}
        if subject.namespace and not anywhere:
            arguments["namespace"] = subject.namespace
        outcome = await call("k8s_topology", arguments, "survey-topology")
        if outcome is None:
            return None
        data = outcome.data if outcome.ok else None
        found = Ref.of((data or {}).get("subject"))
        if found is not None and found.kind:  # a subject without a kind is a name the cluster does not know
            result.resolved.add(found.name)
            if not subject.namespace and found.namespace:
                subject.namespace = found.namespace
            if found.name not in subject.names:
                subject.names.insert(0, found.name)
            result.facts.topologies.append((data or {}, outcome.evidence_id))
            return {"name": found.name, "namespace": found.namespace}
    return None


async def _evicted_neighbourhood(facts: Facts, subject_name: dict[str, Any] | None,
                                 call: Callable[..., Any]) -> None:
    """Pods were evicted and the subject is not them: read their neighbourhood too (who else is on the node)."""
    for finding in facts.findings():
        if finding.get("check") != "pod.evicted":
            continue
        owner = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
        if owner is None or (subject_name and subject_name.get("name") == owner.name):
            return
        outcome = await call("k8s_topology", {"name": owner.name, "namespace": owner.namespace},
                             "survey-topology-evicted")
        if outcome is not None and outcome.ok and outcome.data:
            facts.topologies.append((outcome.data, outcome.evidence_id))
        return


def _log_calls(subject: Subject, facts: Facts, result: SurveyResult) -> list[dict[str, Any]]:
    """Logs worth reading: a pod of each likely cause (previous instance when it crashed), then the subject's."""
    calls: list[dict[str, Any]] = []
    seen: set[str] = set()
    findings = sorted(facts.findings(), key=lambda f: (-_relevance(f, subject, result.resolved), -cause_weight(f)))
    for finding in findings:
        text = f"{finding.get('check', '')} {finding.get('reason', '')}".lower()
        details = finding.get("details") or {}
        listed = details.get("pods") if isinstance(details.get("pods"), list) else finding.get("pods")
        pods = [str(p) for p in listed or []]
        obj = Ref.of(finding.get("object"))
        if not pods and obj is not None and obj.kind.lower() == "pod":
            pods = [obj.name]
        if not pods or not any(w in text for w in _LOG_WORTHY) or any(w in text for w in _NEVER_STARTED):
            continue
        namespace = (obj.namespace if obj else "") or str((finding.get("owner") or {}).get("namespace") or "")
        pod = pods[0]
        if pod in seen or not namespace:
            continue
        seen.add(pod)
        # A restarted container's cause is in the instance before; a finished one (a Job's) is its current one.
        crashed = any(w in text for w in ("crashloop", "oom", "restarting")) or bool(details.get("restarts"))
        arguments: dict[str, Any] = {"name": pod, "namespace": namespace, "previous": crashed, "tail": 300}
        if isinstance(details.get("container"), str) and details["container"]:
            arguments["container"] = details["container"]
        calls.append(arguments)
        if len(calls) >= MAX_LOG_CALLS - 1:
            break
    for name, namespace in _subject_pods(subject, facts):
        if name not in seen and namespace:
            calls.append({"name": name, "namespace": namespace, "tail": 300})
            break
    return calls


async def _first_subject_logs(subject: Subject, facts: Facts, tried: set[str],
                              call: Callable[..., Any]) -> ToolOutcome | None:
    """When the subject's pod is only a guess (a PVC's name, an alert label) and the first guess is not a
    pod, try the next candidates, one at a time."""
    for name, namespace in _subject_pods(subject, facts)[1:3]:
        if name in tried or not namespace:
            continue
        outcome = await call("k8s_logs", {"name": name, "namespace": namespace, "tail": 300},
                             f"survey-logs-{name}")
        if outcome is not None and outcome.ok:
            return cast(ToolOutcome, outcome)
    return None


def _relevance(finding: dict[str, Any], subject: Subject, resolved: Iterable[str]) -> int:
    names = {str((finding.get(k) or {}).get("name") or "") for k in ("object", "owner")}
    names |= {workload_of_pod(str(p)) for p in finding.get("pods") or []}
    if any(subject.mentions(n) for n in names if n):
        return 2
    namespace = str((finding.get("object") or {}).get("namespace") or "")
    return 1 if subject.namespace and namespace == subject.namespace else 0


def _subject_pods(subject: Subject, facts: Facts) -> list[tuple[str, str]]:
    """Pods of the subject, unhealthy first, from the topology (or the alert's own pod label)."""
    pods: list[tuple[bool, str, str]] = []
    for data, _ in facts.topologies[:1]:
        for pod in data.get("pods") or []:
            # Only a running container has logs to read; a pod waiting for its image has none.
            if isinstance(pod, dict) and pod.get("name") and pod.get("phase") == "Running":
                pods.append((bool(pod.get("ready")), str(pod["name"]), str(pod.get("namespace") or "")))
    pods.sort(key=lambda p: p[0])
    out = [(name, ns) for _, name, ns in pods]
    if not facts.topologies:
        out += [(p, subject.namespace) for p in subject.pods if subject.namespace]
    return out
