"""Failed commands read as failures: one record per failure, each with its own test, exception and place; the
records grouped by cause; and for output no format claims, the decisive lines.

The formats themselves (pytest, unittest, tracebacks, mypy, ruff, gcc, TAP, ...) are entries of a registry in
`conductor.failure_formats`; this module holds what they share: the record (`Failure`), a place in the project
(`Place`, found by `Frames`), the one line numberer, grouping by cause and the fallback excerpt.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from conductor.text import clip


class Failure(BaseModel):
    """One failure: what failed, why, and where in the project."""

    model_config = ConfigDict(frozen=True)

    test: str | None = None
    """The test's id as its runner names it (pytest node id, unittest dotted name); None for scripts and tools."""
    exception: str | None = None
    """The exception type (`KeyError`); None for tool messages."""
    message: str | None = None
    """The exception's message or the tool's text."""
    path: str | None = None
    """The deepest place inside the project, relative to the root."""
    line: int | None = None
    function: str | None = None
    source: str | None = None
    """The source line at that place."""
    cause: str | None = None
    """For chained exceptions: the root cause (`KeyError: 'port'`) or what was being handled."""
    detail: str | None = None
    """What qualifies the failure: `at setup`, a subTest's parameters, a falsifying example, the differing item."""
    tool: str | None = None
    """The format that read it (`pytest`, `mypy`, ...)."""

    def text(self) -> str:
        """The record on one line, each fact once."""
        parts = [self.test] if self.test else []
        what = ": ".join(p for p in (self.exception, self.message) if p)
        if what:
            parts.append(clip(what, 200))
        if self.detail:
            parts.append(clip(self.detail, 160))
        if self.path:
            where = f"at {self.path}:{self.line}" + (f" in {self.function}" if self.function else "")
            if self.source:
                where += f": {clip(self.source.strip(), 100)}"
            if not self.test and not self.exception:  # a tool's message: the place comes first
                parts = [where.removeprefix("at "), *parts]
            else:
                parts.append(where)
        if self.cause:
            parts.append(f"cause: {clip(self.cause, 160)}")
        return " | ".join(parts)


class Place(NamedTuple):
    """A place inside the project."""

    path: str
    """Relative to the project root."""
    line: int
    function: str | None = None


_DEFINITION = re.compile(r"^(?P<indent>\s*)(?:async\s+)?(?:def|class)\s+(?P<name>\w+)")
_VENDORED = {"site-packages", ".venv", "venv", "dist-packages", "node_modules", ".tox", ".nox"}


