"""The scoping layer: a YAML policy that allows or denies each action and names the rule that decided.

Semantics, in the order they are applied (docs/policy.md has the full example):
1. A `deny` rule that matches the action's actor, tool and any of its resources denies it.
2. Otherwise the first `allow` rule whose actor, tool and every resource pattern match allows it.
3. Otherwise the action is denied by the default rule: unknown tools and unlisted resources are
   refused, never guessed.
4. An allowed action must then fit the actor's limits: query cost ceilings, rate and budget.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from guardrails import query_cost
from guardrails.action import Action, Actor, Decision, Risk, ToolSpec
from guardrails.decision_memo import BoundedLRU, copy_of
from guardrails.scope import ALL, Scope, extract_scope
from guardrails.timeparse import parse_duration

DEFAULT_DENY_RULE = "default-deny"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _globs(value: Any) -> list[str]:
    if value is None:
        return [ALL]
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


class Rule(_Strict):
    """One allow or deny rule. Every list holds glob patterns; a missing list means `*`."""

    id: str
    effect: Literal["allow", "deny"] = "allow"
    description: str = ""
    actors: list[str] = Field(default_factory=lambda: [ALL])
    origins: list[str] = Field(default_factory=lambda: [ALL])
    teams: list[str] = Field(default_factory=lambda: [ALL])
    tools: list[str] = Field(default_factory=lambda: [ALL])
    clusters: list[str] = Field(default_factory=lambda: [ALL])
    namespaces: list[str] = Field(default_factory=lambda: [ALL])
    kinds: list[str] = Field(default_factory=lambda: [ALL])
    repo_paths: list[str] = Field(default_factory=lambda: [ALL])

    _normalise = field_validator(
        "actors", "origins", "teams", "tools", "clusters", "namespaces", "kinds", "repo_paths", mode="before"
    )(_globs)

    @field_validator("kinds")
    @classmethod
    def _canonical_kinds(cls, kinds: list[str]) -> list[str]:
        """`secrets`, `deploy` or `deployments.apps` in a policy mean the kinds the server judges as
        `Secret`, `Deployment`, `Deployment.apps`: a rule must not miss because of its own spelling."""
        return [_canonical_kind_pattern(k) for k in kinds]

    def applies_to(self, actor: Actor, tool: str) -> bool:
        return (
            _match(actor.name, self.actors)
            and _match(actor.origin, self.origins)
            and _match(actor.team or "", self.teams)
            and _match(tool, self.tools)
        )

    def first_resource_mismatch(self, scope: Scope) -> str | None:
        """For an allow rule: the first resource this rule does not cover, or None."""
        checks = [
            ("cluster", scope.cluster, self.clusters),
            ("namespace", scope.namespace, self.namespaces),
            ("kind", scope.kind, self.kinds),
        ]
        for name, value, patterns in checks:
            if value is not None and not _match_dim(name, value, patterns):
                return f"{name} {value!r}"
        for path in scope.paths:
            if not _match_path(path, self.repo_paths):
                return f"path {path!r}"
        return None

    def denies_resource(self, scope: Scope) -> str | None:
        """For a deny rule: the resource it names that the action touches, or None."""
        dims = [
            ("cluster", scope.cluster, self.clusters),
            ("namespace", scope.namespace, self.namespaces),
            ("kind", scope.kind, self.kinds),
        ]
        constrained = [d for d in dims if d[2] != [ALL]] + (
            [("path", p, self.repo_paths) for p in scope.paths] if self.repo_paths != [ALL] else []
        )
        if not constrained:
            return "every resource"
        for name, value, patterns in constrained:
            if value is None:
                continue
            if name == "path" and _match_path(str(value), patterns):
                return f"path {value!r}"
            if name != "path" and _match_dim(name, value, patterns):
                return f"{name} {value!r}"
        return None


class PromQLLimits(_Strict):
    max_range: str = "7d"
    min_step: str = "15s"
    max_series: int = 500
    max_points_per_series: int = 11000


class LogQLLimits(_Strict):
    max_range: str = "24h"
    max_limit: int = 5000


class RateLimit(_Strict):
    calls: int = 120
    per: str = "60s"


class Budget(_Strict):
    tokens_per_day: int | None = None
    usd_per_day: float | None = None


class Limits(_Strict):
    """Cost ceilings for the actors that match. The first matching entry applies."""

    id: str = "default"
    actors: list[str] = Field(default_factory=lambda: [ALL])
    teams: list[str] = Field(default_factory=lambda: [ALL])
    promql: PromQLLimits = Field(default_factory=PromQLLimits)
    logql: LogQLLimits = Field(default_factory=LogQLLimits)
    rate: RateLimit = Field(default_factory=RateLimit)
    budget: Budget = Field(default_factory=Budget)

    _normalise = field_validator("actors", "teams", mode="before")(_globs)


class ApprovalPolicy(_Strict):
    required_at: str = "medium"
    """Actions at or above this risk wait for a human."""
    distinct_approver_at: str = "high"
    """At or above this risk the approver must differ from the requester."""
    self_approval_max: str = "low"
    """The highest risk a requester may approve for itself through a channel it could answer on its own
    (MCP elicitation, Slack, HTTP, `vigil approvals`); above it another person must approve. A person
    approving their own run at its terminal (a prompt, `--yes`) is not limited by it."""
    timeout_seconds: float = 900
    approvers: list[str] = Field(default_factory=lambda: [ALL])
    """Who may approve (glob patterns over actor names, e.g. `slack:U024BE7LH`, `alice`)."""

    @field_validator("required_at", "distinct_approver_at", "self_approval_max")
    @classmethod
    def _risk_name(cls, v: str) -> str:
        Risk.parse(v)
        return v

    @property
    def required_risk(self) -> Risk:
        return Risk.parse(self.required_at)

    @property
    def distinct_risk(self) -> Risk:
        return Risk.parse(self.distinct_approver_at)

    @property
    def self_approval_risk(self) -> Risk:
        return Risk.parse(self.self_approval_max)

    def may_approve(self, approver: str) -> bool:
        return _match(approver, self.approvers)


class _RuleMemo:
    """A policy's remembered rule decisions, tied to the rules list they were decided under.

    Equal to any other `_RuleMemo`: pydantic compares private attributes in `==`, and what a policy
    has remembered is not part of its value (two policies with the same rules are equal, used or not)."""

    def __init__(self, rules: list[Rule] | None) -> None:
        self.rules = rules
        self.decisions: BoundedLRU[Decision] = BoundedLRU(4096)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _RuleMemo)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type[_RuleMemo], tuple[None]]:
        """A deep copy or a pickled policy starts with an empty memo (its lock cannot be copied)."""
        return _RuleMemo, (None,)


def _default_layers() -> list[str]:
    from guardrails.layers.registry import DEFAULT_ORDER  # the layers import this module

    return list(DEFAULT_ORDER)


class Policy(_Strict):
    version: Literal[1] = 1
    rules: list[Rule] = Field(default_factory=list)
    limits: list[Limits] = Field(default_factory=lambda: [Limits()])
    approval: ApprovalPolicy = Field(default_factory=ApprovalPolicy)
    layers: list[str] = Field(default_factory=_default_layers)
    """The guardrail layers every action passes, in order: built-in names or `package.module:Class`
    (docs/guardrails.md). An unknown or unimportable name is a configuration error."""
    _rules_memo: _RuleMemo = PrivateAttr(default_factory=lambda: _RuleMemo(None))
    """The memo of `evaluate_rules` and the rules list it was filled from: see `_rule_decisions`."""

    @field_validator("layers")
    @classmethod
    def _known_layers(cls, layers: list[str]) -> list[str]:
        from guardrails.layers.registry import check_order

        return check_order(layers)

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: list[Rule]) -> list[Rule]:
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} is used twice; every rule needs its own id")
            seen.add(rule.id)
        return rules

    def limits_for(self, actor: Actor) -> Limits:
        for entry in self.limits:
            if _match(actor.name, entry.actors) and _match(actor.team or "", entry.teams):
                return entry
        return Limits(id="built-in")

    def allows_namespace(self, actor: Actor, tool: str, namespace: str, cluster: str | None = None) -> bool:
        """For servers filtering an all-namespaces answer: may this actor see this namespace?"""
        scope = Scope(cluster=cluster, namespace=namespace)
        return self.evaluate_rules(actor, tool, scope).allowed

    def evaluate_rules(self, actor: Actor, tool: str, scope: Scope) -> Decision:
        """Steps 1-3 of the module docstring: which rule decides, and why.

        Remembered per policy version (`_rule_decisions`): the answer depends only on what a rule
        reads (the actor, the tool, and the cluster, namespace, kind and paths touched), so the same
        question under the same rules is answered without matching every rule again."""
        memo = self._rule_decisions()
        key = (actor.name, actor.origin, actor.team, tool, scope.cluster, scope.namespace, scope.kind, scope.paths)
        known = memo.get(key)
        if known is not None:
            return copy_of(known)
        decision = self._match_rules(actor, tool, scope)
        memo.put(key, copy_of(decision))
        return decision

    def _rule_decisions(self) -> BoundedLRU[Decision]:
        """This policy version's memo of rule decisions (4096 questions at most, least recent dropped).

        A policy is a value: loaded, then read, never edited in place. A reloaded policy is another
        object with its own memo; a copy (`model_copy`) or a policy given another rules list starts a
        new one, since the memo is tied to the very rules list it was filled from."""
        memo = self._rules_memo
        if memo.rules is not self.rules:
            memo = self._rules_memo = _RuleMemo(self.rules)
        return memo.decisions

    def _match_rules(self, actor: Actor, tool: str, scope: Scope) -> Decision:
        for rule in self.rules:
            if rule.effect == "deny" and rule.applies_to(actor, tool):
                touched = rule.denies_resource(scope)
                if touched:
                    return Decision(
                        layer="scoping",
                        allowed=False,
                        rule=rule.id,
                        reason=f"rule {rule.id!r} denies {tool} on {touched}"
                        + (f": {rule.description}" if rule.description else ""),
                    )
        near_miss: tuple[str, str] | None = None
        for rule in self.rules:
            if rule.effect != "allow" or not rule.applies_to(actor, tool):
                continue
            mismatch = rule.first_resource_mismatch(scope)
            if mismatch is None:
                return Decision(layer="scoping", allowed=True, rule=rule.id, reason=f"allowed by rule {rule.id!r}")
            near_miss = near_miss or (rule.id, mismatch)
        if near_miss:
            reason = f"no rule allows {tool} on {near_miss[1]} (rule {near_miss[0]!r} covers the tool, not that)"
        else:
            reason = f"no rule allows tool {tool!r} for actor {actor.name!r}; unknown tools are denied"
        return Decision(layer="scoping", allowed=False, rule=DEFAULT_DENY_RULE, reason=reason)

    def check_costs(self, actor: Actor, spec: ToolSpec | None, scope: Scope, cost_class: str | None) -> Decision:
        """Query cost ceilings for PromQL and LogQL tools: the window and limit the caller spelled out,
        then what the query text itself reads (guardrails/query_cost.py)."""
        limits = self.limits_for(actor)
        if cost_class == "promql":
            if scope.window_seconds is not None and scope.window_seconds > parse_duration(limits.promql.max_range):
                return _limit_denial(limits, "promql.max_range", f"range {_dur(scope.window_seconds)}",
                                     limits.promql.max_range)
            if scope.step_seconds is not None and scope.step_seconds < parse_duration(limits.promql.min_step):
                return _limit_denial(limits, "promql.min_step", f"step {_dur(scope.step_seconds)}",
                                     limits.promql.min_step, below=True)
            if scope.query:
                denial = _promql_inside(limits, scope)
                if denial:
                    return denial
        if cost_class == "logql":
            if scope.window_seconds is not None and scope.window_seconds > parse_duration(limits.logql.max_range):
                return _limit_denial(limits, "logql.max_range", f"range {_dur(scope.window_seconds)}",
                                     limits.logql.max_range)
            if scope.limit is not None and scope.limit > limits.logql.max_limit:
                return _limit_denial(limits, "logql.max_limit", f"limit {scope.limit}", str(limits.logql.max_limit))
            if scope.query:
                denial = _logql_inside(limits, scope.query)
                if denial:
                    return denial
        return Decision(layer="scoping", allowed=True, reason="within cost limits", rule=f"limits.{limits.id}")

    def scope_of(self, action: Action) -> Scope:
        return extract_scope(action.arguments, now=action.requested_at)


def _promql_inside(limits: Limits, scope: Scope) -> Decision | None:
    """The in-query rules: look-back within max_range, subquery steps not below min_step, no unbounded selector."""
    try:
        cost = query_cost.promql_cost(scope.query or "", scope.reference_ts or 0.0)
    except query_cost.QueryError as exc:
        return Decision(layer="scoping", allowed=False, rule="query", reason=f"argument 'query': {exc}")
    denial = _promql_limits(limits, cost)
    if denial and cost.parse_error:
        denial.reason += (f" (the query does not parse: {cost.parse_error}; so its cost was bounded from the text: "
                          "every duration summed)")
    return denial


def _promql_limits(limits: Limits, cost: query_cost.QueryCost) -> Decision | None:
    if cost.lookback_seconds > parse_duration(limits.promql.max_range):
        return _limit_denial(limits, "promql.max_range",
                             f"the look-back inside the query ({_dur(cost.lookback_seconds)} at `{cost.lookback_at}`: "
                             "ranges, subquery ranges, offsets and @ together)", limits.promql.max_range,
                             fix="shorten the range selectors, subqueries, offset or @ time")
    step = cost.finest_step_seconds
    if step is not None and step < parse_duration(limits.promql.min_step):
        return _limit_denial(limits, "promql.min_step", f"the subquery step {_dur(step)} at `{cost.finest_step_at}`",
                             limits.promql.min_step, below=True, fix="raise the subquery's resolution ([range:step])")
    if cost.unbounded:
        return Decision(layer="scoping", allowed=False, rule=f"limits.{limits.id}.promql.max_series",
                        reason=query_cost.unbounded_series_reason(cost.unbounded)
                        + f"; limits {limits.id!r} allow at most {limits.promql.max_series} series")
    return None


def _logql_inside(limits: Limits, query: str) -> Decision | None:
    """The in-query rules: range selectors plus offset within max_range, every stream selector selective."""
    try:
        cost = query_cost.logql_cost(query)
    except query_cost.QueryError as exc:
        return Decision(layer="scoping", allowed=False, rule="query", reason=f"argument 'query': {exc}")
    if cost.unbounded:
        return Decision(layer="scoping", allowed=False, rule=f"limits.{limits.id}.logql.selector",
                        reason=query_cost.unbounded_streams_reason(cost.unbounded))
    if cost.lookback_seconds > parse_duration(limits.logql.max_range):
        return _limit_denial(limits, "logql.max_range",
                             f"the look-back inside the query ({_dur(cost.lookback_seconds)} at `{cost.lookback_at}`: "
                             "range selectors and offset together)", limits.logql.max_range,
                             fix="shorten the range selector or the offset")
    return None


def _limit_denial(limits: Limits, name: str, what: str, ceiling: str, below: bool = False,
                  fix: str | None = None) -> Decision:
    word = "below the minimum" if below else "over the maximum"
    fix = fix or ("raise the step" if below else "narrow the window")
    return Decision(
        layer="scoping",
        allowed=False,
        rule=f"limits.{limits.id}.{name}",
        reason=f"{what} is {word} of {ceiling} allowed by limits {limits.id!r}; {fix}",
    )


def _dur(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):
        return "an unbounded time"
    for unit, size in (("y", 31536000), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    if seconds >= 2 * 86400:  # an `@ <timestamp>` distance is rarely a whole number of anything
        unit, size = ("y", 31536000) if seconds >= 31536000 else ("d", 86400)
        return f"about {seconds / size:.1f}{unit}"
    return f"{seconds:g}s"


def _canonical_kind_pattern(pattern: str) -> str:
    """A built-in kind named by any spelling becomes its Kind (plus `.group` if the pattern had one);
    globs and kinds this table does not know (custom resources: write their Kind) stay as written."""
    if any(c in pattern for c in "*?[") or not pattern:
        return pattern
    from mcp_servers.kubernetes.resources import BUILTIN, resolve

    found = resolve(BUILTIN, pattern)
    if found is None:
        return pattern
    return found.canonical if "." in pattern else found.kind


def _match(value: str, patterns: list[str]) -> bool:
    """`any(fnmatchcase(value, p) for p in patterns)`, with the patterns compiled once per list."""
    return _matcher(tuple(patterns))(value)


_GLOB_CHARS = frozenset("*?[")


@lru_cache(maxsize=1024)
def _matcher(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """A glob list as one test: `*` matches every string (fnmatch's `.*` in DOTALL mode), a pattern
    without `*`, `?` or `[` matches only itself, and the rest are fnmatch's own translations. Every
    call judges rules against an actor and a tool name; this spares re-walking each list's patterns."""
    if ALL in patterns:
        return lambda value: True
    literals = frozenset(p for p in patterns if not _GLOB_CHARS & set(p))
    globs = tuple(re.compile(fnmatch.translate(p)).match for p in patterns if p not in literals)
    if not globs:
        return literals.__contains__
    return lambda value: value in literals or any(match(value) is not None for match in globs)


def _match_dim(dimension: str, value: str, patterns: list[str]) -> bool:
    return _match_kind(value, patterns) if dimension == "kind" else _match(value, patterns)


def _match_kind(value: str, patterns: list[str]) -> bool:
    """Kinds arrive canonical (`Secret`, `Deployment.apps`; the Kubernetes server resolves every spelling
    through discovery first). A pattern without a dot names the kind in any group (`Secret`,
    `Deployment`); one with a dot names kind and group (`Deployment.apps`, `*.monitoring.coreos.com`).
    Case does not matter: kinds are CamelCase in manifests, lower-case in kubectl."""
    full = value.lower()
    bare = full.split(".", 1)[0]
    return any(fnmatchcase(full if "." in p else bare, p.lower()) for p in patterns)


def _match_path(path: str, patterns: list[str]) -> bool:
    """Repository paths: `**` crosses directories, `*` does not; leading `./` is ignored."""
    clean = path.removeprefix("./")
    if ".." in clean.split("/") or clean.startswith("/"):
        return False
    return any(_path_glob(clean, p.removeprefix("./")) for p in patterns)


def _path_glob(path: str, pattern: str) -> bool:
    if pattern == ALL or pattern == "**":
        return True
    import re

    regex = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            regex += ".*"
            i += 2
        elif pattern[i] == "*":
            regex += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            regex += "[^/]"
            i += 1
        else:
            regex += re.escape(pattern[i])
            i += 1
    return re.fullmatch(regex, path) is not None


class PolicyError(ValueError):
    """A policy file that cannot be used, with each problem's field path and a fix."""


def load_policy(path: str | Path) -> Policy:
    from pydantic import ValidationError

    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise PolicyError(f"policy file {file} does not exist; create it or pass --policy PATH") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy file {file} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"policy file {file} must hold a mapping with `rules:`, `limits:` and `approval:`")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            problems.append(f"{file}: {where}: {err['msg']}")
        raise PolicyError("\n".join(problems)) from exc
