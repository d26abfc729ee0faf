"""The tool names a runbook may call, in one constant.

The names are fixed across the project (runbooks, policy and agent must agree). The agent's tool
hub knows the live catalogue, including tools of external MCP servers; until it hands that
catalogue to the linter, this constant is the list lint checks against.
"""

from __future__ import annotations

from agent.gitops.remediation import ACTIONS as GITOPS_ACTIONS

KNOWN_TOOLS: frozenset[str] = frozenset(
    {
        # kubernetes
        "k8s_list",
        "k8s_get",
        "k8s_describe",
        "k8s_logs",
        "k8s_events",
        "k8s_rollout_history",
        "k8s_nodes",
        "k8s_top",
        "k8s_changes",
        "k8s_topology",
        "k8s_scan",
        # prometheus
        "prom_query",
        "prom_query_range",
        "prom_labels",
        "prom_label_values",
        "prom_series",
        "prom_metadata",
        "prom_alerts",
        "prom_rules",
        "prom_targets",
        # loki
        "loki_query",
        "loki_labels",
        "loki_label_values",
        "loki_stats",
        # codegraph
        "get_symbol",
        "search_symbols",
        "get_callers",
        "get_callees",
        "get_impact_radius",
        "get_module_structure",
        "changed_symbols",
        "resolve_stacktrace",
        # gitops and agent
        "propose_change",
        "investigate",
    }
)

WRITE_TOOLS: frozenset[str] = frozenset({"propose_change"})
"""Tools a runbook step must never call: prefetch runs without a human in the loop."""

KNOWN_REMEDIATION_ACTIONS: frozenset[str] = frozenset(GITOPS_ACTIONS) | {"manual"}
"""The GitOps side's actions (agent/gitops/remediation.py), plus `manual`: a change no pull request
can make (renew a certificate, drain a node), described for a human."""
