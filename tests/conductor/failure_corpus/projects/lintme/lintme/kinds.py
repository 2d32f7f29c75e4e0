def length(name: str | None) -> int:
    return len(name)  # BUG:pyright-arg


def greet(name: str) -> str:
    return name + 1  # BUG:pyright-op
