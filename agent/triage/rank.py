"""Ranking suspects: which problem in the cluster is the cause of this incident, and which are victims.

The scan reports every object that is wrong; an incident usually has one cause and several
symptoms. Three ideas decide the order, each an SRE habit rather than a fit to any one incident:

1. **Causes before symptoms.** Some problems explain others: a pod that cannot pull its image
   explains the Deployment that is unavailable and the Service without endpoints; a node under
   memory pressure explains the pods it evicted; a ResourceQuota or an admission webhook explains
   the ReplicaSet that cannot create pods. Each finding's kind of problem carries a weight
   (`cause_weight`), and a finding whose text names another problem's object is *explained by*
   it (`_link`): the explaining object inherits the victim's relevance.
2. **Close to the incident.** A problem on the alerting workload, on a dependency it calls (from
   the topology, or from the hosts its own error logs name), on the node its pods run on, or in
   cluster DNS is relevant; a crash loop in an unrelated namespace is background noise, listed
   but never the top hypothesis when the incident names its subject.
3. **Recent change.** A rollout, ConfigMap or Secret change on the object (or one it uses) shortly
   before the symptom is the likeliest trigger, and the finding says which change.

A victim (the alerting service failing because its dependency fails) is never reported as the
cause: it is demoted below what explains it, and the hypothesis of the cause lists it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from agent.triage import (
    access_rule,
    acme_client,
    actor_chain,
    admission_rule,
    analysis_query,
    apiserver_flood,
    backlog,
    behind,
    blocked,
    browser_policy,
    cache_flush,
    change_fit,
    changed_keys,
    chronic,
    claim_spec,
    client_balancing,
    client_errors,
    clock,
    co_tenant,
    concurrency_cap,
    config_behind_restart,
    configmap_keys,
    conn_settings,
    connections,
    conntrack_idle,
    consumer_reset,
    cookie_samesite,
    costly_setting,
    creation_template,
    credential_refresher,
    datapath,
    dependency_disruption,
    disabled_command,
    disk_arrivals,
    dns_scope,
    dns_stall,
    dns_sync_flags,
    empty_value,
    entrypoint_role,
    expiry_rule,
    field_meaning,
    field_stripped,
    file_reaper,
    flag_heap,
    flag_key,
    full_volume,
    gitops_revert,
    governing_change,
    hash_balance,
    heap_ceiling,
    held_horizon,
    idle_limit,
    image_automation,
    ingress_access,
    ingress_annotations,
    ingress_routes,
    inode_change,
    issuer_solver,
    job_built_target,
    job_changes,
    join_without_data,
    keepalive_race,
    kubelet_cert,
    lb_healthcheck,
    lb_idle_raised,
    limit_hit,
    limits,
    loopback_family,
    loopback_nodeport,
    meaning,
    memory_setting,
    mesh,
    mesh_fault,
    migrations,
    namespace_subject,
    node_daemonsets,
    node_split,
    node_taint,
    path_rewrite,
    paused_consumer,
    pid_pressure,
    planner_setting,
    pointers,
    provenance,
    proxy_cost,
    pull_secret_source,
    qos_drop,
    quorum_budget,
    registry_cleanup,
    related_changes,
    renamed_target,
    replica_writes,
    restore_overwrite,
    rollout_budget,
    rotation_mode,
    route_weights,
    runtime_registry_config,
    scale_reset,
    server_first_sidecar,
    service_path,
    serving_chain,
    setting_effect,
    shared_container,
    shutdown_config,
    site,
    snapshot_fork,
    storage_change,
    subject_resolve,
    symptom_fit,
    syn_retry_step,
    tightened,
    time_limit,
    tls_policy,
    topology_routing,
    unexpanded,
    unheard_dependency,
    unverified,
    upstream_trust,
    values_ignored,
    vpa_evictions,
    write_semantics,
)
from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.subject import Subject, workload_of_pod
from guardrails.injection import scan as injection_scan

RELATION_WEIGHT = {"subject": 0.35, "dependency": 0.35, "node": 0.3, "dns": 0.25, "neighbour": 0.25,
                   "named": 0.2, "symptom": 0.2, "namespace": 0.15, "cluster": 0.0}
"""`named`: the object's name is built on a label value of the alert (an exporter's consumer group,
topic or job), or its namespace is one of their parts."""
"""How much being related to the incident in each way adds to a suspect's score."""

CONNECTIVITY_ERRORS = frozenset({"connection_refused", "connection_timeout", "dns_failure", "upstream_reset",
                                 "unavailable", "no_route", "tls_error", "http_5xx", "db_error",
                                 connections.LIMIT_CLASS})
"""Error classes that mean "something I call is failing", which makes the caller a likely victim."""

WINDOW_BEFORE = timedelta(hours=6)
"""How far before the symptom a change still counts as a possible trigger, and how old a pod's last
crash may be before it is history rather than this incident."""

PROBLEM_OF_CHECK: tuple[tuple[str, str], ...] = (
    ("certificate.", "certificate"), ("ingress.missing_tls", "certificate"), ("dns.", "dns"),
    ("netpol.blocks_dns", "dns"), ("pvc.", "pvc"), ("pv.", "pvc"), ("pod.mount", "pvc"), ("node.pressure", "evict"),
    ("node.", "node"), ("quota.", "quota"), ("hpa.", "hpa"), ("job.", "job"), ("cronjob.", "job"),
    ("pod.oomkilled", "oom"), ("pod.image_pull", "image"), ("ingress.", "ingress"), ("webhook.", "webhook"),
    ("pod.evicted", "evict"), ("pdb.", "drain"),
)
"""The kind of problem (agent.triage.subject.PROBLEM_WORDS) each scan check is evidence of."""

_LAST_SIGN = ("last_finished", "last_seen", "last_transition", "finished_at")
"""Details that say when a problem last showed; older than the window means it is history."""


@dataclass
class Candidate:
    """One ranked hypothesis: what is wrong, how sure, and which evidence shows it."""

    cause: str
    confidence: float
    evidence: list[str]
    ref: Ref | None
    check: str
    victims: list[Ref] = field(default_factory=list)


@dataclass
class _Case:
    ref: Ref
    findings: list[dict[str, Any]]
    weight: float = 0.0
    relation: str = "cluster"
    explained_by: list[Ref] = field(default_factory=list)
    explains: list[Ref] = field(default_factory=list)
    change: dict[str, Any] | None = None
    log: LogEvidence | None = None
    upstream: bool = False
    """A change upstream of the symptom (agent.triage.rank._upstream_changes): related as a dependency."""
    explains_refs: list[Ref] = field(default_factory=list)
    """Objects this suspect explains by what it is (a client that took a datastore's connections explains the
    datastore, its limit and the other clients), linked before the links read from the findings' words."""
    named_in_logs: bool = False
    """Another workload's error logs name this object's host: the failing call points here."""
    evidence: list[str] = field(default_factory=list)
    _text: str | None = field(default=None, repr=False)
    symptoms: frozenset[str] = symptom_fit.ALL
    """What the incident shows, for choosing a headline finding that can explain it (agent.triage.symptom_fit)."""

    @property
    def primary(self) -> dict[str, Any]:
        return max(self.findings, key=symptom_fit.headline_key(self.symptoms, cause_weight))

    def pods(self) -> set[str]:
        out = {str(p) for f in self.findings for p in f.get("pods") or []}
        for f in self.findings:  # a CronJob's finding lists its Jobs; their pods are in the details
            listed = (f.get("details") or {}).get("pods")
            out.update(str(p) for p in listed or [] if isinstance(listed, list))
        return out

    def text(self) -> str:
        """Everything the findings say, for spotting which other objects they name (built once: the
        links between suspects compare every pair)."""
        if self._text is not None:
            return self._text
        parts: list[str] = []
        for f in self.findings:
            parts += [str(f.get("message") or ""), *[str(e) for e in f.get("evidence") or []]]
            parts += [str(v) for v in (f.get("details") or {}).values()]
        self._text = "\n".join(parts).lower()
        return self._text

    def nodes(self) -> set[str]:
        """The nodes its findings place it on: `node`/`nodes`, and keys naming a kind of node (`cordoned_nodes`,
        `target_node`), so a disruption budget holding pods on a cordoned node is on that node; keys that list
        pods (`pods_on_cordoned_nodes`) name pods, not nodes."""
        out: set[str] = set()
        for f in self.findings:
            details = f.get("details") or {}
            for key, value in details.items():
                naming_nodes = key.endswith(("_node", "_nodes")) and not key.startswith("pod")
                if key not in ("node", "nodes") and not naming_nodes:
                    continue
                if isinstance(value, str) and value:
                    out.add(value)
                elif isinstance(value, list):
                    out.update(str(v) for v in value if isinstance(v, str))
        return out


