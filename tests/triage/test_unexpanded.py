"""A placeholder that reached the program unexpanded: the write that delivered it outranks the crash it causes.

Facts as the survey hands them over: rollout diffs in the change timeline's words (`env NAME='v' -> NAME='w'`,
args lists), ConfigMap writes with their data as `read` stores it, and the failing pod's log entries or last
lines. Shapes: a Python worker whose new env value uses shell `${}` syntax, a Java service whose args use a
`$(VAR)` the container never defines, a .NET API whose ConfigMap carries Go-template text from a chart, a Node
mailer whose ConfigMap keeps an envsubst placeholder nothing ran. Twins: the same writes with logs that do not
quote the placeholder, an info line that prints a template, a placeholder that was there before the write, a
ConfigMap written days ago, and one holding another placeholder.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import rank, subject_of
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.unexpanded import failing_lines, found, pointed_at
from tests.triage.test_rank import alert

AT = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def _rollout(kind: str, ns: str, name: str, diff: list[str], at: str = "2026-09-01T11:40:00Z") -> dict[str, Any]:
    return {"at": at, "type": "rollout", "revision": 5, "related": [],
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} rolled out revision 5", "diff": diff}


def _config(ns: str, name: str, reader: str, at: str = "2026-09-01T11:45:00Z") -> dict[str, Any]:
    return {"at": at, "type": "config", "revision": None,
            "related": [{"kind": "Deployment", "namespace": ns, "name": reader}],
            "object": {"kind": "ConfigMap", "namespace": ns, "name": name},
            "summary": f"ConfigMap {ns}/{name} updated by argocd-controller: data key settings set by "
                       f"argocd-controller (used by Deployment {ns}/{reader})",
            "diff": ["data key settings set by argocd-controller"]}


def _log(pod: str, ns: str, *, error: str = "", last: list[str] | None = None) -> LogEvidence:
    top: dict[str, Any] | None = {"template": error, "example": error, "message": error, "severity": "error",
                                  "error_class": None, "count": 3, "fields": {}} if error else None
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E5", top=top, hosts=[], error_classes=set(),
                       previous=True, last_lines=last or [])


def _crash(kind: str, ns: str, name: str) -> dict[str, Any]:
    return {"check": "pod.crashloop", "severity": "critical", "object": {"kind": kind, "namespace": ns, "name": name},
            "owner": {"kind": kind, "namespace": ns, "name": name}, "reason": "CrashLoopBackOff",
            "message": f"{kind} {ns}/{name}: 2/3 pods CrashLoopBackOff (last exit Error code 1)", "details": {},
            "evidence": ["container CrashLoopBackOff"]}


def _facts(changes: list[dict[str, Any]], log: LogEvidence, crash: dict[str, Any],
           configs: dict[str, tuple[str, str, str]] | None = None) -> Facts:
    facts = Facts(at=AT, scan={"findings": [crash]}, scan_id="E1", changes={"changes": changes}, changes_id="E2")
    facts.logs.append(log)
    if configs:
        facts.reads["unexpanded"] = configs
    return facts


PY_DIFF = "worker env PG_DSN='postgresql://$(PG_HOST):5432/billing' -> PG_DSN='postgresql://${PG_HOST}:5432/billing'"
PY_SAID = ('psycopg.OperationalError: could not translate host name "${PG_HOST}" to address: Name or service not '
           'known')
JAVA_DIFF = ("gateway args ['--server.port=8080'] -> ['--server.port=$(GATEWAY_PORT)', "
             "'--spring.profiles.active=prod']")
JAVA_SAID = 'java.lang.NumberFormatException: For input string: "$(GATEWAY_PORT)"'
NET_DATA = '{"Upstream": {"BaseUrl": "https://pricing.{{ .Values.region }}.internal:8443"}}'
NET_SAID = ("System.UriFormatException: Invalid URI: The hostname could not be parsed. "
            "(https://pricing.{{ .Values.region }}.internal:8443)")
NODE_DATA = "SMTP_URL=smtp://${SMTP_RELAY}:587\nFROM=noreply@example.org"
NODE_SAID = "Error: getaddrinfo ENOTFOUND ${SMTP_RELAY}"


def _py() -> Facts:
    return _facts([_rollout("Deployment", "billing", "worker", ["worker image w:1.4 -> w:1.5", PY_DIFF])],
                  _log("worker-6d9f8b7c5-k2x9q", "billing", error=PY_SAID), _crash("Deployment", "billing", "worker"))


def _java() -> Facts:
    return _facts([_rollout("StatefulSet", "edge", "gateway", [JAVA_DIFF])],
                  _log("gateway-1", "edge", last=["Starting GatewayApplication", JAVA_SAID]),
                  _crash("StatefulSet", "edge", "gateway"))


def _net(at: str = "2026-09-01T11:45:00Z", data: str = NET_DATA) -> Facts:
    return _facts([_config("shop", "quote-api-settings", "quote-api", at),
                   _rollout("Deployment", "shop", "quote-api", ["quote-api image q:7.0 -> q:7.1"])],
                  _log("quote-api-7c9d6f5b8-zz7lm", "shop", error=NET_SAID), _crash("Deployment", "shop", "quote-api"),
                  {"shop/quote-api-settings": (data, "E9", "quote-api-2.0.0")})


def _node() -> Facts:
    return _facts([_config("mail", "mailer-env", "mailer")],
                  _log("mailer-5f7d8c6b9-x7k2p", "mail", error=NODE_SAID), _crash("Deployment", "mail", "mailer"),
                  {"mail/mailer-env": (NODE_DATA, "E9", "")})


def _top(facts: Facts, ns: str, name: str) -> Any:
    return rank(subject_of(alert(alertname="KubePodCrashLooping", namespace=ns, deployment=name)), facts)[0]


def test_shell_syntax_written_into_an_env_value_is_the_cause_of_the_crash() -> None:
    top = _top(_py(), "billing", "worker")
    assert top.ref == Ref("Deployment", "billing", "worker") and top.check == "config.unexpanded"
    assert "${PG_HOST}" in top.cause and "literal" in top.cause and "$(VAR)" in top.cause
    assert "was 'postgresql://$(PG_HOST):5432/billing'" in top.cause


def test_an_undefined_kubelet_reference_in_args_is_read_the_same_way() -> None:
    [hit] = found(_java())
    assert hit.target == Ref("StatefulSet", "edge", "gateway") and hit.token == "$(GATEWAY_PORT)"
    top = _top(_java(), "edge", "gateway")
    assert top.check == "config.unexpanded" and "not defined earlier" in top.cause


def test_template_text_in_a_configmap_names_the_configmap_not_the_crashing_api() -> None:
    top = _top(_net(), "shop", "quote-api")
    assert top.ref == Ref("ConfigMap", "shop", "quote-api-settings"), top.cause
    assert "{{ .Values.region }}" in top.cause and "tpl" in top.cause and "quote-api-2.0.0" in top.cause
    assert "written by argocd-controller" in top.cause


def test_an_envsubst_placeholder_left_in_a_configmap_is_found() -> None:
    [hit] = found(_node())
    assert hit.target == Ref("ConfigMap", "mail", "mailer-env") and hit.where == "SMTP_URL=smtp://${SMTP_RELAY}:587"
    assert Ref("Deployment", "mail", "mailer") in hit.explains
    assert Ref("Service", "mail", "${smtp_relay}") in hit.explains


def test_the_service_a_placeholder_host_seems_to_name_is_explained_by_it() -> None:
    assert pointed_at("{{ .Release.Namespace }}", "resolve kafka.{{ .Release.Namespace }}.svc:9092 failed",
                      "ns")[0] == Ref("Service", "ns", "kafka")


# ---- twins: same look, not the cause -----------------------------------------------------------------------


def test_a_placeholder_written_but_never_quoted_by_a_failure_is_not_blamed() -> None:
    facts = _py()
    facts.logs[0] = _log("worker-6d9f8b7c5-k2x9q", "billing", error="OOMKilled: container exceeded memory limit")
    assert not found(facts)


def test_an_info_line_that_prints_a_template_is_no_failure() -> None:
    quiet = _log("mailer-5f7d8c6b9-x7k2p", "mail", last=["loaded template welcome: Hello {{ .FirstName }}"])
    assert not failing_lines(quiet)
    facts = _node()
    facts.logs[0] = quiet
    assert not found(facts)


def test_a_placeholder_that_was_already_there_before_the_rollout_is_not_its_write() -> None:
    same = "worker env PG_DSN='postgresql://${PG_HOST}:5432/billing' -> PG_DSN='postgresql://${PG_HOST}:5432/ledger'"
    facts = _facts([_rollout("Deployment", "billing", "worker", [same])],
                   _log("worker-6d9f8b7c5-k2x9q", "billing", error=PY_SAID), _crash("Deployment", "billing", "worker"))
    assert not found(facts)


def test_a_configmap_written_days_ago_is_not_the_recent_write() -> None:
    assert not found(_net(at="2026-08-25T09:00:00Z"))


def test_a_configmap_holding_another_placeholder_is_not_blamed() -> None:
    assert not found(_net(data='{"Upstream": {"BaseUrl": "https://pricing.{{ .Values.zone }}.internal"}}'))
    top = _top(_net(data='{"Upstream": {"BaseUrl": "https://pricing.{{ .Values.zone }}.internal"}}'), "shop",
               "quote-api")
    assert top.check != "config.unexpanded"


# ---- audit (issue #12): build/release tools' tokens and other template engines left unexpanded --------------


MVN_DATA = "spring.datasource.url=jdbc:postgresql://@DB_HOST@:5432/orders\nserver.port=8080"
MVN_SAID = "Caused by: java.net.UnknownHostException: @DB_HOST@: Name or service not known"


def _maven(data: str = MVN_DATA, said: str = MVN_SAID) -> Facts:
    return _facts([_config("orders", "orders-props", "orders")], _log("orders-5d6f7c8b9-q2w4r", "orders", error=said),
                  _crash("Deployment", "orders", "orders"), {"orders/orders-props": (data, "E9", "")})


def test_a_resource_filtering_token_left_in_a_configmap_is_named() -> None:
    [hit] = found(_maven())
    assert hit.target == Ref("ConfigMap", "orders", "orders-props") and hit.token == "@DB_HOST@"
    top = _top(_maven(), "orders", "orders")
    assert top.ref == Ref("ConfigMap", "orders", "orders-props") and "build or release tool" in top.cause


def test_an_address_with_an_upper_case_domain_is_no_token() -> None:
    data = "mail.from=alerts@MAIL.EXAMPLE\nserver.port=8080"
    said = "ERROR javax.mail.SendFailedException: Invalid Addresses: alerts@MAIL.EXAMPLE refused"
    assert found(_maven(data, said)) == []


TOKEN_DIFF = "web env API_BASE='https://api.internal/v2' -> API_BASE='https://__API_HOST__/v2'"
TOKEN_SAID = "TypeError [ERR_INVALID_URL]: Invalid URL: https://__API_HOST__/v2"


def test_a_pipeline_token_written_into_an_env_value_is_named() -> None:
    facts = _facts([_rollout("Deployment", "web", "storefront", [TOKEN_DIFF])],
                   _log("storefront-7b8c9d6f5-x2k4q", "web", error=TOKEN_SAID),
                   _crash("Deployment", "web", "storefront"))
    [hit] = found(facts)
    assert hit.token == "__API_HOST__" and hit.before == "'https://api.internal/v2'"


def test_a_pipeline_token_already_in_the_old_value_was_not_this_write() -> None:
    diff = "web env API_BASE='https://__API_HOST__/v1' -> API_BASE='https://__API_HOST__/v2'"
    facts = _facts([_rollout("Deployment", "web", "storefront", [diff])],
                   _log("storefront-7b8c9d6f5-x2k4q", "web", error=TOKEN_SAID),
                   _crash("Deployment", "web", "storefront"))
    assert found(facts) == []


ERB_DATA = "cache:\n  host: <%= @redis_host %>\n  port: 6379"
ERB_SAID = ("redis.exceptions.ConnectionError: Error -2 connecting to <%= @redis_host %>:6379. Name or service not "
            "known.")


def test_an_erb_template_left_in_a_configmap_is_named() -> None:
    facts = _facts([_config("cart", "cart-settings", "cart")], _log("cart-6c7d8f9b5-z7x2c", "cart", error=ERB_SAID),
                   _crash("Deployment", "cart", "cart"), {"cart/cart-settings": (ERB_DATA, "E9", "")})
    [hit] = found(facts)
    assert hit.token == "<%= @redis_host %>"


def test_an_erb_template_only_printed_at_info_is_no_cause() -> None:
    said = "INFO rendering cache host from template <%= @redis_host %>"
    facts = _facts([_config("cart", "cart-settings", "cart")],
                   _log("cart-6c7d8f9b5-z7x2c", "cart", last=[said]),
                   _crash("Deployment", "cart", "cart"), {"cart/cart-settings": (ERB_DATA, "E9", "")})
    assert found(facts) == []
