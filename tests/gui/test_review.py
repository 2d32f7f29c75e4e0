"""The window as a code-review tool, by real clicks under Xvfb: hunks dropped, Always allow, a note to the worker,
the outline and the tree, maximise and restore, a provider that refuses connections, and the layout at two screen
sizes compared with committed references."""

import json
import os
import socket
from pathlib import Path

import pytest

from conductor.demo import prepare_demo
from conductor.store import TrackStore
from tests.conductor.engine_helpers import make_project, ticket, trust_project
from tests.gui.xvfb import click, ended, key, start_window, type_text, wait_for_settled, wait_for_status, xvfb_display

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # the real window under Xvfb: `scripts/test --quick` leaves it out
REFERENCES = Path(__file__).resolve().parent / "references"
LINES = "".join(f"value_{n} = {n}\n" for n in range(40))
TWO_PLACES = LINES.replace("value_3 = 3\n", "value_3 = 'three'\n").replace("value_30 = 30\n", "value_30 = 'thirty'\n")


def screenshot(tmp_path: Path, gui, name: str) -> Path:
    (tmp_path / "requests.jsonl").write_text(json.dumps({"do": "screenshot", "name": name}) + "\n")
    wait_for_status(tmp_path / "status.json", lambda s: name in s["screenshots"], gui)
    return tmp_path / "shots" / f"{name}.png"


def test_drop_a_hunk_always_allow_and_a_note_by_real_clicks(display, tmp_path):
    project = tmp_path / "project"
    make_project(project, {"values.py": LINES}, {"T1": [
        {"text": "Two changes.", "tool_calls": [{"name": "write_file", "arguments": {
            "path": "values.py", "content": TWO_PLACES}}]},
        {"text": "Checking.", "tool_calls": [{"name": "run_shell", "arguments": {
            "command": "python3 -m py_compile values.py"}}],
         "expect": {"results_contain": ["dropped 1 of the 2 hunks"]}},
        {"text": "Once more.", "tool_calls": [{"name": "run_shell", "arguments": {
            "command": "python3 -m py_compile values.py"}}]},
        {"text": "A last touch.", "tool_calls": [{"name": "edit_file", "arguments": {
            "path": "values.py", "old_text": "value_0 = 0\n", "new_text": "value_0 = 'zero'\n"}}]},
        {"text": "Done.", "expect": {"results_contain": ["Note from the developer: keep the numbers"]}}]},
        [ticket("T1", "values.py")])
    status_file = tmp_path / "status.json"
    gui = start_window(display, project, tmp_path, "--run")
    try:
        status = wait_for_settled(status_file, lambda s: s["pending"] is not None and len(s["hunk_boxes"]) == 2,
                                  gui)
        assert status["hunks"] == 2 and status["approval_tab"] == "approval_diff_tab"
        click(display, *status["hunk_boxes"][1])  # untick the second hunk
        status = wait_for_settled(status_file, lambda s: s["dropped"] == [1], gui)
        click(display, *status["buttons"]["approve"])
        status = wait_for_settled(status_file, lambda s: s["pending"] is not None
                                  and s["pending"]["call"]["name"] == "run_shell", gui)
        assert "value_3 = 'three'" in (project / "values.py").read_text()
        assert "value_30 = 30\n" in (project / "values.py").read_text()  # the dropped hunk was not made
        click(display, *status["buttons"]["always_allow"])  # shows the rule first
        status = wait_for_settled(status_file, lambda s: s["buttons"]["rule_confirm"] != [0, 0], gui)
        click(display, *status["buttons"]["rule_confirm"])
        # the rule admits the same command next time: it runs without asking; the edit after it waits
        status = wait_for_settled(status_file, lambda s: s["pending"] is not None
                                  and s["pending"]["call"]["name"] == "edit_file", gui)
        click(display, *status["buttons"]["note"])
        type_text(display, "keep the numbers")
        screenshot(tmp_path, gui, "note")
        click(display, *status["buttons"]["approve"])
        wait_for_status(status_file, lambda s: s["tickets"]["T1"] == "completed", gui)
    finally:
        gui.terminate()
        output = gui.communicate(timeout=60)[0]
    assert 'allow = ["python3 -m py_compile values.py"]' in (project / "project.toml").read_text(), output
    decisions = [(e["action"], e["by"]) for e in TrackStore(project / "tracks").ledger("track").read()
                 if e["event"] == "decision"]
    assert decisions == [("edit", "gui"), ("approve", "gui"), ("approve", "rule"), ("approve", "gui")]


