"""Tokens and estimated cost of every model call, per ticket, per tier and per track."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_serializer

from conductor.config import Price
from conductor.messages import AssistantTurn, Usage


def _price(input_usd: float, output_usd: float, cache_read: float | None = None,
           cache_write: float | None = None) -> Price:
    return Price(input_per_mtok=input_usd, output_per_mtok=output_usd, cache_read_per_mtok=cache_read,
                 cache_write_per_mtok=cache_write)


# USD per million tokens, public list prices; project.toml [prices] overrides or adds.
DEFAULT_PRICES: dict[str, Price] = {
    "claude-opus-4-1": _price(15, 75, 1.5, 18.75),
    "claude-opus-4": _price(15, 75, 1.5, 18.75),
    "claude-sonnet-4-5": _price(3, 15, 0.3, 3.75),
    "claude-sonnet-4": _price(3, 15, 0.3, 3.75),
    "claude-haiku-4-5": _price(1, 5, 0.1, 1.25),
    "claude-3-5-haiku": _price(0.8, 4, 0.08, 1),
    "gemini-2.5-pro": _price(1.25, 10, 0.31),
    "gemini-2.5-flash": _price(0.3, 2.5, 0.075),
    "gemini-2.5-flash-lite": _price(0.1, 0.4, 0.025),
    "gemini-2.0-flash": _price(0.1, 0.4, 0.025),
    "gpt-5": _price(1.25, 10, 0.125),
    "gpt-5-mini": _price(0.25, 2, 0.025),
    "gpt-5-nano": _price(0.05, 0.4, 0.005),
    "gpt-4.1": _price(2, 8, 0.5),
    "gpt-4.1-mini": _price(0.4, 1.6, 0.1),
    "gpt-4.1-nano": _price(0.1, 0.4, 0.025),
    "gpt-4o": _price(2.5, 10, 1.25),
    "gpt-4o-mini": _price(0.15, 0.6, 0.075),
    "o4-mini": _price(1.1, 4.4, 0.275),
    "o3": _price(2, 8, 0.5),
    "scripted": _price(0, 0),
}


def find_price(model: str, prices: dict[str, Price]) -> Price | None:
    """Exact name, else the longest known prefix (`claude-sonnet-4-5-20250929` -> `claude-sonnet-4-5`)."""
    if model in prices:
        return prices[model]
    matches = [name for name in prices if model.startswith((f"{name}-", f"{name}@"))]
    return prices[max(matches, key=len)] if matches else None


def cost_of(usage: Usage, price: Price | None) -> float | None:
    """Estimated USD; None when the model has no price (shown as unknown, never as 0)."""
    if price is None:
        return None
    cache_read = price.cache_read_per_mtok if price.cache_read_per_mtok is not None else price.input_per_mtok
    cache_write = price.cache_write_per_mtok if price.cache_write_per_mtok is not None else price.input_per_mtok
    return (usage.input_tokens * price.input_per_mtok + usage.output_tokens * price.output_per_mtok
            + usage.cache_read_tokens * cache_read + usage.cache_write_tokens * cache_write) / 1_000_000


class UsageTotals(BaseModel):
    """Usage summed over calls, for one ticket, tier or track: as the ledger records it and front-ends show it.
    Immutable: adding a call makes a new value, safe to hand to another thread."""

    model_config = ConfigDict(frozen=True)

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    """Estimated USD of the priced calls."""
    unpriced_calls: int = 0
    """Calls whose model has no price: the cost is then a lower bound."""

    def plus(self, usage: Usage, cost: float | None) -> UsageTotals:
        """These totals with one more call (``cost`` None: the model has no price)."""
        return UsageTotals(calls=self.calls + 1, input_tokens=self.input_tokens + usage.input_tokens,
                           output_tokens=self.output_tokens + usage.output_tokens,
                           cache_read_tokens=self.cache_read_tokens + usage.cache_read_tokens,
                           cache_write_tokens=self.cache_write_tokens + usage.cache_write_tokens,
                           cost_usd=self.cost_usd + (cost or 0.0), unpriced_calls=self.unpriced_calls + (cost is None))

    def __add__(self, other: UsageTotals) -> UsageTotals:
        return UsageTotals(**{name: getattr(self, name) + getattr(other, name) for name in UsageTotals.model_fields})

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_tokens + self.cache_write_tokens

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cost_text(self) -> str:
        """`$0.1234`, `$0.1234 + unknown` or `unknown` (never 0 for a model without a price)."""
        if self.calls and self.unpriced_calls == self.calls:
            return "unknown"
        suffix = " + unknown" if self.unpriced_calls else ""
        return f"${self.cost_usd:.4f}{suffix}"

    @field_serializer("cost_usd")
    def _rounded(self, value: float) -> float:
        return round(value, 6)


class UsageReport(BaseModel):
    """Totals for the track, per tier and per ticket: an immutable copy, safe to hand to another thread."""

    model_config = ConfigDict(frozen=True)

    track: UsageTotals = Field(default_factory=UsageTotals)
    tiers: dict[str, UsageTotals] = Field(default_factory=dict)
    tickets: dict[str, UsageTotals] = Field(default_factory=dict)

    def __add__(self, other: UsageReport) -> UsageReport:
        """Two reports summed (what the ledger held before a run, plus the run so far)."""
        def merged(a: dict[str, UsageTotals], b: dict[str, UsageTotals]) -> dict[str, UsageTotals]:
            return {key: a.get(key, UsageTotals()) + b.get(key, UsageTotals()) for key in a.keys() | b.keys()}

        return UsageReport(track=self.track + other.track, tiers=merged(self.tiers, other.tiers),
                           tickets=merged(self.tickets, other.tickets))


@dataclass
class Accountant:
    """Adds up every call; thread-safe; each call is also written to the ledger by the caller's hook."""

    prices: dict[str, Price] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    track: UsageTotals = field(default_factory=UsageTotals)
    tiers: dict[str, UsageTotals] = field(default_factory=dict)
    tickets: dict[str, UsageTotals] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, tier: str, ticket_id: str | None, turn: AssistantTurn) -> float | None:
        """Count one model answer; a local model's costs nothing, a model without a price is unknown."""
        cost = 0.0 if turn.local else cost_of(turn.usage, find_price(turn.model, self.prices))
        self.add(tier, ticket_id, turn.usage, cost)
        return cost

    def add(self, tier: str, ticket_id: str | None, usage: Usage, cost: float | None) -> None:
        """Count a call whose cost is known already (a ledger line)."""
        with self._lock:
            self.track = self.track.plus(usage, cost)
            self.tiers[tier] = self.tiers.get(tier, UsageTotals()).plus(usage, cost)
            if ticket_id is not None:
                self.tickets[ticket_id] = self.tickets.get(ticket_id, UsageTotals()).plus(usage, cost)

    def snapshot(self) -> UsageReport:
        """An immutable copy for front-ends (no shared mutable state across threads)."""
        with self._lock:
            return UsageReport(track=self.track, tiers=dict(self.tiers), tickets=dict(self.tickets))


def with_overrides(overrides: dict[str, Price]) -> dict[str, Price]:
    return {**DEFAULT_PRICES, **overrides}
