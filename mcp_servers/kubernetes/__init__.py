"""Vigil's Kubernetes MCP server (read-only) and the replay API server for incident bundles."""
