"""The fixed prompt size estimate (system prompt plus tool specs)."""

from __future__ import annotations

from agent.llm import ToolDef, prompt_size
from mcp_servers.common.compact import estimate_tokens


def test_prompt_size_counts_system_and_every_tool_spec() -> None:
    system = "You are Vigil, an SRE assistant. " * 20
    tool = ToolDef(
        name="k8s_logs",
        description="Recent log lines of one pod's container.",
        input_schema={"type": "object", "properties": {"pod": {"type": "string"}}, "required": ["pod"]},
    )
    alone = prompt_size(system, [])
    assert alone == estimate_tokens(system)
    one = prompt_size(system, [tool])
    two = prompt_size(system, [tool, tool.model_copy(update={"name": "k8s_logs_2"})])
    assert alone < one < two
    # A schema-heavy tool costs more than a bare one.
    bigger = tool.model_copy(update={"description": tool.description * 10})
    assert prompt_size(system, [bigger]) > one
