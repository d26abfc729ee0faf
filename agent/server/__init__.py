"""`vigil serve`: webhooks (Alertmanager, PagerDuty), the Slack app, health and metrics, over a durable queue."""
