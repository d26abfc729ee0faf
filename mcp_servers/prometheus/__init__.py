"""Vigil's Prometheus MCP server: PromQL tools that answer with summaries ranked by anomaly."""
