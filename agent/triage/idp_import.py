"""A config-import Job rewrote the identity provider's client settings: the IdP refuses logins naming that setting.

Identity providers are often configured by a Job, not by hand: keycloak-config-cli (`IMPORT_FILES_LOCATIONS`), a
`kcadm.sh` script, auth0-deploy-cli, Terraform applying the keycloak / auth0 / okta provider, a dex config
render. One run with the wrong environment's file overwrites a client's redirect URIs, web origins, secret or
scopes, and the IdP then refuses every login of that client in its own words: Keycloak's `LOGIN_ERROR
error="invalid_redirect_uri"` / `Invalid parameter: redirect_uri`, dex's `Unregistered redirect_uri`, Auth0's
`Callback URL mismatch`, OAuth's `redirect_uri_mismatch`, `unauthorized_client`, `invalid_client`. The relying
app stays healthy (it only redirects to the IdP); the Job has completed and shows no error.

Named: a Job run within LEAD before the incident whose image, command, args or env say it configures an IdP, when
the IdP's pods (the in-cluster host the Job's env points at, else the IdP workloads of the Job's namespace) or
the path logs show a client-setting refusal after it. The finding names the setting the refusal names, and what
the Job imported (its import location env, or its own `Importing file ...` line). A Job that configures nothing
of an IdP, or an import followed by no client-setting refusal, is not named.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, list_names
from agent.triage.subject import Subject, workload_of_pod
from agent.triage.time_limit import line_time

CHECK = "change.idp_import"
WEIGHT = 0.94
"""Above the rollouts beside the relying app, which only coincide."""
RECORD = "idp_import"
LEAD = timedelta(hours=6)
MAX_JOBS = 3

CONFIGURES_IDP = re.compile(r"keycloak-config-cli|kcadm|realm[-_ ]?import|import[-_ ]?realm|IMPORT_FILES_LOCATIONS|"
                            r"auth0-deploy-cli|a0deploy|terraform[^\n]{0,80}(?:keycloak|auth0|okta|zitadel)|"
                            r"(?:keycloak|auth0|okta|zitadel)[^\n]{0,80}terraform|dex[-_]config|"
                            r"\bak apply_blueprint\b|\bhydra\S* (?:create|update|import) (?:oauth2-)?clients?\b", re.I)
"""A Job that writes an IdP's realm or clients (its image, command, args or env, joined): keycloak-config-cli,
kcadm.sh, auth0-deploy-cli, authentik's `ak apply_blueprint`, Ory Hydra's `hydra create/update/import
oauth2-client`, Terraform with an IdP named beside it."""
IAC = re.compile(r"terraform|opentofu|\btofu\b|pulumi", re.I)
"""An infrastructure-as-code runner: it configures an IdP when its env carries an IdP provider's settings."""
IDP_PROVIDER_ENV = re.compile(r"\b(?:KEYCLOAK_(?:URL|CLIENT_ID|CLIENT_SECRET|REALM|USER)|AUTH0_(?:DOMAIN|CLIENT_ID)|"
                              r"OKTA_(?:ORG_NAME|BASE_URL|API_TOKEN|ORG_URL)|ZITADEL_\w+|AUTHENTIK_(?:URL|TOKEN)|"
                              r"ARM_TENANT_ID)=", re.I)
"""The environment the Terraform/OpenTofu/Pulumi providers for Keycloak (mrparkers/keycloak), Auth0, Okta,
Zitadel, authentik and Entra ID (azuread, by its tenant) read their admin connection from."""
IDP_NAME = re.compile(r"keycloak|\bdex\b|hydra|zitadel|authentik|authelia|\bsso\b|\bidp\b|login", re.I)
REFUSAL = re.compile(r"invalid_redirect_uri|Invalid parameter: redirect_uri|redirect_uri_mismatch|"
                     r"Unregistered redirect_uri|Callback URL mismatch|invalid_redirect|unauthorized_client|"
                     r"invalid_client|Client not found|Invalid (?:client|scopes?)\b|invalid_scope|"
                     r"Invalid post logout redirect uri|web_origin|Invalid origin|AADSTS(?:50011|700016|7000215|"
                     r"700054|650056|90023)\b|must be a Login redirect URI in the client app settings|"
                     r"does not match any of the OAuth 2\.0 Client's pre-registered redirect|"
                     r"redirect_uri is missing in the client configuration|Redirect URI Error", re.I)
