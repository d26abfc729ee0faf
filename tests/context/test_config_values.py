"""How a pod template reads its configuration is carried as data (ConfigMap, key, env/envFrom/volume
use) and the human `via` text is rendered from it, never parsed back; limit settings and address
keys are read from those fields.

Objects are written as the Kubernetes API returns them (Deployment pod templates, ConfigMaps).
"""

from __future__ import annotations

from typing import Any

from mcp_servers.kubernetes.topology import ConfigValue, _Index, config_values, limit_settings


def _template(**container: Any) -> dict[str, Any]:
    volumes = container.pop("volumes", [])
    return {"metadata": {"labels": {"app": "api"}},
            "spec": {"containers": [{"name": "api", **container}], "volumes": volumes}}


def _cm(name: str, data: dict[str, str], labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": "shop", "labels": labels or {}},
            "data": data}


def _values(template: dict[str, Any], *cms: dict[str, Any]) -> list[ConfigValue]:
    return config_values(_Index({"ConfigMap": list(cms)}), template, "shop", "api", {"app": "api"})


def test_each_way_a_configmap_is_read_is_carried_as_data_and_rendered_as_before() -> None:
    template = _template(
        env=[{"name": "LOG_LEVEL", "value": "info"},
             {"name": "DB", "valueFrom": {"configMapKeyRef": {"name": "db", "key": "DB_HOST"}}}],
        envFrom=[{"configMapRef": {"name": "flags"}}],
        command=["/bin/api"], args=["--port=8080"],
        volumes=[{"name": "conf", "configMap": {"name": "redis-conf"}}])
    got = _values(template, _cm("db", {"DB_HOST": "postgres", "OTHER": "x"}), _cm("flags", {"FAST": "1"}),
                  _cm("redis-conf", {"redis.conf": "maxmemory 100mb"}), _cm("api-settings", {"POOL": "5"}))
    assert [(cv.key, cv.configmap, cv.use, cv.env) for cv in got] == [
        ("LOG_LEVEL", None, None, ""),
        ("DB_HOST", ("shop", "db"), "env", "DB"),
        ("FAST", ("shop", "flags"), "envFrom", ""),
        ("command", None, None, ""),
        ("args", None, None, ""),
        ("redis.conf", ("shop", "redis-conf"), "volume", ""),
        ("POOL", ("shop", "api-settings"), "unreferenced", ""),
    ]
    assert [cv.via for cv in got] == [
        "env LOG_LEVEL",
        "configmap shop/db key DB_HOST (env DB)",
        "configmap shop/flags key FAST",
        "command",
        "args",
        "configmap shop/redis-conf key redis.conf (volume)",
        "configmap shop/api-settings key POOL (named after the workload, not referenced by its spec)",
    ]
    assert [cv.value for cv in got][2:5] == ["1", "/bin/api", "--port=8080"]


def test_an_env_variable_named_like_a_container_field_is_still_an_env_variable() -> None:
    got = _values(_template(env=[{"name": "command", "value": "serve"}], command=["run"]))
    assert [cv.via for cv in got] == ["env command", "command"]


def test_limit_settings_name_the_configmap_and_key_of_a_mounted_file() -> None:
    deployment = {"kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"},
                  "spec": {"template": _template(volumes=[{"name": "conf", "configMap": {"name": "redis-conf"}}],
                                                 env=[{"name": "maxmemory", "value": "64mb"}])}}
    index = _Index({"ConfigMap": [_cm("redis-conf", {"redis.conf": "maxmemory 100mb\nmaxclients 50"})],
                    "Deployment": [deployment]})
    settings = limit_settings(index, [deployment], [])
    assert {(s.configmap.name, s.file, s.setting) for s in settings} == {
        ("redis-conf", "redis.conf", "maxmemory"), ("redis-conf", "redis.conf", "maxclients")}
