"""Tier 4: a failed command's output never reaches the worker raw.

The output is cut into failure records by the format registry (`conductor.failures`), grouped by cause (causes
before symptoms); output no format knows is reduced to its decisive lines. A cheap model turns that into a hint of
at most ~50 words, and sees the decisive raw lines too when the records are incomplete; its hint is kept only when
what it names is in the records or the output and the places it pairs with exceptions belong to them. Without a
model, or when it fails, a deterministic hint of the same shape is used. The worker gets the command, exit code,
hint and the causes, under 1,000 characters; the full output is saved and named by id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from conductor.failures import (
    Excerpt,
    Failure,
    decisive_excerpt,
    group_causes,
    number_lines,
    parse_failures,
    stated_count,
)
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
@dataclass(frozen=True)
class ShellReport:
    """What the worker's history receives for one command, and what the GUI shows."""

    text: str
    hint: str | None
    hint_source: str | None
    """`tier4` (the model), `deterministic` (the compressor) or None for a successful command."""
    output_id: str | None
    failures: list[Failure] = field(default_factory=list)
    """One record per failure the output reports (see `conductor.failures`)."""
    excerpt: Excerpt | None = None
    """The decisive lines, when the records do not cover the output (none, or fewer than it states)."""


def deterministic_hint(excerpt: Excerpt, result: ShellResult) -> str:
    """A hint of the Tier 4 shape without a model, for output no format read: what stopped it, the decisive line,
    the deepest project place."""
    if result.limit:
        return _clip_words(f"The command was stopped by a limit ({result.limit}); make it use less, or ask the "
                           "developer to raise the limit in [shell] of project.toml.")
    if result.timed_out:
        return _clip_words(f"The command timed out after {result.seconds:.0f}s and was killed; look for a hang, "
                           "an endless loop or a prompt waiting for input.")
    parts = [f"exit code {result.exit_code}" + (f" ({excerpt.meaning})" if excerpt.meaning else "")]
    decisive = next((line for line in excerpt.lines if line != "..." and _DECISIVE_WORD.search(line)), None)
    parts.append(decisive or (excerpt.lines[-1] if excerpt.lines else "no output"))
    if excerpt.place:
        parts.append(f"at {excerpt.place.path}:{excerpt.place.line}")
    return _clip_words("; ".join(parts))


_DECISIVE_WORD = re.compile(r"error|fail|fatal|traceback|not ok|panic|denied|cannot", re.IGNORECASE)


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
            return ShellReport("\n".join(p for p in (header, body.rstrip(), saved) if p), None, None, output_id)
        if result.timed_out:
            header += " (timed out, everything it started was killed)"
        if result.limit:
            header += f" ({result.limit})"
        failures = parse_failures(result.output, self.root) if not result.timed_out and not result.limit else []
        stated = stated_count(result.output)
        incomplete = not failures or (stated is not None and stated > len(failures))
        excerpt = decisive_excerpt(result.output, result.exit_code, self.root) if incomplete else None
        hint, source = self._hint(result, failures, excerpt)
        if failures:
            # the deterministic hint is the first cause: said once, in the list
            head = [header, f"hint: {clip(hint, 400)}"] if source == "tier4" else [header]
            missing = (f"the output states {stated} failures; {len(failures)} were read (the rest: full output)"
                       if stated is not None and stated > len(failures) else "")
            text = fit_records(head, failures, "\n".join(p for p in (missing, saved) if p))
            return ShellReport(text, hint, source, output_id, failures, excerpt)
        assert excerpt is not None
        head = [header, f"hint: {clip(hint, 400)}"]
        room = MAX_HISTORY_CHARS - len("\n".join([*head, saved])) - 2
        text = "\n".join(p for p in [*head, excerpt.text(room), saved] if p)
        return ShellReport(text[: MAX_HISTORY_CHARS - 1], hint, source, output_id, failures, excerpt)

    def _hint(self, result: ShellResult, failures: list[Failure], excerpt: Excerpt | None) -> tuple[str, str]:
        fallback = records_hint(failures) if failures else deterministic_hint(
            excerpt or Excerpt([], None, None), result)
        if self.model is None:
            return fallback, "deterministic"
        stopped = " (timed out)" if result.timed_out else f" ({result.limit})" if result.limit else ""
        parts = [f"Command: {result.command}", f"Exit code: {result.exit_code}{stopped}"]
        if failures:
            causes = group_causes(failures)
            parts.append(f"{len(failures)} failures, {len(causes)} causes, as parsed from the output:")
            parts += [f"{n}. {cause.text()}" + self._context(cause.record) for n, cause in enumerate(causes[:10], 1)]
        if excerpt is not None:  # the records miss something (or there are none): the model reads the raw lines
            parts.append("Decisive lines of the output (the parser did not read all of it):\n"
                         + excerpt.text(8000))
            if not failures:
                tail = "\n".join(result.output.splitlines()[-60:])[-4000:]
                parts.append(f"Output (last lines):\n{tail}")
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
        stray = unfounded_names(hint, failures, result.output)
        if stray:  # a hint that points somewhere neither the records nor the output do is worse than none
            self.failures.append(f"the Tier 4 hint named {', '.join(stray)}, absent from the failures; dropped")
            return fallback, "deterministic"
        wrong = mispaired(hint, failures)
        if wrong:
            self.failures.append(f"the Tier 4 hint paired {', '.join(wrong)}, which the failures do not; dropped")
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
        return "\n" + number_lines(text, start, failure.line)


