"""`conductor gui`: open the window on a project (or on a fresh copy of the demo)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from conductor.demo import prepare_demo
from conductor.errors import ConductorError


def layout_path() -> Path:
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "conductor" / "layout.json"


def gui_command(args: argparse.Namespace) -> int:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        # without a display GLFW aborts the whole process; say so instead
        raise ConductorError("no display: run under a desktop session or `xvfb-run -a conductor gui ...`")
    from gui.controller import Controller
    from gui.views.app import Automation, run_app

    project = prepare_demo() if args.demo else Path(args.project)
    if args.demo:
        print(f"demo project copied to {project}")
    controller = Controller(project)
    if args.auto:
        controller.set_mode("auto")
    if args.view:
        controller.state.files.kind = args.view
    if args.open:
        controller.select_file(args.open)
    automation = Automation(
        status_file=args.status_file, screenshot_dir=args.screenshot_dir, exit_when_finished=args.exit_when_finished,
        max_frames=args.max_frames, frame_log=args.frame_log, vsync=not args.no_vsync,
        run_on_start=args.run or args.demo, scroll_view=args.scroll_view)
    if automation.screenshot_dir is not None:
        automation.screenshot_dir.mkdir(parents=True, exist_ok=True)
    return run_app(controller, automation, None if args.no_layout else layout_path())


def register_gui(commands: argparse._SubParsersAction) -> None:
    gui = commands.add_parser("gui", help="open the conductor window")
    gui.add_argument("--project", default=".", type=Path, help="project root (default: current directory)")
    gui.add_argument("--demo", action="store_true", help="copy the shipped demo to a temporary folder and run it "
                     "in step mode on the scripted provider")
    gui.add_argument("--auto", action="store_true", help="start in auto mode (no approvals)")
    gui.add_argument("--run", action="store_true", help="start the selected track at once")
    gui.add_argument("--no-layout", action="store_true", help="do not load or save the window layout")
    gui.add_argument("--open", metavar="FILE", help="show this file in the Files panel")
    gui.add_argument("--view", choices=["skeleton", "curated", "raw"], help="which view of the file to show")
    automation = gui.add_argument_group("automation (tests and benchmarks)")
    automation.add_argument("--status-file", type=Path, help=argparse.SUPPRESS)
    automation.add_argument("--screenshot-dir", type=Path, help="save screenshots of the main states here")
    automation.add_argument("--exit-when-finished", action="store_true", help=argparse.SUPPRESS)
    automation.add_argument("--max-frames", type=int, help=argparse.SUPPRESS)
    automation.add_argument("--frame-log", type=Path, help=argparse.SUPPRESS)
    automation.add_argument("--no-vsync", action="store_true", help=argparse.SUPPRESS)
    automation.add_argument("--scroll-view", action="store_true", help=argparse.SUPPRESS)
    gui.set_defaults(handler=gui_command)
