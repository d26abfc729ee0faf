"""Policies that tests state explicitly, rather than leaning on the shipped default."""

from pathlib import Path

DENY_KUBE_SYSTEM = Path(__file__).with_name("deny_kube_system.yaml")
"""The default policy plus a rule denying every Kubernetes read in kube-system (rule deny-kube-system)."""
