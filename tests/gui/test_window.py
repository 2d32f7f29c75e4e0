"""The real DearPyGui window under Xvfb, in a subprocess; real clicks with xdotool."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conductor.config import load_project_config
from conductor.demo import DEMO_TRACK, prepare_demo
from conductor.store import TrackStore
from gui.views.app import tiled_layout
from gui.views.tags import TAGS
from tests.gui.xvfb import click, ended, key, select_all, start_window, type_text, wait_for_settled, wait_for_status

pytestmark = pytest.mark.slow  # the real window under Xvfb: `scripts/test --quick` leaves it out


def start_gui(env, project: Path, tmp_path: Path, *extra: str) -> subprocess.Popen:
    return start_window(env, project, tmp_path, "--run", *extra)


def test_approve_with_real_clicks_until_the_demo_completes(display, tmp_path):
    project = prepare_demo(tmp_path / "demo")
    status_file = tmp_path / "status.json"
    gui = start_gui(display, project, tmp_path, "--exit-when-finished")
    try:
        answered: list[str] = []
        while True:
            status = wait_for_settled(status_file, lambda s: s["engine"] == "finished" or (
                s["pending"] is not None and s["pending"]["id"] not in answered), gui)
            if status["engine"] == "finished":
                break
            answered.append(status["pending"]["id"])
            if len(answered) == 1:
                assert "median" not in (project / "calc" / "stats.py").read_text()
            if len(answered) == 3:
                key(display, "ctrl+Return")  # the keyboard shortcut approves too
            else:
                click(display, *status["buttons"]["approve"])
            if len(answered) == 1:
                wait_for_status(status_file, lambda s: s["pending"] is None or s["pending"]["id"] != answered[0], gui)
                assert "def median" in (project / "calc" / "stats.py").read_text()
        assert gui.wait(timeout=120) == 0
    finally:
        if gui.poll() is None:
            gui.kill()
        output = gui.communicate()[0]
    assert len(answered) == 7, output
    assert status["tickets"] == {"T1": "completed", "T2": "completed"}
    decisions = [e for e in TrackStore(project / "tracks").ledger(DEMO_TRACK).read() if e["event"] == "decision"
                 and e["action"] == "approve" and e["by"] == "gui"]
    assert len(decisions) == 7
    shots = sorted(p.name for p in (tmp_path / "shots").glob("*.png"))
    assert shots == ["finished.png", "pending.png"]
    for shot in (tmp_path / "shots").glob("*.png"):
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_the_approve_button_runs_the_command_as_edited_in_its_field(display, tmp_path):
    """Typed into the command field with real keys, approved with a real click: the edited call runs."""
    project = prepare_demo(tmp_path / "demo")
    status_file = tmp_path / "status.json"
    gui = start_gui(display, project, tmp_path)
    ledger = TrackStore(project / "tracks").ledger(DEMO_TRACK)
    with ended(gui):
        first = wait_for_settled(status_file, lambda s: s["pending"] is not None, gui)
        click(display, *first["buttons"]["approve"])
        shell = wait_for_settled(status_file, lambda s: s["pending"] is not None
                                 and s["pending"]["call"]["name"] == "run_shell", gui)
        assert shell["approval_tab"] == "approval_edit_tab"  # a command opens on its own field
        click(display, *shell["buttons"]["command"])
        select_all(display)
        edited = "python3 -m unittest -v tests.test_stats"
        type_text(display, edited)
        wait_for_status(status_file, lambda s: json.loads(s["approval_text"]) == {"command": edited}, gui)
        click(display, *shell["buttons"]["approve"])
        wait_for_status(status_file, lambda s: s["pending"] is not None
                        and s["pending"]["id"] != shell["pending"]["id"], gui)
    decisions = [e for e in ledger.read() if e["event"] == "decision" and e["tool"] == "run_shell"]
    assert [(d["action"], d["by"], d["edited_arguments"]) for d in decisions] == [
        ("edit", "gui", {"command": edited})]
    assert [e["command"] for e in ledger.read() if e["event"] == "shell"] == [edited]


def test_reject_in_the_demo_with_a_real_click_and_the_demo_carries_on(display, tmp_path):
    project = prepare_demo(tmp_path / "demo")
    status_file = tmp_path / "status.json"
    gui = start_gui(display, project, tmp_path)
    with ended(gui):
        status = wait_for_settled(status_file, lambda s: s["pending"] is not None, gui)
        first = status["pending"]["id"]
        click(display, *status["buttons"]["reject_reason"])
        type_text(display, "not yet")
        click(display, *status["buttons"]["reject"])
        # the scripted worker answers the rejection and proposes again: approving it carries the demo on
        status = wait_for_settled(status_file, lambda s: s["pending"] is not None and s["pending"]["id"] != first,
                                  gui)
        assert status["pending"]["call"]["name"] == "edit_file"
        click(display, *status["buttons"]["approve"])
        wait_for_status(status_file, lambda s: s["pending"] is not None
                        and s["pending"]["call"]["name"] == "run_shell", gui)
    assert "def median" in (project / "calc" / "stats.py").read_text()
    decisions = [e for e in TrackStore(project / "tracks").ledger(DEMO_TRACK).read() if e["event"] == "decision"]
    assert [(d["action"], d["reason"]) for d in decisions] == [("reject", "not yet"), ("approve", "")]


def test_without_a_display_the_gui_says_so(tmp_path):
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run([sys.executable, "-m", "conductor.cli", "gui", "--project", str(tmp_path)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (2, "conductor: no display: run under a desktop session or "
                                                     "`xvfb-run -a conductor gui ...`\n")


def untrusted_demo(tmp_path):
    """The demo with an allow-rule its user has not trusted (as a cloned project.toml would bring it)."""
    project = prepare_demo(tmp_path / "demo")
    with (project / "project.toml").open("a") as toml:
        toml.write('allow = ["python3 -m unittest tests.test_stats"]\n')
    return project


def test_an_untrusted_project_toml_asks_in_a_dialog_and_a_real_click_trusts_it(display, tmp_path):
    project = untrusted_demo(tmp_path)
    status_file = tmp_path / "status.json"
    gui = start_window(display, project, tmp_path)
    with ended(gui):
        status = wait_for_settled(status_file, lambda s: s["trust_dialog"] and s["buttons"]["trust"], gui)
        assert status["ignored"] == ["shell.allow"]
        assert status["untrusted"] == [
            'shell.allow = ["python3 -m unittest tests.test_stats"]: these commands run without asking']
        (tmp_path / "requests.jsonl").write_text(json.dumps({"do": "screenshot", "name": "trust"}) + "\n")
        wait_for_status(status_file, lambda s: "trust" in s["screenshots"], gui)
        click(display, *status["buttons"]["trust"])
        status = wait_for_status(status_file, lambda s: not s["trust_dialog"], gui)
    assert (status["ignored"], status["message"]) == ([], "project settings trusted")
    assert load_project_config(project, environ={}).shell.allow == ["python3 -m unittest tests.test_stats"]


def test_keep_them_ignored_by_a_real_click_closes_the_dialog_and_leaves_the_rule_withheld(display, tmp_path):
    project = untrusted_demo(tmp_path)
    status_file = tmp_path / "status.json"
    gui = start_window(display, project, tmp_path)
    with ended(gui):
        status = wait_for_settled(status_file, lambda s: s["trust_dialog"] and s["buttons"]["keep_untrusted"], gui)
        click(display, *status["buttons"]["keep_untrusted"])
        status = wait_for_status(status_file, lambda s: not s["trust_dialog"], gui)
    assert status["ignored"] == ["shell.allow"] and "1 setting ignored until you trust them" in status["message"]
    assert load_project_config(project, environ={}).shell.allow == []


def test_the_window_layout_is_remembered_between_runs(display, tmp_path):
    layout = tmp_path / "config" / "conductor" / "layout.json"
    layout.parent.mkdir(parents=True)
    moved = {"approval_window": [600, 100, 600, 500], "files_window": [0, 0, 400, 300], "bogus": [1, 2, 3, 4],
             "detail_window": [3000, 2000, 700, 5000],  # saved on a bigger screen: brought back inside
             "side_window": "garbage"}
    layout.write_text(json.dumps(moved))
    project = prepare_demo(tmp_path / "demo")
    result = subprocess.run([sys.executable, "-m", "tests.gui.driver", "--project", str(project), "--layout",
                             str(layout), "--max-frames", "15", "--no-vsync", "--status-file",
                             str(tmp_path / "status.json")],
                            env={**display, "XDG_CONFIG_HOME": str(tmp_path / "config")}, timeout=120,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0
    saved = json.loads(layout.read_text())
    assert saved["approval_window"] == [600, 100, 600, 500]
    assert saved["files_window"] == [0, 0, 400, 300]
    width, height = json.loads((tmp_path / "status.json").read_text())["viewport"]
    assert saved["side_window"] == tiled_layout(TAGS, width, height)["side_window"]  # unreadable: the default
    x, y, w, h = saved["detail_window"]
    assert (w, h) == (700, height) and 0 <= x <= width - w and y == 0
    assert "bogus" not in saved


def test_the_window_fits_the_screen_and_idle_buttons_look_disabled(display, tmp_path):
    project = prepare_demo(tmp_path / "demo")
    (project / "calc" / "names.py").write_text('GREETING = "Grüße, Ελλάδα, Москва … → ✓"\n')
    status_file = tmp_path / "status.json"
    gui = subprocess.Popen(
        [sys.executable, "-m", "tests.gui.driver", "--project", str(project), "--status-file", str(status_file),
         "--screenshot-dir", str(tmp_path / "shots"), "--open", "calc/names.py", "--view", "raw",
         "--requests", str(tmp_path / "requests.jsonl")],
        env=display, cwd=Path(__file__).resolve().parents[2])
    with ended(gui):
        status = wait_for_status(status_file, lambda s: s["frame"] > 20, gui)
        (tmp_path / "requests.jsonl").write_text(json.dumps({"do": "screenshot", "name": "idle"}) + "\n")
        wait_for_status(status_file, lambda s: "idle" in s["screenshots"], gui)
    width, height = status["viewport"]
    assert width <= 1600 and height <= 1000  # the Xvfb screen
    for tag, (x, y, w, h) in status["windows"].items():
        assert 0 <= x and 0 <= y and x + w <= width and y + h <= height, (tag, status["windows"])
    assert status["enabled"] == {"approve": False, "reject": False}
    assert (tmp_path / "shots" / "idle.png").stat().st_size > 10_000
    homes = {"run": "tracks_window", "mark_done": "tracks_window", "release": "tracks_window",
             "approve": "approval_window", "reject": "approval_window", "changes_tab": "detail_window"}
    for button, home in homes.items():  # no button is clipped off its panel
        x, y = status["buttons"][button]
        left, top, w, h = status["windows"][home]
        assert left < x < left + w and top < y < top + h, (button, status["buttons"][button], home)


def test_mark_done_with_a_real_click_unlocks_the_dependent(display, tmp_path):
    project = prepare_demo(tmp_path / "demo")
    status_file = tmp_path / "status.json"
    gui = subprocess.Popen([sys.executable, "-m", "tests.gui.driver", "--project", str(project), "--status-file",
                            str(status_file)], env=display, cwd=Path(__file__).resolve().parents[2])
    with ended(gui):
        status = wait_for_status(status_file, lambda s: s["frame"] > 10, gui)
        assert status["tracks"] == ["Add median to the calc package  (0/2 done, planned)  [add-median]"]
        click(display, *status["buttons"]["mark_done"])
        status = wait_for_status(status_file, lambda s: s["tickets"].get("T1") == "completed", gui)
    assert status["tickets"] == {"T1": "completed", "T2": "pending"}
    assert status["tracks"] == ["Add median to the calc package  (1/2 done, active)  [add-median]"]
    event = TrackStore(project / "tracks").ledger(DEMO_TRACK).read()[-1]
    assert (event["event"], event["by"], event["summary"]) == ("ticket_completed", "gui", "marked done by hand (gui)")


def test_the_changes_view_and_undo_by_real_clicks(display, tmp_path):
    project = prepare_demo(tmp_path / "demo")
    original = (project / "calc" / "report.py").read_text()
    status_file = tmp_path / "status.json"
    gui = subprocess.Popen([sys.executable, "-m", "tests.gui.driver", "--project", str(project), "--auto", "--run",
                            "--status-file", str(status_file)], env=display, cwd=Path(__file__).resolve().parents[2])
    with ended(gui):
        status = wait_for_settled(status_file, lambda s: s["engine"] == "finished", gui)
        assert status["selected"] == "T2" and original != (project / "calc" / "report.py").read_text()
        click(display, *status["buttons"]["changes_tab"])
        status = wait_for_status(status_file, lambda s: s["changes"]["ticket"] == "T2", gui)
        assert status["changes"]["diff_lines"] > 5
        assert [paths for _, paths in status["changes"]["calls"]] == [["calc/report.py"], ["calc/report.py"]]
        after = (project / "calc" / "report.py").read_text()
        status = wait_for_status(status_file, lambda s: len(s["restore_buttons"]) == 2, gui)
        click(display, *status["restore_buttons"][1])  # restore to before the second edit only
        status = wait_for_status(status_file, lambda s: len(s["changes"]["calls"]) == 1, gui)
        middle = (project / "calc" / "report.py").read_text()
        assert middle not in (original, after) and "from calc.stats import mean, median" in middle
        click(display, *status["buttons"]["undo"])
        wait_for_status(status_file, lambda s: s["changes"]["calls"] == [] and "restored" in s["message"], gui)
    assert (project / "calc" / "report.py").read_text() == original


def test_a_failure_place_opens_the_file_at_its_line_by_a_real_click(display, tmp_path):
    project = prepare_demo(tmp_path / "demo")
    status_file = tmp_path / "status.json"
    gui = subprocess.Popen([sys.executable, "-m", "tests.gui.driver", "--project", str(project), "--auto", "--run",
                            "--status-file", str(status_file), "--screenshot-dir", str(tmp_path / "shots"),
                            "--requests", str(tmp_path / "requests.jsonl")],
                           env=display, cwd=Path(__file__).resolve().parents[2])
    with ended(gui):
        status = wait_for_status(status_file, lambda s: s["engine"] == "finished" and s["record_buttons"], gui)
        click(display, *status["record_buttons"][0])
        status = wait_for_status(status_file, lambda s: s["file"]["line"] is not None, gui)
        (tmp_path / "requests.jsonl").write_text(json.dumps({"do": "screenshot", "name": "at-line"}) + "\n")
        wait_for_status(status_file, lambda s: "at-line" in s["screenshots"], gui)
    assert {k: status["file"][k] for k in ("selected", "kind", "line")} == {
        "selected": "tests/test_stats.py", "kind": "raw", "line": 14}


def test_a_claim_is_shown_with_its_agent_and_released_by_a_real_click(display, tmp_path):
    from conductor.config import load_project_config
    from conductor.tickets import TicketService

    project = prepare_demo(tmp_path / "demo")
    TicketService(load_project_config(project, environ={}), by="mcp").claim_next(DEMO_TRACK, "claude-code", 600)
    status_file = tmp_path / "status.json"
    gui = subprocess.Popen([sys.executable, "-m", "tests.gui.driver", "--project", str(project), "--status-file",
                            str(status_file)], env=display, cwd=Path(__file__).resolve().parents[2])
    with ended(gui):
        status = wait_for_status(status_file, lambda s: s["frame"] > 10, gui)
        assert status["rows"][0].startswith("T1 [in_progress] Add median() to calc/stats.py  (claimed by claude-code "
                                            "until ")
        click(display, *status["buttons"]["release"])
        status = wait_for_status(status_file, lambda s: s["tickets"].get("T1") == "pending", gui)
    assert status["rows"][0] == "T1 [pending] Add median() to calc/stats.py"
    event = TrackStore(project / "tracks").ledger(DEMO_TRACK).read()[-1]
    assert (event["event"], event["agent"], event["by"]) == ("ticket_released", "claude-code", "gui")


def test_plan_edit_a_cell_and_accept_by_real_clicks(display, tmp_path):
    project = prepare_demo(tmp_path / "demo")
    status_file = tmp_path / "status.json"
    gui = subprocess.Popen([sys.executable, "-m", "tests.gui.driver", "--project", str(project), "--status-file",
                            str(status_file), "--screenshot-dir", str(tmp_path / "shots"), "--requests",
                            str(tmp_path / "requests.jsonl")], env=display, cwd=Path(__file__).resolve().parents[2])
    with ended(gui):
        status = wait_for_status(status_file, lambda s: s["frame"] > 10, gui)
        click(display, *status["buttons"]["plan_open"])
        status = wait_for_status(status_file, lambda s: s["plan"]["visible"], gui)
        click(display, *status["buttons"]["plan_goal"])
        type_text(display, "Add mode to calc")
        click(display, *status["buttons"]["plan"])
        status = wait_for_status(status_file, lambda s: s["plan"]["rows"] and not s["plan"]["busy"]
                                 and "0:title" in s["plan"]["cells"], gui)
        assert [r["id"] for r in status["plan"]["rows"]] == ["M1", "M2", "M3"] and status["plan"]["problems"] == []
        click(display, *status["plan"]["cells"]["0:title"])
        select_all(display)
        type_text(display, "Mode first")
        status = wait_for_status(status_file, lambda s: s["plan"]["rows"][0]["title"] == "Mode first", gui)
        (tmp_path / "requests.jsonl").write_text(json.dumps({"do": "screenshot", "name": "plan"}) + "\n")
        wait_for_status(status_file, lambda s: "plan" in s["screenshots"], gui)
        click(display, *status["buttons"]["plan_accept"])
        status = wait_for_status(status_file, lambda s: not s["plan"]["visible"] and len(s["tracks"]) == 2, gui)
    store = TrackStore(project / "tracks")
    new = next(t for t in store.ids() if t != DEMO_TRACK)
    track = store.load(new)
    assert [(t.id, t.title, t.status) for t in track.tickets] == [
        ("M1", "Mode first", "pending"), ("M2", "Show the mode in describe()", "locked"),
        ("M3", "Test mode()", "locked")]
    accepted = store.ledger(new).read()[-1]
    assert (accepted["event"], accepted["edited"], accepted["by"]) == ("plan_accepted", True, "gui")
    assert status["tickets"] == {"M1": "pending", "M2": "locked", "M3": "locked"}  # the new track is selected
    shutil_copy = (tmp_path / "shots" / "plan.png")
    assert shutil_copy.stat().st_size > 10_000


def test_the_readme_command_opens_the_demo_window_and_runs_it(display, tmp_path):
    """`conductor gui --demo` as a person types it (no test hook): the window opens and the demo runs to the end."""
    gui = subprocess.Popen([sys.executable, "-m", "conductor.cli", "gui", "--demo", "--auto", "--no-layout"],
                           env={**display, "TMPDIR": str(tmp_path)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        project = Path(gui.stdout.readline().removeprefix("demo project copied to ").strip())
        ledger = project / "tracks" / DEMO_TRACK / "ledger.jsonl"
        import time

        for _ in range(1200):
            if ledger.exists() and '"run_finished"' in ledger.read_text():
                break
            assert gui.poll() is None, gui.stderr.read()
            time.sleep(0.1)
        assert gui.poll() is None  # still open: the person closes it
    finally:
        gui.terminate()
        code = gui.wait(timeout=60)
    assert code == 0
    assert [t.status for t in TrackStore(project / "tracks").load(DEMO_TRACK).tickets] == ["completed", "completed"]


def test_revise_the_remaining_tickets_of_a_running_track_by_real_clicks(display, tmp_path):
    from conductor.config import load_project_config
    from conductor.tickets import TicketService

    project = prepare_demo(tmp_path / "demo")
    TicketService(load_project_config(project, environ={})).complete(DEMO_TRACK, "T1", "median added")
    status_file = tmp_path / "status.json"
    gui = subprocess.Popen([sys.executable, "-m", "tests.gui.driver", "--project", str(project), "--status-file",
                            str(status_file)], env=display, cwd=Path(__file__).resolve().parents[2])
    with ended(gui):
        status = wait_for_status(status_file, lambda s: s["frame"] > 10, gui)
        click(display, *status["buttons"]["plan_open"])
        status = wait_for_status(status_file, lambda s: s["plan"]["visible"], gui)
        click(display, *status["buttons"]["plan_revise_remaining"])
        status = wait_for_status(status_file, lambda s: s["plan"]["rows"] and not s["plan"]["busy"], gui)
        assert "-  T2  Add describe() to calc/report.py" in status["plan"]["diff"]
        click(display, *status["buttons"]["plan_accept"])
        status = wait_for_status(status_file, lambda s: not s["plan"]["visible"], gui)
    track = TrackStore(project / "tracks").load(DEMO_TRACK)
    assert [(t.id, t.status) for t in track.tickets] == [("T1", "completed"), ("M1", "pending"), ("M2", "locked"),
                                                         ("M3", "locked")]
