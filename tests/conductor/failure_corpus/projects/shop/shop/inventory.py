PRICES = {"apple": 2.0, "pear": 3.0}


def price_of(sku: str) -> float:
    return PRICES[sku]  # BUG:keyerror
