def total(prices: list[float], tax: float) -> float:
    return sum(prices) * tax  # BUG:django-tax


def label(price: float) -> str:
    return f"{price:.2f} EUR".upper().lower()
