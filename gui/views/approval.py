"""The approval panel: tool name, editable JSON with inline errors, a coloured diff, approve / edit / reject."""

from __future__ import annotations

import dearpygui.dearpygui as dpg

from gui.controller import Controller
from gui.state import ViewState
from gui.views.common import DIFF_COLORS, fill_lines, line_table
from gui.views.tags import Tags


class ApprovalView:
    def __init__(self, tags: Tags, controller: Controller) -> None:
        self.tags = tags
        self.controller = controller
        self._shown_pending: str | None = None
        self._shown_diff: str | None = None

    def build(self, pos: tuple[int, int], size: tuple[int, int]) -> None:
        t, c = self.tags, self.controller
        with dpg.window(label="Approval", tag=t.approval_window, pos=pos, width=size[0], height=size[1],
                        no_close=True):
            dpg.add_text("nothing awaits your decision", tag=t.approval_title, wrap=0)
            dpg.add_input_text(tag=t.approval_json, multiline=True, width=-1, height=size[1] // 4, tab_input=True,
                               callback=lambda _s, value: c.set_edit_text(value))
            dpg.add_text("", tag=t.approval_error, color=(235, 100, 100), wrap=0)
            dpg.add_text("", tag=t.approval_wrapped, color=(170, 170, 170), wrap=0)
            with dpg.group(horizontal=True):
                # approves what the box shows: the call as made, or as edited
                dpg.add_button(label="Approve (Ctrl+Enter)", tag=t.approve_button, callback=lambda: c.approve())
                dpg.add_button(label="Reject (Ctrl+R)", tag=t.reject_button,
                               callback=lambda: c.reject(dpg.get_value(t.reject_reason)))
            dpg.add_input_text(tag=t.reject_reason, hint="reason for a rejection (the model sees it)", width=-1)
            line_table(t.approval_diff)

    def shortcut(self, key: str) -> None:
        """Ctrl+Enter approves what the box shows (like the button); Ctrl+R rejects with the typed reason."""
        approval = self.controller.state.approval
        if approval.pending is None:
            return
        if key == "approve":
            self.controller.approve()
        elif key == "reject":
            self.controller.reject(dpg.get_value(self.tags.reject_reason))

    def refresh(self, state: ViewState) -> None:
        t = self.tags
        approval = state.approval
        pending = approval.pending
        waiting = pending is not None
        for button in (t.approve_button, t.reject_button):
            dpg.configure_item(button, enabled=waiting)
        if pending is None:
            dpg.set_value(t.approval_title, "nothing awaits your decision")
            dpg.set_value(t.approval_json, "")
            dpg.set_value(t.approval_error, "")
            dpg.set_value(t.approval_wrapped, "")
            fill_lines(t.approval_diff, [])
            self._shown_pending = self._shown_diff = None
            return
        if pending.id != self._shown_pending:
            dpg.set_value(t.approval_title, f"{pending.ticket_id} wants to run {pending.call.name}")
            dpg.set_value(t.approval_json, approval.text)
            dpg.set_value(t.reject_reason, "")
            dpg.focus_item(t.approval_window)
            self._shown_pending = pending.id
        dpg.set_value(t.approval_error, approval.error or "")
        if pending.diff is None:  # a file write shows its text in the diff below
            dpg.set_value(t.approval_wrapped, approval.wrapped_arguments())
        if approval.diff != self._shown_diff:
            fill_lines(t.approval_diff, (approval.diff or "").splitlines(), DIFF_COLORS)
            self._shown_diff = approval.diff
