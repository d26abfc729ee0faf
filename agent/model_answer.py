"""Reading and checking the model's final answer before it can shape the report.

A small model's answer is often not what the prompt asked for: prose instead of JSON, a hypothesis
that cites nothing, one that names an object its cited evidence never mentions, a remediation for a
workload that is not the one the evidence points at. Each check here has one job and says what was
wrong in a sentence, so the loop can ask the model once to fix its answer and the report can say
why a claim was not taken.

The checks read only the evidence Vigil gathered (the redacted tool results), never the model's
own words about it. What an answer must look like is the typed FinalAnswer (agent/llm/final_answer.py):
a text answer's JSON is validated through it exactly as a `submit_answer` call is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from agent.llm.final_answer import FINAL_ANSWER_TOOL, FinalAnswer, validate_answer

_JSON_BLOCK = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.S)
# Object references as Kubernetes spells them: `namespace/name`, or a DNS-label name with a digit
# (pods, ReplicaSets, nodes: `checkout-7d4b9-x2k9p`, `ip-10-0-1-20`), which prose never contains.
_SLASH_REF = re.compile(r"(?<![\w./-])([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)/([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?![\w/])")
_NAME_REF = re.compile(r"(?<![\w./-])([a-z0-9]+(?:-[a-z0-9]+)+)(?![\w/])")
_URLISH = re.compile(r"https?://\S+")

ANSWER_SHAPE = ('{"summary": "one or two sentences", "hypotheses": [{"cause": "...", "confidence": 0.0-1.0, '
                '"evidence": ["E1"]}], "ruled_out": [], "next_steps": [], "remediation": null}')


def parse_answer(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """The JSON object a text answer holds (the last fenced block, else the outermost braces), unchecked;
    or (None, why there is none). read_answer checks it."""
    if not text.strip():
        return None, "the answer was empty"
    blocks = _JSON_BLOCK.findall(text)
    candidate = blocks[-1] if blocks else text[text.find("{"): text.rfind("}") + 1]
    if not candidate:
        return None, "the answer holds no JSON object"
    try:
        answer = json.loads(candidate)
    except ValueError as exc:
        return None, f"the JSON does not parse ({getattr(exc, 'msg', str(exc))})"
    if not isinstance(answer, dict):
        return None, "the JSON is not an object"
    if not isinstance(answer.get("hypotheses", []), list):
        return None, "`hypotheses` is not a list"
    return answer, None


def read_answer(text: str) -> tuple[FinalAnswer | None, str | None]:
    """A text answer as a validated FinalAnswer, or (None, what is wrong with it, field by field)."""
    data, problem = parse_answer(text)
    if data is None:
        return None, problem
    return validate_answer(data)


def citation_problem(answer: Mapping[str, Any], known_ids: set[str]) -> str | None:
    """Why the answer's hypotheses cannot be checked against evidence, or None when some can."""
    hypotheses = [h for h in answer.get("hypotheses") or [] if isinstance(h, dict) and h.get("cause")]
    if not hypotheses:
        return None
    cited: set[str] = set()
    for h in hypotheses:
        values = h.get("evidence")
        cited.update(str(e) for e in values) if isinstance(values, list) else None
    if not cited & known_ids:
        shown = ", ".join(sorted(known_ids, key=_id_order)[:6])
        return f"no hypothesis cites an evidence id that exists (the ids are like {shown})"
    return None


def repair_request(problem: str) -> str:
    """The one message that asks the model to fix its final answer."""
    return (f"Your answer could not be used: {problem}. Answer again: call {FINAL_ANSWER_TOOL} with the fixed "
            f"answer, or write only a JSON object in a ```json fence, in this shape: {ANSWER_SHAPE}. "
            "Cite only evidence ids shown to you. Do not call any other tool.")


def _id_order(evidence_id: str) -> tuple[int, str]:
    digits = evidence_id.lstrip("E")
    return (int(digits), evidence_id) if digits.isdigit() else (1 << 30, evidence_id)


def object_refs(text: str) -> set[str]:
    """The Kubernetes-looking object references in `text` (`ns/name` and digit-bearing names), lower case."""
    text = _URLISH.sub(" ", text.lower())
    refs = {f"{a}/{b}" for a, b in _SLASH_REF.findall(text)}
    refs |= {name for name in _NAME_REF.findall(text) if any(c.isdigit() for c in name)}
    return refs


def _has_word(text: str, word: str) -> bool:
    """`word` in `text` as a whole name: not as part of a longer DNS label (`pay` is not in `payments`)."""
    return re.search(rf"(?<![a-z0-9-]){re.escape(word)}(?![a-z0-9-])", text) is not None


def _mentions(evidence: str, ref: str) -> bool:
    """Does the (lower-case) evidence mention the object `ref` (`name` or `namespace/name`)?"""
    if _has_word(evidence, ref):
        return True
    if "/" in ref:
        namespace, name = ref.split("/", 1)
        return _has_word(evidence, namespace) and _has_word(evidence, name)
    return False


