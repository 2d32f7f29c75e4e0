"""The viewport, its five tiled windows and the render loop (callbacks run on this thread)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Protocol

import dearpygui.dearpygui as dpg

from conductor.files import atomic_write
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


class FrameHook(Protocol):
    """The one automation seam: tests and benchmarks drive the real window through it (status files,
    screenshots, frame times); a person's window has none."""

    def after_frame(self, window: ConductorWindow, seconds: float) -> bool:
        """Called after each rendered frame with its render time; True closes the window."""

    def close(self, window: ConductorWindow) -> None:
        """Called once when the loop ends, before the context is destroyed."""


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


def run_app(controller: Controller, layout_file: Path | None = None, hook: FrameHook | None = None,
            vsync: bool = True) -> int:
    """Open the window and loop until it is closed; returns the exit code."""
    dpg.create_context()
    reset_themes()
    dpg.configure_app(manual_callback_management=True)
    window = ConductorWindow(controller)
    window.build(load_layout(layout_file))
    dpg.create_viewport(title=f"Conductor - {controller.root.name}", width=WIDTH, height=HEIGHT, vsync=vsync)
    dpg.setup_dearpygui()
    dpg.show_viewport()
    signal.signal(signal.SIGTERM, lambda *_: dpg.stop_dearpygui())
    try:
        while dpg.is_dearpygui_running():
            dpg.run_callbacks(dpg.get_callback_queue())
            controller.poll()
            window.refresh()
            start = time.perf_counter()
            dpg.render_dearpygui_frame()
            window.poll_shortcuts()
            if hook is not None and hook.after_frame(window, time.perf_counter() - start):
                break
    finally:
        if hook is not None:
            hook.close(window)
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
