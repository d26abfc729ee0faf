"""setting_words: a write whose written setting the victim's outward errors name by a specific word.

Small Facts of our own in the shapes the survey fills (the change timeline's diff lines, the victim's log errors).
Shapes from different software and evidence places: a mesh JWT policy's `audiences` key inside the written value
and Envoy's `jwt_authn_access_denied{Audiences_in_Jwt_are_not_allowed}` in the sidecar's access log; a workload
identity template's `spiffeIDTemplate` path and a Go gRPC server's `unexpected SPIFFE ID` refusal; an identity
provider's imported client `redirectUris` and Keycloak's `invalid_redirect_uri`. Negative twins: a neighbour's
image bump (the usual red herring) whose diff holds only spec vocabulary, a probe `timeoutSeconds` change beside
errors that say `timeout` (generic words never link), a write made after the errors began, a victim whose own
workload was written first, and a word that several writes share.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import setting_words as sw
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)


def _t(minutes_before: int) -> str:
    return (AT - timedelta(minutes=minutes_before)).isoformat().replace("+00:00", "Z")


def _log(pod: str, namespace: str, message: str, error_class: str, first_before: int) -> LogEvidence:
    error = {"message": message, "example": message, "severity": "error", "error_class": error_class,
             "first_seen": _t(first_before)}
    return LogEvidence(pod=pod, namespace=namespace, evidence_id="E7", top=error, hosts=[],
                       error_classes={error_class}, previous=False)


def _write(kind: str, namespace: str, name: str, minutes_before: int, diff: list[str],
           type_: str = "other") -> dict[str, Any]:
    return {"at": _t(minutes_before), "type": type_, "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {name} written by argocd-controller: {diff[0]}", "diff": diff}


def _facts(changes: list[dict[str, Any]], logs: list[LogEvidence]) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=logs)


RED_HERRING = _write("Deployment", "mobile", "mobile-push", 20,
                     ["mobile-push image registry.example.com/mobile/mobile-push:2.0.3 -> "
                      "registry.example.com/mobile/mobile-push:2.0.4"], "rollout")
ENVOY_401 = ('[2026-12-05T13:40:12.000Z] "GET /v3/feed?page=1 HTTP/1.1" 401 - '
             'jwt_authn_access_denied{Audiences_in_Jwt_are_not_allowed} "-" 0 1834 0 - "10.244.2.1" "okhttp/4.12.0"')


def _jwt_case(written_before: int = 35, first_before: int = 30, more: list[dict[str, Any]] | None = None) -> Facts:
    policy = _write("RequestAuthentication", "istio-system", "edge-jwt", written_before,
                    ['spec.jwtRules = [{"audiences": ["https://api.example.com"], "issuer": "https://id.example.com"}]'])
    log = _log("mobile-bff-5fmn5ngpcs-9m7z6", "mobile", ENVOY_401, "auth_failure", first_before)
    return _facts([policy, RED_HERRING, *(more or [])], [log])


def test_a_jwt_policys_audiences_and_the_sidecars_audience_refusal_link_the_policy() -> None:
    found = sw.found(_jwt_case())
    assert [str(s.target) for s in found] == ["RequestAuthentication istio-system/edge-jwt"]
    assert found[0].word == "audience"
    message = sw.finding(found[0])["message"]
    assert message.startswith("RequestAuthentication istio-system/edge-jwt wrote spec.jwtRules = [{\"audiences\"")
    assert "35 min before mobile-bff's errors, which speak" in message and "(audience)" in message
    ref, _, evidence, explains = sw.suspects(_jwt_case())[0]
    assert str(ref) == "RequestAuthentication istio-system/edge-jwt" and evidence == ["E2", "E7"]
    assert [str(r) for r in explains] == ["Pod mobile/mobile-bff-5fmn5ngpcs-9m7z6", "mobile/mobile-bff"]


def test_a_workload_identity_template_and_a_grpc_servers_spiffe_refusal() -> None:
    template = _write("ClusterSPIFFEID", "", "default-workloads", 60,
                      ["spec.spiffeIDTemplate: 'spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}' -> "
                       "'spiffe://{{ .TrustDomain }}/c/eu1/ns/{{ .PodMeta.Namespace }}'"])
    line = ('level=error msg="rpc failed" err="rpc error: code = PermissionDenied desc = unexpected SPIFFE ID '
            '\\"spiffe://prod.example.org/c/eu1/ns/ledger/sa/ledger\\""')
    facts = _facts([template], [_log("ledger-7d9f8b6c5d-abcde", "ledger", line, "permission_denied", 50)])
    found = sw.found(facts)
    assert [(str(s.target), s.word) for s in found] == [("ClusterSPIFFEID default-workloads", "spiffe")]


def test_an_imported_client_redirect_setting_and_keycloaks_invalid_redirect_uri() -> None:
    realm = _write("KeycloakRealmImport", "identity", "partners-realm", 25,
                   ['spec.realm.clients = [{"clientId": "partner-portal", "redirectUris": '
                    '["https://partners.staging.example.com/*"]}]'])
    line = ("2026-12-05 13:41:02,113 WARN  [org.keycloak.events] (executor-thread-7) type=\"LOGIN_ERROR\", "
            "realmId=\"partners\", clientId=\"partner-portal\", error=\"invalid_redirect_uri\", "
            "redirect_uri=\"https://partners.example.com/callback\"")
    facts = _facts([realm], [_log("partner-portal-6f7c9d8b4f-x1x2z", "partners", line, "auth_failure", 20)])
    assert [(str(s.target), s.word) for s in sw.found(facts)] == [("KeycloakRealmImport identity/partners-realm",
                                                                   "redirect")]


def test_a_neighbours_image_bump_shares_no_setting_word() -> None:
    facts = _facts([RED_HERRING], [_log("mobile-bff-5fmn5ngpcs-9m7z6", "mobile", ENVOY_401, "auth_failure", 10)])
    assert sw.found(facts) == []


def test_generic_words_never_link_a_probe_timeout_to_timing_out_calls() -> None:
    probe = _write("Deployment", "shop", "catalog", 30, ["catalog readinessProbe.timeoutSeconds: 1 -> 5",
                                                         "spec.progressDeadlineSeconds: 600 -> 300"])
    line = "upstream request timeout while connecting to catalog: context deadline exceeded (Client.Timeout exceeded)"
    facts = _facts([probe], [_log("checkout-5c8d7f6b9c-aa1bb", "shop", line, "connection_timeout", 20)])
    assert sw.found(facts) == []


def test_a_write_after_the_errors_began_is_not_linked() -> None:
    assert sw.found(_jwt_case(written_before=20, first_before=30)) == []


def test_a_victim_whose_own_workload_was_written_first_keeps_its_blame() -> None:
    own = _write("Deployment", "mobile", "mobile-bff", 40, ["mobile-bff image mobile/bff:3.1 -> mobile/bff:3.2"],
                 "rollout")
    assert sw.found(_jwt_case(more=[own])) == []


def test_a_word_that_several_writes_share_decides_nothing() -> None:
    others = [_write("RequestAuthentication", ns, "jwt", 50, ['spec.jwtRules = [{"audiences": ["x"]}]'])
              for ns in ("payments", "search")]
    assert sw.found(_jwt_case(more=others)) == []


def test_words_split_paths_and_camel_case_and_compare_singular() -> None:
    assert {"jwt", "rule", "audience"} <= sw.words("spec.jwtRules[0].audiences")
    assert sw.words("spiffeIDTemplate") >= {"spiffe", "template"}
    assert sw.stem("policies") == "policy" and sw.stem("keys") == "key"
    assert sw.stem("status") == "status" and sw.stem("redis") == "redis"
    assert not sw.specific("timeout") and not sw.specific("containers") and sw.specific("audience")


def test_an_http_reason_phrase_is_not_a_setting_word() -> None:
    edit = _write("ConfigMap", "payments", "payments-config", 11, ["data key GATEWAY_URL set by kubectl-edit"],
                  "config")
    line = ("payment for ORD-902254 failed: 502 Bad Gateway from POST http://payments.payments/v1/authorise: "
            '{"error":"psp_error","psp_status":401}')
    assert sw.found(_facts([edit], [_log("checkout-7f9c8d6b5a-x1y2z", "shop", line, "http_5xx", 5)])) == []


def test_specific_leaves_out_words_whose_plural_is_vocabulary() -> None:
    """The vocabulary is stemmed once: a word only its plural form is listed under (`bytes`, `matchexpressions`)
    is vocabulary too, and the answer is the one the per-call stemming gave."""
    assert "byte" not in sw.GENERIC_WORDS and not sw.specific("byte")
    assert "matchexpression" not in sw.SPEC_WORDS and not sw.specific("matchexpression")
    assert sw.specific("audience") and sw.specific("spiffeidtemplate") and not sw.specific("audiences")
    vocabulary = sw.SPEC_WORDS | sw.GENERIC_WORDS
    samples = vocabulary | {sw.stem(w) for w in vocabulary} | {"redirect", "jwt", "sasl", "tenant", "shard", "x509"}

    def per_call(word: str) -> bool:  # the rule as it was computed before: every vocabulary word stemmed each call
        return word not in vocabulary and sw.stem(word) == word and not any(sw.stem(w) == word for w in vocabulary) \
            and not any(ch.isdigit() for ch in word)

    assert {w for w in samples if sw.specific(w)} == {w for w in samples if per_call(w)} != set()
