from shop.inventory import price_of


class Cart:
    def __init__(self) -> None:
        self.items: dict[str, int] = {}

    def add(self, sku: str, count: int = 1) -> None:
        self.items[sku] = self.items.get(sku, 0) + count

    def total(self) -> float:
        return sum(price_of(sku) * count for sku, count in self.items.items())

    def discounted(self, percent: float) -> float:
        rate = percent / 100  # BUG:discount (should be 1 - percent / 100)
        return self.total() * rate