CHECK_WEIGHT: dict[str, float] = {
    # The scan's checks (docs/scan.md). High: a problem that explains others and is itself the thing
    # to fix. Low: a consequence (a Deployment short of replicas, a Service without endpoints).
    "pod.oomkilled": 0.9, "pod.image_pull": 0.9, "pod.config_error": 0.9, "pod.init_failed": 0.85,
    "pod.mount_failed": 0.85, "pod.start_error": 0.85, "pod.crashloop": 0.75, "pod.pending": 0.75,
    "pod.not_ready": 0.7, "pod.failed": 0.6, "pod.restarting": 0.55, "pod.evicted": 0.5,
    "workload.failed_create": 0.5, "workload.rollout_stuck": 0.45, "workload.unavailable": 0.4,
    "service.selector_mismatch": 0.8, "service.target_port": 0.8, "service.no_endpoints": 0.45,
    "ingress.missing_backend": 0.8, "ingress.missing_class": 0.8, "ingress.missing_tls_secret": 0.8,
    "pvc.missing_storage_class": 0.85, "pvc.lost": 0.8, "pvc.pending": 0.75,
    "node.not_ready": 0.85, "node.pressure": 0.8, "node.cordoned": 0.6,
    "hpa.missing_target": 0.8, "hpa.metrics_unavailable": 0.65, "hpa.at_max": 0.55,
    "job.failed": 0.7, "cronjob.failing": 0.7, "cronjob.suspended": 0.5, "pdb.no_disruptions": 0.2,
    "pdb.blocks_drain": 0.85, "pdb.overlapping": 0.6, "pv.node_affinity_unschedulable": 0.9,
    "netpol.blocks_dns": 0.85, "netpol.selects_nothing": 0.3, "certificate.expired": 0.9,
    "certificate.not_ready": 0.8, "certificate.expiring": 0.4, "webhook.missing_service": 0.85,
    "webhook.no_endpoints": 0.85, "quota.exhausted": 0.85, "rbac.forbidden": 0.75, "dns.unhealthy": 0.85,
    "dependency.unhealthy": 0.7, "change.upstream": 0.65, "credential.rejected": 0.8,
    "config.limit": limits.STRONG, "netpol.blocks_egress": 0.9, "connections.exhausted": connections.WEIGHT,
    migrations.CHECK: migrations.WEIGHT, changed_keys.CHECK: changed_keys.WEIGHT,
    empty_value.CHECK: empty_value.WEIGHT, image_automation.CHECK: image_automation.WEIGHT,
    configmap_keys.CHECK: configmap_keys.WEIGHT, entrypoint_role.CHECK: entrypoint_role.WEIGHT,
    server_first_sidecar.CHECK: server_first_sidecar.WEIGHT,
    analysis_query.CHECK: analysis_query.WEIGHT,
    clock.CHECK: clock.WEIGHT, clock.DRIFT: clock.DRIFT_WEIGHT, storage_change.CHECK: storage_change.WEIGHT,
    mesh.CHECK: mesh.WEIGHT, full_volume.CHECK: full_volume.WEIGHT,
    inode_change.CHECK: inode_change.WEIGHT,  # above full_volume's claim
    "job.blocks_cronjob": 0.9, "cronjob.runs_overlap": 0.7, "node.pod_ips_exhausted": 0.9,
    "pod.evicted_storage_limit": 0.85, "pod.topology_spread": 0.85,
    **pointers.weights(),
    backlog.CHECK: backlog.WEIGHT, kubelet_cert.CHECK: kubelet_cert.WEIGHT, replica_writes.CHECK: replica_writes.WEIGHT,
    restore_overwrite.CHECK: restore_overwrite.WEIGHT,
    job_built_target.CHECK: job_built_target.WEIGHT,
    "node.image_fs_full": 0.92,  # the workload whose images fill a node (scan check imagefs)
    datapath.CHECK: datapath.WEIGHT, lb_healthcheck.CHECK: lb_healthcheck.WEIGHT,
    client_balancing.CHECK: client_balancing.WEIGHT,
    pid_pressure.CHECK: pid_pressure.WEIGHT, related_changes.CHECK: related_changes.WEIGHT,
    setting_effect.CHECK: setting_effect.WEIGHT, ingress_annotations.CHECK: ingress_annotations.WEIGHT,
    browser_policy.CHECK: browser_policy.WEIGHT, cookie_samesite.CHECK: cookie_samesite.WEIGHT,
    field_meaning.CHECK: field_meaning.WEIGHT, scale_reset.CHECK: scale_reset.WEIGHT,
    config_behind_restart.CHECK: config_behind_restart.WEIGHT, actor_chain.CHECK: actor_chain.WEIGHT,
    costly_setting.CHECK: costly_setting.WEIGHT, proxy_cost.CHECK: proxy_cost.WEIGHT,
    snapshot_fork.CHECK: snapshot_fork.WEIGHT, planner_setting.CHECK: planner_setting.WEIGHT,
    quorum_budget.CHECK: quorum_budget.WEIGHT, serving_chain.CHECK: serving_chain.WEIGHT,
    field_stripped.CHECK: field_stripped.WEIGHT,
    unverified.CHECK: unverified.WEIGHT, unexpanded.CHECK: unexpanded.WEIGHT,
    values_ignored.CHECK: values_ignored.WEIGHT,
    ingress_access.CHECK: ingress_access.WEIGHT,
    dependency_disruption.CHECK: dependency_disruption.WEIGHT, qos_drop.CHECK: qos_drop.WEIGHT,
    vpa_evictions.CHECK: vpa_evictions.WEIGHT,
    shutdown_config.CHECK: shutdown_config.WEIGHT, credential_refresher.CHECK: credential_refresher.WEIGHT,
    pull_secret_source.CHECK: pull_secret_source.WEIGHT, registry_cleanup.CHECK: registry_cleanup.WEIGHT,
    runtime_registry_config.CHECK: runtime_registry_config.WEIGHT, disk_arrivals.CHECK: disk_arrivals.WEIGHT,
    tightened.CHECK: tightened.WEIGHT, conn_settings.CHECK: conn_settings.WEIGHT,
    time_limit.CHECK: time_limit.WEIGHT, syn_retry_step.CHECK: syn_retry_step.WEIGHT,
    upstream_trust.CHECK: upstream_trust.WEIGHT, dns_sync_flags.CHECK: dns_sync_flags.WEIGHT,
    concurrency_cap.CHECK: concurrency_cap.WEIGHT, concurrency_cap.CHECK_UNRELATED: concurrency_cap.WEIGHT_UNRELATED,
    paused_consumer.CHECK: paused_consumer.WEIGHT, node_split.CHECK: node_split.WEIGHT,
    shared_container.CHECK: shared_container.WEIGHT, dns_stall.CHECK: dns_stall.WEIGHT,
    governing_change.CHECK: governing_change.WEIGHT,
    limit_hit.CHECK: limit_hit.WEIGHT, limit_hit.SENDS: limit_hit.SENDS_WEIGHT,
    memory_setting.CHECK: memory_setting.WEIGHT,
    heap_ceiling.CHECK: heap_ceiling.WEIGHT,
    loopback_family.CHECK: loopback_family.WEIGHT,
    flag_heap.CHECK: flag_heap.WEIGHT,
    held_horizon.CHECK: held_horizon.WEIGHT,
    join_without_data.CHECK: join_without_data.WEIGHT,
    disabled_command.CHECK: disabled_command.WEIGHT,
    consumer_reset.CHECK: consumer_reset.WEIGHT,
    keepalive_race.CHECK: keepalive_race.WEIGHT, path_rewrite.CHECK: path_rewrite.WEIGHT,
    lb_idle_raised.CHECK: lb_idle_raised.WEIGHT,
    conntrack_idle.CHECK: conntrack_idle.WEIGHT,
    loopback_nodeport.CHECK: loopback_nodeport.WEIGHT,
    tls_policy.CHECK: tls_policy.WEIGHT,
    idle_limit.CHECK: idle_limit.WEIGHT, flag_key.CHECK: flag_key.WEIGHT,
    service_path.CHECK_LOCAL: service_path.WEIGHT, service_path.CHECK_PINNED: service_path.WEIGHT,
    topology_routing.CHECK: topology_routing.WEIGHT, route_weights.CHECK: route_weights.WEIGHT,
    hash_balance.CHECK: hash_balance.WEIGHT,
    cache_flush.CHECK: cache_flush.WEIGHT,
    mesh_fault.CHECK: mesh_fault.WEIGHT,
    gitops_revert.CHECK: gitops_revert.WEIGHT, job_changes.CHECK: job_changes.WEIGHT,
    renamed_target.CHECK: renamed_target.WEIGHT, node_daemonsets.CHECK: node_daemonsets.WEIGHT,
    node_taint.CHECK: node_taint.WEIGHT,
    dns_scope.CHECK: dns_scope.WEIGHT,
    issuer_solver.CHECK: issuer_solver.WEIGHT,
    acme_client.CHECK: acme_client.WEIGHT,
    admission_rule.CHECK: admission_rule.WEIGHT,
    apiserver_flood.CHECK: apiserver_flood.WEIGHT, creation_template.CHECK: creation_template.WEIGHT,
    file_reaper.CHECK: file_reaper.WEIGHT, rotation_mode.CHECK: rotation_mode.WEIGHT,
    co_tenant.LOAD_CHECK: co_tenant.WEIGHT, co_tenant.IDENTITY_CHECK: co_tenant.WEIGHT,
    access_rule.CHECK: access_rule.WEIGHT,
    write_semantics.CHECK: write_semantics.WEIGHT,
    expiry_rule.CHECK: expiry_rule.WEIGHT,
    **provenance.WEIGHTS, **behind.WEIGHTS,
    **ingress_routes.WEIGHTS,  # routes that collide or churn the controller (scan check routes)
}
"""How likely each kind of problem is a cause rather than a consequence (0..1)."""

ANSWER_FLOOR = 0.3
"""A suspect scoring at or under this is no answer: too little ties it to the incident."""
UNVERIFIED = 0.2
"""A scan finding whose absence the recording cannot confirm (the kind was not collected): any real evidence
outranks it; it stays listed so a person can check."""

_FALLBACK_WEIGHTS: tuple[tuple[str, float], ...] = (
    # Checks of another scanner (an external server, a newer Vigil): a word of the id or reason decides.
    ("oom", 0.9), ("image", 0.9), ("config", 0.85), ("init", 0.85), ("webhook", 0.85), ("quota", 0.85),
    ("storage", 0.85), ("cert", 0.85), ("dns", 0.85), ("node", 0.8), ("crash", 0.75), ("pending", 0.75),
    ("probe", 0.7), ("ready", 0.7), ("evict", 0.5), ("endpoint", 0.45), ("unavailable", 0.4),
)


IN_CONTEXT_WEIGHT: dict[str, dict[str, float]] = {
    # When the incident is about one kind of problem, some findings change role. A drain or node
    # upgrade that cannot evict is blocked by a PodDisruptionBudget allowing no disruption; the
    # cordoned node is the drain itself doing its job, not a cause.
    "drain": {"pdb.no_disruptions": 0.85, "node.cordoned": 0.3},
}


UNDECLARED_PORT = 0.3
"""A numeric targetPort no container declares: a lead, not a fault (the number works undeclared)."""
PORT_MOVE_LEAD = timedelta(hours=6)
"""How recent a write that set a Service's targetPort makes an undeclared number the likely fault."""


def targetport_moved(facts: Facts) -> set[Ref]:
    """Services whose targetPort a write set within PORT_MOVE_LEAD: an undeclared number there is where the
    traffic was just sent, and nothing declared listens on it, so that finding weighs as a fault again."""
    moved: set[Ref] = set()
    for change, _, ref in facts.writes_to(("Service",), within=PORT_MOVE_LEAD, deletions=False):
        text = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        if "targetport" in text.lower():
            moved.add(ref)
    return moved


def _port_weight(findings: list[dict[str, Any]], moved: set[Ref]) -> float:
    """The weight of an undeclared numeric targetPort on a Service in `moved` (0 when none is there).

    An undeclared number is usually a lead, not a fault: the process listens there without declaring it
    (UNDECLARED_PORT). On a Service whose targetPort a write just set, it is where the traffic was just sent and
    nothing declared listens there, so the finding weighs as the fault it then is (the check's full weight).
    The first such finding decides: every one weighs the same."""
    for finding in findings:
        if finding.get("reason") != "TargetPortUndeclared":
            continue
        service = Ref.of(finding.get("object"))
        if service is not None and any(service.same_object(ref) for ref in moved):
            return CHECK_WEIGHT["service.target_port"]
    return 0.0


def weight_in_context(finding: dict[str, Any], problems: set[str]) -> float:
    """The cause weight of a finding for an incident about `problems` (see IN_CONTEXT_WEIGHT)."""
    check = str(finding.get("check") or "")
    for problem in sorted(problems):
        if check in IN_CONTEXT_WEIGHT.get(problem, {}):
            return IN_CONTEXT_WEIGHT[problem][check]
    return cause_weight(finding)


def cause_weight(finding: dict[str, Any]) -> float:
    """How likely this finding's kind of problem is a cause rather than a consequence (0..1)."""
    check = str(finding.get("check") or "").lower()
    if check == "config.limit" and finding.get("severity") != "critical":
        return limits.WEAK
    if check == "service.target_port" and finding.get("reason") == "TargetPortUndeclared":
        return UNDECLARED_PORT
    if check == "workload.missing_service" and finding.get("severity") != "critical":
        return UNVERIFIED  # every replica ready: the pods' own working contradicts "their names do not resolve"
    if (finding.get("details") or {}).get("absence_known") is False:
        return UNVERIFIED  # "not collected, cannot check": the recording's gap, not evidence of a cause
    if check in CHECK_WEIGHT:
        return CHECK_WEIGHT[check]
    text = f"{check} {finding.get('reason', '')}".lower()
    return next((weight for word, weight in _FALLBACK_WEIGHTS if word in text), 0.5)


