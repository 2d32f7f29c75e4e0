"""Tier 4 hints (with the saved raw output one click away), usage per tier/ticket/track, and settings."""

from __future__ import annotations

import dearpygui.dearpygui as dpg

from conductor.failures import Cause
from conductor.names import PROVIDER_NAMES
from gui.controller import Controller
from gui.state import ViewState
from gui.views.common import fill_lines, line_table
from gui.views.tags import Tags

PROVIDERS = list(PROVIDER_NAMES)


class SideView:
    def __init__(self, tags: Tags, controller: Controller) -> None:
        self.tags = tags
        self.controller = controller
        self._hints_shown = 0
        self._generation = -1
        self.record_buttons: list[int | str] = []
        """The failure-place buttons, oldest first (tests click them)."""

    def build(self, pos: tuple[int, int], size: tuple[int, int]) -> None:
        t = self.tags
        with dpg.window(label="Hints, usage, settings", tag=t.side_window, pos=pos, width=size[0], height=size[1],
                        no_close=True), dpg.tab_bar():
            dpg.add_tab_button(label="[ ]", tag=t.maximise_buttons[4], leading=True)
            with dpg.tab(label="Tier 4 hints"):
                with dpg.table(tag=t.hints_table, header_row=True, scrollY=True, height=-1,
                               policy=dpg.mvTable_SizingStretchProp, borders_innerH=True, borders_innerV=True):
                    for label, weight in (("ticket / command", 0.35), ("hint", 0.5), ("output", 0.15)):
                        dpg.add_table_column(label=label, init_width_or_weight=weight)
            with dpg.tab(label="Usage"):
                with dpg.table(tag=t.usage_table, header_row=True, policy=dpg.mvTable_SizingStretchProp):
                    for label in ("scope", "calls", "input", "output", "cache read", "cost"):
                        dpg.add_table_column(label=label)
            with dpg.tab(label="Settings"):
                self._build_settings()
        with dpg.window(label="Command output", tag=t.output_window, show=False, width=900, height=600,
                        pos=(120, 80)):
            line_table(t.output_table)

    def _build_settings(self) -> None:
        t, config = self.tags, self.controller.config
        dpg.add_text("Tier 3 worker: provider and model")
        dpg.add_combo(PROVIDERS, tag=t.settings_tier3_provider, default_value=config.tier3.provider or "",
                      width=200)
        dpg.add_input_text(tag=t.settings_tier3_model, default_value=config.tier3.model or "", width=-1,
                           hint="Tier 3 model (empty: the provider's default)")
        dpg.add_text("Tier 4 summariser: provider and model (none: deterministic compressor)")
        dpg.add_combo(["none", *PROVIDERS], tag=t.settings_tier4_provider, width=200,
                      default_value=config.tier4.provider or "none" if config.tier4 else "none")
        dpg.add_input_text(tag=t.settings_tier4_model, default_value=config.tier4.model or "" if config.tier4 else "",
                           width=-1, hint="Tier 4 model (empty: the provider's default)")
        dpg.add_text("Default archetype trust")
        dpg.add_radio_button(["step", "auto"], tag=t.settings_trust, horizontal=True,
                             default_value=config.archetype("default").trust)
        dpg.add_input_int(label="shell timeout (seconds)", tag=t.settings_timeout, width=200, min_value=1,
                          min_clamped=True, default_value=round(config.shell.timeout_seconds))
        with dpg.group(horizontal=True):
            dpg.add_button(label="Apply to this session", callback=lambda: self.controller.apply_settings(
                self._values()))
            dpg.add_button(label="Save to project.toml", callback=lambda: self.controller.save_settings(
                self._values()))

    def _values(self) -> dict[str, object]:
        t = self.tags
        values = {"tier3.provider": dpg.get_value(t.settings_tier3_provider),
                  "tier3.model": dpg.get_value(t.settings_tier3_model),
                  "archetypes.default.trust": dpg.get_value(t.settings_trust),
                  "shell.timeout_seconds": dpg.get_value(t.settings_timeout)}
        if dpg.get_value(t.settings_tier4_provider) != "none":
            values["tier4.provider"] = dpg.get_value(t.settings_tier4_provider)
            values["tier4.model"] = dpg.get_value(t.settings_tier4_model)
        return values

    def refresh_hints(self, state: ViewState) -> None:
        if state.hints_generation != self._generation:  # another track's hints: start over
            dpg.delete_item(self.tags.hints_table, children_only=True, slot=1)
            self.record_buttons, self._hints_shown, self._generation = [], 0, state.hints_generation
        for hint in state.hints[self._hints_shown:]:
            with dpg.table_row(parent=self.tags.hints_table):
                dpg.add_text(f"{hint.ticket_id or ''} exit {hint.exit_code}\n$ {hint.command}", wrap=0)
                with dpg.group():
                    dpg.add_text(f"{hint.hint} ({hint.source})", wrap=0)
                    causes = hint.causes
                    if len(causes) < len(hint.failures):
                        dpg.add_text(f"{len(hint.failures)} failures, {len(causes)} "
                                     f"cause{'s' if len(causes) != 1 else ''}:", color=(235, 180, 90))
                    for cause in causes:  # one entry per cause, its place one click from the code
                        failure = cause.record
                        if failure.path:
                            button = dpg.add_button(label=f"{failure.path}:{failure.line}",
                                                    user_data=(failure.path, failure.line),
                                                    callback=lambda _s, _v, at: self.controller.files.open_at(*at))
                            self.record_buttons.append(button)
                        rest = failure.model_copy(update={"path": None, "line": None, "function": None,
                                                          "source": None})
                        text = Cause(rest, cause.tests).text() or failure.message or ""
                        dpg.add_text(text, wrap=0, color=(200, 200, 200))
                if hint.output_id:
                    dpg.add_button(label="raw output", user_data=hint.output_id,
                                   callback=lambda _s, _v, output_id: self.show_output(output_id))
                else:
                    dpg.add_text("-")
        self._hints_shown = len(state.hints)

    def show_output(self, output_id: str) -> None:
        fill_lines(self.tags.output_table, self.controller.load_output(output_id).splitlines())
        dpg.configure_item(self.tags.output_window, show=True, label=f"Command output {output_id}")
        dpg.focus_item(self.tags.output_window)

    def refresh_usage(self, state: ViewState) -> None:
        dpg.delete_item(self.tags.usage_table, children_only=True, slot=1)
        usage = state.usage
        rows = [("track", usage.track)]
        rows += [(f"tier {name[-1]}", totals) for name, totals in sorted(usage.tiers.items())]
        rows += [(f"ticket {name}", totals) for name, totals in sorted(usage.tickets.items())]
        for scope, totals in rows:
            if not totals.calls:
                continue
            with dpg.table_row(parent=self.tags.usage_table):
                for value in (scope, totals.calls, totals.input_tokens, totals.output_tokens,
                              totals.cache_read_tokens, totals.cost_text):
                    dpg.add_text(str(value))
