"""What an error that names its own cause means, said back in the finding.

Many errors already say exactly what is wrong — a Redis replica refusing a write, S3 denying a
role assumed by an EC2 instance, Envoy's response flag `UH`, a Kyverno policy blocking a pod — but
a finding that only quotes them leaves the reader to know the wording. This module recognises the
real wording of real software (each signature below is the text the component itself prints, in
every client spelling we know) and appends one sentence: what it means and what to check next.

It reads only the candidate's own text, so it can never invent a cause the evidence did not show;
captured names (the policy, the rule, the role) come from that text. The catalogue is keyed on the
component's wording, never on an incident's names or numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from agent.triage import governing_settings, image_contents, server_error_codes


@dataclass(frozen=True)
class Meaning:
    """One recognised wording and how to say it back."""

    name: str
    pattern: re.Pattern[str]
    say: Callable[[re.Match[str]], str]


def _fixed(text: str) -> Callable[[re.Match[str]], str]:
    return lambda _m: text


def _kyverno(m: re.Match[str]) -> str:
    policy, rule = m.group("policy"), m.group("rule")
    return (f"Kyverno policy {policy} (rule {rule}) denies the pod at admission: a validate rule only blocks "
            f"when its validationFailureAction is Enforce (Audit only reports), so check when {policy} was "
            "switched to Enforce and make the pod comply with the rule's message or add a PolicyException")


def _gatekeeper(m: re.Match[str]) -> str:
    return (f"OPA Gatekeeper constraint {m.group('constraint')} denies the request at admission: its "
            "enforcementAction is deny (dryrun/warn would only report); check the constraint's parameters and "
            "when it changed")


def _pod_security(m: re.Match[str]) -> str:
    return (f"Pod Security Admission denies the pod: its namespace enforces the {m.group('level')} level "
            "(label pod-security.kubernetes.io/enforce); make the pod comply (runAsNonRoot, drop capabilities, "
            "seccompProfile) or check who changed the namespace label")


def _aws_node_role(m: re.Match[str]) -> str:
    return (f"the call is made as the node's instance role ({m.group('role')}, session {m.group('session')} is an "
            "EC2 instance id), not the workload's own role: the pod's ServiceAccount has no IRSA annotation "
            "eks.amazonaws.com/role-arn (or the pod predates it), so the SDK fell back to the instance profile")


def _user_switch(m: re.Match[str]) -> str:
    tool = next((name for name in ("gosu", "su_exec", "setpriv", "runuser", "su", "server") if m.group(name)), "")
    how = {"gosu": "gosu", "su_exec": "su-exec", "setpriv": "setpriv", "runuser": "runuser", "su": "su",
           "server": "the server's own setuid/setgid"}.get(tool, "a user switch")
    return (f"the entrypoint starts as root and switches to an unprivileged user with {how}, which needs the SETUID "
            "and SETGID capabilities: the switch was refused (EPERM) because the container lacks them, either its "
            "securityContext drops them (capabilities.drop: ALL without adding SETUID/SETGID back) or it no longer "
            "starts as root (runAsUser/runAsNonRoot); add the two capabilities back or run the container as the "
            "target user from the start")


def _signature(m: re.Match[str]) -> str:
    said = m.string[max(0, m.start() - 200):m.end() + 40].lower()
    keyless = re.search(r"keyless|expected identities|certificate identit", said)
    trusted = (" (its keyless authority accepts only signatures whose certificate names its listed OIDC issuer and "
               "subject, the signing CI identity)" if keyless else
               " (its key authority accepts only signatures made with its public key)" if "key validation" in said
               else "")
    return ("an image-signature admission policy (Sigstore policy-controller ClusterImagePolicy, Kyverno "
            "verifyImages, Connaisseur, Ratify) finds no signature on the image that its authorities accept: the "
            f"image is unsigned or signed by another identity or key than the policy trusts{trusted}; in enforce "
            "mode the webhook denies every new pod (warn/audit only reports): check when the policy's mode or "
            "authorities changed and who signs the image")


MEANINGS: tuple[Meaning, ...] = (
    Meaning("readonly_replica", re.compile(
        r"READONLY You can't write against a read only (?:replica|slave)", re.I), _fixed(
        "writes reach a Redis replica, not the master: the client's configured host points at a node that a "
        "Sentinel (or cluster) failover demoted to replica; connect through Sentinel or the master Service, "
        "and check the host in its env/ConfigMap")),
    Meaning("readonly_postgres", re.compile(
        r"cannot execute \w+ in a read-only transaction|recovery is in progress|hot standby", re.I), _fixed(
        "writes reach a PostgreSQL hot standby (a read-only replica, e.g. after a failover): the client's "
        "configured host is not the primary; point it at the primary Service (or target_session_attrs="
        "read-write) and check the host in its env/ConfigMap")),
    Meaning("readonly_mysql", re.compile(r"running with the --read-only option|super[_-]read[_-]only", re.I), _fixed(
        "writes reach a MySQL server running read-only (a replica, e.g. after a failover): the client's "
        "configured host is not the source/primary; check the host in its env/ConfigMap")),
    Meaning("readonly_mongo", re.compile(r"NotWritablePrimary|not master|\bnot primary\b", re.I), _fixed(
        "writes reach a MongoDB secondary: the client connects to one member instead of the replica set "
        "(no replicaSet= in the URI) or the primary changed after a failover; check the host in its env/ConfigMap")),
    Meaning("aws_node_role", re.compile(
        r"assumed-role/(?P<role>[\w+=,.@-]+)/(?P<session>i-[0-9a-f]{8,17})\b"), _aws_node_role),
    Meaning("aws_no_credentials", re.compile(r"Unable to locate credentials|NoCredentialProviders", re.I), _fixed(
        "the SDK found no credentials at all: the pod's ServiceAccount lacks its IRSA annotation "
        "eks.amazonaws.com/role-arn (no web identity token is mounted) and the node's metadata service is "
        "not reachable")),
    Meaning("gcp_default_sa", re.compile(r"\b\d+-compute@developer\.gserviceaccount\.com\b"), _fixed(
        "the call is made as the node's default compute service account, not the workload's: its Kubernetes "
        "ServiceAccount lacks the Workload Identity annotation iam.gke.io/gcp-service-account")),
    Meaning("azure_no_identity", re.compile(
        r"ManagedIdentityCredential authentication unavailable|WorkloadIdentityCredential", re.I), _fixed(
        "no workload identity reached the pod: its ServiceAccount lacks the Azure Workload Identity annotation "
        "azure.workload.identity/client-id (or the pod label azure.workload.identity/use), so the SDK fell back "
        "to a node managed identity")),
    Meaning("kubelet_cert_expired", re.compile(
        r"certificate has expired or is not yet valid|kubelet_certificate_manager_client_ttl_seconds"
        r"|Unable to authenticate the request", re.I), _fixed(
        "the kubelet's client certificate expired, so the API server rejects it and the node stops reporting: "
        "check certificate rotation (rotateCertificates / --rotate-certificates) and "
        "/var/lib/kubelet/pki/kubelet-client-current.pem")),
    Meaning("image_disk_full", re.compile(
        r"no space left on device|failed to garbage collect required amount of images|ImageGCFailed", re.I), _fixed(
        "the node's image filesystem is full and image garbage collection cannot free enough (images in use by "
        "running pods are never collected): check the biggest images on that node and the DaemonSet or "
        "workload that keeps them")),
    Meaning("envoy_uh", re.compile(r"\b503 UH\b|no_healthy_upstream|no healthy upstream", re.I), _fixed(
        "Envoy flag UH (no_healthy_upstream): the sidecar sees no healthy host in the upstream cluster, either "
        "no endpoints or every host ejected by outlier detection (outlierDetection; maxEjectionPercent caps "
        "how many may be ejected); check the DestinationRule and the cluster's ejections_active stat")),
    Meaning("envoy_uf", re.compile(r"\b50[34] UF\b|upstream_reset_before_response_started\{connection_failure", re.I),
            _fixed("Envoy flag UF: the connection to the upstream failed; check the endpoints' ports and mTLS "
                   "settings")),
    Meaning("envoy_uo", re.compile(r"\b503 UO\b|upstream_overflow", re.I), _fixed(
        "Envoy flag UO: the circuit breaker overflowed (connectionPool limits in the DestinationRule)")),
    Meaning("envoy_urx", re.compile(r"\b50[34] URX\b", re.I), _fixed(
        "Envoy flag URX: retries or connect attempts to the upstream were exhausted")),
    Meaning("envoy_nr", re.compile(r"\b404 NR\b|route_not_found", re.I), _fixed(
        "Envoy flag NR: no route matched (VirtualService hosts/match or a missing route)")),
    Meaning("envoy_nc", re.compile(r"\b50[03] NC\b|cluster_not_found", re.I), _fixed(
        "Envoy flag NC: the upstream cluster is unknown to the sidecar (a missing Service or subset)")),
    Meaning("kyverno", re.compile(
        r"blocked due to the following polic(?:y|ies)\s+(?P<policy>[\w.-]+):\s*(?P<rule>[\w.-]+)", re.I), _kyverno),
    Meaning("gatekeeper", re.compile(r"denied the request:\s*\[(?P<constraint>[\w.-]+)\]"), _gatekeeper),
    # gosu `error: failed switching to "redis": operation not permitted`, su-exec `su-exec: setgroups: Operation not
    # permitted`, setpriv `setpriv: setresuid failed`, runuser/su `cannot set groups`, nginx/Apache/Postgres-style
    # `setuid(101) failed (1: Operation not permitted)`.
    Meaning("user_switch_refused", re.compile(
        r"(?P<gosu>failed switching to \\?\"?[\w.-]+\\?\"?: operation not permitted)|"
        r"(?P<su_exec>su-exec: set(?:groups|gid|uid)\b.{0,40}operation not permitted)|"
        r"(?P<setpriv>setpriv: setres[ug]id failed)|"
        r"(?P<runuser>runuser: cannot set (?:groups|user id|group id))|"
        r"(?P<su>\bsu: cannot set (?:groups|user id|group id))|"
        r"(?P<server>\bset(?:uid|gid|groups|resuid|resgid)\(\d*\) failed \(1: Operation not permitted\))",
        re.I), _user_switch),
    # policy-controller `signature keyless validation failed for authority ...: no matching signatures` (cosign
    # goes on: `none of the expected identities matched what was in the certificate, got subjects [...]`), Kyverno
    # `failed to verify image ...: no matching signatures`, Connaisseur `Unable to find signed digest`, Ratify/
    # Gatekeeper `Subject failed verification`.
    Meaning("image_signature", re.compile(
        r"no matching signatures|signature (?:keyless |key )?validation failed|failed to verify image|"
        r"none of the expected identities matched|"
        r"Unable to find signed digest|Subject failed verification", re.I), _signature),
    Meaning("pod_security", re.compile(r"violates PodSecurity \\?\"(?P<level>[\w:.-]+)\\?\"", re.I), _pod_security),
)


def meanings(text: str) -> list[str]:
    """The sentences for every recognised wording in `text`, in catalogue order, one per kind."""
    out: list[str] = image_contents.meanings(text)  # a new image's contents (CA bundle, user): said first
    for meaning in MEANINGS:
        match = meaning.pattern.search(text)
        if match is not None:
            sentence = meaning.say(match)
            if sentence not in out:
                out.append(sentence)
    out += [s for s in server_error_codes.meanings(text) if s not in out]  # a server's code: its configuration
    out += [s for s in governing_settings.meanings(text) if s not in out]  # the setting that decides it, its side
    return out


def annotate(cause: str, context: str = "") -> str:
    """`cause` with what its quoted errors mean appended ("Meaning: ..."); unchanged when none is known.

    `context` is further evidence text of the same suspect (its findings' evidence lines) that the
    cause may have shortened away; only the cause and that text are read.
    """
    said = meanings(f"{cause}\n{context}")
    if not said:
        return cause
    return f"{cause.rstrip('.')}. Meaning: {'; '.join(said[:2])}."
