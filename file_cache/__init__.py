"""Memory views of source files: tree-sitter skeletons, curated views, outlines, raw text.

Names are loaded on first use (PEP 562), so a command that only catches `ViewError` does not load tree-sitter.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from file_cache.cache import VIEW_KINDS, FileCache, View, directory_map
    from file_cache.errors import PathOutsideRootError, SymbolNotFoundError, ViewError
    from file_cache.parser import ASTParser, ParsedSource, Symbol, is_valid_python, number_lines
    from file_cache.paths import resolve_inside
    from file_cache.tokens import estimate_tokens

_HOMES = {"VIEW_KINDS": "cache", "FileCache": "cache", "View": "cache", "directory_map": "cache",
          "resolve_inside": "paths", "PathOutsideRootError": "errors", "SymbolNotFoundError": "errors",
          "ViewError": "errors", "ASTParser": "parser", "ParsedSource": "parser", "Symbol": "parser",
          "is_valid_python": "parser", "number_lines": "parser", "estimate_tokens": "tokens"}

__all__ = [
    "VIEW_KINDS",
    "ASTParser",
    "FileCache",
    "ParsedSource",
    "PathOutsideRootError",
    "Symbol",
    "SymbolNotFoundError",
    "View",
    "ViewError",
    "directory_map",
    "estimate_tokens",
    "is_valid_python",
    "number_lines",
    "resolve_inside",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'file_cache' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"file_cache.{home}"), name)
    globals()[name] = value
    return value
