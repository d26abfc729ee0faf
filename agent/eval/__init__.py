"""`vigil eval`: does Vigil (a runbook, a model) get *these* incidents right, at what cost?

Offline and deterministic: each bundle is served locally the way `vigil investigate --bundle`
serves it, investigated without ever seeing its answer key, then scored against that key
(`score.py`). docs/eval.md describes the commands, the answer-key format and the scoring.
"""
