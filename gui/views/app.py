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
from gui.views.common import reset_themes, setup_look
from gui.views.detail import DetailView
from gui.views.files import FilesView
from gui.views.plan import PlanView
from gui.views.side import SideView
from gui.views.tags import TAGS, Tags
from gui.views.tracks import TracksView
from gui.views.trust import TrustView

WIDTH, HEIGHT = 1280, 720
"""The viewport's first size (it fits the smallest screen we support); it is then maximised where a window
manager honours that, and the panels follow the viewport's size whatever it is."""
Layout = dict[str, list[int]]


def tiled_layout(tags: Tags, width: int, height: int) -> Layout:
    """Five tiled windows filling ``width`` x ``height``: [x, y, width, height] per window tag. The code (Files)
    and the diff (Approval) get the most room."""
    left, middle = int(width * 0.24), int(width * 0.38)
    right = width - left - middle
    detail_height, approval_height = int(height * 0.46), int(height * 0.66)
    return {tags.tracks_window: [0, 0, left, height], tags.detail_window: [left, 0, middle, detail_height],
            tags.approval_window: [left + middle, 0, right, approval_height],
            tags.files_window: [left, detail_height, middle, height - detail_height],
            tags.side_window: [left + middle, approval_height, right, height - approval_height]}


def clamp_box(box: list[int], width: int, height: int) -> list[int]:
    """A window box moved (and shrunk if it must) so that it lies inside the viewport."""
    x, y, w, h = box
    w, h = max(min(w, width), 100), max(min(h, height), 80)
    return [max(min(x, width - w), 0), max(min(y, height - h), 0), w, h]


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
        self.plan = PlanView(tags, controller)
        self.trust = TrustView(tags, controller)
        self._seen = dict.fromkeys(PANELS, -1)
        self._frame = 0
        self._ctrl_frame = -10
        self._fitted: Layout | None = None
        """The layout last applied by `fit` (a layout the person has not changed since is re-tiled)."""
        self.maximised: str | None = None
        """The window shown over the whole viewport, if any (the others are hidden until it is restored)."""
        self._before_maximise: Layout = {}

    def build(self, layout: Layout | None = None) -> None:
        places = tiled_layout(self.tags, WIDTH, HEIGHT)
        self._fitted = dict(places)
        for tag, box in (layout or {}).items():
            if tag in places and len(box) == 4 and all(isinstance(v, int) and 0 <= v <= 10_000 for v in box):
                places[tag] = box
                self._fitted = None  # a restored layout is kept (inside the viewport), not re-tiled
        t = self.tags
        for view, tag in ((self.tracks, t.tracks_window), (self.detail, t.detail_window),
                          (self.approval, t.approval_window), (self.files, t.files_window),
                          (self.side, t.side_window)):
            x, y, width, height = places[tag]
            view.build((x, y), (width, height))
        self.plan.build()
        self.trust.build()
        for window, button in zip(t.windows(), t.maximise_buttons, strict=True):
            dpg.configure_item(button, user_data=window, callback=lambda _s, _v, tag: self.toggle_maximise(tag))
            with dpg.tooltip(button):
                dpg.add_text("maximise this pane to the whole window (F11); again to restore")

    def current_layout(self) -> Layout:
        if self.maximised is not None:
            return dict(self._before_maximise)
        return {tag: [*map(int, dpg.get_item_pos(tag)), dpg.get_item_width(tag), dpg.get_item_height(tag)]
                for tag in tiled_layout(self.tags, WIDTH, HEIGHT)}

    def toggle_maximise(self, tag: str | None = None) -> None:
        """Show ``tag`` over the whole viewport, or put every window back where it was."""
        if self.maximised is not None:
            places, self.maximised = self._before_maximise, None
            for window, (x, y, w, h) in places.items():
                dpg.configure_item(window, show=True, pos=(x, y), width=w, height=h)
            self._relabel()
            return
        if tag is None:
            return
        self._before_maximise = self.current_layout()
        self.maximised = tag
        for window in self.tags.windows():
            dpg.configure_item(window, show=window == tag)
        self._fill_maximised()
        self._relabel()

    def _fill_maximised(self) -> None:
        assert self.maximised is not None
        width, height = dpg.get_viewport_client_width(), dpg.get_viewport_client_height()
        dpg.configure_item(self.maximised, pos=(0, 0), width=width, height=height)

    def _relabel(self) -> None:
        for window, button in zip(self.tags.windows(), self.tags.maximise_buttons, strict=True):
            dpg.configure_item(button, label="[-]" if window == self.maximised else "[ ]")
        self.files.fit()
        self.controller.state.touch("tracks", "tickets")  # labels are elided to the panel's new width

    def hovered_window(self) -> str | None:
        return next((w for w in self.tags.windows() if dpg.is_item_shown(w) and dpg.is_item_hovered(w)), None)

    def fit(self, width: int, height: int) -> None:
        """Keep every panel inside a ``width`` x ``height`` viewport: tiled to it while the person has not
        rearranged them, else where they were, moved or shrunk only as much as needed."""
        if width <= 0 or height <= 0:
            return
        if self.maximised is not None:
            self._before_maximise = {tag: clamp_box(box, width, height) for tag, box in self._before_maximise.items()}
            self._fill_maximised()
            return
        current = self.current_layout()
        if self._fitted is not None and current == self._fitted:
            places = tiled_layout(self.tags, width, height)
        else:
            places = {tag: clamp_box(box, width, height) for tag, box in current.items()}
        for tag, (x, y, w, h) in places.items():
            dpg.configure_item(tag, pos=(x, y), width=w, height=h)
        self._fitted = places if self._fitted is not None else None
        self.files.fit()
        self.controller.state.touch("tracks", "tickets")  # labels are elided to the panels' new widths

    def poll_shortcuts(self) -> None:
        """Ctrl+Enter / Ctrl+R and F11, read each frame. Dear ImGui trickles fast key events over several frames,
        so Ctrl may already read as released on the frame Enter reads as pressed: Ctrl counts for two frames."""
        self._frame += 1
        if dpg.is_key_pressed(dpg.mvKey_F11):
            self.toggle_maximise(self.hovered_window() or self.tags.approval_window)
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
        if "changes" in changed:
            self.detail.refresh_changes(state)
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
        if "plan" in changed:
            self.plan.refresh(state)
        if "trust" in changed:
            self.trust.refresh(state)

    @staticmethod
    def centre(tag: str | int) -> list[int] | None:
        """Screen coordinates of an item's centre (for xdotool); None for an item without a rectangle."""
        state = dpg.get_item_state(tag)
        if "rect_min" not in state:
            return None
        low, high = state["rect_min"], state["rect_max"]
        x, y = dpg.get_viewport_pos()
        return [int(x + (low[0] + high[0]) / 2), int(y + (low[1] + high[1]) / 2)]


def run_app(controller: Controller, layout_file: Path | None = None, hook: FrameHook | None = None,
            vsync: bool = True, size: tuple[int, int] | None = None) -> int:
    """Open the window and loop until it is closed; returns the exit code."""
    dpg.create_context()
    reset_themes()
    setup_look()
    dpg.configure_app(manual_callback_management=True)
    window = ConductorWindow(controller)
    window.build(load_layout(layout_file))
    width, height = size or (WIDTH, HEIGHT)
    dpg.create_viewport(title=f"Conductor - {controller.root.name}", width=width, height=height, x_pos=0, y_pos=0,
                        vsync=vsync)
    dpg.setup_dearpygui()
    dpg.show_viewport()
    if size is None:
        dpg.maximize_viewport()  # where a window manager honours it; the panels follow the size either way

    def fit_viewport() -> None:
        window.fit(dpg.get_viewport_client_width(), dpg.get_viewport_client_height())

    dpg.set_viewport_resize_callback(fit_viewport)
    dpg.render_dearpygui_frame()
    fit_viewport()
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
