"""Small text helpers shared by the engine and the front-ends."""

from __future__ import annotations


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters with a visible marker saying how much was cut."""
    if len(text) <= limit:
        return text
    marker = f"…[+{len(text) - limit} chars]"
    keep = max(limit - len(marker), 0)
    cut = text.rfind(" ", 0, keep)
    keep = cut if cut > keep * 0.7 else keep  # prefer a word boundary when one is near
    return text[:keep] + f"…[+{len(text) - keep} chars]"