class Frames:
    """Resolves a reported path to one inside the project (else None) and reads its source line."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._inside: dict[str, str | None] = {}
        self._lines: dict[str, tuple[list[str], bool]] = {}
        """Path -> (its first lines as far as read, whether that is the whole file)."""

    def inside(self, path: str) -> str | None:
        if path not in self._inside:
            self._inside[path] = self._resolve(path)
        return self._inside[path]

    def _resolve(self, path: str) -> str | None:
        candidate = Path(path.strip())
        candidate = candidate if candidate.is_absolute() else self.root / candidate
        try:
            resolved = candidate.resolve()
            relative = resolved.relative_to(self.root)
        except (OSError, ValueError, RuntimeError):  # RuntimeError: a symlink loop
            return None
        try:
            if not resolved.is_file() or _VENDORED & set(relative.parts):
                return None
        except OSError:
            return None
        return relative.as_posix()

    def place(self, path: str, line: int | str, function: str | None = None) -> Place | None:
        inside = self.inside(path)
        return Place(inside, int(line), function if function and function != "<module>" else None) if inside \
            else None

    def _head(self, path: str, line: int) -> list[str]:
        """The file's first ``line`` lines, read at most once per file and only as far as a record points (a
        record in a huge generated file reads its head, not the whole file)."""
        known, complete = self._lines.get(path, ([], False))
        if len(known) < line and not complete:
            try:
                with (self.root / path).open(encoding="utf-8", errors="replace") as handle:
                    known = list(itertools.islice(handle, line))
            except OSError:
                known = []
            self._lines[path] = (known, len(known) < line)
        return known[:line]

    def source(self, path: str, line: int) -> str | None:
        head = self._head(path, line)
        return head[-1].strip() or None if len(head) == line else None

    def enclosing(self, path: str, line: int) -> str | None:
        """The name of the innermost `def` or `class` around ``line`` of a Python file (outputs that print a
        place without its function: pytest's long format, tools)."""
        if not path.endswith(".py"):
            return None
        text = self._head(path, line)
        if len(text) < line:
            return None
        indent = len(text[-1]) - len(text[-1].lstrip()) if text else 0
        for previous in reversed(text[:-1]):
            match = _DEFINITION.match(previous)
            if match and len(match["indent"]) < indent:
                return match["name"]
        return None

    def failure(self, place: Place | None, **facts: str | None) -> Failure:
        """A record at ``place`` (None: no project place), with its source line and enclosing function read."""
        if place is None:
            return Failure(**facts)
        function = place.function or self.enclosing(place.path, place.line)
        return Failure(path=place.path, line=place.line, function=function,
                       source=self.source(place.path, place.line), **facts)


def number_lines(text: str, start: int, marked: int | None = None, width: int = 5) -> str:
    """Source lines numbered from ``start``, the ``marked`` one with `>` (how every snippet is shown)."""
    return "\n".join(f"{number:>{width}}{'>' if number == marked else ' '} {line}"
                     for number, line in enumerate(text.splitlines(), start))


Cutter = Callable[[list[str], Frames], list[Failure]]


@dataclass(frozen=True)
class Format:
    """One tool's output: how to spot it and how to cut it into records."""

    name: str
    spot: re.Pattern[str]
    """Searched in the whole output (multiline): no match, the format is not tried."""
    cut: Cutter
    kind: Literal["runner", "lines", "wrapper"]
    """runner: a test runner or traceback printer, whose output is its own (the first runner with records wins);
    lines: a tool whose findings are lines of their own shape, read beside a runner's when ``alongside`` (else
    only when no runner found anything); wrapper: make, tox, nox: said only when nothing inside was read."""
    alongside: bool = False


def parse_failures(output: str, root: Path) -> list[Failure]:
    """The failures an output reports, in the order it reports them ([] when no format knows it)."""
    from conductor.failure_formats import FORMATS

    frames = Frames(root)
    lines = output.splitlines()
    tried = [fmt for fmt in FORMATS if fmt.spot.search(output)]
    records: list[Failure] = []
    for fmt in (f for f in tried if f.kind == "runner"):
        records = fmt.cut(lines, frames)
        if records:
            break
    for fmt in (f for f in tried if f.kind == "lines" and (f.alongside or not records)):
        records += [r for r in fmt.cut(lines, frames) if r not in records]
    if not records:
        for fmt in (f for f in tried if f.kind == "wrapper"):
            records += fmt.cut(lines, frames)
    return records


_COUNTS = re.compile(r"(?:(\d+) (?:failed|errors?)\b|FAILED \((?:failures|errors)=(\d+)(?:, (?:errors|failures)="
                     r"(\d+))?|Found (\d+) errors? in|^# fail (\d+)$|Tests: +(\d+) failed)", re.MULTILINE)


def stated_count(output: str) -> int | None:
    """How many failures the output's own summary states (pytest, unittest, mypy, TAP, jest), or None."""
    numbers = [int(n) for match in _COUNTS.finditer(output) for n in match.groups() if n]
    return sum(numbers) if numbers else None


_TEST_FILE = re.compile(r"(?:^|/)(?:tests?/|test_[^/]*$|[^/]*_test\.py$|conftest\.py$)")


@dataclass
class Cause:
    """Failures that share an exception and a deepest project place: one cause, however many tests show it."""

    record: Failure
    tests: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return max(len(self.tests), 1)

    def text(self) -> str:
        if len(self.tests) <= 1:
            return self.record.text()
        shown = self.record.model_copy(update={"test": None})
        short = list(dict.fromkeys(test.rsplit("::", 1)[-1] for test in self.tests))
        names = ", ".join(short[:4])
        more = f" +{len(short) - 4}" if len(short) > 4 else ""
        return f"{shown.text()} ({len(self.tests)} tests: {names}{more})"


def group_causes(failures: list[Failure]) -> list[Cause]:
    """Failures grouped by (exception, place); causes in the project's own code, and those shared by several
    tests, before symptoms in a test file — so a budget spent in order names every cause first."""
    groups: dict[tuple[str | None, str | None, int | None, str | None], Cause] = {}
    for failure in failures:
        key = (failure.exception, failure.path, failure.line,
               None if failure.path or failure.exception else failure.message)
        if failure.test is None and failure.exception is None:  # a tool's finding is its own cause
            key = (failure.tool, failure.path, failure.line, failure.message)
        cause = groups.setdefault(key, Cause(failure))
        if failure.test:
            cause.tests.append(failure.test)
    order = {id(cause): index for index, cause in enumerate(groups.values())}

    def rank(cause: Cause) -> tuple[int, int, int]:
        symptom = bool(cause.record.path and _TEST_FILE.search(cause.record.path)) and cause.count == 1
        warning = (cause.record.message or "").startswith("warning:")
        return (2 if warning else 1 if symptom else 0, -cause.count if not symptom else 0, order[id(cause)])

    return sorted(groups.values(), key=rank)


_DECISIVE = re.compile(r"\b(?:error|errors|failed|failure|fatal|panic|exception|traceback|not ok|undefined "
                       r"reference|segmentation fault|aborted|denied|conflict|cannot|could not|unable to)\b",
                       re.IGNORECASE)
_ANY_PLACE = re.compile(r"(?P<path>[\w./\\-]+\.\w{1,5})[:(](?P<line>\d+)\b|File \"(?P<pypath>[^\"]+)\", line "
                        r"(?P<pyline>\d+)")
EXIT_MEANINGS = {124: "timed out (timeout's exit code)", 126: "not executable", 127: "command not found",
                 130: "interrupted (SIGINT)", 134: "aborted (SIGABRT)", 137: "killed (SIGKILL: out of memory, or a "
                 "limit)", 139: "segmentation fault (SIGSEGV)", 143: "terminated (SIGTERM)"}


@dataclass(frozen=True)
class Excerpt:
    """What decides a failed output no format claims: its decisive lines, the deepest project place it names,
    and what its exit code means."""

    lines: list[str]
    place: Place | None
    meaning: str | None

    def text(self, limit: int) -> str:
        parts = []
        if self.meaning:
            parts.append(f"exit code means: {self.meaning}")
        if self.place:
            parts.append(f"deepest project place named: {self.place.path}:{self.place.line}")
        kept: list[str] = []
        for line in self.lines:
            if len("\n".join([*parts, *kept, line])) > limit:
                break
            kept.append(line)
        return "\n".join([*parts, *kept])


def decisive_excerpt(output: str, exit_code: int, root: Path) -> Excerpt:
    """The lines that say error / failed / fatal / Traceback / not ok, with a neighbour either side, the deepest
    (last named) project place, and the exit code's meaning — never just the last line."""
    frames = Frames(root)
    lines = [line.rstrip() for line in output.splitlines()]
    chosen: list[int] = []
    for index, line in enumerate(lines):
        if _DECISIVE.search(line):
            chosen += [index - 1, index, index + 1]
    wanted = sorted({i for i in chosen if 0 <= i < len(lines) and lines[i].strip()})
    excerpt: list[str] = []
    previous = -2
    for index in wanted:
        if index != previous + 1 and excerpt:
            excerpt.append("...")
        excerpt.append(clip(lines[index].strip(), 200))
        previous = index
    if not excerpt:  # nothing says error: the last lines, which usually summarise
        excerpt = [clip(line.strip(), 200) for line in lines if line.strip()][-5:]
    place = None
    for match in _ANY_PLACE.finditer(output):
        found = frames.place(match["path"] or match["pypath"], match["line"] or match["pyline"])
        place = found or place
    meaning = EXIT_MEANINGS.get(exit_code) or (f"killed by signal {-exit_code}" if exit_code < 0 else None)
    return Excerpt(_dedupe_runs(excerpt), place, meaning)


def _dedupe_runs(lines: list[str]) -> list[str]:
    """The same line repeated (a progress bar, a retry loop) is kept once."""
    kept: list[str] = []
    for line in lines:
        if line not in kept[-3:]:
            kept.append(line)
    return kept
