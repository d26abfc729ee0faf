"""A credential Secret WRITTEN shortly before the workload that reads it began to be refused for authentication.

Someone re-applies a Secret holding an API credential (a provider's auth token, an API key, a password): a new
value pasted wrong, a value put under `data` already base64-encoded (so the API server stores it encoded twice and
the reader gets the base64 text), a token of the wrong account or environment. Nothing fails at the write: the
workload that reads the Secret (env valueFrom, envFrom, a mounted volume, or a Reloader-managed restart whose
`STAKATER_<NAME>_SECRET` env hash names it) loads the new value at its next restart, and from then on the provider
refuses every call for authentication (HTTP 401, Twilio 20003 `Authenticate`, Stripe `Invalid API Key`, an
SMTP 535, a database's `password authentication failed`, or a 403 whose words blame the key: Google's `API key not
valid`, AWS's `SignatureDoesNotMatch`; Kubernetes RBAC's own 403 is another class). The refusals are the
symptom; the write is the act that broke the workload, and putting the right value back is the fix.

The class is told apart from its twins by time and wording: the refusals must begin AFTER the write (a write made
while the refusals were already on is an attempted fix, not the cause), an env-read value must have been loaded by
a restart of the workload after the write (a mounted volume is refreshed by the kubelet), and a refusal whose own
words say the credential was revoked, suspended or disabled upstream is the provider's act, not this write's.
credential_rotation covers the opposite order (the server's password changed, the Secret was NOT written);
value_shape covers a value so malformed the client never sends it (no 401 at all).

The survey (`read`, reading only) runs only when a surveyed log shows an authentication refusal: it reads the
refused pods' specs (the names of the Secrets they reference and their env variable names, never a value) and
greps their logs for a line in which the workload itself reports the length of the credential it loaded
(`auth_token_len=44`): a length that is exactly what base64 gives for a common token size says the value was
encoded twice. Guardrail: no Secret's data is ever read, decoded, hashed or measured here; the judgement rests
on the timeline's metadata (who wrote which key, when), the reference chain and the workload's own logs.
`suspects` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod
from agent.triage.value_shape import topology_secrets, uses_of

CHECK = "credential.written_refused"
WEIGHT = 0.93
"""The write that put a refused credential in place outranks the refusals themselves and the restart that loaded
it; below credential_rotation (0.94), whose Job acts on the server side."""
STORE = "credential_write"
WINDOW = timedelta(hours=6)
"""How long before the refusals began a write to a Secret the workload reads still counts (the timeline's span)."""
RELOADED = timedelta(minutes=5)
"""How soon after a write Reloader's restart of a reader follows it (it watches and acts within seconds)."""
SLACK = timedelta(minutes=2)
"""Log and API clocks differ a little: a refusal first printed this much before the write still follows it."""
MAX_PODS = 3
LOG_TAIL = 5000

Call = Callable[..., Awaitable[Any]]

_REVOKED = re.compile(r"\b(?:revoked|suspended|deactivated|has been disabled|(?:key|token|account|credential)s? "
                      r"(?:is |was |has been )?disabled|account (?:is )?(?:closed|locked)|"
                      r"(?:key|token) (?:was |has been )?deleted)\b", re.I)
"""A refusal whose words say the provider took the credential away: the upstream act, not a write here."""
_RELOADER_ENV = re.compile(r"\bSTAKATER_([A-Z0-9_]+)_(SECRET|CONFIGMAP)\b")
"""Stakater Reloader's env-vars strategy: it sets `STAKATER_<NAME>_SECRET` to the hash of the Secret it reloads
for, NAME being the object's name upper-cased with every other character made `_`."""
_RELOADED_FROM = re.compile(r"reloader\S*?[/:\s]+([a-z0-9][a-z0-9.-]*)", re.I)
"""A rollout's change-cause or annotation that names the object Reloader restarted it for."""
_DATA_KEY = re.compile(r"data key (\S+)")
_KEYS_LISTED = re.compile(r"\bwith keys: ([\w.,\s-]+)$")
"""The timeline's summary of a created Secret: `Secret ns/x created with keys: A, B` (key names, never values)."""
_CREDENTIAL_KEY = re.compile(r"token|key|secret|password|passwd|pwd|credential|auth|api|dsn", re.I)
_LENGTH = re.compile(r"\b([\w.-]*?(?:token|key|secret|password|passwd|pwd|credential)[\w.-]*?)"
                     r"[_ .-]?(?:len|length|size)\b[\"']?\s*[=:]\s*(\d{1,4})\b", re.I)
"""A workload's own line reporting the length of a credential it loaded (`auth_token_len=44`, `api key length:
56`): never the value."""
BASE64_OF = {4 * -(-raw // 3): raw for raw in (20, 32, 40, 64, 128)}
"""Length of base64 text -> the common raw token length it encodes (a 32-character hex token gives 44 characters,
a 40-character SHA-1 hex 56, a 64-character key 88): raw tokens of these base64 lengths are rare, so a loaded
credential of one is most likely a value encoded once more than its reader decodes."""


@dataclass(frozen=True)
class Read:
    """How the workload reads a Secret (names only)."""

    target: Ref
    via: str


@dataclass
class WrittenRefused:
    """A Secret written before the workload reading it began to be refused for authentication."""

    secret: Ref
    written: datetime
    by: str
    keys: list[str]
    workload: Ref
    via: str
    said: str
    first_refused: datetime
    reload: str
    """How the new value reached the pods, in words (the restart after the write), or ''."""
    length: tuple[str, int] | None
    """(the variable, its length) when the workload's log reports loading a credential of a base64 length."""
    evidence: list[str] = field(default_factory=list)


# ---- the refusals -----------------------------------------------------------------------------


def _refusal(log: LogEvidence) -> tuple[str, datetime | None, bool]:
    """(the refusal as printed, when first seen, whether any refusal says the credential was revoked upstream)."""
    errors = [e for e in [log.top or {}, *log.more] if is_refusal(e) or is_expiry(e)]
    texts = [str(e.get(k) or "") for e in errors for k in ("message", "example", "template")]
    revoked = any(_REVOKED.search(t) for t in texts)
    if not errors:
        return "", None, revoked
    first = min((t for t in (parse_time(e.get("first_seen")) for e in errors) if t is not None), default=None)
    said = str(errors[0].get("example") or errors[0].get("message") or errors[0].get("template") or "")
    return _strip_stamp(said)[:220], first, revoked


def _strip_stamp(text: str) -> str:
    """A log line without its leading timestamp and level, so the quote starts with what was refused."""
    return re.sub(r"^\S*\d{4}-\d\d-\d\d[T ][\d:.,]+Z?\s+(?:(?:ERROR|WARN(?:ING)?|INFO|FATAL)\s+)?", "", text.strip())


_FORBIDDEN_CREDENTIAL = re.compile(r"\b(?:401|403)\b[^\n]{0,160}(?:api[ _-]?key|token|credential|signature|"
                                  r"authenticat|client id|secret key)|(?:api[ _-]?key|token|credential|signature)"
                                  r"[^\n]{0,80}(?:not valid|invalid|incorrect|does not match|rejected)|"
                                  r"API_KEY_INVALID|SignatureDoesNotMatch|InvalidClientTokenId|"
                                  r"UnrecognizedClientException|InvalidAccessKeyId", re.I)
"""A 403 (or a refusal in words) that blames the credential the caller presented: Google's `API key not valid`
(API_KEY_INVALID), AWS's `SignatureDoesNotMatch` / `InvalidClientTokenId`: the log classifier may call these
permission errors, yet they say the key is wrong, as a 401 does."""
_SCOPE = re.compile(r"(?:key|token|credential)\b[^\n]{0,80}(?:does not have|doesn't have|lacks|is missing)[^\n]{0,40}"
                    r"(?:permission|scope)|insufficient (?:authentication )?scopes?|ACCESS_TOKEN_SCOPE_INSUFFICIENT|"
                    r"missing_scope|not accessible by (?:personal access token|integration)|"
                    r"PermissionError[^\n]{0,40}\b403\b|\b403\b[^\n]{0,40}PermissionError|"
                    r"is not authorized to perform:? [\w-]+:\w+|Permission '[\w.]+' denied|"
                    r"does not have (?:the )?authorization to perform action|AuthorizationFailed|"
                    r"\b403\b[^\n]{0,80}access forbidden|access forbidden[^\n]{0,80}\b403\b", re.I)
"""A refusal that says the credential presented is valid but NARROWER than the call needs: Stripe's restricted key
(`The provided key 'rk_live_...' does not have the required permissions`, StripePermissionError), Google's
`insufficient authentication scopes`, Slack's `missing_scope`, GitHub's fine-grained token (`Resource not
accessible by personal access token`), AWS's `User: arn:aws:iam::...:user/x is not authorized to perform:
s3:PutObject` (AccessDenied for an access key pair), GCP's `Permission 'storage.objects.create' denied`, Azure's
AuthorizationFailed `does not have authorization to perform action`, SendGrid's 403 `access forbidden` (an API key
without the scope). A write that swapped the key for one with fewer permissions is its cause; with no write to a
Secret the workload reads, nothing here is named (an IAM policy or role change is cloud_policy's class)."""
NARROW_PREFIXES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\brk_(?:live|test)_"), "a Stripe restricted key (rk_)"),
    (re.compile(r"\bgithub_pat_"), "a GitHub fine-grained token (github_pat_)"),
)
"""Key prefixes providers give their scoped credentials, readable from a redacted quote (the prefix stays)."""
_RBAC = re.compile(r"system:serviceaccount|cannot (?:get|list|watch|create|update|patch|delete) resource", re.I)
"""Kubernetes RBAC's own refusal: the ServiceAccount's permissions (access_rule's class), not a provider key."""


_EXPIRED = re.compile(r"\bExpiredToken(?:Exception)?\b|security token included in the request is expired|"
                      r"Signature not valid in the specified time frame|\bsas (?:token )?(?:has )?expired|"
                      r"\b(?:session|access|security|sas|oauth) ?token\b[^\n]{0,40}\b(?:has |is )?expired\b|"
                      r"\b(?:provided|the) token has expired\b|\btoken (?:has )?expired\b", re.I)
"""A provider refusing a credential because its time ran out (not because the value is wrong): AWS STS's
`ExpiredToken` / `The security token included in the request is expired`, Azure Storage's SAS `Signature not valid
in the specified time frame`, an OAuth `access token expired`. Only a write of a temporary credential explains it
(see SESSION_KEY); a long-lived key pair refused as expired is another story (clock, federation), not named here."""
SESSION_KEY = re.compile(r"session[_.-]?token|security[_.-]?token|\bsas\b|sas[_.-]?(?:token|url|uri|key)|"
                         r"^sas|oauth[_.-]?access[_.-]?token|(?:google|gcp|gcloud)[\w.-]*access[_.-]?token", re.I)
"""Data keys that hold a temporary credential: AWS STS session credentials (`AWS_SESSION_TOKEN`, the legacy
`AWS_SECURITY_TOKEN`, `aws_session_token`), an Azure SAS token or URL, an OAuth/GCP access token (`gcloud auth
print-access-token`): each lives minutes to hours, so a Secret written by hand with one works until it expires."""


def is_expiry(error: dict[str, Any]) -> bool:
    """Whether one classified error is a provider refusing a credential whose time ran out."""
    return bool(_EXPIRED.search(" ".join(str(error.get(k) or "") for k in ("message", "example", "template"))))


def is_refusal(error: dict[str, Any]) -> bool:
    """Whether one classified error refuses the credential presented (an authentication refusal, or a permission
    error whose words blame the key)."""
    if error.get("error_class") == "auth_failure":
        return True
    text = " ".join(str(error.get(k) or "") for k in ("message", "example", "template"))
    return bool(_FORBIDDEN_CREDENTIAL.search(text) or _SCOPE.search(text)) and not _RBAC.search(text)


def narrowed(said: str) -> str:
    """'' unless the refusal says the key lacks a permission; then what kind of key it is, in words."""
    if not _SCOPE.search(said):
        return ""
    return next((words for pattern, words in NARROW_PREFIXES if pattern.search(said)),
                "a restricted (scoped) key")


def refused(facts: Facts) -> list[LogEvidence]:
    """The surveyed logs that show a refusal of the credential the workload presented."""
    return [log for log in facts.logs if any(is_refusal(e) for e in [log.top or {}, *log.more])]


def _failing(facts: Facts) -> list[LogEvidence]:
    """The surveyed logs refused for the credential presented, or for its expiry (this module's own reading)."""
    return [log for log in facts.logs if any(is_refusal(e) or is_expiry(e) for e in [log.top or {}, *log.more])]


# ---- what the workload reads (names only) -----------------------------------------------------


def reloader_names(text: str) -> set[str]:
    """The normalised names (`TWILIO_CREDENTIALS`) of the Secrets a Reloader env variable in `text` names."""
    return {m.group(1) for m in _RELOADER_ENV.finditer(text) if m.group(2) == "SECRET"}


def normalised(name: str) -> str:
    """A Secret's name as Reloader writes it into its env variable."""
    return re.sub(r"[^A-Z0-9]", "_", name.upper())


def pod_reads(pod: dict[str, Any], namespace: str) -> list[Read]:
    """The Secrets a pod spec references (env, envFrom, volumes) and the Reloader env variables it carries."""
    out = [Read(u.target, u.via) for u in uses_of(pod, namespace) if u.target.kind == "Secret"]
    spec = pod.get("spec") or {}
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for env in (c or {}).get("env") or []:
            for name in reloader_names(str((env or {}).get("name") or "")):
                out.append(Read(Ref("Secret", namespace, name), f"Reloader env {env.get('name')}"))
    return out


def _reads(facts: Facts, log: LogEvidence, workload: str) -> list[Read]:
    """Every known reference from the refused workload: its pod spec read here, its topology, the timeline's
    `used by`, and its rollouts' Reloader marks."""
    out: list[Read] = []
    for entry in facts.reads.get(STORE, {}).get("pods") or []:
        if entry.get("pod") == log.pod and entry.get("namespace") == log.namespace:
            out += [Read(Ref("Secret", log.namespace, r["name"]), r["via"]) for r in entry.get("reads") or []]
    out += [Read(u.target, u.via) for u in topology_secrets(facts, log, workload)]
    for change, _ in facts.every_change():
        target = Ref.of(change.get("object"))
        if target is None:
            continue
        if target.kind == "Secret":
            for r in change.get("related") or []:
                user = Ref.of(r)
                if user is not None and user.name == workload and user.namespace in ("", log.namespace):
                    out.append(Read(target, f"used by {user}"))
        elif change.get("type") == "rollout" and target.name == workload and target.namespace == log.namespace:
            text = " ".join([str(change.get("summary") or ""), *map(str, change.get("diff") or [])])
            for name in reloader_names(text):
                out.append(Read(Ref("Secret", log.namespace, name), f"Reloader env STAKATER_{name}_SECRET"))
            for m in _RELOADED_FROM.finditer(text):
                out.append(Read(Ref("Secret", log.namespace, m.group(1)), "restarted by Reloader for it"))
            if re.search(r"reloader", text, re.I) and not reloader_names(text) and not _RELOADED_FROM.search(text):
                out += _reloaded_after(facts, change, log.namespace)
    return out


def _reloaded_after(facts: Facts, rollout: dict[str, Any], namespace: str) -> list[Read]:
    """A Reloader restart that names no object: Reloader restarts a workload only for a Secret or ConfigMap it
    reads, so the one such object of its namespace written in the RELOADED minutes before is the one it reads
    (none, or several written then, says nothing)."""
    at = parse_time(rollout.get("at"))
    if at is None:
        return []
    written = {target for change, _ in facts.every_change()
               if (target := Ref.of(change.get("object"))) is not None and target.kind in ("Secret", "ConfigMap")
               and target.namespace == namespace and (when := parse_time(change.get("at"))) is not None
               and timedelta(0) <= at - when <= RELOADED}
    if len(written) != 1:
        return []
    [only] = written
    return [Read(only, "restarted by Reloader right after its write")] if only.kind == "Secret" else []


def _matches(read: Read, secret: Ref) -> bool:
    if read.target.namespace not in ("", secret.namespace):
        return False
    return read.target.name == secret.name or (read.via.startswith("Reloader env")
                                               and read.target.name == normalised(secret.name))


# ---- reading (survey) -------------------------------------------------------------------------


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, and only when a surveyed log shows an authentication refusal: the refused pods' specs (names
    of the Secrets they reference) and their own lines reporting a loaded credential's length."""
    if STORE in facts.reads:
        return
    logs = _failing(facts)
    if not logs:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"pods": []})
    for log in logs[:MAX_PODS]:
        entry: dict[str, Any] = {"pod": log.pod, "namespace": log.namespace, "reads": [], "lengths": [],
                                 "evidence": []}
        got = await get_yaml(call, "Pod", log.pod, log.namespace, f"survey-credential-write-pod-{log.pod}")
        if got is not None:
            entry["reads"] = [{"name": r.target.name, "via": r.via} for r in pod_reads(got[0], log.namespace)]
            entry["evidence"].append(got[1])
        lines = await call("k8s_logs", {"name": log.pod, "namespace": log.namespace, "tail": LOG_TAIL, "grep": "len"},
                           f"survey-credential-write-len-{log.pod}")
        if lines is not None and lines.ok:
            found = [(re.sub(r"[\"']?\s*[=:]\s*\d+$", "", m.group(0)), int(m.group(2)))
                     for m in _LENGTH.finditer(str(lines.full_text or ""))]
            if found:
                entry["lengths"] = sorted(set(found))
                entry["evidence"].append(lines.evidence_id)
        store["pods"].append(entry)


