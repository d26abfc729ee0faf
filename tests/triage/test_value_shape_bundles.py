"""A Secret rewritten with a malformed value, end to end, on bundles written here (not the held-out stories).

Incident bundles written with the corpus generator's writer, served by the replay API server and Debian's
Prometheus, investigated blind in runbook-only mode and scored against their answer keys, as `vigil eval` does:

- a Go token signer that crash-loops on `illegal base64 data at input byte 44` after its signing-key Secret,
  mounted as a volume, was re-applied by hand (kubectl-client-side-apply); the page names only the crash-looping pod,
  and another Deployment's rollout in the namespace is the red herring;
- a Python statement pusher whose `requests` refuses the Authorization header it reads by envFrom (`Invalid leading
  whitespace, reserved character(s), or return character(s) in header value`, the value printed by the library
  itself) after `kubectl edit` on the Secret and a Reloader restart; asked about in chat;
- its negative twin: the same write and restart, but the partner answers 401 (the key is wrong, not malformed):
  this mechanism must not lead.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.triage.blind_eval import investigate_blind

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]


def written_by(obj: dict[str, Any], manager: str, at: datetime, key: str) -> None:
    """managedFields as the API server keeps them after `manager` set data key `key` at `at`."""
    obj["metadata"]["managedFields"] = [{"manager": manager, "operation": "Update", "apiVersion": "v1",
                                         "time": ts(at), "fieldsType": "FieldsV1",
                                         "fieldsV1": {"f:data": {f"f:{key}": {}}}}]
    obj["metadata"].get("annotations", {}).pop("kubectl.kubernetes.io/last-applied-configuration", None)


def herring(inc: Incident, ns: str, name: str, at: datetime) -> None:
    """Another Deployment of the namespace rolled out a new image shortly before: healthy, and no cause."""
    img = f"{REGISTRY}/{ns}/{name}"

    def log(pod: str, s: datetime, e: datetime) -> str:
        return L.lines(L.ticker(s + timedelta(seconds=5), e, 30, lambda i, t: L.js(t, "info", "request served",
                                                                                     status=200, ms=12)))
    inc.deployment(ns, name, [Rev(1, at - timedelta(days=12), "helm upgrade", [c(name, f"{img}:1.4.0")]),
                              Rev(2, at, "helm upgrade", [c(name, f"{img}:1.4.1")])], {2: [P(log=log), P(log=log)]})


def signer_base64() -> Incident:
    """A signing key re-applied with a line break mid-value: the Go signer cannot decode it and crash-loops."""
    at = datetime(2026, 5, 12, 9, 40, tzinfo=UTC)
    inc = Incident("signer-base64-crash", title="token-signer crash looping", story=signer_base64.__doc__ or "",
                   at=at, seed=5311, namespaces=("identity",))
    edit = at - timedelta(minutes=26)
    inc.secret("identity", "signer-keys", {"signing-key": inc.canary("aws-secret", "signer") + "\n"})
    written_by(inc.find("Secret", "identity", "signer-keys"), "kubectl-client-side-apply", edit, "signing-key")

    def log(pod: str, s: datetime, e: datetime) -> str:
        return L.lines([(s + timedelta(milliseconds=300), L.js(s, "info", "token-signer starting", version="2.3.1")),
                        (s + timedelta(milliseconds=600), L.js(s, "fatal", "cannot load signing key",
                                                               path="/etc/signer/signing-key",
                                                               error="illegal base64 data at input byte 44"))])
    img = f"{REGISTRY}/identity/token-signer:2.3.1"
    volume = {"volumes": [{"name": "keys", "secret": {"secretName": "signer-keys"}}]}
    mount = {"volumeMounts": [{"name": "keys", "mountPath": "/etc/signer", "readOnly": True}]}
    inc.deployment("identity", "token-signer", [
        Rev(1, at - timedelta(days=30), "helm upgrade", [c("token-signer", img)], pod_spec=volume, container=mount)],
        {1: [P(state="crashloop", log=log, exit_code=1, run_s=lambda n: 0.6, crash_from=edit + timedelta(minutes=1))
             for _ in range(2)]})
    herring(inc, "identity", "session-api", at - timedelta(minutes=35))
    pod = inc.pods_of("identity", "token-signer")[0].name
    inc.alertmanager("KubePodCrashLooping", {"namespace": "identity", "pod": pod, "container": "token-signer"},
                     f"Pod identity/{pod} is crash looping",
                     f"Pod identity/{pod} (token-signer) is in waiting state (reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1')
    inc.answer_key(culprit=("Secret", "identity", "signer-keys"), keywords=["base64", "malformed"],
                   root_cause="signer-keys was re-applied with a line break in the signing key; the signer cannot "
                              "decode it (illegal base64 data) and crash-loops.",
                   category="secret-malformed-base64", red_herrings=[("Deployment", "identity", "session-api")])
    return inc


def pusher(name: str, refused: bool) -> Incident:
    """A statement pusher whose bank token Secret was edited and reloaded: malformed (or, for the twin, wrong)."""
    at = datetime(2026, 6, 3, 10, 30, tzinfo=UTC)
    inc = Incident(name, title="statement-pusher failing", story="", at=at, seed=6203 + refused,
                   namespaces=("finance",))
    edit = at - timedelta(minutes=14)
    restart = edit + timedelta(minutes=2)
    token = inc.canary("token", "bank")
    inc.secret("finance", "bank-api", {"BANK_TOKEN": token + ("" if refused else "\n")})
    written_by(inc.find("Secret", "finance", "bank-api"), "kubectl-edit", edit, "BANK_TOKEN")
    url = "https://api.bank.example.net/v1/statements"

    def log(pod: str, s: datetime, e: datetime) -> str:
        out = [(s + timedelta(seconds=1), L.pylog(s + timedelta(seconds=1), "INFO", "pusher", "worker started"))]
        for t in L.every(s + timedelta(seconds=20), e, 30):
            said = (f"requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: {url}" if refused else
                    "requests.exceptions.InvalidHeader: Invalid leading whitespace, reserved character(s), or "
                    f"return character(s) in header value: 'Bearer {token}\\n'")
            out.append((t, L.pylog(t, "ERROR", "pusher.bank", f"push failed: {said}")))
        return L.lines(out)
    img = f"{REGISTRY}/finance/statement-pusher:4.2.0"
    env = {"envFrom": [{"secretRef": {"name": "bank-api"}}]}
    inc.deployment("finance", "statement-pusher", [
        Rev(5, at - timedelta(days=9), "helm upgrade", [c("statement-pusher", img)], container=env),
        Rev(6, restart, "reloader.stakater.com: secret bank-api changed", [c("statement-pusher", img)],
            container=env)], {6: [P(log=log), P(log=log)]},
        annotations={"secret.reloader.stakater.com/reload": "bank-api"})
    herring(inc, "finance", "ledger-api", at - timedelta(minutes=30))
    inc.ask("Why has statement-pusher been failing to push statements since about 10:20?")
    if refused:  # the twin: the token is wrong and the bank says so; the credential classes name it
        inc.answer_key(culprit=("Secret", "finance", "bank-api"), keywords=["refused for authentication", "401"],
                       root_cause="bank-api's token was edited to one the bank does not accept (401).",
                       category="secret-wrong-token", red_herrings=[("Deployment", "finance", "ledger-api")])
        return inc
    inc.answer_key(culprit=("Secret", "finance", "bank-api"), keywords=["header", "newline"],
                   root_cause="bank-api's token was edited and now ends in a newline; requests refuses the header.",
                   category="secret-malformed-header", red_herrings=[("Deployment", "finance", "ledger-api")])
    return inc


def pusher_malformed() -> Incident:
    return pusher("pusher-malformed-header", refused=False)


def pusher_refused() -> Incident:
    return pusher("pusher-refused-twin", refused=True)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return investigate_blind([signer_base64, pusher_malformed, pusher_refused], tmp_path_factory.mktemp("shape"),
                             jobs=1)


def test_the_mounted_signing_key_re_applied_malformed_is_named(results: dict[str, Any]) -> None:
    row = results["signer-base64-crash"]
    top = str(row.top or "")
    assert row.verdict == "right", (row.verdict, top, row.error)
    for words in ("Secret identity/signer-keys", "by kubectl-client-side-apply", "volume at /etc/signer",
                  "illegal base64 data"):
        assert words in top, (words, top)


def test_the_header_token_edited_malformed_is_named_and_its_value_never_quoted(results: dict[str, Any]) -> None:
    row = results["pusher-malformed-header"]
    top = str(row.top or "")
    assert row.verdict == "right", (row.verdict, top, row.error)
    assert "Secret finance/bank-api" in top and "envFrom" in top and "trailing newline" in top
    assert "the bank token value" in top  # the one data key the edit set


def test_a_token_refused_as_wrong_is_not_called_malformed(results: dict[str, Any]) -> None:
    row = results["pusher-refused-twin"]
    assert row.verdict == "right", (row.verdict, row.top, row.error)
    assert "malformed" not in str(row.top or ""), row.top
