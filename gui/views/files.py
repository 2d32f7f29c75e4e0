"""File views: the project tree and, for the selected file, Skeleton / Curated / Raw with token counts."""

from __future__ import annotations

import dearpygui.dearpygui as dpg

from file_cache.cache import ViewKind
from gui.controller import Controller
from gui.state import ViewState
from gui.views.common import fill_lines, line_table
from gui.views.tags import Tags

KINDS: tuple[ViewKind, ...] = ("skeleton", "curated", "raw")
LINE_HEIGHT = 21
"""Pixels per row of the line tables (the font's 15 px plus the cell padding)."""


class FilesView:
    def __init__(self, tags: Tags, controller: Controller) -> None:
        self.tags = tags
        self.controller = controller
        self._listed: list[str] = []
        self._labels: list[str] = [kind.capitalize() for kind in KINDS]
        """The radio's labels, in KINDS order (they carry token counts, so the kind is found by position)."""

    def build(self, pos: tuple[int, int], size: tuple[int, int]) -> None:
        t, c = self.tags, self.controller
        with dpg.window(label="Files", tag=t.files_window, pos=pos, width=size[0], height=size[1], no_close=True):
            # the view toggle spans the panel, so its labels (with token counts) are never clipped
            dpg.add_radio_button(self._labels, tag=t.view_radio, horizontal=True, default_value="Skeleton",
                                 callback=lambda _s, label: c.set_view_kind(KINDS[self._labels.index(label)]))
            with dpg.table(header_row=False, resizable=True, policy=dpg.mvTable_SizingStretchProp, height=-1):
                dpg.add_table_column(init_width_or_weight=0.3)
                dpg.add_table_column(init_width_or_weight=0.7)
                with dpg.table_row():
                    with dpg.group():
                        dpg.add_input_text(tag=t.files_filter, hint="filter", width=-1,
                                           callback=lambda: self.refresh_tree(c.state, force=True))
                        with dpg.table(tag=t.files_table, header_row=False, clipper=True, scrollY=True, height=-1):
                            dpg.add_table_column()
                    with dpg.group():
                        dpg.add_text("", tag=t.view_title)
                        line_table(t.view_table)

    def refresh_tree(self, state: ViewState, force: bool = False) -> None:
        needle = dpg.get_value(self.tags.files_filter).lower()
        listed = [p for p in state.files.files if needle in p.lower()]
        if listed == self._listed and not force:
            return
        dpg.delete_item(self.tags.files_table, children_only=True, slot=1)
        for path in listed:
            with dpg.table_row(parent=self.tags.files_table):
                dpg.add_selectable(label=path, user_data=path,
                                   callback=lambda _s, _v, chosen: self.controller.select_file(chosen))
        self._listed = listed

    def refresh_view(self, state: ViewState) -> None:
        files = state.files
        labels = [f"{kind.capitalize()} ({files.tokens[kind]} tok)" if kind in files.tokens else kind.capitalize()
                  for kind in KINDS]
        self._labels = labels
        dpg.configure_item(self.tags.view_radio, items=labels)
        dpg.set_value(self.tags.view_radio, labels[KINDS.index(files.kind)])
        title = files.selected or "select a file"
        dpg.set_value(self.tags.view_title, f"{title}: {files.error}" if files.error else title)
        lines = files.text.splitlines()
        if files.line and files.kind == "raw":  # numbered, the line marked and scrolled to
            width = len(str(len(lines)))
            lines = [f"{'>' if n == files.line else ' '}{n:>{width}}  {text}" for n, text in enumerate(lines, 1)]
            fill_lines(self.tags.view_table, lines, {">": (250, 200, 80)})
            target = max(files.line - 5, 0) * LINE_HEIGHT
            dpg.set_frame_callback(dpg.get_frame_count() + 2,
                                   lambda: dpg.set_y_scroll(self.tags.view_table, target))
        else:
            fill_lines(self.tags.view_table, lines)
