import json

import pytest

from conductor.cli import main
from conductor.store import TrackStore
from conductor.track_cli import mermaid


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "project.toml").write_text("[archetypes.careful]\ntrust = 'step'\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_plan_a_track_from_the_terminal(project, capsys):
    code, track_id, _ = run(capsys, "track", "new", "Add login", "--description", "the page")
    track_id = track_id.strip()
    assert code == 0 and track_id.startswith("add-login-")
    assert run(capsys, "ticket", "add", track_id, "--target", "a.py", "--prompt", "first")[1] == "T1\n"
    assert run(capsys, "ticket", "add", track_id, "--target", "b.py", "--new-file", "--prompt", "second\nmore",
               "--depends-on", "T1", "--archetype", "careful")[1] == "T2\n"
    code, out, _ = run(capsys, "track", "show", track_id)
    assert out == (
        f"Add login  [{track_id}]  planned\nthe page\n"
        "  T1     pending      first  (a.py)\n"
        "  T2     locked       second  (b.py)  after T1\n"
    )
    data = json.loads(run(capsys, "track", "show", track_id, "--json")[1])
    assert data["tickets"][1]["worker_archetype"] == "careful"
    assert run(capsys, "track", "list")[1] == f"{track_id}  planned  0/2 done  Add login\n"
    assert run(capsys, "ticket", "block", track_id, "T1", "--reason", "wait")[1] == "also blocked: T2\n"
    assert run(capsys, "ticket", "retry", track_id, "T1")[1] == "T1 is pending; restored: T2\n"
    assert run(capsys, "ticket", "edit", track_id, "T2", "--depends-on", "", "--title", "view")[0] == 0
    track = TrackStore(project / "tracks").load(track_id)
    assert (track.ticket("T2").status, track.ticket("T2").title, track.ticket("T1").retries) == ("pending", "view", 1)
    events = [e["event"] for e in TrackStore(project / "tracks").ledger(track_id).read()]
    assert events == ["track_created", "ticket_added", "ticket_added", "ticket_blocked", "ticket_unblocked",
                      "ticket_edited"]
    assert [e.get("by") for e in TrackStore(project / "tracks").ledger(track_id).read()] == ["cli"] * 6


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["track", "show", "nope"], "conductor: no track 'nope' in "),
        (["ticket", "add", "{t}", "--target", "missing.py", "--prompt", "x"], "conductor: missing.py: no such file"),
        (["ticket", "add", "{t}", "--target", "../a.py", "--prompt", "x"], "conductor: ../a.py: outside the project"),
        (["ticket", "add", "{t}", "--target", "a.py", "--prompt", "x", "--depends-on", "T7"],
         "conductor: ticket T2: unknown dependency 'T7'"),
        (["ticket", "edit", "{t}", "T1", "--depends-on", "T1"], "conductor: ticket T1 cannot depend on itself"),
        (["ticket", "unblock", "{t}", "T1"], "conductor: ticket T1 is pending, not blocked"),
        (["ticket", "block", "{t}", "T9"], "conductor: no ticket 'T9' in track"),
        (["track", "new", "  "], "conductor: a track needs a title"),
        (["ticket", "add", "{t}", "--target", "a.py", "--prompt", "x", "--archetype", "nonsense"],
         "conductor: unknown archetype 'nonsense'; known: careful, default"),
        (["ticket", "add", "{t}", "--target", "credentials.toml", "--new-file", "--prompt", "x"],
         "conductor: credentials.toml: a secret file"),
        (["ticket", "add", "{t}", "--target", "tracks/x.py", "--new-file", "--prompt", "x"],
         "conductor: tracks/x.py: inside tracks/, which the worker may not write"),
        (["ticket", "add", "{t}", "--target", "sub/.git/config", "--prompt", "x"],
         "conductor: sub/.git/config: inside a .git folder"),
        (["ticket", "complete", "{t}", "T9"], "conductor: no ticket 'T9' in track"),
        (["track", "ledger", "{t}", "--tail", "0"], "conductor: --tail takes a number of events from 1 up, not 0"),
        (["track", "ledger", "{t}", "--tail", "-1"], "conductor: --tail takes a number of events from 1 up, not -1"),
        (["ticket", "add", "{t}", "--target"],
         "conductor ticket add: argument --target: expected one argument (see `conductor ticket add --help`)"),
    ],
)
def test_bad_input_is_one_clear_line_and_a_nonzero_exit(project, capsys, argv, message):
    track_id = run(capsys, "track", "new", "T")[1].strip()
    run(capsys, "ticket", "add", track_id, "--target", "a.py", "--prompt", "x")
    code, out, err = run(capsys, *[a.replace("{t}", track_id) for a in argv])
    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1
    assert out == ""


def test_cycle_is_refused_and_nothing_is_saved(project, capsys):
    track_id = run(capsys, "track", "new", "T")[1].strip()
    run(capsys, "ticket", "add", track_id, "--target", "a.py", "--prompt", "x")
    run(capsys, "ticket", "add", track_id, "--target", "a.py", "--prompt", "y", "--depends-on", "T1")
    before = (project / "tracks" / track_id / "track.json").read_text()
    code, _, err = run(capsys, "ticket", "edit", track_id, "T1", "--depends-on", "T2")
    assert (code, err) == (2, "conductor: ticket T1: depending on T2 makes a cycle (T1 -> T2 -> T1)\n")
    assert (project / "tracks" / track_id / "track.json").read_text() == before


def test_mermaid_graph(project, capsys):
    track_id = run(capsys, "track", "new", "T")[1].strip()
    run(capsys, "ticket", "add", track_id, "--target", "a.py", "--prompt", "x", "--title", 'say "hi"')
    run(capsys, "ticket", "add", track_id, "--target", "a.py", "--prompt", "y", "--depends-on", "T1")
    out = run(capsys, "track", "graph", track_id)[1]
    assert out == mermaid(TrackStore(project / "tracks").load(track_id))
    assert out.splitlines()[:4] == [
        "flowchart TD",
        "    t_T1[\"T1: say 'hi'<br/>pending\"]:::pending",
        '    t_T2["T2: y<br/>locked"]:::locked',
        "    t_T1 --> t_T2",
    ]


def test_marking_one_ticket_done_keeps_another_tickets_pending_call(tmp_path):
    from conductor.config import load_project_config
    from conductor.tickets import TicketDraft, TicketService

    (tmp_path / "a.py").write_text("x = 1\n")
    service = TicketService(load_project_config(tmp_path, environ={}))
    track = service.create_track("t")
    service.add_ticket(track.id, TicketDraft(prompt="one", target="a.py"))
    service.add_ticket(track.id, TicketDraft(prompt="two", target="a.py"))
    pending = service.store.pending_path(track.id)
    pending.write_text('{"ticket_id": "T2", "track_id": "x"}')
    service.complete(track.id, "T1", "by hand")
    assert pending.exists()  # T2's call still waits
    service.complete(track.id, "T2", "by hand")
    assert not pending.exists()


def test_a_dependency_named_twice_is_refused(tmp_path, capsys):
    from conductor.cli import main

    (tmp_path / "a.py").write_text("x = 1\n")
    assert main(["track", "new", "t", "--project", str(tmp_path)]) == 0
    track = capsys.readouterr().out.strip()
    assert main(["ticket", "add", track, "--target", "a.py", "--prompt", "p", "--project", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["ticket", "add", track, "--target", "a.py", "--prompt", "q", "--depends-on", "T1", "--depends-on",
                 "T1", "--project", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "conductor: dependencies name T1 more than once\n"
