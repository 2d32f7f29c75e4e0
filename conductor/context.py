"""What a Tier 3 worker sees first: its instructions, the ticket, the raw target file and skeletons of the
project files the target imports or the ticket names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from conductor.config import ProjectConfig
from conductor.guards import PathGuard, PathRefusedError
from conductor.models import Ticket, Track
from file_cache import ASTParser, FileCache, ViewError, number_lines
from file_cache.repomap import resolve_imports

WORKER_SYSTEM = """\
You are a Tier 3 worker in Conductor, changing a developer's repository one ticket at a time.
- Your ticket names one target file; its text is in the first message (a long one as its outline with line \
numbers, plus the definitions the ticket names: read other lines with read_file start_line/end_line). Related \
files are shown as skeletons (signatures only): call get_definition or read_file when you need a body.
- Change files only with write_file or edit_file, never through shell tricks (sed, echo >, python -c). \
Every change and command may be reviewed by the developer before it runs; a rejected call did not run: \
read the reason and adapt. If the developer edited your call, it ran as edited: do not repeat the original.
- Run the project's tests with run_shell after a change. A failed command comes back as a short hint; \
the full output is saved, so do not ask for it again.
- When the ticket is done, answer without any tool call: a short summary of what you changed and how you \
checked it. That ends the ticket."""

MAX_RELATED_FILES = 12
_PATH_IN_TEXT = re.compile(r"[\w./-]+\.py\b")


@dataclass(frozen=True)
class WorkerBrief:
    system: str
    first_message: str
    related: list[str]
    """Project files shown as skeletons (or curated views), in order."""


def build_brief(ticket: Ticket, track: Track, config: ProjectConfig, cache: FileCache, guard: PathGuard
                ) -> WorkerBrief:
    """The system prompt and first message; nothing the guard refuses (secrets, `.git/`) is put in them."""
    archetype = config.archetype(ticket.worker_archetype)
    system = WORKER_SYSTEM + (f"\n\n{archetype.system_prompt}" if archetype.system_prompt else "")
    target = ticket.target_file
    kind = archetype.context_view
    try:
        target_block = _target_block(ticket, cache, guard.writable(target), config, kind)
    except PathRefusedError as error:
        target_block = f"(the target cannot be opened: {error})"
    except ViewError:
        target_block = "(the file does not exist yet: create it with write_file)"
    sections, related = [], []
    budget = config.context.related_max_tokens if kind != "raw" else 10**9
    for path in related_files(ticket, track, config.root, cache):
        if not guard.allows(config.root / path):
            continue
        try:
            view = cache.view(path, kind)
        except ViewError:
            continue
        if not view.text.strip() or view.tokens > budget:
            continue
        budget -= view.tokens
        related.append(path)
        sections.append(f"### {path} ({kind})\n```python\n{view.text}```")
    parts = [f"# Ticket {ticket.id}: {ticket.title}", ticket.prompt.strip(), f"## Target file: {target}",
             target_block]
    if sections:
        parts += ["## Related files", *sections]
    done = [t for t in (track.ticket(d) for d in ticket.dependencies) if t.summary]
    if done:
        parts += ["## Finished before this ticket", *(f"- {t.id} ({t.target_file}): {t.summary}" for t in done)]
    return WorkerBrief(system, "\n\n".join(parts) + "\n", related)


def _target_block(ticket: Ticket, cache: FileCache, path: Path, config: ProjectConfig,
                  kind: Literal["skeleton", "curated", "raw"]) -> str:
    """The target raw; when it is long (and the archetype does not ask for everything raw), its view (the
    archetype's: skeleton or curated) with the file's line numbers, plus the whole text of the definitions the
    ticket names."""
    raw = cache.view(path, "raw")
    if not raw.text:
        return "(the file is empty)"
    if kind == "raw" or raw.tokens <= config.context.target_raw_max_tokens or path.suffix not in (".py", ".pyi"):
        return f"```\n{raw.text}\n```"
    lines = raw.text.count("\n") + 1
    numbered = number_lines(cache.view(path, kind).text, cache.view_numbers(path, kind), lines)
    parts = [f"(long file: {lines} lines, {raw.tokens} tokens. Shown as its {kind} view, each line numbered as "
             "in the file; read any other lines with read_file start_line/end_line before you edit them.)",
             f"```\n{numbered}```"]
    outline = cache.outline(path)
    for symbol in named_symbols(ticket, [s.name for s in outline]):
        found = next(s for s in outline if s.name == symbol)
        text = cache.slice(path, found.start_line, found.end_line).text
        parts.append(f"### {symbol} (lines {found.start_line}-{found.end_line})\n```\n{text.rstrip()}\n```")
    return "\n\n".join(parts)


def named_symbols(ticket: Ticket, names: list[str]) -> list[str]:
    """Definitions the ticket is about: its `symbols`, and those the prompt names (`Class.method` or a bare name
    that is unique), outermost first, at most five."""
    wanted = list(ticket.symbols)
    words = set(re.findall(r"[A-Za-z_][\w.]*", ticket.prompt))
    for name in names:
        bare = name.rsplit(".", 1)[-1]
        if name in words or (bare in words and sum(n.rsplit(".", 1)[-1] == bare for n in names) == 1):
            wanted.append(name)
    found = [name for name in dict.fromkeys(wanted) if name in names]
    # a method inside a class already shown whole is not repeated
    return [n for n in found if not any(n.startswith(other + ".") for other in found)][:5]


def related_files(ticket: Ticket, track: Track, root: Path, cache: FileCache) -> list[str]:
    """Project files the target imports, files the prompt names, and the targets of its dependencies."""
    candidates: list[str] = []
    target = ticket.target_file
    if target.endswith(".py"):
        try:
            parsed = cache.parsed(target)
            candidates += resolve_imports(ASTParser().get_imports(parsed), target, root)
        except ViewError:
            pass
    candidates += [m for m in _PATH_IN_TEXT.findall(ticket.prompt)]
    candidates += [track.ticket(d).target_file for d in ticket.dependencies]
    found = []
    for candidate in dict.fromkeys(candidates):
        try:
            path = cache.resolve(candidate)
        except ViewError:
            continue
        relative = cache.relative(path)
        if path.is_file() and relative != target and relative not in found:
            found.append(relative)
        if len(found) >= MAX_RELATED_FILES:
            break
    return found