def rank(subject: Subject, facts: Facts, resolved: set[str] | None = None) -> list[Candidate]:
    """Hypotheses, strongest first; empty when the evidence supports none (an honest unknown)."""
    cases = _cases(facts, subject.problems)
    definite = subject.known or bool(resolved)
    _link_declared(cases)
    _link(cases)
    topology = _topology_relations(facts)
    log_hosts = {h.lower() for log in facts.logs for h in log.hosts}
    for case in cases.values():
        case.relation = _relation(case, subject, topology, log_hosts, resolved or set(), definite)
        case.change = _change_for(case, facts)
        written = unverified.promoted(case.ref, case.findings, case.change, facts.at)  # the write, not the gap
        if written is not None:
            case.findings.append(written)
            case.weight = max(case.weight, CHECK_WEIGHT.get(written["check"], unverified.WEIGHT))
        case.log = _log_for(case, facts.logs) or case.log
        case.evidence = list(dict.fromkeys(case.evidence + [e for e in (
            facts.scan_id, case.log.evidence_id if case.log else None,
            facts.changes_id if case.change else None) if e]))
    _link_by_logs(cases)
    _named_in_logs(cases, facts.logs)
    _inherit(cases)
    scored = sorted(((round(_score(c, cases) - chronic.penalty(c.findings, facts.at, c.change is not None, c.relation),
                            3), c) for c in cases.values()), key=lambda sc: -sc[0])
    scored = _on_named_node_first(scored, subject)
    scored = symptom_fit.order(scored, lambda c: c.findings, symptom_fit.shown(  # a misfit never outranks a fit
        subject.problems, [log.error_classes for log in facts.logs]))
    related = [(s, c) for s, c in scored if c.relation != "cluster"]
    if definite and not related:
        return _said_back(_without_findings(subject, facts))
    pool = related if definite else scored
    out = [_candidate(case, score, cases, facts) for score, case in pool if score > ANSWER_FLOOR]
    hog = _hog(out[0], cases, facts) if out else None
    if hog is not None:
        out.insert(0, hog)
    return _said_back(out[:5] or _without_findings(subject, facts))


def _on_named_node_first(scored: list[tuple[float, _Case]], subject: Subject) -> list[tuple[float, _Case]]:
    """A suspect far from the node the incident names never outranks one found on that node.

    "What is wrong with node X?" is answered on X: a finding whose details place it on a node the incident names (a
    pod hogging that node's CPU, its disk, its memory) is the answer's ground. A suspect with no tie to that node (no
    finding on it, not the incident's subject, in a namespace neither the incident nor any on-node suspect is in)
    may score higher by its own weight and a recent write (a routing change to another team's Service), but it is a
    red herring for this question: it is placed just below the best on-node suspect, its own order kept. Only an
    on-node suspect that is an answer itself (above ANSWER_FLOOR) does this: a weak one (the node's own cordon, say)
    would otherwise drag a strong suspect under the floor and turn an answer into "unknown"."""
    def on_node(case: _Case) -> bool:
        return any(subject.mentions(n) for n in case.nodes())

    near = [(score, case) for score, case in scored if on_node(case)]
    if not near:
        return scored
    cap = round(max(score for score, _ in near) - 0.01, 3)
    if cap <= ANSWER_FLOOR:
        return scored
    namespaces = {case.ref.namespace for _, case in near} | {subject.namespace}

    def far(case: _Case) -> bool:
        return not on_node(case) and case.relation != "subject" and bool(case.ref.namespace) and \
            case.ref.namespace not in namespaces and not subject.mentions(case.ref.namespace)

    capped = [(min(score, cap) if far(case) else score, case) for score, case in scored]
    return sorted(capped, key=lambda sc: -sc[0])


def _said_back(candidates: list[Candidate]) -> list[Candidate]:
    """Each candidate with what its quoted errors mean (agent.triage.meaning), once."""
    return [c if "Meaning: " in c.cause else replace(c, cause=meaning.annotate(c.cause)) for c in candidates]


