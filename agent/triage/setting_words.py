"""A write to a SETTING the victim's errors speak of: the written field's own words in the failing lines.

The class modules read a written field by its documented meaning, for the software they know. Software nobody has
written a module for still leaves a plain trace: the error names the concept the setting governs. A proxy's JWT
filter refuses with `Jwt audiences is not allowed` after a policy's `jwtRules[0].audiences` was narrowed; a server
rejects a peer with `unexpected SPIFFE ID` after a registration template's `spiffeIDTemplate` changed; an identity
provider logs `invalid_redirect_uri` after an import rewrote `redirectUris`; a broker says `SASL authentication
failed` after a listener's `sasl` block was written. The word is the same on both sides because the error is the
software checking that setting.

This module is the generic link for that trace, next to agent.triage.shared_identifier (which links by a NAME both
sides carry). It relates a write to a victim when a word of a field the write touched (a path segment, a key inside
the written value, an annotation's name) is a word of the victim's outward error lines, and the word is SPECIFIC:

- not the vocabulary of Kubernetes' own specs (containers, image, env, resources, replicas, selector, probes, ports,
  labels, annotations...): those fields belong to the workload modules that read them by meaning, and an image bump
  of a neighbour (the usual red herring) shares no setting word with anyone's errors;
- not generic error or unit vocabulary (timeout, seconds, limit, max, error, enabled, name, value...), which every
  config and every failing line holds;
- held by few of the incident's changes (a word several writes share decides nothing between them).

The write must precede the victim's first outward error; a victim whose own workload (or what it reads) was written
before its errors keeps its own blame (shared_identifier.own_change). The weight is below every class module and
below a shared identifier: a shared word is the weakest of the links, used when nothing more specific spoke.
Pure over the facts: the survey's reads are enough (shared_identifier keeps the current text of custom objects the
timeline shows written without values).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage import shared_identifier
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.subject import Subject

CHECK = "change.setting_words"
WEIGHT = 0.85
"""Below a shared identifier (0.86) and every module that reads a written field's meaning (0.9 and up)."""
LEAD = timedelta(hours=6)
SLACK = timedelta(minutes=2)
MAX_CHANGES_WITH_WORD = 2
"""A setting word written by more of the incident's changes than this does not single one out."""
MIN_LENGTH = 3


def _vocabulary(text: str) -> frozenset[str]:
    """A word list written as text (one place to read and extend)."""
    return frozenset(text.split())


SPEC_WORDS = _vocabulary("""
api apis version kind metadata spec status data string binary name names namespace namespaces uid generation
label labels annotation annotations template templates selector selectors match matchlabels matchexpressions
key keys value values operator item items field fields ref refs from object objects owner owners reference
container containers init initcontainer initcontainers ephemeral image images pull policy policies command
args arg env envfrom var vars resource resources limit limits request requests cpu memory storage ephemeral
volume volumes mount mounts mountpath subpath path paths claim claims configmap configmaps secret secrets
replica replicas strategy rolling update updates surge unavailable max min revision history progress deadline
probe probes liveness readiness startup initial delay period success failure threshold thresholds handler
port ports target container containerport protocol tcp udp http https grpc exec get host hosts node nodes
affinity antiaffinity toleration tolerations taint taints effect schedule scheduler scheduling priority class
classname service services account serviceaccount serviceaccountname automount security context securitycontext
run user group fsgroup privileged capabilities drop add readonly root filesystem termination grace seconds
lifecycle prestop poststart hook hooks dns config configs option options restart restarts always never
deployment deployments statefulset statefulsets daemonset daemonsets replicaset job jobs cronjob cronjobs pod pods
ingress ingresses rule rules backend backends default type types ipfamily cluster clusterip external traffic
helm chart release kubectl kubernetes last applied configuration managed manager managers controller controllers
app component part instance io com org net www svc local example internal prod production staging stage dev
""")
"""Field and label vocabulary of Kubernetes' own kinds and of common labelling: every spec holds it."""

GENERIC_WORDS = _vocabulary("""
the and for with not are was were has have had this that than then into onto out off per via all any one two
error errors err failed fail failure failing warn warning info debug fatal level message msg log logs logger
time times timeout timeouts timed second seconds sec secs minute minutes hour hours day days millis ms duration
interval period delay wait size bytes count number total max maximum min minimum limit limited rate ratio percent
enable enabled enables disable disabled true false null none yes off on auto mode modes setting settings
request response client server call calls retry retries attempt attempts connect connection connections
status code codes reason result results state new old now current previous before after set unset removed
file files dir directory url uri uris id ids uuid ts timestamp date event events source target dest destination
value default level levels string int bool list map
bad gateway unavailable internal forbidden unauthorized unauthorised found method allowed conflict gone payload
large entity unprocessable acceptable precondition upstream downstream exception caused throw thrown stack trace
""")
"""Words every config and every failing line holds: units, switches, generic error and protocol vocabulary, and
the words of HTTP reason phrases (`502 Bad Gateway` speaks of no `GATEWAY_URL`)."""

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_JSON_KEY = re.compile(r"[\"']([A-Za-z_][A-Za-z0-9_.\-/]*)[\"']\s*:")
_PATH_END = re.compile(r"\s(?:=|->)\s|:\s|\s(?:removed|set|added|unset)\b")


