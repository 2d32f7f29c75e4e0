import os
from typing import Optional


def name_length(name: Optional[str]) -> int:
    return len(name)  # BUG:mypy-arg


def greeting(name: str) -> str:
    return 42  # BUG:mypy-return


def undefined() -> int:
    return missing_value  # BUG:ruff-undefined
