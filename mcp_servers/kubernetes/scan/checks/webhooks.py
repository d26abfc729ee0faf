"""Admission webhooks that block creates: a missing or empty backend, or calls the API server reports failing.

A Validating or Mutating webhook with `failurePolicy: Fail` (the v1 default) whose backend cannot
answer rejects every matching create or update: rollouts stall with FailedCreate events that name
the webhook. The backend's Service is checked for in-cluster webhooks; for every webhook, in-cluster
or by URL, the events the controllers record carry the API server's own words, `failed calling
webhook "<name>": <error>` or `admission webhook "<name>" denied the request: <why>`, and those name
the configuration to look at even when its backend looks healthy from inside the cluster (a
control-plane firewall, a wrong port, an expired serving certificate).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import clip, earliest, iso, latest, pod_is_ready, quote, ref
from mcp_servers.kubernetes.scan.checks.services import ready_addresses, selected_pods
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding, Severity
from mcp_servers.kubernetes.scan.snapshot import Event, Snapshot

CHECK_IDS = ("webhook.missing_service", "webhook.no_endpoints", "webhook.calls_failing", "webhook.denied")

# The API server's wording (k8s.io/apiserver admission webhook errors), stable across releases.
_FAILED_CALL = re.compile(r'failed calling (?:admission )?webhook "(?P<hook>[^"]+)": (?P<error>.*)', re.S)
_DENIED = re.compile(r'admission webhook "(?P<hook>[^"]+)" denied the request:? ?(?P<error>.*)', re.S)

# What kind of failure the call's error text is, most specific first.
_CALL_ERRORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tls", ("x509:", "certificate", "tls:")),
    ("timeout", ("context deadline exceeded", "timeout", "timed out", "i/o timeout")),
    ("refused", ("connection refused",)),
    ("no_endpoints", ("no endpoints available",)),
    ("service_not_found", ("not found",)),
    ("dns", ("no such host",)),
)


def _config(snap: Snapshot, config: dict[str, Any], answered: set[str]) -> list[ScanFinding]:
    """`answered`: webhooks whose failing calls reached a server (a TLS handshake, a denial): their Service is
    served whatever the listing holds, so "does not exist" is not claimed for them."""
    kind = str(config.get("kind"))
    subject = ref(config, kind)
    out = []
    for hook in config.get("webhooks") or []:
        svc_ref = (hook.get("clientConfig") or {}).get("service")
        if not svc_ref:
            continue
        ns, name = str(svc_ref.get("namespace") or ""), str(svc_ref.get("name") or "")
        if not snap.has("Service") or not snap.in_scope(ns):
            continue
        policy = hook.get("failurePolicy") or "Fail"
        severity: Severity = "critical" if policy == "Fail" else "warning"
        details = {"webhook": hook.get("name"), "service": f"{ns}/{name}", "failure_policy": policy,
                   "port": svc_ref.get("port", 443)}
        svc = snap.get("Service", ns, name)
        service_ref = ObjectRef(kind="Service", namespace=ns, name=name)
        if svc is None and str(hook.get("name") or "") not in answered:
            out.append(ScanFinding(
                check="webhook.missing_service", severity=severity, object=subject, owner=service_ref,
                reason="ServiceNotFound",
                message=f"{subject}: webhook {hook.get('name')} calls Service {ns}/{name}, which does not exist "
                        f"(failurePolicy {policy})",
                details=details, evidence=[f"clientConfig.service {ns}/{name} not found"]))
            continue
        if svc is None or not (svc.get("spec") or {}).get("selector"):
            continue
        ready = ready_addresses(snap, svc)
        if ready is None:
            ready = sum(1 for p in selected_pods(snap, svc) if pod_is_ready(p))
        if ready == 0:
            out.append(ScanFinding(
                check="webhook.no_endpoints", severity=severity, object=subject, owner=service_ref,
                reason="NoReadyEndpoints",
                message=f"{subject}: webhook {hook.get('name')} calls Service {ns}/{name}, which has no ready "
                        f"endpoints (failurePolicy {policy})",
                details=details, evidence=[f"Service {ns}/{name}: 0 ready endpoints"]))
    return out


def call_error_class(error: str) -> str:
    """`timeout`, `tls`, `refused`... for the error text after `failed calling webhook "x":`."""
    low = error.lower()
    for name, needles in _CALL_ERRORS:
        if any(n in low for n in needles):
            return name
    return "error"


def _blocked_events(snap: Snapshot) -> dict[tuple[str, str], list[tuple[Event, str]]]:
    """Events whose message carries the API server's webhook error, by (check, webhook name)."""
    out: dict[tuple[str, str], list[tuple[Event, str]]] = {}
    for e in snap.events:
        # A denial is an answer, so it wins over the "failed calling" wrapper some versions put around it.
        for check, pattern in (("webhook.denied", _DENIED), ("webhook.calls_failing", _FAILED_CALL)):
            found = pattern.search(e.message)
            if found:
                out.setdefault((check, found.group("hook")), []).append((e, found.group("error").strip()))
                break
    return out