def _cases(facts: Facts, problems: set[str]) -> dict[Ref, _Case]:
    cases: dict[Ref, _Case] = {}
    for finding in facts.findings():
        ref = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
        if ref is None or _stale(finding, facts):
            continue
        cases.setdefault(ref, _Case(ref, [])).findings.append(finding)
    for data, evidence_id in facts.topologies:
        for dep in data.get("dependencies") or []:
            target = Ref.of(dep.get("target")) if isinstance(dep, dict) else None
            if target is None or dep.get("healthy") is not False or unheard_dependency.unheard(dep, facts):
                continue  # a missing Service no log in view fails to reach (agent.triage.unheard_dependency)
            if any(target.same_object(r) or _backs(r, target) for r in cases):
                continue
            cases[target] = _Case(target, [{"check": "dependency.unhealthy", "severity": "critical",
                                            "object": dep.get("target"), "reason": "DependencyUnhealthy",
                                            "message": f"{target} is unhealthy: {dep.get('detail') or 'no detail'}",
                                            "evidence": [str(dep.get("via") or "")], "details": {}}])
            cases[target].evidence.append(evidence_id)
    _rejected_credentials(cases, facts)
    _upstream_changes(cases, facts)
    _configured_limits(cases, facts)
    for k in changed_keys.matches(facts):  # a changed setting the errors name (agent.triage.changed_keys)
        _add_suspect(cases, k.target, changed_keys.finding(k), k.log,
                     [e for e in (facts.changes_id, k.log.evidence_id) if e])
    for m in migrations.migrations(facts):  # a schema change before slow queries (agent.triage.migrations)
        _add_suspect(cases, m.job, migrations.finding(m), m.log,
                     [e for e in (facts.changes_id, m.log.evidence_id) if e])
    for ev in empty_value.found(facts):  # a rollout rendered a value empty (agent.triage.empty_value)
        _add_suspect(cases, ev.target, empty_value.finding(ev, facts), ev.log, ev.evidence)
    for ux in unexpanded.found(facts):  # a placeholder delivered unexpanded (agent.triage.unexpanded)
        _add_suspect(cases, ux.target, unexpanded.finding(ux, facts), ux.log, ux.evidence)
        next(c for r, c in cases.items() if r.same_object(ux.target)).explains_refs += ux.explains
    for vi in values_ignored.found(facts):  # a chart upgrade ignores a values block (agent.triage.values_ignored)
        _add_suspect(cases, vi.release, values_ignored.finding(vi), vi.log, vi.evidence)
        next(c for r, c in cases.items() if r.same_object(vi.release)).explains_refs += vi.explains
    for dk in configmap_keys.found(facts):  # a ConfigMap swap that lost keys (agent.triage.configmap_keys)
        _add_suspect(cases, dk.config, configmap_keys.finding(dk), dk.log, dk.evidence)
        next(c for r, c in cases.items() if r.same_object(dk.config)).explains_refs.append(dk.workload)
    for rl in entrypoint_role.found(facts):  # args handed to a new ENTRYPOINT (agent.triage.entrypoint_role)
        _add_suspect(cases, rl.workload, entrypoint_role.finding(rl), None, rl.evidence)
    for sf in server_first_sidecar.found(facts):  # a sidecar sniffing a server-first port (server_first_sidecar)
        _add_suspect(cases, sf.switch, server_first_sidecar.finding(sf, facts), None, sf.evidence)
        next(c for r, c in cases.items() if r.same_object(sf.switch)).explains_refs.append(sf.workload)
    for ch in image_automation.found(facts):  # the policy that chose the tag (agent.triage.image_automation)
        _add_suspect(cases, ch.policy, image_automation.finding(ch), None, ch.evidence)
        next(c for r, c in cases.items() if r.same_object(ch.policy)).explains_refs.append(ch.workload)
    for bq in analysis_query.found(facts):  # a template's query selects nothing (agent.triage.analysis_query)
        _add_suspect(cases, bq.template, analysis_query.finding(bq), None, bq.evidence)
        if bq.owner is not None:
            next(c for r, c in cases.items() if r.same_object(bq.template)).explains_refs.append(bq.owner)
    _exhausted_connections(cases, facts)
    _skewed_clocks(cases, facts)
    _storage_fillings(cases, facts)
    _full_volumes(cases, facts)
    for multi in inode_change.multiplied(facts):  # a claim out of inodes: the change that multiplied small files
        _add_suspect(cases, multi.target, inode_change.finding(multi), None, multi.found.evidence)
        next(c for r, c in cases.items() if r.same_object(multi.target)).explains_refs += inode_change.explained(multi)
    for plain in mesh.plaintext_calls(facts):  # a client without a sidecar, a STRICT mTLS policy (agent.triage.mesh)
        _add_suspect(cases, plain.policy, mesh.finding(plain, facts), None, plain.evidence)
    for s in pointers.suspects(facts):  # a reference that points nowhere (agent.triage.pointers)
        _add_suspect(cases, s.ref, s.finding, s.log, s.evidence)
        next(c for r, c in cases.items() if r.same_object(s.ref)).explains_refs += s.explains
    for rn in renamed_target.renames(facts):  # a rename that left a reference behind (agent.triage.renamed_target)
        _add_suspect(cases, rn.replacement, renamed_target.finding(rn), None, list(rn.evidence))
        next(c for r, c in cases.items() if r.same_object(rn.replacement)).explains_refs.append(rn.referrer)
    for gap in node_daemonsets.gaps(facts):  # a node add-on a change cut from the node (agent.triage.node_daemonsets)
        _add_suspect(cases, gap.daemonset, node_daemonsets.finding(gap), None, gap.evidence)
    for nt in node_taint.taints(facts):  # a taint/cordon its pods felt (agent.triage.node_taint)
        _add_suspect(cases, Ref("Node", "", nt.node), node_taint.finding(nt), None, nt.evidence)
    for scope in dns_scope.found(facts):  # a DNS controller's scope narrowed off the hosts (agent.triage.dns_scope)
        _add_suspect(cases, scope.target, dns_scope.finding(scope, facts.at), None, scope.evidence)
    for brk in issuer_solver.breaks(facts):  # an issuer's solver written, Challenges fail (agent.triage.issuer_solver)
        _add_suspect(cases, brk.issuer, issuer_solver.finding(brk, facts.at), None, brk.evidence)
    for acme in acme_client.found(facts):  # an ACME client's challenge settings written (agent.triage.acme_client)
        _add_suspect(cases, acme.target, acme_client.finding(acme, facts.at), None, acme.evidence)
    for rule in admission_rule.found(facts):  # a rule written, then refusing (agent.triage.admission_rule)
        _add_suspect(cases, rule.target, admission_rule.finding(rule, facts.at), None, rule.evidence)
        next(c for r, c in cases.items() if r.same_object(rule.target)).explains_refs.append(rule.asker)
    for fl in apiserver_flood.floods(facts):  # who floods the API server (agent.triage.apiserver_flood)
        _add_suspect(cases, fl.client, apiserver_flood.finding(fl), None, fl.evidence)
        next(c for r, c in cases.items() if r.same_object(fl.client)).explains_refs += fl.victims
    for c in backlog.culprits(facts):  # what let a broker fill until it refused writes (agent.triage.backlog)
        _add_suspect(cases, c.target, backlog.finding(c), None, [e for _, e in facts.history] or
                     [e for e in (facts.changes_id,) if e])
        next(x for r, x in cases.items() if r.same_object(c.target)).explains_refs += backlog.explained(
            c, {r: x.explains_refs for r, x in cases.items()})
    for block in blocked.blocks(facts):
        _add_suspect(cases, block.policy, block.finding, block.log, [block.evidence_id, block.log.evidence_id])
    _node_and_path_changes(cases, facts)
    for pin in replica_writes.pinned(facts):  # writes refused by a replica: the setting that names the host
        _add_suspect(cases, pin.setting, replica_writes.finding(pin), pin.log, pin.evidence)
        next(c for r, c in cases.items() if r.same_object(pin.setting)).explains_refs += [
            w for w in (pin.workload,) if w is not None and not w.same_object(pin.setting)]
    for se in setting_effect.effects(facts):  # a config file's setting that moved the workload's series
        _add_suspect(cases, se.target, setting_effect.finding(se), None, se.evidence)
        next(c for r, c in cases.items() if r.same_object(se.target)).explains_refs += se.users
    for ia in ingress_annotations.fits(facts):  # an Ingress annotation whose own error clients get
        _add_suspect(cases, ia.ingress, ingress_annotations.finding(ia), None, ia.evidence)
        next(c for r, c in cases.items() if r.same_object(ia.ingress)).explains_refs += ia.backends
    for bp in browser_policy.excluded(facts):  # a written CORS/CSP policy the browser's refusals show
        _add_suspect(cases, bp.policy.target, browser_policy.finding(bp), None, bp.evidence)
    for ck in cookie_samesite.hardened(facts):  # a session cookie made SameSite=Strict: logins lose their state
        _add_suspect(cases, ck.target, cookie_samesite.finding(ck), ck.log, ck.evidence)
    for fm in field_meaning.suspects(facts):  # a field write whose signature the victim prints (triage.field_meaning)
        _add_suspect(cases, fm.target, field_meaning.finding(fm), fm.log, [e for e in (facts.changes_id,) if e])
        next(c for r, c in cases.items() if r.same_object(fm.target)).explains_refs += fm.victims
    for sr in scale_reset.found(facts):  # a deploy tool's replicas write that cut an autoscaled scale (its module)
        _add_suspect(cases, sr.target, scale_reset.finding(sr), None, [e for e in (facts.changes_id,) if e])
    mesh_cleared = mesh_fault.cleared(facts)  # a mesh limit/fault write whose mark the errors lack: not their cause
    for rc in related_changes.related(facts):  # a write to any kind touching the subject (triage.related_changes)
        if any(rc.target.same_object(c) for c in [*mesh_cleared, *claim_spec.cleared(facts)]):
            continue
        _add_suspect(cases, rc.target, related_changes.finding(rc), None, [e for e in (facts.changes_id,) if e])
        next(c for r, c in cases.items() if r.same_object(rc.target)).explains_refs += rc.victims
    for w in subject_resolve.written(facts):  # a write to the object the alert's values name (triage.subject_resolve)
        _add_suspect(cases, w.match.ref, subject_resolve.finding(w, related_changes.CHECK), None, w.evidence)
        next(c for r, c in cases.items() if r.same_object(w.match.ref)).explains_refs += w.victims
    for b in rollout_budget.budgets(facts):  # a strategy that lets a rollout leave no pod (triage.rollout_budget)
        _add_suspect(cases, b.target, rollout_budget.finding(b, related_changes.CHECK), None,
                     [e for e in (facts.changes_id,) if e])
    for jb in job_built_target.found(facts):  # a Job built the versioned index/table the failing queries name
        _add_suspect(cases, jb.job, job_built_target.finding(jb, facts.at), jb.log, jb.evidence)
    for ro in restore_overwrite.found(facts):  # a backup restore wrote an old credential over a live Secret
        _add_suspect(cases, ro.restore, restore_overwrite.finding(ro, facts.at), ro.log, ro.evidence)
    for ac in actor_chain.found(facts):  # a controller's config written before it acted on the path
        _add_suspect(cases, ac.config, actor_chain.finding(ac), None, ac.evidence)
    for cr in config_behind_restart.found(facts):  # a config loaded by a revisionless restart (its own module)
        _add_suspect(cases, cr.config, config_behind_restart.finding(cr), cr.log, [e for e in (facts.changes_id,) if e])
        next(c for r, c in cases.items() if r.same_object(cr.config)).explains_refs += cr.victims
    for cost in costly_setting.found(facts):  # callers time out: a recent change made each request cost more
        _add_suspect(cases, cost.target, costly_setting.finding(cost), cost.log, cost.evidence)
    for sf_target, sf_finding, sf_log, sf_evidence in snapshot_fork.suspects(facts):  # snapshots switched on
        _add_suspect(cases, sf_target, sf_finding, sf_log, sf_evidence)
    for ps_target, ps_finding, ps_log, ps_evidence in planner_setting.suspects(facts):  # a planner cost written
        _add_suspect(cases, ps_target, ps_finding, ps_log, ps_evidence)
    for sc_target, sc_finding, sc_log, sc_evidence in serving_chain.suspects(facts):  # a cert without its CA
        _add_suspect(cases, sc_target, sc_finding, sc_log, sc_evidence)
    for fs_target, fs_finding, fs_log, fs_evidence in field_stripped.suspects(facts):  # a needed field removed
        _add_suspect(cases, fs_target, fs_finding, fs_log, fs_evidence)
    for qb_ref, qb_finding, qb_log, qb_set in quorum_budget.suspects(facts):  # a budget letting a set lose its majority
        _add_suspect(cases, qb_ref, qb_finding, qb_log, [e for e in (facts.scan_id, qb_log.evidence_id) if e])
        next(c for r, c in cases.items() if r.same_object(qb_ref)).explains_refs += qb_set
    for pxc in proxy_cost.found(facts):  # a proxy write whose per-request cost its CPU and self-time show
        _add_suspect(cases, pxc.target, proxy_cost.finding(pxc), None, pxc.evidence)
    for dd in dependency_disruption.disruptions(facts):  # a callee's only pod disrupted, unprotected (own module)
        _add_suspect(cases, dd.workload, dependency_disruption.finding(dd), None, dd.evidence)
        next(c for r, c in cases.items() if r.same_object(dd.workload)).explains_refs += dd.victims
    for qd in qos_drop.found(facts):  # a rollout that left pods BestEffort, evicted first (triage.qos_drop)
        _add_suspect(cases, qd.workload, qos_drop.finding(qd, facts.at), None, qd.evidence)
    for ve in vpa_evictions.found(facts):  # a VPA evicting a workload too small to lose a pod (triage.vpa_evictions)
        _add_suspect(cases, ve.vpa, vpa_evictions.finding(ve), None, ve.evidence)
        next(c for r, c in cases.items() if r.same_object(ve.vpa)).explains_refs.append(ve.target)
    for rf in credential_refresher.found(facts):  # pulls refused: the CronJob renewing that Secret fails
        _add_suspect(cases, rf.cronjob, credential_refresher.finding(rf, facts.at), None, rf.evidence)
        next(c for r, c in cases.items() if r.same_object(rf.cronjob)).explains_refs += rf.victims
    for ls in pull_secret_source.found(facts):  # pulls refused, no pull secret: the ServiceAccount lost it
        _add_suspect(cases, ls.account, pull_secret_source.finding(ls, facts.at), None, ls.evidence)
        next(c for r, c in cases.items() if r.same_object(ls.account)).explains_refs.append(ls.workload)
    for rc_ in registry_cleanup.found(facts)[:1]:  # a pull now not found: a registry cleanup deleted the image
        _add_suspect(cases, rc_.cronjob, registry_cleanup.finding(rc_, facts.at), None, rc_.evidence)
        next(c for r, c in cases.items() if r.same_object(rc_.cronjob)).explains_refs.append(rc_.workload)
    for rr in runtime_registry_config.found(facts)[:1]:  # pulls unreachable: the nodes' registry config rewritten
        _add_suspect(cases, rr.writer, runtime_registry_config.finding(rr, facts.at), None, rr.evidence)
        next(c for r, c in cases.items() if r.same_object(rr.writer)).explains_refs += rr.victims
    for da in disk_arrivals.found(facts)[:1]:  # a node's DiskPressure: an unfenced disk-hungry pool just arrived
        _add_suspect(cases, da.creator, disk_arrivals.finding(da, facts.at), None, da.evidence)
        next(c for r, c in cases.items() if r.same_object(da.creator)).explains_refs.append(Ref("Node", "", da.node))
    for sw in shutdown_config.weakened(facts):  # errors at pod terminations: the revision that dropped the drain
        _add_suspect(cases, sw.workload, shutdown_config.finding(sw, facts.at), None, sw.evidence)
    for gr in gitops_revert.found(facts):  # a hand fix a GitOps controller wrote back (triage.gitops_revert)
        _add_suspect(cases, gr.owner or gr.workload, gitops_revert.finding(gr), None, gr.evidence)
        next(c for r, c in cases.items() if r.same_object(gr.owner or gr.workload)).explains_refs += [gr.workload]
    for jc in job_changes.found(facts):  # a Job's statement set what the clients' error names (triage.job_changes)
        _add_suspect(cases, jc.job, job_changes.finding(jc, facts.at), jc.log, jc.evidence)
        next(c for r, c in cases.items() if r.same_object(jc.job)).explains_refs += jc.victims
    for cs in conn_settings.found(facts):  # a connection-string parameter changed, its effect confirmed
        _add_suspect(cases, cs.target, conn_settings.finding(cs), None, cs.evidence)
    for rw in route_weights.found(facts):  # a traffic split moved weight to a backend that fails on its own
        _add_suspect(cases, rw.route, route_weights.finding(rw), None, rw.evidence)
    for mf in mesh_fault.found(facts):  # a mesh policy written whose proxy's own mark (FI, UO...) the errors carry
        _add_suspect(cases, mf.policy, mesh_fault.finding(mf), None, mf.evidence)
    for tr in topology_routing.found(facts):  # zone-local routing on a Service whose load it concentrated
        _add_suspect(cases, tr.service, topology_routing.finding(tr), None, tr.evidence)
    for hb in hash_balance.found(facts):  # a hash/sticky load-balancing policy whose key piled load on one pod
        _add_suspect(cases, hb.policy, hash_balance.finding(hb), None, hb.evidence)
    for cf in cache_flush.found(facts):  # a job flushing a cache tier whose hit ratio falls at each run
        _add_suspect(cases, cf.job, cache_flush.finding(cf), None, cf.evidence)
    for nl in service_path.found_local(facts):  # internalTrafficPolicy Local: callers fail only where no endpoint is
        _add_suspect(cases, nl.service, service_path.finding_local(nl), None, nl.evidence)
    for pn in service_path.found_pinned(facts):  # a virtual IP before gRPC/HTTP2: load pinned to a few pods
        _add_suspect(cases, pn.service, service_path.finding_pinned(pn), None, pn.evidence)
    for lf in loopback_family.found(facts):  # a rollout whose pods' localhost calls go to ::1, refused
        _add_suspect(cases, lf.target, loopback_family.finding(lf), None, lf.evidence)
    for fh in flag_heap.found(facts):  # a flag switched on; its reader out of heap since (flag_heap)
        _add_suspect(cases, fh.target, flag_heap.finding(fh), None, fh.evidence)
        next(c for r, c in cases.items() if r.same_object(fh.target)).explains_refs.append(fh.workload)
    for fk in flag_key.found(facts):  # a flag key its clients evaluate renamed or removed (triage.flag_key)
        _add_suspect(cases, fk.target, flag_key.finding(fk), None, fk.evidence)
        next(c for r, c in cases.items() if r.same_object(fk.target)).explains_refs += fk.clients
    for il in idle_limit.found(facts):  # a server idle limit lowered below its clients' pool (triage.idle_limit)
        _add_suspect(cases, il.limit.target, idle_limit.finding(il), None, il.evidence)
        next(c for r, c in cases.items() if r.same_object(il.limit.target)).explains_refs += il.clients
    for kr in keepalive_race.found(facts):  # a backend's idle timeout now below its proxy's: premature closes
        _add_suspect(cases, kr.workload, keepalive_race.finding(kr), None, kr.evidence)
    for li in lb_idle_raised.found(facts):  # a balancer's idle timeout now above its backend's keep-alive
        _add_suspect(cases, li.target, lb_idle_raised.finding(li), None, li.evidence)
    for cti in conntrack_idle.found(facts, problems):  # a node's conntrack established timeout below idle pools
        _add_suspect(cases, cti.target, conntrack_idle.finding(cti), None, cti.evidence)
    for lo in loopback_nodeport.found(facts):  # kube-proxy no longer serves NodePorts on 127.0.0.1
        _add_suspect(cases, lo.target, loopback_nodeport.finding(lo), None, lo.evidence)
    for pr in path_rewrite.found(facts):  # a path rewrite written: the backend 404s paths it served, a segment apart
        _add_suspect(cases, pr.rule, path_rewrite.finding(pr), None, pr.evidence)
    for tp in tls_policy.found(facts):  # a TLS policy raised that the clients' TLS library refuses (own module)
        _add_suspect(cases, tp.policy, tls_policy.finding(tp), None, tp.evidence)
        next(c for r, c in cases.items() if r.same_object(tp.policy)).explains_refs += tp.clients
    for dsf in dns_sync_flags.found(facts):  # a DNS controller's sync flags changed: its own sync errors since
        _add_suspect(cases, dsf.workload, dns_sync_flags.finding(dsf), None, dsf.evidence)
    for ut in upstream_trust.found(facts):  # a proxy's upstream CA bundle changed: x509 toward the backend
        _add_suspect(cases, ut.target, upstream_trust.finding(ut), None, ut.evidence)
        next(c for r, c in cases.items() if r.same_object(ut.target)).explains_refs += ut.generated  # its copies
    for tb in tightened.found(facts):  # a limit on the path made smaller that the errors say is hit (own module)
        _add_suspect(cases, tb.target, tightened.finding(tb), None, tb.evidence)
        next(c for r, c in cases.items() if r.same_object(tb.target)).explains_refs += tb.victims
    for tl in time_limit.found(facts):  # a time limit cut below the work it bounds (agent.triage.time_limit)
        _add_suspect(cases, tl.limit.target, time_limit.finding(tl), None, tl.evidence)
        next(c for r, c in cases.items() if r.same_object(tl.limit.target)).explains_refs += tl.holders
    for cc in concurrency_cap.found(facts):  # a concurrency cap cut that its server saturates (triage.concurrency_cap)
        _add_suspect(cases, cc.cut.target, concurrency_cap.finding(cc), None, cc.evidence)
        next(c for r, c in cases.items() if r.same_object(cc.cut.target)).explains_refs.append(cc.holder)
    for pc in paused_consumer.found(facts):  # a reader of the filling store paused (agent.triage.paused_consumer)
        _add_suspect(cases, pc.target, paused_consumer.finding(pc), None, pc.evidence)
    for ns in node_split.found(facts):  # a workload failing only on a node template's new nodes (node_split)
        _add_suspect(cases, ns.template, node_split.finding(ns), None, ns.evidence)
        next(c for r, c in cases.items() if r.same_object(ns.template)).explains_refs.append(ns.workload)
    for ct in creation_template.found(facts):  # a template whose objects made since fail (triage.creation_template)
        _add_suspect(cases, ct.template, creation_template.finding(ct), None, ct.evidence)
        next(c for r, c in cases.items() if r.same_object(ct.template)).explains_refs += ct.explains
    for fr in file_reaper.found(facts):  # a just-edited cleanup job deleting files in use (agent.triage.file_reaper)
        _add_suspect(cases, fr.job, file_reaper.finding(fr, facts.at), None, fr.evidence)
        next(c for r, c in cases.items() if r.same_object(fr.job)).explains_refs.append(fr.victim)
    for rm in rotation_mode.found(facts, problems):  # rotation off copytruncate, writer not told (rotation_mode)
        _add_suspect(cases, rm.target, rotation_mode.finding(rm, facts.at), None, rm.evidence)
    for ds in dns_stall.found(facts):  # lookups waiting out the resolver's 5 s timeout (agent.triage.dns_stall)
        _add_suspect(cases, ds.workload, dns_stall.finding(ds), None, ds.evidence)
    for sc in shared_container.found(facts):  # one injected container failing alike in many workloads
        _add_suspect(cases, sc.target, shared_container.finding(sc), None, sc.evidence)
        next(c for r, c in cases.items() if r.same_object(sc.target)).explains_refs += sc.workloads
    for gc in governing_change.found(facts):  # a write to the setting an error's meaning names (own module)
        _add_suspect(cases, gc.target, governing_change.finding(gc), None, gc.evidence)
        next(c for r, c in cases.items() if r.same_object(gc.target)).explains_refs += gc.victims
    for lh in limit_hit.found(facts):  # a limit the errors name made reachable by a change (agent.triage.limit_hit)
        _add_suspect(cases, lh.target, limit_hit.finding(lh), None, lh.evidence)
        if lh.victim is not None:
            next(c for r, c in cases.items() if r.same_object(lh.target)).explains_refs.append(lh.victim)
    for hh in held_horizon.found(facts):  # a job's long transaction holds the xmin horizon (own module)
        _add_suspect(cases, hh.target, held_horizon.finding(hh), None, hh.evidence)
    for ms in memory_setting.found(facts):  # a per-connection memory setting past the limit, server OOM-killed
        _add_suspect(cases, ms.carried.target, memory_setting.finding(ms), None, ms.evidence)
    for hc in heap_ceiling.found(facts):  # a runtime heap ceiling at/above the memory limit, OOM-killed since
        _add_suspect(cases, hc.ceiling.carrier, heap_ceiling.finding(hc), None, hc.evidence)
        next(c for r, c in cases.items() if r.same_object(hc.ceiling.carrier)).explains_refs.append(
            hc.ceiling.workload)
    for dc in disabled_command.found(facts):  # a server write took away the command/mode a client's error names
        _add_suspect(cases, dc.target, disabled_command.finding(dc), None, dc.evidence)
        next(c for r, c in cases.items() if r.same_object(dc.target)).explains_refs.append(dc.victim)
    for rs in consumer_reset.found(facts):  # a consumer identity renamed with the start at the beginning
        _add_suspect(cases, rs.target, consumer_reset.finding(rs), None, rs.evidence)
    for jd in join_without_data.found(facts):  # a datastore scaled out with its new members' bootstrap off
        _add_suspect(cases, jd.target, join_without_data.finding(jd), None, jd.evidence)
    for ld in co_tenant.loads(facts):  # another client of the victim's dependency loads it (triage.co_tenant)
        _add_suspect(cases, ld.target, co_tenant.load_finding(ld), None, ld.evidence)
        next(c for r, c in cases.items() if r.same_object(ld.target)).explains_refs.append(ld.victim)
    for co in co_tenant.collisions(facts):  # a workload that took the alerted consumer identity (triage.co_tenant)
        _add_suspect(cases, co.target, co_tenant.identity_finding(co, facts.at), None, co.evidence)
    for ar in access_rule.found(facts):  # a rule deciding who may do what narrowed before the refusals (access_rule)
        _add_suspect(cases, ar.rule, access_rule.finding(ar), None, ar.evidence)
        next(c for r, c in cases.items() if r.same_object(ar.rule)).explains_refs += ar.explains
    for ex in expiry_rule.found(facts):  # an expiry/TTL/lifecycle rule written before the data vanished
        _add_suspect(cases, ex.target, expiry_rule.finding(ex), None, ex.evidence)
        if ex.victim is not None:
            next(c for r, c in cases.items() if r.same_object(ex.target)).explains_refs.append(ex.victim)
    for ws in write_semantics.found(facts):  # a written value a datastore's semantics make harm (write_semantics)
        _add_suspect(cases, ws.target, write_semantics.finding(ws, facts.at), None, ws.evidence)
    for ref, found, evidence, explains in behind.suspects(facts):  # served APIs, scaling, alarms, nodes
        _add_suspect(cases, ref, found, None, evidence)
        next(c for r, c in cases.items() if r.same_object(ref)).explains_refs += explains
    symptoms = symptom_fit.shown(problems, [log.error_classes for log in facts.logs])
    moved = targetport_moved(facts)
    for case in cases.values():
        case.symptoms = symptoms  # a finding that cannot explain the symptom never heads its case
        case.weight = max(weight_in_context(f, problems) for f in symptom_fit.fitting(case.findings, symptoms))
        case.weight = max(case.weight, _port_weight(case.findings, moved))
        case.explains_refs += provenance.explained(case.findings)  # declared by the scan (agent.triage.provenance)
    return cases


