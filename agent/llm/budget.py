"""Budgets on an investigation: model steps, tokens, wall time and money.

The loop asks the tracker after every model response whether a budget is spent, and which one,
so that it can stop with the best report so far and say why. Money comes from a price table
shipped as data (prices.yaml) that the config can override.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, model_validator

from agent.llm.base import ModelResponse, Usage

LOCAL_PROVIDERS = frozenset({"openai-compatible", "scripted"})
"""Providers that run on the user's own hardware (or in tests) and therefore cost nothing."""

_SNAPSHOT = re.compile(r"^(-\d{8}|-\d{4}-\d{2}-\d{2}|-latest|[@:].+)$")

BudgetName = Literal["steps", "tokens", "seconds", "usd"]


class Price(BaseModel):
    """US dollars per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float | None = Field(default=None, ge=0)
    """Input served from the prompt cache; unset means the input price (never an undercount)."""
    cache_write: float | None = Field(default=None, ge=0)
    """Input written to the prompt cache; unset means the input price."""

    def cost(self, usage: Usage) -> float:
        """USD for one call's usage, pricing cached input at its own rates."""
        cached = usage.cache_read_tokens + usage.cache_write_tokens
        fresh = max(0, usage.input_tokens - cached)
        read = self.input if self.cache_read is None else self.cache_read
        write = self.input if self.cache_write is None else self.cache_write
        total = fresh * self.input + usage.cache_read_tokens * read + usage.cache_write_tokens * write
        return (total + usage.output_tokens * self.output) / 1_000_000


class PriceTable:
    """Prices by model name; a dated snapshot is priced by the longest name it starts with."""

    def __init__(self, prices: Mapping[str, Price]) -> None:
        self._prices = dict(prices)

    @classmethod
    def load(cls, path: str | Path | None = None, overrides: Mapping[str, Price] | None = None) -> PriceTable:
        """The shipped table (or the file at `path`), with `overrides` from the config on top."""
        if path is None:
            text = resources.files("agent.llm").joinpath("prices.yaml").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data: Any = yaml.safe_load(text) or {}
        prices: dict[str, Price] = {}
        for group in (data.get("models") or {}).values():
            for name, entry in (group or {}).items():
                prices[str(name)] = Price.model_validate(entry)
        prices.update(overrides or {})
        return cls(prices)

    def lookup(self, model: str) -> Price | None:
        """The price for `model`: its own entry, or that of the id it is a dated/tagged snapshot of.

        Only snapshot suffixes count (-20251001, -2025-04-14, -latest, @tag, :tag), so a newer
        version such as claude-fable-5-2 is not silently priced as claude-fable-5.
        """
        if model in self._prices:
            return self._prices[model]
        best: str | None = None
        for key in self._prices:
            if model.startswith(key) and _SNAPSHOT.match(model[len(key) :]) and (best is None or len(key) > len(best)):
                best = key
        return self._prices[best] if best else None

    def cost(self, response: ModelResponse) -> float | None:
        """USD for one response: 0 for local providers, None when the model has no price."""
        if response.provider in LOCAL_PROVIDERS:
            return 0.0
        price = self.lookup(response.model)
        if price is None:
            return None
        return price.cost(response.usage)

    def items(self) -> list[tuple[str, Price]]:
        return list(self._prices.items())

    def __contains__(self, model: str) -> bool:
        return self.lookup(model) is not None


class Budget(BaseModel):
    """Ceilings for one investigation; None means no ceiling of that kind."""

    max_steps: int | None = Field(default=20, ge=1)
    """Model calls."""
    max_tokens: int | None = Field(default=200_000, ge=1)
    """Input plus output tokens over all model calls."""
    max_seconds: float | None = Field(default=300.0, gt=0)
    """Wall time since the investigation started."""
    max_usd: float | None = Field(default=1.0, ge=0)
    """Money, by the price table; unpriced models count as 0."""


class BudgetStatus(BaseModel):
    """A snapshot of what has been spent, for reports and progress lines."""

    steps: int
    input_tokens: int
    output_tokens: int
    seconds: float
    usd: float
    spent: BudgetName | None = None
    """Which budget is exhausted, if any."""
    unpriced_models: list[str] = Field(default_factory=list)
    """Models with no price entry: their cost was counted as 0, so `usd` may be too low."""

    @model_validator(mode="after")
    def _round(self) -> BudgetStatus:
        self.seconds = round(self.seconds, 3)
        self.usd = round(self.usd, 6)
        return self


class BudgetTracker:
    """Records each model response's usage and cost, and says when (and which) budget is spent."""

    def __init__(
        self,
        budget: Budget,
        prices: PriceTable | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.budget = budget
        self.prices = prices if prices is not None else PriceTable.load()
        self._clock = clock
        self._started = clock()
        self.steps = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.usd = 0.0
        self.unpriced_models: set[str] = set()

    def cost_of(self, response: ModelResponse) -> float:
        """USD for one response; 0 for local providers and (flagged) unknown models."""
        cost = self.prices.cost(response)
        if cost is None:
            self.unpriced_models.add(response.model)
            return 0.0
        return cost

    def record(self, response: ModelResponse) -> float:
        """Count one model call; returns its cost in USD."""
        cost = self.cost_of(response)
        self.steps += 1
        self.input_tokens += response.usage.input_tokens
        self.output_tokens += response.usage.output_tokens
        self.usd += cost
        return cost

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def seconds(self) -> float:
        return self._clock() - self._started

    def spent(self) -> BudgetName | None:
        """The first exhausted budget (steps, tokens, seconds, usd), or None while all have room."""
        b = self.budget
        if b.max_steps is not None and self.steps >= b.max_steps:
            return "steps"
        if b.max_tokens is not None and self.tokens >= b.max_tokens:
            return "tokens"
        if b.max_seconds is not None and self.seconds >= b.max_seconds:
            return "seconds"
        if b.max_usd is not None and self.usd >= b.max_usd:
            return "usd"
        return None

    def output_allowance(self, wanted: int) -> int:
        """How many output tokens the next call may ask for without overrunning the token budget."""
        if self.budget.max_tokens is None:
            return wanted
        return max(1, min(wanted, self.budget.max_tokens - self.tokens))

    def status(self) -> BudgetStatus:
        return BudgetStatus(
            steps=self.steps,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            seconds=self.seconds,
            usd=self.usd,
            spent=self.spent(),
            unpriced_models=sorted(self.unpriced_models),
        )
