"""The `investigate` MCP server: one tool that runs a whole Vigil investigation and returns its report."""
