"""Kubernetes Secrets never reveal a value: as objects, as `kubectl get -o yaml|json` text, in Lists.

The YAML and JSON texts below have the layout kubectl prints (keys sorted, `data` before `kind`,
the last-applied-configuration annotation repeating the Secret as compact JSON).
"""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from guardrails.redaction import redact_data, redact_text

PASSWORD_B64 = "cGFzc3dvcmQtUzNjcjN0IQ=="
USER_B64 = "b3JkZXJzX2FwcA=="
TLS_KEY_B64 = (
    "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2Z0lCQURBTkJna3Foa2lHOXcwQkFRRUZBQVND"
    "Qktnd2dnU2tBZ0VBQW9JQkFRQzcKLS0tLS1FTkQgUFJJVkFURSBLRVktLS0tLQo="
)
PLAIN = "s3cr3t-from-stringData"

SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {
        "name": "db-credentials",
        "namespace": "payments",
        "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                {"apiVersion": "v1", "kind": "Secret", "data": {"password": PASSWORD_B64}}
            )
        },
    },
    "type": "Opaque",
    "data": {"password": PASSWORD_B64, "username": USER_B64, "tls.key": TLS_KEY_B64},
    "stringData": {"extra": PLAIN},
}
CONFIGMAP = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "app-config"},
    "data": {"LOG_LEVEL": "info", "FEATURES": "new-checkout=true"},
}
VALUES = (PASSWORD_B64, USER_B64, TLS_KEY_B64, PLAIN)

KUBECTL_YAML = f"""apiVersion: v1
data:
  password: {PASSWORD_B64}
  tls.key: {TLS_KEY_B64}
  username: {USER_B64}
kind: Secret
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {{"apiVersion":"v1","data":{{"password":"{PASSWORD_B64}","username":"{USER_B64}"}},"kind":"Secret","metadata":{{"annotations":{{}},"name":"db-credentials","namespace":"payments"}},"type":"Opaque"}}
  creationTimestamp: "2026-11-20T09:12:44Z"
  name: db-credentials
  namespace: payments
  resourceVersion: "4812773"
  uid: 0b7e1f55-6a1e-4d47-9c1e-2f0d9b3f7e21
stringData:
  extra: |
    line one {PLAIN}
    line two
type: Opaque
"""


def _assert_no_values(text: str) -> None:
    for value in VALUES:
        assert value not in text
    assert "line two" not in text


