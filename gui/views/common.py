"""Small shared view helpers: status themes and line tables that only draw what is on screen."""

from __future__ import annotations

from pathlib import Path

import dearpygui.dearpygui as dpg

from conductor.diffs import DiffLine
from file_cache.highlight import Segment
from gui.state import STATUS_COLORS

ALERT_COLOR = (240, 95, 95)
CHAR_WIDTH = 8
"""Pixels per character of the shipped monospaced font at FONT_SIZE (labels are elided to fit)."""
LINE_HEIGHT = 21
"""Pixels per row of the line tables (the font's 15 px plus the cell padding)."""
CODE_LINE_HEIGHT = 23
"""Pixels per row of the dense code and diff tables."""
DIFF_COLORS = {"+": (110, 210, 120), "-": (235, 100, 100), "@": (120, 180, 255)}
_THEMES: dict[str, int] = {}


def status_theme(status: str) -> int:
    """One text-colour theme per ticket status, made once."""
    if status not in _THEMES:
        with dpg.theme() as theme, dpg.theme_component(dpg.mvAll):
            dpg.add_theme_color(dpg.mvThemeCol_Text, STATUS_COLORS.get(status, (255, 255, 255)))
        _THEMES[status] = theme
    return _THEMES[status]


def reset_themes() -> None:
    _THEMES.clear()


FONT_FILE = Path(__file__).resolve().parents[1] / "fonts" / "DejaVuSansMono.ttf"
FONT_SIZE = 15


def setup_look() -> None:
    """The shipped font (DejaVu Sans Mono: Latin, Greek, Cyrillic, punctuation such as …, arrows, box drawing;
    Dear ImGui 1.92 loads each glyph when first drawn), and buttons that look disabled when they do nothing."""
    with dpg.font_registry():
        font = dpg.add_font(str(FONT_FILE), FONT_SIZE)
    dpg.bind_font(font)
    with dpg.theme() as theme:
        with dpg.theme_component(dpg.mvButton, enabled_state=False):
            dpg.add_theme_color(dpg.mvThemeCol_Text, (110, 110, 110))
            dpg.add_theme_color(dpg.mvThemeCol_Button, (45, 45, 48))
            dpg.add_theme_color(dpg.mvThemeCol_ButtonHovered, (45, 45, 48))
            dpg.add_theme_color(dpg.mvThemeCol_ButtonActive, (45, 45, 48))
    dpg.bind_theme(theme)


def fill_lines(table: str | int, lines: list[str], colors: dict[str, tuple[int, int, int]] | None = None) -> None:
    """Replace a clipped one-column table's rows by ``lines`` (off-screen rows are not drawn)."""
    dpg.delete_item(table, children_only=True, slot=1)
    for line in lines:
        with dpg.table_row(parent=table):
            color = colors.get(line[:1]) if colors else None
            if color is not None and not line.startswith(("+++", "---")):
                dpg.add_text(line, color=color)
            else:
                dpg.add_text(line)


def line_table(tag: str, height: int = -1) -> int:
    table: int = dpg.add_table(tag=tag, header_row=False, clipper=True, scrollY=True, scrollX=True, height=height,
                          policy=dpg.mvTable_SizingFixedFit, borders_innerV=False, row_background=False)
    dpg.add_table_column(parent=table)
    return table


STYLE_COLORS: dict[str | None, tuple[int, int, int]] = {
    None: (215, 218, 222), "keyword": (198, 120, 221), "string": (152, 195, 121), "comment": (120, 130, 140),
    "number": (209, 154, 102), "constant": (209, 154, 102), "function": (97, 175, 239), "type": (229, 192, 123),
    "decorator": (86, 182, 194), "builtin": (86, 182, 194), "self": (224, 108, 117)}
"""Syntax colours by highlight style (`file_cache.highlight`)."""
GUTTER_COLOR = (115, 120, 128)
MARK_BACKGROUND = (90, 75, 20, 200)
ROW_BACKGROUNDS = {"added": (32, 72, 42, 255), "removed": (88, 36, 38, 255)}
LINE_COLORS = {"added": (170, 230, 170), "removed": (240, 170, 170), "context": (190, 190, 190)}
WORD_COLORS = {"added": (120, 255, 140), "removed": (255, 120, 120)}
"""Changed words inside a line: brighter than the rest of it."""
DROPPED_COLOR = (110, 110, 110)


