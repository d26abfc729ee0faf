"""agent.triage.node_revision: the node the incident names is the one running a node-local service's new revision.

Shapes: a credential proxy DaemonSet (RollingUpdate, 1 of 5 pods updated) whose rollout changed its `--role-arn`
arg and whose new pod on the named node logs `AccessDenied ... 403` lines its sibling does not; a node-local DNS
cache (OnDelete) whose rollout changed its upstream env, the new pod logging forward timeouts; the named node LEFT on
the old revision while most others moved on (an OnDelete credential proxy, a paused mesh node agent). Twins: the
fleet fully rolled (every pod newer than the rollout); a named node on the old revision like most others (a rollout
just begun); a split whose pod prints nothing its sibling does not (named under the quieter, lower-weighted check).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import node_revision as nr
from agent.triage.behind import WEIGHTS
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 8, 20, 14, 0, tzinfo=UTC)
NODE = "worker-b-7.int.example"
SUFFIXES = ["q7x2k", "b9m4t", "z2w8p", "k5r1d"]
OTHERS = ["worker-a-3.int.example", "worker-c-1.int.example", "worker-d-9.int.example"]


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def daemonset(ns: str, name: str, strategy: str, updated: int, desired: int) -> dict[str, Any]:
    return {"kind": "DaemonSet", "metadata": {"name": name, "namespace": ns},
            "spec": {"updateStrategy": {"type": strategy}},
            "status": {"updatedNumberScheduled": updated, "desiredNumberScheduled": desired}}


def rollout(ns: str, name: str, diff: str, minutes: int) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes)), "type": "rollout",
            "object": {"kind": "DaemonSet", "namespace": ns, "name": name},
            "summary": f"DaemonSet {ns}/{name} rolled out revision 4: {diff}", "diff": [diff]}


def run(ns: str, name: str, obj: dict[str, Any], change: dict[str, Any], ages: dict[str, int],
        logs: dict[str, list[str]]) -> Facts:
    """`ages`: node -> minutes since that node's pod of the DaemonSet was created."""
    pods = [{"name": f"{name}-{suffix}", "namespace": ns, "node": node, "created": iso(AT - timedelta(minutes=age))}
            for (node, age), suffix in zip(ages.items(), SUFFIXES, strict=False)]
    mine = next(p for p in pods if p["node"] == NODE)
    lists: dict[str | tuple[str, str], list[dict[str, Any]]] = {
        "DaemonSet": [{"name": name, "namespace": ns}],
        ("Pod", ""): [mine, {"name": "web-7c9f6d8b5-k2x9q", "namespace": "shop", "node": NODE}], ("Pod", ns): pods}
    hub = RecordingHub(objects={("DaemonSet", ns, name): obj}, lists=lists,
                       logs={p["name"]: logs.get(p["node"], []) for p in pods})
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    asyncio.run(nr.read(Subject(namespace="", nodes=[NODE]), facts, hub, iso(AT)))
    return facts


CREDS_OLD = ["2026-08-20T13:50:00Z INFO issued credentials for role app-reader (ttl 900s)"] * 3
CREDS_NEW = ["2026-08-20T13:51:00Z ERROR sts AssumeRole failed: AccessDenied: not authorized to perform "
             "sts:AssumeRole (status 403)"] * 3
DNS_OLD = ["[INFO] 10.0.0.4:53 - 1234 A IN api.internal. udp 45 false 512 NOERROR"] * 3
DNS_NEW = ["[ERROR] plugin/forward: no healthy upstream: read udp 169.254.20.10:53->10.9.0.2:53: i/o timeout"] * 3


def creds_ages(new: int) -> dict[str, int]:
    return {NODE: new, **{n: 60 * 24 * 9 for n in OTHERS}}


def test_credential_proxy_split_names_the_daemonset_with_its_new_pods_complaint() -> None:
    change = rollout("iam", "node-creds", "proxy args ['--role-arn=arn:prod'] -> ['--role-arn=arn:staging']", 300)
    facts = run("iam", "node-creds", daemonset("iam", "node-creds", "RollingUpdate", 1, 4), change, creds_ages(25),
                {NODE: CREDS_NEW, **{n: CREDS_OLD for n in OTHERS}})
    [hit] = nr.found(facts)
    assert (hit.daemonset.name, hit.node) == ("node-creds", NODE)
    found = nr.finding(hit, AT)
    assert found["check"] == nr.CHECK and "AccessDenied" in found["message"] and "role-arn" in found["message"]


def test_dns_cache_on_delete_split_names_the_daemonset() -> None:
    change = rollout("kube-system", "node-dns", "cache env UPSTREAM='10.9.0.10' -> UPSTREAM='10.9.0.2'", 600)
    facts = run("kube-system", "node-dns", daemonset("kube-system", "node-dns", "OnDelete", 1, 4), change,
                creds_ages(40), {NODE: DNS_NEW, **{n: DNS_OLD for n in OTHERS}})
    [hit] = nr.found(facts)
    assert hit.strategy == "OnDelete" and "i/o timeout" in hit.said