# ---- judging (rank) ---------------------------------------------------------------------------


def _reload(facts: Facts, workload: Ref, after: datetime, before: datetime) -> str:
    """The workload's restart between the write and the first refusal: what loaded the new value into its pods."""
    for change, _ in sorted(facts.every_change(), key=lambda c: str(c[0].get("at") or "")):
        target, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or when is None or change.get("type") != "rollout":
            continue
        if target.name == workload.name and target.namespace == workload.namespace \
                and after - SLACK <= when <= before + SLACK:
            text = " ".join([str(change.get("summary") or ""), *map(str, change.get("diff") or [])])
            how = " by Reloader" if re.search(r"reloader|STAKATER_", text, re.I) else ""
            return f"restarted{how} at {when.strftime('%H:%M')} and loaded it"
    return ""


def _length(facts: Facts, log: LogEvidence) -> tuple[str, int] | None:
    for entry in facts.reads.get(STORE, {}).get("pods") or []:
        if entry.get("pod") == log.pod and entry.get("namespace") == log.namespace:
            for name, size in entry.get("lengths") or []:
                if int(size) in BASE64_OF:
                    return str(name), int(size)
    return None


@dataclass(frozen=True)
class LoadedWrite:
    """A write to a Secret a workload reads, made shortly before its failures began and loaded by it since."""

    secret: Ref
    written: datetime
    by: str
    """Who wrote it (the field manager the timeline names), or ''."""
    keys: list[str]
    via: str
    reload: str
    evidence: list[str]


