"""View-state and controller, driven without a window: the same calls the buttons make."""

import time

import pytest

from conductor.demo import DEMO_TRACK, prepare_demo
from conductor.events import TicketCompleted
from gui.controller import Controller
from gui.state import ViewState


@pytest.fixture
def controller(tmp_path):
    return Controller(prepare_demo(tmp_path / "demo"))


def poll_until(controller, condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        controller.poll()
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError(f"timed out; state: {controller.state.engine} {controller.state.message}")


def test_opens_on_the_projects_track_with_a_ticket_tree(controller):
    state = controller.state
    assert [t.id for t in state.tracks] == [DEMO_TRACK]
    rows = state.ticket_rows()
    assert [(r.id, r.status, r.depth) for r in rows] == [("T1", "pending", 0), ("T2", "locked", 1)]
    assert rows[1].label == "  T2 [locked] Add describe() to calc/report.py  <- T1"
    assert rows[0].color == (90, 150, 255)
    assert "calc/stats.py" in state.files.files and not any(p.startswith("tracks/") for p in state.files.files)


def test_the_whole_demo_flow_through_the_controller(controller):
    state = controller.state
    assert controller.run()
    poll_until(controller, lambda: state.approval.pending is not None)
    pending = state.approval.pending
    assert (pending.call.name, state.engine) == ("edit_file", "waiting")
    assert state.approval.diff.startswith("--- a/calc/stats.py\n+++ b/calc/stats.py\n")
    assert state.track.ticket("T1").status == "step_paused"

    controller.approval.set_text('{"path": "calc/stats.py", "old_text": ')
    assert state.approval.error.startswith("invalid JSON at line 1")
    assert state.approval.diff is None
    controller.approval.approve()  # refused: nothing is sent, the call stays pending
    assert controller.gate._decisions.empty() and state.message.startswith("not approved: invalid JSON")
    assert state.approval.pending.id == pending.id

    controller.approval.set_text(pending.arguments_json())
    assert (state.approval.error, state.approval.edited) == (None, False)
    controller.approval.approve()
    poll_until(controller, lambda: state.approval.pending is not None and state.approval.pending.id != pending.id)
    assert state.approval.pending.call.name == "run_shell"
    controller.set_mode("auto")  # approves the waiting call and every later one
    poll_until(controller, lambda: state.engine == "finished")
    assert [t.status for t in state.track.tickets] == ["completed", "completed"]
    assert [h.source for h in state.hints] == ["tier4"]
    assert state.hints[0].hint.startswith("test_median_even fails")
    assert "Traceback" in controller.load_output(state.hints[0].output_id)
    assert state.usage.tiers["tier3"].calls == 9 and state.usage.track.input_tokens > 10_000
    assert state.usage.track.cost_text == "$0.0000"  # the scripted model is priced at 0, not unknown
    kinds = [entry.kind for entry in state.streams["T1"]]
    assert kinds[:4] == ["info", "assistant", "tool_call", "decision"]
    assert "shell" in kinds and kinds[-1] == "info"
    assert controller.history("T1")


def test_reject_with_a_reason_reaches_the_engine(controller):
    state = controller.state
    controller.run()
    poll_until(controller, lambda: state.approval.pending is not None)
    first = state.approval.pending.id
    controller.approval.reject("not like this")
    poll_until(controller, lambda: state.approval.pending is not None and state.approval.pending.id != first)
    controller.pause()
    poll_until(controller, lambda: not controller.running)
    decisions = [e for e in controller.store.ledger(DEMO_TRACK).read() if e["event"] == "decision"]
    assert (decisions[0]["action"], decisions[0]["reason"]) == ("reject", "not like this")
    assert "median" not in (controller.root / "calc" / "stats.py").read_text()


def test_pause_while_waiting_keeps_the_call(controller):
    state = controller.state
    controller.run()
    poll_until(controller, lambda: state.approval.pending is not None)
    first = state.approval.pending.id
    controller.pause()
    poll_until(controller, lambda: not controller.running)
    assert state.engine == "finished" and state.message == "run stopped: stopped while a call awaited approval"
    assert state.track.ticket("T1").status == "step_paused"
    controller.run()
    poll_until(controller, lambda: state.approval.pending is not None)
    assert state.approval.pending.id == first


def test_ticket_editing_and_refusals(controller):
    state = controller.state
    assert controller.add_ticket("docs", "README.md", "Write a README", "T2", new_file=True) == "T3"
    assert [(r.id, r.depth) for r in state.ticket_rows()][-1] == ("T3", 2)
    assert controller.add_ticket("x", "../escape.py", "p") is None
    assert state.message.startswith("error: ../escape.py: outside the project root")
    assert controller.edit_ticket("T3", "docs", "README.md", "Write it", "T3", "default") is None
    assert state.message == "error: ticket T3 cannot depend on itself"
    controller.block_ticket("T1", "waiting for design")
    assert [r.status for r in state.ticket_rows()] == ["blocked", "blocked", "blocked"]
    controller.retry_ticket("T1")
    assert [r.status for r in state.ticket_rows()] == ["pending", "locked", "locked"]
    assert state.track.ticket("T1").retries == 1
    new = controller.new_track("Second track")
    assert state.track.id == new and len(state.tracks) == 2


def test_file_views_with_token_counts(controller):
    controller.files.select("calc/stats.py")
    files = controller.state.files
    assert files.text == "def mean(values: list[float]) -> float: ...\n"
    assert files.tokens["skeleton"] < files.tokens["curated"] < files.tokens["raw"]
    controller.files.set_kind("raw")
    assert files.text.startswith('"""Small statistics helpers')
    controller.files.select("tests/__init__.py")
    controller.files.select("project.toml")
    assert files.error == "project.toml: the raw view needs a Python file; use the raw view" or files.text


def test_settings_are_validated(controller):
    assert not controller.apply_settings({"shell.timeout_seconds": -5})
    assert controller.state.message.startswith("error: ")
    assert controller.apply_settings({"tier3.model": "other", "archetypes.default.trust": "auto"})
    assert controller.config.archetype("default").trust == "auto"


def test_view_state_caps_streams(tmp_path):
    state = ViewState(tmp_path)
    for index in range(2100):
        state.apply(TicketCompleted(track="t", ticket="T1", summary=str(index), unlocked=[]))
    assert len(state.streams["T1"]) == 2000
    assert state.streams["T1"][-1].text == "completed: 2099"


def test_settings_saved_to_project_toml_keep_its_comments(controller):
    path = controller.root / "project.toml"
    assert controller.save_settings({"tier3.model": "other-model", "shell.timeout_seconds": 30.0,
                                     "archetypes.default.trust": "auto"})
    text = path.read_text()
    assert "# The demo project: every model answer comes from script.json" in text
    assert 'trust = "auto"   # writes and shell commands wait for your decision' in text
    from conductor.config import load_project_config

    config = load_project_config(controller.root, environ={})
    assert (config.tier3.model, config.shell.timeout_seconds, config.tier3.script) == ("other-model", 30.0,
                                                                                      "script.json")
    assert not controller.save_settings({"shell.timeout_seconds": -1})
    assert path.read_text() == text


def test_the_gui_follows_the_same_ticket_rules_as_the_terminal(controller):
    state = controller.state
    (controller.root / "credentials.toml").write_text("anthropic_api_key = 'sk-ant-0123456789'\n")
    assert controller.add_ticket("x", "credentials.toml", "read it") is None
    assert state.message.startswith("error: credentials.toml: a secret file")
    assert controller.add_ticket("x", "calc/new.py", "make it") is None  # a new file must be said
    assert "the 'new file' box" in state.message
    assert controller.add_ticket("x", "calc/stats.py", "p", archetype="nonsense") is None
    assert state.message == "error: unknown archetype 'nonsense'; known: default (define more under " \
                            "[archetypes.NAME] in project.toml)"
    controller.complete_ticket("T1", "done by hand")
    assert [r.status for r in state.ticket_rows()] == ["completed", "pending"]
    assert controller.edit_ticket("T1", "t", "calc/stats.py", "p", "", "default") is None
    assert state.message == "error: ticket T1 is completed; only locked, pending or blocked tickets can be edited"
    assert state.tracks[0].label == "Add median to the calc package  (1/2 done, active)  [add-median]"


def test_archived_runs_are_labelled_with_when_and_how_they_ended(controller):
    controller.set_mode("auto")
    controller.run()
    poll_until(controller, lambda: controller.state.engine == "finished")
    [(label, path)] = controller.history("T1")
    assert label.endswith("  completed") and label[:4].isdigit() and path.name.startswith("T1-")


def test_the_plan_panel_validates_as_you_type_and_accepts_what_is_shown(controller):
    plan = controller.state.plan
    controller.plan.open("Add mode to calc")
    controller.plan.start(plan.goal)
    poll_until(controller, lambda: plan.rows and not plan.busy)
    assert ([r["id"] for r in plan.rows], plan.problems, plan.edited) == (["M1", "M2", "M3"], [], False)
    assert plan.preview() == "M1  Add mode() to calc/stats.py\n    M2  Show the mode in describe()\n    M3  Test mode()"
    controller.plan.set_cell(0, "depends_on", "M3")
    assert plan.problems == ["dependency cycle: M1 -> M3 -> M1"] and plan.edited
    controller.plan.set_cell(0, "depends_on", "")
    controller.plan.add_row()
    assert plan.rows[-1]["id"] == "T1" and "ticket T1: the prompt is empty" in plan.problems
    controller.plan.remove_row(3)
    controller.plan.move_row(2, -1)
    assert [r["id"] for r in plan.rows] == ["M1", "M3", "M2"] and plan.problems == []
    track_id = controller.plan.accept()
    assert controller.state.track.id == track_id
    assert [t.id for t in controller.state.track.tickets] == ["M1", "M3", "M2"]
    assert controller.state.plan.visible is False


def test_a_rejected_plan_creates_nothing(controller):
    controller.plan.start("Add mode")
    poll_until(controller, lambda: controller.state.plan.rows and not controller.state.plan.busy)
    controller.plan.reject("not now")
    assert [t.id for t in controller.state.tracks] == [DEMO_TRACK]
    assert controller.state.message == "plan rejected: nothing was created"


def test_a_reopened_window_shows_the_whole_tracks_usage_hints_and_endings(controller):
    state = controller.state
    controller.set_mode("auto")
    controller.run()
    poll_until(controller, lambda: state.engine == "finished")
    calls, hints = state.usage.track.calls, [h.hint for h in state.hints]
    reopened = Controller(controller.root)
    assert reopened.state.usage.track.calls == calls == 10
    assert reopened.state.usage.tiers["tier4"].calls == 1
    assert [h.hint for h in reopened.state.hints] == hints and len(hints) == 1
    assert reopened.state.streams["T2"][-1].text.startswith("completed: Added describe()")
    assert reopened.first_unfinished_track() is None


def test_the_window_opens_on_the_first_unfinished_track_and_forgets_the_last_ones_state(controller):
    controller.complete_ticket("T1")
    controller.complete_ticket("T2")
    other = controller.new_track("Later work")
    controller.select_track(other)
    assert controller.state.selected() is None  # no ticket: the detail shows nothing of add-median's T2
    reopened = Controller(controller.root)
    assert reopened.state.track.id == other  # add-median is completed: --run starts the track with work left


def test_an_untrusted_project_toml_is_shown_for_trust_and_acts_only_once_trusted(tmp_path):
    project = prepare_demo(tmp_path / "demo")
    with (project / "project.toml").open("a") as toml:
        toml.write('allow = ["python3 -m unittest tests.test_stats"]\n')
    controller = Controller(project)
    assert controller.state.untrusted == [
        'shell.allow = ["python3 -m unittest tests.test_stats"]: these commands run without asking']
    assert controller.config.shell.allow == []
    controller.keep_untrusted()
    assert controller.state.untrusted == [] and "1 setting ignored until you trust them" in controller.state.message
    controller.reload_config()  # the file is read again: still untrusted, so the dialog is back
    assert controller.state.untrusted != []
    controller.trust_settings()
    assert (controller.state.untrusted, controller.config.shell.allow, controller.state.message) == (
        [], ["python3 -m unittest tests.test_stats"], "project settings trusted")
    assert Controller(project).state.untrusted == []
