"""Human-readable summaries of a series of numbers."""

from calc.stats import mean


def headline(values: list[float]) -> str:
    """One line with the count and the mean."""
    return f"{len(values)} values, mean {mean(values):.2f}"
