"""A content-keyed cache of parsed files and their views, confined to one project root."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from file_cache.errors import ViewError
from file_cache.parser import ASTParser, ParsedSource, Symbol, decode_source
from file_cache.paths import resolve_inside
from file_cache.tokens import estimate_tokens

ViewKind = Literal["skeleton", "curated", "raw", "outline"]
VIEW_KINDS: tuple[ViewKind, ...] = ("skeleton", "curated", "raw", "outline")
# Folders never listed in the directory map nor searched: tooling, caches and virtual environments.
IGNORED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".venv", "venv", "node_modules", ".mypy_cache",
                          ".pytest_cache", ".ruff_cache", ".tox", "build", "dist", ".conductor", "site-packages"})


@dataclass
class _Entry:
    parsed: ParsedSource
    views: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class View:
    """One rendered view of a file and its estimated token count."""

    path: str
    kind: str
    text: str
    tokens: int


class FileCache:
    """Serves memory views of files under ``root``; parses are reused by content hash (edits invalidate)."""

    def __init__(self, root: str | os.PathLike[str], max_bytes: int = 64 * 1024 * 1024, max_entries: int = 4096):
        self.root = Path(root).resolve()
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._parser = ASTParser()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # the GUI and the engine thread share one cache

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        return resolve_inside(self.root, path)

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() or "."

    def read_bytes(self, path: str | os.PathLike[str]) -> bytes:
        resolved = self.resolve(path)
        name = self.relative(resolved)
        if not resolved.is_file():
            raise ViewError(f"{name}: no such file")
        data = resolved.read_bytes()
        if b"\0" in data[:8192]:
            raise ViewError(f"{name}: binary file")
        return data

    def parsed(self, path: str | os.PathLike[str]) -> ParsedSource:
        return self._entry(self.read_bytes(path)).parsed

    def _entry(self, data: bytes) -> _Entry:
        key = hashlib.sha256(data).hexdigest()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry
            self.misses += 1
            entry = _Entry(self._parser.parse(data))
            self._entries[key] = entry
            self._bytes += len(data)
            while len(self._entries) > 1 and (self._bytes > self.max_bytes or len(self._entries) > self.max_entries):
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.parsed.data)
            return entry

    def view(self, path: str | os.PathLike[str], kind: ViewKind) -> View:
        """The ``kind`` view of ``path`` with its token estimate."""
        if kind not in VIEW_KINDS:
            raise ViewError(f"unknown view {kind!r}; choose one of {', '.join(VIEW_KINDS)}")
        resolved = self.resolve(path)
        data = self.read_bytes(resolved)
        rel = self.relative(resolved)
        if kind == "raw":
            text = decode_source(data) if resolved.suffix == ".py" else data.decode("utf-8", errors="replace")
            return View(rel, kind, text, estimate_tokens(text))
        if resolved.suffix not in (".py", ".pyi"):
            raise ViewError(f"{path}: the {kind} view needs a Python file; use the raw view")
        entry = self._entry(data)
        with self._lock:
            cached = entry.views.get(kind)
        if cached is None:
            cached = self._render(entry.parsed, kind)
            with self._lock:
                entry.views[kind] = cached
        return View(rel, kind, cached, estimate_tokens(cached))

    def _render(self, parsed: ParsedSource, kind: ViewKind) -> str:
        if kind == "skeleton":
            return self._parser.get_skeleton_view(parsed)
        if kind == "curated":
            return self._parser.get_curated_view(parsed)
        return render_outline(self._parser.get_outline(parsed))

    def definition(self, path: str | os.PathLike[str], symbol: str) -> View:
        resolved = self.resolve(path)
        text = self._parser.get_definition(self.parsed(resolved), symbol)
        return View(self.relative(resolved), f"definition:{symbol}", text, estimate_tokens(text))

    def slice(self, path: str | os.PathLike[str], start_line: int, end_line: int) -> View:
        resolved = self.resolve(path)
        text = self._parser.get_slice(self.parsed(resolved), start_line, end_line)
        return View(self.relative(resolved), f"lines:{start_line}-{end_line}", text, estimate_tokens(text))

    def outline(self, path: str | os.PathLike[str]) -> list[Symbol]:
        return self._parser.get_outline(self.parsed(path))

    def directory_map(self, path: str | os.PathLike[str] = ".", max_entries: int = 2000,
                      include: Callable[[Path], bool] | None = None) -> str:
        return directory_map(self.resolve(path), self.root, max_entries, include)


def render_outline(symbols: list[Symbol]) -> str:
    lines = []
    for symbol in symbols:
        depth = symbol.name.count(".")
        prefix = "async " if symbol.is_async else ""
        lines.append(f"{'  ' * depth}{prefix}{symbol.kind} {symbol.name}  L{symbol.start_line}-{symbol.end_line}")
    return "\n".join(lines) + ("\n" if lines else "")


def directory_map(directory: Path, root: Path, max_entries: int = 2000,
                  include: Callable[[Path], bool] | None = None) -> str:
    """Paths only (folders end with `/`), sorted, relative to ``root``; noise folders skipped, and whatever
    ``include`` refuses (it gets each path as listed, symlinks unresolved)."""
    if not directory.is_dir():
        raise ViewError(f"{directory}: not a directory")
    entries: list[str] = []
    for current, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS and not d.endswith(".egg-info")
                         and (include is None or include(Path(current) / d)))
        base = Path(current).relative_to(root)
        entries.extend((base / d).as_posix() + "/" for d in dirs)
        entries.extend((base / f).as_posix() for f in files if include is None or include(Path(current) / f))
    entries.sort()
    shown = entries[:max_entries]
    more = f"\n... {len(entries) - max_entries} more entries not shown" if len(entries) > max_entries else ""
    return "\n".join(shown) + more + "\n"
