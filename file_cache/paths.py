"""Paths confined to a root, importable without the parser (the track store uses it)."""

from __future__ import annotations

import os
from pathlib import Path

from file_cache.errors import PathOutsideRootError


def resolve_inside(root: Path, path: str | os.PathLike[str], root_resolved: bool = False) -> Path:
    """``path`` (relative to ``root`` or absolute) resolved with symlinks; refuses anything outside ``root``
    (``root_resolved``: the caller resolved ``root`` already, as `FileCache` does once)."""
    root = root if root_resolved else root.resolve()
    candidate = Path(path)
    try:
        resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    except RuntimeError:  # Python 3.11 raises it for a symlink loop
        raise PathOutsideRootError(f"{path}: a symlink loop (the link leads back to itself)") from None
    if resolved != root and not resolved.is_relative_to(root):
        raise PathOutsideRootError(f"{path}: outside the project root {root}")
    return resolved