def records_hint(failures: list[Failure]) -> str:
    """The deterministic hint from failure records: how many, how many causes, and the first cause whole."""
    causes = group_causes(failures)
    counted = f"{len(failures)} failure{'s' if len(failures) != 1 else ''}"
    if len(causes) < len(failures):
        counted += f", {len(causes)} cause{'s' if len(causes) != 1 else ''}"
    elif len(failures) > 1:
        counted += f" (+{len(failures) - 1} more)"
    return _clip_words(f"{counted}; first: {causes[0].text()}")


_FILE_NAME = re.compile(r"[\w./-]+\.(?:py|pyi|c|h|cc|cpp|js|ts|rs|go|java|rb|toml|json|ya?ml|cfg|ini|txt)\b")
_TEST_NAME = re.compile(r"\btest_\w+")
_PAIR = re.compile(r"\b(?P<exception>[A-Z]\w*(?:Error|Exception|Failure))\b[^;.]*?\b(?:at|in) (?P<path>[\w./-]+\.py)"
                   r":(?P<line>\d+)")


def unfounded_names(hint: str, failures: list[Failure], output: str = "") -> list[str]:
    """Files and tests a hint names that neither a failure record nor the output holds."""
    paths = {f.path for f in failures if f.path} | {f.test.split("::")[0] for f in failures if f.test}
    names = {Path(p).name for p in paths}
    tests = " ".join(f.test for f in failures if f.test)
    stray = [name for name in _FILE_NAME.findall(hint) if name not in paths and Path(name).name not in names
             and name not in output]
    stray += [name for name in _TEST_NAME.findall(hint) if name not in tests and name not in output]
    return list(dict.fromkeys(stray))


def mispaired(hint: str, failures: list[Failure]) -> list[str]:
    """`KeyError at shop/x.py:5` pairs an exception with a place: wrong when a record has that place and none of
    the records there raised (or was caused by) that exception."""
    wrong = []
    for match in _PAIR.finditer(hint):
        exception, path, line = match["exception"], match["path"], int(match["line"])
        there = [f for f in failures if f.path and f.path.endswith(path) and f.line == line]
        if there and not any(f.exception == exception or (f.cause or "").startswith(exception) for f in there):
            wrong.append(f"{exception} with {path}:{line}")
    return wrong


def fit_records(head: list[str], failures: list[Failure], tail: str) -> str:
    """The report with as many whole causes as fit under MAX_HISTORY_CHARS (never half of one): every cause before
    any repeated symptom (`group_causes`)."""
    causes = group_causes(failures)
    count = f"{len(failures)} failure{'s' if len(failures) != 1 else ''}"
    count += f", {len(causes)} cause{'s' if len(causes) != 1 else ''}:" if len(causes) < len(failures) else ":"
    kept: list[str] = []
    for cause in causes:
        line = f"- {cause.text()}"
        rest = len(causes) - len(kept) - 1
        more = [f"(+{rest} more in the full output)"] if rest else []
        if len("\n".join([*head, count, *kept, line, *more, tail])) >= MAX_HISTORY_CHARS:
            break
        kept.append(line)
    omitted = len(causes) - len(kept)
    more = [f"(+{omitted} more in the full output)"] if omitted else []
    text = "\n".join(p for p in [*head, count, *kept, *more, tail] if p)
    if len(text) >= MAX_HISTORY_CHARS:  # even the head is too long: clip the hint, never a record
        text = "\n".join(p for p in [head[0], count, *more, tail] if p)
    return text[: MAX_HISTORY_CHARS - 1]


def _clip_words(text: str, limit: int = MAX_HINT_WORDS) -> str:
    words = text.split()
    return " ".join(words) if len(words) <= limit else " ".join(words[:limit]) + " …"
