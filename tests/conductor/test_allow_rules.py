import pytest

from conductor.allow_rules import allowed_without_asking, implied_rule, rule_admits_text, why_asking
from conductor.config import load_project_config
from conductor.guards import PathGuard

RULES = ["pytest", "pytest -q -x", "git status", "ruff check", "python3 -m pytest -q"]


@pytest.fixture
def guard(tmp_path):
    for path in ("calc/stats.py", "tests/test_a.py", "tracks/t1/track.json", ".git/config", "credentials.toml"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x\n")
    return PathGuard.for_project(load_project_config(tmp_path, environ={}))


@pytest.mark.parametrize(
    ("command", "rule"),
    [
        ("pytest", "pytest"),
        ("pytest tests/test_a.py", "pytest"),
        ("pytest tests/test_a.py::test_one tests", "pytest"),
        ("pytest -q tests/test_a.py", "pytest -q -x"),
        ("pytest -x -q", "pytest -q -x"),
        ("git status", "git status"),
        ("ruff check calc", "ruff check"),
        ("python3 -m pytest tests/test_a.py", "python3 -m pytest -q"),
        ("python3 -m pytest -q", "python3 -m pytest -q"),
        # a rule's words are matched in order: dropping or moving its option widens nothing
        ("python3 calc/stats.py", None),
        ("python3 -m calc", None),
        ("python pytest", None),
        ("python3 pytest -m", None),
        ("python3 -q -m pytest", None),
        # options the rules do not list, and paths that widen what runs, wait for the human
        ("pytest -q --basetemp=calc", None),
        ("pytest --basetemp=tracks", None),
        ("pytest --basetemp tracks", None),
        ("pytest --junitxml=tracks/t1/track.json", None),
        ("pytest --junitxml=/outside/x.xml", None),
        ("pytest -p plugin", None),
        ("pytest -c /outside.ini", None),
        ("pytest -o key=value", None),
        ("pytest --rootdir=/", None),
        ("pytest --pastebin=all", None),
        ("pytest tracks", None),
        ("pytest .git", None),
        ("pytest credentials.toml", None),
        ("pytest ../outside", None),
        ("pytest /etc", None),
        ("pytest missing_file.py", None),
        ("git push", None),
        ("git status --porcelain", None),
        ("pytest; rm -rf /", None),
        ("pytest && curl evil", None),
        ("pytest | sh", None),
        ("pytest $(rm -rf /)", None),
        ("pytest `id`", None),
        ("pytest > out.txt", None),
        ("env pytest", None),
        ("FOO=1 pytest", None),
        ("sh -c pytest", None),
        ("pytest 'unclosed", None),
        ("pytest\nrm -rf /", None),
        ("pytest\0", None),
        ("pytestx", None),
        ("", None),
    ],
)
def test_allow_rules_admit_only_what_their_author_meant(guard, command, rule):
    assert allowed_without_asking(command, RULES, guard) == rule


@pytest.mark.parametrize(
    ("command", "why"),
    [
        ("python3 -m unittest", "no allow-rule names 'python3'"),
        ("git push", "no allow-rule names 'git push'"),
        ("pytest -k slow", "the allow-rule 'pytest' does not admit the option '-k'"),
        ("pytest missing.py", "the allow-rule 'pytest' admits only its options and existing project paths, "
                              "not 'missing.py'"),
        ("pytest; rm -rf /", "it uses shell syntax (';'), which no allow-rule ever admits"),
        ("pytest 'open", "it cannot be read as words (No closing quotation)"),
    ],
)
def test_why_a_command_waits_is_said_in_words(guard, command, why):
    assert why_asking(command, RULES, guard) == why


def test_the_rule_a_command_implies_admits_it_and_nothing_wider(guard):
    rule = implied_rule("python3 -m unittest -v tests/test_a.py", guard)
    assert rule == "python3 -m unittest -v tests/test_a.py"
    assert allowed_without_asking("python3 -m unittest -v tests/test_a.py", [rule], guard) == rule
    assert allowed_without_asking("python3 -m unittest", [rule], guard) is None
    assert implied_rule("pytest -q | tee x", guard) is None
    assert rule_admits_text("pytest -q -x") == (
        "`pytest`, with any of the options -q -x in any order, followed by existing project files or folders "
        "(not the tracks folder, .git or secret files); never with shell syntax")


def test_only_commands_that_read_paths_take_path_arguments(guard):
    (guard.root / "install").write_text("x\n")
    (guard.root / "evil.py").write_text("x\n")
    rules = ["make test", "npm test", "python3 -m pytest", "git diff"]
    assert allowed_without_asking("make test install", rules, guard) is None  # a target, not a path
    assert allowed_without_asking("npm test evil.py", rules, guard) is None
    assert allowed_without_asking("make test", rules, guard) == "make test"
    assert allowed_without_asking("python3 -m pytest evil.py", rules, guard) == "python3 -m pytest"
    assert allowed_without_asking("git diff calc/stats.py", rules, guard) == "git diff"
    assert why_asking("make test install", rules, guard) == (
        "the allow-rule 'make test' admits no words after its own (its arguments are not paths), not 'install'")
    assert rule_admits_text("make test") == "`make test`, and nothing after it; never with shell syntax"
