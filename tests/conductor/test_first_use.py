"""What a new user meets first: defaults that are said, not guessed, and output that reads well."""

from __future__ import annotations

from conductor.config import load_project_config
from conductor.event_printer import EventPrinter
from conductor.events import DecisionMade, TicketBlocked, ToolFinished
from conductor.gate import PendingCall, TerminalGate
from conductor.messages import ToolCall
from conductor.models import Ticket, TicketStatus, Track
from conductor.store import TrackStore
from conductor.text import clip


def test_a_provider_without_a_model_gets_its_own_default_never_another_providers(tmp_path):
    (tmp_path / "project.toml").write_text('[tier3]\nprovider = "gemini"\nmodel = "gemini-2.5-pro"\n')
    assert load_project_config(tmp_path, environ={}).tier3.model == "gemini-2.5-pro"
    switched = load_project_config(tmp_path, {"tier3.provider": "anthropic"}, environ={})
    assert (switched.tier3.provider, switched.tier3.model) == ("anthropic", "claude-sonnet-4-5")
    by_variable = load_project_config(tmp_path, environ={"CONDUCTOR_TIER3_PROVIDER": "anthropic"})
    assert by_variable.tier3.model == "claude-sonnet-4-5"
    named = load_project_config(tmp_path, {"tier3.provider": "anthropic", "tier3.model": "claude-haiku-4-5"},
                                environ={})
    assert named.tier3.model == "claude-haiku-4-5"


def test_a_track_built_in_python_derives_its_statuses():
    track = Track(id="t", title="t", tickets=[
        Ticket(id="A", title="a", target_file="a.py", prompt="p"),
        Ticket(id="B", title="b", target_file="b.py", prompt="p", dependencies=["A"]),
        Ticket(id="C", title="c", target_file="c.py", prompt="p", dependencies=["A", "B"])])
    assert [t.status for t in track.tickets] == ["pending", "locked", "locked"]
    assert [t.id for t in track.get_executable_tickets()] == ["A"]
    assert track.mark_complete("A", "done by hand") == ["B"]
    assert track.mark_complete("B") == ["C"]
    assert track.ticket("C").status == TicketStatus.PENDING


def test_clipped_text_says_how_much_was_cut_and_cuts_between_words():
    text = "word " * 200
    clipped = clip(text, 100)
    assert len(clipped) <= 100 and clipped.endswith(f"…[+{len(text) - len(clipped.split('…')[0])} chars]")
    assert clipped.split("…")[0].endswith("word")
    assert clip("short", 100) == "short"


def test_the_terminal_reads_well(tmp_path):
    printer = EventPrinter(TrackStore(tmp_path))
    blocked = printer.format(TicketBlocked(track="tr", ticket="T1", reason="tests fail:\nline two", cascaded=[]))
    assert blocked == ("BLOCKED T1:\n    tests fail:\n    line two\n"
                       "  to go on: conductor ticket retry tr T1  (after fixing the cause)")
    edited = printer.format(DecisionMade(track="tr", ticket="T1", tool="run_shell", call_id="c", action="edit",
                                         by="terminal", edited_arguments={"command": "ls"}))
    assert edited == "  approve (edited)"
    failed = printer.format(ToolFinished(track="tr", ticket="T1", tool="read_file", call_id="c", is_error=True,
                                         mutating=False, chars=20, arguments={"path": "x.py"},
                                         content="error: x.py: no such file"))
    assert failed == '  read_file {"path": "x.py"} -> error: x.py: no such file'


def test_step_mode_cuts_long_texts_shown_beside_their_diff():
    shown: list[str] = []
    gate = TerminalGate(preview=lambda call: None, read=lambda prompt: "a", write=shown.append)
    content = "x = 1\n" * 200
    call = ToolCall(id="c", name="write_file", arguments={"path": "a.py", "content": content})
    gate.decide(PendingCall(track_id="t", ticket_id="T1", call=call, diff="--- a/a.py\n+++ b/a.py\n"))
    assert any("…[+" in line and "chars]" in line for line in shown)
    command = "echo " + "y" * 500
    gate.decide(PendingCall(track_id="t", ticket_id="T1", call=ToolCall(id="d", name="run_shell",
                                                                        arguments={"command": command})))
    assert any(command in line for line in shown)  # a command is always shown whole


def test_version_and_help_speak_to_people():
    import subprocess
    import sys
    from importlib.metadata import version

    def conductor(*argv):
        return subprocess.run([sys.executable, "-m", "conductor.cli", *argv], capture_output=True, text=True,
                              timeout=60)

    assert conductor("--version").stdout == f"conductor {version('conductor')}\n"
    shown = conductor("--help").stdout
    assert "gui                 open the conductor window" in shown and "(from " not in shown


def test_track_ids_keep_their_letters():
    from conductor.store import slugify

    assert slugify("Ünïcode ✓ track") == "unicode-track"
    assert slugify("Ελλάδα café") == "cafe"  # no Latin base for Greek: dropped, not mangled
    assert slugify("✓✓✓") == "track"


def test_commands_find_their_project_from_any_folder_below_it(tmp_path):
    import subprocess
    import sys

    def conductor(*argv, cwd):
        return subprocess.run([sys.executable, "-m", "conductor.cli", *argv], capture_output=True, text=True,
                              timeout=60, cwd=cwd)

    repository = tmp_path / "repo"
    (repository / "src" / "pkg").mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=repository, check=True)
    (repository / "src" / "pkg" / "a.py").write_text("x = 1\n")
    deep = repository / "src" / "pkg"
    made = conductor("track", "new", "From below", cwd=deep)
    assert made.returncode == 0, made.stderr
    assert (repository / "tracks" / made.stdout.strip() / "track.json").is_file()  # at the repository's root
    assert not (deep / "tracks").exists()
    assert "From below" in conductor("track", "list", cwd=deep).stdout
    # a project.toml below the repository's root marks the project (a monorepo's package)
    (repository / "src" / "project.toml").write_text('tracks_dir = "work"\n')
    assert conductor("track", "new", "Package work", cwd=deep).returncode == 0
    assert (repository / "src" / "work").is_dir()
    assert conductor("track", "list", "--project", str(repository), cwd=deep).stdout.count("From below") == 1
