"""Object names that Kubernetes controllers generate are never redacted as vendor tokens.

Found by a triage regression: `ingress-nginx-controller-7d9f8b6c5d-x2x9q` read as `<prefix>-<random
body>` (a vendor-prefixed key), so the pod's name became `[REDACTED:...]` and the investigation could
no longer read its logs. The names here are generated the way apimachinery does (a pod-template-hash
and a pod suffix from its vowel-free alphabet, StatefulSet ordinals, CronJob minute numbers) for
owner names of several shapes; the twins are vendor-style tokens that must still be redacted.
"""

from __future__ import annotations

import random
import string

import pytest

from guardrails.redaction import redact_text
from guardrails.secret_shapes import kubernetes_generated_name

_RNG = random.Random(4242)
_SAFE = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's rand.SafeEncodeString alphabet
_OWNERS = ["ingress-nginx-controller", "payments-api", "checkout-service-worker", "kube-state-metrics",
           "argocd-repo-server", "thanos-query-frontend", "order-events-consumer", "grafana-agent-operator"]


def _suffix(n: int) -> str:
    return "".join(_RNG.choice(_SAFE) for _ in range(n))


def _generated_names() -> list[str]:
    names = []
    for owner in _OWNERS:
        names.append(f"{owner}-{_suffix(_RNG.choice((8, 9, 10)))}-{_suffix(5)}")  # Deployment pod
        names.append(f"{owner}-{_RNG.randrange(0, 12)}")  # StatefulSet pod
        names.append(f"{owner}-{_RNG.randrange(29_000_000, 29_999_999)}-{_suffix(5)}")  # CronJob's Job pod
        hex8 = "".join(_RNG.choice("0123456789abcdef") for _ in range(8))
        tail = "".join(_RNG.choice(string.ascii_lowercase + string.digits) for _ in range(4))
        names.append(f"gke-{owner}-default-pool-{hex8}-{tail}")  # a GKE node name
    return names


@pytest.mark.parametrize("name", _generated_names())
def test_generated_pod_names_survive_in_log_lines(name: str) -> None:
    assert kubernetes_generated_name(name)
    line = f'level=info msg="pod restarted" pod={name} namespace=ingress-nginx'
    assert name in redact_text(line).text


def _token(prefix: str, n: int) -> str:
    return prefix + "".join(_RNG.choice(string.ascii_letters + string.digits) for _ in range(n))


@pytest.mark.parametrize("token", [_token("gsk_", 48), _token("xai-", 60), _token("pscale_tkn_", 40),
                                   _token("HRKU-", 36)])
def test_vendor_tokens_are_still_redacted(token: str) -> None:
    assert not kubernetes_generated_name(token)
    assert token not in redact_text(f"export API_TOKEN_VALUE={token}").text
    assert token not in redact_text(f"using {token} for the call").text


@pytest.mark.parametrize("value", ["Payments-api-6b7f9c8d4-zxq9w", "payments-api", "x7k2m9q4-zxq9w",
                                   "payments_api-6b7f9c8d4-zxq9w"])
def test_what_is_not_a_generated_name(value: str) -> None:
    """Uppercase, underscores, no generated tail, or an owner part that is not words: not this shape."""
    assert not kubernetes_generated_name(value)


@pytest.mark.parametrize("line", [
    "Secret shop/checkout-db", "Secret payments/stripe-webhook was written 5 min before the alert",
    "secret monitoring/alertmanager-main-generated", "Secret checkout-db", "a Secret ns-1/tls-7h2k9m4t5b"])
def test_a_secret_named_by_kind_and_name_is_not_a_device_directive(line: str) -> None:
    """Found by the text-rendering golden test: the device-config rule (`secret <value>`) read Vigil's own
    `Secret <namespace>/<name>` as a credential and hid the object every finding must name."""
    assert redact_text(line).text == line


@pytest.mark.parametrize(("line", "value"), [
    ("username admin secret Zx9#kq2LmP0w", "Zx9#kq2LmP0w"), ("tacacs-server key 7 0822455D0A16", "0822455D0A16")])
def test_device_directives_still_hide_their_credentials(line: str, value: str) -> None:
    assert value not in redact_text(line).text
