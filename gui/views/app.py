"""The viewport, its five tiled windows and the render loop (callbacks run on this thread)."""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import dearpygui.dearpygui as dpg

from conductor.store import atomic_write
from gui.controller import Controller
from gui.state import PANELS
from gui.views.approval import ApprovalView
from gui.views.common import reset_themes
from gui.views.detail import DetailView
from gui.views.files import FilesView
from gui.views.side import SideView
from gui.views.tags import TAGS, Tags
from gui.views.tracks import TracksView

WIDTH, HEIGHT = 1600, 1000


@dataclass(frozen=True)
class Automation:
    """Hooks for tests and benchmarks driving a real window; all off for a person."""

    status_file: Path | None = None
    """Written every few frames: viewport position, button centres, pending call, engine state."""
    screenshot_dir: Path | None = None
    """Frame-buffer screenshots of the main states (pending approval, after a decision, finished)."""
    exit_when_finished: bool = False
    max_frames: int | None = None
    frame_log: Path | None = None
    """Per-frame render times in milliseconds, one per line."""
    vsync: bool = True
    run_on_start: bool = False
    scroll_view: bool = False
    """Scroll the file view a little every frame (the frame-time benchmark)."""


class ConductorWindow:
    def __init__(self, controller: Controller, tags: Tags = TAGS) -> None:
        self.controller = controller
        self.tags = tags
        self.tracks = TracksView(tags, controller)
        self.detail = DetailView(tags, controller)
        self.approval = ApprovalView(tags, controller)
        self.files = FilesView(tags, controller)
        self.side = SideView(tags, controller)
        self._seen = dict.fromkeys(PANELS, -1)
        self._frame = 0
        self._ctrl_frame = -10

    def default_layout(self) -> dict[str, list[int]]:
        """Five tiled windows: [x, y, width, height] per window tag."""
        left, middle, top, bottom = 430, 620, 560, HEIGHT - 40
        right = WIDTH - left - middle
        t = self.tags
        return {t.tracks_window: [0, 0, left, bottom], t.detail_window: [left, 0, middle, top],
                t.approval_window: [left + middle, 0, right, top],
                t.files_window: [left, top, middle, bottom - top],
                t.side_window: [left + middle, top, right, bottom - top]}

    def build(self, layout: dict[str, list[int]] | None = None) -> None:
        places = self.default_layout()
        for tag, box in (layout or {}).items():
            if tag in places and len(box) == 4 and all(isinstance(v, int) and 0 <= v <= 10_000 for v in box):
                places[tag] = box
        t = self.tags
        for view, tag in ((self.tracks, t.tracks_window), (self.detail, t.detail_window),
                          (self.approval, t.approval_window), (self.files, t.files_window),
                          (self.side, t.side_window)):
            x, y, width, height = places[tag]
            view.build((x, y), (width, height))

    def current_layout(self) -> dict[str, list[int]]:
        return {tag: [*map(int, dpg.get_item_pos(tag)), dpg.get_item_width(tag), dpg.get_item_height(tag)]
                for tag in self.default_layout()}

    def poll_shortcuts(self) -> None:
        """Ctrl+Enter / Ctrl+R, read each frame. Dear ImGui trickles fast key events over several frames, so
        Ctrl may already read as released on the frame Enter reads as pressed: Ctrl counts for two frames."""
        self._frame += 1
        if dpg.is_key_down(dpg.mvKey_LControl) or dpg.is_key_down(dpg.mvKey_RControl):
            self._ctrl_frame = self._frame
        if self._frame - self._ctrl_frame > 2:
            return
        if dpg.is_key_pressed(dpg.mvKey_Return) or dpg.is_key_pressed(dpg.mvKey_NumPadEnter):
            self.approval.shortcut("approve")
        elif dpg.is_key_pressed(dpg.mvKey_R):
            self.approval.shortcut("reject")

    def refresh(self) -> None:
        """Redraw only the panels whose state changed since the last frame."""
        state = self.controller.state
        changed = {panel for panel, revision in state.revision.items() if self._seen[panel] != revision}
        if not changed:
            return
        self._seen = dict(state.revision)
        if "tracks" in changed:
            self.tracks.refresh_tracks(state)
        if changed & {"tickets", "tracks"}:
            self.tracks.refresh_tickets(state)
        if changed & {"status", "tickets"}:
            self.tracks.refresh_status(state)
        if changed & {"detail", "tickets"}:
            self.detail.refresh(state)
        if "approval" in changed:
            self.approval.refresh(state)
        if "files" in changed:
            self.files.refresh_tree(state)
        if "view" in changed:
            self.files.refresh_view(state)
        if "hints" in changed:
            self.side.refresh_hints(state)
        if "usage" in changed:
            self.side.refresh_usage(state)

    def centre(self, tag: str) -> list[int]:
        """Screen coordinates of an item's centre (for xdotool)."""
        low, high = dpg.get_item_rect_min(tag), dpg.get_item_rect_max(tag)
        x, y = dpg.get_viewport_pos()
        return [int(x + (low[0] + high[0]) / 2), int(y + (low[1] + high[1]) / 2)]


