"""The `conductor` command line: views, tracks, tickets, headless runs; front-ends add their own commands.

Front-ends (the window, the MCP server) register commands through the `conductor.commands` entry-point group:
`name = "package.module:register"`, where `register(subparsers)` adds the sub-command. Only the command being run
is imported, core or front-end, so `conductor --help` imports no parser, model or SDK and `conductor track list`
never imports the window.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from conductor.errors import ConductorError
from file_cache.errors import SymbolNotFoundError, ViewError

COMMAND_GROUP = "conductor.commands"
Registrar = Callable[["argparse._SubParsersAction[Any]"], None]
CORE: dict[str, tuple[str, str]] = {
    "init": ("conductor.init_cli:register_init", "set up a project: project.toml, the key, what git ignores"),
    "view": ("conductor.view_cli:register_view", "print a memory view of a file and its token count"),
    "track": ("conductor.track_cli:register_tracks", "create, list and show tracks"),
    "ticket": ("conductor.ticket_cli:register_tickets", "add, edit, block, unblock, retry, complete and undo "
               "tickets"),
    "run": ("conductor.run_cli:register_run", "run a track headless; step mode asks at the terminal"),
    "plan": ("conductor.plan_cli:register_plan", "the Tier 2 planner proposes a track for a goal; you accept it"),
    "trust": ("conductor.trust_cli:register_trust", "let this project's settings loosen what runs without asking "
              "(allow-rules, auto trust, base URLs, ...)"),
}
"""Each core command: where its parser is made (`module:function`, imported only when the command is run) and
its line in `conductor --help` (said here only: the registrar's parser is built only when its command runs)."""
FRONT_END_HELP = {"gui": "open the conductor window", "mcp": "serve views and tickets to other agents over MCP"}
"""Front-ends known without looking up entry points (their `--help` line); others are found when named."""


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line plus where to get help, like every other error (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def front_end_commands() -> dict[str, Any]:
    """Front-ends registered through the `conductor.commands` entry points (looked up only when needed)."""
    from importlib.metadata import entry_points

    return {entry.name: entry for entry in entry_points(group=COMMAND_GROUP)}


def version() -> str:
    from importlib import metadata

    try:
        return metadata.version("conductor")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


class _Version(argparse.Action):
    """`--version`, looked up only when asked (the package metadata costs a scan of site-packages)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(f"conductor {version()}")
        parser.exit(0)


def _load(target: str) -> Registrar:
    module, _, function = target.partition(":")
    registrar: Registrar = getattr(importlib.import_module(module), function)
    return registrar


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    """Only the command being run is imported; the others are listed by name and help line."""
    parser = _Parser(prog="conductor", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    chosen = next((word for word in argv if not word.startswith("-")), None)
    for name, (target, help_line) in CORE.items():
        if name == chosen:
            _load(target)(commands)
        else:
            commands.add_parser(name, help=help_line, add_help=False)
    front_ends: dict[str, str] = dict(FRONT_END_HELP)
    installed: dict[str, Any] = {}
    if chosen is not None and chosen not in CORE:  # an unknown word may be a front-end installed separately
        installed = front_end_commands()  # the entry points are scanned once, and only here
        front_ends.update({name: FRONT_END_HELP.get(name, f"the {name} front-end") for name in installed})
    for name, help_line in front_ends.items():
        if name == chosen:
            entry = installed.get(name)
            if entry is not None:
                register_front_end: Registrar = entry.load()
                register_front_end(commands)
                continue
        commands.add_parser(name, help=help_line, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser(argv).parse_args(argv)
    except SystemExit as done:  # --help, or a usage error already printed as one line
        return done.code if isinstance(done.code, int) else 2
    try:
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except (ConductorError, ViewError, SymbolNotFoundError) as error:
        print(f"conductor: {_one_line(str(error))}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`| head`): say nothing more, and keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as error:  # disk full, read-only folder, permissions
        print(f"conductor: {error.strerror or error}: {error.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("conductor: interrupted", file=sys.stderr)
        return 130


def _one_line(text: str) -> str:
    return " ".join(text.split()) if "\n" in text else text


if __name__ == "__main__":
    raise SystemExit(main())
