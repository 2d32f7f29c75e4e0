"""The trust dialog: what a project.toml this user has not trusted asks for, with Trust and Keep ignored."""

from __future__ import annotations

import dearpygui.dearpygui as dpg

from gui.controller import Controller
from gui.state import ViewState
from gui.views.tags import Tags


class TrustView:
    def __init__(self, tags: Tags, controller: Controller) -> None:
        self.tags = tags
        self.controller = controller

    def build(self) -> None:
        t, c = self.tags, self.controller
        with dpg.window(label="Trust this project's settings?", tag=t.trust_dialog, modal=True, show=False,
                        width=720, autosize=True, pos=(200, 120), no_close=True):
            dpg.add_text("This project's project.toml asks for settings that let more run without asking, or send "
                         "requests and keys elsewhere. They are ignored until you trust them:", wrap=680)
            dpg.add_text("", tag=t.trust_settings_text, wrap=680, color=(235, 180, 90))
            dpg.add_text("Trusting is recorded in your config folder for this project and these values; a change "
                         "to them asks again. Keep them ignored: step mode, no allow-rules, the default URLs.",
                         wrap=680, color=(170, 170, 170))
            with dpg.group(horizontal=True):
                dpg.add_button(label="Trust these settings", tag=t.trust_accept_button,
                               callback=lambda: c.trust_settings())
                dpg.add_button(label="Keep them ignored", tag=t.trust_dismiss_button,
                               callback=lambda: c.keep_untrusted())

    def refresh(self, state: ViewState) -> None:
        dpg.set_value(self.tags.trust_settings_text, "\n".join(f"- {line}" for line in state.untrusted))
        dpg.configure_item(self.tags.trust_dialog, show=bool(state.untrusted))
