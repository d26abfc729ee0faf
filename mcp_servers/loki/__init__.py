"""Vigil's Loki MCP server: LogQL tools that answer with mined templates, new ones first."""