"""An IdP refusing a login over the client's own settings (redirect URIs, client id/secret, scopes, origins), in
Keycloak's, dex's, Auth0's, Entra ID's (AADSTS50011 redirect URI, 700016 application not found, 7000215 invalid
client secret), Okta's, Ory Hydra's (fosite), Zitadel's and authentik's words."""
IMPORTED = re.compile(r"Importing (?:file )?'?([^'\s]+)'?|IMPORT_FILES_LOCATIONS=(\S+)|"
                      r"(?:-var-file|--var-file)[= ](\S+)|IMPORT_PATH=(\S+)|--input_file[= ](\S+)|"
                      r"apply_blueprint\s+(\S+)|\s-f\s+(\S+\.(?:json|ya?ml))", re.I)
SLACK = timedelta(minutes=1)
"""Clock skew between the change record and a log stamp; a refusal older than the run by more is not its effect."""
_HOST = re.compile(r"\b([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.svc\b")


@dataclass
class Overwrote:
    """An IdP config-import Job followed by the IdP's client-setting refusals."""

    target: Ref
    minutes_before: int
    tool: str
    imported: str
    refusal: str
    line: str
    idp: str
    evidence: list[str] = field(default_factory=list)


def container_words(obj: dict[str, Any]) -> list[str]:
    """The image, command, args and env (name=value, values only where literal) of a workload's containers: what a
    Job or Deployment says it runs and against what, for the IdP mechanisms (idp_import, idp_keys) to read."""
    pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    out: list[str] = []
    for c in pod.get("containers") or []:
        if isinstance(c, dict):
            out += [str(c.get("image") or ""), *(str(a) for a in c.get("command") or []),
                    *(str(a) for a in c.get("args") or [])]
            out += [f"{e.get('name')}={e.get('value')}" for e in c.get("env") or []
                    if isinstance(e, dict) and e.get("value") is not None]
    return out


def configures_idp(name: str, words: list[str]) -> bool:
    """Whether a Job writes an IdP's configuration: a config tool by name, or an IaC runner given an IdP
    provider's admin connection."""
    text = " ".join([name, *words])
    return bool(CONFIGURES_IDP.search(text) or (IAC.search(text) and IDP_PROVIDER_ENV.search(text)))


def _tool(name: str, words: list[str]) -> str:
    hit = CONFIGURES_IDP.search(" ".join([name, *words])) or IAC.search(" ".join([name, *words]))
    return hit.group(0) if hit else ""


def refusals_began(facts: Facts) -> datetime | None:
    """When the client-setting refusals began: the earliest `first_seen` of a refusal the survey classified, or the
    earliest stamped refusal line kept from the IdP's pods."""
    seen: list[datetime] = []
    for log in facts.logs:
        for e in log.entries():
            text = str(e.get("example") or e.get("message") or "")
            if REFUSAL.search(text) and (t := parse_time(e.get("first_seen")) or line_time(text)) is not None:
                seen.append(t)
    for lines in ((facts.reads.get(RECORD) or {}).get("idp_lines") or {}).values():
        seen += [t for text in lines if REFUSAL.search(text) and (t := line_time(text)) is not None]
    return min(seen) if seen else None


def job_runs(facts: Facts) -> list[tuple[dict[str, Any], str, Ref]]:
    """Jobs written or run within LEAD, each once."""
    out: list[tuple[dict[str, Any], str, Ref]] = []
    for change, evidence, target in facts.writes_to(("Job",), within=LEAD, deletions=False):
        if not any(t.same_object(target) for _, _, t in out):
            out.append((change, evidence, target))
    return out[:MAX_JOBS]


def _refusals(facts: Facts) -> list[tuple[str, str, str]]:
    """(refusal, line, who) from the IdP lines `read` kept, then from the path logs."""
    kept = facts.reads.get(RECORD) or {}
    out = [(m.group(0), t, workload_of_pod(pod)) for pod, lines in (kept.get("idp_lines") or {}).items()
           for t in lines if (m := REFUSAL.search(t))][:1]
    for log in facts.logs:
        for e in log.entries():
            text = str(e.get("example") or e.get("message") or "")
            if m := REFUSAL.search(text):
                out.append((m.group(0), text, workload_of_pod(log.pod)))
    return out


