import pytest

from conductor.accounting import Accountant, cost_of, find_price, with_overrides
from conductor.config import Price
from conductor.messages import AssistantTurn, Usage


def test_prices_match_by_longest_prefix_and_unknown_models_have_no_price():
    prices = with_overrides({"my-model": Price(input_per_mtok=1, output_per_mtok=2)})
    assert find_price("claude-sonnet-4-5-20250929", prices) == prices["claude-sonnet-4-5"]
    assert find_price("gemini-2.5-flash-lite-001", prices) == prices["gemini-2.5-flash-lite"]
    assert find_price("my-model", prices) == Price(input_per_mtok=1, output_per_mtok=2)
    assert find_price("mystery-9", prices) is None


def test_cost_counts_cache_tokens_at_their_own_price():
    price = Price(input_per_mtok=3, output_per_mtok=15, cache_read_per_mtok=0.3, cache_write_per_mtok=3.75)
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=1_000_000,
                  cache_write_tokens=1_000_000)
    assert cost_of(usage, price) == pytest.approx(3 + 1.5 + 0.3 + 3.75)
    assert cost_of(usage, None) is None


def test_accountant_sums_per_ticket_tier_and_track():
    accountant = Accountant(prices=with_overrides({"m": Price(input_per_mtok=1, output_per_mtok=1)}))
    accountant.record("tier3", "T1", AssistantTurn(model="m", usage=Usage(input_tokens=500_000,
                                                                          output_tokens=500_000)))
    accountant.record("tier4", "T1", AssistantTurn(model="m", usage=Usage(input_tokens=1000)))
    accountant.record("tier3", "T2", AssistantTurn(model="mystery", usage=Usage(input_tokens=10)))
    snapshot = accountant.snapshot()
    assert snapshot.tickets["T1"].calls == 2
    assert snapshot.tickets["T1"].cost_usd == pytest.approx(1.001)
    assert accountant.tiers["tier3"].tokens == 1_000_010
    assert snapshot.tiers["tier3"].cost_text == "$1.0000 + unknown"
    assert snapshot.tickets["T2"].cost_text == "unknown"
    assert snapshot.track.calls == 3


def test_a_local_model_costs_nothing_and_is_not_unknown():
    accountant = Accountant()
    assert accountant.record("tier4", "T1", AssistantTurn(model="qwen2.5-coder:7b", local=True,
                                                          usage=Usage(input_tokens=10_000))) == 0.0
    assert accountant.snapshot().track.cost_text == "$0.0000"
    assert find_price("gpt-5-mini-2025-08-07", with_overrides({})) == with_overrides({})["gpt-5-mini"]
