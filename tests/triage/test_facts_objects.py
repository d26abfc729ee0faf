"""Facts.object_named and configmap_value: the one way a class finds an object the survey already read."""

from __future__ import annotations

from datetime import UTC, datetime

from agent.triage.facts import Facts, Ref


def _facts() -> Facts:
    facts = Facts(at=datetime(2026, 1, 1, tzinfo=UTC))
    facts.objects = [
        ({"kind": "Deployment", "metadata": {"name": "cache", "namespace": "shop"}, "data": {"k": "deploy"}}, "E1"),
        ({"metadata": {"name": "cache", "namespace": "shop"}, "data": {"maxclients": "64"}}, "E2"),
        ({"kind": "ConfigMap", "metadata": {"name": "cache", "namespace": "other"}, "data": {"maxclients": "9"}}, "E3"),
    ]
    return facts


def test_object_named_matches_kind_namespace_and_name_and_takes_an_answer_without_kind() -> None:
    facts = _facts()
    assert (facts.object_named("Deployment", "shop", "cache") or {}).get("data") == {"k": "deploy"}
    assert (facts.object_named("ConfigMap", "shop", "cache") or {}).get("data") == {"maxclients": "64"}
    assert (facts.object_named("ConfigMap", "other", "cache") or {}).get("data") == {"maxclients": "9"}
    assert facts.object_named("ConfigMap", "shop", "web") is None
    assert facts.object_named("Secret", "other", "cache") is None


def test_configmap_value_reads_the_key_of_the_named_configmap_only() -> None:
    facts = _facts()
    assert facts.configmap_value(Ref("ConfigMap", "shop", "cache"), "maxclients") == "64"
    assert facts.configmap_value(Ref("ConfigMap", "other", "cache"), "maxclients") == "9"
    assert facts.configmap_value(Ref("ConfigMap", "shop", "cache"), "missing") is None
    assert facts.configmap_value(Ref("ConfigMap", "shop", "web"), "maxclients") is None


def test_a_log_entry_says_its_example_else_its_message_else_its_template() -> None:
    from agent.triage.facts import LogEvidence, said_by

    log = LogEvidence("api-7d9f8b6c5d-zq2rt", "shop", "E9", {"example": "ERR max clients reached"}, [], set(), False,
                      more=[{"message": "timeout", "template": "t <*>"}], warnings=[{"template": "slow <*>"}, {}])
    assert [said_by(e) for e in log.entries()] == ["ERR max clients reached", "timeout", "slow <*>", ""]
    assert LogEvidence("p", "n", "E1", None, [], set(), False).entries() == [{}]


def test_all_logs_adds_the_logs_limit_hit_read_and_nothing_else() -> None:
    from agent.triage import limit_hit
    from agent.triage.facts import LogEvidence

    facts = _facts()
    mine = LogEvidence("api-7d9f8b6c5d-zq2rt", "shop", "E9", None, [], set(), False)
    read = LogEvidence("web-7d9f8b6c5d-zq2rt", "shop", "E10", None, [], set(), False)
    facts.logs = [mine]
    facts.reads[limit_hit.READS] = {"logs": [read, {"not": "a log"}]}
    assert limit_hit.all_logs(facts) == [mine, read]


def test_workloads_touched_are_the_written_workload_then_its_related_readers_of_those_kinds() -> None:
    from agent.triage.facts import workloads_touched

    related = [{"kind": k, "namespace": "shop", "name": n} for k, n in
               (("Deployment", "api"), ("Job", "migrate"), ("StatefulSet", "redis"))]
    change = {"object": {"kind": "ConfigMap", "namespace": "shop", "name": "cache-conf"},
              "related": [*related, "not a ref"]}
    kinds = ("Deployment", "StatefulSet")
    got = workloads_touched(change, Ref("ConfigMap", "shop", "cache-conf"), kinds)
    assert [(r.kind, r.name) for r in got] == [("Deployment", "api"), ("StatefulSet", "redis")]
    rollout = workloads_touched({}, Ref("Deployment", "shop", "api"), kinds)
    assert [(r.kind, r.name) for r in rollout] == [("Deployment", "api")]
