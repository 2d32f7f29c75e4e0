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
    # a label longer than the panel is elided in the middle, the whole of it in the row's tooltip
    assert dpg.get_item_label(first_row_items[0]) == "T1 [pending] Add … to calc/stats.py"
    assert dpg.get_value(f"{first_row_items[0]}_full") == "T1 [pending] Add median() to calc/stats.py"
    assert dpg.get_value(first_row_items[0]) is True
    assert dpg.get_value(TAGS.detail_header).startswith("T1  Add median() to calc/stats.py\nstatus: pending")
    assert dpg.get_value(TAGS.status_text) == "engine: idle  |  "


def cells(row):
    """The texts of a table row (a cell holding coloured pieces reads as their joined text)."""
    out = []
    for item in dpg.get_item_children(row, slot=1):
        if dpg.get_item_type(item).endswith("Group"):
            out.append("".join(dpg.get_value(piece) for piece in dpg.get_item_children(item, slot=1)))
        else:
            out.append(dpg.get_value(item))
    return out


def test_run_and_approve_through_the_buttons_callbacks(window):
    fire(TAGS.run_button)
    settle(window, lambda: window.controller.state.approval.pending is not None)
    assert dpg.get_value(TAGS.approval_title) == "T1 wants to run edit_file on calc/stats.py"
    assert dpg.get_value(TAGS.approval_why) == "waits because edit_file changes files and the archetype 'default' " \
                                               "is in step mode"
    assert dpg.get_value(TAGS.approval_tabs) == TAGS.approval_diff_tab
    assert '"path": "calc/stats.py"' in dpg.get_value(TAGS.approval_json)
    diff_rows = [cells(r) for r in rows(TAGS.approval_diff)]
    assert diff_rows[0] == ["", "", "hunk 1", "@@ -6,3 +6,11 @@"]
    assert diff_rows[1] == ["6", "6", " ", "    if not values:"]  # numbered on both sides
    assert diff_rows[4] == ["", "9", "+", " "]
    assert diff_rows[6] == ["", "11", "+", "def median(values: list[float]) -> float:"]
    # the new text is editable in place, the old one shown as code with the file's line numbers
    assert dpg.get_value(TAGS.approval_new).startswith("    return sum(values) / len(values)\n\n\ndef median(")
    assert dpg.get_value(TAGS.approval_old_label) == "old text (lines 8-8 of calc/stats.py):"
    assert cells(rows(TAGS.approval_old)[0]) == ["8      return sum(values) / len(values)"]
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
    dpg.set_value(TAGS.approval_note, "keep the docstring short")
    fire(TAGS.approval_note)
    fire(TAGS.approve_button)
    settle(window, lambda: getattr(window.controller.state.approval.pending, "id", first) != first)
    assert "def median" in (window.controller.root / "calc" / "stats.py").read_text()
    assert dpg.get_value(TAGS.approval_note) == ""  # nothing of the last decision stays in the boxes
    stream = [dpg.get_value(item) for item in dpg.get_item_children(TAGS.stream_child, slot=1)]
    assert stream[:3] == ["[info] worker started", "[assistant] I'll add median() next to mean() in calc/stats.py.",
                          stream[2]] and stream[2].startswith("[tool_call] edit_file")
    assert "[decision] approve (note: keep the docstring short)" in stream
    window.controller.set_mode("auto")
    settle(window, lambda: window.controller.state.engine == "finished")
    assert len(dpg.get_item_configuration(TAGS.history_combo)["items"]) == 1  # T2's archive, listed when it ended


def test_file_view_toggle_tree_outline_and_search(window):
    tree = window.files.tree_items
    assert dpg.get_item_label(tree["calc"]) == "calc" and "calc/stats.py" in tree
    fire(tree["calc/stats.py"])
    window.refresh()
    labels = dpg.get_item_configuration(TAGS.view_radio)["items"]
    assert [label.split(" (")[0] for label in labels] == ["Skeleton", "Curated", "Raw"]
    assert all("tok)" in label for label in labels)
    assert [cells(r) for r in rows(TAGS.view_table)] == [["4  def mean(values: list[float]) -> float: ..."]]
    assert dpg.get_item_configuration(TAGS.view_tokens)["overlay"].startswith("skeleton ")
    fire(TAGS.view_radio, labels[2])
    window.refresh()
    assert len(rows(TAGS.view_table)) == 8
    first_line = dpg.get_item_children(rows(TAGS.view_table)[0], slot=1)[0]  # coloured: the docstring is a string
    pieces = dpg.get_item_children(first_line, slot=1)
    assert [dpg.get_value(piece) for piece in pieces] == [
        "1  ", '"""Small statistics helpers used by the report module."""']
    assert dpg.get_item_configuration(pieces[1])["color"][:3] == pytest.approx([152 / 255, 195 / 255, 121 / 255],
                                                                              abs=0.01)
    fire(window.files.outline_items["mean"])
    window.refresh()
    assert window.controller.state.files.line == 4 and window.controller.state.files.focus_row() == 3
    dpg.set_value(TAGS.view_search, "values")
    fire(TAGS.view_search)
    window.refresh()
    assert window.controller.state.files.matches == [3, 5, 7] and dpg.get_value(TAGS.view_search_count) == "1 of 3"


