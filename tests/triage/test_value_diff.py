"""Structured config values diffed leaf by leaf (agent.triage.value_diff) and through changed_keys.

Each format is read by its real parser (json, tomllib, PyYAML, configparser); the values are the
shapes real settings files take. Negative twins: a scalar, an unchanged file, a value over the size
limit, and a credential's value, which never comes back.
"""

from __future__ import annotations

import pytest

from agent.triage import changed_keys, value_diff


@pytest.mark.parametrize(("name", "old", "new", "want"), [
    ("flags.yaml", "listing:\n  eager_load: false\n  page_size: 60\n",
     "listing:\n  eager_load: true\n  page_size: 60\n", [("listing.eager_load", "false", "true")]),
    ("settings.json", '{"cache": {"ttl_seconds": 300, "backend": "redis"}}',
     '{"cache": {"ttl_seconds": 0, "backend": "redis"}}', [("cache.ttl_seconds", "300", "0")]),
    ("app.toml", '[pool]\nmax = 20\nidle = 5\n[http]\nretries = 3\n',
     '[pool]\nmax = 200\nidle = 5\n[http]\nretries = 3\n', [("pool.max", "20", "200")]),
    ("my.cnf", "[mysqld]\nmax_connections = 500\nwait_timeout = 28800\n",
     "[mysqld]\nmax_connections = 100\nwait_timeout = 28800\n", [("mysqld.max_connections", "500", "100")]),
    ("consumer.properties", "max.poll.interval.ms=300000\ngroup.id=billing\n",
     "max.poll.interval.ms=30000\ngroup.id=billing\n", [("max.poll.interval.ms", "300000", "30000")]),
    ("routes.yaml", "routes:\n- path: /a\n  timeout: 5s\n- path: /b\n  timeout: 5s\n",
     "routes:\n- path: /a\n  timeout: 5s\n- path: /b\n  timeout: 1s\n", [("routes[1].timeout", "5s", "1s")]),
])
def test_each_format_diffs_at_the_leaf(name: str, old: str, new: str, want: list[tuple[str, str, str]]) -> None:
    got = value_diff.diff(old, new, name)
    assert got is not None and [(c.path, c.old, c.new) for c in got] == want


def test_added_and_removed_leaves_say_so() -> None:
    got = value_diff.diff("a: 1\nb: 2\n", "a: 1\nc: 3\n", "x.yaml") or []
    assert [c.text("x.yaml") for c in got] == ["x.yaml: b removed (was 2)", "x.yaml: c added = 3"]


def test_no_structured_value_is_no_leaf_diff() -> None:
    assert value_diff.diff("5", "10", "timeout") is None  # a scalar: the caller compares the whole values
    assert value_diff.diff("hello world", "hello there", "motd") is None
    assert value_diff.diff("a: 1\nb: 2\n", "a: 1\nb: 2\n", "x.yaml") == []  # unchanged file: nothing changed
    big = "k: v\n" * (value_diff.MAX_BYTES // 4)
    assert value_diff.leaves(big, "big.yaml") is None


def test_a_credential_leaf_keeps_its_path_never_its_value() -> None:
    got = value_diff.diff("db:\n  password: hunter2\n  host: a\n", "db:\n  password: s3cret\n  host: a\n", "db.yaml")
    assert got == [value_diff.LeafChange("db.password", value_diff.HIDDEN, value_diff.HIDDEN)]  # changed, unshown
    assert value_diff.diff("db:\n  password: a\n  host: x\n", "db:\n  password: a\n  host: y\n", "db.yaml") == [
        value_diff.LeafChange("db.host", "x", "y")]
    leaves = value_diff.leaves("api_key: abc123\nregion: eu\n", "c.yaml") or {}
    assert leaves["api_key"] == value_diff.HIDDEN and "abc123" not in str(leaves)


@pytest.mark.parametrize("line", [
    "data key settings.json '{\"kafka\": {\"max.poll.interval.ms\": 300000, \"acks\": 1}}' -> "
    "'{\"kafka\": {\"max.poll.interval.ms\": 30000, \"acks\": 1}}' (outside kubectl apply)",
    "data key consumer.properties 'max.poll.interval.ms=300000\\ngroup.id=billing' -> "
    "'max.poll.interval.ms=30000\\ngroup.id=billing' (outside kubectl apply)",
])
def test_changed_keys_reads_the_leaf_inside_a_file(line: str) -> None:
    keys = changed_keys.keys_of({"diff": [line]})
    assert [(k.key.rsplit("kafka.", 1)[-1], k.old, k.new) for k in keys] == [("max.poll.interval.ms", "300000",
                                                                              "30000")]
    assert changed_keys.same_key(keys[0].key, "max.poll.interval.ms")


def test_an_env_value_holding_json_is_diffed_under_the_env_name() -> None:
    line = ("env SPRING_APPLICATION_JSON='{\"kafka\":{\"max.poll.interval.ms\":300000}}' -> "
            "SPRING_APPLICATION_JSON='{\"kafka\":{\"max.poll.interval.ms\":30000}}'")
    [key] = changed_keys.keys_of({"diff": [line]})
    assert (key.key, key.old, key.new) == ("SPRING_APPLICATION_JSON.kafka.max.poll.interval.ms", "300000", "30000")
    assert changed_keys.same_key(key.key, "max.poll.interval.ms")
    [plain] = changed_keys.keys_of({"diff": ["env LOG_LEVEL=info -> LOG_LEVEL=debug"]})  # a scalar stays itself
    assert (plain.key, plain.old, plain.new) == ("LOG_LEVEL", "info", "debug")