def test_twin_fully_rolled_fleet_is_not_a_split() -> None:
    change = rollout("kube-system", "node-dns", "cache env UPSTREAM='10.9.0.10' -> UPSTREAM='10.9.0.2'", 600)
    ages = {NODE: 40, **{n: 300 + 5 * i for i, n in enumerate(OTHERS)}}
    facts = run("kube-system", "node-dns", daemonset("kube-system", "node-dns", "RollingUpdate", 4, 4), change, ages,
                {NODE: DNS_NEW, **{n: DNS_NEW for n in OTHERS}})
    assert nr.found(facts) == []


def test_named_node_left_on_the_old_revision_while_the_rest_moved_on_is_named() -> None:
    """OnDelete: the rollout fixed the role, three nodes' pods were replaced, the named node's was not."""
    change = rollout("iam", "node-creds", "proxy args ['--role-arn=arn:staging'] -> ['--role-arn=arn:prod']", 300)
    ages = {NODE: 60 * 24 * 9, **{n: 200 for n in OTHERS}}
    facts = run("iam", "node-creds", daemonset("iam", "node-creds", "OnDelete", 3, 4), change, ages,
                {NODE: CREDS_NEW, **{n: CREDS_OLD for n in OTHERS}})
    [hit] = nr.found(facts)
    assert hit.stale and hit.node == NODE
    found = nr.finding(hit, AT)
    assert found["check"] == nr.CHECK and found["reason"] == "NodeOnOldRevision"
    assert "still runs the revision from before" in found["message"] and "AccessDenied" in found["message"]


MESH_OLD = ["2026-08-20T13:52:00Z error xds connection to istiod: tls: failed to verify certificate: x509: "
            "certificate signed by unknown authority"] * 3
MESH_NEW = ["2026-08-20T13:52:00Z info xds connected to istiod, 212 workloads"] * 3


def test_node_agent_a_paused_rolling_update_left_behind_is_named() -> None:
    """A mesh node agent whose new revision trusts the rotated CA; the paused rollout skipped the named node."""
    change = rollout("mesh", "node-agent", "agent env CA_BUNDLE_REF='ca-2025' -> CA_BUNDLE_REF='ca-2026'", 400)
    ages = {NODE: 60 * 24 * 30, **{n: 350 for n in OTHERS}}
    facts = run("mesh", "node-agent", daemonset("mesh", "node-agent", "RollingUpdate", 3, 4), change, ages,
                {NODE: MESH_OLD, **{n: MESH_NEW for n in OTHERS}})
    [hit] = nr.found(facts)
    assert hit.stale and "unknown authority" in hit.said


def test_twin_named_node_old_while_most_others_are_old_too_is_not_named() -> None:
    """A rollout that has only begun: one other node took the new revision, the named one is like the rest."""
    change = rollout("mesh", "node-agent", "agent env CA_BUNDLE_REF='ca-2025' -> CA_BUNDLE_REF='ca-2026'", 30)
    ages = {NODE: 60 * 24 * 30, OTHERS[0]: 20, OTHERS[1]: 60 * 24 * 30, OTHERS[2]: 60 * 24 * 30}
    facts = run("mesh", "node-agent", daemonset("mesh", "node-agent", "RollingUpdate", 1, 4), change, ages,
                {NODE: MESH_OLD, **{n: MESH_OLD for n in OTHERS}})
    assert nr.found(facts) == []


def test_twin_old_pod_printing_what_its_new_sibling_prints_is_only_a_lead() -> None:
    change = rollout("iam", "node-creds", "proxy args ['--role-arn=arn:staging'] -> ['--role-arn=arn:prod']", 300)
    ages = {NODE: 60 * 24 * 9, **{n: 200 for n in OTHERS}}
    facts = run("iam", "node-creds", daemonset("iam", "node-creds", "OnDelete", 3, 4), change, ages,
                {NODE: CREDS_OLD, **{n: CREDS_OLD for n in OTHERS}})
    [hit] = nr.found(facts)
    assert nr.finding(hit, AT)["check"] == nr.QUIET_CHECK


def test_twin_quiet_split_is_only_a_lead() -> None:
    change = rollout("iam", "node-creds", "proxy args ['--role-arn=arn:prod'] -> ['--role-arn=arn:staging']", 300)
    facts = run("iam", "node-creds", daemonset("iam", "node-creds", "OnDelete", 1, 4), change, creds_ages(25),
                {NODE: CREDS_OLD, **{n: CREDS_OLD for n in OTHERS}})
    [hit] = nr.found(facts)
    check = nr.finding(hit, AT)["check"]
    assert check == nr.QUIET_CHECK and WEIGHTS[check] < WEIGHTS[nr.CHECK]


def test_registered_with_its_weight() -> None:
    from agent.triage import behind

    assert nr in behind.MODULES and behind.WEIGHTS[nr.CHECK] == nr.WEIGHT
