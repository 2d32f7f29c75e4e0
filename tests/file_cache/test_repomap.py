"""The repository map: definitions ranked by what the code references, focus-boosted, .gitignore honoured, never
over budget, valid Python."""

from __future__ import annotations

import pytest

from file_cache import FileCache, estimate_tokens
from file_cache.repomap import python_files, repository_map


@pytest.fixture
def repo(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/core.py": "class Engine:\n    def run(self, steps: int) -> None:\n        pass\n",
        "app/billing.py": "from app.core import Engine\n\ndef invoice(total: float) -> str:\n    return ''\n",
        "app/users.py": "from app.core import Engine\nfrom app import billing\n\ndef login(name: str) -> bool:\n"
                        "    return True\n",
        "app/cli.py": "from .users import login\nfrom .core import Engine\n\ndef main() -> None:\n    pass\n",
        "scripts/one_off.py": "def payments_report() -> None:\n    pass\n",
        "build/generated.py": "def generated() -> None:\n    pass\n",
        "vendor/lib.py": "def vendored() -> None:\n    pass\n",
        ".gitignore": "vendor/\n*.tmp.py\n",
        "app/scratch.tmp.py": "def scratch() -> None:\n    pass\n",
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    return tmp_path


def test_gitignore_and_noise_folders_are_left_out(repo):
    assert python_files(repo) == ["app/__init__.py", "app/billing.py", "app/cli.py", "app/core.py", "app/users.py",
                                  "scripts/one_off.py"]


def test_the_most_depended_on_file_comes_first_and_focus_moves_a_file_up(repo):
    plain = repository_map(FileCache(repo), budget=2000)
    order = [entry.path for entry in plain.entries]
    assert order[0] == "app/core.py"  # imported by three files
    assert order.index("app/billing.py") < order.index("app/cli.py")  # imported once, by an imported file
    assert plain.text.startswith("## app/core.py\nclass Engine:\n    def run(self, steps: int) -> None: ...\n")
    focused = repository_map(FileCache(repo), budget=2000, focus="payments report")
    assert focused.entries[0].path == "scripts/one_off.py"


@pytest.mark.parametrize("budget", [1, 12, 30, 60, 5000])
def test_the_map_never_exceeds_its_budget(repo, budget):
    repo_map = repository_map(FileCache(repo), budget=budget)
    assert estimate_tokens(repo_map.text) <= budget
    assert repo_map.files == 6
    if budget >= 60:
        assert {entry.shown for entry in repo_map.entries} == {"definitions"}
        assert repo_map.entries


def test_a_tight_budget_shows_the_most_used_definitions_and_below_that_paths(repo):
    full = repository_map(FileCache(repo), budget=5000)
    assert "class Engine:\n    def run(self, steps: int) -> None: ...\n" in full.text
    tight = repository_map(FileCache(repo), budget=estimate_tokens("## app/core.py\nclass Engine:\n    ...\n"))
    assert tight.text == "## app/core.py\nclass Engine:\n    ...\n"  # the most used name, its class's methods hidden
    paths = repository_map(FileCache(repo), budget=estimate_tokens("## app/core.py\n"))
    assert (paths.text, [e.shown for e in paths.entries]) == ("## app/core.py\n", ["path"])


@pytest.mark.parametrize("budget", [1, 12, 30, 60, 120, 1024, 5000])
def test_the_whole_map_is_valid_python_at_any_budget(repo, budget):
    from file_cache import is_valid_python

    repo_map = repository_map(FileCache(repo), budget=budget)
    assert is_valid_python(repo_map.text)
    assert not any(line and not line.startswith("#") for entry in repo_map.entries if entry.shown == "outline"
                   for line in repo_map.text.split(f"## {entry.path}\n", 1)[1].split("## ", 1)[0].splitlines())


def test_a_map_of_unchanged_files_is_not_ranked_again_and_an_edit_ranks_anew(repo, monkeypatch):
    import file_cache.repomap as repomap

    calls = []
    real = repomap.definition_ranks
    monkeypatch.setattr(repomap, "definition_ranks", lambda *args: calls.append(1) or real(*args))
    first = repository_map(FileCache(repo), budget=2000)
    again = repository_map(FileCache(repo), budget=2000)  # a new cache, as in a new process: the disk has it
    assert (again.text, again.entries, len(calls)) == (first.text, first.entries, 1)
    (repo / "app" / "core.py").write_text("class Engine:\n    def stop(self) -> None:\n        pass\n")
    edited = repository_map(FileCache(repo), budget=2000)
    assert len(calls) == 2 and "def stop(self) -> None: ..." in edited.text
