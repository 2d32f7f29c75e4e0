"""A map of a whole repository within a token budget: the files most of the project depends on, first.

Files are ranked by what the code references (PageRank over a graph where a file points at the files defining the
names it uses, weighted as aider's repository map weighs its tags, plus its imports), with a boost for files
whose path or definitions share words with a focus text. In that order each file is shown as its skeleton, or
when that no longer fits, its outline, or just its path, until the budget is spent; the map never exceeds the
budget. Headers (`## path`) and outlines are comments, skeletons valid Python: the whole map is valid Python.
`.gitignore` files are honoured (with `pathspec`), and noise folders (`file_cache.cache.IGNORED_DIRS`) skipped.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import heapq
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pathspec

from file_cache.cache import IGNORED_DIRS, FileCache
from file_cache.errors import ViewError
from file_cache.parser import Symbol, is_valid_python
from file_cache.tokens import estimate_tokens

DAMPING = 0.85
ITERATIONS = 40
CONVERGED = 1e-9
"""PageRank stops early once no score moves by more than this."""
MAX_EDGES = 40
"""Dependencies kept per file in the reference graph (its strongest)."""
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


def resolve_imports(imports: list[tuple[int, str]], source: str, root: Path, known: set[str] | None = None
                    ) -> list[str]:
    """The project files (relative paths) that ``source``'s imports (level, dotted name) may load (``known``: the
    project's files, looked up in a set instead of on disk)."""
    package = Path(source).parent
    found = []
    for level, dotted in imports:
        base = package
        for _ in range(level - 1):
            base = base.parent
        parts = dotted.split(".") if dotted else []
        module = (base if level else Path()).joinpath(*parts)
        for candidate in (module.with_suffix(".py") if parts else None, module / "__init__.py"):
            if candidate is not None and (candidate.as_posix() in known if known is not None
                                          else (root / candidate).is_file()):
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


Graph = dict[str, dict[str, float]]
"""file -> {file it depends on: weight}."""


class References(NamedTuple):
    graph: Graph
    """file -> {file it depends on: weight}, the strongest `MAX_EDGES`."""
    uses: dict[str, dict[tuple[str, str], float]]
    """file -> {(defining file, name): weight}: how a file's rank is shared among the definitions it uses."""
    definers: dict[str, list[str]]
    """name -> the files defining it."""


def reference_graph(cache: FileCache, files: list[str]) -> References:
    """Who uses whose definitions: an edge from a file to each file defining a name it uses, weighted by the
    square root of the uses, plus one for each import — the ranking of what the code references, with aider's
    weights: a long, distinctive name (8 characters or more, snake_case or CamelCase) counts ten times, a private
    `_name` or a name defined in more than five files a tenth."""
    known = set(files)
    definers: dict[str, list[str]] = {}
    facts: dict[str, tuple[list[str], dict[str, int]]] = {}
    for path in files:  # a file's three facts in turn, while its parse is still held
        try:
            imported = resolve_imports(cache.imports(path), path, cache.root, known)
            names = {symbol.name.rsplit(".", 1)[-1] for symbol in cache.outline(path)}
            uses = cache.references(path)
        except (ViewError, OSError):
            imported, names, uses = [], set(), {}
        facts[path] = ([target for target in imported if target != path], uses)
        for name in names:
            definers.setdefault(name, []).append(path)
    graph: Graph = {}
    uses_of: dict[str, dict[tuple[str, str], float]] = {}
    for path, (imported, uses) in facts.items():
        edges = dict.fromkeys(imported, 1.0)
        used: dict[tuple[str, str], float] = {}
        for name, count in uses.items():
            owners = [owner for owner in definers.get(name, ()) if owner != path]
            if not owners:
                continue
            weight = math.sqrt(count) * _distinctive(name) * (0.1 if len(definers[name]) > 5 else 1.0)
            for owner in owners:
                edges[owner] = edges.get(owner, 0.0) + weight
                used[(owner, name)] = weight
        # the strongest dependencies carry the ranking; the long tail of one-off names only slows it down
        graph[path] = dict(heapq.nlargest(MAX_EDGES, edges.items(), key=lambda item: item[1]))
        uses_of[path] = used
    return References(graph, uses_of, definers)


@functools.cache
def _distinctive(name: str) -> float:
    if name.startswith("_"):
        return 0.1
    shaped = "_" in name or (any(c.isupper() for c in name) and any(c.islower() for c in name))
    return 10.0 if shaped and len(name) >= 8 else 1.0


