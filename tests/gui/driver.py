"""Runs the real Conductor window with an automation hook: `python -m tests.gui.driver --project DIR ...`.

The window, controller and render loop are the production ones (`gui.views.app.run_app`); this module only adds
what tests and benchmarks need through the one seam, `FrameHook`: a status file with button centres and the
pending call, screenshots of the main states, frame times, and exit conditions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import dearpygui.dearpygui as dpg

from conductor.files import atomic_write
from gui.controller import Controller
from gui.views.app import ConductorWindow, run_app


@dataclass
class Recorder:
    """A FrameHook for tests and benchmarks."""

    status_file: Path | None = None
    screenshot_dir: Path | None = None
    exit_when_finished: bool = False
    max_frames: int | None = None
    frame_log: Path | None = None
    scroll_view: bool = False
    frame: int = 0
    times: list[float] = field(default_factory=list)
    shots: set[str] = field(default_factory=set)
    due: dict[str, int] = field(default_factory=dict)
    finished_at: int | None = None
    requests: Path | None = None
    """A file the test writes JSON commands to (e.g. set the approval box's text), read once per frame."""

    def after_frame(self, window: ConductorWindow, seconds: float) -> bool:
        self.frame += 1
        state = window.controller.state
        if self.frame_log is not None:
            self.times.append(seconds * 1000)
        if self.scroll_view:
            table = window.tags.view_table
            position = dpg.get_y_scroll(table) + 37
            dpg.set_y_scroll(table, 0 if position > dpg.get_y_scroll_max(table) else position)
        if self.requests is not None and self.requests.exists():
            self._serve(window)
        if self.screenshot_dir is not None:
            if state.approval.pending is not None:
                self._schedule("pending")
            if state.engine == "finished":
                self._schedule("finished")
            self._take_due()
        if self.status_file is not None and self.frame % 5 == 0:
            self._write_status(window)
        if state.engine == "finished" and self.finished_at is None:
            self.finished_at = self.frame
        if self.exit_when_finished and self.finished_at is not None and self.frame > self.finished_at + 30:
            return True
        return self.max_frames is not None and self.frame >= self.max_frames

    def _serve(self, window: ConductorWindow) -> None:
        """Commands from the test: type into a widget (as a person would; the widget's callback runs) or save a
        screenshot by name."""
        assert self.requests is not None
        for line in self.requests.read_text().splitlines():
            request = json.loads(line)
            if request["do"] == "type":
                dpg.set_value(request["tag"], request["value"])
                callback = dpg.get_item_callback(request["tag"])
                if callback is not None:
                    callback(request["tag"], request["value"])
            elif request["do"] == "screenshot":
                self._schedule(request["name"])
        self.requests.unlink()

    def _schedule(self, name: str) -> None:
        if name not in self.shots and name not in self.due:
            self.due[name] = self.frame + 10  # let the layout settle first

    def _take_due(self) -> None:
        assert self.screenshot_dir is not None
        for name, frame in list(self.due.items()):
            if self.frame >= frame:
                dpg.output_frame_buffer(file=str(self.screenshot_dir / f"{name}.png"))
                self.shots.add(name)
                del self.due[name]

    def _write_status(self, window: ConductorWindow) -> None:
        assert self.status_file is not None
        state = window.controller.state
        pending = state.approval.pending
        tags = window.tags
        status = {
            "frame": self.frame, "pid": os.getpid(), "engine": state.engine, "message": state.message,
            "pending": pending.model_dump(mode="json") if pending else None,
            "approval_text": state.approval.text, "approval_error": state.approval.error,
            "tickets": {t.id: str(t.status) for t in state.track.tickets} if state.track else {},
            "buttons": {name: window.centre(tag) for name, tag in (
                ("approve", tags.approve_button), ("reject", tags.reject_button), ("run", tags.run_button),
                ("pause", tags.pause_button),
                ("mark_done", tags.mark_done_button), ("changes_tab", tags.changes_tab),
                ("release", tags.release_button), ("plan_open", tags.plan_open), ("plan", tags.plan_button),
                ("plan_accept", tags.plan_accept), ("plan_goal", tags.plan_goal),
                ("plan_revise_remaining", tags.plan_revise_remaining),
                ("undo", tags.undo_button), ("always_allow", tags.always_allow_button),
                ("rule_confirm", tags.approval_rule_confirm), ("note", tags.approval_note),
                ("command", tags.approval_command), ("reject_reason", tags.reject_reason),
                ("search", tags.view_search), ("search_next", tags.view_search_next),
                ("search_previous", tags.view_search_previous), ("rule_cancel", tags.approval_rule_cancel),
                ("trust", tags.trust_accept_button), ("keep_untrusted", tags.trust_dismiss_button))},
            "untrusted": state.untrusted, "ignored": window.controller.config.ignored,
            "trust_dialog": dpg.is_item_shown(tags.trust_dialog),
            "diff_mode": {"value": dpg.get_value(tags.approval_diff_mode),
                          "box": [*map(int, dpg.get_item_rect_min(tags.approval_diff_mode)),
                                  *map(int, dpg.get_item_rect_max(tags.approval_diff_mode))]},
            "view_radio": [*map(int, dpg.get_item_rect_min(tags.view_radio)),
                           *map(int, dpg.get_item_rect_max(tags.view_radio))],
            "diff_rows": len(dpg.get_item_children(tags.approval_diff, slot=1) or []),
            "match": state.files.match, "rule_offered": state.approval.rule_offered,
            "maximise": {window: window_centre(window, button) for window, button in zip(
                tags.windows(), tags.maximise_buttons, strict=True)},
            "maximised": window.maximised,
            "shown_windows": [w for w in tags.windows() if dpg.is_item_shown(w)],
            "hunk_boxes": [window.centre(box) for box in window.approval.hunk_boxes],
            "hunks": len(state.approval.hunks), "dropped": sorted(state.approval.dropped),
            "tree": {path: window.centre(item) for path, item in window.files.tree_items.items()
                     if dpg.is_item_visible(item)},
            "outline": {name: window.centre(item) for name, item in window.files.outline_items.items()
                        if dpg.is_item_visible(item)},
            "alert": state.alert, "approval_tab": dpg.get_value(tags.approval_tabs),
            "changes": {"ticket": state.changes.ticket_id, "calls": state.changes.calls,
                        "diff_lines": len(state.changes.diff.splitlines())},
            "selected": state.selected_ticket,
            "record_buttons": [window.centre(button) for button in window.side.record_buttons],
            "restore_buttons": [window.centre(button) for button in window.detail.restore_buttons],
            "file": {"selected": state.files.selected, "kind": state.files.kind, "line": state.files.line,
                     "matches": state.files.matches, "y_scroll": dpg.get_y_scroll(tags.view_table)},
            "tracks": [row.label for row in state.tracks],
            "rows": [row.label for row in state.ticket_rows()],
            "plan": {"visible": state.plan.visible, "busy": state.plan.busy, "progress": state.plan.progress,
                     "rows": state.plan.rows, "problems": state.plan.problems, "edited": state.plan.edited,
                     "diff": state.plan.diff,
                     "cells": {f"{row}:{name}": window.centre(cell) for (row, name), cell in window.plan.cells.items()
                               if dpg.is_item_shown(cell)}},
            "enabled": {name: dpg.get_item_configuration(tag)["enabled"] for name, tag in (
                ("approve", tags.approve_button), ("reject", tags.reject_button))},
            "screenshots": sorted(self.shots),
            "viewport": [dpg.get_viewport_client_width(), dpg.get_viewport_client_height()],
            "windows": window.current_layout(),
        }
        atomic_write(self.status_file, json.dumps(status))

    def close(self, window: ConductorWindow) -> None:
        if self.frame_log is not None:
            self.frame_log.write_text("".join(f"{t:.4f}\n" for t in self.times))
        if self.status_file is not None:
            self._write_status(window)


def window_centre(window: str, button: str) -> list[int] | None:
    return ConductorWindow.centre(button) if dpg.is_item_shown(window) else None


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    options.add_argument("--project", type=Path, required=True)
    options.add_argument("--run", action="store_true")
    options.add_argument("--auto", action="store_true")
    options.add_argument("--open")
    options.add_argument("--view", choices=["skeleton", "curated", "raw"])
    options.add_argument("--layout", type=Path, help="layout file (default: none)")
    options.add_argument("--status-file", type=Path)
    options.add_argument("--screenshot-dir", type=Path)
    options.add_argument("--requests", type=Path)
    options.add_argument("--exit-when-finished", action="store_true")
    options.add_argument("--max-frames", type=int)
    options.add_argument("--frame-log", type=Path)
    options.add_argument("--no-vsync", action="store_true")
    options.add_argument("--scroll-view", action="store_true")
    options.add_argument("--size", help="viewport WIDTHxHEIGHT (default: maximised)")
    args = options.parse_args(argv)
    if args.screenshot_dir is not None:
        args.screenshot_dir.mkdir(parents=True, exist_ok=True)
    controller = Controller(args.project)
    if args.auto:
        controller.set_mode("auto")
    if args.view:
        controller.state.files.kind = args.view
    if args.open:
        controller.files.select(args.open)
    if args.run:
        controller.run()
    recorder = Recorder(status_file=args.status_file, screenshot_dir=args.screenshot_dir,
                        exit_when_finished=args.exit_when_finished, max_frames=args.max_frames,
                        frame_log=args.frame_log, scroll_view=args.scroll_view, requests=args.requests)
    size = tuple(int(v) for v in args.size.split("x")) if args.size else None
    return run_app(controller, args.layout, hook=recorder, vsync=not args.no_vsync, size=size)


if __name__ == "__main__":
    sys.exit(main())
