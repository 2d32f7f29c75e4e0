"""Every change a ticket makes, shell-made ones included, is seen and can be undone; the user's .git is untouched."""

from __future__ import annotations

import hashlib
import subprocess

from conductor.cli import main
from conductor.gate import AutoGate
from tests.conductor.engine_helpers import engine_for, history_results, make_project, ticket


def git(root, *args):
    return subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@t", *args], cwd=root, check=True,
                          capture_output=True, text=True).stdout


def tree_hash(folder):
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def shell(command):
    return {"tool_calls": [{"name": "run_shell", "arguments": {"command": command}}]}


def project_with_repo(tmp_path, tier3, extra_toml=""):
    files = {"app.py": "def f():\n    return 1\n", "old.txt": "remove me\n", "data.bin": "x", ".gitignore": "*.log\n"}
    track_id = make_project(tmp_path, files, tier3, [ticket("T1", "app.py")], extra_toml=extra_toml)
    (tmp_path / "data.bin").write_bytes(bytes(range(256)))
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "initial")
    return track_id


def test_a_shell_made_change_is_shown_recorded_and_undone_and_dot_git_is_untouched(tmp_path, capsys):
    command = ("sed -i 's/return 1/return 2/' app.py && printf 'new\\n' > made.txt && rm old.txt && "
               "printf '\\x00\\x01' > data.bin && echo noise > run.log")
    tier3 = {"T1": [shell(command), {"text": "done", "expect": {"results_contain": [
        "files changed by the command: app.py (modified), data.bin (modified), made.txt (added), old.txt (deleted)"]}}]}
    track_id = project_with_repo(tmp_path, tier3)
    dot_git = tree_hash(tmp_path / ".git")
    engine = engine_for(tmp_path, track_id, gate=AutoGate(), auto=True)
    assert engine.run().completed == ["T1"]
    assert tree_hash(tmp_path / ".git") == dot_git  # HEAD, index, refs, config: byte-identical
    [changes] = [e for e in engine.store.ledger(track_id).read() if e["event"] == "command_changes"]
    assert changes["files"] == {"app.py": "modified", "data.bin": "modified", "made.txt": "added",
                                "old.txt": "deleted"}  # run.log is in .gitignore: left out
    assert "-    return 1\n+    return 2\n" in changes["diff"] and "Binary files" in changes["diff"]
    assert "files changed by the command" in history_results(engine.store, track_id, "T1")[0].content

    assert main(["ticket", "diff", track_id, "T1", "--project", str(tmp_path)]) == 0
    diff = capsys.readouterr().out
    assert "--- a/app.py\n+++ b/app.py\n" in diff and "+++ b/made.txt" in diff and "--- a/old.txt" in diff
    assert "Binary file data.bin changed" in diff

    assert main(["ticket", "undo", track_id, "T1", "--project", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "restored app.py\nrestored data.bin\nrestored made.txt\nrestored old.txt\n"
    assert (tmp_path / "app.py").read_text() == "def f():\n    return 1\n"
    assert (tmp_path / "old.txt").read_text() == "remove me\n"
    assert (tmp_path / "data.bin").read_bytes() == bytes(range(256))
    assert not (tmp_path / "made.txt").exists()
    assert tree_hash(tmp_path / ".git") == dot_git
    status = git(tmp_path, "status", "--porcelain", "--untracked-files=all").splitlines()  # (refreshes the index)
    assert not [line for line in status
                if "checkpoints.git" in line or not line.startswith(("?? tracks/", " M tracks/"))]


def test_undo_refuses_a_file_changed_since_and_restores_from_a_call(tmp_path, capsys):
    tier3 = {"T1": [{"tool_calls": [{"name": "write_file", "arguments": {"path": "a.txt", "content": "one\n"}}]},
                    shell("printf 'two\\n' > b.txt"), {"text": "done"}]}
    track_id = project_with_repo(tmp_path, tier3)
    engine = engine_for(tmp_path, track_id, gate=AutoGate(), auto=True)
    assert engine.run().completed == ["T1"]
    checkpoints = [e for e in engine.store.ledger(track_id).read() if e["event"] == "checkpoint"]
    assert [e["tool"] for e in checkpoints] == ["write_file", "run_shell"]
    (tmp_path / "b.txt").write_text("edited by hand\n")
    assert main(["ticket", "undo", track_id, "T1", "--project", str(tmp_path)]) == 2
    assert "changed since ticket T1 left them: b.txt (use --force to overwrite)" in capsys.readouterr().err
    # restore to before the shell call: b.txt goes, a.txt (written before it) stays
    assert main(["ticket", "undo", track_id, "T1", "--from-call", checkpoints[1]["call_id"], "--force",
                 "--project", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "restored b.txt\n"
    assert (tmp_path / "a.txt").read_text() == "one\n" and not (tmp_path / "b.txt").exists()
    assert main(["ticket", "undo", track_id, "T1", "--project", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "restored a.txt\n"
    assert not (tmp_path / "a.txt").exists()


def test_commit_ticket_commits_only_the_tickets_files(tmp_path):
    tier3 = {"T1": [{"tool_calls": [{"name": "edit_file", "arguments": {"path": "app.py", "old_text": "return 1",
                                                                        "new_text": "return 3"}}]},
                    shell("printf 'gen\\n' > generated.txt"), {"text": "Returned 3 instead of 1."}]}
    track_id = project_with_repo(tmp_path, tier3, extra_toml='[git]\ncommit = "ticket"\n')
    (tmp_path / "staged.txt").write_text("the user's own work\n")
    git(tmp_path, "add", "staged.txt")
    (tmp_path / "unstaged.txt").write_text("not staged\n")
    engine = engine_for(tmp_path, track_id, gate=AutoGate(), auto=True)
    assert engine.run().completed == ["T1"]
    assert git(tmp_path, "log", "-1", "--format=%B") == ("T1: ticket T1\n\nReturned 3 instead of 1.\n\n"
                                                          "Conductor track track\n\n")
    assert sorted(git(tmp_path, "show", "--name-only", "--format=", "HEAD").split()) == ["app.py", "generated.txt"]
    status = git(tmp_path, "status", "--porcelain").splitlines()
    assert "A  staged.txt" in status and "?? unstaged.txt" in status  # still staged, still not staged
    assert not [line for line in status if "app.py" in line or "generated.txt" in line]
    [event] = [e for e in engine.store.ledger(track_id).read() if e["event"] == "ticket_committed"]
    assert event["paths"] == ["app.py", "generated.txt"] and event["commit"]


def test_big_files_stay_out_of_checkpoints(tmp_path):
    tier3 = {"T1": [shell("head -c 3000 /dev/zero > big.bin && echo x > small.txt"), {"text": "done"}]}
    track_id = project_with_repo(tmp_path, tier3, extra_toml="[git]\ncheckpoint_max_file_bytes = 1000\n")
    engine = engine_for(tmp_path, track_id, gate=AutoGate(), auto=True)
    assert engine.run().completed == ["T1"]
    [changes] = [e for e in engine.store.ledger(track_id).read() if e["event"] == "command_changes"]
    assert changes["files"] == {"small.txt": "added"}


def test_without_git_the_run_says_so(tmp_path, monkeypatch, capsys):
    track_id = make_project(tmp_path, {"a.py": "x = 1\n"}, {"T1": [{"text": "done"}]}, [ticket("T1", "a.py")])
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert main(["run", track_id, "--auto", "--project", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("conductor: git is not installed: Conductor needs it for checkpoints")


def test_undo_puts_a_link_back_as_a_link_and_never_writes_through_one(tmp_path, capsys):
    victim = tmp_path.parent / f"{tmp_path.name}-victim"
    track_id = make_project(tmp_path, {"t.txt": "text t\n", "keep/x.py": "x = 1\n", "notes.txt": "my notes\n"},
                            {"T1": [shell(f"ln -sfn keep/x.py link && rm notes.txt && ln -s {victim} notes.txt"),
                                    {"text": "done"}]}, [ticket("T1", "t.txt")])
    (tmp_path / "link").symlink_to("t.txt")
    engine = engine_for(tmp_path, track_id, gate=AutoGate())
    assert engine.run().completed == ["T1"]
    assert (tmp_path / "link").readlink().as_posix() == "keep/x.py"
    assert main(["ticket", "undo", track_id, "T1", "--project", str(tmp_path)]) == 0
    assert (tmp_path / "link").is_symlink() and (tmp_path / "link").readlink().as_posix() == "t.txt"
    assert (tmp_path / "keep" / "x.py").read_text() == "x = 1\n"  # the link's old target was never written
    assert not (tmp_path / "notes.txt").is_symlink() and (tmp_path / "notes.txt").read_text() == "my notes\n"
    assert (tmp_path / "t.txt").read_text() == "text t\n"
    assert not victim.exists()  # nothing was written outside the project


def test_undo_puts_back_modes_and_folders_a_command_changed(tmp_path, capsys):
    """What git does not keep: permission bits beyond the exec bit, empty folders, folders a command made."""
    command = ("chmod 000 old.txt && chmod 700 app.py && rmdir empty && mkdir -p made/deep/er && "
               "mkdir box && touch box/x && rm box/x && chmod 700 kept")
    tier3 = {"T1": [shell(command), {"text": "done", "expect": {"results_contain": [
        "old.txt (mode 644 -> 0)", "empty (folder deleted)", "made (folder added)", "kept (folder mode 755 -> 700)"]}}]}
    (tmp_path / "empty").mkdir(parents=True)
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "in.txt").write_text("in\n")
    track_id = project_with_repo(tmp_path, tier3)
    before = {p.relative_to(tmp_path).as_posix(): p.lstat().st_mode for p in tmp_path.rglob("*")
              if "tracks" not in p.parts and ".git" not in p.parts}
    engine = engine_for(tmp_path, track_id, gate=AutoGate(), auto=True)
    assert engine.run().completed == ["T1"]
    assert (tmp_path / "old.txt").stat().st_mode & 0o777 == 0 and (tmp_path / "made" / "deep" / "er").is_dir()
    assert main(["ticket", "undo", track_id, "T1", "--project", str(tmp_path)]) == 0
    assert "restored empty\n" in capsys.readouterr().out
    after = {p.relative_to(tmp_path).as_posix(): p.lstat().st_mode for p in tmp_path.rglob("*")
             if "tracks" not in p.parts and ".git" not in p.parts}
    assert after == before


def test_a_file_replaced_by_a_link_outside_comes_back_and_nothing_is_written_there(tmp_path):
    victim = tmp_path / "victim"
    tier3 = {"T1": [shell(f"rm old.txt && ln -s {victim} old.txt"), {"text": "done"}]}
    project = tmp_path / "project"
    track_id = project_with_repo(project, tier3)
    engine = engine_for(project, track_id, gate=AutoGate(), auto=True)
    assert engine.run().completed == ["T1"]
    assert main(["ticket", "undo", track_id, "T1", "--project", str(project)]) == 0
    assert not (project / "old.txt").is_symlink() and (project / "old.txt").read_text() == "remove me\n"
    assert not victim.exists()
