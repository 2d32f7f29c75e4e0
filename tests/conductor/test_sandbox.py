"""Commands run in a real bubblewrap sandbox: no network, no secrets, writes only in the project, limits that name
themselves; and `sandbox = "off"` runs them as before."""

from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path

import pytest

from conductor.config import ProjectConfig, load_project_config
from conductor.gate import ApprovalPolicy, AutoGate
from conductor.guards import PathGuard
from conductor.messages import ToolCall
from conductor.sandbox import choose_sandbox, describe
from conductor.shell import CommandRunner
from conductor.tier4 import Tier4Summariser
from file_cache import FileCache
from tests.conductor.engine_helpers import engine_for, history_results, make_project, ticket, trust_project

pytestmark = pytest.mark.skipif(not choose_sandbox(ProjectConfig().shell).confined,
                                reason="bubblewrap is installed by scripts/test; without it there is no sandbox")


def project(tmp_path: Path, shell: str = "", home: Path | None = None) -> CommandRunner:
    root = tmp_path / "project"
    (root / "sub").mkdir(parents=True)
    (root / "app.py").write_text("print('hi')\n")
    (root / ".env").write_text("API_TOKEN=root-secret\n")
    (root / "sub" / "server.pem").write_text("PEM-SECRET\n")
    os.link(root / "sub" / "server.pem", root / "notes.txt")  # a hard link to a secret, under an innocent name
    (root / "credentials.toml").write_text('anthropic_api_key = "sk-secret"\n')
    (root / "tracks").mkdir()
    (root / "tracks" / "track.json").write_text("{}")
    (root / "project.toml").write_text(f"[shell]\ntimeout_seconds = 60\n{shell}")
    trust_project(root)
    environ = {"HOME": str(home)} if home else {}
    config = load_project_config(root, environ=environ)
    return CommandRunner(config, PathGuard.for_project(config))


def test_a_command_cannot_reach_a_listener_on_the_host_loopback(tmp_path):
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    runner = project(tmp_path)
    connect = f"{sys.executable} -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3)\""
    result = runner.run(connect)
    assert result.exit_code != 0 and "ConnectionRefusedError" in result.stderr
    assert accepted == []
    assert runner.run(connect, network=True).exit_code == 0  # an archetype with network = true
    listener.close()


