"""A content-keyed cache of parsed files and their views, confined to one project root."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Literal, NamedTuple

from file_cache.disk import DiskCache, default_path
from file_cache.errors import ViewError
from file_cache.parser import ASTParser, ParsedSource, Symbol, ViewRows, decode_source
from file_cache.paths import resolve_inside, resolve_inside_text
from file_cache.tokens import estimate_tokens

ViewKind = Literal["skeleton", "curated", "raw", "outline"]
VIEW_KINDS: tuple[ViewKind, ...] = ("skeleton", "curated", "raw", "outline")
# Folders never listed in the directory map nor searched: tooling, caches and virtual environments.
IGNORED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".venv", "venv", "node_modules", ".mypy_cache",
                          ".pytest_cache", ".ruff_cache", ".tox", "build", "dist", ".conductor", "site-packages"})


UNCOUNTED = -1
"""The token count kept with a view whose tokens no one has asked for yet."""


@dataclass(frozen=True)
class View:
    """One rendered view of a file. Its estimated token count is made when first asked (a pass over a whole tree,
    such as the map's, asks for none) and kept with the view from then on."""

    path: str
    kind: str
    text: str
    counted: int | None = field(default=None, compare=False, repr=False)
    """The count kept with the view, when there is one."""
    keep_count: Callable[[int], None] | None = field(default=None, compare=False, repr=False)
    """Where a count made now is kept (the cache's entry for this view)."""

    @cached_property
    def tokens(self) -> int:
        if self.counted is not None:
            return self.counted
        tokens = estimate_tokens(self.text)
        if self.keep_count is not None:
            self.keep_count(tokens)
        return tokens


_SHARED_DISKS: dict[Path, DiskCache] = {}
_SHARED_LOCK = threading.Lock()


def shared_disk_cache() -> DiskCache | None:
    """This process's handle on the user's view cache (one per cache file), or None when
    `CONDUCTOR_VIEW_CACHE=off`."""
    if os.environ.get("CONDUCTOR_VIEW_CACHE", "").lower() in ("off", "0", "no"):
        return None
    path = default_path()
    with _SHARED_LOCK:
        if path not in _SHARED_DISKS:
            _SHARED_DISKS[path] = DiskCache(path)
        return _SHARED_DISKS[path]


class FileCache:
    """Serves memory views of files under ``root``.

    A file is known by what `stat` says of it (path, mtime, ctime, size, inode): while that is unchanged its
    content hash is not recomputed and it is not read. Views are kept per content hash with their token counts, in
    memory (least recently used out above ``max_view_bytes``) and on disk for every process of the user
    (`file_cache.disk`); parses, which new views and definitions need, are kept for the most recent
    ``max_parse_bytes`` of source, and the latest parse always (a tree-sitter tree holds about 30 times its source in
    memory; the views are what is reused). By default only the latest parse is kept: everything made from a file
    (both views, their line numbers, the outline, imports and names) is made from it while it is the latest, and a
    first pass over a tree measured 12 % faster when each tree is freed at the next parse than with the last
    megabyte's kept (`python -m benchmarks.stdlib_views --third-party`). An edit changes the stat, so the file is
    read, hashed and parsed again.
    """

    def __init__(self, root: str | os.PathLike[str], max_view_bytes: int = 128 * 1024 * 1024,
                 max_parse_bytes: int = 0, disk: DiskCache | bool | None = True) -> None:
        self.root = Path(root).resolve()
        self.max_view_bytes = max_view_bytes
        self.max_parse_bytes = max_parse_bytes
        self.disk = shared_disk_cache() if disk is True else disk or None
        self.hits = 0
        """Views, outlines and imports served without a parse."""
        self.misses = 0
        """Parses done."""
        self._parser = ASTParser()
        self._known: dict[str, tuple[tuple[int, ...], str]] = {}
        """Resolved path -> (the identity of the file hashed there, its content's SHA-256)."""
        self._prefix = str(self.root).rstrip("/") + "/"
        self._located: dict[str, tuple[tuple[int, ...], str]] = {}
        """A path as asked (joined with the root) -> (the identity of the file it named, where it resolved)."""
        self._views: OrderedDict[tuple[str, str], tuple[str, int]] = OrderedDict()
        self._view_bytes = 0
        self._parses: OrderedDict[str, ParsedSource] = OrderedDict()
        self._parse_bytes = 0
        self._lock = threading.Lock()  # the GUI and the engine thread share one cache

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        return resolve_inside(self.root, path, root_resolved=True)

    def _locate(self, path: str | os.PathLike[str]) -> _Located:
        """``path`` resolved inside the root, as text (no `Path` built), with the file's `stat` when taken on the
        way. A path asked again that names the same file as before (same device and inode, unchanged: one `stat`)
        is where it was; anything else (a link changed, a file replaced) is resolved again, so no byte outside the
        root is ever read."""
        text = os.fspath(path)
        asked = text if os.path.isabs(text) else os.path.join(self._prefix, text)
        located = self._located.get(asked)
        if located is not None:
            try:
                info = os.stat(asked)
            except (OSError, ValueError):
                info = None
            if info is not None and _identity(info) == located[0]:
                return _Located(located[1], info)
        resolved = resolve_inside_text(self.root, path, root_resolved=True)
        try:
            info = os.stat(resolved)
        except OSError:
            return _Located(resolved, None)  # `_identify` says what is wrong
        self._located[asked] = (_identity(info), resolved)
        return _Located(resolved, info)

    def relative(self, path: str | os.PathLike[str]) -> str:
        text = os.fspath(path)
        if text.startswith(self._prefix) and os.sep == "/":  # a resolved path under the root: no Path to compare
            return text[len(self._prefix):] or "."
        return Path(text).relative_to(self.root).as_posix() or "."

    def read_bytes(self, path: str | os.PathLike[str]) -> bytes:
        return self._read(self._locate(path).path)

    def _read(self, resolved: str, regular: bool = False) -> bytes:
        """The bytes of a path resolved inside the root (not resolved again; ``regular``: known to be a file)."""
        if not regular and not os.path.isfile(resolved):
            raise ViewError(f"{self.relative(resolved)}: no such file")
        with open(resolved, "rb") as handle:
            data = handle.read()
        if b"\0" in data[:8192]:
            raise ViewError(f"{self.relative(resolved)}: binary file")
        return data

    def _identify(self, located: _Located) -> tuple[str, bytes | None]:
        """The content hash of the located file, and its bytes when they had to be read to know it."""
        resolved, info = located
        try:
            info = info or os.stat(resolved)
        except FileNotFoundError:
            raise ViewError(f"{self.relative(resolved)}: no such file") from None
        if not stat.S_ISREG(info.st_mode):
            raise ViewError(f"{self.relative(resolved)}: no such file")
        identity = _identity(info)
        known = self._known.get(resolved)
        if known is not None and known[0] == identity:
            return known[1], None
        key = DiskCache.stat_key(resolved, info)
        sha = self.disk.sha_for(key) if self.disk is not None else None
        data = None
        if sha is None:
            data = self._read(resolved, regular=True)
            sha = hashlib.sha256(data).hexdigest()
            if self.disk is not None:
                self.disk.remember(key, sha)
        self._known[resolved] = (identity, sha)
        return sha, data

    def content_hash(self, path: str | os.PathLike[str]) -> str:
        """The SHA-256 of the file's content (known from its stat when unchanged: not read again)."""
        return self._identify(self._locate(path))[0]

    def remembered(self, key: str, kind: str) -> str | None:
        """A text kept for ``key`` (a hash of what it was made from), in memory or on disk."""
        found = self._lookup(key, kind)
        return found[0] if found is not None else None

    def remember(self, key: str, kind: str, text: str) -> None:
        self._keep(key, kind, (text, 0), to_disk=True)

    def _lookup(self, key: str, kind: str) -> tuple[str, int] | None:
        """A kept text and its token count: from memory, else from disk (then held in memory too)."""
        with self._lock:
            cached = self._views.get((key, kind))
            if cached is not None:
                self._views.move_to_end((key, kind))
                self.hits += 1
                return cached
        stored = self.disk.get(key, kind) if self.disk is not None else None
        if stored is not None:
            self._keep(key, kind, stored, to_disk=False)
            with self._lock:
                self.hits += 1
        return stored

    def _keep(self, key: str, kind: str, value: tuple[str, int], to_disk: bool) -> None:
        """Hold a text in memory (least recently used out above ``max_view_bytes``), and on disk if asked."""
        if to_disk and self.disk is not None:
            self.disk.put(key, kind, *value)
        with self._lock:
            replaced = self._views.pop((key, kind), None)
            self._view_bytes -= len(replaced[0]) if replaced is not None else 0
            self._views[(key, kind)] = value
            self._view_bytes += len(value[0])
            while len(self._views) > 1 and self._view_bytes > self.max_view_bytes:
                _, evicted = self._views.popitem(last=False)
                self._view_bytes -= len(evicted[0])

    def parsed(self, path: str | os.PathLike[str]) -> ParsedSource:
        located = self._locate(path)
        sha, data = self._identify(located)
        return self._parse(sha, data, located.path)

    def _parse(self, sha: str, data: bytes | None, resolved: str) -> ParsedSource:
        with self._lock:
            parsed = self._parses.get(sha)
            if parsed is not None:
                self._parses.move_to_end(sha)
                self.hits += 1
                return parsed
        parsed = self._parser.parse(data if data is not None else self._read(resolved))
        with self._lock:
            self.misses += 1
            self._parses[sha] = parsed
            self._parse_bytes += len(parsed.data)
            while len(self._parses) > 1 and self._parse_bytes > self.max_parse_bytes:
                _, evicted = self._parses.popitem(last=False)
                self._parse_bytes -= len(evicted.data)
        return parsed

    def _derived(self, located: _Located, kind: str, make: Callable[[ParsedSource, str], str]
                 ) -> tuple[str, int, str]:
        """A text made from the file's parse (a view, its symbols, its imports), the token count kept with it
        (`UNCOUNTED` until asked) and the content's hash: from memory, else from disk, else made once and kept in
        both. ``make`` gets the parse and the content's hash (under which it may keep what it made on the way)."""
        sha, data = self._identify(located)
        found = self._lookup(sha, kind)
        if found is not None:
            return found[0], found[1], sha
        text = make(self._parse(sha, data, located.path), sha)
        self._keep(sha, kind, (text, UNCOUNTED), to_disk=True)
        return text, UNCOUNTED, sha

    def _keep_count(self, sha: str, kind: str, text: str, tokens: int) -> None:
        self._keep(sha, kind, (text, tokens), to_disk=True)

    def view(self, path: str | os.PathLike[str], kind: ViewKind) -> View:
        """The ``kind`` view of ``path`` with its token estimate."""
        if kind not in VIEW_KINDS:
            raise ViewError(f"unknown view {kind!r}; choose one of {', '.join(VIEW_KINDS)}")
        located = self._locate(path)
        resolved = located.path
        rel = self.relative(resolved)
        if kind == "raw":
            data = self._read(resolved)
            text = decode_source(data) if resolved.endswith(".py") else data.decode("utf-8", errors="replace")
            return View(rel, kind, text)
        if not resolved.endswith((".py", ".pyi")):
            raise ViewError(f"{path}: the {kind} view needs a Python file; use the raw view")
        text, tokens, sha = self._derived(located, kind, lambda parsed, sha: self._render(parsed, kind, sha))
        if tokens != UNCOUNTED:
            return View(rel, kind, text, tokens)
        return View(rel, kind, text, keep_count=partial(self._keep_count, sha, kind, text))

    def view_numbers(self, path: str | os.PathLike[str], kind: Literal["skeleton", "curated"]) -> list[int | None]:
        """The line number in the file (1-based) of each line of the ``kind`` view; None for a line the view made
        up (`... # Hidden`, a note)."""
        located = self._locate(path)
        if not located.path.endswith((".py", ".pyi")):
            raise ViewError(f"{path}: the {kind} view needs a Python file; use the raw view")
        text = self._derived(located, f"{kind}-rows", lambda parsed, _: _numbers_text(
            self._parser.get_view(parsed, kind == "curated")[0]))[0]
        numbers: list[int | None] = json.loads(text)
        return numbers

    def _render(self, parsed: ParsedSource, kind: ViewKind, sha: str) -> str:
        if kind in ("skeleton", "curated"):
            rows, text = self._parser.get_view(parsed, kind == "curated")
            # its line numbers are kept with it, under the same content: numbering the view builds nothing again
            self._keep(sha, f"{kind}-rows", (_numbers_text(rows), 0), to_disk=True)
            return text
        return render_outline(self._parser.get_outline(parsed))

    def definition(self, path: str | os.PathLike[str], symbol: str) -> View:
        resolved = self._locate(path).path
        text = self._parser.get_definition(self.parsed(resolved), symbol)
        return View(self.relative(resolved), f"definition:{symbol}", text)

    def slice(self, path: str | os.PathLike[str], start_line: int, end_line: int) -> View:
        resolved = self._locate(path).path
        text = self._parser.get_slice(self.parsed(resolved), start_line, end_line)
        return View(self.relative(resolved), f"lines:{start_line}-{end_line}", text)

    def outline(self, path: str | os.PathLike[str]) -> list[Symbol]:
        text = self._derived(self._locate(path), "symbols", lambda parsed, _: json.dumps(
            [[s.kind, s.name, s.start_line, s.end_line, s.is_async] for s in self._parser.get_outline(parsed)]))[0]
        return [Symbol(*fields) for fields in json.loads(text)]

    def imports(self, path: str | os.PathLike[str]) -> list[tuple[int, str]]:
        """(relative level, dotted name) of every module the file may import (`ASTParser.get_imports`)."""
        text = self._derived(self._locate(path), "imports",
                             lambda parsed, _: json.dumps(self._parser.get_imports(parsed)))[0]
        return [(int(level), str(name)) for level, name in json.loads(text)]

    def references(self, path: str | os.PathLike[str]) -> dict[str, int]:
        """How often the file uses each name (identifiers and attribute names, `ASTParser.get_references`)."""
        text = self._derived(self._locate(path), "references",
                             lambda parsed, _: json.dumps(self._parser.get_references(parsed)))[0]
        found: dict[str, int] = json.loads(text)
        return found

    def directory_map(self, path: str | os.PathLike[str] = ".", max_entries: int = 2000,
                      include: Callable[[Path], bool] | None = None) -> str:
        return directory_map(self.resolve(path), self.root, max_entries, include)


class _Located(NamedTuple):
    """A path resolved inside the root, and the file's `stat` when it was taken on the way."""

    path: str
    info: os.stat_result | None


def _identity(info: os.stat_result) -> tuple[int, ...]:
    """What tells one unchanged file from any other: its device, inode, times and size."""
    return info.st_dev, info.st_ino, info.st_mtime_ns, info.st_ctime_ns, info.st_size


def _numbers_text(rows: ViewRows) -> str:
    """A view's line numbers in the file (1-based; null for a made-up line), as kept: JSON."""
    return json.dumps([None if row is None else row + 1 for row in rows])


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
