"""An evicting controller run as a CronJob, the strategy it names, and what that strategy means under its policy.

Records as the descheduler writes them: its klog line `"Evicted pod" pod="content/web-7c9f8d6b5d-x2x9z"
reason="" strategy="RemovePodsViolatingTopologySpreadConstraint" node="n1" profile="default"`, newer releases'
events whose reason is the strategy (action Descheduled, reportingController sigs.k8s.io/descheduler), the
chart's CronJob (`spec.jobTemplate.spec.template`), and a DeschedulerPolicy v1alpha2 in a ConfigMap.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.triage import actor_chain as ac
from agent.triage import eviction_strategy as es
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject

AT = datetime(2026, 12, 5, 11, 47, tzinfo=UTC)
SOFT_POLICY = ("apiVersion: descheduler/v1alpha2\nkind: DeschedulerPolicy\nprofiles:\n- name: default\n"
               "  pluginConfig:\n"
               "  - name: RemovePodsViolatingTopologySpreadConstraint\n    args:\n      constraints:\n"
               "      - DoNotSchedule\n      - ScheduleAnyway\n  - name: RemovePodsHavingTooManyRestarts\n    args:\n"
               "      podRestartThreshold: 100\n  plugins:\n    balance:\n      enabled:\n"
               "      - RemovePodsViolatingTopologySpreadConstraint\n    deschedule:\n      enabled:\n"
               "      - RemovePodsHavingTooManyRestarts\n")
HARD_POLICY = SOFT_POLICY.replace("      - ScheduleAnyway\n", "")
CRONJOB = {"kind": "CronJob", "metadata": {"name": "descheduler", "namespace": "kube-system"},
           "spec": {"schedule": "*/2 * * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": [{
               "name": "descheduler", "image": "registry.k8s.io/descheduler/descheduler:v0.31.0",
               "args": ["--policy-config-file", "/policy-dir/policy.yaml"]}]}}}}}}


def test_the_strategy_a_log_line_names_under_a_soft_spread_policy_is_an_eviction_loop() -> None:
    line = ('I1205 09:22:00.000000       1 evictions.go:171] "Evicted pod" pod="content/web-7c9f8d6b5d-x2x9z" '
            'reason="" strategy="RemovePodsViolatingTopologySpreadConstraint" node="n1" profile="default"')
    strategy, meaning = es.describe([line], SOFT_POLICY)
    assert strategy == "RemovePodsViolatingTopologySpreadConstraint"
    assert "ScheduleAnyway" in meaning and "topology spread" in meaning and "evicted again" in meaning
    # The same strategy under a policy enforcing hard constraints only: no loop is claimed.
    assert "ScheduleAnyway" not in es.describe([line], HARD_POLICY)[1]


def test_an_events_reason_naming_the_strategy_is_read_too() -> None:
    strategy, meaning = es.describe(["RemovePodsViolatingNodeTaints: pod eviction from n2 node by sigs"], "")
    assert strategy == "RemovePodsViolatingNodeTaints" and "taint" in meaning


def test_no_record_and_a_policy_enabling_several_strategies_names_none() -> None:
    assert es.describe(["Descheduled: pod eviction from n2 node by sigs"], HARD_POLICY) == ("", "")
    one = "plugins:\n  deschedule:\n    enabled:\n    - PodLifeTime\n"
    assert es.describe([], one)[0] == "PodLifeTime"


def test_a_cronjob_is_an_actor_known_by_its_image_and_its_log_names_the_victim() -> None:
    actor = ac._actor(CRONJOB, "E1")
    assert actor.workload == Ref("CronJob", "kube-system", "descheduler") and "descheduler" in actor.names
    assert "--policy-config-file" in actor.args
    text = ('I1205 09:22:00.000000       1 evictions.go:171] "Evicted pod" pod="content/web-7c9f8d6b5d-x2x9z" '
            'strategy="RemovePodsViolatingTopologySpreadConstraint"')
    [act] = ac.log_acts(text, actor, AT)
    assert act.victim.namespace == "content" and act.victim.name == "web"


def test_an_alert_without_a_namespace_reaches_the_workload_named_after_what_it_names() -> None:
    facts = Facts(at=AT)
    subject = Subject(namespace="", names=["cms", "ratio"])
    assert ac.on_path(Ref("", "content", "cms-api"), subject, facts)
    assert not ac.on_path(Ref("", "content", "search-api"), subject, facts)
    # With a namespace known, a name sharing a word is not enough.
    assert not ac.on_path(Ref("", "content", "cms-api"), Subject(namespace="content", names=["cms"]), facts)


def test_the_finding_says_the_strategy_and_its_meaning_before_the_settings() -> None:
    actor = ac._actor(CRONJOB, "E1")
    acts = [ac.Act(Ref("", "content", "cms-api"), "Descheduled: pod eviction from n1 node by sigs",
                   AT - timedelta(minutes=100), 12)]
    chain = ac.ActorChain(Ref("ConfigMap", "kube-system", "descheduler"), actor, AT - timedelta(hours=2), "argocd",
                          acts, ["podRestartThreshold=100"], [Ref("", "content", "cms-api")])
    chain.strategy, chain.meaning = es.describe(["strategy=RemovePodsViolatingTopologySpreadConstraint"], SOFT_POLICY)
    head = ac.finding(chain)["message"][:400]
    assert "ConfigMap kube-system/descheduler" in head and "evicted its pods 12 times" in head
    assert "ScheduleAnyway" in head and "topology spread" in head