def _blocked(config: dict[str, Any], blocked: dict[tuple[str, str], list[tuple[Event, str]]]) -> list[ScanFinding]:
    """A finding per webhook of this configuration that the events show failing or denying."""
    kind = str(config.get("kind"))
    subject = ref(config, kind)
    out = []
    for hook in config.get("webhooks") or []:
        name = str(hook.get("name") or "")
        policy = hook.get("failurePolicy") or "Fail"
        client = hook.get("clientConfig") or {}
        svc = client.get("service") or {}
        target = (f"Service {svc.get('namespace')}/{svc.get('name')} port {svc.get('port', 443)}" if svc
                  else str(client.get("url") or "its URL"))
        for check in ("webhook.calls_failing", "webhook.denied"):
            seen = blocked.get((check, name))
            if not seen:
                continue
            objects = sorted({f"{e.kind} {e.namespace}/{e.name}" for e, _ in seen})
            error = seen[-1][1]
            times = sum(e.count for e, _ in seen)
            details: dict[str, Any] = {"webhook": name, "failure_policy": policy, "target": target,
                                       "timeout_seconds": hook.get("timeoutSeconds"), "blocked": objects[:5],
                                       "blocked_count": len(objects), "error": clip(error)}
            if check == "webhook.calls_failing":
                details["error_class"] = call_error_class(error)
                untrusted = _UNTRUSTED.search(error)
                trust = (f"; trust failed ({untrusted[0]}): the configuration's caBundle does not hold the CA that "
                         f"signed {name}'s serving certificate (a manifest re-applied with an old caBundle, a rotated "
                         "CA, a CA injector that stopped)") if untrusted else ""
                message = (f"{subject}: the API server cannot call webhook {name} ({target}, failurePolicy "
                           f"{policy}): {clip(error, 120)}{trust}; it blocked creates of {', '.join(objects[:3])}"
                           f" ({times} times)")
            else:
                message = (f"{subject}: webhook {name} denies creates of {', '.join(objects[:3])}: "
                           f"{clip(error, 120)} ({times} times)")
            firsts = [e.first or e.last for e, _ in seen]
            lasts = [e.last or e.first for e, _ in seen]
            out.append(ScanFinding(
                check=check, severity="critical" if policy == "Fail" or check == "webhook.denied" else "warning",
                object=subject, reason="FailedCallingWebhook" if check == "webhook.calls_failing" else "Denied",
                message=message, details=details, evidence=[quote(e) for e, _ in seen[:3]],
                since=iso(earliest(*firsts)), last_seen=iso(latest(*lasts))))
    return out


_UNTRUSTED = re.compile(r"x509: certificate signed by unknown authority|certificate verify failed|"
                        r"unable to get local issuer certificate", re.I)
"""A TLS failure of trust (not expiry, not a name mismatch): the caller's CA bundle lacks the signer."""


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    out: list[ScanFinding] = []
    blocked = _blocked_events(snap)
    answered = {hook for (check, hook), seen in blocked.items()
                if check == "webhook.denied" or any(call_error_class(error) == "tls" for _, error in seen)}
    for kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
        for config in snap.items(kind):
            out.extend(_config(snap, config, answered))
            out.extend(_blocked(config, blocked))
    return out
