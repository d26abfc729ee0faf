"""Deterministic builder of Vigil's bundled incident scenarios (see docs/bundles.md).

Everything here is derived from fixed seeds and fixed times, so running the generator twice gives
byte-identical bundles; tests regenerate a scenario and compare it with the committed copy.
"""
