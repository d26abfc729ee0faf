"""How much the scan's Ingress-route findings (mcp_servers/kubernetes/scan/checks/routes.py) weigh as causes.

`ingress.route_overlap` is on the Ingress (or HTTPRoute) that wins a host/path another one of the same
controller claims; `ingress.controller_churn` is on the workload whose writes keep an ingress controller
reloading until it restarts. Both declare what they explain (`details.explains`: the displaced Ingress and the
backends, or the controller and the objects written), so the victims that show the damage (a staging pod
OOMKilled under production traffic, the controller OOMKilled, an Ingress whose backend is missing) rank below
them. Their weights sit above `pod.oomkilled` (0.9) for that reason: the victim's own finding is true, but the
route or the writer is why it happened.
"""

from __future__ import annotations

WEIGHTS: dict[str, float] = {"ingress.route_overlap": 0.93, "ingress.controller_churn": 0.93}
"""Cause weights of the two checks."""
