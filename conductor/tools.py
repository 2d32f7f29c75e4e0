"""The worker's tools: each a definition that carries its arguments' model and its implementation; calls validated
once where they enter (`validate_call`), then previewed (diffs) and run confined to the project."""

from __future__ import annotations

import difflib
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from conductor.config import READ_ONLY_TOOLS
from conductor.errors import ConductorError
from conductor.files import TextFile, count_lines, read_line_range, read_text_file, text_diff, write_text_file
from conductor.guards import PathGuard, check_text
from conductor.messages import INVALID_ARGUMENTS, ToolCall, ToolSpec
from conductor.shell import ShellResult
from conductor.text import validation_problems
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
    """A tool as the model sees it (name, description, arguments' schema) and the code that runs it."""

    name: str
    description: str
    arguments: type[BaseModel]
    """Validates the call's arguments (extra keys refused); its JSON schema is the tool's parameters."""
    implementation: Callable[[Any, Any], ToolOutcome]
    """Runs a validated call: ``implementation(toolbox, arguments)``; raises on a call that cannot run."""

    @cached_property
    def spec(self) -> ToolSpec:
        """What the model is offered (made once: schema generation is not free)."""
        schema = self.arguments.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            if isinstance(prop, dict):
                prop.pop("title", None)
        schema["additionalProperties"] = False
        return ToolSpec(name=self.name, description=self.description, parameters=schema)


class ToolArgumentError(ValueError):
    """Arguments that do not fit the tool's schema; the message is meant for the model or the human."""


@dataclass(frozen=True)
class ToolRequest:
    """A call whose arguments were validated where it entered (a model's answer, a person's edit, an MCP client):
    what is previewed, approved and run, never parsed again."""

    call: ToolCall
    tool: ToolDefinition
    arguments: BaseModel

    @property
    def name(self) -> str:
        return self.call.name


def validate_call(call: ToolCall, tools: Mapping[str, ToolDefinition]) -> ToolRequest:
    """The one validation of a call's arguments against its tool; ToolArgumentError says what is wrong."""
    if INVALID_ARGUMENTS in call.arguments:  # the provider could not even read them as a JSON object
        raise ToolArgumentError(f"your arguments were refused: {call.arguments[INVALID_ARGUMENTS]}")
    tool = tools.get(call.name)
    if tool is None:
        raise ToolArgumentError(f"unknown tool {call.name!r}; available: {', '.join(tools)}")
    try:
        parsed = tool.arguments.model_validate(call.arguments)
    except ValidationError as error:
        raise ToolArgumentError(f"invalid arguments for {call.name}: {validation_problems(error)}") from None
    except (RecursionError, ValueError) as error:
        raise ToolArgumentError(f"invalid arguments for {call.name}: {type(error).__name__}") from None
    for key in ("path", "command"):
        value = getattr(parsed, key, None)
        if isinstance(value, str):
            try:
                check_text(key, value)
            except ConductorError as error:
                raise ToolArgumentError(f"invalid arguments for {call.name}: {error}") from None
    return ToolRequest(call, tool, parsed)


