"""Memory views of source files: tree-sitter skeletons, curated views, outlines, raw text."""

from file_cache.cache import VIEW_KINDS, FileCache, PathOutsideRootError, View, ViewError, directory_map, resolve_inside
from file_cache.parser import ASTParser, ParsedSource, Symbol, SymbolNotFoundError, is_valid_python, number_view
from file_cache.tokens import estimate_tokens

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
    "number_view",
    "resolve_inside",
]
