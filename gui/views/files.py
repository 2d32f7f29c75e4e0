"""The code browser: the project as a folder tree (with a filter), the selected file's view (skeleton, curated or
raw) with syntax colours and the file's line numbers, its token count against raw, its outline (a click jumps to
the definition) and search within the file. Only the visible lines of a view are drawn (a clipped table)."""

from __future__ import annotations

import dearpygui.dearpygui as dpg

from gui.browser import KINDS
from gui.controller import Controller
from gui.state import TreeNode, ViewState
from gui.views.common import (
    CODE_LINE_HEIGHT,
    GUTTER_COLOR,
    MARK_BACKGROUND,
    code_table,
    elided_text,
    fill_code,
    scroll_to_row,
    set_elided,
)
from gui.views.tags import Tags

MATCH_BACKGROUND = (60, 80, 130, 220)
OUTLINE_SHARE = 0.3
"""How much of the Files panel's height the outline gets, under the tree (at least OUTLINE_MIN pixels)."""
OUTLINE_MIN = 110


class FilesView:
    def __init__(self, tags: Tags, controller: Controller) -> None:
        self.tags = tags
        self.controller = controller
        self._listed: tuple[list[str], str] | None = None
        self._labels: list[str] = [kind.capitalize() for kind in KINDS]
        """The radio's labels, in KINDS order (they carry token counts, so the kind is found by position)."""
        self.tree_items: dict[str, int | str] = {}
        """Path -> its tree node (folders) or selectable (files); tests click them."""
        self.outline_items: dict[str, int | str] = {}
        """Qualified name -> its outline entry."""
        self._shown_view: tuple[object, ...] | None = None
        self._marked: set[int] = set()

    def build(self, pos: tuple[int, int], size: tuple[int, int]) -> None:
        t, c = self.tags, self.controller
        with dpg.window(label="Files", tag=t.files_window, pos=pos, width=size[0], height=size[1], no_close=True):
            with dpg.group(horizontal=True):
                dpg.add_button(label="[ ]", tag=t.maximise_buttons[3])
                # the view toggle carries token counts; the bar shows the view against raw
                dpg.add_radio_button(self._labels, tag=t.view_radio, horizontal=True, default_value="Skeleton",
                                     callback=lambda _s, label: c.files.set_kind(KINDS[self._labels.index(label)]))
            with dpg.table(header_row=False, resizable=True, policy=dpg.mvTable_SizingStretchProp, height=-1):
                dpg.add_table_column(init_width_or_weight=0.27)
                dpg.add_table_column(init_width_or_weight=0.73)
                with dpg.table_row():
                    with dpg.group():
                        dpg.add_input_text(tag=t.files_filter, hint="filter files", width=-1,
                                           callback=lambda _s, value: c.files.set_filter(value))
                        dpg.add_child_window(tag=t.files_tree, border=False,
                                             height=-max(OUTLINE_MIN, int(size[1] * OUTLINE_SHARE)))
                        dpg.add_text("outline", color=GUTTER_COLOR)
                        with dpg.table(tag=t.outline_list, header_row=False, clipper=True, scrollY=True,
                                       height=-1):  # clipped: a file with thousands of definitions stays cheap
                            dpg.add_table_column()
                    with dpg.group():
                        dpg.add_progress_bar(tag=t.view_tokens, default_value=0.0, width=-1, overlay="")
                        elided_text(t.view_title, color=(200, 200, 200))
                        with dpg.group(horizontal=True):
                            dpg.add_input_text(tag=t.view_search, hint="find in file", width=180,
                                               callback=lambda _s, value: c.files.search(value))
                            dpg.add_button(label="<", tag=t.view_search_previous,
                                           callback=lambda: c.files.next_match(-1))
                            dpg.add_button(label=">", tag=t.view_search_next, callback=lambda: c.files.next_match(1))
                            dpg.add_text("", tag=t.view_search_count, color=GUTTER_COLOR)
                        code_table(t.view_table)

    def fit(self) -> None:
        """The panel was resized: the outline keeps its share of the height."""
        height = int(dpg.get_item_height(self.tags.files_window) or 400)
        dpg.configure_item(self.tags.files_tree, height=-max(OUTLINE_MIN, int(height * OUTLINE_SHARE)))

    # -- the tree -----------------------------------------------------------------------------------------
    def refresh_tree(self, state: ViewState) -> None:
        files = state.files
        listed = (files.files, files.filter)
        if listed == self._listed:
            self._select_in_tree(files.selected)
            return
        for path, item in self.tree_items.items():  # keep the folders the person opened
            if dpg.get_item_type(item).endswith("TreeNode"):
                self.controller.files.toggle_folder(path, bool(dpg.get_value(item)))
        dpg.delete_item(self.tags.files_tree, children_only=True)
        self.tree_items = {}
        self._add_nodes(files.tree(), self.tags.files_tree, opened=files.expanded, open_all=bool(files.filter))
        self._listed = (list(files.files), files.filter)
        self._select_in_tree(files.selected)

    def _add_nodes(self, nodes: list[TreeNode], parent: int | str, opened: set[str], open_all: bool) -> None:
        for node in nodes:
            if node.is_folder:
                item = dpg.add_tree_node(label=node.name, parent=parent, default_open=open_all or node.path in opened,
                                         span_text_width=True)
                self.tree_items[node.path] = item
                self._add_nodes(list(node.children), item, opened, open_all)
            else:
                self.tree_items[node.path] = dpg.add_selectable(
                    label=node.name, parent=parent, user_data=node.path,
                    callback=lambda _s, _v, chosen: self.controller.files.select(chosen))

    def _select_in_tree(self, selected: str | None) -> None:
        for path, item in self.tree_items.items():
            if dpg.get_item_type(item).endswith("Selectable"):
                dpg.set_value(item, path == selected)

    # -- the view -----------------------------------------------------------------------------------------
    def refresh_view(self, state: ViewState) -> None:
        files, t = state.files, self.tags
        labels = [f"{kind.capitalize()} ({files.tokens[kind]} tok)" if kind in files.tokens else kind.capitalize()
                  for kind in KINDS]
        self._labels = labels
        dpg.configure_item(t.view_radio, items=labels)
        dpg.set_value(t.view_radio, labels[KINDS.index(files.kind)])
        raw, shown = files.tokens.get("raw"), files.tokens.get(files.kind)
        share = shown / raw if raw and shown is not None else 0.0
        dpg.set_value(t.view_tokens, min(share, 1.0))
        dpg.configure_item(t.view_tokens, overlay=f"{files.kind} {shown} tokens · {share:.0%} of raw"
                           if shown is not None and raw else "")
        title = files.selected or "select a file"
        set_elided(t.view_title, f"{title}: {files.error}" if files.error else title,
                   int(dpg.get_item_width(t.files_window) or 600) * 3 // 4)
        key = (files.selected, files.kind, files.text)
        if key != self._shown_view:
            fill_code(t.view_table, files.lines, files.numbers)
            self._marked = set()
            self._shown_view = key
            self._fill_outline(state)
        self._mark(state)

    def _mark(self, state: ViewState) -> None:
        """The marked line (a failure's place, a definition) and the search matches, on coloured rows."""
        files, table = state.files, self.tags.view_table
        for row in self._marked:
            dpg.unhighlight_table_row(table, row)
        marked = set(files.matches)
        for row in files.matches:
            dpg.highlight_table_row(table, row, MATCH_BACKGROUND)
        if files.line is not None and files.line in files.numbers:
            row = files.numbers.index(files.line)
            dpg.highlight_table_row(table, row, MARK_BACKGROUND)
            marked.add(row)
        self._marked = marked
        count = f"{files.match + 1} of {len(files.matches)}" if files.matches else (
            "no match" if files.search else "")
        dpg.set_value(self.tags.view_search_count, count)
        focus = files.focus_row()
        if focus is not None:
            scroll_to_row(table, focus, CODE_LINE_HEIGHT)

    def _fill_outline(self, state: ViewState) -> None:
        dpg.delete_item(self.tags.outline_list, children_only=True, slot=1)
        self.outline_items = {}
        for symbol in state.files.outline:
            depth = symbol.name.count(".")
            keyword = "class" if symbol.kind == "class" else "def"
            label = f"{'  ' * depth}{keyword} {symbol.name.rsplit('.', 1)[-1]}"
            with dpg.table_row(parent=self.tags.outline_list):
                item = dpg.add_selectable(label=label, user_data=symbol.name,
                                          callback=lambda _s, _v, name: self.controller.files.jump(name))
                with dpg.tooltip(item):
                    dpg.add_text(f"{symbol.name}, lines {symbol.start_line}-{symbol.end_line}")
            self.outline_items[symbol.name] = item
