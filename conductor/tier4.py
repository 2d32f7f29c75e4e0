"""Tier 4: a failed command's output never reaches the worker raw.

The output is read for its decisive parts (exception line, the deepest frame inside the project with its
source, failing test names); a cheap model turns those into a hint of at most ~50 words. Without a model
configured, or when it fails, a deterministic compressor gives a hint of the same shape. The worker gets the
command, exit code, hint and a few decisive lines, under 1,000 characters; the full output is saved and named
by id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from conductor.failures import Failure, Frames, parse_failures
from conductor.messages import AssistantTurn, Message
from conductor.protocols import Model
from conductor.providers import ProviderError
from conductor.shell import ShellResult
from conductor.text import clip
from file_cache import FileCache, ViewError

MAX_HINT_WORDS = 50
MAX_HISTORY_CHARS = 1000
TIER4_SYSTEM = (
    "You read the output of a failed command from a developer's project. Answer with one hint of at most "
    f"{MAX_HINT_WORDS} words: what failed, where (file:line), and the most likely fix. No preamble, no code block."
)
_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+), in (?P<function>\S+)')
_PYTEST_FRAME = re.compile(r"^(?P<path>[\w./\\-]+\.py):(?P<line>\d+): (?P<what>.+)$")
_EXCEPTION = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Failure|Warning)\b(?::.*)?$")
_PYTEST_FAILED = re.compile(r"^(?:FAILED|ERROR) (?P<test>\S+::\S+)")
_UNITTEST_FAILED = re.compile(r"^(?:FAIL|ERROR): (?P<test>\w+) \((?P<where>[\w.]+)\)")
_SUMMARY = re.compile(r"^(?:=+ .*(?:failed|passed|error).* =+|FAILED \(.*\)|Ran \d+ tests? in .*)$")


@dataclass(frozen=True)
class Frame:
    path: str
    """Relative to the project root."""
    line: int
    function: str


@dataclass
class FailureDigest:
    """The decisive parts of a failed command's output."""

    exception: str | None = None
    frame: Frame | None = None
    snippet: str | None = None
    failing_tests: list[str] = field(default_factory=list)
    assertion: str | None = None
    summary: str | None = None

    def decisive_lines(self) -> list[str]:
        lines = [self.exception, self.assertion, self.summary]
        if self.frame:
            lines.insert(1, f"at {self.frame.path}:{self.frame.line} in {self.frame.function}")
        if self.failing_tests:
            lines.append("failing: " + ", ".join(self.failing_tests[:5]))
        return [clip(line, 200) for line in dict.fromkeys(line for line in lines if line)]


@dataclass(frozen=True)
class ShellReport:
    """What the worker's history receives for one command, and what the GUI shows."""

    text: str
    hint: str | None
    hint_source: str | None
    """`tier4` (the model), `deterministic` (the compressor) or None for a successful command."""
    output_id: str | None
    digest: FailureDigest | None
    failures: list[Failure] = field(default_factory=list)
    """One record per failure the output reports (see `conductor.failures`)."""


def digest_output(output: str, root: Path, cache: FileCache | None = None) -> FailureDigest:
    digest = FailureDigest()
    frames = Frames(root)
    for raw in output.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        frame = _FRAME.match(line) or _PYTEST_FRAME.match(stripped)
        if frame:
            relative = frames.inside(frame["path"])
            if relative:
                function = frame.groupdict().get("function") or "?"
                digest.frame = Frame(relative, int(frame["line"]), function)
        if _EXCEPTION.match(stripped):
            digest.exception = stripped
        if stripped.startswith("E ") and digest.assertion is None:
            digest.assertion = stripped[1:].strip()
        test = _PYTEST_FAILED.match(stripped) or _UNITTEST_FAILED.match(stripped)
        if test:
            name = test["test"] if "where" not in test.groupdict() else f"{test['where']}"
            if name not in digest.failing_tests:
                digest.failing_tests.append(name)
        if _SUMMARY.match(stripped):
            digest.summary = stripped.strip("= ")
    if digest.frame and cache is not None:
        digest.snippet, symbol = _snippet(cache, digest.frame)
        if digest.frame.function == "?" and symbol:
            digest.frame = Frame(digest.frame.path, digest.frame.line, symbol)
    return digest


