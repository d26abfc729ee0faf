"""Budgets and the price table."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.llm import Budget, BudgetTracker, ModelResponse, Price, PriceTable, Usage


def response(model: str, provider: str, tokens_in: int, tokens_out: int) -> ModelResponse:
    return ModelResponse(model=model, provider=provider, usage=Usage(input_tokens=tokens_in, output_tokens=tokens_out))


class FakeClock:
    """A clock the test moves by hand, so wall-time budgets are tested without sleeping."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_shipped_table_prices_current_models_and_their_snapshots() -> None:
    table = PriceTable.load()

    def rates(model: str) -> tuple[float, float] | None:
        price = table.lookup(model)
        return (price.input, price.output) if price else None

    assert rates("claude-sonnet-5-5") == (2.0, 10.0)
    assert rates("claude-haiku-4-5-20251001") == (1.0, 5.0)
    assert rates("gpt-4.1-mini-2025-04-14") == (0.4, 1.6)  # the longest matching id wins
    assert rates("gpt-4.1-2025-04-14") == (2.0, 8.0)
    # A newer version is not a snapshot of an older one: it stays unpriced rather than mispriced.
    assert table.lookup("claude-fable-5-2") is None
    assert "gpt-6.1-sol" in table


def test_cached_input_is_priced_at_cache_rates() -> None:
    price = Price(input=4.0, output=20.0, cache_read=0.2, cache_write=5.0)
    usage = Usage(input_tokens=1_000_000, output_tokens=0, cache_read_tokens=600_000, cache_write_tokens=100_000)
    # 300k fresh at $4, 600k read at $0.20, 100k written at $5
    assert price.cost(usage) == pytest.approx(1.2 + 0.12 + 0.5)
    # With no cache rates known, cached input costs the input price: never an undercount.
    assert Price(input=4.0, output=20.0).cost(usage) == pytest.approx(4.0)


def test_overrides_and_custom_files(tmp_path: Path) -> None:
    custom = tmp_path / "prices.yaml"
    custom.write_text("models:\n  mine:\n    house-model: {input: 1, output: 2}\n", encoding="utf-8")
    table = PriceTable.load(custom, overrides={"claude-fable-5-2": Price(input=10, output=50)})
    assert table.lookup("house-model") == Price(input=1, output=2)
    assert table.lookup("claude-fable-5-2") == Price(input=10, output=50)
    assert table.lookup("claude-sonnet-5-5") is None  # a custom file replaces the shipped one


def test_cost_accounting_local_and_unknown_models() -> None:
    tracker = BudgetTracker(Budget(max_usd=None))
    assert tracker.record(response("claude-opus-5-5", "anthropic", 1_000_000, 100_000)) == pytest.approx(6.0)
    assert tracker.record(response("llama3.1:8b", "openai-compatible", 5000, 500)) == 0.0
    assert tracker.unpriced_models == set()  # local models cost 0 by design, not for lack of a price
    assert tracker.record(response("gpt-9-ultra", "openai", 1000, 1000)) == 0.0
    assert tracker.unpriced_models == {"gpt-9-ultra"}
    status = tracker.status()
    assert (status.steps, status.input_tokens, status.output_tokens) == (3, 1_006_000, 101_500)
    assert status.usd == pytest.approx(6.0)
    assert status.unpriced_models == ["gpt-9-ultra"]


@pytest.mark.parametrize(
    ("budget", "calls", "advance_s", "spent"),
    [
        (Budget(max_steps=2, max_tokens=None, max_seconds=None, max_usd=None), 2, 0, "steps"),
        (Budget(max_steps=None, max_tokens=2500, max_seconds=None, max_usd=None), 3, 0, "tokens"),
        (Budget(max_steps=None, max_tokens=None, max_seconds=30, max_usd=None), 1, 31, "seconds"),
        (Budget(max_steps=None, max_tokens=None, max_seconds=None, max_usd=0.004), 2, 0, "usd"),
        (Budget(max_steps=10, max_tokens=10_000, max_seconds=30, max_usd=1.0), 2, 5, None),
    ],
)
def test_tracker_says_which_budget_is_spent(budget: Budget, calls: int, advance_s: float, spent: str | None) -> None:
    clock = FakeClock()
    tracker = BudgetTracker(budget, clock=clock)
    assert tracker.spent() is None
    for _ in range(calls):
        # 1000 in + 0 out at $2/M = $0.002 a call
        tracker.record(response("claude-sonnet-5-5", "anthropic", 1000, 0))
    clock.now += advance_s
    assert tracker.spent() == spent
    assert tracker.status().spent == spent


def test_output_allowance_stays_inside_the_token_budget() -> None:
    tracker = BudgetTracker(Budget(max_tokens=5000))
    assert tracker.output_allowance(4096) == 4096
    tracker.record(response("claude-sonnet-5-5", "anthropic", 3000, 500))
    assert tracker.output_allowance(4096) == 1500
    assert BudgetTracker(Budget(max_tokens=None)).output_allowance(4096) == 4096
