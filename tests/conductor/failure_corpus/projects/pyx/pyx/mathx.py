def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high + 1))


def parse_ratio(text: str) -> float:
    top, bottom = text.split("/")
    return float(top) / float(bottom) if float(bottom) else float("inf")


def defaults() -> dict[str, object]:
    return {"debug": False, "level": 2}