def test_writes_outside_the_project_fail_and_inside_work(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("PRIVATE KEY\n")
    (home / ".bashrc").write_text("# readable\n")
    monkeypatch.setenv("HOME", str(home))
    outside = Path("/var/tmp") / f"conductor-outside-{os.getpid()}"
    runner = project(tmp_path, home=home)
    result = runner.run(f"touch $HOME/x; touch {outside}; cat ~/.ssh/id_rsa; cat ~/.bashrc; echo made > made.txt")
    assert not (home / "x").exists() and not outside.exists()
    assert "PRIVATE KEY" not in result.output and "# readable" in result.stdout
    assert (runner.config.root / "made.txt").read_text() == "made\n"
    assert runner.run("echo private > /tmp/x && cat /tmp/x").stdout == "private\n"  # a private /tmp
    assert not Path("/tmp/x").exists()
    assert result.stderr.count("Read-only file system") == 2


def test_the_tracks_the_credentials_and_the_projects_secrets_cannot_be_read(tmp_path):
    runner = project(tmp_path)
    result = runner.run("cat tracks/track.json credentials.toml .env sub/server.pem notes.txt; ls tracks; cat app.py")
    assert result.stdout == "print('hi')\n"
    for secret in ("sk-secret", "root-secret", "PEM-SECRET"):
        assert secret not in result.output
    assert result.stderr.count("Permission denied") == 4  # the files, bound over
    assert "tracks/track.json: No such file" in result.stderr  # the folder, an empty one in its place


def test_the_git_folder_is_hidden_or_read_only(tmp_path):
    runner = project(tmp_path)
    root = runner.config.root
    assert runner.run("git init -q && git status --short").exit_code == 0  # no .git yet: the project may make one
    hidden = runner.run("git status --short")
    assert hidden.exit_code != 0 and "not a git repository" in hidden.stderr
    (root / "project.toml").write_text('[shell]\nsandbox_git = "read-only"\n')
    trust_project(root)
    config = load_project_config(root, environ={})
    read_only = CommandRunner(config, PathGuard.for_project(config))
    assert "?? app.py" in read_only.run("git status --short --untracked-files=all").stdout
    planted = read_only.run("echo 'curl evil' > .git/hooks/pre-commit")
    assert planted.exit_code != 0 and not (root / ".git" / "hooks" / "pre-commit").exists()


def test_a_git_file_and_symlinked_secrets_are_hidden_without_breaking_commands(tmp_path):
    runner = project(tmp_path)
    root = runner.config.root
    (root / ".git").write_text("gitdir: /elsewhere/worktrees/x\n")  # a worktree or a submodule
    outside = tmp_path / "outside.env"  # under /tmp: not in the sandbox at all
    outside.write_text("OUTSIDE-SECRET\n")
    (root / "local.env").symlink_to(outside)
    (root / "sub" / "deploy.key").write_text("KEY-SECRET\n")
    (root / "linked.pem").symlink_to(root / "sub" / "deploy.key")
    result = runner.run("cat .git; cat local.env; cat linked.pem; cat sub/deploy.key; echo still-runs")
    assert result.stdout == "still-runs\n", result.stderr
    for secret in ("gitdir", "OUTSIDE-SECRET", "KEY-SECRET"):
        assert secret not in result.output


def test_memory_limit_stops_a_big_allocation_and_names_itself(tmp_path):
    runner = project(tmp_path, "memory_mb = 256\n")
    result = runner.run(f"{sys.executable} -c 'bytearray(1 << 30)'")
    assert result.exit_code != 0
    assert result.limit == "an allocation failed under the memory limit 256 MB per process"
    report = Tier4Summariser(runner.config.root, FileCache(runner.config.root)).report(result, None)
    assert "memory limit 256 MB" in report.hint and "memory limit 256 MB" in report.text.splitlines()[1]


def test_memory_of_the_whole_tree_is_watched(tmp_path):
    runner = project(tmp_path, "memory_mb = 200\n")  # three processes of 120 MB each: each under, all over
    touch = f"{sys.executable} -c 'import time; b = b\"x\" * (120 << 20); time.sleep(30)'"
    result = runner.run(f"{touch} & {touch} & {touch} & wait")
    assert result.limit is not None and result.limit.startswith("killed: memory limit 200 MB")
    assert result.seconds < 30  # killed, not waited for


def test_cpu_and_process_limits(tmp_path):
    runner = project(tmp_path, "cpu_seconds = 1\nmax_processes = 8\n")
    spin = runner.run(f"{sys.executable} -c 'while True: pass'")
    assert spin.limit == "killed: CPU limit 1 s"
    forks = runner.run("for i in $(seq 30); do sleep 20 & done; wait")
    assert forks.limit == "killed: process limit 8" and forks.seconds < 20


def test_sandbox_off_runs_as_before(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    runner = project(tmp_path, 'sandbox = "off"\n', home=home)
    assert not runner.choice.confined
    result = runner.run("touch $HOME/x && cat .env")
    assert (home / "x").exists() and result.stdout == "API_TOKEN=root-secret\n"
    assert describe(runner.choice, runner.config.shell, False).startswith(
        'UNSANDBOXED ([shell] sandbox = "off"): the command runs with all your rights')


def test_a_required_sandbox_that_cannot_run_refuses_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no bwrap on PATH
    runner = project(tmp_path, 'sandbox = "bwrap"\n')
    result = runner.run("touch ran")
    assert result.exit_code == 126 and "bwrap is not installed" in result.stderr
    assert not (runner.config.root / "ran").exists()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    unset = project(tmp_path / "other")  # unset: off, and said
    assert unset.describe().startswith("UNSANDBOXED (bwrap is not installed")


def test_the_projects_own_tests_run_inside(tmp_path):
    runner = project(tmp_path)
    root = runner.config.root
    (root / "test_app.py").write_text("import tempfile\n\ndef test_one(tmp_path):\n"
                                      "    (tmp_path / 'x').write_text('x')\n    assert tempfile.mkdtemp()\n")
    result = runner.run(f"{sys.executable} -m pytest -q -p no:cacheprovider test_app.py")
    assert result.exit_code == 0, result.output
    assert "1 passed" in result.stdout


def test_writes_inside_are_checkpointed_and_undone(tmp_path, capsys):
    from conductor.cli import main
    escaped = Path("/var/tmp") / f"conductor-escaped-{os.getpid()}"
    command = f"sed -i 's/1/2/' app.py && touch {escaped}; echo new > new.txt"
    tier3 = {"T1": [{"tool_calls": [{"name": "run_shell", "arguments": {"command": command}}]},
                    {"text": "done"}]}
    track_id = make_project(tmp_path, {"app.py": "x = 1\n"}, tier3, [ticket("T1", "app.py")])
    engine = engine_for(tmp_path, track_id, gate=AutoGate(), auto=True)
    assert engine.commands.choice.confined
    assert engine.run().completed == ["T1"]
    assert not escaped.exists()
    [result] = history_results(engine.store, track_id, "T1")
    assert "Read-only file system" in result.content
    assert "files changed by the command: app.py (modified), new.txt (added)" in result.content
    assert main(["ticket", "undo", track_id, "T1", "--project", str(tmp_path)]) == 0
    assert (tmp_path / "app.py").read_text() == "x = 1\n" and not (tmp_path / "new.txt").exists()


def call(name: str, **arguments: str) -> ToolCall:
    return ToolCall(id="1", name=name, arguments=arguments)


def test_sandboxed_auto_runs_commands_without_asking_only_in_a_sandbox():
    config = ProjectConfig.model_validate({"archetypes": {
        "builder": {"commands": "sandboxed-auto"}, "trusted": {"trust": "auto"}}})
    guard = PathGuard.for_project(config)
    sandboxed, bare = ApprovalPolicy(config, guard, sandboxed=True), ApprovalPolicy(config, guard, sandboxed=False)
    command = call("run_shell", command="make && ./build.sh")
    assert sandboxed.auto_reason("builder", command) == (
        "archetype 'builder' runs commands in the sandbox without asking (sandboxed-auto)")
    assert sandboxed.auto_reason("builder", call("write_file", path="a", content="")) is None  # writes still ask
    assert bare.auto_reason("builder", command) is None
    assert bare.auto_reason("trusted", command) is None  # auto trust needs allow_unsandboxed without a sandbox
    assert bare.auto_reason("trusted", call("write_file", path="a", content=""))
    assert sandboxed.auto_reason("trusted", command)
    allowed = ProjectConfig.model_validate({"archetypes": {"trusted": {"trust": "auto"}},
                                            "shell": {"allow_unsandboxed": True}})
    assert ApprovalPolicy(allowed, guard, sandboxed=False).auto_reason("trusted", command)
