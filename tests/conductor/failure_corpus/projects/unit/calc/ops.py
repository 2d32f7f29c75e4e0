def add(a: int, b: int) -> int:
    return a - b  # BUG:add


def divide(a: int, b: int) -> float:
    return a / b  # BUG:divide
