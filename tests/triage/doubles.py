"""One test double for the tool hub that triage mechanisms call: the real outcome type and a recording fake hub.

Why it exists: a triage mechanism reads the cluster through one async callable, `call(tool, args, step)`, that
returns the agent's `ToolOutcome` (or None when nothing answers). About forty mechanism tests each wrote their own
copy of that callable (serve `k8s_get` by name as YAML, rows for `k8s_list`, grepped logs, PromQL samples, and
record the calls) and their own outcome dataclass. The copies drifted (argument orders, what a missing object
answers), and a change to what triage reads from an outcome had to be made forty times. Tests now build the
answers they need from this module and keep only what is particular to them as a callback or a small subclass.

The outcome is the agent's own `agent.toolhub.ToolOutcome`, not a look-alike: triage reads `ok`, `data`,
`full_text`, `text`, `evidence_id` and `arguments` from it, so the double hands triage exactly the type the
real hub does and a field renamed there breaks these tests instead of passing silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import yaml

from agent.toolhub import ToolOutcome

ObjectKey = str | tuple[str, str] | tuple[str, str, str]
"""How `objects` are keyed: by name, by (kind, name), or by (kind, namespace, name); a hub uses one of them."""

Served = dict[str, Any] | str
"""An object `k8s_get` serves: a manifest (dumped as YAML) or its text as is."""

Objects = (Mapping[str, Served] | Mapping[tuple[str, str], Served] | Mapping[tuple[str, str, str], Served]
           | Mapping[ObjectKey, Served])
"""Objects by one of the keys (Mapping's key type is invariant, so each keying is its own member)."""

ListKey = str | tuple[str, str]
Lists = Mapping[str, list[dict[str, Any]]] | Mapping[tuple[str, str], list[dict[str, Any]]] | Mapping[
    ListKey, list[dict[str, Any]]]
"""`k8s_list` rows by kind or by (kind, namespace)."""

Answer = Callable[["Call", str], ToolOutcome | None]
"""A canned answer computed from the call and the evidence id the hub gave it."""


def outcome(ok: bool, data: Any = None, full_text: str = "", evidence_id: str = "E1", *, text: str | None = None,
            tool: str = "", arguments: dict[str, Any] | None = None) -> ToolOutcome:
    """A `ToolOutcome` as a tool would return it, with the fields triage reads first.

    `text` (what the model sees) defaults to `full_text`: a fake has no budget, so nothing is cut.
    """
    return ToolOutcome(evidence_id=evidence_id, tool=tool, arguments=dict(arguments or {}), ok=ok,
                       text=full_text if text is None else text, full_text=full_text, data=data)


def grep(lines: Iterable[str], args: Mapping[str, Any]) -> list[str]:
    """The lines `k8s_logs` keeps for `args["grep"]`: case-insensitive substring, as the server filters."""
    needle = str(args.get("grep") or "").lower()
    return [ln for ln in lines if needle in ln.lower()]


def log_text(lines: Iterable[str], args: Mapping[str, Any]) -> str:
    """`k8s_logs` text: a `logs of <pod>` header line, then the lines `grep` keeps."""
    return "\n".join([f"logs of {args.get('name')}", *grep(lines, args)])


def keyed(objects: Iterable[dict[str, Any]]) -> dict[ObjectKey, dict[str, Any]]:
    """Objects keyed by (kind, namespace, name) from their own metadata (a cluster-scoped one's namespace is "")."""
    return {(o["kind"], o["metadata"].get("namespace") or "", o["metadata"]["name"]): o for o in objects}


@dataclass(frozen=True)
class Call:
    """One call the hub received, in order."""

    tool: str
    args: dict[str, Any]
    step: str


class RecordingHub:
    """A fake tool hub: answers from recorded cluster state and records every call.

    - `objects`: what `k8s_get` serves, as YAML in `full_text` (a str value is served as is). Keys are names,
      (kind, name) or (kind, namespace, name), and the call's arguments are looked up in that order of detail.
      A miss answers `ok=False` with "not found", or None when `missing_is_none`.
    - `lists`: the rows `k8s_list` answers, keyed by kind or by (kind, namespace); an unknown kind answers no rows.
    - `logs`: log lines per pod for `k8s_logs`, filtered by `grep`, under a `logs of <pod>` header line.
    - `answers`: per tool, a fixed `ToolOutcome` or a callback `(call, evidence_id) -> ToolOutcome | None`; it
      takes precedence over the three above. Anything else answers `otherwise` (a fixed outcome or a callback,
      None unless given).
    - evidence ids: `ids[tool]` when given, else `E<n>` counting calls from `first_id`.

    `calls` logs (tool, arguments) and `steps` the step ids, call by call, for tests to assert on. A test with
    behaviour of its own overrides `answer` and falls back to `super().answer`.
    """

    def __init__(self, *, objects: Objects | None = None, lists: Lists | None = None,
                 logs: Mapping[str, list[str]] | None = None,
                 answers: Mapping[str, ToolOutcome | Answer | None] | None = None,
                 ids: Mapping[str, str] | None = None, first_id: int = 1, missing_is_none: bool = False,
                 otherwise: ToolOutcome | Answer | None = None) -> None:
        self.serves = {tool for tool, given in (("k8s_get", objects), ("k8s_list", lists), ("k8s_logs", logs))
                       if given is not None}
        """The tools answered from recorded state: those whose state was given, even empty."""
        self.objects: dict[ObjectKey, Served] = {key: obj for key, obj in (objects or {}).items()}
        self.lists: dict[ListKey, list[dict[str, Any]]] = {key: rows for key, rows in (lists or {}).items()}
        self.logs: dict[str, list[str]] = dict(logs or {})
        self.answers: dict[str, ToolOutcome | Answer | None] = dict(answers or {})
        self.ids: dict[str, str] = dict(ids or {})
        self.first_id = first_id
        self.missing_is_none = missing_is_none
        self.otherwise = otherwise
        """What a tool with no recorded answer gets: None by default, as a tool the policy does not offer."""
        self.calls: list[tuple[str, dict[str, Any]]] = []
        """(tool, arguments) of each call, in order."""
        self.steps: list[str] = []
        """The step id of each call, in order."""

    @property
    def tools(self) -> list[str]:
        """The tool of each call, in order."""
        return [tool for tool, _ in self.calls]

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> ToolOutcome | None:
        """The hub's call signature as triage uses it: record, then answer."""
        call = Call(tool, args, step)
        self.calls.append((tool, args))
        self.steps.append(step)
        got = self.answer(call, self.ids.get(tool) or f"E{self.first_id + len(self.calls) - 1}")
        if got is None or got.tool:
            return got
        return replace(got, tool=tool, arguments=dict(args))  # as the real hub's outcome names its call

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        """The answer to one call; subclasses add their own tools and fall back to this."""
        if call.tool in self.answers:
            canned = self.answers[call.tool]
            return canned(call, eid) if callable(canned) else canned
        if call.tool not in self.serves:
            return self.otherwise(call, eid) if callable(self.otherwise) else self.otherwise
        if call.tool == "k8s_get":
            return self.get(call.args, eid)
        if call.tool == "k8s_list":
            return self.list(call.args, eid)
        return outcome(True, {}, log_text(self.logs.get(str(call.args.get("name")), []), call.args), eid)
        return None

    def find(self, args: Mapping[str, Any]) -> Served | None:
        """The recorded object the arguments name, by the most detailed key that holds one."""
        kind, name, namespace = str(args.get("kind") or ""), str(args.get("name") or ""), args.get("namespace") or ""
        for key in ((kind, namespace, name), (kind, name), name):
            if key in self.objects:
                return self.objects[key]
        return None

    def get(self, args: Mapping[str, Any], eid: str) -> ToolOutcome | None:
        """`k8s_get -o yaml`: the object's YAML, or not found."""
        obj = self.find(args)
        if obj is None:
            return None if self.missing_is_none else outcome(False, None, "not found", eid)
        return outcome(True, {}, obj if isinstance(obj, str) else yaml.safe_dump(obj), eid)

    def list(self, args: Mapping[str, Any], eid: str) -> ToolOutcome:
        """`k8s_list`: the rows recorded for (kind, namespace), else for the kind, else none."""
        kind = str(args.get("kind") or "")
        rows = self.lists.get((kind, str(args.get("namespace") or "")), self.lists.get(kind, []))
        return outcome(True, {"rows": rows}, "", eid)


def get_only(objects: Mapping[str, Served], evidence_id: str = "E11") -> RecordingHub:
    """A hub for mechanisms that read nothing but the written object: `k8s_get` by name, as YAML, every answer
    under one evidence id (any id: E11 unless given); any other tool answers not found."""
    return RecordingHub(objects=objects, ids={"k8s_get": evidence_id},
                        otherwise=outcome(False, None, "not found", evidence_id))
