"""`conductor gui`: open the window on a project (or on a fresh copy of the demo).

Registered with the `conductor` command through the `conductor.commands` entry point (pyproject.toml), so the
engine's package never imports this one.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from conductor.cli_args import add_project_option, project_of
from conductor.demo import prepare_demo
from conductor.errors import ConductorError
from conductor.logs import log_to_file


def layout_path() -> Path:
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "conductor" / "layout.json"


def gui_command(args: argparse.Namespace) -> int:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        # without a display GLFW aborts the whole process; say so instead
        raise ConductorError("no display: run under a desktop session or `xvfb-run -a conductor gui ...`")
    from gui.controller import Controller
    from gui.views.app import run_app

    project = prepare_demo() if args.demo else project_of(args)
    if args.demo:
        print(f"demo project copied to {project}")
    controller = Controller(project)
    log_to_file(controller.config.tracks_path)
    if args.demo:  # the Plan panel starts from the demo's goal; its planner answers from the script
        from conductor.plan_cli import DEMO_GOAL

        controller.state.plan.goal = DEMO_GOAL
    if args.auto:
        controller.set_mode("auto")
    if args.view:
        controller.state.files.kind = args.view
    if args.open:
        controller.files.select(args.open)
    if args.run or args.demo:
        controller.run()
    return run_app(controller, None if args.no_layout else layout_path())


def register_gui(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gui = commands.add_parser("gui", help="open the conductor window")
    add_project_option(gui)
    gui.add_argument("--demo", action="store_true", help="copy the shipped demo to a temporary folder and run it "
                     "in step mode on the scripted provider")
    gui.add_argument("--auto", action="store_true", help="start in auto mode (no approvals)")
    gui.add_argument("--run", action="store_true", help="start the selected track at once")
    gui.add_argument("--no-layout", action="store_true", help="do not load or save the window layout")
    gui.add_argument("--open", metavar="FILE", help="show this file in the Files panel")
    gui.add_argument("--view", choices=["skeleton", "curated", "raw"], help="which view of the file to show")
    gui.set_defaults(handler=gui_command)