CREDENTIAL_WORDS = ("password", "passwd", "token", "secret", "key", "credential", "auth", "dsn", "url", "user")
"""Words of an env var or volume that carries a credential; such Secrets are named first."""


def _rejected_credentials(cases: dict[Ref, _Case], facts: Facts) -> None:
    """When a workload's own calls are refused for authentication, the Secret it takes credentials
    from is a suspect: a rotated password, an expired token or a wrong key sits there, not in the
    pods (which only hold what they read at start). Names only; a Secret's values are never read."""
    for data, evidence_id in facts.topologies:
        subject = Ref.of(data.get("subject"))
        pods = {str(p.get("name")) for p in data.get("pods") or [] if isinstance(p, dict)}
        refused = next((log for log in facts.logs if log.pod in pods and "auth_failure" in log.error_classes), None)
        uses = [u for u in data.get("secrets") or [] if isinstance(u, dict) and u.get("via") != "imagePullSecrets"]
        if subject is None or refused is None or not uses:
            continue
        ranked = sorted(uses, key=lambda u: not any(w in str(u.get("via")).lower() for w in CREDENTIAL_WORDS))
        said = _auth_line(refused)
        for use in ranked[:2]:
            target = Ref.of(use.get("secret"))
            if target is None or any(target.same_object(r) for r in cases):
                continue
            _add_suspect(cases, target, {
                "check": "credential.rejected", "severity": "critical", "object": use.get("secret"),
                "reason": "CredentialRejected",
                "message": f"{target} gives {subject} its credentials ({use.get('via')}), and {subject}'s calls are "
                           f"refused for authentication: '{said}'. The credential its pods hold is wrong or stale: "
                           "a Secret rotated or edited after the pods started is not seen until they restart "
                           "(env), and a changed password or revoked token upstream makes the one here outdated.",
                "evidence": [said], "details": {"via": use.get("via"), "workload": str(subject)}},
                refused, [evidence_id, refused.evidence_id])


def _configured_limits(cases: dict[Ref, _Case], facts: Facts) -> None:
    """A setting in a ConfigMap that bounds the resource an error says ran out is a suspect (agent.triage.limits):
    the pods are healthy, the limit in their configuration is what the calls hit."""
    for match in limits.matches(facts):
        _add_suspect(cases, match.configmap, limits.finding(match), match.log,
                     [match.evidence_id, match.log.evidence_id])


def _exhausted_connections(cases: dict[Ref, _Case], facts: Facts) -> None:
    """A datastore at its connection limit (agent.triage.connections): the client whose change took the
    connections is the suspect, and explains the datastore, its limit's ConfigMap and the clients waiting;
    without such a change, the datastore (or the ConfigMap of its limit) with what to check."""
    for found in connections.exhaustions(facts):
        ref, finding = connections.finding(found)
        shown = found.said or found.victims[0]
        evidence = [e for e in (found.topology_id, shown.evidence_id, found.metrics_id) if e]
        existing = next((c for r, c in cases.items() if r.same_object(ref)), None)
        had_log = existing is not None and existing.log is not None
        _add_suspect(cases, ref, finding, shown, evidence)
        case = next(c for r, c in cases.items() if r.same_object(ref))
        if not had_log and workload_of_pod(shown.pod) != ref.name:
            case.log = None  # the datastore's words are quoted in the finding, never as the client's own logs
        if found.culprit is not None:
            case.explains_refs = connections.explained(found)