_WRITER = re.compile(r"(?:updated|created|written) by ([\w.,\s-]+?)(?::|$| \()")


def loaded_write(facts: Facts, log: LogEvidence, first: datetime, reads: list[Read], store: str) -> LoadedWrite | None:
    """The write that best explains failures first seen at `first` in `log`'s workload: a Secret it reads (`reads`),
    written in the window before and loaded since (a restart after the write, or a mounted volume the kubelet
    refreshes); of several, one with a credential-named data key, then the latest. Shared with signing_secret,
    whose failures are the inbound twin of these refusals; `store` names the caller's survey reads."""
    workload = Ref("", log.namespace, workload_of_pod(log.pod))
    pod_evidence = [str(i) for e in (facts.reads.get(store) or {}).get("pods") or [] if e.get("pod") == log.pod
                    for i in e.get("evidence") or []]
    best: tuple[tuple[bool, datetime], LoadedWrite] | None = None
    for change, evidence in facts.every_change():
        secret, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if secret is None or when is None or secret.kind != "Secret":
            continue
        if not first - WINDOW <= when <= first + SLACK:
            continue  # long before, or after the failures began (an attempted fix): not their cause
        how = next((r for r in reads if _matches(r, secret)), None)
        if how is None:
            continue  # a write to a Secret this workload does not read
        reload = _reload(facts, workload, when, first)
        if not reload and not how.via.startswith("volume"):
            continue  # env-read and never restarted since: the pods still hold the old value
        listed = _KEYS_LISTED.search(str(change.get("summary") or ""))
        keys = sorted(set(_DATA_KEY.findall(" ".join(map(str, change.get("diff") or []))))
                      | ({k.strip() for k in listed.group(1).split(",") if k.strip()} if listed else set()))
        writer = _WRITER.search(str(change.get("summary") or ""))
        write = LoadedWrite(secret, when, writer.group(1).strip() if writer else "", keys, how.via, reload,
                            [str(e) for e in (evidence, log.evidence_id) if e] + pod_evidence)
        key = (any(_CREDENTIAL_KEY.search(k) for k in keys), when)
        if best is None or key > best[0]:
            best = (key, write)
    return best[1] if best else None


