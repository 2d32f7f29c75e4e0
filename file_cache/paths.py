"""Paths confined to a root, importable without the parser (the track store uses it)."""

from __future__ import annotations

import os
from pathlib import Path

from file_cache.errors import PathOutsideRootError


def resolve_inside(root: Path, path: str | os.PathLike[str], root_resolved: bool = False) -> Path:
    """``path`` (relative to ``root`` or absolute) resolved with symlinks; refuses anything outside ``root``
    (``root_resolved``: the caller resolved ``root`` already, as `FileCache` does once)."""
    return Path(resolve_inside_text(root, path, root_resolved))


def resolve_inside_text(root: Path, path: str | os.PathLike[str], root_resolved: bool = False) -> str:
    """`resolve_inside`, as text: no `Path` is built on the common way (the file cache resolves at every call)."""
    root = root if root_resolved else root.resolve()
    text = os.fspath(path)
    root_text = str(root)
    joined_text = text if os.path.isabs(text) else os.path.join(root_text, text)
    kernel = _kernel_path(joined_text)
    # the kernel's answer is absolute and normal: inside the root is a prefix test (no Path built to compare)
    if kernel is not None and (kernel == root_text or kernel.startswith(root_text.rstrip("/") + "/")):
        return kernel
    joined = Path(joined_text)
    try:
        resolved = joined.resolve()
    except RuntimeError:  # Python 3.11 raises it for a symlink loop
        raise PathOutsideRootError(f"{path}: a symlink loop (the link leads back to itself)") from None
    if resolved != root and not resolved.is_relative_to(root):
        raise PathOutsideRootError(f"{path}: outside the project root {root}")
    return str(resolved)


def user_cache_dir() -> Path:
    """Conductor's folder in the user's cache (`$XDG_CACHE_HOME/conductor`): derived data every process shares."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "conductor"


_O_PATH = getattr(os, "O_PATH", None)


def _kernel_path(path: str) -> str | None:
    """An existing path resolved by the kernel (Linux: open it with O_PATH and read /proc/self/fd), three system
    calls instead of one lstat per component; None where that is unavailable or the path does not exist (the
    caller resolves it the portable way, which also names a symlink loop)."""
    if _O_PATH is None:
        return None
    try:
        descriptor = os.open(path, _O_PATH | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return os.readlink(f"/proc/self/fd/{descriptor}")
    except OSError:
        return None
    finally:
        os.close(descriptor)