def _skewed_clocks(cases: dict[Ref, _Case], facts: Facts) -> None:
    """A node whose clock is wrong (agent.triage.clock) explains the time checks its pods fail; its finding
    quotes them, so the node's case carries no log of its own."""
    for skew in clock.skews(facts):
        ref, finding, evidence = clock.finding(skew)
        _add_suspect(cases, ref, finding, None, evidence)
        if skew.affected:  # gauges alone show no pod harmed by the clock: the node explains nothing yet
            next(c for r, c in cases.items() if r.same_object(ref)).explains_refs = skew.workloads


def _storage_fillings(cases: dict[Ref, _Case], facts: Facts) -> None:
    """A change that made a workload write more just before its pods were evicted for storage
    (agent.triage.storage_change) explains the evicted workload."""
    for filling in storage_change.fillings(facts):
        _add_suspect(cases, filling.target, storage_change.finding(filling), None,
                     [e for e in (facts.changes_id, facts.scan_id) if e])
        next(c for r, c in cases.items() if r.same_object(filling.target)).explains_refs.append(filling.workload)


def _full_volumes(cases: dict[Ref, _Case], facts: Facts) -> None:
    """A datastore whose volume is full (agent.triage.full_volume): the claim (or the node) is the suspect and
    explains the datastore and the clients it refuses; its finding quotes their logs."""
    for found in full_volume.fillings(facts):
        ref, finding = full_volume.finding(found)
        _add_suspect(cases, ref, finding, None, found.evidence)
        next(c for r, c in cases.items() if r.same_object(ref)).explains_refs += full_volume.explained(found)


def _node_and_path_changes(cases: dict[Ref, _Case], facts: Facts) -> None:
    """Causes below the workloads: a data-path agent's change before calls hang (agent.triage.datapath), a load
    balancer's settings changed (agent.triage.lb_healthcheck), the pod holding a PIDPressure node's PIDs
    (agent.triage.pid_pressure), which explains the node."""
    for path in datapath.changes(facts):
        _add_suspect(cases, path.target, datapath.finding(path), None,
                     [e for e in (facts.changes_id, path.log.evidence_id) if e])
    for sr in syn_retry_step.found(facts):  # a Service proxy mode switch whose dropped SYNs add a 1 s step
        _add_suspect(cases, sr.proxy.daemonset, syn_retry_step.finding(sr), None,
                     [e for e in (*sr.proxy.evidence, sr.step.evidence_id) if e])
    for lb in lb_healthcheck.changes(facts):
        _add_suspect(cases, lb.target, lb_healthcheck.finding(lb), None,
                     [e for e in (facts.changes_id, lb.evidence_id) if e])
    for pinned in client_balancing.found(facts):  # a caller's rollout dropped client-side balancing
        _add_suspect(cases, pinned.workload, client_balancing.finding(pinned), None,
                     [e for e in (facts.changes_id,) if e])
    for cert in kubelet_cert.expired(facts):  # a NotReady node's kubelet client certificate expired
        _add_suspect(cases, Ref("Node", "", cert.node), kubelet_cert.finding(cert), None, [cert.evidence_id])
    for hog in pid_pressure.hogs(facts):
        _add_suspect(cases, hog.workload, pid_pressure.finding(hog), None,
                     [e for e in (facts.scan_id, hog.metrics_id, hog.history_id) if e])
        case = next(c for r, c in cases.items() if r.same_object(hog.workload))
        case.explains_refs.append(Ref("Node", "", hog.node))


def _add_suspect(cases: dict[Ref, _Case], ref: Ref, finding: dict[str, Any], log: LogEvidence | None,
                 evidence: list[str]) -> None:
    """A suspect found upstream of the symptom (a limit, a policy): joined to that object's case when it has one
    (a change to the same ConfigMap or policy), with the log that shows the failure."""
    case = next((c for r, c in cases.items() if r.same_object(ref)), None)
    if case is None:
        case = cases[ref] = _Case(ref, [])
    case.findings.append(finding)
    case.upstream = True
    case.log = case.log or log
    case.evidence += evidence


def _auth_line(log: LogEvidence) -> str:
    """The log's authentication error as printed (the top error, or the first of the rest that is one)."""
    for error in [log.top or {}, *log.more]:
        if error.get("error_class") == "auth_failure":
            return str(error.get("message") or error.get("example") or error.get("template") or "")[:200]
    return str((log.top or {}).get("message") or "")[:200]


UPSTREAM_KINDS = ("deployment", "statefulset", "daemonset", "configmap", "secret", "networkpolicy", "service")
"""Kinds whose change upstream of a symptom is a suspect in itself, healthy-looking or not."""


