"""Kubernetes names a controller built around a counter stay readable; random tokens with numbers do not.

Knative names a Revision `<service>-<5-digit generation>` and its pods `<revision>-deployment-<hash>-<id>`
(`quote-api-00012-deployment-6d8f7c9b5d-x2kqz`); Argo Workflows and CronJobs put a number between words too. Such a
name was redacted as a vendor token (the 5-digit run failed the "name of words" test), which hid the pod from every
tool call that must name it. Twins: vendor-shaped tokens whose body only happens to hold digit runs.
"""

from __future__ import annotations

import pytest

from guardrails.redaction import redact_text


@pytest.mark.parametrize("name", [
    "quote-api-00012-deployment-6d8f7c9b5d-x2kqz",
    "checkout-web-00003-deployment-7f9c8d6b5a-lm2pq",
    "nightly-report-1733356800-build-5c7d9-ztq4x",
])
def test_a_controller_made_name_around_a_counter_is_kept(name: str) -> None:
    line = f"pod {name} Running 1/1"
    assert redact_text(line).text == line


@pytest.mark.parametrize("token", [
    "gsk_8Jd7f0012Kq93ZxLm44pQw0Rt5Vb2Nc7Yh1",
    "xai-00012Tz8Qm3Lp9Vw2Kd7Rf4Hn6Bj1Cs5Gx0AaYy",
])
def test_vendor_tokens_with_digit_runs_are_still_redacted(token: str) -> None:
    assert token not in redact_text(f"export API_KEY={token}").text
    assert token not in redact_text(f"using {token} for the call").text