def rank(weighted: Graph, personal: dict[str, float]) -> dict[str, float]:
    """Weighted PageRank over dependency edges (user -> used), personalised by ``personal`` weights."""
    nodes = list(weighted)
    if not nodes:
        return {}
    total = sum(personal.get(n, 1.0) for n in nodes)
    base = {n: personal.get(n, 1.0) / total for n in nodes}
    scores = dict(base)
    out = {node: sum(targets.values()) for node, targets in weighted.items()}
    for _ in range(ITERATIONS):
        dangling = sum(scores[n] for n in nodes if not out[n])
        incoming = dict.fromkeys(nodes, 0.0)
        for node, targets in weighted.items():
            if out[node]:
                share = scores[node] / out[node]
                for target, weight in targets.items():
                    incoming[target] += share * weight
        previous = scores
        scores = {n: (1 - DAMPING) * base[n] + DAMPING * (incoming[n] + dangling * base[n]) for n in nodes}
        if max(abs(scores[n] - previous[n]) for n in nodes) < CONVERGED:
            break
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


def definition_ranks(cache: FileCache, files: list[str], focus: str) -> list[tuple[float, str, str]]:
    """Every definition the code uses, most important first: (score, file, name). A file's PageRank is shared
    among the definitions it uses in proportion to its weights; a definition no file uses gets a hundredth of its
    own file's rank (a module's main class still shows when nothing here imports it). Definitions of files the
    focus text names come first."""
    graph, uses_of, definers = reference_graph(cache, files)
    boosts = focus_weights(cache, files, focus)
    scores = rank(graph, boosts)
    ranked: dict[tuple[str, str], float] = {}
    for user, used in uses_of.items():
        total = sum(used.values()) + sum(1.0 for _ in graph.get(user, ()))
        for key, weight in used.items():
            ranked[key] = ranked.get(key, 0.0) + scores.get(user, 0.0) * weight / total
    for name, owners in definers.items():
        for path in owners:
            ranked.setdefault((path, name), scores.get(path, 0.0) / 100)
    return sorted(((score, path, name) for (path, name), score in ranked.items()),
                  key=lambda item: (-boosts.get(item[1], 1.0), -item[0], item[1], item[2]))


class _Renderer:
    """A file's chosen definitions as the lines of its skeleton that show them (classes of chosen methods come
    with their headers); a file whose selection is not valid Python on its own is shown as comments."""

    def __init__(self, cache: FileCache) -> None:
        self.cache = cache
        self._skeletons: dict[str, tuple[list[str], list[Symbol], dict[str, list[Symbol]]]] = {}

    def skeleton(self, path: str) -> tuple[list[str], list[Symbol], dict[str, list[Symbol]]]:
        """The skeleton's lines, its symbols (line numbers of the skeleton) and each symbol's direct children. The
        file's outline is placed in the skeleton by the source row of each skeleton line (all kept by content:
        nothing is parsed again)."""
        if path not in self._skeletons:
            try:
                text = self.cache.view(path, "skeleton").text
                numbers = self.cache.view_numbers(path, "skeleton")
                outline = self.cache.outline(path)
            except (ViewError, OSError):
                text, numbers, outline = "", [], []
            lines = text.split("\n")[:-1]  # not splitlines(): a form feed inside a line is not a line break
            placed = [(number, index + 1) for index, number in enumerate(numbers) if number is not None]
            sources = [number for number, _ in placed]  # ascending: a view keeps the source's order
            symbols = []
            for symbol in outline:  # a definition inside a function body is not in the skeleton: no lines
                first = bisect.bisect_left(sources, symbol.start_line)
                last = bisect.bisect_right(sources, symbol.end_line)
                if first < last:
                    symbols.append(Symbol(symbol.kind, symbol.name, placed[first][1], placed[last - 1][1],
                                          symbol.is_async))
            children: dict[str, list[Symbol]] = {}
            for symbol in symbols:
                if "." in symbol.name:
                    children.setdefault(symbol.name.rsplit(".", 1)[0], []).append(symbol)
            self._skeletons[path] = (lines, symbols, children)
        return self._skeletons[path]

    def render(self, path: str, names: set[str]) -> str:
        lines, symbols, children = self.skeleton(path)
        chosen = {s.name for s in symbols if s.name.rsplit(".", 1)[-1] in names}
        parents = {name.rsplit(".", depth)[0] for name in chosen for depth in range(1, name.count(".") + 1)}
        keep: set[int] = set()
        stubs: dict[int, str] = {}
        for symbol in symbols:
            kids = children.get(symbol.name, [])
            if symbol.name in chosen and (symbol.kind != "class" or not kids):
                keep.update(range(symbol.start_line, symbol.end_line + 1))
            elif symbol.name in chosen or symbol.name in parents:
                end = kids[0].start_line - 1 if kids else symbol.end_line
                header_end = min(end, symbol.start_line + 11)  # a class's first fields, not all of them
                keep.update(range(symbol.start_line, header_end + 1))
                shown = any(k.name in chosen or k.name in parents for k in kids)
                if not shown or header_end < end:
                    indent = len(lines[symbol.start_line - 1]) - len(lines[symbol.start_line - 1].lstrip())
                    stubs[header_end] = " " * (indent + 4) + "..."
        text = "".join(lines[number - 1] + "\n" + (stubs[number] + "\n" if number in stubs else "")
                       for number in sorted(keep) if number <= len(lines))
        return text if is_valid_python(text) else "".join(f"# {line}\n" for line in text.splitlines())


