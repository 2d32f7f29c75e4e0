import os
import subprocess
import sys
from pathlib import Path

import pytest

from file_cache import FileCache, PathOutsideRootError, ViewError, estimate_tokens
from file_cache import cache as cache_module
from file_cache.disk import DiskCache


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


def test_memory_is_bounded_by_what_is_held(project):
    cache = FileCache(project, max_view_bytes=60, max_parse_bytes=40, disk=False)
    for index in range(5):
        (project / f"m{index}.py").write_text(f"def function_{index}(): pass\n")
        cache.view(f"m{index}.py", "skeleton")
    # the newest two views of 26 characters each, with their line numbers (3 characters each)
    assert cache._view_bytes <= 60 and sorted(kind for _, kind in cache._views) == [
        "skeleton", "skeleton", "skeleton-rows", "skeleton-rows"]
    assert cache._parse_bytes <= 40 and len(cache._parses) == 1
    cache.remember("key", "map", "x" * 50)  # a kept map counts against the same bound
    assert cache._view_bytes <= 60 and cache.remembered("key", "map") == "x" * 50


def test_a_token_count_is_made_when_first_asked_then_kept_for_every_process(project, tmp_path):
    disk = tmp_path / "views.sqlite3"
    cache = FileCache(project, disk=DiskCache(disk))
    first = cache.view("pkg/mod.py", "curated")
    assert first.counted is None  # a pass over a whole tree (the map's) counts nothing
    assert cache.view("pkg/mod.py", "curated").counted is None
    assert first.tokens == estimate_tokens(first.text)
    assert cache.view("pkg/mod.py", "curated").counted == first.tokens
    assert FileCache(project, disk=DiskCache(disk)).view("pkg/mod.py", "curated").counted == first.tokens


def test_an_unchanged_file_is_known_without_reading_it(project, monkeypatch):
    cache = FileCache(project, disk=False)
    first = cache.view("pkg/mod.py", "skeleton")
    reads: list[str] = []

    def spied_open(path, *args, **kwargs):
        reads.append(os.fspath(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(cache_module, "open", spied_open, raising=False)  # what the cache module reads with
    assert cache.view("pkg/mod.py", "skeleton") == first and reads == []
    (project / "pkg" / "mod.py").write_text("def g(): pass\n")  # a new stat: read, hashed, parsed again
    assert cache.view("pkg/mod.py", "skeleton").text == "def g(): ...\n"
    assert reads == [str(project.resolve() / "pkg" / "mod.py")]


def test_views_are_shared_with_the_next_process_and_a_damaged_file_is_set_aside(project, tmp_path):
    path = tmp_path / "views.sqlite3"
    first = FileCache(project, disk=DiskCache(path))
    view = first.view("pkg/mod.py", "curated")
    assert first.misses == 1
    code = ("import sys; from pathlib import Path; from file_cache import FileCache; from file_cache.disk import "
            f"DiskCache; c = FileCache({str(project)!r}, disk=DiskCache(Path({str(path)!r}))); "
            "v = c.view('pkg/mod.py', 'curated'); print(c.misses, c.hits, v.tokens)")
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert again == f"0 1 {view.tokens}\n"  # a new process: not parsed, not even read
    path.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    fresh = FileCache(project, disk=DiskCache(path))
    assert fresh.view("pkg/mod.py", "curated") == view and fresh.misses == 1
    assert (tmp_path / "views.sqlite3.corrupt-0").read_bytes().startswith(b"this is not")


def test_the_disk_cache_is_bounded_least_recently_used_first(tmp_path):
    disk = DiskCache(tmp_path / "views.sqlite3", max_bytes=1000)
    for index in range(30):
        disk.put(f"sha{index}", "skeleton", "x" * 100, 10)
    disk.evict()
    kept = [index for index in range(30) if disk.get(f"sha{index}", "skeleton") is not None]
    assert kept == list(range(21, 30))  # 900 bytes: the newest nine


def test_paths_are_confined_to_the_root(project, tmp_path_factory):
    cache = FileCache(project)
    outside = tmp_path_factory.mktemp("outside") / "secret.py"
    outside.write_text("SECRET = 1\n")
    os.symlink(outside, project / "link.py")
    for path in ("../x.py", str(outside), "link.py", "pkg/../../x.py"):
        with pytest.raises(PathOutsideRootError):
            cache.view(path, "raw")


def test_a_path_served_before_is_refused_once_it_leads_outside_the_root(project, tmp_path_factory, monkeypatch):
    cache = FileCache(project, disk=False)
    (project / "pkg" / "same.py").write_text("SECRET = 1\n")  # the same bytes as the file outside
    os.symlink(project / "pkg" / "same.py", project / "link.py")
    first = cache.view("pkg/mod.py", "skeleton")
    cache.view("link.py", "skeleton")
    outside = tmp_path_factory.mktemp("outside") / "secret.py"
    outside.write_text("SECRET = 1\n")
    (project / "link.py").unlink()
    os.symlink(outside, project / "link.py")  # another file: resolved again, and refused
    with pytest.raises(PathOutsideRootError):
        cache.view("link.py", "skeleton")
    moved = tmp_path_factory.mktemp("moved")
    (project / "pkg").rename(moved / "pkg")  # the folder leaves the root and a link brings it back
    os.symlink(moved / "pkg", project / "pkg")
    reads: list[str] = []
    monkeypatch.setattr(cache_module, "open", lambda path, *a: reads.append(path) or open(path, *a), raising=False)
    # the same file, unchanged: what was read from inside the root is served, nothing is read
    assert cache.view("pkg/mod.py", "skeleton") == first and reads == []
    (moved / "pkg" / "mod.py").write_text("def g(): pass\n")
    with pytest.raises(PathOutsideRootError):
        cache.view("pkg/mod.py", "skeleton")
    assert reads == []


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
