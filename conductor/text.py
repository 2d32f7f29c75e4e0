"""Small text helpers shared by the engine and the front-ends."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters with a visible marker saying how much was cut."""
    if len(text) <= limit:
        return text
    marker = f"…[+{len(text) - limit} chars]"
    keep = max(limit - len(marker), 0)
    cut = text.rfind(" ", 0, keep)
    keep = cut if cut > keep * 0.7 else keep  # prefer a word boundary when one is near
    return text[:keep] + f"…[+{len(text) - keep} chars]"


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (ESC sequences that move the cursor, recolour or retitle
    the terminal, a bell, a bare carriage return that would overwrite the line) shown as `\\x1b` escapes;
    newlines and tabs kept, CRLF line ends read as newlines."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text.replace("\r\n", "\n"))


def validation_problems(error: ValidationError, limit: int = 5, label: str = "arguments") -> str:
    """A pydantic error as one line a model or a person reads: `field.path: message; ...` (``label`` names the
    whole value when the error is not about one field)."""
    return "; ".join(f"{'.'.join(map(str, p['loc'])) or label}: {p['msg']}"[:300] for p in error.errors()[:limit])
