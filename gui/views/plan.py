"""The Plan panel: a goal, the planner's progress, the proposal as an editable table (validated as you type),
the dependency preview, feedback with Revise, Accept and Reject."""

from __future__ import annotations

import dearpygui.dearpygui as dpg

from gui.controller import Controller
from gui.state import ViewState
from gui.views.common import DIFF_COLORS, fill_lines, line_table
from gui.views.tags import Tags

COLUMNS = (("id", 50), ("title", 160), ("target_file", 150), ("prompt", 260), ("depends_on", 80),
           ("archetype", 80), ("new_file", 40))


class PlanView:
    def __init__(self, tags: Tags, controller: Controller) -> None:
        self.tags = tags
        self.controller = controller
        self._layout = -1
        self.cells: dict[tuple[int, str], int | str] = {}
        """(row, field) -> the cell's widget (tests click them)."""

    def build(self) -> None:
        t, c = self.tags, self.controller
        with dpg.window(label="Plan a track", tag=t.plan_window, show=False, width=1000, height=620, pos=(140, 90),
                        on_close=lambda: self._close()):
            dpg.add_text("Goal: what the track should achieve")
            dpg.add_input_text(tag=t.plan_goal, multiline=True, width=-1, height=54,
                               callback=lambda _s, value: setattr(c.state.plan, "goal", value))
            with dpg.group(horizontal=True):
                dpg.add_button(label="Plan", tag=t.plan_button, callback=lambda: c.plan.start(
                    dpg.get_value(t.plan_goal)))
                dpg.add_button(label="Revise remaining of the selected track", tag=t.plan_revise_remaining,
                               callback=lambda: c.plan.revise_remaining())
                dpg.add_text("", tag=t.plan_status, wrap=0)
            dpg.add_input_text(tag=t.plan_title, label="track title", width=400,
                               callback=lambda _s, value: c.plan.set_title(value))
            with dpg.table(tag=t.plan_table, header_row=True, policy=dpg.mvTable_SizingFixedFit, scrollY=True,
                           height=200, borders_innerH=True):
                for name, width in COLUMNS:
                    dpg.add_table_column(label=name.replace("_", " "), init_width_or_weight=width)
                dpg.add_table_column(label="", init_width_or_weight=90)
            dpg.add_button(label="Add a ticket row", tag=t.plan_add_row, callback=lambda: c.plan.add_row())
            dpg.add_text("", tag=t.plan_problems, color=(235, 100, 100), wrap=0)
            with dpg.group(horizontal=True):
                with dpg.child_window(width=300, height=110):
                    dpg.add_text("dependencies", color=(170, 170, 170))
                    dpg.add_text("", tag=t.plan_preview)
                with dpg.child_window(width=-1, height=110):
                    line_table(t.plan_diff)
            with dpg.group(horizontal=True):
                dpg.add_input_text(tag=t.plan_feedback, hint="feedback for the planner (Revise)", width=420)
                dpg.add_button(label="Revise", tag=t.plan_revise, callback=lambda: c.plan.revise(
                    dpg.get_value(t.plan_feedback)))
                dpg.add_button(label="Accept", tag=t.plan_accept, callback=lambda: c.plan.accept())
                dpg.add_button(label="Reject", tag=t.plan_reject, callback=lambda: c.plan.reject(
                    dpg.get_value(t.plan_feedback)))

    def _close(self) -> None:
        self.controller.state.plan.visible = False

    def refresh(self, state: ViewState) -> None:
        t, plan = self.tags, state.plan
        dpg.configure_item(t.plan_window, show=plan.visible)
        if not plan.visible:
            self._layout = -1
            return
        if dpg.get_value(t.plan_goal) != plan.goal:
            dpg.set_value(t.plan_goal, plan.goal)
        dpg.set_value(t.plan_status, plan.progress + (" ..." if plan.busy else ""))
        for button in (t.plan_button, t.plan_revise_remaining, t.plan_revise):
            dpg.configure_item(button, enabled=not plan.busy)
        dpg.configure_item(t.plan_accept, enabled=bool(plan.rows) and not plan.problems and not plan.busy)
        if plan.layout != self._layout:  # rebuilt only when rows change, not while a cell is typed in
            self._rebuild(state)
            self._layout = plan.layout
        dpg.set_value(t.plan_problems, "\n".join(f"- {p}" for p in plan.problems))
        dpg.set_value(t.plan_preview, plan.preview())
        fill_lines(t.plan_diff, plan.diff.splitlines(), DIFF_COLORS)

    def _rebuild(self, state: ViewState) -> None:
        t, c, plan = self.tags, self.controller, state.plan
        dpg.set_value(t.plan_title, plan.title)
        dpg.delete_item(t.plan_table, children_only=True, slot=1)
        self.cells = {}
        for index, row in enumerate(plan.rows):
            with dpg.table_row(parent=t.plan_table):
                for name, width in COLUMNS:
                    if name == "new_file":
                        cell = dpg.add_checkbox(default_value=bool(row.get(name)), user_data=(index, name),
                                                callback=lambda _s, value, at: c.plan.set_cell(at[0], at[1], value))
                    else:
                        cell = dpg.add_input_text(default_value=str(row.get(name, "")), width=width,
                                                  user_data=(index, name),
                                                  callback=lambda _s, value, at: c.plan.set_cell(at[0], at[1],
                                                                                                 value))
                    self.cells[(index, name)] = cell
                with dpg.group(horizontal=True):
                    dpg.add_button(label="up", user_data=index, callback=lambda _s, _v, i: c.plan.move_row(i, -1))
                    dpg.add_button(label="dn", user_data=index, callback=lambda _s, _v, i: c.plan.move_row(i, 1))
                    dpg.add_button(label="x", user_data=index, callback=lambda _s, _v, i: c.plan.remove_row(i))
