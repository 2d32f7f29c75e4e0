"""Tracks & tickets: the track, its tickets as a dependency tree coloured by status, run/pause, step/auto,
add/edit/block/unblock/retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dearpygui.dearpygui as dpg

from gui.controller import Controller
from gui.state import TicketRow, ViewState, elide_middle
from gui.views.common import ALERT_COLOR, CHAR_WIDTH, status_theme
from gui.views.tags import Tags


class TracksView:
    def __init__(self, tags: Tags, controller: Controller) -> None:
        self.tags = tags
        self.controller = controller
        self._rows: dict[str, tuple[int | str, TicketRow]] = {}
        self._order: list[str] = []
        self._limit = 0
        """The label length the rows were made for (the panel's width in characters)."""
        self._track_ids: dict[str, str] = {}
        """Combo label -> track id (a combo item has no user data of its own)."""

    def build(self, pos: tuple[int, int], size: tuple[int, int]) -> None:
        tags, c = self.tags, self.controller
        with dpg.window(label="Tracks & tickets", tag=tags.tracks_window, pos=pos, width=size[0], height=size[1],
                        no_close=True):
            with dpg.group(horizontal=True):
                dpg.add_button(label="[ ]", tag=tags.maximise_buttons[0])
                dpg.add_text("", tag=tags.status_text, wrap=0)
            dpg.add_combo([], tag=tags.track_combo, width=-1,
                          callback=lambda _s, label: c.select_track(self._track_ids[label]))
            with dpg.tooltip(tags.track_combo):
                dpg.add_text("", tag=f"{tags.track_combo}_full", wrap=600)
            with dpg.group(horizontal=True):
                dpg.add_button(label="Run", tag=tags.run_button, callback=lambda: c.run())
                dpg.add_button(label="Pause", tag=tags.pause_button, callback=lambda: c.pause())
                dpg.add_radio_button(["step", "auto"], tag=tags.mode_radio, horizontal=True, default_value="step",
                                     callback=lambda _s, value: c.set_mode(value))
            with dpg.table(tag=tags.tickets_table, header_row=False, clipper=True, scrollY=True, height=size[1] // 2,
                           policy=dpg.mvTable_SizingStretchProp):
                dpg.add_table_column()
            with dpg.group(horizontal=True):
                dpg.add_input_text(tag=tags.block_reason, hint="reason", width=140)
                dpg.add_button(label="Block", callback=lambda: self._on_selected(
                    lambda t: c.block_ticket(t, dpg.get_value(tags.block_reason))))
                dpg.add_button(label="Unblock", callback=lambda: self._on_selected(c.unblock_ticket))
                dpg.add_button(label="Retry", callback=lambda: self._on_selected(c.retry_ticket))
            with dpg.group(horizontal=True):
                dpg.add_input_text(tag=tags.done_summary, hint="summary (optional)", width=200)
                dpg.add_button(label="Mark done", tag=tags.mark_done_button, callback=lambda: self._on_selected(
                    lambda t: c.complete_ticket(t, dpg.get_value(tags.done_summary))))
            dpg.add_button(label="Release an agent's claim", tag=tags.release_button,
                           callback=lambda: self._on_selected(c.release_claim))
            with dpg.collapsing_header(label="Add or edit a ticket"):
                dpg.add_input_text(tag=tags.form_title, hint="title (default: the prompt's first line)", width=-1)
                dpg.add_input_text(tag=tags.form_target, hint="target file, relative to the project", width=-1)
                dpg.add_text("prompt: what the worker is asked to do")
                dpg.add_input_text(tag=tags.form_prompt, multiline=True, height=70, width=-1)
                dpg.add_input_text(tag=tags.form_dependencies, hint="depends on (ticket ids, e.g. T1 T2)", width=-1)
                dpg.add_input_text(tag=tags.form_archetype, default_value="default", width=-200,
                                   label="archetype (project.toml)")
                dpg.add_checkbox(label="new file", tag=tags.form_new_file)
                with dpg.group(horizontal=True):
                    dpg.add_button(label="Add ticket", callback=lambda: c.add_ticket(
                        **self._form(), new_file=dpg.get_value(tags.form_new_file)))
                    dpg.add_button(label="Load selected", callback=self._load_selected)
                    dpg.add_button(label="Save selected", callback=lambda: self._on_selected(
                        lambda t: c.edit_ticket(t, **self._form(), new_file=dpg.get_value(tags.form_new_file))))
            dpg.add_button(label="Plan a track with the planner...", tag=tags.plan_open,
                           callback=lambda: c.plan.open())
            with dpg.collapsing_header(label="New track"):
                dpg.add_input_text(tag=tags.new_track_title, hint="title", width=-1)
                dpg.add_button(label="Create track", callback=lambda: c.new_track(dpg.get_value(tags.new_track_title)))

    def _form(self) -> dict[str, Any]:
        t = self.tags
        return {"title": dpg.get_value(t.form_title), "target": dpg.get_value(t.form_target),
                "prompt": dpg.get_value(t.form_prompt), "dependencies": dpg.get_value(t.form_dependencies),
                "archetype": dpg.get_value(t.form_archetype)}

    def _on_selected(self, action: Callable[[str], object]) -> None:
        if self.controller.state.selected_ticket:
            action(self.controller.state.selected_ticket)

    def _load_selected(self) -> None:
        ticket = self.controller.state.selected()
        if ticket is None:
            return
        t = self.tags
        for tag, value in ((t.form_title, ticket.title), (t.form_target, ticket.target_file),
                           (t.form_prompt, ticket.prompt), (t.form_dependencies, " ".join(ticket.dependencies)),
                           (t.form_archetype, ticket.worker_archetype)):
            dpg.set_value(tag, value)

    def _chars(self) -> int:
        """How many characters of a label fit the panel (the font is monospaced)."""
        return max((int(dpg.get_item_width(self.tags.tracks_window) or 400) - 24) // CHAR_WIDTH, 12)

    def refresh_tracks(self, state: ViewState) -> None:
        limit = self._chars()
        self._track_ids = {elide_middle(row.label, limit): row.id for row in state.tracks}
        dpg.configure_item(self.tags.track_combo, items=list(self._track_ids))
        selected = next((row for row in state.tracks if state.track and row.id == state.track.id), None)
        dpg.set_value(self.tags.track_combo, elide_middle(selected.label, limit) if selected else "")
        dpg.set_value(f"{self.tags.track_combo}_full", selected.label if selected else "no track")

    def refresh_status(self, state: ViewState) -> None:
        dpg.set_value(self.tags.status_text, f"engine: {state.engine}  |  {state.message}")
        dpg.configure_item(self.tags.status_text, color=ALERT_COLOR if state.alert else (230, 230, 230))
        dpg.configure_item(self.tags.run_button, enabled=not self.controller.running)
        dpg.configure_item(self.tags.pause_button, enabled=self.controller.running)
        dpg.set_value(self.tags.mode_radio, state.mode)

    def refresh_tickets(self, state: ViewState) -> None:
        """Update rows in place; rebuild the table only when the set or order of tickets changed."""
        rows = state.ticket_rows()
        order = [row.id for row in rows]
        limit = self._chars()
        if order != self._order or limit != self._limit:
            dpg.delete_item(self.tags.tickets_table, children_only=True, slot=1)
            self._rows = {}
            for row in rows:
                with dpg.table_row(parent=self.tags.tickets_table):
                    item = dpg.add_selectable(label=elide_middle(row.label, limit), user_data=row.id,
                                              callback=lambda _s, _v, ticket_id: self.controller.select_ticket(
                                                  ticket_id))
                    with dpg.tooltip(item):
                        dpg.add_text(row.label, tag=f"{item}_full", wrap=600)
                dpg.bind_item_theme(item, status_theme(row.status))
                self._rows[row.id] = (item, row)
            self._order, self._limit = order, limit
        for row in rows:
            item, shown = self._rows[row.id]
            if shown != row:
                dpg.configure_item(item, label=elide_middle(row.label, limit))
                dpg.set_value(f"{item}_full", row.label)
                dpg.bind_item_theme(item, status_theme(row.status))
                self._rows[row.id] = (item, row)
            dpg.set_value(item, row.id == state.selected_ticket)
