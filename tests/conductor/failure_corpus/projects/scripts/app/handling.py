def parse(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return fallback[value]  # BUG:during


fallback: dict[str, int] = {}