def stem(word: str) -> str:
    """A word's singular (`audiences` and `audience`, `policies` and `policy`): errors and fields differ in number."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> set[str]:
    """The words of a text, split at separators and camelCase and lowered and singular (`jwtRules[0]` -> jwt, rule)."""
    out: set[str] = set()
    for token in _SPLIT.split(text):
        for part in _CAMEL.sub(" ", token).split():
            word = part.lower()
            if len(word) >= MIN_LENGTH and not word.isdigit() and re.search(r"[a-z]", word):
                out.add(stem(word))
    return out


_STEMMED_VOCABULARY = frozenset(stem(w) for w in SPEC_WORDS | GENERIC_WORDS)
"""The two vocabularies in singular (`policies` -> `policy`), stemmed once here rather than on every `specific`."""


def specific(word: str) -> bool:
    """A word that names a concept a setting governs, not spec or error vocabulary (compared singular)."""
    return word not in SPEC_WORDS and word not in GENERIC_WORDS and stem(word) == word \
        and word not in _STEMMED_VOCABULARY and not re.search(r"\d", word)


def written_settings(change: dict[str, Any]) -> list[str]:
    """The settings a write touched as its diff says them: each line's field path, and the keys inside the value it
    wrote (`spec.jwtRules = [{"audiences": [...]}]` touched `jwtRules` and `audiences`). The actor's words and the
    object's own name are not settings."""
    out: list[str] = []
    for line in change.get("diff") or []:
        text = shared_identifier.BY_ACTOR.sub("", str(line)).strip()
        if not text:
            continue
        cut = _PATH_END.search(text)
        out.append(text[:cut.start()] if cut else text.split(" ")[0])
        out += _JSON_KEY.findall(text[cut.end():] if cut else "")
    return out


def _setting_words(change: dict[str, Any]) -> dict[str, str]:
    """Each specific word of the write's settings, with the setting that holds it."""
    out: dict[str, str] = {}
    for setting in written_settings(change):
        for word in words(setting):
            if specific(word):
                out.setdefault(word, setting)
    return out


@dataclass
class Spoken:
    """A write whose setting word the victim's outward errors say."""

    target: Ref
    change: dict[str, Any]
    victim: shared_identifier.Victim
    word: str
    setting: str
    line: str
    minutes_before: int
    evidence: list[str]


async def read(subject: Subject, facts: Facts, call: Any, at: str) -> None:
    """Nothing of its own: the survey's log and change reads are what this link compares."""
    del subject, facts, call, at


def _quote(change: dict[str, Any], setting: str) -> str:
    """The diff line that wrote the setting (old -> new where known), short."""
    for line in change.get("diff") or []:
        text = shared_identifier.BY_ACTOR.sub("", str(line)).strip()
        if text.startswith(setting) or setting in text:
            return text[:200]
    return setting[:200]


def found(facts: Facts) -> list[Spoken]:
    """Per victim failing outward with no change of its own, the write before its errors whose setting its errors
    name by the rarest specific word."""
    victims = [v for v in shared_identifier.victims(facts) if not shared_identifier.own_change(facts, v)]
    if not victims:
        return []
    changes = [c for c in facts.change_list() if Ref.of(c.get("object")) is not None]
    per_change = [(c, _setting_words(c)) for c in changes]
    holders: dict[str, int] = {}
    for _, said in per_change:
        for word in said:
            holders[word] = holders.get(word, 0) + 1
    out: list[Spoken] = []
    for v in victims:
        own = words(v.workload.name) | words(v.workload.namespace)
        best: tuple[tuple[int, float], Spoken] | None = None
        for change, said in per_change:
            target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
            if target is None or at is None or target.kind.lower() in shared_identifier.SKIP_KINDS:
                continue
            if not facts.at - LEAD <= at <= v.first + SLACK or change.get("type") in ("rollout", "scale"):
                continue
            candidates = {w: s for w, s in said.items() if holders[w] <= MAX_CHANGES_WITH_WORD and w not in own
                          and w not in words(target.name)}
            for line in v.lines:
                for word in sorted(words(line) & set(candidates)):
                    key = (holders[word], (v.first - at).total_seconds())
                    if best is None or key < best[0]:
                        evidence = [e for e in (facts.changes_id, v.log.evidence_id) if e]
                        best = (key, Spoken(target, change, v, word, candidates[word], line,
                                            int((facts.at - at).total_seconds() // 60), evidence))
        if best is not None and not any(s.target.same_object(best[1].target) for s in out):
            out.append(best[1])
    return out


def finding(s: Spoken) -> dict[str, Any]:
    """The write and the setting the errors speak of, early in the message."""
    victim = s.victim.workload.name
    wrote = _quote(s.change, s.setting)
    message = (f"{s.target} wrote {wrote[:140]} {minutes_text(s.minutes_before)} before {victim}'s errors, which "
               f"speak of that setting ({s.word}): '{s.line[:320]}'. {victim} has no change of its own and its "
               f"errors point outward (a check of what {s.target.kind} {s.target.name} sets now refuses it): the "
               f"write is the likelier cause; revert it or make it admit what {victim} sends")
    return {"check": CHECK, "severity": "critical", "object": s.change.get("object"), "reason": "SettingInErrors",
            "message": message, "evidence": [s.line[:200]],
            "details": {"change_at": s.change.get("at"), "word": s.word, "setting": s.setting,
                        "victim": str(s.victim.workload)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(changed object, finding, evidence ids, the victim's pod and workload) for each setting-word link."""
    return [(s.target, finding(s), s.evidence, [Ref("Pod", s.victim.log.namespace, s.victim.log.pod),
                                                s.victim.workload]) for s in found(facts)]

