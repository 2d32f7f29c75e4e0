import os

import pytest

from file_cache import FileCache, PathOutsideRootError, ViewError, estimate_tokens


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("def f(a: int) -> int:\n    return a\n")
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref")
    return tmp_path


def test_views_and_token_counts(project):
    cache = FileCache(project)
    skeleton = cache.view("pkg/mod.py", "skeleton")
    assert (skeleton.path, skeleton.text) == ("pkg/mod.py", "def f(a: int) -> int: ...\n")
    assert skeleton.tokens == estimate_tokens(skeleton.text)
    assert cache.view("pkg/mod.py", "raw").text == "def f(a: int) -> int:\n    return a\n"
    assert cache.view("pkg/mod.py", "outline").text == "function f  L1-2\n"
    assert cache.view("notes.txt", "raw").text == "hello\n"


def test_parses_are_reused_by_content_and_edits_invalidate(project):
    cache = FileCache(project)
    cache.view("pkg/mod.py", "skeleton")
    cache.view("pkg/mod.py", "curated")
    assert (cache.misses, cache.hits) == (1, 1)
    (project / "copy.py").write_text((project / "pkg" / "mod.py").read_text())
    cache.view("copy.py", "skeleton")
    assert (cache.misses, cache.hits) == (1, 2)
    (project / "pkg" / "mod.py").write_text("def g(): pass\n")
    assert cache.view("pkg/mod.py", "skeleton").text == "def g(): ...\n"
    assert cache.misses == 2


def test_memory_is_bounded(project):
    cache = FileCache(project, max_entries=2)
    for index in range(5):
        (project / f"m{index}.py").write_text(f"def f{index}(): pass\n")
        cache.view(f"m{index}.py", "skeleton")
    assert len(cache._entries) == 2


def test_paths_are_confined_to_the_root(project, tmp_path_factory):
    cache = FileCache(project)
    outside = tmp_path_factory.mktemp("outside") / "secret.py"
    outside.write_text("SECRET = 1\n")
    os.symlink(outside, project / "link.py")
    for path in ("../x.py", str(outside), "link.py", "pkg/../../x.py"):
        with pytest.raises(PathOutsideRootError):
            cache.view(path, "raw")


def test_clear_errors(project):
    cache = FileCache(project)
    with pytest.raises(ViewError, match="no such file"):
        cache.view("missing.py", "raw")
    with pytest.raises(ViewError, match="binary file"):
        cache.view("blob.bin", "raw")
    with pytest.raises(ViewError, match="needs a Python file"):
        cache.view("notes.txt", "skeleton")
    with pytest.raises(ViewError, match="unknown view"):
        cache.view("pkg/mod.py", "everything")


def test_definition_and_directory_map(project):
    cache = FileCache(project)
    assert cache.definition("pkg/mod.py", "f").text == "def f(a: int) -> int:\n    return a\n"
    assert cache.directory_map() == "blob.bin\nnotes.txt\npkg/\npkg/mod.py\n"
    assert cache.directory_map(max_entries=2) == "blob.bin\nnotes.txt\n... 2 more entries not shown\n"