def edited_request(call: ToolCall, text: str) -> ToolRequest:
    """The call with arguments a person typed as JSON, validated; ToolArgumentError with the parse error."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ToolArgumentError(f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
    except RecursionError:
        raise ToolArgumentError("invalid JSON: nested too deep") from None
    if not isinstance(value, dict):
        raise ToolArgumentError("the arguments must be a JSON object")
    return edited(call, value)


def edited(call: ToolCall, arguments: dict[str, Any]) -> ToolRequest:
    """The call with other arguments, validated; the call carries them as validated (defaults filled in), as they
    will run. ToolArgumentError when they do not fit."""
    request = validate_call(call.model_copy(update={"arguments": arguments}), TOOLS)
    return replace(request, call=request.call.model_copy(update={"arguments": request.arguments.model_dump()}))


@dataclass(frozen=True)
class FileChange:
    """One write, for undo: the file before (None: it did not exist) and after, as bytes-faithful text."""

    path: str
    before: TextFile | None
    after: TextFile


@dataclass(frozen=True)
class ToolOutcome:
    """What a tool did: the text for the model, and what the engine records."""

    content: str = ""
    error: Exception | None = None
    """Why the call could not run (refused arguments or path, a missing file, ...), as raised."""
    change: FileChange | None = None
    shell: ShellResult | None = None
    final: bool = False
    """The call ends the run (the planner's proposal, accepted or out of attempts)."""

    @classmethod
    def failed(cls, error: Exception, final: bool = False) -> ToolOutcome:
        return cls(content=f"error: {str(error)[:2000]}", error=error, final=final)

    @property
    def is_error(self) -> bool:
        """The call failed, or its command exited non-zero."""
        return self.error is not None or (self.shell is not None and self.shell.exit_code != 0)


@dataclass
class ProjectTools:
    """Tool executor over one project root; satisfies the ToolExecutor protocol. Every path goes through the
    guard (confinement, secrets, `.git/`, the tracks folder), every file read is bounded in size."""

    cache: FileCache
    """Serves the views."""
    guard: PathGuard
    run_command: Callable[[str], ShellResult] | None = None
    """Runs `run_shell`'s commands (the engine's sandboxed runner); None where no command may run (the planner,
    the MCP server)."""
    max_file_bytes: int = 20_000_000
    """Files above this are streamed (read_file), skipped (search_files) or refused (views, edits)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def tools(self) -> Mapping[str, ToolDefinition]:
        """The tools this executor offers and runs."""
        return TOOLS

    def specs(self) -> list[ToolSpec]:
        return specs_of(self.tools)

    def validate(self, call: ToolCall) -> ToolRequest:
        """The call validated against this executor's tools; ToolArgumentError when it does not fit."""
        return validate_call(call, self.tools)

    # -- previews ------------------------------------------------------------------------------------
    def preview(self, request: ToolRequest) -> str | None:
        """Unified diff of a file write, or None for other tools; raises ViewError/ConductorError."""
        texts = self.preview_texts(request)
        if texts is None:
            return None
        path, before, after = texts
        return text_diff(path, before, after)

    def preview_texts(self, request: ToolRequest) -> tuple[str, str | None, str] | None:
        """A file write's path and the file's text before (None: a new file) and after; None for other tools.
        Raises as `preview` does."""
        args = request.arguments
        if not isinstance(args, WriteFileArgs | EditFileArgs):
            return None
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
    def execute(self, request: ToolRequest) -> ToolOutcome:
        """Run one validated call; every failure comes back as an error outcome, never as an exception."""
        try:
            return request.tool.implementation(self, request.arguments)
        except (ViewError, SymbolNotFoundError, ConductorError, OSError, ValueError, RecursionError, MemoryError,
                regex.error) as error:
            return ToolOutcome.failed(error)

    def run(self, call: ToolCall) -> ToolOutcome:
        """A call entering here (an MCP client, the planner, a test): validated, then run."""
        try:
            request = self.validate(call)
        except ToolArgumentError as error:
            return ToolOutcome.failed(error)
        return self.execute(request)

    def read_file(self, args: ReadFileArgs) -> ToolOutcome:
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

    def list_directory(self, args: ListDirectoryArgs) -> ToolOutcome:
        folder = self.guard.readable(args.path)
        return ToolOutcome(self.cache.directory_map(folder, max_entries=500, include=self.guard.allows))

    def search_files(self, args: SearchFilesArgs) -> ToolOutcome:
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

    def get_skeleton(self, args: PathArgs) -> ToolOutcome:
        view = self.cache.view(self._readable_file(args.path), "skeleton")
        return ToolOutcome(view.text or "(no classes or functions)")

    def get_curated_view(self, args: PathArgs) -> ToolOutcome:
        return ToolOutcome(self.cache.view(self._readable_file(args.path), "curated").text or "(empty)")

    def get_definition(self, args: DefinitionArgs) -> ToolOutcome:
        return ToolOutcome(self.cache.definition(self._readable_file(args.path), args.symbol).text)

    def write_file(self, args: WriteFileArgs) -> ToolOutcome:
        return self._write(args)

    def edit_file(self, args: EditFileArgs) -> ToolOutcome:
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

    def run_shell(self, args: RunShellArgs) -> ToolOutcome:
        if self.run_command is None:
            raise ConductorError("no command runs here")
        result = self.run_command(args.command)
        return ToolOutcome(shell=result)

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


TOOLS: dict[str, ToolDefinition] = {t.name: t for t in [
    ToolDefinition("read_file", "Read a text file (the raw text). Use start_line/end_line for long files.",
                   ReadFileArgs, ProjectTools.read_file),
    ToolDefinition("list_directory", "List the files and folders under a folder of the project (paths only).",
                   ListDirectoryArgs, ProjectTools.list_directory),
    ToolDefinition("search_files", "Search files for a regular expression; returns path:line: text matches.",
                   SearchFilesArgs, ProjectTools.search_files),
    ToolDefinition("get_skeleton", "Signatures of every class and function of a Python file, bodies hidden. "
                   "Cheapest way to learn a module's API.", PathArgs, ProjectTools.get_skeleton),
    ToolDefinition("get_curated_view", "A Python file's structure with docstrings and comments; only bodies "
                   "marked @core_logic or # [HOT] are shown.", PathArgs, ProjectTools.get_curated_view),
    ToolDefinition("get_definition", "The full source of one class or function of a Python file.", DefinitionArgs,
                   ProjectTools.get_definition),
    ToolDefinition("write_file", "Create or overwrite a file with the given complete content.", WriteFileArgs,
                   ProjectTools.write_file),
    ToolDefinition("edit_file", "Replace one exact occurrence of old_text with new_text in a file. Include enough "
                   "surrounding lines to make old_text unique.", EditFileArgs, ProjectTools.edit_file),
    ToolDefinition("run_shell", "Run a shell command in the project root (tests, linters). A failing command's "
                   "output comes back as a short hint plus its decisive lines.", RunShellArgs, ProjectTools.run_shell),
]}
MUTATING_TOOLS = frozenset(name for name in TOOLS if name not in READ_ONLY_TOOLS)
"""write_file, edit_file, run_shell: everything not in `config.READ_ONLY_TOOLS`."""
assert set(READ_ONLY_TOOLS) <= set(TOOLS), "READ_ONLY_TOOLS names a tool that does not exist"


def specs_of(tools: Mapping[str, ToolDefinition]) -> list[ToolSpec]:
    """The specs sent with every request for these tools."""
    return [tool.spec for tool in tools.values()]
