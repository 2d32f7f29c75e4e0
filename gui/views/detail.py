"""Ticket detail: prompt, target, dependencies, the live worker stream, the summary, archived histories."""

from __future__ import annotations

from pathlib import Path

import dearpygui.dearpygui as dpg

from gui.controller import Controller
from gui.state import StreamEntry, ViewState, describe_call
from gui.views.common import DIFF_COLORS, fill_lines, line_table
from gui.views.tags import Tags

STREAM_COLORS = {"assistant": (230, 230, 230), "tool_call": (120, 180, 255), "tool_result": (170, 170, 170),
                 "shell": (200, 170, 255), "changes": (120, 200, 220), "decision": (250, 200, 80),
                 "info": (110, 210, 120)}
ERROR_COLOR = (235, 100, 100)
MAX_FOLDED_LINES = 400


class DetailView:
    def __init__(self, tags: Tags, controller: Controller) -> None:
        self.tags = tags
        self.controller = controller
        self._shown_ticket: str | None = None
        self._shown_status: str | None = None
        self._shown_entries = 0
        self._shown_track: str | None = None
        self.restore_buttons: list[int | str] = []
        """The per-call "restore to before this call" buttons of the Changes tab, oldest call first."""
        self._runs: dict[str, Path] = {}
        """Combo label (when and how the run ended) -> its archived history."""

    def build(self, pos: tuple[int, int], size: tuple[int, int]) -> None:
        t = self.tags
        with dpg.window(label="Ticket detail", tag=t.detail_window, pos=pos, width=size[0], height=size[1],
                        no_close=True):
            with dpg.group(horizontal=True):
                dpg.add_button(label="[ ]", tag=t.maximise_buttons[1])
                dpg.add_text("", tag=t.detail_header, wrap=0)
            dpg.add_text("", tag=t.detail_prompt, wrap=0, color=(200, 200, 200))
            dpg.add_text("", tag=t.detail_summary, wrap=0, color=(110, 210, 120))
            with dpg.tab_bar(callback=lambda _s, tab: self._on_tab(tab)):
                with dpg.tab(label="Stream", tag=t.stream_tab):
                    with dpg.group(horizontal=True):
                        dpg.add_text("history:")
                        dpg.add_combo([], tag=t.history_combo, width=-1,
                                      callback=lambda _s, v: self._show_history(v))
                    dpg.add_child_window(tag=t.stream_child, border=True, autosize_x=True, height=-1)
                with dpg.tab(label="Changes", tag=t.changes_tab):
                    with dpg.group(horizontal=True):
                        dpg.add_button(label="Undo ticket", tag=t.undo_button, callback=lambda: self._undo(None))
                        dpg.add_checkbox(label="even files changed since (force)", tag=t.undo_force)
                        dpg.add_button(label="Refresh", callback=lambda: self.controller.load_changes())
                    dpg.add_text("", tag=t.changes_summary, wrap=0)
                    dpg.add_group(tag=t.changes_calls)
                    line_table(t.changes_diff)

    def refresh(self, state: ViewState) -> None:
        t = self.tags
        ticket = state.selected()
        if ticket is None:  # nothing of the last track's ticket stays on screen
            for tag in (t.detail_prompt, t.detail_summary):
                dpg.set_value(tag, "")
            dpg.set_value(t.detail_header, "no ticket selected")
            dpg.delete_item(t.stream_child, children_only=True)
            dpg.configure_item(t.history_combo, items=[])
            self._shown_ticket, self._shown_status, self._shown_entries = None, None, 0
            return
        deps = ", ".join(ticket.dependencies) or "none"
        why = f"  blocked: {ticket.block_reason or ', '.join(ticket.blocked_by)}" if ticket.status == "blocked" else ""
        dpg.set_value(t.detail_header, f"{ticket.id}  {ticket.title}\nstatus: {ticket.status}   target: "
                                       f"{ticket.target_file}   after: {deps}   archetype: {ticket.worker_archetype}"
                                       f"   retries: {ticket.retries}{why}")
        dpg.set_value(t.detail_prompt, ticket.prompt)
        dpg.set_value(t.detail_summary, f"summary: {ticket.summary}" if ticket.summary else "")
        entries = state.streams.get(ticket.id, [])
        if (ticket.id, ticket.status) != (self._shown_ticket, self._shown_status):
            # a ticket that just ended has a new archive: list the histories again
            self._runs = dict(self.controller.history(ticket.id))
            dpg.configure_item(t.history_combo, items=list(self._runs))
            self._shown_status = ticket.status
        if ticket.id != self._shown_ticket or len(entries) < self._shown_entries or state.track_changed(
                self._shown_track):
            self._shown_track = state.track.id if state.track else None
            dpg.delete_item(t.stream_child, children_only=True)
            self._shown_ticket, self._shown_entries = ticket.id, 0
        for entry in entries[self._shown_entries:]:
            self._add_entry(entry)
        if len(entries) > self._shown_entries:
            dpg.set_y_scroll(t.stream_child, dpg.get_y_scroll_max(t.stream_child) + 10_000)
        self._shown_entries = len(entries)

    def _add_entry(self, entry: StreamEntry) -> None:
        color = ERROR_COLOR if entry.is_error else STREAM_COLORS.get(entry.kind, (230, 230, 230))
        dpg.add_text(f"[{entry.kind}] {entry.text}", parent=self.tags.stream_child, color=color,
                     wrap=0)
        if entry.diff:  # folded: opened on demand, coloured like the approval panel's
            lines = entry.diff.splitlines()
            with dpg.collapsing_header(label=f"diff ({len(lines)} lines)", parent=self.tags.stream_child,
                                       default_open=False):
                for line in lines[:MAX_FOLDED_LINES]:
                    plain = line.startswith(("+++", "---")) or line[:1] not in DIFF_COLORS
                    dpg.add_text(line, color=(200, 200, 200) if plain else DIFF_COLORS[line[:1]])
                if len(lines) > MAX_FOLDED_LINES:
                    dpg.add_text(f"... {len(lines) - MAX_FOLDED_LINES} more lines: see the Changes tab")

    # -- changes -----------------------------------------------------------------------------------------
    def _on_tab(self, tab: int | str) -> None:
        if tab in (self.tags.changes_tab, dpg.get_alias_id(self.tags.changes_tab)):
            self.controller.load_changes()

    def _undo(self, from_call: str | None) -> None:
        ticket = self.controller.state.selected_ticket
        if ticket is not None:
            self.controller.undo_ticket(ticket, force=dpg.get_value(self.tags.undo_force), from_call=from_call)

    def refresh_changes(self, state: ViewState) -> None:
        t, changes = self.tags, state.changes
        files = {path for _, paths in changes.calls for path in paths}
        summary = changes.error or (f"{changes.ticket_id}: {len(files)} files changed by {len(changes.calls)} calls"
                                    if changes.calls else f"{changes.ticket_id or 'no ticket'}: no file changed")
        dpg.set_value(t.changes_summary, summary)
        dpg.delete_item(t.changes_calls, children_only=True)
        self.restore_buttons = []
        for call_id, paths in changes.calls:
            with dpg.group(horizontal=True, parent=t.changes_calls):
                self.restore_buttons.append(dpg.add_button(label="restore to before this call", user_data=call_id,
                                                           callback=lambda _s, _v, call: self._undo(call)))
                dpg.add_text(f"{call_id}: {', '.join(paths)}", wrap=0)
        fill_lines(t.changes_diff, changes.diff.splitlines(), DIFF_COLORS)

    def _show_history(self, name: str) -> None:
        ticket = self.controller.state.selected()
        if ticket is None:
            return
        path = self._runs.get(name)
        if path is None:
            return
        dpg.delete_item(self.tags.stream_child, children_only=True)
        self._shown_entries = 10**9  # the next live entry rebuilds the stream
        for message in self.controller.history_messages(path):
            if message.text:
                self._add_entry(StreamEntry("assistant" if message.role == "assistant" else "info",
                                            message.text[:3000]))
            for call in message.tool_calls:
                self._add_entry(StreamEntry("tool_call", describe_call(call.name, call.arguments)))
            for result in message.tool_results:
                self._add_entry(StreamEntry("tool_result", result.content[:3000], result.is_error))
