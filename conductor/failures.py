"""Failed commands read as failures: one record per failure, each with its own test, exception and place.

What the common runners print is parsed family by family, the first that finds anything wins:
pytest (long, short, line, native and `-q` tracebacks, the short test summary, errors at setup and during
collection, parametrized and class-based ids), unittest, plain Python tracebacks (chained: with "direct cause"
the root exception and its place are kept; "during handling" keeps the handler's failure and names what it was
handling), `SyntaxError` with file and line, and `path:line[:col]: message` tools (mypy, ruff in either format,
flake8, compilers). A record's place is the deepest frame inside the project (never site-packages or the
standard library); the facts of one failure are never mixed with another's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

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

    def text(self) -> str:
        """The record on one line, each fact once."""
        parts = [self.test] if self.test else []
        what = ": ".join(p for p in (self.exception, self.message) if p)
        if what:
            parts.append(clip(what, 200))
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


_SUMMARY = re.compile(r"^(?P<kind>FAILED|ERROR) (?P<id>[^\s(]\S*?)(?: - (?P<message>.*))?$")
_SECTION = re.compile(r"^_{3,} (?P<title>.+?) _{3,}$")
_AREA = re.compile(r"^={3,} (?P<name>FAILURES|ERRORS|short test summary info|warnings summary|.* in [\d.]+s.*) ={3,}$")
_PYTEST_FRAME = re.compile(r"^(?P<path>[^\s:'\"][^:\n]*\.pyi?):(?P<line>\d+):(?: (?P<rest>.*))?$")
_PY_FRAME = re.compile(r'^\s*(?:E\s+)?File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<function>.+))?$')
_EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::\s?(?P<message>.*))?$")
_UNITTEST = re.compile(r"^(?P<kind>FAIL|ERROR): (?P<name>\S+) \((?P<where>[\w.]+)\)")
_TOOL = re.compile(r"^(?P<path>[^\s:][^:\n]*\.\w+):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<message>.+)$")
_RUFF_HEAD = re.compile(r"^(?P<code>[A-Z]+\d+) (?:\[\*\] )?(?P<message>.+)$")
_RUFF_AT = re.compile(r"^\s*--> (?P<path>[^:\s]+):(?P<line>\d+):(?P<col>\d+)$")
_DIRECT_CAUSE = "The above exception was the direct cause of the following exception:"
_DURING = "During handling of the above exception, another exception occurred:"
_NOT_EXCEPTIONS = {"Traceback", "Hint", "E", "During", "The"}


class Frames:
    """Resolves a reported path to one inside the project (else None) and reads its source line."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def inside(self, path: str) -> str | None:
        candidate = Path(path)
        candidate = candidate if candidate.is_absolute() else self.root / candidate
        try:
            resolved = candidate.resolve()
            relative = resolved.relative_to(self.root)
        except (OSError, ValueError, RuntimeError):  # RuntimeError: a symlink loop
            return None
        if not resolved.is_file() or {"site-packages", ".venv", "venv", "dist-packages"} & set(relative.parts):
            return None
        return relative.as_posix()

    def source(self, path: str, line: int) -> str | None:
        try:
            with (self.root / path).open(encoding="utf-8", errors="replace") as handle:
                for number, text in enumerate(handle, 1):
                    if number == line:
                        return text.strip() or None
        except OSError:
            return None
        return None


def parse_failures(output: str, root: Path) -> list[Failure]:
    """The failures an output reports, in the order it reports them ([] when it is none of the known kinds)."""
    frames = Frames(root)
    lines = output.splitlines()
    parsers: list[Callable[[list[str], Frames], list[Failure]]] = [_pytest, _unittest, _tracebacks, _tools]
    for parser in parsers:
        found = parser(lines, frames)
        if found:
            return found
    return []


# -- pytest ------------------------------------------------------------------------------------------------
def _pytest(lines: list[str], frames: Frames) -> list[Failure]:
    summary = [match for line in lines if (match := _SUMMARY.match(line.rstrip()))]
    areas = _areas(lines)
    if not summary and not areas.get("FAILURES") and not areas.get("ERRORS"):
        return []
    chunks = {name: _chunks(areas.get(name, [])) for name in ("ERRORS", "FAILURES")}
    entries = {"ERRORS": [m for m in summary if m["kind"] == "ERROR"],
               "FAILURES": [m for m in summary if m["kind"] == "FAILED"]}
    failures: list[Failure] = []
    for area in ("FAILURES", "ERRORS"):
        area_chunks = chunks[area]
        used: set[int] = set()
        for index, entry in enumerate(entries[area]):
            chunk_index = _chunk_for(entry["id"], area_chunks, index, used)
            body = area_chunks[chunk_index][1] if chunk_index is not None else []
            if chunk_index is not None:
                used.add(chunk_index)
            failures.append(_pytest_failure(entry["id"], entry["message"], body, frames))
        for index, (title, body) in enumerate(area_chunks):  # no summary line (e.g. -rN): the section alone
            if index not in used and title is not None:
                failures.append(_pytest_failure(_node_id(title, body, frames), None, body, frames))
    order = {m["id"]: n for n, m in enumerate(summary)}
    return sorted(failures, key=lambda f: order.get(f.test or "", len(order)))


