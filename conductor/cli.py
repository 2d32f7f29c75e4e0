"""The `conductor` command line: views, tracks, tickets, headless runs; front-ends add their own commands.

Front-ends (the window, next an MCP server) register commands through the `conductor.commands` entry-point
group: `name = "package.module:register"`, where `register(subparsers)` adds the sub-command. Only the entry
point of the command being run is imported, so `conductor track list` never imports the window.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from importlib import metadata
from importlib.metadata import EntryPoint, entry_points
from typing import Any, NoReturn

from conductor.errors import ConductorError
from conductor.init_cli import register_init
from conductor.plan_cli import register_plan
from conductor.run_cli import register_run
from conductor.ticket_cli import register_tickets, register_tracks
from conductor.trust_cli import register_trust
from conductor.view_cli import register_view
from file_cache import ViewError
from file_cache.parser import SymbolNotFoundError

COMMAND_GROUP = "conductor.commands"
Registrar = Callable[["argparse._SubParsersAction[Any]"], None]
CORE: list[Registrar] = [register_init, register_view, register_tracks, register_tickets, register_run, register_plan,
                          register_trust]


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line plus where to get help, like every other error (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def front_end_commands() -> dict[str, EntryPoint]:
    return {entry.name: entry for entry in entry_points(group=COMMAND_GROUP)}


FRONT_END_HELP = {"gui": "open the conductor window", "mcp": "serve views and tickets to other agents over MCP"}
"""What `--help` says of a front-end's command without importing it (another front-end says its name only)."""


def version() -> str:
    try:
        return metadata.version("conductor")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = _Parser(prog="conductor", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"conductor {version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for register in CORE:
        register(commands)
    chosen = next((word for word in argv if not word.startswith("-")), None)
    for name, entry in front_end_commands().items():
        if name == chosen:
            register_front_end: Registrar = entry.load()
            register_front_end(commands)
        else:  # listed in --help without importing the front-end
            commands.add_parser(name, help=FRONT_END_HELP.get(name, f"the {name} front-end"), add_help=False)
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