def code_table(tag: str | int, height: int = -1) -> int | str:
    """A clipped table of code rows (only visible rows are drawn); `fill_code` fills it."""
    table: int | str = dpg.add_table(tag=tag, header_row=False, clipper=True, scrollY=True, scrollX=True,
                                     height=height, policy=dpg.mvTable_SizingFixedFit, borders_innerV=False,
                                     row_background=False)
    dpg.add_table_column(parent=table)
    dpg.bind_item_theme(table, dense_theme())
    return table


def row_theme(kind: str) -> int:
    """A table row's background (`added`, `removed`): bound to the row, so only drawn rows cost anything (a
    highlight set on the table is looked at for every row, every frame)."""
    key = f"row-{kind}"
    if key not in _THEMES:
        color = ROW_BACKGROUNDS.get(kind, (0, 0, 0, 0))
        with dpg.theme() as theme, dpg.theme_component(dpg.mvAll):
            dpg.add_theme_color(dpg.mvThemeCol_TableRowBg, color)
            dpg.add_theme_color(dpg.mvThemeCol_TableRowBgAlt, color)
        _THEMES[key] = theme
    return _THEMES[key]


def dense_theme() -> int:
    """Code rows as tight as an editor's: no gap between rows, a little padding in the cells (made once)."""
    if "dense" not in _THEMES:
        with dpg.theme() as theme, dpg.theme_component(dpg.mvAll):
            dpg.add_theme_style(dpg.mvStyleVar_CellPadding, 6, 1)
            dpg.add_theme_style(dpg.mvStyleVar_ItemSpacing, 8, 0)
        _THEMES["dense"] = theme
    return _THEMES["dense"]


def fill_code(table: str | int, lines: list[list[Segment]], numbers: list[int | None],
              marked: set[int] | None = None) -> None:
    """Replace a code table's rows: the file's line number, then the line as coloured pieces side by side (one
    cell a row: fewer cells are cheaper to draw when scrolling); ``marked`` rows on a highlighted background."""
    dpg.delete_item(table, children_only=True, slot=1)
    width = len(str(max((n for n in numbers if n), default=1)))
    for row, segments in enumerate(lines):
        number = numbers[row] if row < len(numbers) else None
        with dpg.table_row(parent=table), dpg.group(horizontal=True, horizontal_spacing=0):
            dpg.add_text(f"{number or '':>{width}}  ", color=GUTTER_COLOR)
            for text, style in segments:
                dpg.add_text(text, color=STYLE_COLORS.get(style, STYLE_COLORS[None]))
        if marked and row in marked:
            dpg.highlight_table_row(table, row, MARK_BACKGROUND)


def add_diff_text(line: DiffLine, dropped: bool) -> None:
    """A diff line's text, its changed words brighter (dimmed when its hunk is dropped)."""
    base = DROPPED_COLOR if dropped else LINE_COLORS[line.kind]
    if dropped or not line.changed or line.kind == "context":
        dpg.add_text(line.text or " ", color=base)
        return
    with dpg.group(horizontal=True, horizontal_spacing=0):
        position = 0
        for start, end in line.changed:
            if start > position:
                dpg.add_text(line.text[position:start], color=base)
            dpg.add_text(line.text[start:end], color=WORD_COLORS[line.kind])
            position = end
        if position < len(line.text):
            dpg.add_text(line.text[position:], color=base)


def scroll_to_row(table: str | int, row: int, row_height: int, rows_above: int = 4) -> None:
    """Scroll a table so that ``row`` is in view (after the next frames lay it out)."""
    target = max(row - rows_above, 0) * row_height
    dpg.set_frame_callback(dpg.get_frame_count() + 2, lambda: dpg.set_y_scroll(table, target))


def elided_text(tag: str, **options: object) -> None:
    """A text shortened in the middle to fit its panel (`set_elided`), the whole of it in a tooltip."""
    dpg.add_text("", tag=tag, **options)
    with dpg.tooltip(tag):
        dpg.add_text("", tag=f"{tag}_full", wrap=600)


def set_elided(tag: str, text: str, width: int) -> None:
    """Show ``text`` in an `elided_text`, cut in the middle to ``width`` pixels."""
    from gui.state import elide_middle

    dpg.set_value(tag, elide_middle(text, max(width // CHAR_WIDTH, 12)))
    dpg.set_value(f"{tag}_full", text)
