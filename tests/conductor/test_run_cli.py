import subprocess
import sys

from conductor.cli import main
from conductor.demo import DEMO_TRACK, prepare_demo
from tests.conductor.engine_helpers import trust_project


def conductor(*argv, stdin: str = "", cwd=None):
    return subprocess.run([sys.executable, "-m", "conductor.cli", *argv], input=stdin, capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_headless_demo_in_auto_mode():
    result = conductor("run", "--demo", "--auto")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("demo project copied to ")
    assert lines[1].startswith(("commands: sandbox: bwrap, no network, writes: project only, memory 4096 MB",
                                "commands: UNSANDBOXED ("))
    assert sum(line.startswith("commands: ") for line in lines) == 1  # said once, at the start
    assert "> T1 Add median() to calc/stats.py" in lines
    shell = lines.index("  $ python3 -m unittest tests.test_stats -> exit 1")
    assert lines[shell + 1].startswith("    hint (tier4): test_median_even")
    assert lines[shell + 2].startswith("    full output: ") and lines[shell + 2].endswith(".log")
    assert "track add-median: completed" in lines
    assert lines[-1].startswith("track add-median: 2/2 tickets completed, 0 blocked; this run: 10 model calls, ")


def test_step_mode_answered_at_the_terminal(tmp_path):
    project = prepare_demo(tmp_path / "demo")
    answers = "a\n" * 2 + "r\nuse a cleaner fix\n"
    result = conductor("run", DEMO_TRACK, "--project", str(project), stdin=answers)
    # the third call (the fix for even counts) was rejected: the scripted worker hands the ticket back
    assert "  reject: use a cleaner fix" in result.stdout
    assert "[a]pprove, [e]dit, [r]eject?" in result.stdout
    assert "@@ -6,3 +6,11 @@" in result.stdout  # the diff was shown before the first approval
    assert "You rejected the fix" in result.stdout
    assert "\nsandbox: bwrap, no network" in result.stdout or "\nUNSANDBOXED (" in result.stdout  # with each command
    assert result.returncode == 1  # T1 blocked, so T2 cannot run


def test_undo_and_errors(tmp_path, capsys, monkeypatch):
    project = prepare_demo(tmp_path / "demo")
    original = (project / "calc" / "stats.py").read_text()
    assert main(["run", DEMO_TRACK, "--project", str(project), "--auto"]) == 0
    capsys.readouterr()
    assert main(["ticket", "undo", DEMO_TRACK, "T1", "--project", str(project)]) == 0
    assert capsys.readouterr().out == "restored calc/stats.py\n"
    assert (project / "calc" / "stats.py").read_text() == original
    (project / "calc" / "report.py").write_text("# edited by hand\n")
    assert main(["ticket", "undo", DEMO_TRACK, "T2", "--project", str(project)]) == 2
    assert capsys.readouterr().err == ("conductor: changed since ticket T2 left them: calc/report.py "
                                       "(use --force to overwrite)\n")
    assert main(["run", "nope", "--project", str(project)]) == 2
    assert capsys.readouterr().err.startswith("conductor: no track 'nope'")
    monkeypatch.chdir(tmp_path)
    assert main(["run"]) == 2
    assert capsys.readouterr().err == "conductor: name the track to run (or pass --demo)\n"


def test_text_reaching_the_terminal_cannot_carry_escape_sequences():
    from conductor.text import printable

    assert printable("ok\x1b]0;pwned\x07 \x1b[2Jgone\r\nnext\rover\tx") == (
        "ok\\x1b]0;pwned\\x07 \\x1b[2Jgone\nnext\\x0dover\tx")


def test_a_models_escape_sequences_are_shown_escaped_at_the_terminal(tmp_path):
    from tests.conductor.engine_helpers import make_project, ticket

    turns = [{"text": "Reading.\x1b[2J", "tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}}]},
             {"text": "Done \x1b]0;owned\x07."}]
    make_project(tmp_path, {"a.py": "x = 1\n"}, {"T1": turns}, [ticket("T1", "a.py")])
    result = conductor("run", "track", "--project", str(tmp_path), "--auto")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\\x1b]0;owned\\x07" in result.stdout


def test_a_dry_run_sends_nothing_changes_nothing_and_says_what_would_run(tmp_path, fake_api):
    import hashlib
    import json

    project = prepare_demo(tmp_path / "demo")

    def snapshot():
        return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(project.rglob("*")) if p.is_file()}

    (project / "project.toml").write_text(f'[tier3]\nprovider = "anthropic"\nmodel = "claude-sonnet-4-5"\n'
                                          f'[providers]\nanthropic_base_url = "{fake_api.url}"\n')
    trust_project(project)
    before = snapshot()
    result = conductor("run", DEMO_TRACK, "--project", str(project), "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    preview = json.loads(result.stdout)
    assert [t["id"] for t in preview["ready"]] == ["T1"] and preview["after"] == ["T2"]
    first = preview["ready"][0]
    assert (first["provider"], first["model"], first["trust"]) == ("anthropic", "claude-sonnet-4-5", "step")
    assert first["first_request_tokens"] > 500
    assert first["first_call_cost_usd"] == round(first["first_request_tokens"] * 3 / 1_000_000, 10)
    assert fake_api.received == [] and snapshot() == before  # nothing sent, nothing written
    text = conductor("run", DEMO_TRACK, "--project", str(project), "--dry-run").stdout
    assert text.splitlines()[0] == f"dry run of track {DEMO_TRACK}: nothing is sent, nothing changes"
    assert "then, as those complete: T2" in text


def test_an_engine_that_crashes_leaves_its_traceback_in_the_projects_log(tmp_path):
    project = prepare_demo(tmp_path / "demo")
    trust_project(project)
    (project / "tracks" / DEMO_TRACK / "workers").write_text("a file where the workers' folder goes\n")
    result = conductor("run", DEMO_TRACK, "--auto", "--project", str(project))
    assert result.returncode == 2 and result.stderr.startswith("conductor: File exists: ")
    log = (project / "tracks" / "conductor.log").read_text()
    assert f"run of track {DEMO_TRACK} starts (auto)" in log
    assert "ERROR" in log and "the run of track add-median stopped on an error (ticket T1)" in log
    assert "Traceback (most recent call last):" in log and "FileExistsError" in log
