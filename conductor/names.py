"""Names the command line needs before anything heavy is imported (argparse choices): importable without pydantic."""

from __future__ import annotations

from typing import Literal, get_args

ProviderName = Literal["anthropic", "gemini", "openai", "scripted"]
PROVIDER_NAMES: tuple[str, ...] = get_args(ProviderName)
"""The one list of provider names; `conductor.providers` maps each to its module."""