def _snippet(cache: FileCache, frame: Frame) -> tuple[str | None, str | None]:
    """The definition around the failing line when it is short (else a few lines either side), and its name."""
    try:
        symbols = [s for s in cache.outline(frame.path) if s.start_line <= frame.line <= s.end_line]
        innermost = symbols[-1] if symbols else None
        if innermost and innermost.end_line - innermost.start_line <= 30:
            start, end = innermost.start_line, innermost.end_line
        else:
            start, end = max(frame.line - 4, 1), frame.line + 4
        text = cache.slice(frame.path, start, end).text
    except (ViewError, OSError):
        return None, None
    numbered = [f"{number:>4}{'>' if number == frame.line else ' '} {line}"
                for number, line in enumerate(text.splitlines(), start)]
    return "\n".join(numbered), innermost.name if innermost else None


def deterministic_hint(digest: FailureDigest, result: ShellResult) -> str:
    """A hint of the Tier 4 shape without a model: what failed and where."""
    if result.limit:
        return _clip_words(f"The command was stopped by a limit ({result.limit}); make it use less, or ask the "
                           "developer to raise the limit in [shell] of project.toml.")
    if result.timed_out:
        return _clip_words(f"The command timed out after {result.seconds:.0f}s and was killed; look for a hang, "
                           "an endless loop or a prompt waiting for input.")
    parts = []
    what = digest.assertion or digest.exception
    if what:
        parts.append(what)
    if digest.frame:
        parts.append(f"at {digest.frame.path}:{digest.frame.line} in {digest.frame.function}")
    if digest.failing_tests:
        parts.append("failing tests: " + ", ".join(digest.failing_tests[:3]))
    if not parts:
        last = [line.strip() for line in result.output.splitlines() if line.strip()][-1:] or ["no output"]
        parts.append(f"exit code {result.exit_code}; last line: {last[0]}")
    return _clip_words("; ".join(parts))


class Tier4Summariser:
    """Turns a command's result into the worker's short report, with the cheap model when there is one."""

    def __init__(self, root: Path, cache: FileCache, model: Model | None = None,
                 on_usage: Callable[[AssistantTurn], None] | None = None, max_output_tokens: int = 200) -> None:
        self.root = root
        self.cache = cache
        self.model = model
        self.on_usage = on_usage
        self.max_output_tokens = max_output_tokens
        self.failures: list[str] = []
        """Why the model could not be used, per failure (the deterministic hint was used instead)."""

    def report(self, result: ShellResult, output_id: str | None) -> ShellReport:
        lines = len(result.output.splitlines())
        header = f"$ {clip(result.command, 200)}\nexit code {result.exit_code} after {result.seconds:.1f}s"
        saved = f"full output: {output_id} ({lines} lines)" if output_id else ""
        if result.exit_code == 0 and not result.timed_out:
            body = result.output if len(result.output) <= 1500 else (
                "[...]\n" + "\n".join(result.output.splitlines()[-15:])[-1400:])
            return ShellReport("\n".join(p for p in (header, body.rstrip(), saved) if p), None, None, output_id, None)
        if result.timed_out:
            header += " (timed out, everything it started was killed)"
        if result.limit:
            header += f" ({result.limit})"
        failures = parse_failures(result.output, self.root)
        digest = digest_output(result.output, self.root, self.cache)
        if failures and not result.timed_out and not result.limit:
            hint, source = self._hint(result, digest, failures)
            # the deterministic hint is the first record: said once, in the list
            head = [header, f"hint: {clip(hint, 400)}"] if source == "tier4" else [header]
            text = fit_records(head, failures, saved)
            return ShellReport(text, hint, source, output_id, digest, failures)
        hint, source = self._hint(result, digest, [])
        text = _fit([header, f"hint: {clip(hint, 400)}"], digest.decisive_lines(), saved)
        return ShellReport(text, hint, source, output_id, digest, failures)

    def _hint(self, result: ShellResult, digest: FailureDigest, failures: list[Failure]) -> tuple[str, str]:
        fallback = records_hint(failures) if failures else deterministic_hint(digest, result)
        if self.model is None:
            return fallback, "deterministic"
        stopped = " (timed out)" if result.timed_out else f" ({result.limit})" if result.limit else ""
        parts = [f"Command: {result.command}", f"Exit code: {result.exit_code}{stopped}"]
        if failures:
            parts.append(f"{len(failures)} failures, as parsed from the output:")
            parts += [f"{n}. {failure.text()}" + self._context(failure) for n, failure in enumerate(failures[:10], 1)]
        else:
            tail = "\n".join(result.output.splitlines()[-200:])[-12_000:]
            parts.append(f"Output (last lines):\n{tail}")
            if digest.snippet and digest.frame:
                parts.append(f"Project code at the failing frame ({digest.frame.path}):\n{digest.snippet}")
        try:
            turn = self.model.complete(TIER4_SYSTEM, [Message(role="user", text="\n\n".join(parts))], [],
                                       self.max_output_tokens)
        except ProviderError as error:
            self.failures.append(str(error))
            return fallback, "deterministic"
        if self.on_usage is not None:
            self.on_usage(turn)
        hint = " ".join(turn.text.split())
        if not hint:
            self.failures.append("the Tier 4 model answered with no text")
            return fallback, "deterministic"
        stray = unfounded_names(hint, failures) if failures else []
        if stray:  # a hint that points somewhere the records do not is worse than none
            self.failures.append(f"the Tier 4 hint named {', '.join(stray)}, absent from the failures; dropped")
            return fallback, "deterministic"
        return _clip_words(hint), "tier4"

    def _context(self, failure: Failure) -> str:
        """A few numbered lines of source around the failure's place."""
        if not failure.path or not failure.line:
            return ""
        start = max(failure.line - 3, 1)
        try:
            text = self.cache.slice(failure.path, start, failure.line + 3).text
        except (ViewError, OSError):
            return ""
        numbered = [f"{number:>5}{'>' if number == failure.line else ' '} {line}"
                    for number, line in enumerate(text.splitlines(), start)]
        return "\n" + "\n".join(numbered)


