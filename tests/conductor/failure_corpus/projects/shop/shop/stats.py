def mean(values: list[float]) -> float:
    return sum(values) / len(values)  # BUG:zerodiv


def report(values: list[float]) -> str:
    return f"mean {mean(values):.2f}"