def repository_map(cache: FileCache, budget: int = 8000, focus: str = "",
                   include: Callable[[Path], bool] | None = None) -> RepoMap:
    """The map of ``cache.root`` within ``budget`` tokens (estimated as everywhere else in Conductor): the most
    used definitions first, as many as fit, each shown by its signature under its file's `## path`. A map is kept
    (in the view cache, on disk) under a hash of every file's content, the budget and the focus: while no file
    changes, the next one, in this process or another, is not ranked again."""
    files = python_files(cache.root, include)
    contents = []
    for path in files:
        try:
            contents.append((path, cache.content_hash(path)))
        except (ViewError, OSError):
            contents.append((path, ""))
    key = hashlib.sha256(json.dumps([contents, budget, focus]).encode()).hexdigest()
    kept = cache.remembered(key, "map")  # the same files, budget and focus: the map made before, not ranked again
    if kept is not None:
        saved = json.loads(kept)
        return RepoMap(saved["text"], budget, [MapEntry(*entry) for entry in saved["entries"]], len(files))
    made = _build_map(cache, files, budget, focus)
    cache.remember(key, "map", json.dumps({"text": made.text, "entries": [
        [e.path, e.rank, e.shown, e.tokens] for e in made.entries]}))
    return made


def _build_map(cache: FileCache, files: list[str], budget: int, focus: str) -> RepoMap:
    ranked = definition_ranks(cache, files, focus)
    renderer = _Renderer(cache)

    chunks: dict[tuple[str, frozenset[str]], tuple[str, int]] = {}

    def chunk(path: str, names: frozenset[str]) -> tuple[str, int]:
        if (path, names) not in chunks:  # the search renders most files with the same names again and again
            text = f"## {path}\n" + renderer.render(path, set(names))
            chunks[(path, names)] = (text, estimate_tokens(text))
        return chunks[(path, names)]

    def build(count: int) -> tuple[str, list[MapEntry], int]:
        chosen: dict[str, set[str]] = {}  # files in the order of their first definition in the ranking
        best: dict[str, float] = {}
        for score, path, name in ranked[:count]:
            chosen.setdefault(path, set()).add(name)
            best.setdefault(path, score)
        texts, entries, tokens = [], [], 0
        for path in chosen:
            text, size = chunk(path, frozenset(chosen[path]))
            texts.append(text)
            entries.append(MapEntry(path, best[path], "definitions", size))
            tokens += size  # chunks end with a line break: the estimate of the whole is the sum of the parts
        return "".join(texts), entries, tokens

    low, high = 0, len(ranked)  # the most definitions whose map fits (aider searches the same way)
    text, entries = "", []
    while low <= high:
        middle = (low + high) // 2
        candidate, candidate_entries, tokens = build(middle)
        if tokens <= budget:
            text, entries, low = candidate, candidate_entries, middle + 1
        else:
            high = middle - 1
    if not entries:  # not even one definition fits: the most important files' paths
        for _, path, _ in ranked:
            header = f"## {path}\n"
            if path in {e.path for e in entries}:
                continue
            if estimate_tokens(text + header) > budget:
                break
            text += header
            entries.append(MapEntry(path, 0.0, "path", estimate_tokens(header)))
    return RepoMap(text, budget, entries, len(files))
