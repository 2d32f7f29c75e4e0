def level_three(items: list[int]) -> int:
    return items[10]  # BUG:index


def level_two(items: list[int]) -> int:
    return level_three(items) + 1


def level_one() -> int:
    return level_two([1, 2, 3])