def test_outline_jump_tree_expand_maximise_and_restore_by_real_clicks(display, tmp_path):
    project = prepare_demo(tmp_path / "demo")
    status_file = tmp_path / "status.json"
    gui = start_window(display, project, tmp_path, "--open", "calc/stats.py")
    with ended(gui):
        status = wait_for_settled(status_file, lambda s: "mean" in s["outline"], gui)
        click(display, *status["maximise"]["files_window"])  # the code browser over the whole window
        status = wait_for_settled(status_file, lambda s: s["maximised"] == "files_window", gui)
        assert status["shown_windows"] == ["files_window"]
        assert "tests/test_stats.py" not in status["tree"]  # tests/ is folded
        click(display, *status["tree"]["tests"])
        status = wait_for_settled(status_file, lambda s: "tests/test_stats.py" in s["tree"], gui)
        click(display, *status["outline"]["mean"])
        status = wait_for_settled(status_file, lambda s: s["file"]["line"] == 4, gui)
        assert status["file"]["kind"] == "raw" and status["file"]["selected"] == "calc/stats.py"
        click(display, *status["tree"]["tests/test_stats.py"])
        status = wait_for_settled(status_file, lambda s: s["file"]["selected"] == "tests/test_stats.py", gui)
        click(display, *status["maximise"]["files_window"])  # the same button restores
        status = wait_for_settled(status_file, lambda s: s["maximised"] is None, gui)
        assert len(status["shown_windows"]) == 5
        click(display, *status["maximise"]["approval_window"])
        wait_for_settled(status_file, lambda s: s["maximised"] == "approval_window", gui)
        key(display, "F11")  # the key restores too
        status = wait_for_settled(status_file, lambda s: s["maximised"] is None, gui)
    width, height = status["viewport"]
    for x, y, w, h in status["windows"].values():
        assert 0 <= x and 0 <= y and x + w <= width and y + h <= height


def test_a_provider_that_refuses_connections_stops_the_run_with_the_reason_in_red(display, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    project = tmp_path / "project"
    make_project(project, {"a.py": "x = 1\n"}, {}, [ticket("T1", "a.py")])
    (project / "project.toml").write_text(
        f'[tier3]\nprovider = "anthropic"\nmodel = "claude-sonnet-4-5"\n[providers]\n'
        f'anthropic_base_url = "http://127.0.0.1:{port}"\nmax_retries = 0\n')
    trust_project(project)
    status_file = tmp_path / "status.json"
    env = {**display, "ANTHROPIC_API_KEY": "sk-ant-test-not-a-real-key-0123"}
    gui = start_window(env, project, tmp_path, "--run")
    with ended(gui):
        status = wait_for_settled(status_file, lambda s: s["engine"] == "finished", gui)
        shot = screenshot(tmp_path, gui, "refused")
    assert status["alert"] and status["message"].startswith(
        "run stopped: cannot reach anthropic: the connection failed")
    assert status["tickets"] == {"T1": "pending"}  # nothing lost: it resumes on the next run
    assert shot.stat().st_size > 10_000
    assert "sk-ant-test" not in (project / "tracks" / "track" / "ledger.jsonl").read_text()


def _differing_share(first: Path, second: Path) -> float:
    """The share of pixels that differ visibly (any channel by more than 48)."""
    from PIL import Image, ImageChops

    a, b = Image.open(first).convert("RGB"), Image.open(second).convert("RGB")
    if a.size != b.size:
        return 1.0
    difference = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > 48 else 0)
    return sum(difference.histogram()[255:]) / (a.size[0] * a.size[1])


