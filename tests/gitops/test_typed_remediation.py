"""The remediation as a discriminated union: one model per action, each with exactly its fields.

`Remediation` stays the public name every caller validates through (CLI, MCP tool, runbook rules, the
model's answer, propose()), so these pin down that it picks the right model, refuses another action's
field, still accepts the flat shape with unused fields left empty, and reads as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import TypeAdapter

from agent.gitops.plain_git import PlainGitProvider
from agent.gitops.propose import GitOpsRepo, propose
from agent.gitops.remediation import (
    ACTIONS,
    Remediation,
    RemediationAction,
    RollbackImage,
    SetEnv,
    SetHpaBounds,
    SetImage,
    SetMemoryLimit,
    SetProbe,
)
from agent.incident import Incident
from guardrails.action import Actor
from guardrails.pipeline import Pipeline
from tests.gitops.conftest import MEMORY_FIX

CHECKOUT = {"name": "checkout", "namespace": "shop"}


def test_every_action_has_its_own_model() -> None:
    models = get_args(get_args(RemediationAction)[0])
    tags = [m.model_fields["action"].annotation.__args__[0] for m in models]
    assert sorted(tags) == sorted(ACTIONS) and len(set(models)) == len(ACTIONS)
    own = {m.__name__: set(m.model_fields) - {"action", "workload", "reason"} for m in models}
    assert own["SetMemoryLimit"] == {"value"} and own["SetImage"] == {"image"}
    assert own["RollbackImage"] == {"image", "from_revision"} and own["SetEnv"] == {"name", "value"}
    assert own["SetConfigmapValue"] == {"configmap", "key", "value"} and own["SetProbe"] == {"probe", "settings"}
    assert own["SetHpaBounds"] == {"min_replicas", "max_replicas"} and own["SetResources"] == {"limits", "requests"}


@pytest.mark.parametrize(("data", "model"), [
    ({"action": "set_memory_limit", "value": "768Mi"}, SetMemoryLimit),
    ({"action": "rollback_image", "image": "shop/checkout:1.8.2", "from_revision": 3}, RollbackImage),
    ({"action": "set_env", "name": "CART_CACHE_SIZE", "value": "64"}, SetEnv),
    ({"action": "set_hpa_bounds", "max_replicas": 12}, SetHpaBounds),
    ({"action": "set_probe", "probe": "readiness", "settings": {"timeoutSeconds": 5}}, SetProbe),
])
def test_validate_picks_the_actions_model_and_reads_through(data: dict[str, Any], model: type) -> None:
    fix = Remediation.model_validate({**data, "workload": CHECKOUT})
    assert type(fix.root) is model
    assert fix.action == data["action"] and fix.workload.name == "checkout"
    assert fix.summary().startswith("shop/checkout: ")
    assert Remediation.model_validate(fix.model_dump()) == fix, "its dump validates back to the same fix"
    assert fix["action"] == data["action"] and fix.get("workload")["namespace"] == "shop"


def test_another_actions_field_is_refused_but_an_empty_one_is_left_out() -> None:
    with pytest.raises(ValueError, match=r"set_memory_limit\.image"):
        Remediation.model_validate({"action": "set_memory_limit", "value": "1Gi", "image": "x:1",
                                    "workload": CHECKOUT})
    flat = {"action": "set_image", "image": "shop/catalog:2.4.0", "workload": CHECKOUT, "value": None,
            "limits": {}, "requests": {}, "min_replicas": None, "name": None, "settings": {}}
    fix = Remediation.model_validate(flat)
    assert isinstance(fix.root, SetImage) and fix.as_data() == {
        "action": "set_image", "image": "shop/catalog:2.4.0", "reason": "",
        "workload": {"kind": "Deployment", **CHECKOUT}}
    with pytest.raises(AttributeError, match="set_image has no field `value`"):
        _ = fix.value


def test_the_json_schema_is_a_tagged_union_a_model_can_follow() -> None:
    schema = TypeAdapter(Remediation).json_schema()
    root = schema["$defs"]["Remediation"] if "$ref" in schema else schema
    assert root["discriminator"]["propertyName"] == "action"
    assert sorted(root["discriminator"]["mapping"]) == sorted(ACTIONS)
    env = schema["$defs"]["SetEnv"]
    assert env["additionalProperties"] is False and set(env["required"]) == {"workload", "action", "name", "value"}


@pytest.mark.anyio
async def test_propose_takes_the_typed_fix_as_it_takes_the_dict(tmp_path: Path, remote: Path, approved: Pipeline,
                                                               incident: Incident, actor: Actor) -> None:
    """Real git (the bare remote of conftest): a report's typed remediation and its dict are the same change."""
    provider = PlainGitProvider(str(remote))
    repo = GitOpsRepo(tmp_path / "work")
    typed = Remediation.model_validate(MEMORY_FIX)
    first = await propose(typed, incident, [], repo, provider, approved, actor)
    assert first.status == "opened", first.reason
    again = await propose(MEMORY_FIX, incident, [], repo, provider, approved, actor)
    assert again.status == "unchanged" and again.commit == first.commit
    bare = await propose(typed.root, incident, [], repo, provider, approved, actor)  # type: ignore[arg-type]
    assert bare.status == "unchanged", "the action's own model is accepted too"