def _areas(lines: list[str]) -> dict[str, list[str]]:
    areas: dict[str, list[str]] = {}
    current: str | None = None
    for line in lines:
        match = _AREA.match(line.rstrip())
        if match:
            current = match["name"] if match["name"] in ("FAILURES", "ERRORS") else None
            continue
        if current is not None:
            areas.setdefault(current, []).append(line)
    return areas


def _chunks(lines: list[str]) -> list[tuple[str | None, list[str]]]:
    """An area split per failure: by `___ title ___` headers, or (`--tb=line`) after each `path:line: ...`."""
    chunks: list[tuple[str | None, list[str]]] = []
    if any(_SECTION.match(line.rstrip()) for line in lines):
        for line in lines:
            match = _SECTION.match(line.rstrip())
            if match:
                chunks.append((match["title"], []))
            elif chunks:
                chunks[-1][1].append(line)
        return chunks
    current: list[str] = []
    for line in lines:
        current.append(line)
        if _PYTEST_FRAME.match(line.rstrip()) and not line.startswith(" "):
            chunks.append((None, current))
            current = []
    return chunks


def _title_of(node_id: str) -> str:
    """The section title pytest prints for a node id: `tests/t.py::TestA::test_b[x]` -> `TestA.test_b[x]`."""
    return ".".join(node_id.split("::")[1:]) or node_id


def _chunk_for(node_id: str, chunks: list[tuple[str | None, list[str]]], index: int, used: set[int]) -> int | None:
    title = _title_of(node_id)
    for number, (chunk_title, _) in enumerate(chunks):
        if number in used or chunk_title is None:
            continue
        bare = re.sub(r"^ERROR (?:at (?:setup|teardown) of |collecting )", "", chunk_title)
        if bare in (title, node_id):
            return number
    if chunks and all(t is None for t, _ in chunks) and index < len(chunks) and index not in used:
        return index  # `--tb=line`: failures are printed in the summary's order
    return None


def _node_id(title: str, body: list[str], frames: Frames) -> str:
    title = re.sub(r"^ERROR (?:at (?:setup|teardown) of |collecting )", "", title)
    if "/" in title or title.endswith(".py"):
        return title
    first = next((frames.inside(m["path"]) for line in body if (m := _PYTEST_FRAME.match(line.strip()))), None)
    parts = re.split(r"\.(?![^\[]*\])", title)  # dots outside a parameter id
    return "::".join([first, *parts]) if first else title


def _pytest_failure(node_id: str, summary_message: str | None, body: list[str], frames: Frames) -> Failure:
    place: tuple[str, int, str | None] | None = None
    terminal_type: str | None = None
    error_lines: list[str] = []
    for raw in body:
        line = raw.rstrip()
        stripped = line.strip()
        frame = _PYTEST_FRAME.match(stripped) if not line.startswith(("E ", "    ")) else None
        python_frame = _PY_FRAME.match(line)
        if frame:
            path = frames.inside(frame["path"])
            rest = frame["rest"] or ""
            if path:
                place = (path, int(frame["line"]), rest[3:] if rest.startswith("in ") else None)
            if rest and not rest.startswith("in "):
                terminal_type = rest
        elif python_frame:
            path = frames.inside(python_frame["path"])
            if path:
                place = (path, int(python_frame["line"]), python_frame["function"])
        elif line.startswith("E "):
            error_lines.append(line[1:].strip())
    if not error_lines:  # --tb=native: the section is a plain traceback
        chain = _traceback_chain(body, frames)
        if chain is not None:
            native = chain.failure(node_id)
            return native if native.path else native.model_copy(update=_place_fields(place, frames))
    exception, message = _exception_from(error_lines, terminal_type, summary_message)
    return _failure(node_id, exception, message, place, frames)


def _place_fields(place: tuple[str, int, str | None] | None, frames: Frames) -> dict[str, object]:
    if place is None:
        return {}
    path, line, function = place
    return {"path": path, "line": line, "function": function, "source": frames.source(path, line)}


def _exception_from(error_lines: list[str], terminal: str | None, summary: str | None) -> tuple[str | None, str | None]:
    """Type and message from the `E` lines, the long format's closing `path:line: Type`, or the summary."""
    candidates = [line for line in error_lines if not line.startswith(("+", "File ", "where"))]
    first = candidates[0] if candidates else (summary or None)
    for text in [*candidates, summary or "", terminal or ""]:
        match = _EXCEPTION.match(text)
        if match and _looks_like_exception(match["type"]) and (match["message"] is not None or text == match["type"]):
            return match["type"].rsplit(".", 1)[-1], match["message"] or (first if first != text else None)
    if first and first.startswith("assert"):
        return "AssertionError", first
    if terminal and _looks_like_exception(terminal.split(":")[0]):
        return terminal.split(":")[0].rsplit(".", 1)[-1], first
    return None, first


