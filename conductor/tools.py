"""The worker's tools: typed arguments, JSON schemas, previews (diffs) and execution confined to the project."""

from __future__ import annotations

import difflib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from conductor.config import READ_ONLY_TOOLS
from conductor.errors import ConductorError
from conductor.files import TextFile, count_lines, read_line_range, read_text_file, text_diff, write_text_file
from conductor.guards import PathGuard, check_text
from conductor.messages import ToolCall, ToolSpec
from conductor.shell import ShellResult
from file_cache import FileCache, SymbolNotFoundError, ViewError
from file_cache.cache import IGNORED_DIRS

MAX_READ_LINES = 2000
MAX_READ_CHARS = 200_000
"""A read_file answer is cut here (a huge line, or many long ones), with a note saying how to read on."""
MAX_SEARCH_MATCHES = 100
SEARCH_SECONDS = 10.0
"""A search (a catastrophic pattern included) gives up after this, saying so."""


class _Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReadFileArgs(_Arguments):
    path: str = Field(description="File path relative to the project root.")
    start_line: int | None = Field(default=None, ge=1, description="First line to read (1-based).")
    end_line: int | None = Field(default=None, ge=1, description="Last line to read (inclusive).")


class ListDirectoryArgs(_Arguments):
    path: str = Field(default=".", description="Folder relative to the project root.")


class SearchFilesArgs(_Arguments):
    pattern: str = Field(description="Python regular expression searched line by line.")
    path: str = Field(default=".", description="Folder (or file) to search, relative to the project root.")


class PathArgs(_Arguments):
    path: str = Field(description="Python file path relative to the project root.")


class DefinitionArgs(_Arguments):
    path: str = Field(description="Python file path relative to the project root.")
    symbol: str = Field(description="Name of a class or function; `Class.method` for a method.")


class WriteFileArgs(_Arguments):
    path: str = Field(description="File path relative to the project root; created if missing.")
    content: str = Field(description="The complete new content of the file.")


class EditFileArgs(_Arguments):
    path: str = Field(description="File path relative to the project root.")
    old_text: str = Field(min_length=1, description="Exact text to replace; must occur exactly once in the file.")
    new_text: str = Field(description="Replacement text.")


class RunShellArgs(_Arguments):
    command: str = Field(min_length=1, description="Shell command, run in the project root.")


@dataclass(frozen=True)
class ToolDefinition:
    name: str
    description: str
    arguments: type[_Arguments]

    def spec(self) -> ToolSpec:
        schema = self.arguments.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        schema["additionalProperties"] = False
        return ToolSpec(name=self.name, description=self.description, parameters=schema)


TOOLS: dict[str, ToolDefinition] = {t.name: t for t in [
    ToolDefinition("read_file", "Read a text file (the raw text). Use start_line/end_line for long files.",
                   ReadFileArgs),
    ToolDefinition("list_directory", "List the files and folders under a folder of the project (paths only).",
                   ListDirectoryArgs),
    ToolDefinition("search_files", "Search files for a regular expression; returns path:line: text matches.",
                   SearchFilesArgs),
    ToolDefinition("get_skeleton", "Signatures of every class and function of a Python file, bodies hidden. "
                   "Cheapest way to learn a module's API.", PathArgs),
    ToolDefinition("get_curated_view", "A Python file's structure with docstrings and comments; only bodies "
                   "marked @core_logic or # [HOT] are shown.", PathArgs),
    ToolDefinition("get_definition", "The full source of one class or function of a Python file.", DefinitionArgs),
    ToolDefinition("write_file", "Create or overwrite a file with the given complete content.", WriteFileArgs),
    ToolDefinition("edit_file", "Replace one exact occurrence of old_text with new_text in a file. Include enough "
                   "surrounding lines to make old_text unique.", EditFileArgs),
    ToolDefinition("run_shell", "Run a shell command in the project root (tests, linters). A failing command's "
                   "output comes back as a short hint plus its decisive lines.", RunShellArgs),
]}
MUTATING_TOOLS = frozenset(name for name in TOOLS if name not in READ_ONLY_TOOLS)
"""write_file, edit_file, run_shell: everything not in `config.READ_ONLY_TOOLS`."""
assert set(READ_ONLY_TOOLS) <= set(TOOLS), "READ_ONLY_TOOLS names a tool that does not exist"


@cache
def tool_specs() -> list[ToolSpec]:
    """The specs sent with every request (built once: schema generation is not free)."""
    return [tool.spec() for tool in TOOLS.values()]


class ToolArgumentError(ValueError):
    """Arguments that do not fit the tool's schema; the message is meant for the model or the human."""


