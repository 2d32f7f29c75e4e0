"""The widgets without a viewport: build the real window's items, refresh them from state, fire callbacks."""

import inspect
import json
import time

import dearpygui.dearpygui as dpg
import pytest

from conductor.demo import prepare_demo
from conductor.models import Ticket, Track
from conductor.store import TrackStore
from gui.controller import Controller
from gui.views.app import ConductorWindow
from gui.views.common import reset_themes
from gui.views.tags import TAGS


@pytest.fixture
def window(tmp_path):
    dpg.create_context()
    reset_themes()
    controller = Controller(prepare_demo(tmp_path / "demo"))
    window = ConductorWindow(controller)
    window.build()
    window.refresh()
    yield window
    controller.pause()
    controller.wait_idle(10)
    dpg.destroy_context()


def rows(table):
    return dpg.get_item_children(table, slot=1)


def fire(tag, value=None):
    """Call an item's callback the way dearpygui does: with as many of (sender, app_data, user_data) as it takes."""
    callback = dpg.get_item_callback(tag)
    arguments = (tag, dpg.get_value(tag) if value is None else value, dpg.get_item_user_data(tag))
    callback(*arguments[: len(inspect.signature(callback).parameters)])


def settle(window, condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        window.controller.poll()
        window.refresh()
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError(window.controller.state.message)


def test_tickets_are_listed_with_status_colours_and_selection(window):
    assert len(rows(TAGS.tickets_table)) == 2
    first_row_items = dpg.get_item_children(rows(TAGS.tickets_table)[0], slot=1)
    assert dpg.get_item_label(first_row_items[0]) == "T1 [pending] Add median() to calc/stats.py"
    assert dpg.get_value(first_row_items[0]) is True
    assert dpg.get_value(TAGS.detail_header).startswith("T1  Add median() to calc/stats.py\nstatus: pending")
    assert dpg.get_value(TAGS.status_text) == "engine: idle  |  "


def test_run_and_approve_through_the_buttons_callbacks(window):
    fire(TAGS.run_button)
    settle(window, lambda: window.controller.state.approval.pending is not None)
    assert dpg.get_value(TAGS.approval_title) == "T1 wants to run edit_file"
    assert '"path": "calc/stats.py"' in dpg.get_value(TAGS.approval_json)
    diff_rows = rows(TAGS.approval_diff)
    first_cells = [dpg.get_value(dpg.get_item_children(r, slot=1)[0]) for r in diff_rows[:3]]
    assert first_cells == ["--- a/calc/stats.py", "+++ b/calc/stats.py", "@@ -6,3 +6,11 @@"]
    added = dpg.get_item_children(diff_rows[6], slot=1)[0]
    assert dpg.get_value(added) == "+" and dpg.get_item_configuration(added)["color"][:3] == pytest.approx(
        [110 / 255, 210 / 255, 120 / 255], abs=0.01)
    dpg.set_value(TAGS.approval_json, "{broken")
    fire(TAGS.approval_json)
    window.refresh()
    assert dpg.get_value(TAGS.approval_error).startswith("invalid JSON at line 1, column 2")
    assert rows(TAGS.approval_diff) == []
    fire(TAGS.approve_button)  # refused inline: nothing is sent
    assert window.controller.state.message.startswith("not approved: invalid JSON")
    dpg.set_value(TAGS.approval_json, window.controller.state.approval.pending.arguments_json())
    fire(TAGS.approval_json)
    first = window.controller.state.approval.pending.id
    fire(TAGS.approve_button)
    settle(window, lambda: getattr(window.controller.state.approval.pending, "id", first) != first)
    assert "def median" in (window.controller.root / "calc" / "stats.py").read_text()
    stream = [dpg.get_value(item) for item in dpg.get_item_children(TAGS.stream_child, slot=1)]
    assert stream[:3] == ["[info] worker started", "[assistant] I'll add median() next to mean() in calc/stats.py.",
                          stream[2]] and stream[2].startswith("[tool_call] edit_file")
    assert "[decision] approve" in stream
    window.controller.set_mode("auto")
    settle(window, lambda: window.controller.state.engine == "finished")
    assert len(dpg.get_item_configuration(TAGS.history_combo)["items"]) == 1  # T2's archive, listed when it ended


def test_file_view_toggle_shows_token_counts(window):
    window.controller.select_file("calc/stats.py")
    window.refresh()
    labels = dpg.get_item_configuration(TAGS.view_radio)["items"]
    assert [label.split(" (")[0] for label in labels] == ["Skeleton", "Curated", "Raw"]
    assert all("tok)" in label for label in labels)
    assert [dpg.get_value(dpg.get_item_children(r, slot=1)[0]) for r in rows(TAGS.view_table)] == [
        "def mean(values: list[float]) -> float: ..."]
    fire(TAGS.view_radio, labels[2])
    window.refresh()
    assert len(rows(TAGS.view_table)) == 8


def test_large_track_rows_are_updated_in_place(tmp_path):
    dpg.create_context()
    reset_themes()
    try:
        track = Track(id="big", title="big")
        for index in range(1, 1001):
            track.add_ticket(Ticket(id=f"T{index}", title=f"ticket {index}", target_file="a.py", prompt="p",
                                    dependencies=[f"T{index - 1}"] if index > 1 else []))
        TrackStore(tmp_path / "tracks").save(track)
        (tmp_path / "a.py").write_text("x = 1\n")
        controller = Controller(tmp_path)
        window = ConductorWindow(controller)
        window.build()
        window.refresh()
        before = rows(TAGS.tickets_table)
        assert len(before) == 1000
        controller.block_ticket("T500", "wait")
        window.refresh()
        assert rows(TAGS.tickets_table) == before  # same widgets, new labels
        item = dpg.get_item_children(before[999], slot=1)[0]
        assert dpg.get_item_label(item).endswith("T1000 [blocked] ticket 1000  <- T999")
    finally:
        dpg.destroy_context()


def test_the_shipped_font_is_bound_and_licensed(tmp_path):
    from gui.views.common import FONT_FILE, setup_look

    dpg.create_context()
    try:
        setup_look()
        fonts = [item for item in dpg.get_all_items() if dpg.get_item_type(item) == "mvAppItemType::mvFont"]
        assert [dpg.get_item_configuration(font)["file"] for font in fonts] == [str(FONT_FILE)]
    finally:
        dpg.destroy_context()
    assert FONT_FILE.stat().st_size > 300_000
    licence = (FONT_FILE.parent / "LICENSE-DejaVu.txt").read_text()
    assert "Bitstream Vera" in licence and "DejaVu changes are in public domain" in licence


def test_long_arguments_are_shown_wrapped_under_the_box(window):
    fire(TAGS.run_button)
    settle(window, lambda: window.controller.state.approval.pending is not None)
    fire(TAGS.approve_button)
    settle(window, lambda: getattr(window.controller.state.approval.pending, "call", None) is not None
           and window.controller.state.approval.pending.call.name == "run_shell")
    long_command = "python3 -m unittest " + " ".join(f"tests.test_{i}" for i in range(40))
    dpg.set_value(TAGS.approval_json, json.dumps({"command": long_command}))
    fire(TAGS.approval_json)
    window.refresh()
    assert dpg.get_value(TAGS.approval_wrapped) == f"command: {long_command}"
    assert dpg.get_item_configuration(TAGS.approval_wrapped)["wrap"] == 0
