"""A workload's image written by an image-automation controller: the POLICY that chose the tag is the culprit.

Flux image automation (ImageRepository scans tags, ImagePolicy picks one with `filterTags` + `policy`,
ImageUpdateAutomation commits it), Argo CD Image Updater (an Application's `argocd-image-updater.argoproj.io/
<alias>.allow-tags` / `update-strategy` annotations) and Keel (`keel.sh/policy` on the workload) roll a new tag
without anyone touching the workload. When the policy is widened (a `^prod-` pattern turned `^[a-z]+-`, a semver
range that admits pre-releases, a `latest` strategy over every tag), the next scan picks a tag that was never
meant for this environment (a dev, snapshot, rc or nightly build) and the controller rolls it. The workload's
image change is the visible suspect and the wrong one to revert: the automation writes the same tag again on its
next run. The fix is the policy, and the tag's meaning says why the new build fails (a dev build in prod).

Linked, never guessed: the policy write comes before the workload's image change (within LAG), and the policy
is tied to that image by what it says: the policy object's own status (Flux's `status.latestImage` equal to the
new image), or the write naming the image's repository. `read` reads the written policy objects (reading only);
`found` is pure over the facts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import Call, get_yaml

CHECK = "change.image_policy"
WEIGHT = 0.93
"""The policy whose choice the automation keeps writing outranks the image change it wrote."""
STORE = "image_automation"
LAG = timedelta(hours=3)
"""A scan interval plus a commit and a sync: the automation's rollout follows the policy write within this."""
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout", "CronJob")

POLICY_KINDS = ("ImagePolicy", "ImageUpdateAutomation", "ImageRepository", "ImageUpdater")
"""Flux image-reflector/-automation kinds (what a tag is chosen from, how, and where it is written) and Argo CD
Image Updater's ImageUpdater resource (v1: allowTags/updateStrategy per Application)."""
POLICY_WORDS = re.compile(r"argocd-image-updater\.argoproj\.io/|keel\.sh/(?:policy|match-tag|trigger)|"
                          r"\bfilterTags\b|\ballow-?tags\b|\bignore-?tags\b|\bupdate-?strategy\b|\bsemverRange\b|"
                          r"\bpolicy\.(?:semver|numerical|alphabetical)\b", re.I)
"""A write to another object (an Argo CD Application's annotations, a workload's Keel annotations) that changes
how an image tag is chosen."""
IMAGE_LINE = re.compile(r"^(?P<container>\S+) image (?P<old>\S+) -> (?P<new>\S+)$")
UNMEANT = re.compile(r"(?:^|[-_.+])(?P<word>dev|develop|development|snapshot|nightly|alpha|beta|rc\d*|pre|preview|"
                     r"canary|test|testing|staging|stage|sandbox|feature|wip|experimental|debug|pr\d*|edge|unstable|dirty|draft|"
                     r"qa|uat|poc|demo)(?=$|[-_.+\d])",
                     re.I)
"""Tag words that mark a build not meant for production (a dev/snapshot/pre-release/test build, a QA/UAT
environment's, a dirty working tree's)."""
KEEL = re.compile(r"keel\.sh/(?:policy|match-tag|trigger|approvals)", re.I)
"""Keel's policy lives on the workload itself: its annotation write comes before the image Keel writes."""


@dataclass
class Chosen:
    """A policy write, and the image change the automation rolled from it."""

    policy: Ref
    said: str
    workload: Ref
    container: str
    old: str
    new: str
    minutes: int
    before_rollout: int
    meaning: str
    evidence: list[str]


def _repo(image: str) -> str:
    return image.split("@", 1)[0].rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image


def _tag(image: str) -> str:
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def tag_meaning(old: str, new: str) -> str:
    """What the new tag says it is when the old one did not say so: `a dev build`, `a snapshot build`."""
    found = UNMEANT.search(_tag(new))
    if not found or UNMEANT.search(_tag(old)):
        return ""
    word = found.group("word").lower()
    word = {"develop": "dev", "development": "dev", "testing": "test", "stage": "staging"}.get(word, word)
    word = {"rc": "release-candidate (rc)", "pr": "pull-request (pr)"}.get(re.sub(r"\d+$", "", word), word)
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word} build"


def _policy_changes(facts: Facts) -> list[tuple[dict[str, Any], Ref, datetime]]:
    out = []
    for change in facts.change_list():
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or at is None or change.get("type") == "rollout":
            continue
        text = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        if ref.kind in POLICY_KINDS or POLICY_WORDS.search(text):
            out.append((change, ref, at))
    return out


