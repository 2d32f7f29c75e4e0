"""Allow-rules: which shell commands run without asking in step mode. A rule cannot be widened by options.

A rule is a command's words, e.g. `pytest`, `pytest -q -x`, `git status`, `python3 -m pytest -q`:
- the words up to the rule's last word that is not an option (`pytest`, `git status`, `python3 -m pytest`) are the
  **command**: a command matches only when its own words start with exactly these, in order as written (so
  `python3 -m pytest` admits neither `python3 evil.py` nor `python3 -m pkg`);
- the rule's trailing options (`-q`, `-x`, `--tb=short`) are the only options the command may add, in any order,
  each written exactly as in the rule;
- every other word must be a **path argument**: an existing file or folder inside the project, outside the tracks
  folder, `.git/` and secret files (`pytest tests/test_x.py`, `pytest tests/test_x.py::test_one`,
  `ruff check conductor`), and only for commands whose arguments are paths to read (`PATH_TOOLS`: test runners,
  linters, type checkers, readers such as `cat` or `git diff`). For any other command (`make test`, `npm test`)
  a word after the rule's own is never a path: `make test install` waits even when a file `install` exists.

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


PATH_TOOLS = frozenset({
    "pytest", "py.test", "unittest", "mypy", "ruff", "black", "isort", "flake8", "pylint", "pyright", "bandit",
    "coverage", "doctest", "py_compile", "compileall", "tox", "nox", "cat", "head", "tail", "wc", "ls", "diff",
    "git diff", "git status", "git log", "git show", "git blame"})
"""Commands whose arguments are paths they read (a module run with `python -m` counts by its name)."""
_PYTHONS = re.compile(r"^python(3(\.\d+)?)?$")


def takes_paths(command: list[str]) -> bool:
    """True when the rule's command reads the paths it is given (so project paths may follow it)."""
    if not command:
        return False
    program = command[0].rsplit("/", 1)[-1]
    if _PYTHONS.match(program) and len(command) >= 3 and command[1] == "-m":
        return command[2] in PATH_TOOLS
    return program in PATH_TOOLS or " ".join([program, *command[1:2]]) in PATH_TOOLS


def _split_rule(rule: str) -> tuple[list[str], set[str]]:
    """The rule's command (matched in order) and its trailing options (any order)."""
    words = shlex.split(rule)
    last_plain = max((i for i, word in enumerate(words) if not word.startswith("-")), default=-1)
    return words[: last_plain + 1], set(words[last_plain + 1:])


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
    return _refusal(rule, words, guard) is None


def _refusal(rule: str, words: list[str], guard: PathGuard) -> str | None:
    """None when ``rule`` admits the command ``words``; else why not, in words ("" when the rule names another
    command, or cannot be read)."""
    try:
        command, options = _split_rule(rule)
    except ValueError:
        return ""
    if not command or words[: len(command)] != command:
        return ""
    paths = takes_paths(command)
    for word in words[len(command):]:
        if word in options:
            continue
        if word.startswith("-"):
            return f"the allow-rule {rule!r} does not admit the option {word!r}"
        if not paths:
            return f"the allow-rule {rule!r} admits no words after its own (its arguments are not paths), not {word!r}"
        if not _is_project_path(word, guard):
            return f"the allow-rule {rule!r} admits only its options and existing project paths, not {word!r}"
    return None


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


def why_asking(command: str, allow: list[str], guard: PathGuard) -> str:
    """In words, why ``command`` waits for the human: no rule names it, or what of it the closest rule does not
    admit."""
    syntax = _SHELL_SYNTAX.search(command)
    if syntax:
        return f"it uses shell syntax ({syntax.group()!r}), which no allow-rule ever admits"
    try:
        words = shlex.split(command)
    except ValueError as error:
        return f"it cannot be read as words ({error})"
    if not words:
        return "it is empty"
    for rule in allow:
        reason = _refusal(rule, words, guard)
        if reason:  # the first rule that names the command says what of it it does not admit
            return reason
    named = " ".join(words[:2]) if len(words) > 1 and not words[1].startswith("-") else words[0]
    return f"no allow-rule names {named!r}" if allow else "no allow-rules are set ([shell] allow in project.toml)"


def implied_rule(command: str, guard: PathGuard) -> str | None:
    """The allow-rule that admits ``command`` as written (its words, no other options), or None when no rule can
    (shell syntax, unreadable words)."""
    if _SHELL_SYNTAX.search(command):
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    rule = shlex.join(words)
    return rule if words and admits(rule, words, guard) else None


def rule_admits_text(rule: str) -> str:
    """What a rule will admit, in words (shown before a rule is added)."""
    command, options = _split_rule(rule)
    extra = f", with any of the options {' '.join(sorted(options))} in any order" if options else ""
    paths = (", followed by existing project files or folders (not the tracks folder, .git or secret files)"
             if takes_paths(command) else ", and nothing after it")
    return f"`{' '.join(command)}`{extra}{paths}; never with shell syntax"