def _looks_like_exception(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return bool(last) and last[0].isupper() and last not in _NOT_EXCEPTIONS and " " not in name


def _failure(test: str | None, exception: str | None, message: str | None,
             place: tuple[str, int, str | None] | None, frames: Frames, cause: str | None = None) -> Failure:
    if place is None:
        return Failure(test=test, exception=exception, message=message, cause=cause)
    path, line, function = place
    return Failure(test=test, exception=exception, message=message, path=path, line=line,
                   function=function if function and function != "<module>" else None,
                   source=frames.source(path, line), cause=cause)


# -- unittest ----------------------------------------------------------------------------------------------
def _unittest(lines: list[str], frames: Frames) -> list[Failure]:
    failures: list[Failure] = []
    for index, line in enumerate(lines):
        match = _UNITTEST.match(line)
        if not match:
            continue
        where, name = match["where"], match["name"]
        test = where if where.endswith("." + name) else f"{where}.{name}"
        block: list[str] = []
        for following in lines[index + 1:]:
            if following.startswith("=" * 10) or (following.startswith("-" * 10) and block):
                break
            if not following.startswith("-" * 10):
                block.append(following)
        chain = _traceback_chain(block, frames)
        failures.append(chain.failure(test) if chain else Failure(test=test))
    return failures


# -- plain tracebacks --------------------------------------------------------------------------------------
class _Traceback:
    def __init__(self) -> None:
        self.place: tuple[str, int, str | None] | None = None
        self.exception: str | None = None
        self.message: str | None = None


class _Chain:
    """One printed exception, with the tracebacks chained before it and how they are linked."""

    def __init__(self, frames: Frames) -> None:
        self.frames = frames
        self.parts: list[_Traceback] = []
        self.links: list[str] = []

    def failure(self, test: str | None = None) -> Failure:
        last = self.parts[-1]
        cause = None
        place = last.place
        if self.links and self.links[-1] == _DIRECT_CAUSE:
            root = self.parts[0]  # raised "from" a root cause: its place is where the fix goes
            cause = ": ".join(p for p in (root.exception, root.message) if p)
            place = root.place or last.place
        elif self.links:
            handled = self.parts[-2]
            cause = "while handling " + ": ".join(p for p in (handled.exception, handled.message) if p)
        return _failure(test, last.exception, last.message, place, self.frames, cause)


def _traceback_chain(lines: list[str], frames: Frames) -> _Chain | None:
    chains = _chains(lines, frames)
    return chains[0] if chains else None


def _chains(lines: list[str], frames: Frames) -> list[_Chain]:
    chains: list[_Chain] = []
    current: _Chain | None = None
    part: _Traceback | None = None
    pending_link: str | None = None
    expecting_exception = False
    for raw in lines:
        line = raw.rstrip()
        if line.startswith("Traceback (most recent call last)") or (
                _PY_FRAME.match(line) and part is None):
            if current is None or pending_link is None:
                current = _Chain(frames)
                chains.append(current)
            elif pending_link is not None:
                current.links.append(pending_link)
            pending_link = None
            part = _Traceback()
            current.parts.append(part)
            expecting_exception = False
            if not line.startswith("Traceback"):
                _add_frame(part, line, frames)
                expecting_exception = True
            continue
        if line in (_DIRECT_CAUSE, _DURING):
            pending_link = line
            continue
        if part is None:
            continue
        if _PY_FRAME.match(line):
            _add_frame(part, line, frames)
            expecting_exception = True
            continue
        if expecting_exception and line and not line.startswith((" ", "\t")):
            match = _EXCEPTION.match(line)
            if match and _looks_like_exception(match["type"]):
                part.exception = match["type"].rsplit(".", 1)[-1]
                part.message = match["message"]
                part = None
                expecting_exception = False
    return [chain for chain in chains if chain.parts and chain.parts[-1].exception]


def _add_frame(part: _Traceback, line: str, frames: Frames) -> None:
    match = _PY_FRAME.match(line)
    if match:
        path = frames.inside(match["path"])
        if path:
            part.place = (path, int(match["line"]), match["function"])


def _tracebacks(lines: list[str], frames: Frames) -> list[Failure]:
    return [chain.failure() for chain in _chains(lines, frames)]


# -- path:line tools ---------------------------------------------------------------------------------------
def _tools(lines: list[str], frames: Frames) -> list[Failure]:
    failures: list[Failure] = []
    for index, raw in enumerate(lines):
        line = raw.rstrip()
        match = _TOOL.match(line)
        if match:
            path = frames.inside(match["path"])
            if path:
                failures.append(_failure(None, None, match["message"].strip(), (path, int(match["line"]), None),
                                         frames))
            continue
        at = _RUFF_AT.match(line)
        if at and index > 0:
            head = _RUFF_HEAD.match(lines[index - 1].strip())
            path = frames.inside(at["path"])
            if head and path:
                failures.append(_failure(None, None, f"{head['code']} {head['message']}",
                                         (path, int(at["line"]), None), frames))
    return failures