def _upstream_changes(cases: dict[Ref, _Case], facts: Facts) -> None:
    """What changed upstream of the symptom is a suspect even when nothing there looks broken.

    A dependency restarted with half its heap, a NetworkPolicy created in a dependency's namespace,
    a Service edited to another port: their pods are Running and Ready, so no scan check fires, yet
    the change shortly before the symptom is the likeliest cause. "Upstream" is the topology's
    dependencies (their backing workloads by name) and, for NetworkPolicies, the namespaces of the
    subject and of its dependencies.
    """
    deps: list[Ref] = []
    namespaces: set[str] = set()
    for data, _ in facts.topologies:
        subject = Ref.of(data.get("subject"))
        if subject is not None and subject.namespace:
            namespaces.add(subject.namespace)
        for dep in data.get("dependencies") or []:
            target = Ref.of(dep.get("target")) if isinstance(dep, dict) else None
            if target is not None and target.kind.lower() != "externalhost":
                deps.append(target)
                if target.namespace:
                    namespaces.add(target.namespace)
    if not deps and not namespaces:
        return
    for change in facts.change_list():
        at, target = parse_time(change.get("at")), Ref.of(change.get("object"))
        if at is None or target is None or not (facts.at - WINDOW_BEFORE <= at <= facts.at):
            continue
        kind = target.kind.lower().split(".")[0]
        if kind not in UPSTREAM_KINDS or any(target.same_object(r) for r in cases):
            continue
        related = [r for r in (Ref.of(x) for x in change.get("related") or []) if r]
        upstream = next((d for d in deps if d.same_object(target) or _backs(target, d)
                         or any(r.same_object(d) or _backs(r, d) for r in related)), None)
        policy_nearby = kind == "networkpolicy" and target.namespace in namespaces
        if upstream is None and not policy_nearby:
            continue
        minutes = int((facts.at - at).total_seconds() // 60)
        where = f"a dependency ({upstream})" if upstream else f"namespace {target.namespace}, on the path of the calls"
        diff = "; ".join(str(d) for d in (change.get("diff") or [])[:3])
        cases[target] = _Case(target, [{
            "check": "change.upstream", "severity": "warning", "object": change.get("object"),
            "reason": f"Changed{str(change.get('type') or '').title()}",
            "message": f"{target} changed {minutes} min before the alert, upstream of the symptom in {where}"
                       f"{client_errors.quote(facts, target)}: "
                       f"{change.get('summary') or ''}" + (f" ({diff})" if diff else ""),
            "evidence": [str(change.get("summary") or "")][:1], "details": {}}])
        cases[target].upstream = True
        if facts.changes_id:
            cases[target].evidence.append(facts.changes_id)


def _stale(finding: dict[str, Any], facts: Facts) -> bool:
    """A problem whose last sign is older than the window (a pod OOMKilled once, days ago) is history."""
    details = finding.get("details") or {}
    moments = [t for t in (parse_time(details.get(k)) for k in _LAST_SIGN) if t is not None]
    return bool(moments) and max(moments) < facts.at - WINDOW_BEFORE


def problem_of(finding: dict[str, Any]) -> str | None:
    check = str(finding.get("check") or "").lower()
    return next((kind for prefix, kind in PROBLEM_OF_CHECK if check.startswith(prefix)), None)


def _backs(workload: Ref, service: Ref) -> bool:
    """Whether a workload is (by the usual naming) the one behind a Service of its namespace."""
    if service.kind.lower() != "service" or workload.kind.lower() == "service":
        return False
    same_ns = not workload.namespace or not service.namespace or workload.namespace == service.namespace
    return same_ns and (workload.name == service.name or workload.name.startswith(service.name + "-"))


def _mentions(text: str, name: str) -> bool:
    return len(name) >= 3 and re.search(rf"(?<![\w.-]){re.escape(name.lower())}(?![\w-])", text) is not None


def _link(cases: dict[Ref, _Case]) -> None:
    """Mark which problems explain which: a finding that names another problem's object is explained by it."""
    for a in cases.values():
        text, a_nodes = a.text(), a.nodes()
        for b in cases.values():
            if a is b:
                continue
            named = _mentions(text, b.ref.name) and b.weight >= a.weight - 0.05
            on_node = b.ref.kind.lower() == "node" and b.ref.name in a_nodes and b.weight >= a.weight
            behind_service = _backs(b.ref, a.ref)
            if (named or on_node or behind_service or _explains(b, a)) and not _mutual(a, b):
                a.explained_by.append(b.ref)
                b.explains.append(a.ref)


def _link_declared(cases: dict[Ref, _Case]) -> None:
    """The links a suspect declares (`explains_refs`): the objects it names, or the workloads behind them."""
    for a in cases.values():
        for b in cases.values():
            if a is not b and any(b.ref.same_object(r) or _backs(b.ref, r) for r in a.explains_refs) \
                    and b.ref not in a.explained_by and a.ref not in b.explained_by:
                b.explained_by.append(a.ref)
                a.explains.append(b.ref)


def _explains(cause: _Case, victim: _Case) -> bool:
    """Problems that explain others by what they are, even when no message names the other object."""
    same_ns = cause.ref.namespace == victim.ref.namespace
    checks = {str(f.get("check")) for f in victim.findings}
    cause_checks = {str(f.get("check")) for f in cause.findings}
    text = victim.text()
    if same_ns and any(c.startswith("pvc.") for c in cause_checks) and "pod.pending" in checks:
        return any((f.get("details") or {}).get("unbound_pvc") for f in victim.findings) or \
            "persistentvolumeclaim" in text
    if "pv.node_affinity_unschedulable" in cause_checks:
        # The volume can only be used on unusable nodes: the pods that need it and their workload wait.
        held = {str(v) for f in cause.findings for v in [*((f.get("details") or {}).get("pods") or []),
                                                          (f.get("details") or {}).get("workload")] if v}
        return str(victim.ref) in held or any(f"{victim.ref.namespace}/{p}" in held for p in victim.pods())
    if "node.cordoned" in checks and "pdb.blocks_drain" in cause_checks:
        # The drain cordoned the node; the budget is why it never empties.
        return any(victim.ref.name in ((f.get("details") or {}).get("cordoned_nodes") or [])
                   for f in cause.findings)
    if "workload.failed_create" in checks:
        return (same_ns and "quota.exhausted" in cause_checks and "quota" in text) or \
            (any(c.startswith("webhook.") for c in cause_checks) and "webhook" in text)
    return False


def _host_names(host: str, ref: Ref) -> bool:
    """Whether a host from a log line (`payments-db`, `payments-db.shop.svc:5432`) is this object or its Service."""
    name = host.lower().split(":")[0]
    first = name.split(".")[0]
    return first == ref.name or (len(first) >= 3 and ref.name.startswith(first + "-")
                                 and ref.kind.lower() in ("statefulset", "deployment"))


def _link_by_logs(cases: dict[Ref, _Case]) -> None:
    """A problem whose logs fail to reach another problem's object is explained by that object."""
    for a in cases.values():
        if a.log is None or not a.log.error_classes & CONNECTIVITY_ERRORS or _own_cause(a):
            continue
        for b in cases.values():
            if b is a or b.ref in a.explained_by or a.ref in b.explained_by:
                continue
            breaks_dns = "dns_failure" in a.log.error_classes and problem_of(b.primary) == "dns" and (
                b.ref.namespace in ("kube-system", a.ref.namespace))
            if breaks_dns or any(_host_names(h, b.ref) for h in a.log.hosts):
                a.explained_by.append(b.ref)
                b.explains.append(a.ref)


def _own_cause(case: _Case) -> bool:
    """Whether a finding of this object says its own write is why its calls fail (its pods' DNS settings): the host
    its logs fail to reach is then not what explains it."""
    return any((f.get("details") or {}).get("own_cause") for f in case.findings)


def _named_in_logs(cases: dict[Ref, _Case], logs: list[LogEvidence]) -> None:
    """Mark the problems whose host the failing calls in the logs name, and quote those logs with them."""
    for case in cases.values():
        text = case.text()
        for log in logs:
            if not log.error_classes & CONNECTIVITY_ERRORS or case.log is log:
                continue
            if any(_host_names(h, case.ref) or h.lower() in text for h in log.hosts):
                case.named_in_logs = True
                if case.log is None:
                    case.log = log
                    case.evidence.append(log.evidence_id)
                break


def _mutual(a: _Case, b: _Case) -> bool:
    """Two problems naming each other: the stronger kind of problem explains the weaker, never both ways."""
    if a.ref in b.explained_by:
        return True
    return b.weight < a.weight and _mentions(b.text(), a.ref.name)


def _topology_relations(facts: Facts) -> dict[str, str]:
    """Object name -> how it relates to the subject, from every topology answer (first answer wins)."""
    relation: dict[str, str] = {}
    for data, _ in facts.topologies:
        subject = Ref.of(data.get("subject"))
        names = [subject.name] if subject else []
        names += [str(r.get("name")) for r in (data.get("workloads") or []) + (data.get("services") or [])
                  if isinstance(r, dict) and r.get("name")]
        names += [str(p.get("name")) for p in data.get("pods") or [] if isinstance(p, dict) and p.get("name")]
        for name in names:
            relation.setdefault(name, "subject")
        for dep in data.get("dependencies") or []:
            target = Ref.of(dep.get("target")) if isinstance(dep, dict) else None
            if target:
                relation.setdefault(target.name, "dependency")
        for node in data.get("nodes") or []:
            if isinstance(node, dict) and node.get("name"):
                relation.setdefault(str(node["name"]), "node")
            elif isinstance(node, str):
                relation.setdefault(node, "node")
        for pod in data.get("neighbours") or []:
            if isinstance(pod, dict) and pod.get("name"):
                relation.setdefault(str(pod["name"]), "neighbour")
                relation.setdefault(workload_of_pod(str(pod["name"])), "neighbour")
    return relation


def _is_dns(case: _Case) -> bool:
    name = case.ref.name.lower()
    return (any(str(f.get("check", "")).lower().startswith("dns") for f in case.findings)
            or (case.ref.namespace == "kube-system" and ("coredns" in name or "kube-dns" in name)))


def _relation(case: _Case, subject: Subject, topology: dict[str, str], log_hosts: set[str],
              resolved: set[str], definite: bool) -> str:
    if case.upstream:
        return "dependency"
    names = {case.ref.name, *case.pods(), *(workload_of_pod(p) for p in case.pods())}
    if any(subject.mentions(n) for n in names) and (case.ref.name in subject.from_labels
                                                    or case.ref.name in resolved or not resolved):
        return "subject"
    if subject.hosts and any(_host_in(h, case) for h in subject.hosts):
        return "subject"
    if not resolved and site.named_in_words(subject, case.findings, case.ref):  # "the shop website" (agent.triage.site)
        return "subject"
    for name in names:
        if name in topology:
            return topology[name]
    if any(h == case.ref.name or h.split(".")[0] == case.ref.name or h.startswith(case.ref.name + ".")
           for h in log_hosts):
        return "dependency"
    if case.ref.kind.lower() == "node" and case.ref.name in subject.nodes:
        return "node"
    if _is_dns(case):
        return "dns"
    if any(problem_of(f) in subject.problems for f in case.findings):
        return "symptom"
    if case.ref.namespace and (case.ref.namespace == subject.namespace or subject.mentions(case.ref.namespace)):
        return "namespace"
    if subject.echoes(case.ref.name) or (case.ref.namespace and case.ref.namespace in subject.fragments()):
        return "named"
    return "cluster"


def _host_in(host: str, case: _Case) -> bool:
    """Whether a host the incident names is one this object serves (certificate DNS names, Ingress hosts)."""
    for f in case.findings:
        details = f.get("details") or {}
        for key in ("dns_names", "hosts", "host", "tls_hosts"):
            value = details.get(key)
            values = value if isinstance(value, list) else [value] if isinstance(value, str) else []
            if any(str(v).lower() == host or (str(v).startswith("*.") and host.endswith(str(v)[1:]))
                   for v in values):
                return True
    return False


def _inherit(cases: dict[Ref, _Case]) -> None:
    """What explains a related problem is related too (as a dependency), however far it sits."""
    order = list(RELATION_WEIGHT)
    for _ in range(3):  # explanation chains are short: pod -> node, service -> pods -> quota
        for case in cases.values():
            for ref in case.explained_by:
                cause = cases[ref]
                inherited = "dependency" if case.relation in ("subject", "dependency") else case.relation
                if order.index(inherited) < order.index(cause.relation):
                    cause.relation = inherited


def _score(case: _Case, cases: dict[Ref, _Case]) -> float:
    score = 0.5 * case.weight + RELATION_WEIGHT[case.relation]
    if case.change is not None:
        score += 0.1 if case.change.get("type") in ("rollout", "config", "secret") else 0.05
    if case.log is not None and case.log.top is not None:
        score += 0.05
    if case.named_in_logs:
        score += 0.1
    if any(f.get("severity") == "critical" for f in case.findings):
        score += 0.03
    if case.explained_by:  # a victim: what explains it comes first
        score -= 0.25
    if case.log is not None and case.log.error_classes & CONNECTIVITY_ERRORS and case.weight < 0.8:
        score -= 0.1  # it fails to reach something: more likely a victim than the cause
    return round(score, 3)


def _changes_for(case: _Case, facts: Facts) -> list[dict[str, Any]]:
    """Changes to this object or to what it uses in the window before the symptom, newest first; a
    configuration change (ConfigMap, Secret) is listed before a rollout that merely restarted pods for it."""
    found = []
    for change in facts.change_list():
        at = parse_time(change.get("at"))
        if at is None or not (facts.at - WINDOW_BEFORE <= at <= facts.at + timedelta(minutes=10)):
            continue
        target = Ref.of(change.get("object"))
        related = [r for r in (Ref.of(x) for x in change.get("related") or []) if r]
        if (target is not None and (target.same_object(case.ref) or target.name in case.pods())) or \
                any(r.same_object(case.ref) for r in related):
            found.append(change)
    found = [c for c in found if change_fit.can_explain(c, case.primary)]
    found.sort(key=lambda c: str(c.get("at")), reverse=True)
    found.sort(key=lambda c: 0 if c.get("type") in ("config", "secret") else 1)
    return found


def _change_for(case: _Case, facts: Facts) -> dict[str, Any] | None:
    """The newest change to this object, or to what it uses, in the window before the symptom."""
    changes = _changes_for(case, facts)
    return max(changes, key=lambda c: str(c.get("at"))) if changes else None


def _log_for(case: _Case, logs: list[LogEvidence]) -> LogEvidence | None:
    pods = case.pods()
    for log in logs:
        if log.top is None:
            continue
        if log.pod in pods or workload_of_pod(log.pod) == case.ref.name or log.pod.startswith(case.ref.name + "-"):
            return log
    return None


def _safe(text: str, limit: int = 220) -> str:
    """A fact quoted from the system: one line, bounded, and dropped when it reads like instructions."""
    line = " ".join(str(text).split())[:limit]
    return "" if not line or injection_scan(line).suspicious else line


_FRAME = re.compile(r"\s*(?:at\s|File \"|goroutine\s|Node\.js v|\.\.\.\s*\d+ more|\^+$|Traceback)"
                    r"|.*(?:\bINFO\b|\bDEBUG\b|level=(?:info|debug)|\"level\":\s*\"(?:info|debug))", re.I)
"""Stack frames and runtime banners: they say where, not what; the error line says what."""


def log_detail(log: LogEvidence) -> str:
    """The log's most telling error in a few words: the exception and message, or the class and fields."""
    top = log.top or {}
    exception, message = top.get("exception"), top.get("message")
    fields = top.get("fields") or {}
    if message:
        said = f"{exception}: {message}" if exception and str(exception) not in str(message) else str(message)
    else:
        said = str(top.get("example") or top.get("template") or "")
    facts = ", ".join(f"{k}={v}" for k, v in list(fields.items())[:3] if k not in ("message",))
    where = "previous container's logs" if log.previous else "logs"
    detail = _safe(said)
    if not detail:
        return ""
    text = f"its {where} say {detail!r}" + (f" ({facts})" if facts and facts not in detail else "")
    extra = [str(o.get("message") or o.get("example") or "") for o in log.more[:2]]
    if log.top and log.top.get("severity") in ("error", "fatal"):
        extra += log.last_lines  # a failed process's final word: often the specifics (versions, ports, keys)
    for line in extra:
        if _FRAME.match(line):
            continue
        more = _safe(line, 160)
        if more and more not in text and more.strip("'") not in detail:
            text += f", and {more!r}"
            if len(text) > 700:
                break
    return text


def _candidate(case: _Case, score: float, cases: dict[Ref, _Case], facts: Facts) -> Candidate:
    primary = case.primary
    text = _safe(str(primary.get("message") or f"{case.ref}: {primary.get('reason')}"), 400)
    if not text:
        text = f"{case.ref}: {primary.get('reason') or primary.get('check')}"
    if case.ref.name not in text:
        text = f"{case.ref}: {text}"
    others = [f for f in case.findings if f is not primary and cause_weight(f) >= 0.7
              and symptom_fit.fits(f, case.symptoms)]
    for other in others[:2]:
        more = _safe(str(other.get("message") or ""), 200)
        if more and more not in text:
            text += f"; also {more}"
    if case.log is not None:
        detail = log_detail(case.log)
        if detail:
            text += f"; {detail}"
    evidence_lines = [_safe(str(e), 200) for f in [primary, *others[:1]] for e in (f.get("evidence") or [])[:2]]
    quoted = [e for e in evidence_lines if e and e not in text][:2]
    if quoted:
        text += f" (seen: {'; '.join(quoted)})"
    changes = _changes_for(case, facts)[:2]
    for n, change in enumerate(changes):
        at = parse_time(change.get("at"))
        ago = f", {int((facts.at - at).total_seconds() // 60)} min before the alert" if at and at <= facts.at else ""
        summary = _safe(str(change.get("summary") or ""), 300)
        diff = [_safe(str(d), 120) for d in change.get("diff") or []]
        diff_text = "; ".join(d for d in diff[:3] if d and d not in summary)
        if summary:
            text += (". It started after a change: " if n == 0 else ". Also changed: ") + summary
            text += f" ({diff_text})" if diff_text else ""
            text += ago
            meant = field_meaning.said(change)  # what a changed core field means (agent.triage.field_meaning)
            text += f". {meant.rstrip('.')}" if meant and meant not in text else ""
    victims = [r for r in case.explains if cases[r].relation != "cluster" or case.relation != "cluster"]
    if victims:
        text += f". This explains: {', '.join(str(v) for v in victims[:4])}"
    evidence = list(dict.fromkeys(case.evidence + [e for r in case.explains for e in cases[r].evidence]))
    text = meaning.annotate(text.rstrip(".") + ".", "\n".join(
        str(e) for f in case.findings for e in (f.get("evidence") or [])[:4]))
    return Candidate(cause=text.rstrip(".") + ".", confidence=max(0.05, min(0.95, score)), evidence=evidence,
                     ref=case.ref, check=str(primary.get("check") or ""), victims=victims)


@dataclass(frozen=True)
class _Hog:
    """A neighbour that starves a node of one resource without being charged for it (see `_hog`)."""

    check: str
    signs: tuple[str, ...]
    """Words of a node-pressure or eviction finding that say which resource ran out."""
    marker: str
    """The topology's neighbour reason that marks such a pod (mcp_servers/kubernetes/topology.py)."""
    explain: str
    """What the pod does and why the kubelet evicts others: `{pod}`, `{workload}`, `{node}`, `{how}`."""


_HOGS = (
    _Hog("node.memory_hog", ("memory",), "no memory limit",
         "Pod {pod} (workload {workload}) runs without a memory limit on node {node}, which ran low on memory; "
         "the kubelet evicted the pods beside it."),
    _Hog("node.disk_hog", ("diskpressure", "disk pressure", "ephemeral-storage", "nodefs", "imagefs"),
         "writes the node's disk",
         "Pod {pod} (workload {workload}) writes to node {node}'s disk through {how}, which no pod's "
         "ephemeral-storage accounts for; the node reports DiskPressure and the kubelet evicts the pods beside it "
         "instead."),
)


def _hog(top: Candidate, cases: dict[Ref, _Case], facts: Facts) -> Candidate | None:
    """When the top suspect is a node short of memory or disk (or the pods it evicted), the pod beside them
    that takes that resource uncharged is what to fix: a pod without a memory limit is never OOMKilled
    first, and hostPath writes count against no pod's ephemeral storage, so the kubelet evicts the others."""
    case = cases.get(top.ref) if top.ref else None
    if case is None:
        return None
    pressure = [f"{f.get('message', '')} {f.get('details', '')}".lower() for f in case.findings
                if str(f.get("check")) in ("node.pressure", "pod.evicted")]
    hog = next((h for h in _HOGS if any(w in text for text in pressure for w in h.signs)), None)
    if hog is None:
        return None
    nodes = case.nodes() | ({case.ref.name} if case.ref.kind.lower() == "node" else set())
    for data, evidence_id in facts.topologies:
        for pod in data.get("neighbours") or []:
            reason = str(pod.get("reason") or "") if isinstance(pod, dict) else ""
            if hog.marker not in reason or (nodes and pod.get("node") not in nodes):
                continue
            name, namespace, node = str(pod.get("name")), str(pod.get("namespace") or ""), str(pod.get("node"))
            how = reason.split(hog.marker, 1)[1].lstrip(": ").split(";")[0]
            cause = hog.explain.format(pod=f"{namespace}/{name}", workload=workload_of_pod(name), node=node, how=how)
            return Candidate(cause=f"{cause} {top.cause}", confidence=min(0.95, top.confidence + 0.02),
                             evidence=list(dict.fromkeys([*top.evidence, evidence_id])),
                             ref=Ref("Pod", namespace, name), check=hog.check, victims=[case.ref])
    return None


def _configured_host(host: str, facts: Facts) -> tuple[str, str, str] | None:
    """Where a failing host is configured (env, ConfigMap key) and what is known of it, from the topology."""
    wanted = host.lower().split(":")[0]
    for data, evidence_id in facts.topologies:
        for dep in data.get("dependencies") or []:
            target = Ref.of(dep.get("target")) if isinstance(dep, dict) else None
            if target is None or dep.get("healthy") is True:
                continue
            if target.name.lower() == wanted or wanted.split(".")[0] == target.name.lower():
                via = _safe(str(dep.get("via") or ""), 200)
                if via:
                    return via, _safe(str(dep.get("detail") or "its health is unknown"), 200), evidence_id
    return None


CHANGED_FIELDS_BY_ERROR: dict[str, tuple[str, ...]] = {
    # A log error class -> the pod-template fields (as the change diff names them) that govern it. A
    # rollout that touched one of them just before that error began is its likeliest cause.
    "dns_failure": ("dnsconfig", "dnspolicy", "hostnetwork", "hostaliases", "ndots"),
    "permission_denied": ("securitycontext", "serviceaccount", "runasuser", "runasgroup", "fsgroup",
                          "readonlyrootfilesystem", "capabilities"),
    "file_not_found": ("volume", "mountpath", "subpath", "command", "args", "workingdir"),
    "tls_error": ("volume", "cert", "tls", "ssl", "ca_", "truststore", "keystore"),
    "missing_config": ("env ", "envfrom", "configmap"),
    "invalid_config": ("env ", "envfrom", "configmap", "args", "command"),
}


def _change_touching_the_failure(change: dict[str, Any], subject: Subject,
                                 facts: Facts) -> tuple[list[str], LogEvidence] | None:
    """The diff lines of `change` that touch what the subject's logged error depends on, with that log."""
    diff = [str(d) for d in change.get("diff") or []]
    for log in facts.logs:
        if log.top is None or not subject.mentions(workload_of_pod(log.pod)):
            continue
        fields = {f for cls in log.error_classes for f in CHANGED_FIELDS_BY_ERROR.get(cls, ())}
        lines = [d for d in diff if any(f in d.lower() for f in fields)]
        if lines:
            return lines, log
    return None


def _without_findings(subject: Subject, facts: Facts) -> list[Candidate]:
    """No scan finding touches the subject: what its own logs and changes say, at low confidence."""
    out: list[Candidate] = []
    for data, evidence_id in facts.topologies:
        for dep in data.get("dependencies") or []:
            target = Ref.of(dep.get("target")) if isinstance(dep, dict) else None
            if target and dep.get("healthy") is False and not unheard_dependency.unheard(dep, facts):
                out.append(Candidate(cause=f"{target}, which the subject uses ({_safe(str(dep.get('via')))}), is "
                                           f"unhealthy: {_safe(str(dep.get('detail')))}.", confidence=0.55,
                                     evidence=[evidence_id], ref=target, check="dependency.unhealthy"))
    for log in facts.logs:
        if log.top is None or not subject.mentions(workload_of_pod(log.pod)):
            continue
        detail = log_detail(log)
        if not detail or log.top.get("severity") not in ("fatal", "error"):
            continue
        fields = log.top.get("fields") or {}
        host = str(fields.get("upstream_host") or fields.get("dns_name") or (log.hosts[0] if log.hosts else ""))
        ref = Ref("Pod", log.namespace, log.pod)
        cause = f"{workload_of_pod(log.pod)} ({ref}) fails: {detail}"
        confidence, evidence = 0.4, [log.evidence_id]
        source = _configured_host(host, facts) if host and log.error_classes & CONNECTIVITY_ERRORS else None
        if source is not None:
            via, detail_of_target, topology_id = source
            cause += (f". The host {host} comes from {via}, and {detail_of_target}: the configured name is "
                      "wrong or its target is down")
            confidence, evidence = 0.6, [log.evidence_id, topology_id]
        elif host and log.error_classes & CONNECTIVITY_ERRORS:
            cause += f"; it cannot reach {host}, so look there first"
        if "disk_full" in log.error_classes and subject.claims:
            cause += f". The full volume is PersistentVolumeClaim {log.namespace}/{subject.claims[0]}"
            ref = Ref("PersistentVolumeClaim", log.namespace, subject.claims[0])
            confidence = max(confidence, 0.6)
        out.insert(0, Candidate(cause=cause + ".", confidence=confidence, evidence=evidence, ref=ref,
                                check=f"logs.{log.top.get('error_class') or 'error'}"))
        break
    for change in facts.change_list():
        target = Ref.of(change.get("object"))
        at = parse_time(change.get("at"))
        if target and at and facts.at - WINDOW_BEFORE <= at <= facts.at and (
                subject.mentions(target.name) or any(subject.mentions(str((r or {}).get("name", "")))
                                                     for r in change.get("related") or [])):
            summary = _safe(str(change.get("summary") or ""), 300)
            touched = _change_touching_the_failure(change, subject, facts)
            if summary and touched is not None:
                lines, log = touched
                out.insert(0, Candidate(
                    cause=f"{summary.split(':')[0]}, {int((facts.at - at).total_seconds() // 60)} min before the "
                          f"alert, changing what its failing calls depend on: {_safe('; '.join(lines), 300)}. "
                          f"Since then {log_detail(log)}",
                    confidence=0.65, evidence=[e for e in (facts.changes_id, log.evidence_id) if e], ref=target,
                    check=f"change.{change.get('type')}"))
                break
            if summary:
                out.append(Candidate(cause="A recent change may have triggered it: " + _safe(field_meaning.change_line(
                                         change, summary, int((facts.at - at).total_seconds() // 60)), 1600),
                                     confidence=0.35, evidence=[facts.changes_id] if facts.changes_id else [],
                                     ref=target, check=f"change.{change.get('type')}"))
                break
    return out or _namespace_suspect(subject, facts) or _subject_warnings(subject, facts)


def _namespace_suspect(subject: Subject, facts: Facts) -> list[Candidate]:
    """The incident names only a namespace: its failing workload, and the write to it that preceded the failures
    (agent.triage.namespace_subject), rather than no hypothesis while that namespace's logs fail."""
    found = namespace_subject.suspect(subject, facts, WINDOW_BEFORE)
    if found is None:
        return []
    detail = log_detail(found.log)
    if not detail:
        return []
    pod = Ref("Pod", found.namespace, found.log.pod)
    if found.change is not None and found.target is not None:
        summary = _safe(field_meaning.change_line(found.change, str(found.change.get("summary") or ""),
                                                  found.minutes_before), 600)
        if summary:
            return [Candidate(cause=f"{found.target} of the namespace the incident names changed {found.minutes_before}"
                                    f" min before it, and since then its pods fail: {detail}. The change: {summary}.",
                              confidence=0.45, evidence=[e for e in (facts.changes_id, found.log.evidence_id) if e],
                              ref=found.target, check=f"change.{found.change.get('type')}")]
    return [Candidate(cause=f"{found.workload} ({pod}), in the namespace the incident names, fails: {detail}.",
                      confidence=0.3, evidence=[found.log.evidence_id], ref=pod,
                      check=f"logs.{(found.log.top or {}).get('error_class') or 'error'}")]


def _subject_warnings(subject: Subject, facts: Facts) -> list[Candidate]:
    """Nothing else to say: the subject's own classified failures logged at warning level (a receiver refusing
    pushes with 429, a server shedding load) are still what it does wrong, said at the lowest confidence rather
    than an empty answer."""
    for log in facts.logs:
        top = log.top or {}
        if not subject.mentions(workload_of_pod(log.pod)) or top.get("severity") != "warning" \
                or not top.get("error_class"):
            continue
        detail = log_detail(log)
        if detail:
            return [Candidate(cause=f"{workload_of_pod(log.pod)} (Pod {log.namespace}/{log.pod}) fails its callers: "
                                    f"{detail}.", confidence=0.3, evidence=[log.evidence_id],
                              ref=Ref("Pod", log.namespace, log.pod), check=f"logs.{top.get('error_class')}")]
    return []
