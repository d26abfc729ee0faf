"""Typed tool answers: one pydantic model, a text rendered from it, both sent together.

A tool declared as returning ``Annotated[CallToolResult, SomeModel]`` publishes ``SomeModel``'s JSON
schema as its MCP output schema; `typed_result` then builds the result from one instance of that
model, so the structured content a program reads and the text a model or a person reads can never
disagree: the text is rendered from the very object that is sent.
"""

from __future__ import annotations

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel


def typed_result(model: BaseModel, text: str) -> CallToolResult:
    """The answer of a tool with an output schema: `text` for readers, `model` as structured content."""
    return CallToolResult(content=[TextContent(type="text", text=text)],
                          structured_content=model.model_dump(mode="json"))