def found(facts: Facts) -> list[WrittenRefused]:
    """For each refused workload, the Secret it reads that was written shortly before its refusals began."""
    out: list[WrittenRefused] = []
    seen: set[tuple[str, str]] = set()
    for log in _failing(facts):
        workload = Ref("", log.namespace, workload_of_pod(log.pod))
        said, first, revoked = _refusal(log)
        if (log.namespace, workload.name) in seen or revoked or first is None:
            continue
        write = loaded_write(facts, log, first, _reads(facts, log, workload.name), STORE)
        if write is None:
            continue
        if _EXPIRED.search(said) and not any(SESSION_KEY.search(k) for k in write.keys):
            continue  # expired, yet the write put in no temporary credential: not this write's doing
        seen.add((log.namespace, workload.name))
        out.append(WrittenRefused(write.secret, write.written, write.by, write.keys, workload, write.via, said, first,
                                  write.reload, _length(facts, log), write.evidence))
    return out


_AUTH_WORD = re.compile(r"\b(?:401|403|535)\b|unauthori[sz]ed|authenticat|forbidden|access denied|invalid (?:api|key|"
                        r"token|credential|password)|permission denied", re.I)


def _telling(said: str) -> str:
    """The refusal from a little before its first authentication word: the logger's prefix is dropped so the
    status and the provider's reason fit the headline."""
    hit = _AUTH_WORD.search(said)
    start = max(0, hit.start() - 30) if hit else 0
    cut = said[start:]
    if start:
        cut = "..." + cut[cut.find(" ") + 1:] if " " in cut[:30] else "..." + cut
    return cut[:120]


