"""Which paths the worker (and every front-end acting for it) may read or write: one implementation.

A path is resolved with its symlinks and must stay inside the project root. On top of that:
- **secret files** (`credentials.toml`, `.env*`, private keys, ... configurable by glob) are never read, searched,
  listed into a brief or written, nor is any hard link to one of them, wherever in the project either lies;
- **`.git/`** at any depth (nested repositories included) is neither read nor written: its config can hold
  tokens and its objects are not the worker's business;
- **the tracks folder** is neither read nor written (it holds the ledgers, the conversations and the undo
  records);
- only regular files are written (a FIFO or a device would hang the call or write somewhere else).

Names are compared case-insensitively when the project's file system is (macOS, Windows).
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from conductor.config import ProjectConfig, credential_paths
from conductor.errors import ConductorError
from file_cache import PathOutsideRootError, resolve_inside

SECRET_WALK_SECONDS = 1.0
"""How long one walk for hard-linked secrets is trusted (a search asks for every linked file it meets)."""


class PathRefusedError(ConductorError, PathOutsideRootError):
    """A path the rules refuse; the message names the path and the rule."""


def _bad_text(text: str) -> str | None:
    if "\0" in text:
        return "contains a NUL byte"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (lone surrogate)"
    return None


def check_text(what: str, text: str) -> None:
    """Refuse NUL bytes and lone surrogates, which no path or command can hold."""
    problem = _bad_text(text)
    if problem:
        raise PathRefusedError(f"{what} {problem}")


def case_insensitive(folder: Path) -> bool:
    """True when the file system under ``folder`` ignores case (checked, not guessed from the platform)."""
    swapped = folder.with_name(folder.name.swapcase())
    if swapped == folder:
        return False
    try:
        return swapped.exists() and os.path.samefile(swapped, folder)
    except OSError:
        return False


@dataclass
class PathGuard:
    root: Path
    """The project root, resolved."""
    protected: list[Path] = field(default_factory=list)
    """Folders never written (the tracks folder)."""
    secret_globs: list[str] = field(default_factory=list)
    """File-name globs of secret files."""
    secret_files: list[Path] = field(default_factory=list)
    """Named secret files (the configured credentials file), wherever they are."""
    fold_case: bool = False
    _secrets_seen: tuple[float, set[tuple[int, int]]] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def for_project(cls, config: ProjectConfig) -> PathGuard:
        root = config.root.resolve()
        return cls(root=root, protected=[config.tracks_path], secret_globs=list(config.guard.secret_files),
                   secret_files=[p.expanduser().resolve() for p in credential_paths(config)],
                   fold_case=case_insensitive(root))

    def _fold(self, text: str) -> str:
        return text.casefold() if self.fold_case else text

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() or "."

    # -- the rules ------------------------------------------------------------------------------------------
    def resolve(self, path: str) -> Path:
        """``path`` resolved inside the root, or PathRefusedError."""
        check_text(f"path {path!r}", path)
        try:
            return resolve_inside(self.root, path)
        except PathOutsideRootError as error:
            raise PathRefusedError(str(error)) from None
        except (OSError, ValueError) as error:  # a name too long, a symlink loop
            raise PathRefusedError(f"{path}: {error}") from None

    def refusal(self, resolved: Path, write: bool = False) -> str | None:
        """Why ``resolved`` (inside the root) may not be read (or written), or None."""
        parts = [self._fold(part) for part in resolved.relative_to(self.root).parts]
        if self._fold(".git") in parts:
            return "inside a .git folder, which the worker may not open"
        if self.is_secret(resolved):
            return "a secret file (credentials, keys, .env); the worker may not open it"
        for folder in self.protected:
            if self._fold(str(resolved)) == self._fold(str(folder)) or self._is_under(resolved, folder):
                shown = self.relative(folder) if folder.is_relative_to(self.root) else str(folder)
                return f"inside {shown}/, which the worker may not {'write' if write else 'open'}"
        if write:
            try:
                mode = resolved.stat().st_mode
            except FileNotFoundError:
                return None
            except OSError as error:
                return str(error)
            if not stat.S_ISREG(mode):
                return "a folder" if stat.S_ISDIR(mode) else "not a regular file (FIFO, device or socket)"
        return None

    def _is_under(self, path: Path, folder: Path) -> bool:
        folded, base = self._fold(path.as_posix()), self._fold(folder.as_posix()).rstrip("/") + "/"
        return folded.startswith(base)

    def _secret_name(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(self._fold(name), self._fold(glob)) for glob in self.secret_globs)

    def is_secret(self, resolved: Path) -> bool:
        if self._secret_name(resolved.name):
            return True
        if any(self._fold(str(resolved)) == self._fold(str(secret)) for secret in self.secret_files):
            return True
        return self._links_to_secret(resolved)

    def _links_to_secret(self, resolved: Path) -> bool:
        """A hard link to a secret file has an innocent name: compare its inode with those of the named secrets
        and of every secret-named file of the project, at any depth (only for files with more than one link,
        which are rare)."""
        try:
            info = resolved.stat()
        except OSError:
            return False
        if info.st_nlink < 2 or not stat.S_ISREG(info.st_mode):
            return False
        return (info.st_ino, info.st_dev) in self._linked_secrets()

    def _linked_secrets(self, files: list[Path] | None = None) -> set[tuple[int, int]]:
        """(inode, device) of every secret file with more than one link: the named ones and the project's
        secret-named files (a walk, unless the caller walked already as ``files``; kept for a second so that a
        search over many linked files walks once)."""
        now = time.monotonic()
        if self._secrets_seen is not None and now - self._secrets_seen[0] < SECRET_WALK_SECONDS:
            return self._secrets_seen[1]
        walked = self._project_files() if files is None else files
        candidates = list(self.secret_files) + [path for path in walked if self._secret_name(path.name)]
        found = set()
        for candidate in candidates:
            try:
                other = candidate.stat()
            except OSError:
                continue
            if other.st_nlink > 1 and stat.S_ISREG(other.st_mode):
                found.add((other.st_ino, other.st_dev))
        self._secrets_seen = (now, found)
        return found

    def project_secrets(self) -> list[Path]:
        """Every file of the project the worker may not open for being secret, at any depth: secret-named files
        and hard links to a secret under any name (for the sandbox to hide them from commands too)."""
        files = list(self._project_files())  # one walk serves both
        linked = self._linked_secrets(files)
        found = []
        for path in files:
            if self._secret_name(path.name):
                found.append(path)
            elif linked:
                with contextlib.suppress(OSError):
                    info = path.lstat()
                    if info.st_nlink > 1 and (info.st_ino, info.st_dev) in linked:
                        found.append(path)
        return found

    def _project_files(self) -> Iterator[Path]:
        """Every name in the project's folders but .git and the protected ones (symlinked folders not entered)."""
        for current, dirs, names in os.walk(self.root):
            dirs[:] = [d for d in dirs if d != ".git" and not any(
                self._fold(str(Path(current) / d)) == self._fold(str(folder)) for folder in self.protected)]
            yield from (Path(current) / name for name in names)

    def readable(self, path: str) -> Path:
        resolved = self.resolve(path)
        problem = self.refusal(resolved)
        if problem:
            raise PathRefusedError(f"{path}: {problem}")
        return resolved

    def writable(self, path: str) -> Path:
        resolved = self.resolve(path)
        problem = self.refusal(resolved, write=True)
        if problem:
            raise PathRefusedError(f"{path}: {problem}")
        return resolved

    def allows(self, resolved: Path) -> bool:
        """For walks (search, listings): may this already-resolved path be shown to the worker?"""
        try:
            inside = resolved.resolve()
            inside.relative_to(self.root)
        except (OSError, ValueError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.11)
            return False
        return self.refusal(inside) is None