def run_app(controller: Controller, automation: Automation = Automation(), layout_file: Path | None = None) -> int:
    """Open the window and loop until it is closed; returns the exit code."""
    dpg.create_context()
    reset_themes()
    dpg.configure_app(manual_callback_management=True)
    window = ConductorWindow(controller)
    window.build(load_layout(layout_file))
    dpg.create_viewport(title=f"Conductor - {controller.root.name}", width=WIDTH, height=HEIGHT,
                        vsync=automation.vsync)
    dpg.setup_dearpygui()
    dpg.show_viewport()
    signal.signal(signal.SIGTERM, lambda *_: dpg.stop_dearpygui())
    if automation.run_on_start:
        controller.run()
    recorder = _Recorder(window, automation)
    try:
        while dpg.is_dearpygui_running():
            dpg.run_callbacks(dpg.get_callback_queue())
            controller.poll()
            window.refresh()
            start = time.perf_counter()
            dpg.render_dearpygui_frame()
            window.poll_shortcuts()
            if recorder.after_frame(time.perf_counter() - start):
                break
    finally:
        recorder.close()
        if layout_file is not None:
            atomic_write(layout_file, json.dumps(window.current_layout(), indent=1))
        controller.pause()
        controller.wait_idle(10)
        dpg.destroy_context()
    return 0


def load_layout(path: Path | None) -> dict[str, list[int]] | None:
    """The window boxes saved by the last run, or None (missing or unreadable: the default tiling is used)."""
    if path is None or not path.exists():
        return None
    try:
        layout = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return layout if isinstance(layout, dict) else None


class _Recorder:
    """Automation: status file, screenshots of the main states, frame times, exit conditions."""

    def __init__(self, window: ConductorWindow, automation: Automation) -> None:
        self.window = window
        self.automation = automation
        self.frame = 0
        self.times: list[float] = []
        self.shots: set[str] = set()
        self.due: dict[str, int] = {}
        self.finished_at: int | None = None

    def after_frame(self, seconds: float) -> bool:
        self.frame += 1
        auto, state = self.automation, self.window.controller.state
        if auto.frame_log is not None:
            self.times.append(seconds * 1000)
        if auto.scroll_view:
            table = self.window.tags.view_table
            position = dpg.get_y_scroll(table) + 37
            dpg.set_y_scroll(table, 0 if position > dpg.get_y_scroll_max(table) else position)
        if auto.screenshot_dir is not None:
            if state.approval.pending is not None:
                self._schedule("1-pending-approval")
            if state.streams and any(e.kind == "decision" for s in state.streams.values() for e in s):
                self._schedule("2-after-approve")
            if state.engine == "finished":
                self._schedule("3-finished")
            self._take_due()
        if auto.status_file is not None and self.frame % 5 == 0:
            self._write_status()
        if state.engine == "finished" and self.finished_at is None:
            self.finished_at = self.frame
        if auto.exit_when_finished and self.finished_at is not None and self.frame > self.finished_at + 30:
            return True
        return auto.max_frames is not None and self.frame >= auto.max_frames

    def _schedule(self, name: str) -> None:
        if name not in self.shots and name not in self.due:
            self.due[name] = self.frame + 10  # let the layout settle first

    def _take_due(self) -> None:
        for name, frame in list(self.due.items()):
            if self.frame >= frame:
                dpg.output_frame_buffer(file=str(self.automation.screenshot_dir / f"{name}.png"))
                self.shots.add(name)
                del self.due[name]

    def _write_status(self) -> None:
        state = self.window.controller.state
        pending = state.approval.pending
        status = {
            "frame": self.frame, "pid": os.getpid(), "engine": state.engine, "message": state.message,
            "pending": pending.model_dump(mode="json") if pending else None,
            "tickets": {t.id: str(t.status) for t in state.track.tickets} if state.track else {},
            "buttons": {name: self.window.centre(tag) for name, tag in (
                ("approve", self.window.tags.approve_button), ("reject", self.window.tags.reject_button),
                ("run", self.window.tags.run_button))},
            "screenshots": sorted(self.shots),
        }
        atomic_write(self.automation.status_file, json.dumps(status))

    def close(self) -> None:
        if self.automation.frame_log is not None:
            self.automation.frame_log.write_text("".join(f"{t:.4f}\n" for t in self.times))
        if self.automation.status_file is not None:
            self._write_status()
