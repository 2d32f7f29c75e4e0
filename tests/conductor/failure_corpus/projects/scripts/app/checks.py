def positive(values: list[int]) -> list[int]:
    return [v for v in values if check(v)]


def check(value: int) -> bool:
    assert value >= 0, f"negative value {value}"  # BUG:assert-script
    return value > 0