def parse_arguments(name: str, arguments: dict[str, Any]) -> _Arguments:
    if name not in TOOLS:
        raise ToolArgumentError(f"unknown tool {name!r}; available: {', '.join(TOOLS)}")
    try:
        parsed = TOOLS[name].arguments.model_validate(arguments)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, p['loc'])) or 'arguments'}: {p['msg']}"[:300]
                             for p in error.errors()[:5])
        raise ToolArgumentError(f"invalid arguments for {name}: {problems}") from None
    except (RecursionError, ValueError) as error:
        raise ToolArgumentError(f"invalid arguments for {name}: {type(error).__name__}") from None
    for key in ("path", "command"):
        value = getattr(parsed, key, None)
        if isinstance(value, str):
            try:
                check_text(key, value)
            except ConductorError as error:
                raise ToolArgumentError(f"invalid arguments for {name}: {error}") from None
    return parsed


def parse_edited_json(name: str, text: str) -> dict[str, Any]:
    """Arguments a human typed as JSON: parsed and validated, or ToolArgumentError with the parse error."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ToolArgumentError(f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
    except RecursionError:
        raise ToolArgumentError("invalid JSON: nested too deep") from None
    if not isinstance(value, dict):
        raise ToolArgumentError("the arguments must be a JSON object")
    return parse_arguments(name, value).model_dump(exclude_defaults=False)


@dataclass(frozen=True)
class FileChange:
    """One write, for undo: the file before (None: it did not exist) and after, as bytes-faithful text."""

    path: str
    before: TextFile | None
    after: TextFile


@dataclass
class ToolOutcome:
    """What a tool did: the text for the model, and what the engine records."""

    content: str
    is_error: bool = False
    change: FileChange | None = None
    shell: ShellResult | None = None


@dataclass
class ProjectTools:
    """Tool executor over one project root; satisfies the ToolExecutor protocol. Every path goes through the
    guard (confinement, secrets, `.git/`, the tracks folder), every file read is bounded in size."""

    cache: FileCache
    """Serves the views."""
    guard: PathGuard
    run_command: Callable[[str], ShellResult]
    max_file_bytes: int = 20_000_000
    """Files above this are streamed (read_file), skipped (search_files) or refused (views, edits)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def specs(self) -> list[ToolSpec]:
        return tool_specs()

    # -- previews ------------------------------------------------------------------------------------
    def preview(self, call: ToolCall) -> str | None:
        """Unified diff of a file write, or None for other tools; raises ToolArgumentError/ViewError."""
        texts = self.preview_texts(call)
        if texts is None:
            return None
        path, before, after = texts
        return text_diff(path, before, after)

    def preview_texts(self, call: ToolCall) -> tuple[str, str | None, str] | None:
        """A file write's path and the file's text before (None: a new file) and after; None for other tools.
        Raises ToolArgumentError/ViewError as `preview` does."""
        if call.name not in ("write_file", "edit_file"):
            return None
        args = parse_arguments(call.name, call.arguments)
        assert isinstance(args, WriteFileArgs | EditFileArgs)
        path = self._writable(args.path)
        before = self._current(path)
        after = self._new_file(args, before)
        return self.guard.relative(path), before.text if before else None, after.text

    def _new_file(self, args: WriteFileArgs | EditFileArgs, before: TextFile | None) -> TextFile:
        if isinstance(args, WriteFileArgs):
            text = args.content
            if before is not None and before.crlf and "\r\n" not in text:
                text = text.replace("\n", "\r\n")  # the file's own line endings
            return before.with_text(text) if before is not None else TextFile.new(text)
        if before is None:
            raise ViewError(f"{args.path}: no such file (use write_file to create it)")
        old_text, new_text = args.old_text, args.new_text
        if before.crlf and "\r\n" not in old_text and before.text.count(old_text) == 0:
            # the model reads lines without their CR: match and write in the file's own line endings
            old_text, new_text = old_text.replace("\n", "\r\n"), new_text.replace("\n", "\r\n")
        count = before.text.count(old_text)
        if count == 0:
            first = old_text.strip().splitlines()[0] if old_text.strip() else ""
            close = difflib.get_close_matches(first, before.text.splitlines(), n=1, cutoff=0.6)
            hint = f"; the closest line is {close[0].strip()!r}" if close else ""
            raise ViewError(f"{args.path}: old_text not found{hint}. Read the file again and copy the text exactly")
        if count > 1:
            raise ViewError(f"{args.path}: old_text is ambiguous ({count} matches); include more surrounding lines")
        return before.with_text(before.text.replace(old_text, new_text, 1))

    # -- execution -----------------------------------------------------------------------------------
    def execute(self, call: ToolCall) -> ToolOutcome:
        """Run one call; every failure comes back as an error outcome for the model, never as an exception."""
        try:
            args = parse_arguments(call.name, call.arguments)
            handler: Callable[[Any], ToolOutcome] = getattr(self, f"_tool_{call.name}")
            return handler(args)
        except (ToolArgumentError, ViewError, SymbolNotFoundError, ConductorError, OSError, ValueError,
                RecursionError, MemoryError, regex.error) as error:
            return ToolOutcome(content=f"error: {str(error)[:2000]}", is_error=True)

    def _tool_read_file(self, args: ReadFileArgs) -> ToolOutcome:
        path = self._readable_file(args.path, limit=False)
        start = args.start_line or 1
        end = args.end_line or start + MAX_READ_LINES - 1
        if end < start:
            raise ViewError(f"end_line {end} is before start_line {start}")
        text, cut = read_line_range(path, start, end, MAX_READ_CHARS)
        total = count_lines(path)
        end = min(end, total)
        note = ""
        if cut:
            note = f"\n[cut at {MAX_READ_CHARS} characters; read fewer lines at a time]"
        elif start > 1 or end < total:
            note = f"\n[lines {start}-{end} of {total}; pass start_line/end_line for more]"
        return ToolOutcome(text + note)

    def _tool_list_directory(self, args: ListDirectoryArgs) -> ToolOutcome:
        folder = self.guard.readable(args.path)
        return ToolOutcome(self.cache.directory_map(folder, max_entries=500, include=self.guard.allows))

    def _tool_search_files(self, args: SearchFilesArgs) -> ToolOutcome:
        try:
            pattern = regex.compile(args.pattern)
        except (regex.error, OverflowError, ValueError, RecursionError, MemoryError) as error:
            raise ViewError(f"invalid pattern: {error}") from None
        base = self.guard.readable(args.path)
        deadline = time.monotonic() + SEARCH_SECONDS
        found: list[str] = []
        for path in self._searchable_files(base):
            try:
                if path.stat().st_size > self.max_file_bytes:
                    continue
                text = path.read_bytes().decode("utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            for number, line in enumerate(text.splitlines(), 1):
                remaining = deadline - time.monotonic()
                try:
                    if remaining <= 0:
                        raise TimeoutError
                    hit = pattern.search(line, timeout=remaining)
                except TimeoutError:
                    found.append(f"[search stopped after {SEARCH_SECONDS:.0f} s: simplify the pattern or narrow "
                                 "the path]")
                    return ToolOutcome("\n".join(found))
                if hit:
                    found.append(f"{self.guard.relative(path)}:{number}: {line.strip()[:200]}")
                    if len(found) >= MAX_SEARCH_MATCHES:
                        return ToolOutcome("\n".join(found) + f"\n[stopped at {MAX_SEARCH_MATCHES} matches]")
        return ToolOutcome("\n".join(found) or "no matches")

    def _searchable_files(self, base: Path) -> list[Path]:
        """Every file under ``base`` as resolved (symlinks followed to their target), that the guard allows."""
        if base.is_file():
            return [base]
        files: list[Path] = []
        for current, dirs, names in os.walk(base):  # symlinked folders are not entered
            dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
            for name in sorted(names):
                listed = Path(current) / name
                try:
                    resolved = listed.resolve()
                except (OSError, RuntimeError):
                    continue
                if resolved.is_file() and self.guard.allows(resolved):
                    files.append(resolved)
        return list(dict.fromkeys(files))

    def _tool_get_skeleton(self, args: PathArgs) -> ToolOutcome:
        view = self.cache.view(self._readable_file(args.path), "skeleton")
        return ToolOutcome(view.text or "(no classes or functions)")

    def _tool_get_curated_view(self, args: PathArgs) -> ToolOutcome:
        return ToolOutcome(self.cache.view(self._readable_file(args.path), "curated").text or "(empty)")

    def _tool_get_definition(self, args: DefinitionArgs) -> ToolOutcome:
        return ToolOutcome(self.cache.definition(self._readable_file(args.path), args.symbol).text)

    def _tool_write_file(self, args: WriteFileArgs) -> ToolOutcome:
        return self._write(args)

    def _tool_edit_file(self, args: EditFileArgs) -> ToolOutcome:
        return self._write(args)

    def _write(self, args: WriteFileArgs | EditFileArgs) -> ToolOutcome:
        path = self._writable(args.path)
        with self._lock:
            before = self._current(path)
            after = self._new_file(args, before)
            write_text_file(path, after)
        relative = self.guard.relative(path)
        verb = "created" if before is None else "updated"
        return ToolOutcome(f"{verb} {relative} ({after.text.count(chr(10))} lines)",
                           change=FileChange(relative, before, after))

    def _tool_run_shell(self, args: RunShellArgs) -> ToolOutcome:
        result = self.run_command(args.command)
        return ToolOutcome(content="", is_error=result.exit_code != 0, shell=result)

    # -- paths ---------------------------------------------------------------------------------------
    def _readable_file(self, path: str, limit: bool = True) -> Path:
        resolved = self.guard.readable(path)
        if not resolved.is_file():
            raise ViewError(f"{path}: no such file" if not resolved.exists() else f"{path}: not a regular file")
        size = resolved.stat().st_size
        if limit and size > self.max_file_bytes:
            raise ViewError(f"{path}: {size} bytes, above the {self.max_file_bytes}-byte limit for views; use "
                            "read_file with start_line/end_line")
        return resolved

    def _writable(self, path: str) -> Path:
        return self.guard.writable(path)

    def _current(self, path: Path) -> TextFile | None:
        return read_text_file(path, self.max_file_bytes)