def _expired_quote(said: str) -> str:
    """An expiry refusal from a little before its expiry words."""
    hit = _EXPIRED.search(said)
    start = max(0, hit.start() - 40) if hit else 0
    cut = said[start:]
    if start:
        cut = "..." + (cut[cut.find(" ") + 1:] if " " in cut[:30] else cut)
    return cut[:150]


def _scope_quote(said: str) -> str:
    """A narrowed key's refusal from a little before its permission words (AWS puts them after a long ARN and
    request id, where a quote from the first authentication word would stop short of them)."""
    hit = _SCOPE.search(said)
    if hit is None:
        return _telling(said)
    start = max(0, hit.start() - 24)
    cut = said[start:]
    if start:
        cut = "..." + (cut[cut.find(" ") + 1:] if " " in cut[:30] else cut)
    return cut[:170]


def _words(key: str) -> str:
    """A data key in words (`TWILIO_AUTH_TOKEN` -> `twilio auth token`)."""
    acronyms = {"api", "url", "dsn", "jwt", "id", "sid"}
    return " ".join(w.upper() if w in acronyms else w for w in re.split(r"[^a-z0-9]+", key.lower()) if w)


def finding(hit: WrittenRefused, at: datetime) -> dict[str, Any]:
    """The Secret's finding: the write, the key, how the workload loaded it, the refusal, what it means."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    workload = f"{hit.workload.namespace}/{hit.workload.name}"
    credential = [k for k in hit.keys if _CREDENTIAL_KEY.search(k)] or hit.keys
    what = f"the {_words(credential[0])} ({credential[0]})" if len(credential) == 1 else \
        ("its " + ", ".join(credential[:3]) if credential else "its credential")
    by = f" by {hit.by}" if hit.by else ""
    doubled = ""
    if hit.length is not None:
        name, size = hit.length
        doubled = (f", most likely base64-encoded twice ({name}={size} in {hit.workload.name}'s log is the length "
                   f"of a {BASE64_OF[size]}-character token in base64)")
    narrow = narrowed(hit.said)
    if narrow:
        message = (f"{hit.secret} was written{by} at {hit.written.strftime('%H:%M')} ({ago} before the alert), "
                   f"replacing {what} with {narrow} that lacks a permission the calls need: since "
                   f"{hit.first_refused.strftime('%H:%M')} {workload}, which reads it ({hit.reload or 'mounted'}), "
                   f"is refused for missing permission: '{_scope_quote(hit.said)}'. The new credential is valid but "
                   f"narrower than the old one; grant the permission to the key or put the full key back and "
                   f"restart {hit.workload.name}; the refusals are the symptom, not the cause")
        return {"check": CHECK, "severity": "critical", "reason": "CredentialNarrowed",
                "object": {"kind": "Secret", "namespace": hit.secret.namespace, "name": hit.secret.name},
                "message": message, "evidence": [hit.said[:200]],
                "details": {"via": hit.via, "workload": workload, "keys": hit.keys,
                            "written": hit.written.isoformat().replace("+00:00", "Z"),
                            "first_refused": hit.first_refused.isoformat().replace("+00:00", "Z")}}
    session = [k for k in hit.keys if SESSION_KEY.search(k)]
    if session and _EXPIRED.search(hit.said):
        lived = minutes_text(max(0, int((hit.first_refused - hit.written).total_seconds() // 60)))
        message = (f"{hit.secret} was written{by} at {hit.written.strftime('%H:%M')} ({ago} before the alert) with "
                   f"temporary credentials: {session[0]} is a session token (STS session, SAS or access token) "
                   f"that expires minutes to hours after it is issued, and nothing renews a Secret written this way; "
                   f"{lived} later, at {hit.first_refused.strftime('%H:%M')}, {workload}, which reads it, is refused "
                   f"for an expired token: '{_expired_quote(hit.said)}'. Store long-lived credentials or use a "
                   f"workload identity (IRSA, Workload Identity) or a syncer that refreshes them; the refusals are "
                   f"the symptom, not the cause")
        return {"check": CHECK, "severity": "critical", "reason": "TemporaryCredentialWritten",
                "object": {"kind": "Secret", "namespace": hit.secret.namespace, "name": hit.secret.name},
                "message": message, "evidence": [hit.said[:200]],
                "details": {"via": hit.via, "workload": workload, "keys": hit.keys,
                            "written": hit.written.isoformat().replace("+00:00", "Z"),
                            "first_refused": hit.first_refused.isoformat().replace("+00:00", "Z")}}
    message = (f"{hit.secret} was written{by} at {hit.written.strftime('%H:%M')} ({ago} before the alert), setting "
               f"{what}{doubled}, and since {hit.first_refused.strftime('%H:%M')} {workload}, which reads it, is "
               f"refused for authentication: '{_telling(hit.said)}'. The value this write put in place is one the "
               f"provider does not accept; {hit.workload.name} reads it by {hit.via} "
               f"({hit.reload or 'mounted, refreshed by the kubelet'}). Put the right value back"
               + (" (stringData takes it plain, data base64-encoded once)" if doubled else "")
               + f" and restart {hit.workload.name}; the refusals are the symptom, not the cause")
    return {"check": CHECK, "severity": "critical", "reason": "CredentialWrittenRefused",
            "object": {"kind": "Secret", "namespace": hit.secret.namespace, "name": hit.secret.name},
            "message": message, "evidence": [hit.said[:200]],
            "details": {"via": hit.via, "workload": workload, "keys": hit.keys,
                        "written": hit.written.isoformat().replace("+00:00", "Z"),
                        "first_refused": hit.first_refused.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The Secret whose new credential is refused; it explains the workload that reads it."""
    return [(h.secret, finding(h, facts.at), h.evidence, [h.workload])
            for h in found(facts)]
