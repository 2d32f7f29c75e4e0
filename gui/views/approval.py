"""The approval panel, by tool: a file change as a reviewer's diff (numbered sides, changed words, hunks kept or
dropped) and its new text editable in place; a command in a one-line field with why it waits and Always allow;
the raw JSON one tab away; a note to the worker; approve / reject."""

from __future__ import annotations

import dearpygui.dearpygui as dpg

from conductor.diffs import DiffLine, side_by_side
from conductor.sandbox import UNSANDBOXED
from file_cache.highlight import highlight_file
from gui.controller import Controller
from gui.state import ApprovalState, ViewState
from gui.views.common import (
    CODE_LINE_HEIGHT,
    GUTTER_COLOR,
    add_diff_text,
    code_table,
    dense_theme,
    elided_text,
    fill_code,
    row_theme,
    scroll_to_row,
    set_elided,
)
from gui.views.tags import Tags

WHY_COLOR = (235, 190, 90)
ERROR_COLOR = (235, 100, 100)
SANDBOX_COLOR = (130, 200, 140)
HUNK_COLOR = (120, 180, 255)


class ApprovalView:
    def __init__(self, tags: Tags, controller: Controller) -> None:
        self.tags = tags
        self.controller = controller
        self._shown_pending: str | None = None
        self._shown_diff: tuple[object, ...] | None = None
        self._shown_text: str | None = None
        self.hunk_boxes: list[int | str] = []
        """The keep/drop checkbox of each hunk, in order (tests click them)."""

    def build(self, pos: tuple[int, int], size: tuple[int, int]) -> None:
        t, c = self.tags, self.controller
        with dpg.window(label="Approval", tag=t.approval_window, pos=pos, width=size[0], height=size[1],
                        no_close=True):
            with dpg.group(horizontal=True):
                dpg.add_button(label="[ ]", tag=t.maximise_buttons[2])
                elided_text(t.approval_title)
            dpg.add_text("", tag=t.approval_why, color=WHY_COLOR, wrap=0)
            dpg.add_text("", tag=t.approval_sandbox, wrap=0)  # where a command would run, or plainly that it is bare
            # the decision sits above the tabs, so it never moves whatever a tab holds
            dpg.add_input_text(tag=t.approval_note, width=-1, hint="a note to the worker, sent with your decision",
                               callback=lambda _s, value: c.approval.set_note(value))
            with dpg.group(horizontal=True):
                # approves what the panel shows: the call as made or as edited, the kept hunks, the note
                dpg.add_button(label="Approve (Ctrl+Enter)", tag=t.approve_button,
                               callback=lambda: c.approval.approve())
                dpg.add_button(label="Reject (Ctrl+R)", tag=t.reject_button,
                               callback=lambda: c.approval.reject(dpg.get_value(t.reject_reason)))
                dpg.add_input_text(tag=t.reject_reason, hint="reason for a rejection (the model sees it)", width=-1)
            dpg.add_text("", tag=t.approval_error, color=ERROR_COLOR, wrap=0)
            with dpg.tab_bar(tag=t.approval_tabs):
                with dpg.tab(label="Diff", tag=t.approval_diff_tab):
                    with dpg.group(horizontal=True):
                        dpg.add_radio_button(["unified", "side by side"], tag=t.approval_diff_mode, horizontal=True,
                                             default_value="unified", callback=lambda: self._fill_diff(
                                                 c.state.approval, force=True))
                        dpg.add_text("", tag=t.approval_hunks_text, color=GUTTER_COLOR)
                    dpg.add_group(tag=t.approval_hunk_boxes, horizontal=True)
                    self._diff_table()
                with dpg.tab(label="Edit", tag=t.approval_edit_tab):
                    with dpg.table(tag=t.approval_edit_group, header_row=False, resizable=True,
                                   policy=dpg.mvTable_SizingStretchSame):
                        dpg.add_table_column(tag=t.approval_old_column)
                        dpg.add_table_column()
                        with dpg.table_row():
                            with dpg.group():
                                dpg.add_text("", tag=t.approval_old_label, color=GUTTER_COLOR)
                                code_table(t.approval_old, height=-1)
                            with dpg.group():
                                dpg.add_text("", tag=t.approval_new_label, color=GUTTER_COLOR)
                                dpg.add_input_text(tag=t.approval_new, multiline=True, width=-1, height=-1,
                                                   tab_input=True, callback=lambda _s, value: c.approval.set_field(
                                                       self._field(), value))
                    with dpg.child_window(tag=t.approval_shell_group, show=False, height=-1, border=False):
                        dpg.add_text("command (edit it before approving):", color=GUTTER_COLOR)
                        dpg.add_input_text(tag=t.approval_command, width=-1,
                                           callback=lambda _s, value: c.approval.set_field("command", value))
                        dpg.add_text("", tag=t.approval_command_wrapped, wrap=0, color=(170, 170, 170))
                        dpg.add_button(label="Always allow...", tag=t.always_allow_button,
                                       callback=lambda: c.approval.offer_rule())
                        with dpg.group(tag=t.approval_rule_group, show=False):
                            dpg.add_text("", tag=t.approval_rule_text, wrap=0, color=WHY_COLOR)
                            with dpg.group(horizontal=True):
                                dpg.add_button(label="Add the rule and approve", tag=t.approval_rule_confirm,
                                               callback=lambda: c.approval.always_allow())
                                dpg.add_button(label="Cancel", tag=t.approval_rule_cancel,
                                               callback=lambda: self._cancel_rule())
                with dpg.tab(label="JSON", tag=t.approval_json_tab), dpg.child_window(height=-1, border=False):
                    dpg.add_input_text(tag=t.approval_json, multiline=True, width=-1, height=size[1] // 3,
                                       tab_input=True, callback=lambda _s, value: c.approval.set_text(value))
                    dpg.add_text("", tag=t.approval_wrapped, color=(170, 170, 170), wrap=0)

    def _diff_table(self) -> None:
        """The diff's table, made anew for each diff so that its columns fit the new rows: two line numbers and
        the text on each side (side by side), or two line numbers, the sign and the text (unified)."""
        if dpg.does_item_exist(self.tags.approval_diff):
            dpg.delete_item(self.tags.approval_diff)
        table = dpg.add_table(tag=self.tags.approval_diff, parent=self.tags.approval_diff_tab, header_row=False,
                              clipper=True, scrollY=True, scrollX=True, height=-1,
                              policy=dpg.mvTable_SizingFixedFit, borders_innerV=False, row_background=True)
        for _ in range(4):
            dpg.add_table_column(parent=table)
        dpg.bind_item_theme(table, dense_theme())

    def _field(self) -> str:
        pending = self.controller.state.approval.pending
        return "content" if pending is not None and pending.call.name == "write_file" else "new_text"

    def _cancel_rule(self) -> None:
        self.controller.state.approval.rule_offered = False
        self.controller.state.touch("approval")

    def shortcut(self, key: str) -> None:
        """Ctrl+Enter approves what the panel shows (like the button); Ctrl+R rejects with the typed reason."""
        if self.controller.state.approval.pending is None:
            return
        if key == "approve":
            self.controller.approval.approve()
        elif key == "reject":
            self.controller.approval.reject(dpg.get_value(self.tags.reject_reason))

    # -- refresh ------------------------------------------------------------------------------------------
    def refresh(self, state: ViewState) -> None:
        t = self.tags
        approval = state.approval
        pending = approval.pending
        for button in (t.approve_button, t.reject_button):
            dpg.configure_item(button, enabled=pending is not None)
        if pending is None:
            self._clear()
            return
        name = pending.call.name
        if pending.id != self._shown_pending:
            self._show_new(approval)
        dpg.set_value(t.approval_why, f"waits because {approval.why}" if approval.why else "")
        dpg.set_value(t.approval_sandbox, pending.sandbox or "")
        dpg.configure_item(t.approval_sandbox, show=bool(pending.sandbox),
                           color=ERROR_COLOR if (pending.sandbox or "").startswith(UNSANDBOXED) else SANDBOX_COLOR)
        dpg.set_value(t.approval_error, approval.error or "")
        if approval.text != self._shown_text:  # typed elsewhere (another tab): the field boxes follow
            self._fill_fields(approval)
        dpg.set_value(t.approval_wrapped, approval.wrapped_arguments())
        if name == "run_shell":
            dpg.set_value(t.approval_command_wrapped, self.controller.approval.field("command"))
            dpg.configure_item(t.always_allow_button, enabled=approval.rule is not None)
            dpg.configure_item(t.approval_rule_group, show=approval.rule_offered)
            dpg.set_value(t.approval_rule_text, f"Add the allow-rule {approval.rule!r} to [shell] allow in "
                                                f"project.toml? It will admit {approval.rule_text}."
                          if approval.rule else "")
        self._fill_diff(approval)

    def _clear(self) -> None:
        t = self.tags
        set_elided(t.approval_title, "nothing awaits your decision", 10_000)
        for tag in (t.approval_why, t.approval_sandbox, t.approval_json, t.approval_error, t.approval_wrapped,
                    t.approval_new, t.approval_command, t.approval_command_wrapped, t.approval_hunks_text,
                    t.reject_reason, t.approval_note, t.approval_old_label):
            dpg.set_value(tag, "")
        dpg.delete_item(t.approval_diff, children_only=True, slot=1)
        dpg.delete_item(t.approval_old, children_only=True, slot=1)
        dpg.delete_item(t.approval_hunk_boxes, children_only=True)
        dpg.configure_item(t.approval_rule_group, show=False)
        dpg.configure_item(t.approval_tabs, show=False)  # nothing of the last call stays on screen
        self.hunk_boxes = []
        self._shown_pending = self._shown_diff = self._shown_text = None

    def _show_new(self, approval: ApprovalState) -> None:
        """A new call: the tabs its tool needs, its fields, and the first tab that matters for it."""
        t = self.tags
        pending = approval.pending
        assert pending is not None
        name = pending.call.name
        path = pending.call.arguments.get("path")
        set_elided(t.approval_title, f"{pending.ticket_id} wants to run {name}" + (f" on {path}" if path else ""),
                   dpg.get_item_width(t.approval_window) - 60)
        for tag in (t.reject_reason, t.approval_note):
            dpg.set_value(tag, "")
        files, shell = name in ("edit_file", "write_file"), name == "run_shell"
        dpg.configure_item(t.approval_tabs, show=True)
        dpg.configure_item(t.approval_diff_tab, show=files)
        dpg.configure_item(t.approval_edit_tab, show=files or shell, label="Command" if shell else "Edit")
        dpg.configure_item(t.approval_edit_group, show=files)
        dpg.configure_item(t.approval_shell_group, show=shell)
        dpg.configure_item(t.approval_old_column, enabled=files)
        dpg.set_value(t.approval_tabs, t.approval_diff_tab if files else t.approval_edit_tab if shell
                      else t.approval_json_tab)
        self._fill_fields(approval)
        if files:
            self._fill_old(approval)
        dpg.focus_item(t.approval_window)
        self._shown_pending = pending.id

    def _fill_fields(self, approval: ApprovalState) -> None:
        t, fields = self.tags, self.controller.approval
        dpg.set_value(t.approval_json, approval.text)
        name = approval.pending.call.name if approval.pending else ""
        if name == "run_shell" and not dpg.is_item_active(t.approval_command):
            dpg.set_value(t.approval_command, fields.field("command"))
        if name in ("edit_file", "write_file") and not dpg.is_item_active(t.approval_new):
            dpg.set_value(t.approval_new, fields.field(self._field()))
            dpg.set_value(t.approval_new_label, "new text (edit it here; the diff follows):" if name == "edit_file"
                          else "content (edit it here; the diff follows):")
        self._shown_text = approval.text

    def _fill_old(self, approval: ApprovalState) -> None:
        """The text an edit replaces, as code with the file's line numbers (a write: its content as code)."""
        if approval.pending is not None and approval.pending.call.name == "write_file":
            lines = highlight_file(approval.path, self.controller.approval.field("content"))
            dpg.set_value(self.tags.approval_old_label, f"content of {approval.path} as code:")
            fill_code(self.tags.approval_old, lines, list(range(1, len(lines) + 1)))
            return
        old_text = self.controller.approval.field("old_text")
        before = approval.before or ""
        at = before.find(old_text) if old_text else -1
        first = before.count("\n", 0, at) + 1 if at >= 0 else None
        lines = highlight_file(approval.path, old_text)
        numbers = [first + k if first else None for k in range(len(lines))]
        where = f"lines {first}-{first + len(lines) - 1} of {approval.path}" if first else "not found in the file"
        dpg.set_value(self.tags.approval_old_label, f"old text ({where}):")
        fill_code(self.tags.approval_old, lines, numbers)

    def _fill_diff(self, approval: ApprovalState, force: bool = False) -> None:
        """The hunks as rows: line numbers of both sides, coloured backgrounds, changed words; dropped hunks dim."""
        t = self.tags
        mode = dpg.get_value(t.approval_diff_mode)
        key = (approval.pending.id if approval.pending else None, approval.after, tuple(sorted(approval.dropped)),
               mode, approval.error)
        if key == self._shown_diff and not force:
            return
        self._shown_diff = key
        side = mode == "side by side"
        self._diff_table()
        table = t.approval_diff
        self._hunk_boxes(approval)
        changed = sum(h.added + h.removed for h in approval.hunks)
        count = len(approval.hunks)
        summary = (f"{count} hunk{'s' if count != 1 else ''}, {changed} changed line{'s' if changed != 1 else ''}"
                   + ("; untick a hunk to drop it" if self.hunk_boxes else "") if count else
                   "the call would fail as it stands" if approval.error else "no change")
        dpg.set_value(t.approval_hunks_text, summary)
        row, first_change = 0, None
        for hunk in approval.hunks:
            dropped = hunk.index in approval.dropped
            with dpg.table_row(parent=table) as header:
                dpg.add_text("")
                dpg.add_text("")
                dpg.add_text(f"hunk {hunk.index + 1}", color=HUNK_COLOR)
                dpg.add_text(hunk.header + ("   (dropped)" if dropped else ""), color=HUNK_COLOR)
            dpg.bind_item_theme(header, row_theme("context"))
            row += 1
            pairs = side_by_side(hunk) if side else [(line, None) for line in hunk.lines]
            for left, right in pairs:
                with dpg.table_row(parent=table) as table_row:
                    if side:
                        self._side_cell(left, dropped)
                        self._side_cell(right, dropped, after=True)
                    else:
                        assert left is not None
                        dpg.add_text(str(left.old_number or ""), color=GUTTER_COLOR)
                        dpg.add_text(str(left.new_number or ""), color=GUTTER_COLOR)
                        dpg.add_text({"added": "+", "removed": "-", "context": " "}[left.kind], color=GUTTER_COLOR)
                        add_diff_text(left, dropped)
                kind = next((line.kind for line in (left, right) if line is not None and line.kind != "context"),
                            "context")
                dpg.bind_item_theme(table_row, row_theme("context" if dropped else kind))
                if kind != "context" and not dropped:
                    first_change = row if first_change is None else first_change
                row += 1
        if first_change is not None:
            scroll_to_row(table, first_change, CODE_LINE_HEIGHT)

    def _side_cell(self, line: DiffLine | None, dropped: bool, after: bool = False) -> None:
        if line is None:
            dpg.add_text("")
            dpg.add_text("")
            return
        number = line.new_number if after else line.old_number
        dpg.add_text(str(number or ""), color=GUTTER_COLOR)
        add_diff_text(line, dropped)

    def _hunk_boxes(self, approval: ApprovalState) -> None:
        t = self.tags
        dpg.delete_item(t.approval_hunk_boxes, children_only=True)
        self.hunk_boxes = []
        if len(approval.hunks) < 2 and not approval.dropped:
            return  # one hunk: keeping it is approving, dropping it is rejecting
        for hunk in approval.hunks:
            self.hunk_boxes.append(dpg.add_checkbox(
                label=f"hunk {hunk.index + 1}", parent=t.approval_hunk_boxes,
                default_value=hunk.index not in approval.dropped, user_data=hunk.index,
                callback=lambda _s, keep, index: self.controller.approval.keep_hunk(index, keep)))