def test_secret_object_keeps_keys_and_loses_every_value() -> None:
    original = copy.deepcopy(SECRET)
    red, findings = redact_data(SECRET)
    assert original == SECRET, "redact_data must not modify its input"
    assert set(red["data"]) == {"password", "username", "tls.key"}
    assert set(red["stringData"]) == {"extra"}
    assert all(v == "[REDACTED:k8s_secret_data]" for v in red["data"].values())
    assert red["stringData"]["extra"] == "[REDACTED:k8s_secret_data]"
    annotation = red["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    assert annotation == "[REDACTED:k8s_last_applied_secret]"
    assert red["metadata"]["name"] == "db-credentials" and red["type"] == "Opaque"
    _assert_no_values(json.dumps(red))
    assert sum(f.kind == "k8s_secret_data" for f in findings) == 4


def test_secret_inside_a_list_and_configmap_beside_it() -> None:
    listing = {"apiVersion": "v1", "kind": "List", "items": [CONFIGMAP, SECRET]}
    red, _ = redact_data(listing)
    _assert_no_values(json.dumps(red))
    assert red["items"][0]["data"] == CONFIGMAP["data"], "a ConfigMap's plain values are evidence: keep them"


def test_kubectl_get_secret_yaml_text() -> None:
    out = redact_text(KUBECTL_YAML)
    _assert_no_values(out.text)
    assert "  password: [REDACTED:k8s_secret_data]" in out.text
    assert "  username: [REDACTED:k8s_secret_data]" in out.text
    assert "  extra: [REDACTED:k8s_secret_data]" in out.text
    assert "name: db-credentials" in out.text and "type: Opaque" in out.text
    # Still YAML, same keys.
    parsed = yaml.safe_load(out.text)
    assert set(parsed["data"]) == {"password", "tls.key", "username"}


def test_kubectl_get_secrets_list_yaml_text() -> None:
    listing = {"apiVersion": "v1", "kind": "List", "items": [CONFIGMAP, SECRET], "metadata": {"resourceVersion": ""}}
    text = yaml.safe_dump(listing, sort_keys=True, width=10_000)
    out = redact_text(text)
    _assert_no_values(out.text)
    parsed = yaml.safe_load(out.text)
    assert parsed["items"][0]["data"] == CONFIGMAP["data"]
    assert set(parsed["items"][1]["data"]) == {"password", "username", "tls.key"}


def test_multi_document_yaml_stream() -> None:
    text = yaml.safe_dump_all([CONFIGMAP, SECRET], sort_keys=True, width=10_000)
    out = redact_text(text)
    _assert_no_values(out.text)
    docs = list(yaml.safe_load_all(out.text))
    assert docs[0]["data"] == CONFIGMAP["data"]


def test_kubectl_get_secret_json_text_pretty_and_compact() -> None:
    for text in (json.dumps(SECRET, indent=4), json.dumps({"kind": "List", "items": [CONFIGMAP, SECRET]})):
        out = redact_text(text)
        _assert_no_values(out.text)
        parsed = json.loads(out.text)
        secret = parsed if parsed["kind"] == "Secret" else parsed["items"][1]
        assert set(secret["data"]) == {"password", "username", "tls.key"}
        if parsed["kind"] == "List":
            assert parsed["items"][0]["data"] == CONFIGMAP["data"]


def test_configmap_alone_is_left_alone() -> None:
    text = yaml.safe_dump(CONFIGMAP)
    assert redact_text(text).text == text
    assert redact_data(CONFIGMAP)[0] == CONFIGMAP


def test_env_var_pairs_in_pod_specs() -> None:
    pod_yaml = (
        "containers:\n- name: api\n  env:\n  - name: STRIPE_SECRET_KEY\n    value: wB9xQ2mLk7Pz4Rt8Yc1Vn6Hd\n"
        "  - name: LOG_LEVEL\n    value: info\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n"
        "        name: db-credentials\n        key: password\n"
    )
    out = redact_text(pod_yaml)
    assert "wB9xQ2mLk7Pz4Rt8Yc1Vn6Hd" not in out.text
    assert "value: info" in out.text and "name: db-credentials" in out.text
    spec = {"env": [{"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "LOG_LEVEL", "value": "info"}]}
    red, _ = redact_data(spec)
    assert red["env"][0]["value"] == "[REDACTED:k8s_env_secret]"
    assert red["env"][1]["value"] == "info"


def test_sensitive_keys_in_parsed_data() -> None:
    red, findings = redact_data({"db": {"password": "hunter2", "host": "db"}, "api_token": "short", "name": "x"})
    assert red["db"]["password"] == "[REDACTED:password_assignment]"
    assert red["db"]["host"] == "db"
    assert red["api_token"] == "short", "a token-named key still needs a token-like value"
    assert [f.kind for f in findings] == ["password_assignment"]


def test_a_tree_redacts_each_distinct_string_once_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """Structured answers repeat strings (a file path in every row): one redaction per distinct string, and
    every copy of a secret is still redacted and counted."""
    from guardrails import redaction

    token = "ghp_" + "Zx81Qm4TbV7cLp2RsW9nK3yHa6dFj0uEoG5i"
    tree = {"rows": [{"file": "app/db.py", "line": 3, "note": f"token={token}"},
                     {"file": "app/db.py", "line": 9, "note": f"token={token}"}], "total": 2}
    calls: list[str] = []
    real = redaction.redact_text
    redaction._LEAVES.clear()  # strings earlier trees redacted are answered from memory (guardrails/pure_memo.py)
    monkeypatch.setattr(redaction, "redact_text", lambda text: (calls.append(text), real(text))[1])
    out, findings = redaction.redact_data(tree)
    assert sorted(calls) == ["app/db.py", f"token={token}"]
    assert token not in str(out) and len(findings) == 2
    assert out["rows"][0]["file"] == out["rows"][1]["file"] == "app/db.py" and out["total"] == 2
