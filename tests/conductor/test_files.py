"""Writes keep what makes a file work; undo restores the same bytes and mode; reads are bounded."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap

import pytest

from conductor.config import load_project_config
from conductor.guards import PathGuard
from conductor.messages import ToolCall
from conductor.shell import run_command
from conductor.store import TrackStore
from conductor.tools import ProjectTools
from file_cache import FileCache


@pytest.fixture
def tools(tmp_path):
    guard = PathGuard.for_project(load_project_config(tmp_path, environ={}))
    return ProjectTools(cache=FileCache(tmp_path), guard=guard, max_file_bytes=1_000_000,
                        run_command=lambda command: run_command(command, tmp_path, 10))


def edit(tools, path, old, new):
    return tools.run(ToolCall(id="c", name="edit_file", arguments={"path": path, "old_text": old,
                                                                      "new_text": new}))


def test_an_edit_keeps_mode_encoding_bom_and_line_endings(tools, tmp_path):
    script = tmp_path / "run.sh"
    script.write_bytes(b"#!/bin/sh\r\necho one\r\n")
    script.chmod(0o755)
    latin = tmp_path / "latin.py"
    latin.write_bytes("# -*- coding: latin-1 -*-\nNAME = 'café'\n".encode("latin-1"))
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfX = 1\n")
    assert not edit(tools, "run.sh", "echo one", "echo two").is_error
    assert not edit(tools, "latin.py", "café", "crème").is_error
    assert not edit(tools, "bom.py", "X = 1", "X = 2").is_error
    assert script.read_bytes() == b"#!/bin/sh\r\necho two\r\n"
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    assert latin.read_bytes() == "# -*- coding: latin-1 -*-\nNAME = 'crème'\n".encode("latin-1")
    assert bom.read_bytes() == b"\xef\xbb\xbfX = 2\n"
    refused = edit(tools, "latin.py", "crème", "日本")
    assert refused.is_error and "cannot hold" in refused.content
    assert latin.read_bytes() == "# -*- coding: latin-1 -*-\nNAME = 'crème'\n".encode("latin-1")


def test_a_new_file_follows_the_umask_not_0600(tools, tmp_path):
    previous = os.umask(0o022)
    try:
        assert not tools.run(ToolCall(id="c", name="write_file", arguments={"path": "new.py",
                                                                                "content": "x = 1\n"})).is_error
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.py").stat().st_mode) == 0o666 & ~0o022


def test_an_undecodable_file_is_refused_never_rewritten(tools, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_bytes(b"x = '\xff\xfe'\n")
    outcome = edit(tools, "bad.py", "x", "y")
    assert outcome.is_error and "cannot be decoded as utf-8" in outcome.content
    assert bad.read_bytes() == b"x = '\xff\xfe'\n"


def test_fifos_and_devices_are_refused_for_writes(tools, tmp_path):
    os.mkfifo(tmp_path / "pipe")
    for path in ("pipe", "/dev/null"):
        outcome = tools.run(ToolCall(id="c", name="write_file", arguments={"path": path, "content": "x"}))
        assert outcome.is_error
    assert "not a regular file" in tools.run(ToolCall(id="c", name="write_file", arguments={
        "path": "pipe", "content": "x"})).content
    assert "not a regular file" in edit(tools, "pipe", "a", "b").content


def test_undo_restores_the_same_bytes_and_mode(tools, tmp_path):
    script = tmp_path / "run.sh"
    original = "#!/bin/sh\r\n# café\r\necho one\r\n".encode("latin-1")
    script.write_bytes(b"# -*- coding: latin-1 -*-\n" + original)
    script.chmod(0o750)
    before = script.read_bytes()
    outcome = edit(tools, "run.sh", "echo one", "echo two")
    store = TrackStore(tmp_path / "tracks")
    store.record_change("t", "T1", outcome.change.path, outcome.change.before.record(), outcome.change.after.record())
    created = tools.run(ToolCall(id="c", name="write_file", arguments={"path": "made.py", "content": "m\n"}))
    store.record_change("t", "T1", created.change.path, None, created.change.after.record())
    script.chmod(0o700)  # undo also puts back the mode the file had
    with (tmp_path / "tracks" / "t" / "changes.jsonl").open("ab") as handle:
        handle.write('{"event": "write", "path": "é'.encode()[:-1])  # a torn line, cut inside a character
    assert sorted(store.undo_ticket("t", "T1", tmp_path, force=True)) == ["made.py", "run.sh"]
    assert script.read_bytes() == before
    assert stat.S_IMODE(script.stat().st_mode) == 0o750
    assert not (tmp_path / "made.py").exists()


def test_reading_three_lines_of_a_huge_file_stays_small(tmp_path):
    """A 300 MB log (one 100 MB line among many): a line range, a search and an edit each stay far under it."""
    probe = textwrap.dedent(f"""
        import resource, sys
        from pathlib import Path
        sys.path.insert(0, {str(os.getcwd())!r})
        from conductor.config import load_project_config
        from conductor.guards import PathGuard
        from conductor.messages import ToolCall
        from conductor.tools import ProjectTools
        from file_cache import FileCache
        root = Path({str(tmp_path)!r})
        with open(root / "big.log", "wb") as handle:
            handle.write(b"first line\\nsecond line\\n" + b"x" * 100_000_000 + b"\\n")
            for _ in range(200):
                handle.write(b"y" * 1_000_000 + b"\\n")
        guard = PathGuard.for_project(load_project_config(root, environ={{}}))
        tools = ProjectTools(cache=FileCache(root), guard=guard, run_command=None)
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        outcomes = [tools.run(ToolCall(id="c", name=name, arguments=args)) for name, args in (
            ("read_file", {{"path": "big.log", "start_line": 1, "end_line": 3}}),
            ("search_files", {{"pattern": "second"}}),
            ("edit_file", {{"path": "big.log", "old_text": "first", "new_text": "1st"}}))]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(peak - base, repr([o.content[:80] for o in outcomes]))
        """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    grown_kib, contents = result.stdout.split(" ", 1)
    assert int(grown_kib) < 300 * 1024, result.stdout  # under the file's size (ru_maxrss is in KiB)
    assert contents.startswith("['first line\\nsecond line\\nxxxx")
    assert "no matches" in contents  # the file is above the search limit: skipped, not loaded
    assert "above the 20000000-byte limit for edits" in contents
    (tmp_path / "big.log").unlink()
