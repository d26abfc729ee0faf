"""agent.triage.concurrency_cap: which writes cut a server's concurrency cap, and when the saturation read back
makes that cut the cause.

Facts are shaped as the survey keeps them: the change timeline's diff lines (`k8s_changes`), ConfigMaps read with
`k8s_get`, and what `read` stored of the holders' gauges and logs under `Facts.reads`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.triage import concurrency_cap as cc
from agent.triage.facts import Facts, Ref

_AT = datetime(2026, 12, 1, 20, tzinfo=UTC)


def _change(kind: str, name: str, diff: list[str], minutes: int = 40, ns: str = "shop",
            related: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"at": (_AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "rollout",
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": "", "diff": diff,
            "related": related or []}


def _facts(*changes: dict[str, Any]) -> Facts:
    return Facts(at=_AT, changes={"changes": list(changes)}, changes_id="E2")


@pytest.mark.parametrize(("key", "program", "software"), [
    ("SERVER_TOMCAT_THREADS_MAX", "", "Tomcat"),
    ("server.tomcat.threads.max", "", "Tomcat"),
    ("server.tomcat.max-threads", "", "Tomcat"),
    ("--server.jetty.threads.max", "java", "Jetty"),
    ("spring.datasource.hikari.maximum-pool-size", "", "HikariCP"),
    ("www.pm.max_children", "", "PHP-FPM"),
    ("worker_connections", "", "nginx"),
    ("RAILS_MAX_THREADS", "", "Puma"),
    ("-w", "gunicorn app:app", "gunicorn"),
    ("--limit-concurrency", "uvicorn main:app", "uvicorn"),
    ("UV_THREADPOOL_SIZE", "", "Node.js"),
])
def test_each_softwares_spelling_of_its_cap_is_recognised(key: str, program: str, software: str) -> None:
    fam = cc.family_of(key, program)
    assert fam is not None and fam.software == software


@pytest.mark.parametrize(("key", "program"), [("-w", ""), ("-w", "celery"), ("MAX_RETRIES", ""),
                                              ("server.tomcat.connection-timeout", ""), ("threads", "")])
def test_other_settings_and_unowned_short_flags_are_no_cap(key: str, program: str) -> None:
    assert cc.family_of(key, program) is None


def test_an_env_cap_set_where_it_was_unset_is_a_cut_from_the_documented_default() -> None:
    facts = _facts(_change("Deployment", "inventory-api",
                           ["inventory-api env SERVER_TOMCAT_THREADS_MAX (unset) -> SERVER_TOMCAT_THREADS_MAX='20'"]))
    [cut] = cc.candidates(facts)
    assert (cut.target, cut.before, cut.after) == (Ref("Deployment", "shop", "inventory-api"), 200, 20)
    assert cut.text() == "SERVER_TOMCAT_THREADS_MAX unset (default 200) -> 20"


@pytest.mark.parametrize("line", [
    "api env SERVER_TOMCAT_THREADS_MAX (unset) -> SERVER_TOMCAT_THREADS_MAX='400'",  # above the default
    "api env SERVER_TOMCAT_THREADS_MAX='50' -> SERVER_TOMCAT_THREADS_MAX='80'",  # raised
    "api env SERVER_TOMCAT_THREADS_MAX='50' -> SERVER_TOMCAT_THREADS_MAX='auto'",  # no number
])
def test_a_raised_or_unreadable_cap_is_no_candidate(line: str) -> None:
    assert cc.candidates(_facts(_change("Deployment", "api", [line]))) == []


def test_flags_of_the_program_that_owns_them_are_read() -> None:
    facts = _facts(_change("Deployment", "web", [
        "web args ['gunicorn', '--workers', '8', '--threads', '4', 'app:app'] -> "
        "['gunicorn', '--workers', '2', '--threads', '4', 'app:app']"]),
        _change("Deployment", "rails", ["rails args ['puma', '-t', '5:16'] -> ['puma', '-t', '2:4']"]))
    cuts = {c.target.name: c for c in cc.candidates(facts)}
    assert (cuts["web"].key, cuts["web"].before, cuts["web"].after) == ("--workers", 8, 2)
    assert (cuts["rails"].family.software, cuts["rails"].before, cuts["rails"].after) == ("Puma", 16, 4)


def test_a_directive_of_a_whole_config_file_is_read_from_the_data_key_diff() -> None:
    old = "events {\\n    worker_connections 1024;\\n}\\nhttp { keepalive_timeout 65; }\\n"
    new = "events {\\n    worker_connections 64;\\n}\\nhttp { keepalive_timeout 65; }\\n"
    facts = _facts(_change("ConfigMap", "edge-nginx", [f"data key nginx.conf '{old}' -> '{new}'"]))
    [cut] = cc.candidates(facts)
    assert (cut.family.software, cut.key, cut.before, cut.after) == ("nginx", "worker_connections", 1024, 64)


def test_a_file_edited_outside_apply_is_read_back_and_its_old_side_left_unknown() -> None:
    cm = {"kind": "ConfigMap", "metadata": {"name": "pool", "namespace": "shop"},
          "data": {"www.conf": "[www]\npm = dynamic\npm.max_children = 6\npm.max_requests = 500\n"}}
    facts = _facts(_change("ConfigMap", "pool", ["data key www.conf set by kubectl-edit",
                                                 "data key www.conf changed outside kubectl apply"]))
    facts.objects.append((cm, "E7"))
    cuts = cc.candidates(facts)
    assert [(c.family.software, c.after, c.recorded) for c in cuts] == [("PHP-FPM", 6, False)]
    assert cuts[0].text().endswith("set to 6 (old value not recorded)")


def _saturated(facts: Facts, holder: str, key: str, **sat: Any) -> Facts:
    facts.reads[cc.READS] = {"saturation": {f"{holder}|{key}": {"signs": ["busy at 20 = cap for 12 min"],
                                                                 "evidence": ["E9"], **sat}},
                             "names": ["checkout"], "namespaces": ["checkout"]}
    return facts


def test_a_cut_whose_holder_saturates_after_it_is_the_cause() -> None:
    facts = _saturated(_facts(_change("Deployment", "inventory-api", [
        "inventory-api env SERVER_TOMCAT_THREADS_MAX (unset) -> SERVER_TOMCAT_THREADS_MAX='20'"])),
        "Deployment shop/inventory-api", "SERVER_TOMCAT_THREADS_MAX")
    facts.reads[cc.READS]["callers"] = {"Deployment shop/inventory-api": {
        "caller": "checkout/checkout-web", "line": "ETIMEDOUT calling http://inventory-api.shop.svc:8080",
        "evidence": "E11"}}
    [capped] = cc.found(facts)
    assert capped.related and capped.minutes_before == 40
    finding = cc.finding(capped)
    assert finding["check"] == cc.CHECK
    assert finding["message"].startswith("Deployment shop/inventory-api cut inventory-api's Tomcat request threads: "
                                         "SERVER_TOMCAT_THREADS_MAX unset (default 200) -> 20")
    assert "requests queue" in finding["message"][:400] and "checkout/checkout-web" in finding["message"]


@pytest.mark.parametrize("sat", [{"before": True}, {"signs": []}])
def test_saturation_that_predates_the_write_or_none_at_all_blames_nothing(sat: dict[str, Any]) -> None:
    facts = _saturated(_facts(_change("Deployment", "api", [
        "api env SERVER_TOMCAT_THREADS_MAX='200' -> SERVER_TOMCAT_THREADS_MAX='20'"])),
        "Deployment shop/api", "SERVER_TOMCAT_THREADS_MAX", **sat)
    assert cc.found(facts) == []


def test_saturation_without_any_cap_written_blames_nothing() -> None:
    facts = _saturated(_facts(_change("Deployment", "api", ["api image a:1 -> a:2"])), "Deployment shop/api",
                       "SERVER_TOMCAT_THREADS_MAX")
    assert cc.found(facts) == []


def test_an_unrecorded_old_value_needs_the_software_to_echo_the_new_cap() -> None:
    cm = {"kind": "ConfigMap", "metadata": {"name": "pool", "namespace": "shop"},
          "data": {"www.conf": "[www]\npm.max_children = 6\n"}}
    change = _change("ConfigMap", "pool", ["data key www.conf set by kubectl-edit"],
                     related=[{"kind": "Deployment", "namespace": "shop", "name": "blog"}])
    for echo, blamed in ((False, False), (True, True)):
        facts = _saturated(_facts(change), "Deployment shop/blog", "www.pm.max_children", echo=echo)
        facts.objects.append((cm, "E7"))
        assert bool(cc.found(facts)) is blamed


def test_a_holder_nothing_ties_to_the_incident_is_kept_at_a_lower_weight() -> None:
    facts = _saturated(_facts(_change("Deployment", "api", [
        "api env SERVER_TOMCAT_THREADS_MAX='200' -> SERVER_TOMCAT_THREADS_MAX='20'"], ns="billing")),
        "Deployment billing/api", "SERVER_TOMCAT_THREADS_MAX")
    [capped] = cc.found(facts)
    assert not capped.related and cc.finding(capped)["check"] == cc.CHECK_UNRELATED
    assert cc.WEIGHT_UNRELATED < cc.WEIGHT


def test_a_server_xml_connector_attribute_is_read_as_the_servlet_containers_cap() -> None:
    old = '<Server><Service><Connector port=\\"8080\\" maxThreads=\\"300\\"/></Service></Server>'
    new = old.replace("300", "25")
    [cut] = cc.candidates(_facts(_change("ConfigMap", "tomcat-conf", [f"data key server.xml '{old}' -> '{new}'"])))
    assert (cut.family.software, cut.key, cut.before, cut.after) == ("Tomcat/Jetty", "maxThreads", 300, 25)


@pytest.mark.parametrize(("line", "minute"), [
    ("[27-Nov-2026 20:44:36] WARNING: [pool www] server reached pm.max_children setting (6)", 44),
    ('10.0.0.1 - - [27/Nov/2026:20:45:02 +0000] "GET / HTTP/1.1" 503', 45),
    ("2026-11-27T20:46:00.000Z ERROR worker_connections are not enough", 46),
])
def test_log_stamps_of_php_fpm_nginx_and_iso_lines_are_read(line: str, minute: int) -> None:
    t = cc._line_time(line)
    assert t is not None and (t.hour, t.minute) == (20, minute)
