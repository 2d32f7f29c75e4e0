"""Small shared view helpers: status themes and line tables that only draw what is on screen."""

from __future__ import annotations

from pathlib import Path

import dearpygui.dearpygui as dpg

from gui.state import STATUS_COLORS

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