def test_hunks_dropped_and_always_allow_through_the_callbacks(window):
    controller = window.controller
    (controller.root / "calc" / "stats.py").write_text("".join(f"x{n} = {n}\n" for n in range(30)))
    controller.add_ticket("two places", "calc/stats.py", "edit two places")
    fire(TAGS.run_button)
    settle(window, lambda: controller.state.approval.pending is not None)
    approval = controller.state.approval
    # an edit with two hunks, as the box holds it
    edited = {"path": "calc/stats.py", "old_text": "".join(f"x{n} = {n}\n" for n in range(2, 26)),
              "new_text": "".join(f"x{n} = {n}\n" for n in range(2, 26)).replace("x2 = 2", "x2 = 'two'").replace(
                  "x25 = 25", "x25 = 'twenty-five'")}
    dpg.set_value(TAGS.approval_json, json.dumps(edited))
    fire(TAGS.approval_json)
    window.refresh()
    assert len(approval.hunks) == 2 and len(window.approval.hunk_boxes) == 2
    fire(window.approval.hunk_boxes[1], False)  # drop the second hunk
    window.refresh()
    assert approval.dropped == {1}
    headers = [cells(r)[3] for r in rows(TAGS.approval_diff) if cells(r)[2].startswith("hunk ")]
    assert [h.endswith("(dropped)") for h in headers] == [False, True]
    fire(TAGS.approve_button)
    settle(window, lambda: controller.state.approval.pending is not None
           and controller.state.approval.pending.call.name == "run_shell")
    text = (controller.root / "calc" / "stats.py").read_text()
    assert "x2 = 'two'" in text and "x25 = 25\n" in text  # only the kept hunk was made
    decision = [e for e in controller.store.ledger(controller.state.track.id).read() if e["event"] == "decision"][-1]
    assert decision["action"] == "edit" and "dropped 1 of the 2 hunks" in decision["note"]
    # the command waits, says why, and Always allow shows the rule before adding it
    window.refresh()
    assert dpg.get_value(TAGS.approval_tabs) == TAGS.approval_edit_tab
    assert dpg.get_value(TAGS.approval_command) == "python3 -m unittest tests.test_stats"
    assert dpg.get_value(TAGS.approval_why) == ("waits because no allow-rules are set ([shell] allow in "
                                                "project.toml), and the archetype 'default' is in step mode")
    assert dpg.get_value(TAGS.approval_sandbox) == controller.engine.commands.describe()
    assert dpg.get_value(TAGS.approval_sandbox).startswith(("sandbox: bwrap, no network, writes: project only, "
                                                            "memory 4096 MB", "UNSANDBOXED ("))
    assert dpg.is_item_shown(TAGS.approval_sandbox)
    fire(TAGS.always_allow_button)
    window.refresh()
    assert dpg.is_item_shown(TAGS.approval_rule_group)
    assert "python3 -m unittest tests.test_stats" in dpg.get_value(TAGS.approval_rule_text)
    fire(TAGS.approval_rule_confirm)
    settle(window, lambda: controller.state.approval.pending is None or
           controller.state.approval.pending.call.name != "run_shell")
    toml = (controller.root / "project.toml").read_text()
    assert 'allow = ["python3 -m unittest tests.test_stats"]' in toml and "# The demo project" in toml


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
        assert dpg.get_value(f"{item}_full").endswith("T1000 [blocked] ticket 1000  <- T999")
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
    dpg.set_value(TAGS.approval_command, long_command)
    fire(TAGS.approval_command)
    window.refresh()
    assert json.loads(dpg.get_value(TAGS.approval_json)) == {"command": long_command}
    assert dpg.get_value(TAGS.approval_command_wrapped) == long_command
    assert dpg.get_value(TAGS.approval_wrapped) == f"command: {long_command}"
    assert dpg.get_item_configuration(TAGS.approval_wrapped)["wrap"] == 0


def test_the_tier4_panel_lists_causes_before_symptoms_each_place_a_button(window):
    from conductor.failures import Failure
    from gui.state import HintEntry

    def failure(test, exception, path, line):
        return Failure(test=test, exception=exception, message="boom", path=path, line=line)

    shared = [failure(f"tests/test_a.py::test_{n}", "IndexError", "calc/stats.py", 3) for n in range(5)]
    symptom = failure("tests/test_b.py::test_view", "AssertionError", "tests/test_b.py", 9)
    state = window.controller.state
    state.hints.append(HintEntry("T1", "pytest", 1, "hint", "deterministic", None, "", (symptom, *shared)))
    state.touch("hints")
    window.refresh()
    [row] = rows(TAGS.hints_table)
    group = dpg.get_item_children(row, slot=1)[1]
    texts = [dpg.get_value(item) if dpg.get_item_type(item).endswith("Text") else dpg.get_item_label(item)
             for item in dpg.get_item_children(group, slot=1)]
    assert texts == ["hint (deterministic)", "6 failures, 2 causes:", "calc/stats.py:3",
                     "IndexError: boom (5 tests: test_0, test_1, test_2, test_3 +1)", "tests/test_b.py:9",
                     "tests/test_b.py::test_view | AssertionError: boom"]