def grounding_problem(cause: str, cited: list[str], evidence: Mapping[str, str]) -> str | None:
    """Why a model hypothesis is not supported by what it cites, or None when it is.

    Supported means: it cites at least one evidence id that exists, and every object it names
    appears in the evidence it cites (a claim about `payments/payments` citing the logs of
    `checkout` is contradicted by its own citation).
    """
    texts = [evidence[c].lower() for c in cited if c in evidence]
    if not texts:
        return "cites no evidence that exists"
    joined = "\n".join(texts)
    missing = sorted(ref for ref in object_refs(cause) if not _mentions(joined, ref))
    if missing:
        return f"names {', '.join(missing[:3])}, which the evidence it cites does not mention"
    return None


_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|\{\{[^}]*\}\}|<[A-Za-z_]+>|%[sd]\b|\{\}")
_WORD = re.compile(r"[a-z0-9][a-z0-9._-]*")
_IDENTIFIER = re.compile(r"\b(?:[A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Za-z][\w-]*[._/-][\w./-]*\w)\b")
"""ENV_VARS, dotted.keys, hyphenated-names, paths: words a finding names and a runbook title does not."""


SYMPTOM_WORDS = frozenset({
    "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "not", "no", "the", "a", "an", "its",
    "their", "of", "and", "or", "for", "to", "in", "on", "at", "too", "very", "still", "now",
    "progressing", "progress", "ready", "available", "unavailable", "failing", "fails", "failed", "failure",
    "crashing", "crashloop", "crashlooping", "looping", "crash", "crashes", "down", "unhealthy", "degraded",
    "erroring", "errors", "error", "returning", "returns", "timing", "out", "slow", "stuck", "pending", "running",
    "healthy", "working", "broken", "high", "rate", "latency", "replicas", "replica", "matched", "match",
    "expected", "number", "deployment", "statefulset", "daemonset", "pod", "pods", "service", "container",
})
"""The words of a state without a cause ("Deployment web/frontend is not progressing"): a hypothesis
made only of these and the alert's own words says what the alert said, not why."""


def specificity_problem(cause: str, restated: Iterable[str], evidence: Mapping[str, str]) -> str | None:
    """Why a model hypothesis says nothing a finding could be acted on, or None when it names a cause.

    Small models answer with a runbook step's title ("Error ratio by status code"), the alert's own
    words, or a log template with its placeholder ("Missing required environment variable: ${name}");
    grounded or not, such a line must never lead over a rule finding that names the object and why.
    Specific means: no template placeholder, not only the words of the alert, and it names an object
    the evidence knows (`ns/name`, a digit-bearing name, or a name the evidence writes as `ns/name`).
    """
    if _PLACEHOLDER.search(cause):
        return "is a template with a placeholder, not a finding"
    words = set(_WORD.findall(cause.lower()))
    for text in restated:
        said = set(_WORD.findall(text.lower()))
        if words and said and words <= said:
            return "only restates the alert"
        residue = {w for w in words if w not in said and "/" not in w} - SYMPTOM_WORDS
        if words & said and not residue:
            return "only restates the symptom of the alerting object, without a cause"
    if object_refs(cause):
        return None
    known = {name for text in evidence.values() for _, name in _SLASH_REF.findall(text.lower())}
    if any(w in known and len(w) >= 3 for w in words):
        return None
    joined = "\n".join(evidence.values()).lower()
    if any(_has_word(joined, token.lower()) for token in _IDENTIFIER.findall(cause)):
        return None  # an env var, a key, a host or a file the evidence shows: specific enough to act on
    return "names no object of the evidence"


def workload_of(remediation: Mapping[str, Any]) -> tuple[str, str] | None:
    """(namespace, name) of the workload a remediation changes, in either shape the vocabulary allows."""
    workload = remediation.get("workload")
    if isinstance(workload, dict) and workload.get("name"):
        return str(workload.get("namespace") or ""), str(workload["name"])
    if isinstance(workload, str) and workload:
        namespace, _, name = workload.rpartition("/")
        return namespace, name
    for key in ("deployment", "statefulset", "daemonset", "name"):
        value = remediation.get(key)
        if key == "name" and remediation.get("action") in ("set_env", "set_configmap_value"):
            continue  # there `name` is the variable or key, not the workload
        if isinstance(value, str) and value:
            return str(remediation.get("namespace") or ""), value
    return None


def remediation_problem(remediation: Mapping[str, Any], rule_remediation: Mapping[str, Any] | None,
                        top: tuple[str, list[str]] | None, evidence: Mapping[str, str]) -> str | None:
    """Why the model's remediation may not replace the rule's, or None when it may.

    It must name its workload, that workload must appear in the evidence, and it must be the one the
    rule's remediation changes, or (with none) the one the top finding (`(cause, cited ids)`) is about:
    named in its text or in the evidence it cites.
    """
    target = workload_of(remediation)
    if target is None:
        return "it names no workload to change"
    namespace, name = target
    ref = f"{namespace}/{name}" if namespace else name
    everything = "\n".join(evidence.values()).lower()
    if not _mentions(everything, ref.lower()):
        return f"its workload {ref} appears in no evidence"
    if rule_remediation:
        wanted = workload_of(rule_remediation)
        if wanted and (wanted[1] != name or (namespace and wanted[0] and wanted[0] != namespace)):
            return f"it changes {ref}, but the finding's workload is {wanted[0]}/{wanted[1]}"
    elif top is not None:
        cause, cited = top
        about = "\n".join([cause, *(evidence.get(c, "") for c in cited)]).lower()
        if not _mentions(about, ref.lower()):
            return f"it changes {ref}, which neither the top finding nor its evidence names"
    return None
