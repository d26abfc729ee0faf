"""An object whose only finding is unverifiable but which was written just before the symptom (issue #12).

The scan cannot check an Ingress's TLS Secret when the recording holds no Secrets; that claim weighs little. If
the Ingress on the failing host was written minutes before the alert (a hostname annotation, its rules), the
write heads the case and competes as a change on the path; without the write, real evidence elsewhere leads, and
a case with a real finding is never given the change-led headline.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.incident import from_text
from agent.triage import rank, subject_of
from agent.triage.facts import Facts, Ref
from agent.triage.unverified import CHECK, promoted

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
INGRESS = {"kind": "Ingress", "namespace": "partners", "name": "partner-gateway"}
UNVERIFIED: dict[str, Any] = {
              "check": "ingress.missing_tls_secret", "severity": "info", "object": INGRESS, "owner": None,
              "reason": "SecretNotCollected", "message": "Ingress partners/partner-gateway: TLS for api.partners."
              "example.com uses Secret gw-tls, which was not collected: cannot check whether it exists",
              "details": {"secret": "gw-tls", "absence_known": False}, "evidence": [],
              "since": "2026-04-01T00:00:00Z", "pods": [], "count": 1}
CHANGE = {"at": "2026-05-01T11:49:00Z", "type": "other", "object": INGRESS,
          "summary": "Ingress partners/partner-gateway written by kubectl-edit",
          "diff": ["metadata.annotations.external-dns.alpha.kubernetes.io/hostname written by kubectl-edit "
                   "(now 'api-v2.partners.example.com')", "spec.rules written by kubectl-edit"]}


def _sandbox() -> dict[str, Any]:
    return {"check": "pod.not_ready", "severity": "warning",
            "object": {"kind": "Pod", "namespace": "partners", "name": "partner-sandbox-6d9f8b7c5d-x2x9q"},
            "owner": {"kind": "Deployment", "namespace": "partners", "name": "partner-sandbox"},
            "reason": "NotReady", "message": "Deployment partners/partner-sandbox: 1/1 pods not Ready",
            "details": {}, "evidence": [], "since": "2026-05-01T10:00:00Z", "pods": [], "count": 1}


def test_the_write_heads_the_case_of_an_object_whose_only_finding_is_unverifiable() -> None:
    extra = promoted(Ref.of(INGRESS) or Ref("", "", ""), [UNVERIFIED], CHANGE, AT)
    assert extra is not None and extra["check"] == CHECK
    assert extra["message"].startswith("Ingress partners/partner-gateway was written 11 min before the alert: "
                                       "metadata.annotations.external-dns.alpha.kubernetes.io/hostname")
    assert promoted(Ref.of(INGRESS) or Ref("", "", ""), [UNVERIFIED], None, AT) is None  # no write: nothing
    known = {**UNVERIFIED, "details": {"absence_known": True}}
    assert promoted(Ref.of(INGRESS) or Ref("", "", ""), [UNVERIFIED, known], CHANGE, AT) is None  # real finding


def test_ranked_the_written_ingress_leads_a_not_ready_bystander_and_without_the_write_it_does_not() -> None:
    question = subject_of(from_text("api.partners.example.com of partner-gateway in namespace partners is "
                                    "unreachable"))
    written = rank(question, Facts(at=AT, scan_id="E1", scan={"findings": [UNVERIFIED, _sandbox()]},
                                   changes={"changes": [CHANGE]}, changes_id="E2"))
    assert written[0].check == CHECK and "external-dns" in written[0].cause[:300]
    quiet = rank(question, Facts(at=AT, scan_id="E1", scan={"findings": [UNVERIFIED, _sandbox()]}))
    assert quiet[0].check == "pod.not_ready"