@pytest.mark.parametrize("size", ["1280x720", "1920x1080", "2560x1440"])
def test_the_layout_matches_its_reference_screenshot(tmp_path, size):
    """The window waiting on the demo's first edit, the raw file open, at two screen sizes: a layout regression
    (a panel moved, cut off or resized) changes far more than the tolerance. CONDUCTOR_UPDATE_SCREENSHOTS=1
    writes the references anew."""
    width, height = map(int, size.split("x"))
    project = prepare_demo(tmp_path / "demo")
    status_file = tmp_path / "status.json"
    with xvfb_display(width, height) as env:
        gui = start_window(env, project, tmp_path, "--run", "--size", size, "--open", "calc/stats.py", "--view", "raw",
                    "--no-vsync")
        with ended(gui):
            status = wait_for_settled(status_file, lambda s: s["pending"] is not None, gui, frames=30)
            shot = screenshot(tmp_path, gui, f"review-{size}")
    assert status["viewport"] == [width, height]
    for x, y, w, h in status["windows"].values():  # nothing is cut off
        assert 0 <= x and 0 <= y and x + w <= width and y + h <= height
    reference = REFERENCES / f"review-{size}.png"
    if os.environ.get("CONDUCTOR_UPDATE_SCREENSHOTS") == "1" or not reference.exists():
        reference.parent.mkdir(exist_ok=True)
        reference.write_bytes(shot.read_bytes())
        assert os.environ.get("CI") != "true", f"{reference} was missing: commit it"
    assert _differing_share(shot, reference) < 0.02, f"compare {shot} with {reference}"


def test_side_by_side_cancel_a_rule_and_step_through_matches_by_real_clicks(display, tmp_path):
    project = prepare_demo(tmp_path / "demo")
    status_file = tmp_path / "status.json"
    gui = start_window(display, project, tmp_path, "--run", "--open", "calc/stats.py", "--view", "raw")
    with ended(gui):
        status = wait_for_settled(status_file, lambda s: s["pending"] is not None and s["diff_rows"] > 0, gui)
        unified_rows = status["diff_rows"]
        left, top, right, bottom = status["diff_mode"]["box"]
        click(display, right - 30, (top + bottom) // 2)  # the radio's second choice
        status = wait_for_settled(status_file, lambda s: s["diff_mode"]["value"] == "side by side", gui)
        assert 0 < status["diff_rows"] <= unified_rows  # removed and added lines share rows
        left, top, right, bottom = status["view_radio"]
        click(display, left + 40, (top + bottom) // 2)  # Skeleton, the first choice of the view toggle
        status = wait_for_settled(status_file, lambda s: s["file"]["kind"] == "skeleton", gui)
        click(display, right - 40, (top + bottom) // 2)  # and back to Raw, the last
        status = wait_for_settled(status_file, lambda s: s["file"]["kind"] == "raw", gui)
        click(display, *status["buttons"]["approve"])
        status = wait_for_settled(status_file, lambda s: s["pending"] is not None
                                  and s["pending"]["call"]["name"] == "run_shell", gui)
        click(display, *status["buttons"]["always_allow"])
        status = wait_for_settled(status_file, lambda s: s["rule_offered"], gui)
        click(display, *status["buttons"]["rule_cancel"])
        status = wait_for_settled(status_file, lambda s: not s["rule_offered"], gui)
        assert status["pending"]["call"]["name"] == "run_shell"  # nothing was added, nothing approved
        click(display, *status["buttons"]["search"])
        type_text(display, "values")
        # the file as the approved edit left it: mean and median both take values
        status = wait_for_settled(status_file, lambda s: len(s["file"]["matches"]) == 6, gui)
        click(display, *status["buttons"]["search_next"])
        status = wait_for_settled(status_file, lambda s: s["match"] == 1, gui)
        click(display, *status["buttons"]["search_previous"])
        wait_for_settled(status_file, lambda s: s["match"] == 0, gui)
    assert "allow" not in (project / "project.toml").read_text().split("[shell]")[-1]
