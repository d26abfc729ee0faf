"""agent.triage.pod_spec_words: the one walk of a pod spec's args, env values and the ConfigMaps and Secrets it reads,
and the filters its four callers (shared_identifier, transit_required, cloud_actor, proxy_bypass) take from it.

Shape: a pod with a mounted ConfigMap and Secret, an init container, and a main container whose env mixes a value,
a ConfigMap key, a Secret key and an empty value, with envFrom of both kinds. The callers' own choices: Secret names
or not, mounted ConfigMaps or only the env's, init containers or not.
"""

from __future__ import annotations

from typing import Any

from agent.triage import cloud_actor, proxy_bypass, shared_identifier, transit_required
from agent.triage import pod_spec_words as psw

SPEC: dict[str, Any] = {
    "volumes": [{"name": "conf", "configMap": {"name": "app-conf"}}, {"name": "tls", "secret": {"secretName": "tls-a"}},
                {"name": "scratch", "emptyDir": {}}],
    "initContainers": [{"name": "wait", "command": ["sh", "-c"], "args": ["until nc -z db 5432; do sleep 1; done"],
                        "envFrom": [{"configMapRef": {"name": "init-env"}}]}],
    "containers": [{"name": "api", "args": ["--port", 8080],
                    "env": [{"name": "DB_URL", "value": "postgres://orders-db.data:5432/orders"},
                            {"name": "EMPTY", "value": ""},
                            {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "app-conf", "key": "mode"}}},
                            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "orders-db-creds",
                                                                                   "key": "password"}}},
                            "not-a-dict"],
                    "envFrom": [{"secretRef": {"name": "api-keys"}}, {"configMapRef": {"name": "egress-env"}}]}]}


def test_walk_keeps_the_specs_order_and_says_what_each_place_holds() -> None:
    walked = psw.walk(SPEC)
    assert [(w.where, w.text, w.kind) for w in walked] == [
        ("volume", "app-conf", "configmap"), ("volume", "tls-a", "secret"),
        ("args", "sh -c until nc -z db 5432; do sleep 1; done", "args"), ("envFrom", "init-env", "configmap"),
        ("args", "--port 8080", "args"), ("env DB_URL", "postgres://orders-db.data:5432/orders", "value"),
        ("env MODE", "app-conf", "configmap"), ("env DB_PASSWORD", "orders-db-creds", "secret"),
        ("envFrom", "api-keys", "secret"), ("envFrom", "egress-env", "configmap")]


def test_words_take_secret_names_only_when_asked() -> None:
    walked = psw.walk(SPEC)
    plain = psw.words(walked)
    assert ("env DB_PASSWORD", "orders-db-creds") not in plain and ("env EMPTY", "") not in plain
    assert [w for w, _ in plain] == ["args", "args", "env DB_URL"]
    named = psw.words(walked, secret_names=True)
    assert [t for w, t in named if w in ("volume", "env DB_PASSWORD", "envFrom")] == ["tls-a", "orders-db-creds",
                                                                                        "api-keys"]


def test_configmaps_once_each_mounted_or_only_the_envs() -> None:
    walked = psw.walk(SPEC)
    assert psw.configmaps(walked) == ["app-conf", "init-env", "egress-env"]
    assert psw.configmaps(walked, mounted=False) == ["init-env", "app-conf", "egress-env"]
    main_only = psw.walk(SPEC, init=False)
    assert psw.configmaps(main_only, mounted=False) == ["app-conf", "egress-env"]
    assert all(w.text != "init-env" and not w.text.startswith("sh -c") for w in main_only)


def test_template_spec_of_a_workload_and_of_nothing() -> None:
    assert psw.template_spec({"spec": {"template": {"spec": SPEC}}}) is SPEC
    assert psw.template_spec({"spec": {}}) == {} and psw.template_spec({}) == {} and psw.walk({}) == []


def test_pod_template_of_a_workload_a_cronjob_and_of_nothing() -> None:
    template = {"metadata": {"labels": {"app": "a"}}, "spec": SPEC}
    assert psw.pod_template({"kind": "Deployment", "spec": {"template": template}}) == template
    assert psw.pod_template({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": template}}}}) == template
    assert psw.pod_template({"kind": "ConfigMap", "data": {}}) == {}
    assert psw.pod_template({"kind": "Deployment", "spec": {"template": "not an object"}}) == {}


def test_each_caller_keeps_its_own_filter() -> None:
    pod = {"spec": SPEC}
    words, maps = shared_identifier._spec_words(pod)
    assert ("volume", "tls-a") in words and maps == ["app-conf", "init-env", "egress-env"]
    words, maps = transit_required._spec_words(pod)
    assert all(t not in ("tls-a", "orders-db-creds") for _, t in words) and maps == ["init-env", "app-conf",
                                                                                    "egress-env"]
    assert cloud_actor.spec_words({"spec": {"template": {"spec": SPEC}}}) == psw.words(psw.walk(SPEC))
    assert proxy_bypass._config_maps(pod) == {"app-conf", "egress-env"}


def test_a_cronjobs_command_text_holds_every_containers_command_args_and_env_values_and_no_secret_name() -> None:
    cronjob = {"spec": {"jobTemplate": {"spec": {"template": {"spec": {
        "initContainers": [{"command": ["regctl", "registry", "login"],
                            "env": [{"name": "HOST", "value": "reg.local"}]}],
        "containers": [{"command": ["crane"], "args": ["delete", "reg.local/app@sha256:ab"],
                        "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "reg-token", "key": "t"}}},
                                "not-a-dict"]}]}}}}}}
    text = psw.job_command_text(cronjob)
    assert text.split() == ["regctl", "registry", "login", "reg.local", "crane", "delete", "reg.local/app@sha256:ab"]
    assert "reg-token" not in text
    assert psw.job_command_text({"spec": {"schedule": "0 * * * *"}}) == ""