def records_hint(failures: list[Failure]) -> str:
    """The deterministic hint from failure records: how many, and the first one whole."""
    more = f" (+{len(failures) - 1} more)" if len(failures) > 1 else ""
    return _clip_words(f"{len(failures)} failure{'s' if len(failures) != 1 else ''}{more}; first: "
                       f"{failures[0].text()}")


_FILE_NAME = re.compile(r"[\w./-]+\.(?:py|pyi|c|h|cc|cpp|js|ts|rs|go|java|rb|toml|json|ya?ml|cfg|ini|txt)\b")
_TEST_NAME = re.compile(r"\btest_\w+")


def unfounded_names(hint: str, failures: list[Failure]) -> list[str]:
    """Files and tests a hint names that no failure record holds."""
    paths = {f.path for f in failures if f.path} | {f.test.split("::")[0] for f in failures if f.test}
    names = {Path(p).name for p in paths}
    tests = " ".join(f.test for f in failures if f.test)
    stray = [name for name in _FILE_NAME.findall(hint) if name not in paths and Path(name).name not in names]
    stray += [name for name in _TEST_NAME.findall(hint) if name not in tests]
    return list(dict.fromkeys(stray))


def fit_records(head: list[str], failures: list[Failure], tail: str) -> str:
    """The report with as many whole failure records as fit under MAX_HISTORY_CHARS (never half of one)."""
    count = f"{len(failures)} failure{'s' if len(failures) != 1 else ''}:"
    kept: list[str] = []
    for failure in failures:
        line = f"- {failure.text()}"
        rest = len(failures) - len(kept) - 1
        more = [f"(+{rest} more in the full output)"] if rest else []
        if len("\n".join([*head, count, *kept, line, *more, tail])) >= MAX_HISTORY_CHARS:
            break
        kept.append(line)
    omitted = len(failures) - len(kept)
    more = [f"(+{omitted} more in the full output)"] if omitted else []
    text = "\n".join(p for p in [*head, count, *kept, *more, tail] if p)
    if len(text) >= MAX_HISTORY_CHARS:  # even the head is too long: clip the hint, never a record
        text = "\n".join(p for p in [head[0], count, *more, tail] if p)
    return text[: MAX_HISTORY_CHARS - 1]


def _fit(head: list[str], decisive: list[str], tail: str) -> str:
    """Join the report and drop decisive lines from the end until it fits under MAX_HISTORY_CHARS."""
    while True:
        text = "\n".join([*head, *decisive, tail]).strip()
        if len(text) < MAX_HISTORY_CHARS or not decisive:
            return text[: MAX_HISTORY_CHARS - 1]
        decisive = decisive[:-1]


def _clip_words(text: str, limit: int = MAX_HINT_WORDS) -> str:
    words = text.split()
    return " ".join(words) if len(words) <= limit else " ".join(words[:limit]) + " …"
