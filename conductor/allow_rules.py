"""Allow-rules: which shell commands run without asking in step mode. A rule cannot be widened by options.

A rule is a command's words, e.g. `pytest`, `pytest -q -x`, `git status`, `ruff check`:
- the words before the first option (`pytest`, `git status`) are the **command**: a command matches only when its
  own words start with exactly these;
- the rule's options (`-q`, `-x`, `--tb=short`) are the only options the command may add, in any order, each
  written exactly as in the rule;
- every other word must be a **path argument**: an existing file or folder inside the project, outside the tracks
  folder, `.git/` and secret files (`pytest tests/test_x.py`, `pytest tests/test_x.py::test_one`,
  `ruff check conductor`).

Anything else never matches: an option the rule does not list (`--basetemp=tracks`, `-p plugin`, `-c /x.ini`,
`--rootdir=/`), a word that is not an existing project path (`git status; rm`, `git push`), shell syntax
(`;`, `&&`, pipes, redirections, substitutions, variables, globs, escapes, newlines), a variable assignment
before the command, or what `shlex` cannot parse. Such commands wait for the human like any other.
"""

from __future__ import annotations

import re
import shlex

from conductor.guards import PathGuard, PathRefusedError

_SHELL_SYNTAX = re.compile(r"[;&|<>`$(){}\n\r\\*?\[\]~!#\0]")


def _split_rule(rule: str) -> tuple[list[str], set[str]]:
    words = shlex.split(rule)
    first_option = next((i for i, word in enumerate(words) if word.startswith("-")), len(words))
    return words[:first_option], set(words[first_option:])


def _is_project_path(word: str, guard: PathGuard) -> bool:
    path = word.split("::", 1)[0]  # pytest node ids: tests/test_x.py::TestA::test_b
    if not path or path.startswith("-"):
        return False
    try:
        resolved = guard.resolve(path)
    except PathRefusedError:
        return False
    return resolved.exists() and guard.refusal(resolved, write=False) is None


def admits(rule: str, words: list[str], guard: PathGuard) -> bool:
    try:
        command, options = _split_rule(rule)
    except ValueError:
        return False
    if not command or words[: len(command)] != command:
        return False
    for word in words[len(command):]:
        if word in options:
            continue
        if word.startswith("-") or not _is_project_path(word, guard):
            return False
    return True


def allowed_without_asking(command: str, allow: list[str], guard: PathGuard) -> str | None:
    """The first rule that admits ``command``, or None when the human must decide."""
    if not allow or _SHELL_SYNTAX.search(command):
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words:
        return None
    return next((rule for rule in allow if admits(rule, words, guard)), None)