def _ties(facts: Facts, change: dict[str, Any], policy: Ref, new: str) -> str:
    """Why this policy chose that image: its status says so, or its write names the image's repository."""
    obj = (facts.reads.get(STORE) or {}).get(f"{policy.kind}/{policy.namespace}/{policy.name}")
    status: dict[str, Any] = (obj[0].get("status") or {}) if obj else {}
    latest = status.get("latestRef") or {}
    if status.get("latestImage") == new or (isinstance(latest, dict) and str(latest.get("tag") or "") == _tag(new)):
        return f"its status.latestImage is {new}"
    text = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
    if KEEL.search(text):  # Keel's annotations choose only the tags of the workload that carries them
        return ""
    repo = _repo(new)
    if repo in text or repo.rsplit("/", 1)[-1] in re.findall(r"[\w.-]+", text):
        return f"it names {repo}"
    if obj is not None and repo in json.dumps(obj[0].get("metadata", {}).get("annotations") or {}):
        return f"its annotations name {repo}"  # Argo CD Image Updater's image-list, when the write was allow-tags
    if obj is not None and repo in json.dumps(obj[0].get("spec") or {}):
        return f"its spec names {repo}"  # an ImageUpdater's images[].imageName, a Flux ImageRepository's image
    return ""


def _said(change: dict[str, Any]) -> str:
    return " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])


def found(facts: Facts) -> list[Chosen]:
    """Image changes of workloads that followed a write to the policy that chose the new tag."""
    policies = _policy_changes(facts)
    if not policies:
        return []
    out: list[Chosen] = []
    for change in facts.change_list():
        workload, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if workload is None or at is None or workload.kind not in WORKLOADS or at > facts.at:
            continue
        for line in change.get("diff") or []:
            image = IMAGE_LINE.match(str(line))
            if image is None:
                continue
            for pchange, policy, pat in policies:
                own = policy.same_object(workload)
                if not timedelta(0) <= at - pat <= LAG or (own and not (at > pat and KEEL.search(_said(pchange)))):
                    continue  # a workload is its own policy only by Keel's annotations, written before its image
                tie = "its own keel.sh policy annotation" if own else _ties(facts, pchange, policy, image["new"])
                if not tie:
                    continue
                diff = "; ".join(str(d) for d in (pchange.get("diff") or [])[:2]) or str(pchange.get("summary"))
                obj = (facts.reads.get(STORE) or {}).get(f"{policy.kind}/{policy.namespace}/{policy.name}")
                out.append(Chosen(policy, f"{diff} ({tie})", workload, image["container"], image["old"],
                                  image["new"], int((facts.at - pat).total_seconds() // 60),
                                  int((at - pat).total_seconds() // 60), tag_meaning(image["old"], image["new"]),
                                  [e for e in (facts.changes_id, obj[1] if obj else None) if e]))
                break
    return out


def finding(c: Chosen) -> dict[str, Any]:
    """The policy as the suspect: what its write changed, the tag it chose and what that tag means."""
    meant = f", {c.meaning} (the old tag was not)" if c.meaning else ""
    whose = ("its own image automation policy (Keel's keel.sh annotations)" if c.policy.same_object(c.workload)
             else f"the image automation policy choosing {c.workload}'s tag")
    message = (f"{c.policy}, {whose}, was changed "
               f"{minutes_text(c.minutes)} before the alert and image automation rolled its new choice "
               f"{c.before_rollout} min later: {c.container} {_tag(c.old)} -> {_tag(c.new)}{meant}. The write: "
               f"{c.said[:200]}. Reverting the workload alone is undone at the next automation run: restore the "
               "policy (filterTags pattern, allowed tags, semver range) and roll back to the last intended build")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": c.policy.kind, "namespace": c.policy.namespace, "name": c.policy.name},
            "reason": "ImagePolicyChoseUnmeantTag" if c.meaning else "ImagePolicyChoseTag", "message": message,
            "evidence": [c.said[:200], f"{c.workload} {c.container} image {c.old} -> {c.new}"],
            "details": {"workload": str(c.workload), "old": c.old, "new": c.new, "meaning": c.meaning}}


async def read(facts: Facts, call: Call) -> None:
    """Reading only, bounded: the image policy objects the timeline shows written (a Flux ImagePolicy's status says
    which image it chose; an Application's Image Updater annotations say which images it updates)."""
    store = facts.reads.setdefault(STORE, {})
    for _, ref, _ in _policy_changes(facts)[:4]:
        key = f"{ref.kind}/{ref.namespace}/{ref.name}"
        if key in store:
            continue
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-image-policy-{ref.name}")
        if got is not None:
            store[key] = got
