"""The Loki server's view of a LogQL stream selector; the reading itself lives in guardrails.query_cost.

Loki's cost is decided by how many streams a selector matches and how far back its range selectors
and offsets reach. The guardrail's cost check (`Policy.check_costs`) judges both before a call runs,
with the LogQL reader in `guardrails/query_cost.py`; this module gives the server and its tests the
same reader under the names they use, so there is one LogQL reader and one judge.
"""

from __future__ import annotations

from guardrails.query_cost import Matcher, QueryError, logql_cost, logql_selectors, unbounded_streams_reason

SelectorError = QueryError
"""The query has no readable stream selector; the message says what to write."""

__all__ = ["Matcher", "SelectorError", "stream_selector", "unselective_reason"]


def stream_selector(query: str) -> list[Matcher]:
    """The matchers of the first stream selector in `query`."""
    return logql_selectors(query)[0]


def unselective_reason(query: str) -> str | None:
    """Why a selector of the query would scan every stream, or None when each is selective enough."""
    cost = logql_cost(query)
    return unbounded_streams_reason(cost.unbounded) if cost.unbounded else None
