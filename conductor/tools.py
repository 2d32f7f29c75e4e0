"""The worker's tools: typed arguments, JSON schemas, previews (diffs) and execution confined to the project."""

from __future__ import annotations

import difflib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from conductor.messages import ToolCall, ToolSpec
from conductor.shell import ShellResult
from conductor.store import atomic_write
from file_cache import FileCache, PathOutsideRootError, SymbolNotFoundError, ViewError
from file_cache.cache import IGNORED_DIRS

MAX_READ_LINES = 2000
MAX_SEARCH_MATCHES = 100
MUTATING_TOOLS = frozenset({"write_file", "edit_file", "run_shell"})


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
        return TOOLS[name].arguments.model_validate(arguments)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, p['loc'])) or 'arguments'}: {p['msg']}" for p in error.errors())
        raise ToolArgumentError(f"invalid arguments for {name}: {problems}") from None


def parse_edited_json(name: str, text: str) -> dict[str, Any]:
    """Arguments a human typed as JSON: parsed and validated, or ToolArgumentError with the parse error."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ToolArgumentError(f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
    if not isinstance(value, dict):
        raise ToolArgumentError("the arguments must be a JSON object")
    return parse_arguments(name, value).model_dump(exclude_defaults=False)


@dataclass(frozen=True)
class FileChange:
    """One write, for undo: the content before (None: the file did not exist) and after."""

    path: str
    before: str | None
    after: str


@dataclass
class ToolOutcome:
    """What a tool did: the text for the model, and what the engine records."""

    content: str
    is_error: bool = False
    change: FileChange | None = None
    shell: ShellResult | None = None
    command: str | None = None


@dataclass
class ProjectTools:
    """Tool executor over one project root; satisfies the ToolExecutor protocol."""

    cache: FileCache
    """Serves the views and confines every path to its root."""
    run_command: Callable[[str], ShellResult]
    protected: list[Path] = field(default_factory=list)
    """Folders the worker may not write into (the tracks folder, .git)."""
    secrets: list[Path] = field(default_factory=list)
    """Files the worker may neither read, search nor write (credentials)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def specs(self) -> list[ToolSpec]:
        return tool_specs()

    # -- previews ------------------------------------------------------------------------------------
    def preview(self, call: ToolCall) -> str | None:
        """Unified diff of a file write, or None for other tools; raises ToolArgumentError/ViewError."""
        if call.name not in ("write_file", "edit_file"):
            return None
        args = parse_arguments(call.name, call.arguments)
        path = self._writable(args.path)
        before = self._current_text(path)
        after = self._new_text(args, before)
        return unified_diff(self.cache.relative(path), before, after)

    def _new_text(self, args: WriteFileArgs | EditFileArgs, before: str | None) -> str:
        if isinstance(args, WriteFileArgs):
            return args.content
        if before is None:
            raise ViewError(f"{args.path}: no such file (use write_file to create it)")
        if "\r\n" in before and "\r\n" not in args.old_text and before.count(args.old_text) == 0:
            # the model reads lines without their CR: match and write in the file's own line endings
            args = args.model_copy(update={"old_text": args.old_text.replace("\n", "\r\n"),
                                           "new_text": args.new_text.replace("\n", "\r\n")})
        count = before.count(args.old_text)
        if count == 0:
            close = difflib.get_close_matches(args.old_text.strip().splitlines()[0] if args.old_text.strip() else "",
                                              before.splitlines(), n=1, cutoff=0.6)
            hint = f"; the closest line is {close[0].strip()!r}" if close else ""
            raise ViewError(f"{args.path}: old_text not found{hint}. Read the file again and copy the text exactly")
        if count > 1:
            raise ViewError(f"{args.path}: old_text is ambiguous ({count} matches); include more surrounding lines")
        return before.replace(args.old_text, args.new_text, 1)

    # -- execution -----------------------------------------------------------------------------------
    def execute(self, call: ToolCall) -> ToolOutcome:
        """Run one call; every failure comes back as an error outcome for the model, never as an exception."""
        try:
            args = parse_arguments(call.name, call.arguments)
            handler = getattr(self, f"_tool_{call.name}")
            return handler(args)
        except (ToolArgumentError, ViewError, SymbolNotFoundError, OSError, re.error) as error:
            return ToolOutcome(content=f"error: {error}", is_error=True)

    def _tool_read_file(self, args: ReadFileArgs) -> ToolOutcome:
        view = self.cache.view(self._readable(args.path), "raw")
        lines = view.text.splitlines()
        start = args.start_line or 1
        end = args.end_line or min(len(lines), start + MAX_READ_LINES - 1)
        text = "\n".join(lines[start - 1 : end])
        note = f"\n[lines {start}-{end} of {len(lines)}; pass start_line/end_line for more]" if (
            start > 1 or end < len(lines)) else ""
        return ToolOutcome(text + note)

    def _tool_list_directory(self, args: ListDirectoryArgs) -> ToolOutcome:
        return ToolOutcome(self.cache.directory_map(args.path, max_entries=500))

    def _tool_search_files(self, args: SearchFilesArgs) -> ToolOutcome:
        pattern = re.compile(args.pattern)
        base = self.cache.resolve(args.path)
        files = [base] if base.is_file() else sorted(
            p for p in base.rglob("*") if p.is_file() and not IGNORED_DIRS.intersection(p.relative_to(base).parts))
        found: list[str] = []
        for path in files:
            if path in self.secrets or any(folder in path.parents for folder in self.protected):
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if pattern.search(line):
                    found.append(f"{self.cache.relative(path)}:{number}: {line.strip()[:200]}")
                    if len(found) >= MAX_SEARCH_MATCHES:
                        return ToolOutcome("\n".join(found) + f"\n[stopped at {MAX_SEARCH_MATCHES} matches]")
        return ToolOutcome("\n".join(found) or "no matches")

    def _tool_get_skeleton(self, args: PathArgs) -> ToolOutcome:
        return ToolOutcome(self.cache.view(self._readable(args.path), "skeleton").text or "(no classes or functions)")

    def _tool_get_curated_view(self, args: PathArgs) -> ToolOutcome:
        return ToolOutcome(self.cache.view(self._readable(args.path), "curated").text or "(empty)")

    def _tool_get_definition(self, args: DefinitionArgs) -> ToolOutcome:
        return ToolOutcome(self.cache.definition(self._readable(args.path), args.symbol).text)

    def _tool_write_file(self, args: WriteFileArgs) -> ToolOutcome:
        return self._write(args)

    def _tool_edit_file(self, args: EditFileArgs) -> ToolOutcome:
        return self._write(args)

    def _write(self, args: WriteFileArgs | EditFileArgs) -> ToolOutcome:
        path = self._writable(args.path)
        with self._lock:
            before = self._current_text(path)
            after = self._new_text(args, before)
            atomic_write(path, after)
        relative = self.cache.relative(path)
        verb = "created" if before is None else "updated"
        return ToolOutcome(f"{verb} {relative} ({after.count(chr(10))} lines)",
                           change=FileChange(relative, before, after))

    def _tool_run_shell(self, args: RunShellArgs) -> ToolOutcome:
        result = self.run_command(args.command)
        return ToolOutcome(content="", is_error=result.exit_code != 0, shell=result, command=args.command)

    # -- paths ---------------------------------------------------------------------------------------
    def _readable(self, path: str) -> Path:
        resolved = self.cache.resolve(path)
        if resolved in self.secrets:
            raise PathOutsideRootError(f"{path}: holds credentials; the worker may not open it")
        return resolved

    def _writable(self, path: str) -> Path:
        resolved = self._readable(path)
        for folder in self.protected:
            if resolved == folder or folder in resolved.parents:
                raise PathOutsideRootError(f"{path}: inside {self.cache.relative(folder)}/, which the worker may "
                                           "not write")
        if resolved.is_dir():
            raise ViewError(f"{path}: is a folder")
        return resolved

    @staticmethod
    def _current_text(path: Path) -> str | None:
        if not path.exists():
            return None
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            raise ViewError(f"{path.name}: binary file; it cannot be edited as text")
        return data.decode("utf-8", errors="replace")


def unified_diff(relative: str, before: str | None, after: str) -> str:
    old = (before or "").splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    lines = difflib.unified_diff(old, new, fromfile="/dev/null" if before is None else f"a/{relative}",
                                 tofile=f"b/{relative}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
