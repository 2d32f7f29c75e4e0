import pytest

from conductor.allow_rules import allowed_without_asking
from conductor.config import load_project_config
from conductor.guards import PathGuard

RULES = ["pytest", "pytest -q -x", "git status", "ruff check"]


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