def found(facts: Facts) -> list[Overwrote]:
    """Each IdP config Job run before the IdP's client-setting refusals."""
    said = _refusals(facts)
    kept = facts.reads.get(RECORD) or {}
    if not said:
        return []
    refusal, line, idp = said[0]
    began = refusals_began(facts)
    out: list[Overwrote] = []
    for change, evidence, target in job_runs(facts):
        job = (kept.get("jobs") or {}).get(str(target)) or {}
        words = job.get("words") or []
        at = parse_time(change.get("at"))
        if not configures_idp(target.name, words) or at is None or (began is not None and began < at - SLACK):
            continue
        texts = [*words, *(job.get("log") or [])]
        imported = next((next(g for g in m.groups() if g) for t in texts if (m := IMPORTED.search(t))), "")
        image = next((w.rsplit("/", 1)[-1].split(":")[0] for w in words[:1]), "")
        out.append(Overwrote(target, int((facts.at - at).total_seconds() // 60), image or _tool(target.name, words),
                             imported,
                             refusal, line, idp, [e for e in (evidence, *(kept.get("evidence") or [])) if e]))
    return out


def finding(o: Overwrote) -> dict[str, Any]:
    """What the Job did to the IdP first, the refusal in the IdP's words, then what it imported."""
    what = f", importing '{o.imported}'" if o.imported else ""
    message = (f"{o.target} ({o.tool}: a realm import / IdP config job run {minutes_text(o.minutes_before)} before "
               f"the incident{what}) overwrote the identity provider's client settings: {o.idp} now refuses logins "
               f"with '{o.refusal}' ('{o.line[:200]}'). Re-apply the right environment's realm/client config (the "
               "client's redirect URIs, secret, scopes) and check the Job's import source")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": o.target.kind, "namespace": o.target.namespace, "name": o.target.name},
            "reason": "IdpConfigOverwritten", "message": message, "evidence": [o.line[:200]],
            "details": {"imported": o.imported, "refusal": o.refusal, "idp": o.idp}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the Job, its finding, evidence ids, nothing further) for `agent.triage.behind`."""
    return [(o.target, finding(o), o.evidence, []) for o in found(facts)]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a Job ran within LEAD: each Job's spec; for one that configures an IdP, its pod's
    `import` lines and the IdP pods' lines that name a client setting (the host its env points at, else the IdP
    workloads of its namespace)."""
    runs = job_runs(facts)
    if not runs or RECORD in facts.reads:
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"jobs": {}, "idp_lines": {}, "evidence": []})
    for _, _, target in runs:
        got = await get_yaml(call, "Job", target.name, target.namespace, f"survey-idp-import-{target.name}")
        if got is None:
            continue
        words = container_words(got[0])
        kept["jobs"][str(target)] = {"words": words}
        if not configures_idp(target.name, words):
            continue
        kept["evidence"].append(got[1])
        hosts = [(m[1], m[2]) for w in words for m in _HOST.finditer(w)]
        for ns in dict.fromkeys([target.namespace, *(h[1] for h in hosts)]):
            names = await list_names(call, "Pod", ns, f"survey-idp-import-pods-{ns}")
            pods = sorted(names[0]) if names else []
            mine = next((p for p in pods if p.startswith(target.name + "-")), None)
            if mine and ns == target.namespace:
                logs = await call("k8s_logs", {"name": mine, "namespace": ns, "grep": "import", "tail": 500},
                                  f"survey-idp-import-job-{target.name}")
                if logs is not None and logs.ok:
                    kept["jobs"][str(target)]["log"] = str(logs.full_text or logs.text).splitlines()[:20]
            services = {h[0] for h in hosts if h[1] == ns}
            idps = [p for p in pods if not p.startswith(target.name + "-") and (
                workload_of_pod(p) in services or IDP_NAME.search(workload_of_pod(p)))][:2]
            for pod in idps:
                logs = await call("k8s_logs", {"name": pod, "namespace": ns, "grep": "error", "tail": 2000},
                                  f"survey-idp-import-idp-{pod}")
                if logs is None or not logs.ok:
                    continue
                lines = [t for t in str(logs.full_text or logs.text).splitlines() if REFUSAL.search(t)]
                if lines:
                    kept["idp_lines"][pod] = lines[-5:]
                    kept["evidence"].append(logs.evidence_id)
                    return
