"""A map of a whole repository within a token budget: the files most of the project depends on, first.

Files are ranked by the import graph (PageRank: a file imported by many files, themselves imported, ranks high;
the same idea as aider's repository map, computed here on module imports), with a boost for files whose path or
definitions share words with a focus text. In that order each file is shown as its skeleton, or when that no
longer fits, its outline, or just its path, until the budget is spent; the map never exceeds the budget. Headers
(`## path`) and outlines are comments, skeletons valid Python: the whole map is valid Python.
`.gitignore` files are honoured (with `pathspec`), and noise folders (`file_cache.cache.IGNORED_DIRS`) skipped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from file_cache.cache import IGNORED_DIRS, FileCache
from file_cache.errors import ViewError
from file_cache.tokens import estimate_tokens

DAMPING = 0.85
ITERATIONS = 40
FOCUS_PATH_BOOST = 20.0
FOCUS_NAME_BOOST = 5.0
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{2,}")


@dataclass(frozen=True)
class MapEntry:
    path: str
    rank: float
    shown: str
    """`skeleton`, `outline` or `path`."""
    tokens: int


@dataclass
class RepoMap:
    text: str
    budget: int
    entries: list[MapEntry] = field(default_factory=list)
    files: int = 0
    """Python files ranked (the map shows as many as fit)."""

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.text)


def resolve_imports(imports: list[tuple[int, str]], source: str, root: Path) -> list[str]:
    """The project files (relative paths) that ``source``'s imports (level, dotted name) may load."""
    package = Path(source).parent
    found = []
    for level, dotted in imports:
        base = package
        for _ in range(level - 1):
            base = base.parent
        parts = dotted.split(".") if dotted else []
        module = (base if level else Path()).joinpath(*parts)
        for candidate in (module.with_suffix(".py") if parts else None, module / "__init__.py"):
            if candidate is not None and (root / candidate).is_file():
                found.append(candidate.as_posix())
                break
    return found


def python_files(root: Path, include: Callable[[Path], bool] | None = None) -> list[str]:
    """Python files under ``root`` (relative paths, sorted), honouring every `.gitignore` on the way."""
    root = root.resolve()
    specs: list[tuple[Path, pathspec.GitIgnoreSpec]] = []
    found: list[str] = []
    for current, dirs, files in os.walk(root):
        folder = Path(current)
        ignore_file = folder / ".gitignore"
        if ignore_file.is_file():
            try:
                lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
                specs.append((folder, pathspec.GitIgnoreSpec.from_lines(lines)))
            except (OSError, ValueError):
                pass

        def ignored(path: Path, is_dir: bool) -> bool:
            for base, spec in specs:
                if path.is_relative_to(base):
                    relative = path.relative_to(base).as_posix() + ("/" if is_dir else "")
                    if spec.match_file(relative):
                        return True
            return False

        dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS and not d.endswith(".egg-info")
                         and not ignored(folder / d, True) and (include is None or include(folder / d)))
        for name in sorted(files):
            path = folder / name
            if name.endswith((".py", ".pyi")) and not ignored(path, False) and (include is None or include(path)):
                found.append(path.relative_to(root).as_posix())
    return found


def import_graph(cache: FileCache, files: list[str]) -> dict[str, list[str]]:
    """For each file, the project files it imports."""
    known = set(files)
    graph: dict[str, list[str]] = {}
    for path in files:
        try:
            imports = cache.imports(path)
        except (ViewError, OSError):
            graph[path] = []
            continue
        graph[path] = [target for target in dict.fromkeys(resolve_imports(imports, path, cache.root))
                       if target in known and target != path]
    return graph


def rank(graph: dict[str, list[str]], personal: dict[str, float]) -> dict[str, float]:
    """PageRank over import edges (importer -> imported), personalised by ``personal`` weights."""
    nodes = list(graph)
    if not nodes:
        return {}
    total = sum(personal.get(n, 1.0) for n in nodes)
    base = {n: personal.get(n, 1.0) / total for n in nodes}
    scores = dict(base)
    for _ in range(ITERATIONS):
        dangling = sum(scores[n] for n in nodes if not graph[n])
        incoming = dict.fromkeys(nodes, 0.0)
        for node in nodes:
            targets = graph[node]
            for target in targets:
                incoming[target] += scores[node] / len(targets)
        scores = {n: (1 - DAMPING) * base[n] + DAMPING * (incoming[n] + dangling * base[n]) for n in nodes}
    return scores


def focus_weights(cache: FileCache, files: list[str], focus: str) -> dict[str, float]:
    words = {w.lower() for w in _WORD.findall(focus)}
    if not words:
        return {}
    weights: dict[str, float] = {}
    for path in files:
        weight = 1.0
        path_words = {w.lower() for w in _WORD.findall(path)}
        if words & path_words:
            weight *= FOCUS_PATH_BOOST
        try:
            names = {w.lower() for s in cache.outline(path) for w in _WORD.findall(s.name)}
        except (ViewError, OSError):
            names = set()
        if words & names:
            weight *= FOCUS_NAME_BOOST
        if weight != 1.0:
            weights[path] = weight
    return weights


def repository_map(cache: FileCache, budget: int = 8000, focus: str = "",
                   include: Callable[[Path], bool] | None = None) -> RepoMap:
    """The map of ``cache.root`` within ``budget`` tokens (estimated as everywhere else in Conductor)."""
    files = python_files(cache.root, include)
    graph = import_graph(cache, files)
    scores = rank(graph, focus_weights(cache, files, focus))
    ordered = sorted(files, key=lambda p: (-scores.get(p, 0.0), p))
    chunks: list[str] = []
    entries: list[MapEntry] = []
    used = 0
    for path in ordered:
        header = f"## {path}\n"
        choices: list[tuple[str, str]] = []
        try:
            skeleton = cache.view(path, "skeleton").text
            if skeleton.strip():
                choices.append(("skeleton", skeleton))
            outline = cache.view(path, "outline").text  # as comments: the map stays valid Python as a whole
            choices.append(("outline", "".join(f"# {line}\n" for line in outline.splitlines())))
        except (ViewError, OSError):
            pass
        choices.append(("path", ""))
        for shown, body in choices:
            chunk = header + body
            tokens = estimate_tokens(chunk)
            if used + tokens <= budget:
                chunks.append(chunk)
                entries.append(MapEntry(path, scores.get(path, 0.0), shown, tokens))
                used += tokens
                break
        else:
            break  # not even its path fits any more
    while chunks and estimate_tokens("".join(chunks)) > budget:  # the estimate of the whole, not of the parts
        chunks.pop()
        entries.pop()
    return RepoMap("".join(chunks), budget, entries, len(files))
